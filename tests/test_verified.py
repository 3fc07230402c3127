"""Verified rows in the learners: scored against ``p`` itself, the rest
against ``p @ T``.

Oracles: the mixed loss written from its definition
(``tests.helpers.forward_loss``: ``q_i = softmax(z_i)`` on verified rows and
``softmax(z_i) @ T`` elsewhere; the head's gradient and curvature against it
are tested with the forward head's, in ``test_forward.py``), stationarity of
the objective at the returned solution, and the plain and forward fits at the
two ends (every row verified, none).
"""

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from sklearn import config_context
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sksmooth import (
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftmaxRegression,
    SoftMLPClassifier,
    smooth_labels,
)
from sksmooth._heads import ForwardCrossEntropyHead, make_head
from sksmooth._loss import LinearSoftCrossEntropy
from sksmooth._mlp_loss import MLPSoftCrossEntropy
from sksmooth._verified import encode_verified
from sksmooth.targets import counted_transition
from tests.helpers import forward_loss, head_value_and_gradient, transition

rng = np.random.default_rng(3)


def test_every_row_verified_is_the_plain_head_and_none_the_forward_one():
    codes = np.array([0, 1, 2])
    T = transition(3)
    every = make_head(
        codes,
        None,
        n_classes=3,
        dtype=np.float64,
        transition=T,
        verified=np.ones(3, bool),
    )
    assert type(every).__name__ == "CrossEntropyHead"
    none = ForwardCrossEntropyHead(
        codes,
        None,
        transition=T,
        n_classes=3,
        dtype=np.float64,
        verified=np.zeros(3, bool),
    )
    forward = ForwardCrossEntropyHead(
        codes, None, transition=T, n_classes=3, dtype=np.float64
    )
    Z = rng.normal(size=(3, 3))
    assert head_value_and_gradient(none, Z)[0] == head_value_and_gradient(forward, Z)[0]
    np.testing.assert_array_equal(none.logits, forward.logits)


def linear_objective(coef, X, Y, w, T, verified, C, n_classes):
    """``C * sum_i w_i H(Y_i, q_i) + ||W||^2 / 2``, intercepts unpenalised."""
    n_logits = 1 if n_classes == 2 else n_classes
    d = X.shape[1]
    W = coef[: n_logits * d].reshape(n_logits, d)
    Z = X @ W.T + coef[n_logits * d :]
    if n_classes == 2:
        Z = np.column_stack([np.zeros(len(X)), Z[:, 0]])
    return C * forward_loss(Z, Y, w, T, verified) + 0.5 * float(np.sum(W**2))


def test_linear_and_network_objectives_against_the_definition():
    n, d, K, C = 12, 3, 3, 2.0
    X = rng.normal(size=(n, d))
    codes = np.arange(n) % K
    w = rng.uniform(0.5, 2.0, n)
    T = transition(K)
    verified = np.arange(n) < 5
    loss = LinearSoftCrossEntropy(
        X,
        codes,
        w,
        n_classes=K,
        fit_intercept=True,
        l2_reg_strength=1 / (C * w.sum()),
        transition=T,
        verified=verified,
    )
    coef = rng.normal(size=loss.n_params)
    expected = linear_objective(coef, X, np.eye(K)[codes], w, T, verified, C, K)
    assert loss.loss_gradient(coef)[0] == pytest.approx(expected / (C * w.sum()))
    network = MLPSoftCrossEntropy(
        X,
        codes,
        None,
        n_classes=K,
        hidden_layer_sizes=(4,),
        activation="tanh",
        alpha=0.0,
        transition=T,
        verified=verified,
    )
    flat = rng.normal(size=network.n_params)
    coefs, intercepts = network.unpack(flat)
    Z = np.tanh(X @ coefs[0] + intercepts[0]) @ coefs[1] + intercepts[1]
    value, gradient = network.loss_gradient(flat)
    assert value == pytest.approx(
        forward_loss(Z, np.eye(K)[codes], np.ones(n), T, verified) / n
    )
    fd = approx_fprime(flat, lambda v: network.loss_gradient(v)[0], 1e-7)
    np.testing.assert_allclose(gradient, fd, atol=1e-6)


def noisy_problem(n_classes, n=90, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = np.argmax(X @ rng.normal(size=(3, n_classes)), axis=1)
    y[::7] = (y[::7] + 1) % n_classes
    return X, y, rng.uniform(0.5, 2.0, n)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_softmax_regression_stops_at_a_stationary_point(n_classes, solver):
    X, y, w = noisy_problem(n_classes)
    T = transition(n_classes, 0.2)
    verified = np.arange(len(y)) % 4 == 0
    C = 3.0
    model = SoftmaxRegression(C=C, solver=solver, tol=1e-10, max_iter=500)
    model.fit(X, y, sample_weight=w, transition=T, verified=verified)
    coef = np.concatenate([model.coef_.ravel(), model.intercept_])
    Y = np.eye(n_classes)[y]

    def independent(c):
        return linear_objective(c, X, Y, w, T, verified, C, n_classes)

    gradient = approx_fprime(coef, independent, 1e-6)
    assert np.abs(gradient).max() < 1e-3 * C * w.sum() / len(w)
    # and it is neither the forward fit nor the plain one
    forward = SoftmaxRegression(C=C, solver=solver, tol=1e-10, max_iter=500)
    forward.fit(X, y, sample_weight=w, transition=T)
    assert np.abs(forward.coef_ - model.coef_).max() > 1e-3


@pytest.mark.parametrize(
    "learner",
    [SoftmaxRegression(), SoftMLPClassifier((5,), random_state=0, max_iter=50)],
    ids=["linear", "mlp"],
)
def test_every_row_verified_is_the_plain_fit_and_none_the_forward_fit(learner):
    X, y, w = noisy_problem(3)
    T = transition(3)
    plain = learner.fit(X, y, sample_weight=w).predict_proba(X)
    every = learner.fit(
        X, y, sample_weight=w, transition=T, verified=np.ones(len(y), bool)
    ).predict_proba(X)
    np.testing.assert_array_equal(plain, every)
    forward = learner.fit(X, y, sample_weight=w, transition=T).predict_proba(X)
    none = learner.fit(
        X, y, sample_weight=w, transition=T, verified=np.zeros(len(y), bool)
    ).predict_proba(X)
    np.testing.assert_array_equal(forward, none)


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (np.arange(30) % 2, TypeError, "boolean mask"),
        (np.ones(29, bool), ValueError, r"shape \(n_samples,\) = \(30,\)"),
    ],
)
@pytest.mark.parametrize("learner", [SoftmaxRegression, SoftMLPClassifier])
def test_a_bad_mask_is_refused_before_any_state_changes(bad, error, match, learner):
    X, y, _ = noisy_problem(3, n=30)
    model = learner()
    with pytest.raises(error, match=match):
        model.fit(X, y, transition=transition(3), verified=bad)
    assert not hasattr(model, "classes_")


# --------------------------------------------------------------- meta-estimator
def checked_problem(n=120, seed=0, share=0.25):
    """Three classes, 30 % of the labels moved to the next class, a share of
    the rows checked (their verified class is the true one)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    truth = np.argmax(X @ rng.normal(size=(3, 3)), axis=1)
    given = truth.copy()
    flip = rng.random(n) < 0.3
    given[flip] = (given[flip] + 1) % 3
    y_verified = np.full(n, None, dtype=object)
    checked = rng.random(n) < share
    y_verified[checked] = truth[checked]
    return X, given, truth, y_verified, checked


def test_counted_transition_equals_a_hand_count():
    # checked rows: class 0 -> labels 0, 0, 1; class 1 -> 1, 1 (weight 2 on
    # one); class 2 -> none. Pooled rate (1 + 1) / (6 + 2) = 0.25; each row
    # gets 3 pseudo-rows: 0.75 on the diagonal, 0.125 on each other class.
    verified = np.array([0, 0, 0, 1, 1])
    given = np.array([0, 0, 1, 1, 1])
    weights = np.array([1.0, 1.0, 1.0, 2.0, 1.0])
    T = counted_transition(verified, given, 3, weights)
    expected = np.array(
        [
            [2 + 2.25, 1 + 0.375, 0.375],
            [0.375, 3 + 2.25, 0.375],
            [0.375, 0.375, 2.25],
        ]
    )
    np.testing.assert_allclose(T, expected / expected.sum(axis=1, keepdims=True))


def test_every_checked_row_agreeing_is_the_unsmoothed_fit_to_the_last_bit():
    X, given, _, _, checked = checked_problem()
    y_verified = np.where(checked, given, None)
    model = LabelSmoothingClassifier(
        smooth="predictions", method="counted", epsilon=0.5
    ).fit(X, given, y_verified=y_verified)
    plain = SoftmaxRegression().fit(X, given)
    np.testing.assert_array_equal(model.predict_proba(X), plain.predict_proba(X))


@pytest.mark.parametrize("smooth", ["targets", "predictions"])
def test_checked_rows_are_fitted_with_their_verified_class(smooth):
    X, given, _, y_verified, checked = checked_problem()
    corrected = np.where(checked, y_verified, given).astype(int)
    model = LabelSmoothingClassifier(smooth=smooth, epsilon=0.2)
    model.fit(X, given, y_verified=y_verified)
    if smooth == "targets":
        expected = SoftmaxRegression().fit(X, smooth_labels(corrected, epsilon=0.2))
    else:
        T = 0.8 * np.eye(3) + 0.2 / 3
        expected = SoftmaxRegression().fit(X, corrected, transition=T, verified=checked)
    np.testing.assert_array_equal(model.predict_proba(X), expected.predict_proba(X))


def test_counted_smoothing_fits_the_count_of_the_checked_rows():
    X, given, truth, y_verified, checked = checked_problem()
    count = counted_transition(truth[checked], given[checked], 3)
    model = LabelSmoothingClassifier(smooth="predictions", method="counted")
    with pytest.raises(ValueError, match="out of range"):
        model.set_params(epsilon=1.2).fit(X, given, y_verified=y_verified)
    for epsilon in (0.7, 1.0):  # 1: the count itself
        model.set_params(epsilon=epsilon).fit(X, given, y_verified=y_verified)
        expected = SoftmaxRegression().fit(
            X,
            np.where(checked, truth, given),
            transition=(1 - epsilon) * np.eye(3) + epsilon * count,
            verified=checked,
        )
        np.testing.assert_array_equal(model.predict_proba(X), expected.predict_proba(X))


@pytest.mark.parametrize(
    "step",
    [
        LabelSmoothingClassifier(smooth="predictions", method="counted"),
        LabelSmoothingClassifierCV(
            smooth="predictions", method="counted", epsilons=3, param_grid=None, cv=3
        ),
    ],
    ids=["classifier", "search"],
)
def test_y_verified_is_routed_through_a_pipeline(step):
    X, given, _, y_verified, _ = checked_problem()
    direct = clone(step).fit(X, given, y_verified=y_verified).predict_proba(X)
    pipeline = make_pipeline(FunctionTransformer(), clone(step))
    name = type(step).__name__.lower()
    pipeline.fit(X, given, **{f"{name}__y_verified": y_verified})
    np.testing.assert_array_equal(pipeline.predict_proba(X), direct)
    with config_context(enable_metadata_routing=True):
        routed = make_pipeline(
            FunctionTransformer(), clone(step).set_fit_request(y_verified=True)
        )
        routed.fit(X, given, y_verified=y_verified)
        np.testing.assert_array_equal(routed.predict_proba(X), direct)


@pytest.mark.parametrize(
    "change, error, match",
    [
        (lambda v: v[:-1], ValueError, r"one entry per sample of y \(120\)"),
        (lambda v: np.where(v == 2, 7, v), ValueError, r"7 is not a class of y"),
        (lambda v: v.reshape(60, 2), ValueError, "must be 1-D"),
    ],
    ids=["length", "unknown class", "2-D"],
)
def test_bad_y_verified_is_refused_before_any_state_changes(change, error, match):
    X, given, _, y_verified, _ = checked_problem()
    model = LabelSmoothingClassifier(smooth="predictions")
    with pytest.raises(error, match=match):
        model.fit(X, given, y_verified=change(y_verified))
    assert not hasattr(model, "classes_")


def test_what_y_verified_cannot_be_used_for_is_refused_or_said():
    X, given, _, y_verified, _ = checked_problem()
    counted = LabelSmoothingClassifier(method="counted")
    with pytest.raises(ValueError, match="pass their verified classes"):
        counted.fit(X, given)
    assert not hasattr(counted, "classes_")
    soft = np.eye(3)[given]
    model = LabelSmoothingClassifier()
    with pytest.raises(ValueError, match="needs y as class labels"):
        model.fit(X, soft, y_verified=y_verified)
    lgbm_like = LabelSmoothingClassifier(NoVerified(), smooth="predictions")
    with pytest.raises(TypeError, match="takes verified"):
        lgbm_like.fit(X, given, y_verified=y_verified)
    assert not hasattr(lgbm_like, "classes_")
    with pytest.warns(UserWarning, match="marks no row as checked"):
        LabelSmoothingClassifier().fit(X, given, y_verified=[None] * len(given))
    with pytest.warns(UserWarning, match="checks every row"):
        LabelSmoothingClassifier().fit(X, given, y_verified=given)
    no_class_2 = np.where(y_verified == 2, None, y_verified)
    with pytest.warns(UserWarning, match=r"No checked row has the class\(es\) \[2\]"):
        LabelSmoothingClassifier(smooth="predictions", method="counted").fit(
            X, given, y_verified=no_class_2
        )


class NoVerified(SoftmaxRegression):
    """A soft-target learner whose fit takes a transition but no mask."""

    def fit(self, X, y, sample_weight=None, transition=None):
        return super().fit(X, y, sample_weight=sample_weight, transition=transition)


def test_missing_values_of_every_kind_mark_unchecked_rows():
    pandas = pytest.importorskip("pandas")
    classes = np.array(["a", "b"])
    for y_verified in (
        ["a", None, "b", np.nan],
        pandas.Series(["a", pandas.NA, "b", None], dtype="string"),
        pandas.array(["a", None, "b", None], dtype="object"),
    ):
        codes, mask = encode_verified(y_verified, classes, 4)
        np.testing.assert_array_equal(mask, [True, False, True, False])
        np.testing.assert_array_equal(codes[mask], [0, 1])
    codes, mask = encode_verified(np.array([1.0, np.nan]), np.array([0, 1]), 2)
    np.testing.assert_array_equal(codes, [1, -1])


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_each_point_of_a_forward_path_with_checked_rows_is_its_fit(solver):
    X, y, w = noisy_problem(3)
    verified = np.arange(len(y)) % 4 == 0
    S = (1 - np.eye(3)) / 2
    epsilons = [0.0, 0.2, 0.4]
    learner = SoftmaxRegression(solver=solver, tol=1e-10, max_iter=1000)
    path = learner.fit_path(
        X,
        y,
        epsilons,
        method=S,
        sample_weight=w,
        smooth="predictions",
        verified=verified,
        Cs=[0.5, 2.0],
    )
    for j, C in enumerate([0.5, 2.0]):
        for i, epsilon in enumerate(epsilons):
            T = (1 - epsilon) * np.eye(3) + epsilon * S
            fit = SoftmaxRegression(C=C, solver=solver, tol=1e-10, max_iter=1000)
            fit.fit(X, y, sample_weight=w, transition=T, verified=verified)
            coef, intercept = path[j * len(epsilons) + i]
            np.testing.assert_allclose(coef, fit.coef_, atol=1e-5)
            np.testing.assert_allclose(intercept, fit.intercept_, atol=1e-5)
