"""Warnings: collected per thread, summarised by the selector, named right."""

import threading
import warnings

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.datasets import load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from sksmooth import LabelSmoothingClassifier, LabelSmoothingClassifierCV
from sksmooth._warnings import collected_warnings

pd = pytest.importorskip("pandas")


def recorded(action):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    return caught


def test_collector_takes_its_category_and_pattern_only():
    original = warnings.warn
    with collected_warnings(RuntimeWarning, match="^slow") as caught:
        shown = recorded(
            lambda: (
                warnings.warn("slow fit", RuntimeWarning, stacklevel=1),
                warnings.warn("fast fit", RuntimeWarning, stacklevel=1),
                warnings.warn("slow too", UserWarning, stacklevel=1),
            )
        )
    assert caught == ["slow fit"]
    assert [str(w.message) for w in shown] == ["fast fit", "slow too"]
    assert warnings.warn is original


def test_passed_through_warning_points_at_its_caller():
    with collected_warnings(RuntimeWarning):
        shown = recorded(lambda: warnings.warn("here", UserWarning, stacklevel=1))
    assert shown[0].filename == __file__


def test_other_threads_warnings_are_not_collected():
    """A collector open in one thread leaves another thread's warnings alone,
    and the last one to close restores ``warnings.warn``."""
    original = warnings.warn
    opened, release = threading.Event(), threading.Event()
    seen = {}

    def collecting():
        with collected_warnings(UserWarning) as caught:
            opened.set()
            release.wait(5)
            warnings.warn("mine", stacklevel=1)
        seen["caught"] = caught

    thread = threading.Thread(target=collecting)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        thread.start()
        assert opened.wait(5)
        warnings.warn("the main thread's", stacklevel=1)
        release.set()
        thread.join(5)
    assert [str(w.message) for w in shown] == ["the main thread's"]
    assert seen["caught"] == ["mine"]
    assert warnings.warn is original


@pytest.fixture(scope="module")
def wine():
    return load_wine(return_X_y=True)  # unscaled: lbfgs does not converge


@pytest.mark.parametrize("backend", [None, "threading"])
def test_selector_warns_once_for_its_unconverged_inner_fits(wine, backend):
    X, y = wine
    search = LabelSmoothingClassifierCV(
        LogisticRegression(max_iter=20), epsilons=[0.0, 0.1], cv=3, n_jobs=2
    )
    if backend is None:
        shown = recorded(lambda: search.fit(X, y))
    else:
        with parallel_backend(backend, n_jobs=2):
            shown = recorded(lambda: search.fit(X, y))
    convergence = [w for w in shown if issubclass(w.category, ConvergenceWarning)]
    assert len(convergence) == 1
    message = str(convergence[0].message)
    assert message.startswith("7 of 7 inner fits of LogisticRegression")
    assert "max_iter" in message
    assert convergence[0].filename == __file__


def test_selector_is_silent_when_every_inner_fit_converges(wine):
    X, y = wine
    search = LabelSmoothingClassifierCV(epsilons=[0.0, 0.1], cv=3)
    X = (X - X.mean(0)) / X.std(0)
    assert not recorded(lambda: search.fit(X, y))


@pytest.mark.parametrize(
    "estimator",
    [LabelSmoothingClassifier(), LabelSmoothingClassifierCV(epsilons=[0.1], cv=2)],
    ids=["meta", "cv"],
)
def test_feature_names_warning_names_the_fitted_estimator(estimator):
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 2)), columns=["a", "b"])
    y = np.arange(40) % 2
    estimator.fit(X, y)
    for method in ("predict", "predict_proba", "predict_log_proba"):
        shown = recorded(lambda m=method: getattr(estimator, m)(X.to_numpy()))
        assert [str(w.message) for w in shown] == [
            "X does not have valid feature names, but "
            f"{type(estimator).__name__} was fitted with feature names"
        ], method
    assert not recorded(lambda: estimator.predict_proba(X))
