"""What a learner's path declares, and a search that goes by the declaration
(not by fit_path's signature, not by the name "C")."""

import functools
from unittest import mock

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

from sksmooth import LabelSmoothingClassifierCV, SoftmaxRegression
from sksmooth._capabilities import PathCapabilities, path_capabilities

GRID = [0.0, 0.1, 0.3]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=150,
        n_features=5,
        n_informative=3,
        n_classes=3,
        n_clusters_per_class=1,
        flip_y=0.1,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


class NoGrid(SoftmaxRegression):
    """Its fit_path still takes Cs, but its path declares no grid."""

    def _path_capabilities(self):
        return PathCapabilities(smooth_predictions=True, timed=True)


class Undeclared(SoftmaxRegression):
    """A fit_path that declares nothing: the plain contract."""

    _path_capabilities = None


def recorded_fit_path_calls(search, X, y):
    """The keyword arguments of every fit_path call while ``search`` fits."""
    calls = []
    original = SoftmaxRegression.fit_path

    @functools.wraps(original)
    def recording(self, *args, **kwargs):
        calls.append(kwargs)
        return original(self, *args, **kwargs)

    with mock.patch.object(SoftmaxRegression, "fit_path", recording):
        search.fit(X, y)
    return calls


def test_softmax_regression_declares_its_path():
    declared = path_capabilities(SoftmaxRegression())
    assert declared.grid_parameter == "C" and declared.grid_argument == "Cs"
    assert declared.smooth_predictions and declared.timed
    # LogisticRegressionCV's default Cs=10
    np.testing.assert_allclose(declared.default_grid, np.logspace(-4, 4, 10))
    assert path_capabilities(Undeclared()) == PathCapabilities()
    assert path_capabilities(object()) is None


def test_the_search_groups_settings_by_the_declared_grid_only(data):
    X, y = data
    param_grid = {"C": [0.1, 1.0]}
    joint = recorded_fit_path_calls(
        LabelSmoothingClassifierCV(
            SoftmaxRegression(), epsilons=GRID, cv=3, param_grid=param_grid
        ),
        X,
        y,
    )
    # one path per fold (the refit is the learner's fit)
    assert [call.get("Cs") for call in joint] == [[0.1, 1.0]] * 3
    apart = recorded_fit_path_calls(
        LabelSmoothingClassifierCV(
            NoGrid(), epsilons=GRID, cv=3, param_grid=param_grid
        ),
        X,
        y,
    )
    # one path per (setting, fold)
    assert len(apart) == 6 and all("Cs" not in call for call in apart)
    assert all("callback" in call for call in apart)  # declared timed


def test_an_undeclared_fit_path_gets_the_plain_contract(data):
    X, y = data
    targets = recorded_fit_path_calls(
        LabelSmoothingClassifierCV(Undeclared(), epsilons=GRID, cv=3), X, y
    )
    assert len(targets) == 3 and all(
        call == {"method": targets[0]["method"], "sample_weight": None}
        for call in targets
    )
    # forward smoothing is not declared: every epsilon is a warm fit instead
    forward = recorded_fit_path_calls(
        LabelSmoothingClassifierCV(
            Undeclared(), epsilons=GRID, cv=3, smooth="predictions"
        ),
        X,
        y,
    )
    assert forward == []


def test_auto_grid_is_the_default_learners_declared_grid(data):
    X, y = data
    search = LabelSmoothingClassifierCV(epsilons=[0.0, 0.1], cv=2).fit(X, y)
    searched = sorted({params["C"] for params in search.cv_results_["params"]})
    np.testing.assert_allclose(searched, np.logspace(-4, 4, 10))
    given = LabelSmoothingClassifierCV(SoftmaxRegression(), epsilons=[0.0, 0.1], cv=2)
    assert "C" not in given.fit(X, y).cv_results_["params"][0]
