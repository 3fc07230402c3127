"""Taking rows by position, and the size of an expanded data set.

Used by the expansion path of :class:`~sksmooth.LabelSmoothingClassifier`
(every row repeated once per class that carries weight) and by the CV
estimator's folds. ``X`` may be a DataFrame, a sparse matrix, an array or a
list.
"""

import numpy as np
import scipy.sparse as sp


def rows_source(X):
    """X in a form whose rows can be taken by position: DataFrame, CSR or array."""
    if hasattr(X, "iloc"):
        return X
    if sp.issparse(X):
        return X.tocsr()
    return np.asarray(X)


def expanded_nbytes(X, kept_per_row) -> int:
    """Bytes of ``X[rows]`` plus int64 labels and float64 weights, before taking.

    ``kept_per_row[i]`` is how many times row ``i`` of ``X`` (from
    :func:`rows_source`) is repeated.
    """
    n_kept = int(kept_per_row.sum())
    if hasattr(X, "iloc"):
        row_bytes = X.memory_usage(index=True, deep=False).sum() / max(len(X), 1)
        x_bytes = row_bytes * n_kept
    elif sp.issparse(X):
        entry_bytes = X.data.itemsize + X.indices.itemsize
        x_bytes = np.diff(X.indptr) @ kept_per_row * entry_bytes
        x_bytes += (n_kept + 1) * X.indptr.itemsize
    else:
        x_bytes = n_kept * X.itemsize * int(np.prod(X.shape[1:]))
    return int(x_bytes) + n_kept * (np.dtype(np.intp).itemsize + 8)


def take_rows(X, rows):
    """Rows of a DataFrame, sparse matrix, array or list, by position.

    Goes through :func:`rows_source`, which returns an ``X`` it already
    produced unchanged (no copy), so callers may convert once and take many
    times.
    """
    X = rows_source(X)
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def take_param_rows(params, rows, n_samples):
    """Fit parameters for the expanded rows: per-sample ones are taken at ``rows``.

    A parameter is per-sample if it is array-like with ``n_samples`` entries
    (as scikit-learn's meta-estimators index them); others pass unchanged.
    """

    def per_sample(value):
        if hasattr(value, "shape"):
            return len(value.shape) >= 1 and value.shape[0] == n_samples
        return isinstance(value, list | tuple) and len(value) == n_samples

    return {
        key: take_rows(rows_source(value), rows) if per_sample(value) else value
        for key, value in params.items()
    }
