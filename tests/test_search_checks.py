"""LabelSmoothingClassifierCV refuses, before any fold is fitted, what a fold
would refuse later: the shape of X, soft targets, an oversized expansion."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sksmooth import LabelSmoothingClassifierCV, SoftmaxRegression


class MustNotFit(LogisticRegression):
    """An expansion-path learner whose fit must not be reached."""

    def fit(self, X, y, sample_weight=None):
        raise AssertionError("an inner fit ran before the up-front checks")


class NativeMustNotFit(SoftmaxRegression):
    def fit(self, X, y, sample_weight=None):
        raise AssertionError("an inner fit ran before the up-front checks")


def small_data():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 20)
    return rng.normal(size=(60, 3)) + y[:, None], y


@pytest.mark.parametrize("shape", ["1d", "3d"])
def test_x_not_2d_is_scikit_learns_error_before_any_fold(shape):
    X, y = small_data()
    X = X[:, 0] if shape == "1d" else X[:, :, None]
    search = LabelSmoothingClassifierCV(NativeMustNotFit(), epsilons=[0, 0.1], cv=2)
    with pytest.raises(ValueError) as raised:
        search.fit(X, y)
    message = str(raised.value)
    assert message.startswith("Expected 2D array" if shape == "1d" else "Found array")
    assert "fold" not in message and "epsilon" not in message


def test_soft_targets_point_to_label_smoothing_classifier():
    X, y = small_data()
    search = LabelSmoothingClassifierCV(NativeMustNotFit(), epsilons=[0, 0.1], cv=2)
    with pytest.raises(ValueError, match=r"shape \(60, 3\).*LabelSmoothingClassifier"):
        search.fit(X, np.eye(3)[y])


@pytest.mark.parametrize(
    "param_grid", [{"epsilon": [0, 0.1]}, [{"C": [1.0]}, {"epsilon": [0.1], "C": [1]}]]
)
def test_epsilon_in_param_grid_names_the_epsilons_parameter(param_grid):
    X, y = small_data()
    search = LabelSmoothingClassifierCV(NativeMustNotFit(), param_grid=param_grid)
    with pytest.raises(ValueError, match="must not hold 'epsilon'.*epsilons parameter"):
        search.fit(X, y)


def big_view(n_samples, n_features):
    """A float64 ``(n_samples, n_features)`` array that holds 8 bytes."""
    return np.broadcast_to(np.float64(0.0), (n_samples, n_features))


@pytest.mark.parametrize(
    ("n_samples", "where"),
    [
        # 3 folds of 20,000 rows x 3 classes x 8,000 bytes: 458 MiB at epsilon > 0
        (30_000, "training part of fold 0"),
        # folds of 10,000 rows (229 MiB) pass; the refit's 15,000 (343 MiB) not
        (15_000, "refit on all 15000 samples"),
    ],
)
def test_an_oversized_expansion_is_refused_before_any_fit(n_samples, where):
    X = big_view(n_samples, 1000)
    y = np.arange(n_samples) % 3
    search = LabelSmoothingClassifierCV(MustNotFit(), epsilons=[0.0, 0.05, 0.2], cv=3)
    with pytest.raises(ValueError) as raised:
        search.fit(X, y)
    message = str(raised.value)
    assert "MustNotFit does not take soft targets" in message
    assert f"at epsilon=0.2, the largest of the grid, the {where}" in message
    assert "max_expansion_mib" in message


def test_an_expansion_within_the_limit_is_not_refused():
    # 600 rows: far below the limit, the search fits as before
    rng = np.random.default_rng(0)
    y = np.arange(600) % 3
    X = rng.normal(size=(600, 4)) + y[:, None]
    search = LabelSmoothingClassifierCV(LogisticRegression(), epsilons=[0, 0.1], cv=2)
    assert search.fit(X, y).epsilon_ in (0.0, 0.1)
