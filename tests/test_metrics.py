"""Calibration metrics against direct computations written here."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris
from sklearn.metrics import log_loss, make_scorer
from sklearn.model_selection import KFold, cross_val_score
from sklearn.preprocessing import StandardScaler

from sksmooth import (
    LabelSmoothingClassifier,
    SoftmaxRegression,
    SoftMLPClassifier,
    smooth_labels,
)
from sksmooth.metrics import (
    classwise_calibration_error,
    expected_calibration_error,
    neg_soft_log_loss,
    soft_log_loss,
)


def direct_ece(y_true, y_prob, n_bins):
    """Top-label ECE with equal-width bins (lo, hi], a loop over bins."""
    confidence = y_prob.max(axis=1)
    correct = y_prob.argmax(axis=1) == y_true
    total = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        in_bin = (confidence > lo) & (confidence <= hi)
        if b == 0:
            in_bin |= confidence == 0
        if in_bin.any():
            gap = abs(correct[in_bin].mean() - confidence[in_bin].mean())
            total += in_bin.mean() * gap
    return total


def test_hand_worked_six_samples():
    # confidences 0.95 0.9 0.85 (bin (0.8, 1]) and 0.6 0.55 0.7 (bin (0.5, 0.75])
    # with n_bins=4. First bin: 2 of 3 correct, mean conf 0.9 -> |0.667-0.9|.
    # Second: 1 of 3 correct, mean conf 0.6167 -> |0.333-0.6167|.
    y_prob = np.array(
        [
            [0.95, 0.05],
            [0.1, 0.9],
            [0.85, 0.15],
            [0.4, 0.6],
            [0.55, 0.45],
            [0.3, 0.7],
        ]
    )
    y_true = np.array([0, 1, 1, 0, 0, 0])
    # first bin: rows 0, 1, 2 -> correct, correct, wrong
    # second bin: rows 3, 4, 5 -> wrong, correct, wrong
    expected = 0.5 * abs(2 / 3 - 0.9) + 0.5 * abs(1 / 3 - (0.6 + 0.55 + 0.7) / 3)
    assert expected_calibration_error(y_true, y_prob, n_bins=4) == pytest.approx(
        expected
    )


@pytest.mark.parametrize("n_classes", [2, 5])
@pytest.mark.parametrize("n_bins", [1, 7, 15])
def test_matches_direct_per_bin_computation(n_classes, n_bins):
    rng = np.random.default_rng(n_classes * 100 + n_bins)
    y_prob = rng.dirichlet(np.ones(n_classes) * 0.5, size=500)
    y_true = rng.integers(0, n_classes, size=500)
    assert_allclose(
        expected_calibration_error(y_true, y_prob, n_bins=n_bins),
        direct_ece(y_true, y_prob, n_bins),
        rtol=1e-12,
    )


def test_perfectly_calibrated_case_scores_zero():
    # Every sample has confidence 0.75 and exactly 3 in 4 are right.
    y_prob = np.tile([0.75, 0.25], (400, 1))
    y_true = np.array([0, 0, 0, 1] * 100)
    assert expected_calibration_error(y_true, y_prob) == pytest.approx(0, abs=1e-12)
    assert classwise_calibration_error(y_true, y_prob) == pytest.approx(0, abs=1e-12)


def test_classwise_matches_per_class_direct_computation():
    rng = np.random.default_rng(0)
    y_prob = rng.dirichlet(np.ones(3), size=300)
    y_true = rng.integers(0, 3, size=300)
    per_class = []
    for k in range(3):
        p, hit = y_prob[:, k], (y_true == k).astype(float)
        total = 0.0
        for b in range(10):
            in_bin = (p > b / 10) & (p <= (b + 1) / 10)
            if in_bin.any():
                total += in_bin.mean() * abs(hit[in_bin].mean() - p[in_bin].mean())
        per_class.append(total)
    assert classwise_calibration_error(y_true, y_prob, n_bins=10) == pytest.approx(
        np.mean(per_class)
    )


def test_quantile_bins_hold_equal_counts():
    rng = np.random.default_rng(1)
    y_prob = rng.dirichlet(np.ones(2), size=100)
    y_true = rng.integers(0, 2, size=100)
    value = expected_calibration_error(y_true, y_prob, n_bins=4, strategy="quantile")
    confidence = y_prob.max(axis=1)
    order = np.argsort(confidence)
    correct = (y_prob.argmax(axis=1) == y_true)[order]
    conf = confidence[order]
    expected = np.mean(
        [
            abs(correct[i : i + 25].mean() - conf[i : i + 25].mean())
            for i in range(0, 100, 25)
        ]
    )
    assert value == pytest.approx(expected)


def test_string_labels_one_dimensional_binary_and_scorer():
    y_true = np.array(["no", "yes", "yes", "no"])
    p_yes = np.array([0.1, 0.8, 0.4, 0.3])
    full = np.column_stack([1 - p_yes, p_yes])
    assert expected_calibration_error(y_true, p_yes) == expected_calibration_error(
        y_true, full, labels=["no", "yes"]
    )
    X, y = load_iris(return_X_y=True)
    scorer = make_scorer(
        expected_calibration_error,
        greater_is_better=False,
        response_method="predict_proba",
    )
    scores = cross_val_score(
        SoftmaxRegression(max_iter=500), X, y, cv=3, scoring=scorer
    )
    assert np.all(scores <= 0) and np.all(scores > -1)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"n_bins": 0}, "n_bins must be a positive int"),
        ({"strategy": "equal"}, "strategy must be one of"),
        ({"y_prob": np.full((4, 2), 0.7)}, "sum to one"),
        ({"y_prob": np.array([[1.2, -0.2]] * 4)}, r"in \[0, 1\]"),
        ({"y_prob": np.full((4, 3), 1 / 3)}, "3 columns but there are 2 labels"),
        ({"y_true": [0, 1, 2, 0]}, "3 columns|labels"),
        ({"y_prob": np.full((3, 2), 0.5)}, "inconsistent numbers of samples"),
        ({"labels": [0, 2]}, r"not in labels"),
    ],
)
def test_bad_inputs(kwargs, fragment):
    args = {"y_true": [0, 1, 1, 0], "y_prob": np.full((4, 2), 0.5)}
    args.update(kwargs)
    y_true, y_prob = args.pop("y_true"), args.pop("y_prob")
    with pytest.raises(ValueError, match=fragment):
        expected_calibration_error(y_true, y_prob, **args)


# ------------------------------------------------- the log-loss of soft targets
def test_soft_log_loss_by_hand():
    Y = np.array([[0.7, 0.3], [0.2, 0.8]])
    P = np.array([[0.6, 0.4], [0.5, 0.5]])
    by_hand = -(0.7 * np.log(0.6) + 0.3 * np.log(0.4) + np.log(0.5)) / 2
    assert soft_log_loss(Y, P) == pytest.approx(by_hand)
    weighted = -(3 * (0.7 * np.log(0.6) + 0.3 * np.log(0.4)) + np.log(0.5)) / 4
    assert soft_log_loss(Y, P, sample_weight=[3, 1]) == pytest.approx(weighted)
    # a binary predict_proba scorer passes the probability of the second class
    assert soft_log_loss(Y, P[:, 1]) == pytest.approx(by_hand)


def test_soft_log_loss_of_labels_and_one_hot_rows_is_scikit_learns():
    rng = np.random.default_rng(0)
    y = np.array(["b", "a", "c", "c", "a"])
    P = rng.dirichlet(np.ones(3), size=5)
    onehot = (y[:, None] == np.array(["a", "b", "c"])).astype(float)
    assert soft_log_loss(y, P) == pytest.approx(log_loss(y, P))
    assert soft_log_loss(onehot, P) == pytest.approx(log_loss(y, P))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "make",
    [
        lambda: SoftmaxRegression(max_iter=500),
        lambda: SoftMLPClassifier((8,), max_iter=300, random_state=0),
        lambda: LabelSmoothingClassifier(SoftmaxRegression(max_iter=500)),
    ],
    ids=["softmax", "mlp", "meta"],
)
def test_neg_soft_log_loss_scorer_in_cross_val_score(make):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    rng = np.random.default_rng(0)
    Y = 0.8 * smooth_labels(y, epsilon=0.1) + 0.2 * rng.dirichlet(np.ones(3), 150)
    folds = KFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(make(), X, Y, cv=folds, scoring=neg_soft_log_loss)
    expected = []
    for train, test in folds.split(X):
        proba = make().fit(X[train], Y[train]).predict_proba(X[test])
        expected.append(np.mean(np.sum(Y[test] * np.log(proba), axis=1)))
    np.testing.assert_allclose(scores, expected, rtol=1e-10)


@pytest.mark.parametrize(
    "y_true, y_prob, fragment",
    [
        (np.full((2, 3), 1 / 3), np.full((2, 2), 0.5), "3 columns but y_prob has 2"),
        (np.array([[0.5, 0.6], [1, 0]]), np.full((2, 2), 0.5), "sum to one"),
        (np.full((2, 2), 0.5), np.array([[1.2, -0.2]] * 2), r"in \[0, 1\]"),
        (np.full((3, 2), 0.5), np.full((2, 2), 0.5), "inconsistent numbers"),
    ],
)
def test_soft_log_loss_bad_inputs(y_true, y_prob, fragment):
    with pytest.raises(ValueError, match=fragment):
        soft_log_loss(y_true, y_prob)
