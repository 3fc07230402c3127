"""What a search tells its user while it runs and when it is done.

- :class:`SearchProgress` follows the (setting, fold) paths as they finish:
  with ``verbose >= 1`` one line each on standard output (its fold, setting,
  number of epsilons and fit seconds, as scikit-learn's searches print one
  line per fit), and, inside :func:`search_progress`, a listener called with
  the count of finished paths (the command line's progress bar);
- :func:`warn_unconverged` turns the convergence messages of the inner fits
  into one ``ConvergenceWarning`` whose advice is in the search's own terms:
  which fits stopped (the weakly regularised ones, when they are), how to give
  the learner more iterations inside the search, and to scale the data only
  when its columns are not scaled (:func:`unscaled_columns`).
"""

import re
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from sksmooth._capabilities import path_capabilities

# The listener of the searches run in this context (the command line's bar):
# called as listener(done, total, seconds) whenever a fold path finishes.
_listener: ContextVar[Callable[[int, int, float], None] | None] = ContextVar(
    "sksmooth_search_progress", default=None
)


@contextmanager
def search_progress(listener: Callable[[int, int, float], None]) -> Iterator[None]:
    """Call ``listener(done, total, seconds)`` as each fold path of the
    searches run in this block finishes.

    ``done`` counts the finished (setting, fold) paths of the current round
    of ``total`` (``method="confusion"`` runs two rounds), ``seconds`` the
    wall time since the round started. The listener runs in the process and
    thread that called ``fit``, whichever joblib backend fits the folds; the
    state is a :class:`contextvars.ContextVar`, so other threads are not
    affected.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sksmooth import LabelSmoothingClassifierCV
    >>> from sksmooth.model_selection._report import search_progress
    >>> X, y = load_iris(return_X_y=True)
    >>> seen = []
    >>> with search_progress(lambda done, total, seconds: seen.append(done)):
    ...     _ = LabelSmoothingClassifierCV(epsilons=[0, 0.1], cv=2,
    ...                                    param_grid=None).fit(X / 10, y)
    >>> seen
    [1, 2]
    """
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


class SearchProgress:
    """Follows a search's fold paths as they finish (see the module's doc).

    Parameters
    ----------
    verbose : int
        ``>= 1``: one line per finished fold path on standard output.
    n_folds : int
        The number of folds, for the lines' ``[CV f/n]``.
    """

    def __init__(self, verbose: int, n_folds: int):
        self.verbose, self.n_folds = verbose, n_folds

    def track(self, results: Iterable, tasks: list) -> Iterator:
        """Yield ``results`` (one list of ``FoldPath`` per task, as they
        arrive), reporting each as it arrives."""
        listener, start = _listener.get(), time.perf_counter()
        if self.verbose:
            grids = [t.grid for t in tasks if t.grid is not None]
            n_settings = (len(tasks) - len(grids) + sum(len(g[1]) for g in grids)) // (
                self.n_folds
            )
            shared = (
                f" (settings that differ only in {grids[0][0]} share one)"
                if grids
                else ""
            )
            print(
                f"Fitting {self.n_folds} folds for each of {n_settings} settings: "
                f"{len(tasks)} fold paths{shared}",
                flush=True,
            )
        for done, (task, paths) in enumerate(zip(tasks, results, strict=True), 1):
            if self.verbose:
                print(self.line(task, paths, done, len(tasks)), flush=True)
            if listener is not None:
                listener(done, len(tasks), time.perf_counter() - start)
            yield paths

    def line(self, task, paths, done: int, total: int) -> str:
        """``[CV 2/5] {'C': 0.1}: 10 epsilons in 0.42 s (7/50 fold paths)``."""
        fold = int(re.match(r"fold (\d+)", task.where).group(1))
        setting = task.where.partition(" with ")[2]
        if task.grid is not None:  # "{'C': 0.1}, {'C': 1.0}, ..." -> their range
            name, values = task.grid
            first = setting.partition("}")[0] + "}"
            others = re.sub(rf"'{re.escape(name)}': [^,}}]+(, )?", "", first)
            setting = f"{len(values)} values of {name} ({min(values):g} to " + (
                f"{max(values):g})" + ("" if others == "{}" else f", {others}")
            )
        seconds = sum(float(np.sum(p.fit_times)) for p in paths)
        n_epsilons = len(task.epsilons)
        each = " each" if task.grid is not None else ""
        return (
            f"[CV {fold + 1}/{self.n_folds}] {setting or 'the estimator as given'}: "
            f"{n_epsilons} epsilon{'s' if n_epsilons != 1 else ''}{each} in "
            f"{seconds:.3g} s ({done}/{total} fold paths)"
        )


# --------------------------------------------------------------- convergence
# Columns count as unscaled when one's root mean square exceeds this, or a
# non-zero one's largest absolute value is below its inverse (standardised
# columns have a root mean square of 1; one-hot and [0, 1] columns at most 1
# and a largest value of 1).
UNSCALED_FACTOR = 10.0


def unscaled_columns(X) -> str | None:
    """Why ``X``'s columns do not look scaled, or ``None`` if they do.

    A cheap test, one pass over the stored values (a sparse matrix is never
    densified, nor centred): a column is far from unit scale when its root
    mean square is above :data:`UNSCALED_FACTOR` (large values or a large
    offset, as raw amounts or years have), or when its largest absolute value
    is non-zero and below ``1 / UNSCALED_FACTOR`` (tiny units). A
    ``StandardScaler``'s output passes (root mean square 1), and so do
    one-hot and min-max scaled columns. ``None`` as well when ``X`` is not a
    numeric array this can read cheaply (a dask array, a frame with text).

    Examples
    --------
    >>> import numpy as np
    >>> unscaled_columns(np.array([[1.0, 2000.0], [-1.0, 3000.0]]))
    'column 1 has a root mean square of 2.5e+03'
    >>> unscaled_columns(np.array([[1.0, 0.0], [-1.0, 1.0]])) is None
    True
    """
    if sp.issparse(X):
        X = sp.csc_array(X)
        squares = np.asarray(X.multiply(X).mean(axis=0), dtype=np.float64)
        largest = np.asarray(abs(X).max(axis=0).toarray(), dtype=np.float64)
    else:
        try:
            values = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):
            return None
        if values.ndim != 2 or not values.size or not np.all(np.isfinite(values)):
            return None
        squares = np.mean(values**2, axis=0)
        largest = np.max(np.abs(values), axis=0)
    rms = np.sqrt(squares).ravel()
    largest = largest.ravel()
    if np.any(rms > UNSCALED_FACTOR):
        j = int(np.argmax(rms))
        return f"column {j} has a root mean square of {rms[j]:.2g}"
    tiny = (largest > 0) & (largest < 1 / UNSCALED_FACTOR)
    if np.any(tiny):
        j = int(np.flatnonzero(tiny)[0])
        return f"column {j} has values of at most {largest[j]:.2g} in size"
    return None


def warn_unconverged(unconverged, n_fits: int, learner, X, settings) -> None:
    """One ``ConvergenceWarning`` for a search's unconverged inner fits.

    Parameters
    ----------
    unconverged : list of (str, dict)
        The convergence message of each unconverged inner fit of sksmooth's
        own solvers (deferred in each fold's context, see
        :func:`sksmooth._convergence.deferred_convergence_warnings`) and the
        ``param_grid`` setting it was fitted with; a message that names its
        ``C`` (a joint ``fit_path`` over several ``C``) is read for it. A
        third-party learner's warnings are not counted: they pass through as
        they come, as in ``GridSearchCV``.
    n_fits : int
        Every inner fit of the search.
    learner : estimator
        The search's inner learner, as given.
    X : array-like
        The search's training data, tested for scale only when a fit did not
        converge.
    settings : list of dict
        The search's ``param_grid`` settings.
    """
    if not unconverged:
        return
    name = type(learner).__name__
    params = learner.get_params()
    advice = []
    declared = path_capabilities(learner)
    parameter = None if declared is None else declared.grid_parameter
    C_note = regularisation_note(unconverged, settings, parameter)
    if C_note:
        advice.append(C_note)
    if "max_iter" in params:
        suggested = 10 * int(params["max_iter"])
        advice.append(
            "Give the inner learner more iterations: LabelSmoothingClassifierCV("
            f"{name}(max_iter={suggested}), ...) (its max_iter is "
            f"{params['max_iter']}; keep your other settings), or loosen its tol."
        )
    reason = unscaled_columns(X)
    if reason is not None:
        advice.append(
            f"The columns of X are not scaled ({reason}): scale them, e.g. "
            "make_pipeline(StandardScaler(), LabelSmoothingClassifierCV(...))."
        )
    warnings.warn(
        f"{len(unconverged)} of {n_fits} inner fits of {name} did not converge; "
        f"their scores may be off. {' '.join(advice)}",
        ConvergenceWarning,
        stacklevel=3,
    )


def regularisation_note(unconverged, settings, C) -> str | None:
    """The values of ``C``, the regularisation parameter the learner's path
    declares it carries (``"C"`` for ``SoftmaxRegression``; ``None``: no
    note), of the unconverged fits, when the search has a grid of it; said
    to be the weakly regularised ones when every one is above the grid's
    median."""
    grid = sorted({float(s[C]) for s in settings if C in s}) if C else []
    if len(grid) < 2:
        return None
    counts = Counter()
    for message, setting in unconverged:
        named = re.search(rf"\({re.escape(C)}=([^)\s]+)\)", message)
        if named is None and C not in setting:
            return None
        counts[float(named.group(1) if named else setting[C])] += 1
    listed = ", ".join(
        f"{n} at {C}={value:g}" for value, n in sorted(counts.items(), reverse=True)
    )
    if min(counts) > float(np.median(grid)):
        return (
            f"They are the weakly regularised fits, the largest {C} of the grid "
            f"({listed}; the grid spans {C}={grid[0]:g} to {grid[-1]:g}), which "
            f"need the most iterations; if such a {C} never wins, leave it out of "
            "param_grid."
        )
    return f"By {C}: {listed}."
