"""What the search says: its convergence warning in its own terms
(``model_selection._report.warn_unconverged``), the scale test behind it, one
line per fold path with ``verbose=1`` and the progress listener."""

import re

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from sksmooth import LabelSmoothingClassifierCV, SoftmaxRegression, SoftMLPClassifier
from sksmooth.model_selection._report import search_progress, unscaled_columns
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
        SoftmaxRegression(max_iter=12), param_grid=C_GRID, epsilons=[0, 0.1], cv=3
    )
    message = convergence_message(search, X, y)
    assert message.startswith("6 of 25 inner fits of SoftmaxRegression")
    assert "weakly regularised fits, the largest C of the grid" in message
    assert "3 at C=10000, 3 at C=1000" in message
    assert "LabelSmoothingClassifierCV(SoftmaxRegression(max_iter=120), ...)" in message
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


# ----------------------------------------------------------------- progress
LINE = re.compile(
    r"\[CV (\d)/3\] (.+): 2 epsilons( each)? in [0-9.e+-]+ s \((\d+)/(\d+) fold paths\)"
)


def test_verbose_prints_one_line_per_fold_path(capsys):
    X, y = load_scaled("wine")
    LabelSmoothingClassifierCV(
        SoftmaxRegression(), param_grid=C_GRID, epsilons=[0, 0.1], cv=3, verbose=1
    ).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "Fitting 3 folds for each of 4 settings: 3 fold paths (settings that "
        "differ only in C share one)"
    )
    matches = [LINE.fullmatch(line) for line in lines[1:]]
    assert all(matches) and len(matches) == 3, lines
    assert [m.group(1) for m in matches] == ["1", "2", "3"]
    assert {m.group(2) for m in matches} == {"4 values of C (0.001 to 10000)"}
    assert [m.group(4) for m in matches] == ["1", "2", "3"]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_verbose_lines_name_each_setting_and_count_every_path(capsys):
    X, y = load_scaled("wine")
    LabelSmoothingClassifierCV(
        SoftMLPClassifier((4,), max_iter=10, random_state=0),
        param_grid={"alpha": [0.1, 1.0]},
        epsilons=[0, 0.1],
        cv=3,
        n_jobs=2,
        verbose=1,
    ).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Fitting 3 folds for each of 2 settings: 6 fold paths"
    matches = [LINE.fullmatch(line) for line in lines[1:]]
    assert all(matches) and len(matches) == 6, lines
    assert [m.group(2) for m in matches] == ["{'alpha': 0.1}"] * 3 + [
        "{'alpha': 1.0}"
    ] * 3
    assert [int(m.group(4)) for m in matches] == list(range(1, 7))


def test_quiet_by_default(capsys):
    X, y = load_scaled("wine")
    LabelSmoothingClassifierCV(epsilons=[0, 0.1], cv=3).fit(X, y)
    assert capsys.readouterr().out == ""


def test_the_listener_hears_every_path_in_order():
    X, y = load_scaled("wine")
    heard = []
    with search_progress(lambda *args: heard.append(args)):
        LabelSmoothingClassifierCV(
            SoftmaxRegression(), param_grid=None, epsilons=[0, 0.1], cv=3
        ).fit(X, y)
    assert [(done, total) for done, total, _ in heard] == [(1, 3), (2, 3), (3, 3)]
    seconds = [s for _, _, s in heard]
    assert seconds == sorted(seconds) and seconds[0] >= 0
    heard.clear()  # outside the block, nobody listens
    LabelSmoothingClassifierCV(epsilons=[0.1], cv=2).fit(X, y)
    assert heard == []
