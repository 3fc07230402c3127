"""What the search says: its convergence warning in its own terms
(``model_selection._report.warn_unconverged``) and the scale test behind it."""

import re

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from sksmooth import LabelSmoothingClassifierCV, SoftmaxRegression
from sksmooth.model_selection._report import unscaled_columns
from tests.helpers import load_scaled, recorded

C_GRID = {"C": [1e-3, 1e-2, 1e3, 1e4]}


def convergence_message(search, X, y) -> str:
    shown = recorded(lambda: search.fit(X, y))
    [warning] = [w for w in shown if issubclass(w.category, ConvergenceWarning)]
    return " ".join(str(warning.message).split())


def test_unconverged_large_C_on_scaled_data_is_said_in_the_selectors_terms():
    """StandardScaler'd data, the grid's large C stop at max_iter: the advice
    names the weakly regularised fits and the selector's way to more
    iterations, and does not ask to scale scaled data."""
    X, y = load_scaled("breast_cancer")
    search = LabelSmoothingClassifierCV(
        SoftmaxRegression(max_iter=10), param_grid=C_GRID, epsilons=[0, 0.1], cv=3
    )
    message = convergence_message(search, X, y)
    assert message.startswith("6 of 25 inner fits of SoftmaxRegression")
    assert "weakly regularised fits, the largest C of the grid" in message
    assert "3 at C=10000, 3 at C=1000" in message
    assert "LabelSmoothingClassifierCV(SoftmaxRegression(max_iter=100), ...)" in message
    assert "scale" not in message


def test_unscaled_columns_are_named_in_the_advice():
    X, y = load_scaled("breast_cancer")
    X[:, 3] = 1000 * X[:, 3] + 5000
    search = LabelSmoothingClassifierCV(
        SoftmaxRegression(max_iter=10), epsilons=[0, 0.1], cv=3
    )
    message = convergence_message(search, X, y)
    assert "The columns of X are not scaled (column 3 has a root mean square" in message
    assert "make_pipeline(StandardScaler(), LabelSmoothingClassifierCV(...))" in message
    # one setting: no grid of C to speak of
    assert "weakly regularised" not in message and "By C" not in message


def test_unconverged_fits_below_the_grids_median_C_are_only_counted():
    X, y = load_scaled("breast_cancer")
    search = LabelSmoothingClassifierCV(
        SoftmaxRegression(max_iter=1), param_grid=C_GRID, epsilons=[0.1], cv=2
    )
    message = convergence_message(search, X, y)
    assert re.search(r"By C: .*at C=0\.001\.", message)
    assert "weakly regularised" not in message


@pytest.mark.parametrize(
    "columns, expected",
    [
        ({0: np.linspace(-1, 1, 50)}, None),  # unit scale
        ({0: (np.arange(50) % 7 == 0).astype(float)}, None),  # one-hot
        ({0: np.full(50, 0.001) * np.arange(50) / 50}, "column 0 has values of"),
        ({0: np.zeros(50), 1: 40 + np.arange(50.0)}, "column 1 has a root mean"),
    ],
)
def test_unscaled_columns_dense_and_sparse_agree(columns, expected):
    X = np.zeros((50, 3))
    X[:, 2] = np.sign(np.arange(50) - 24.5)  # a standardised-looking column
    for j, values in columns.items():
        X[:, j] = values
    dense, sparse = unscaled_columns(X), unscaled_columns(sp.csr_matrix(X))
    assert dense == sparse
    if expected is None:
        assert dense is None
    else:
        assert dense.startswith(expected)


def test_unscaled_columns_root_mean_square_by_hand():
    X = np.array([[3.0, 0.5], [-30.0, -0.5], [0.0, 0.0], [3.0, 0.5]])
    rms = np.sqrt((9 + 900 + 0 + 9) / 4)  # 15.1
    assert unscaled_columns(X) == f"column 0 has a root mean square of {rms:.2g}"
