"""Each epsilon of a fold's path is timed by its own fit, also when the
learner walks the path itself (``fit_path``): ``mean_fit_time`` per epsilon."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

import sksmooth.model_selection._walk as path_module
from sksmooth import LabelSmoothingClassifierCV, SoftmaxRegression
from sksmooth._capabilities import PathCapabilities


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


class Clock:
    """A stand-in for the ``time`` module: only the points move it."""

    now = 0.0

    def perf_counter(self):
        return self.now


CLOCK = Clock()


class TimedPath(SoftmaxRegression):
    """Each point of its path takes ``1 + 10 * epsilon`` on :data:`CLOCK`."""

    def fit_path(
        self, X, y, epsilons, *, method="uniform", sample_weight=None, callback=None
    ):
        def done(i):
            CLOCK.now += 1.0 + 10 * epsilons[i]
            if callback is not None:
                callback(i)

        return super().fit_path(
            X, y, epsilons, method=method, sample_weight=sample_weight, callback=done
        )

    def _path_capabilities(self):  # a path of one C, timed
        return PathCapabilities(timed=True)


def test_fit_path_calls_back_after_each_point_in_order(iris):
    X, y = iris
    calls = []
    path = SoftmaxRegression().fit_path(X, y, [0.2, 0.0, 0.1], callback=calls.append)
    # the L-BFGS path walks from the largest epsilon down
    assert calls == [0, 2, 1] and len(path) == 3
    calls = []
    SoftmaxRegression().fit_path(
        X, y, [0.2, 0.0, 0.1], Cs=[0.1, 1.0], callback=calls.append
    )
    # with a C grid, epsilon = 0 first (as LogisticRegressionCV walks C, the
    # smallest first), then each C's other epsilons from the largest down
    assert calls == [1, 4, 0, 2, 3, 5]
    calls = []
    newton = SoftmaxRegression(solver="newton-cg")
    newton.fit_path(X, y, [0.2, 0.0, 0.1], callback=calls.append)
    assert calls == [0, 1, 2]  # the order given


def test_each_epsilon_gets_its_own_fit_time(iris, monkeypatch):
    X, y = iris
    monkeypatch.setattr(path_module, "time", CLOCK)
    search = LabelSmoothingClassifierCV(TimedPath(), epsilons=[0, 0.1, 0.3], cv=2)
    results = search.fit(X, y).cv_results_
    # walked downward (0.3 first), reported in the grid's order
    np.testing.assert_allclose(results["mean_fit_time"], [1.0, 2.0, 4.0])
    np.testing.assert_allclose(results["std_fit_time"], 0.0, atol=1e-12)
