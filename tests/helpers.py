"""What several test modules share: scaled copies of scikit-learn's small data
sets, a recorder of the warnings an action emits, the check that a loss
copies no sparse ``X`` per evaluation, and the forward-corrected loss written
from its definition (with a transition matrix to try it on)."""

import tracemalloc
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.special import softmax
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


def transition(n_classes, epsilon=0.3, seed=0):
    """A row-stochastic, diagonally dominant T with unequal off-diagonals."""
    S = np.random.default_rng(seed).uniform(0.1, 1.0, (n_classes, n_classes))
    np.fill_diagonal(S, 0.0)
    S /= S.sum(axis=1, keepdims=True)
    return (1 - epsilon) * np.eye(n_classes) + epsilon * S


def forward_loss(Z, Y, w, T, verified=None):
    """Written from the definition: ``-sum_i w_i sum_k Y_ik log q_ik`` with
    ``q_i = softmax(z_i) @ T``, or ``softmax(z_i)`` itself on ``verified``
    rows; ``Z`` of shape (n, K) logits."""
    p = softmax(Z, axis=1)
    q = p @ T if verified is None else np.where(verified[:, None], p, p @ T)
    return -float(np.sum(w[:, None] * Y * np.log(q)))


def head_value_and_gradient(head, logits):
    """A loss head's value and gradient (a copy) at ``logits``."""
    head.logits[...] = logits
    value = head.loss_and_gradient()
    return value, head.logits.copy()
