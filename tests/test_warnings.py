"""Warnings: sksmooth's own convergence messages deferred per context and
summarised once by the selector, a third-party learner's let through, feature
names checked in the fitted estimator's name, and no other module patched."""

import sys
import threading
import time
import warnings

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.datasets import load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from sksmooth import (
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftmaxRegression,
)
from sksmooth._convergence import deferred_convergence_warnings
from tests.helpers import recorded

pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def wine():
    return load_wine(return_X_y=True)  # unscaled: lbfgs does not converge


def unconverged_fit(X, y):
    SoftmaxRegression(max_iter=2).fit(X, y)


def test_deferral_takes_this_threads_solver_messages_only(wine):
    """Inside the block this thread's solver reports instead of warning, while
    another thread's solver warns as usual; other warnings pass through."""
    X, y = wine
    opened, release = threading.Event(), threading.Event()
    seen = {}

    def deferring():
        with deferred_convergence_warnings() as messages:
            opened.set()
            release.wait(30)
            unconverged_fit(X, y)
            warnings.warn("not a solver's", UserWarning, stacklevel=1)
        seen["messages"] = messages

    thread = threading.Thread(target=deferring)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        thread.start()
        assert opened.wait(30)
        unconverged_fit(X, y)  # the main thread's fit, while the block is open
        release.set()
        thread.join(60)
    categories = sorted(w.category.__name__ for w in shown)
    assert categories == ["ConvergenceWarning", "UserWarning"]
    [message] = seen["messages"]
    assert message.startswith("SoftmaxRegression did not converge")


@pytest.mark.parametrize("backend", [None, "threading"])
def test_selector_warns_once_for_its_unconverged_inner_fits(wine, backend):
    X, y = wine
    search = LabelSmoothingClassifierCV(
        SoftmaxRegression(max_iter=2), epsilons=[0.0, 0.1], cv=3, n_jobs=2
    )
    if backend is None:
        shown = recorded(lambda: search.fit(X, y))
    else:
        with parallel_backend(backend, n_jobs=2):
            shown = recorded(lambda: search.fit(X, y))
    convergence = [w for w in shown if issubclass(w.category, ConvergenceWarning)]
    assert len(convergence) == 1
    message = str(convergence[0].message)
    # 3 folds x 2 epsilons, and the refit
    assert message.startswith("7 of 7 inner fits of SoftmaxRegression")
    assert "max_iter" in message
    assert convergence[0].filename == __file__


def test_third_party_learners_warnings_pass_through(wine):
    """As in GridSearchCV: LogisticRegression's own warnings, not a summary."""
    X, y = wine
    search = LabelSmoothingClassifierCV(
        LogisticRegression(max_iter=20), epsilons=[0.0, 0.1], cv=3
    )
    shown = recorded(lambda: search.fit(X, y))
    convergence = [w for w in shown if issubclass(w.category, ConvergenceWarning)]
    assert len(convergence) == 7  # every fold fit and the refit, sequentially
    assert not any("inner fits of" in str(w.message) for w in convergence)


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
def test_feature_names_warning_names_the_fitted_estimator_first(estimator):
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 2)), columns=["a", "b"])
    y = np.arange(40) % 2
    estimator.fit(X, y)
    for method in ("predict", "predict_proba", "predict_log_proba"):
        shown = recorded(lambda m=method: getattr(estimator, m)(X.to_numpy()))
        # the inner model's own check may follow (scikit-learn's meta-estimators
        # let it); the first warning names the estimator the user fitted
        assert str(shown[0].message) == (
            "X does not have valid feature names, but "
            f"{type(estimator).__name__} was fitted with feature names"
        ), method
    assert not recorded(lambda: estimator.predict_proba(X))


# The packages sksmooth uses (and so could patch): every module of each is
# polled. Not every module in the process: some rebind their own globals as they
# run (hypothesis times the garbage collector in module globals).
POLLED = {
    "builtins",
    "contextvars",
    "joblib",
    "numpy",
    "scipy",
    "sklearn",
    "threading",
    "threadpoolctl",
    "warnings",
}


def module_attributes():
    """``{(module, name): id(value)}`` of every module of :data:`POLLED`."""
    return {
        (module_name, name): id(value)
        for module_name, module in list(sys.modules.items())
        if module is not None and module_name.partition(".")[0] in POLLED
        for name, value in list(vars(module).items())
        if name != "__warningregistry__"
    }


class Poller:
    """A second thread that compares every module attribute with the values
    they had when it started, until stopped; ``changed`` lists the
    reassigned ones (attributes added meanwhile, e.g. by imports, are not
    reassignments)."""

    def __init__(self):
        self.before = module_attributes()
        self.changed = set()
        self.passes = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        warn = warnings.warn
        while not self.stop.is_set():
            now = module_attributes()
            self.changed |= {
                key
                for key, value in now.items()
                if key in self.before and self.before[key] != value
            }
            for _ in range(200):  # the one a relay would patch, more often
                if warnings.warn is not warn:
                    self.changed.add(("warnings", "warn"))
                time.sleep(0)
            self.passes += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(60)


def fit_predict_score(X_frame, y):
    X = X_frame.to_numpy()
    for estimator in (
        LabelSmoothingClassifier(SoftmaxRegression(max_iter=3)),
        LabelSmoothingClassifier(LogisticRegression(max_iter=3)),
        LabelSmoothingClassifierCV(
            SoftmaxRegression(max_iter=3), epsilons=[0.0, 0.1], cv=2
        ),
    ):
        estimator.fit(X_frame, y)
        estimator.predict(X)  # a feature-names warning, in the estimator's name
        estimator.predict_proba(X_frame)
        estimator.score(X_frame, y)


def test_no_attribute_of_another_module_is_reassigned(wine):
    """Polled from a second thread during fits, predictions and scores that
    warn (unconverged fits, missing feature names): ``warnings.warn`` and
    every other module attribute keep their values."""
    X, y = wine
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    fit_predict_score(frame, y)  # imports and caches settle first
    original_warn = warnings.warn
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # before the poller takes its snapshot
        with Poller() as poller:
            start = poller.passes
            runs = 0
            while poller.passes < start + 3 or runs < 3:  # overlapping passes
                fit_predict_score(frame, y)
                runs += 1
    assert warnings.warn is original_warn
    assert poller.changed == set()


def test_the_poller_sees_a_reassigned_attribute():
    """The check above can fail: a reassignment held for two of the poller's
    passes is seen."""
    original_warn = warnings.warn
    with Poller() as poller:
        start = poller.passes
        warnings.warn = lambda *args, **kwargs: None
        try:
            while poller.passes < start + 2:
                threading.Event().wait(0.01)
        finally:
            warnings.warn = original_warn
    assert ("warnings", "warn") in poller.changed
