"""What a search tells its user when it is done.

- :func:`warn_unconverged` turns the convergence messages of the inner fits
  into one ``ConvergenceWarning`` whose advice is in the search's own terms:
  which fits stopped (the weakly regularised ones, when they are), how to give
  the learner more iterations inside the search, and to scale the data only
  when its columns are not scaled (:func:`unscaled_columns`).
"""

import re
import warnings
from collections import Counter

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

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
        :func:`sksmooth._optimize.deferred_convergence_warnings`) and the
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
    C_note = regularisation_note(unconverged, settings)
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


def regularisation_note(unconverged, settings) -> str | None:
    """The values of ``C`` of the unconverged fits, when the search has a
    grid of ``C``; said to be the weakly regularised ones when every one is
    above the grid's median ``C``."""
    grid = sorted({float(s["C"]) for s in settings if "C" in s})
    if len(grid) < 2:
        return None
    counts = Counter()
    for message, setting in unconverged:
        named = re.search(r"\(C=([^)\s]+)\)", message)
        if named is None and "C" not in setting:
            return None
        counts[float(named.group(1) if named else setting["C"])] += 1
    listed = ", ".join(
        f"{n} at C={C:g}" for C, n in sorted(counts.items(), reverse=True)
    )
    if min(counts) > float(np.median(grid)):
        return (
            f"They are the weakly regularised fits, the largest C of the grid "
            f"({listed}; the grid spans C={grid[0]:g} to {grid[-1]:g}), which "
            "need the most iterations; if such a C never wins, leave it out of "
            "param_grid."
        )
    return f"By C: {listed}."
