"""Warnings collected per thread, and feature names checked in the right name.

A selector runs dozens of inner fits; each unconverged one would print its own
``ConvergenceWarning`` (scikit-learn's filters forget what they have shown
whenever any code changes them, so "show once" does not hold). The selector
collects them instead and warns once with a count.

``warnings.catch_warnings`` cannot do this: it swaps the process's filters and
``showwarning``, so in a program that fits in several threads it would swallow
other threads' warnings and restore the filters out of order. Here, while at
least one collector is open anywhere in the process, ``warnings.warn`` is a
relay that looks at the *calling thread's* collectors only; every other call
passes through unchanged (one frame added to ``stacklevel``, so the warning
points where it did). The last collector to close restores ``warnings.warn``;
a reference count under a lock makes that right whatever the interleaving (as
:mod:`sksmooth._blas_threads` does for the BLAS).
"""

import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from sklearn.utils.validation import validate_data

_relay_lock = threading.Lock()
_open_collectors = 0  # collectors open in any thread
_original_warn = None  # warnings.warn as it was when the first collector opened
_import_time_warn = warnings.warn  # for a relay reference kept past the last close
_per_thread = threading.local()  # .collectors: this thread's open collectors


class _Collector:
    def __init__(self, category, match):
        self.category = category
        self.pattern = None if match is None else re.compile(match)
        self.caught: list[str] = []

    def takes(self, category, message) -> bool:
        return issubclass(category, self.category) and (
            self.pattern is None or self.pattern.search(str(message)) is not None
        )


def _relay(message, category=None, stacklevel=1, source=None, **kwargs):
    """``warnings.warn`` while collectors are open: this thread's collectors
    first, then the original ``warnings.warn`` one frame further up."""
    if isinstance(message, Warning):
        category = type(message)
    elif category is None:
        category = UserWarning
    for collector in reversed(getattr(_per_thread, "collectors", [])):
        if collector.takes(category, message):
            collector.caught.append(str(message))
            return
    warn = _original_warn or _import_time_warn
    warn(message, category, stacklevel + 1, source, **kwargs)


@contextmanager
def collected_warnings(category: type[Warning], match: str | None = None
                       ) -> Iterator[list[str]]:  # fmt: skip
    """Collect this thread's warnings of ``category`` instead of showing them.

    Parameters
    ----------
    category : Warning subclass
        Warnings of this class (or a subclass) are collected.
    match : str, default=None
        If given, only messages matching this regular expression (``re.search``).

    Yields
    ------
    caught : list of str
        The collected messages, in order; filled while the block runs.

    Examples
    --------
    >>> import warnings
    >>> with collected_warnings(RuntimeWarning) as caught:
    ...     warnings.warn("slow", RuntimeWarning)
    >>> caught
    ['slow']
    """
    global _open_collectors, _original_warn
    collector = _Collector(category, match)
    with _relay_lock:
        if _open_collectors == 0:
            _original_warn = warnings.warn
            warnings.warn = _relay
        _open_collectors += 1
    stack = _per_thread.__dict__.setdefault("collectors", [])
    stack.append(collector)
    try:
        yield collector.caught
    finally:
        stack.remove(collector)
        with _relay_lock:
            _open_collectors -= 1
            if _open_collectors == 0:
                if warnings.warn is _relay:  # nobody has wrapped it since
                    warnings.warn = _original_warn
                _original_warn = None


@contextmanager
def feature_names_checked(estimator, X) -> Iterator[None]:
    """Check ``X`` against ``estimator``'s fitted features, in its own name.

    A meta-estimator hands ``X`` to its inner model, whose warning about
    missing or unexpected feature names would name the inner class, not the
    estimator the user fitted. This checks the names (and the number of
    features) as ``estimator``, whose warning or error names it, and collects
    the inner model's duplicate of the feature-names warning while the block
    runs.
    """
    # Without names on either side there is nothing to say; the shape errors
    # (1-D input, wrong width) stay the inner model's.
    named = hasattr(estimator, "feature_names_in_") or hasattr(X, "columns")
    if named and getattr(X, "ndim", 2) == 2:
        validate_data(estimator, X, reset=False, skip_check_array=True)
    with collected_warnings(UserWarning, match="feature names"):
        yield
