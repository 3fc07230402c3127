"""Soft targets in and out of the learners and the meta-estimator: scoring a
soft-target matrix (accuracy against each row's most probable class, and the
soft log-loss scorer), and a DataFrame of soft targets whose columns name the
classes."""

import importlib.util

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score
from sklearn.model_selection import KFold, cross_val_score

from sksmooth import (
    LabelSmoothingClassifier,
    SoftLGBMClassifier,
    SoftmaxRegression,
    SoftMLPClassifier,
    smooth_labels,
)
from sksmooth.metrics import neg_soft_log_loss
from tests.helpers import load_scaled

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

LEARNERS = {
    "softmax": lambda: SoftmaxRegression(max_iter=500),
    "mlp": lambda: SoftMLPClassifier((8,), max_iter=50, random_state=0),
    "meta": lambda: LabelSmoothingClassifier(SoftmaxRegression(max_iter=500)),
}
if importlib.util.find_spec("lightgbm") is not None:  # the lightgbm extra
    LEARNERS["lgbm"] = lambda: SoftLGBMClassifier(
        n_estimators=10, early_stopping=False, n_jobs=1, verbose=-1
    )
NAMES = np.array(["cat", "dog", "owl"])


def soft_iris(seed=0):
    """Iris with soft targets: smoothed labels, mixed with a random row, so
    that no row is one-hot and the argmax is still the label."""
    X, y = load_scaled("iris")
    rng = np.random.default_rng(seed)
    noise = rng.dirichlet(np.ones(3), size=len(y))
    Y = 0.8 * smooth_labels(y, epsilon=0.1) + 0.2 * noise
    return X, y, Y


@pytest.mark.parametrize("name", LEARNERS)
def test_score_of_soft_targets_is_accuracy_against_their_argmax(name):
    X, _, Y = soft_iris()
    model = LEARNERS[name]().fit(X, Y)
    expected = accuracy_score(np.argmax(Y, axis=1), model.predict(X))
    assert model.score(X, Y) == pytest.approx(expected)
    weights = np.linspace(0.5, 2, len(Y))
    expected = accuracy_score(
        np.argmax(Y, axis=1), model.predict(X), sample_weight=weights
    )
    assert model.score(X, Y, sample_weight=weights) == pytest.approx(expected)


@pytest.mark.parametrize("name", LEARNERS)
def test_cross_val_score_on_soft_targets(name):
    X, _, Y = soft_iris()
    folds = KFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(LEARNERS[name](), X, Y, cv=folds, error_score="raise")
    expected = [
        accuracy_score(
            np.argmax(Y[test], axis=1),
            LEARNERS[name]().fit(X[train], Y[train]).predict(X[test]),
        )
        for train, test in folds.split(X)
    ]
    np.testing.assert_allclose(scores, expected)


@pytest.mark.parametrize(
    "Y, fragment",
    [
        (np.full((150, 4), 0.25), "4 columns, but the model has 3 classes"),
        (np.full((150, 3), 0.5), "sum to one"),
        (pd.DataFrame(np.full((150, 3), 1 / 3), columns=["a", "b", "c"]), "columns"),
    ],
)
def test_score_refuses_soft_targets_that_do_not_fit_the_classes(Y, fragment):
    X, _, Y_fit = soft_iris()
    model = SoftmaxRegression(max_iter=500).fit(X, Y_fit)
    with pytest.raises(ValueError, match=fragment):
        model.score(X, Y)


# ------------------------------------------- a DataFrame's columns are classes
@pytest.mark.parametrize("name", LEARNERS)
def test_a_soft_target_frame_names_the_classes(name):
    """Columns in any order: classes_ are the names, sorted, and the model is
    the one fitted on the matrix with its columns in that order."""
    X, _, Y = soft_iris()
    order = [2, 0, 1]  # owl, cat, dog
    frame = pd.DataFrame(Y[:, order], columns=NAMES[order])
    model = LEARNERS[name]().fit(X, frame)
    reference = LEARNERS[name]().fit(X, Y)
    assert model.classes_.tolist() == ["cat", "dog", "owl"]
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X))
    np.testing.assert_array_equal(model.predict(X), NAMES[reference.predict(X)])


def test_class_weight_names_a_frames_classes():
    X, _, Y = soft_iris()
    frame = pd.DataFrame(Y, columns=NAMES)
    weighted = SoftmaxRegression(max_iter=500, class_weight={"owl": 3.0})
    reference = SoftmaxRegression(max_iter=500, class_weight={2: 3.0}).fit(X, Y)
    np.testing.assert_allclose(
        weighted.fit(X, frame).predict_proba(X), reference.predict_proba(X)
    )


def test_integer_column_names_are_the_classes():
    X, _, Y = soft_iris()
    model = SoftmaxRegression(max_iter=500).fit(
        X, pd.DataFrame(Y, columns=[10, 20, 30])
    )
    assert model.classes_.tolist() == [10, 20, 30]
    assert set(model.predict(X)) <= {10, 20, 30}


@pytest.mark.parametrize(
    "columns, fragment",
    [(["cat", "cat", "owl"], "each once"), ([1, "cat", "owl"], "one type")],
)
def test_frame_columns_that_cannot_name_classes_are_refused(columns, fragment):
    X, _, Y = soft_iris()
    model = SoftmaxRegression()
    with pytest.raises(ValueError, match=fragment):
        model.fit(X, pd.DataFrame(Y, columns=columns))
    assert not hasattr(model, "classes_")


def test_score_of_a_soft_target_frame_follows_its_column_names():
    X, _, Y = soft_iris()
    model = SoftmaxRegression(max_iter=500).fit(X, pd.DataFrame(Y, columns=NAMES))
    shuffled = pd.DataFrame(Y[:, [2, 0, 1]], columns=NAMES[[2, 0, 1]])
    expected = accuracy_score(NAMES[np.argmax(Y, axis=1)], model.predict(X))
    assert model.score(X, shuffled) == pytest.approx(expected)


def test_neg_soft_log_loss_aligns_a_frame_by_its_columns():
    X, _, Y = soft_iris()
    model = SoftmaxRegression(max_iter=500).fit(X, pd.DataFrame(Y, columns=NAMES))
    shuffled = pd.DataFrame(Y[:, [1, 2, 0]], columns=NAMES[[1, 2, 0]])
    expected = np.mean(np.sum(Y * model.predict_log_proba(X), axis=1))
    assert neg_soft_log_loss(model, X, shuffled) == pytest.approx(expected)
