"""How sksmooth's solvers report that they stopped short, and how a search
collects those reports instead of showing each.

A solve that stops before its tolerance is reported through
:func:`report_unconverged` (or :func:`report_unconverged_points` for a path
of solves): a ``ConvergenceWarning``, or, inside
:func:`deferred_convergence_warnings`, a message added to that block's list,
which a search turns into one warning with the count. A leaf: it imports
nothing of sksmooth, so the solvers below and the search above share it
without either importing the other.
"""

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sklearn.exceptions import ConvergenceWarning

# Where this thread's (this context's) solvers put their convergence messages
# instead of warning: a list while a search collects them, else None. A
# context variable, so no other thread and no warnings filter is touched.
_deferred_messages: ContextVar[list[str] | None] = ContextVar(
    "sksmooth_deferred_convergence_messages", default=None
)


@contextmanager
def deferred_convergence_warnings() -> Iterator[list[str]]:
    """Collect the convergence messages of the solvers run in this block.

    A search fits its learner dozens of times; each unconverged fit would print
    its own ``ConvergenceWarning`` (and scikit-learn's filters forget what they
    have shown whenever any code changes them, so "show once" does not hold).
    Inside this block, the solvers of this module append their message to the
    yielded list instead of warning, and the search warns once with the count.
    Only sksmooth's own solvers report here: every other warning, a
    third-party learner's too, passes through as in ``GridSearchCV``. The
    state is a :class:`contextvars.ContextVar`: other threads (and joblib's
    workers, which run the fold functions that open this block) are not
    affected, and no process-wide setting changes.

    Yields
    ------
    messages : list of str
        The messages of the unconverged solves, in order; filled while the
        block runs.

    Examples
    --------
    >>> with deferred_convergence_warnings() as messages:
    ...     report_unconverged("Demo did not converge.", stacklevel=1)
    >>> messages
    ['Demo did not converge.']
    """
    messages: list[str] = []
    token = _deferred_messages.set(messages)
    try:
        yield messages
    finally:
        _deferred_messages.reset(token)


def report_unconverged(message: str, stacklevel: int) -> None:
    """Warn with ``message`` (a ``ConvergenceWarning``), or inside
    :func:`deferred_convergence_warnings` add it to that block's list.
    ``stacklevel`` counts from the caller of this function."""
    report_unconverged_points([message], message, stacklevel + 1)


def report_unconverged_points(
    per_point: list[str], summary: str, stacklevel: int
) -> None:
    """:func:`report_unconverged` for a path of solves: inside
    :func:`deferred_convergence_warnings` each unconverged point is one
    message (one fit, as the search counts its fits); outside, ``summary``
    is one warning that names them all. ``stacklevel`` counts from the
    caller of this function."""
    deferred = _deferred_messages.get()
    if deferred is None:
        warnings.warn(summary, ConvergenceWarning, stacklevel=stacklevel + 1)
    else:
        deferred.extend(per_point)
