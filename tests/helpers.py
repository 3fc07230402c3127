"""What several test modules share: scaled copies of scikit-learn's small data
sets, a recorder of the warnings an action emits, and the check that a loss
copies no sparse ``X`` per evaluation."""

import tracemalloc
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.preprocessing import StandardScaler


def load_digits_head(return_X_y=True):
    """The first 400 of scikit-learn's digits: all 10 classes and the 64
    pixels, about a fifth of the rows. Where a test needs many classes, not many
    rows, its fits cost a fraction (the products stay below the size at which
    BLAS starts threads)."""
    X, y = load_digits(return_X_y=return_X_y)
    return X[:400], y[:400]


LOADERS = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
    "digits_head": load_digits_head,
}


def load_scaled(name):
    """``(X, y)`` of the named data set, ``X`` standardised (a fresh copy)."""
    X, y = LOADERS[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


def recorded(action):
    """The warnings ``action()`` emits, every one (none filtered out)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    return caught


def sparse_on_a_larger_buffer(n_samples=1000, n_features=300, density=0.05):
    """A CSR matrix whose ``data`` is a view of a buffer eleven times larger,
    as after ``sum_duplicates`` or slicing: scipy's own ``X.T`` copies such
    arrays on every call."""
    X = sp.random(n_samples, n_features, density=density, format="csr", random_state=0)
    X.data = np.concatenate([X.data, np.zeros(10 * X.nnz)])[: X.nnz]
    return X


def assert_no_copy_per_evaluation(loss, coef, X):
    """One more ``loss.loss_gradient(coef)`` (after a first, which allocates
    the loss's buffers) allocates less than ``X.data``: ``X`` is not copied.
    Returns that evaluation."""
    loss.loss_gradient(coef)
    tracemalloc.start()
    try:
        evaluation = loss.loss_gradient(coef)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X.data.nbytes
    return evaluation
