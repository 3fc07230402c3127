"""What several test modules share: scaled copies of scikit-learn's small data
sets and a recorder of the warnings an action emits."""

import warnings

from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.preprocessing import StandardScaler

LOADERS = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
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
