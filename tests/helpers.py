"""What several test modules share: scaled copies of scikit-learn's small data
sets and a recorder of the warnings an action emits."""

import warnings

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
