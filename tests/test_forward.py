"""Forward smoothing in the learners: the head, the objectives, the fits.

Oracles: the forward-corrected loss written here from its definition
(``-sum_i w_i sum_k Y_ik log (softmax(z_i) T)_k``), finite differences of it,
and stationarity of the objective, computed here, at the returned solution.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import approx_fprime
from scipy.special import softmax

from sksmooth import SoftmaxRegression, SoftMLPClassifier
from sksmooth._heads import ForwardCrossEntropyHead, make_head
from sksmooth._loss import LinearSoftCrossEntropy
from sksmooth._mlp_loss import MLPSoftCrossEntropy
from tests.helpers import forward_loss, head_value_and_gradient, transition

rng = np.random.default_rng(0)


def one_hot(codes, n_classes):
    return np.eye(n_classes)[codes]


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("some_verified", [False, True])
def test_head_loss_gradient_and_hessian_against_the_definition(
    n_classes, soft, some_verified
):
    """Every third row verified (scored against ``p`` itself), or none."""
    n = 7
    codes = np.arange(n) % n_classes
    Y = rng.dirichlet(np.ones(n_classes), n) if soft else one_hot(codes, n_classes)
    w = rng.uniform(0.5, 2.0, n)
    T = transition(n_classes)
    verified = np.arange(n) % 3 == 0 if some_verified else None
    head = ForwardCrossEntropyHead(
        Y if soft else codes,
        w,
        transition=T,
        n_classes=n_classes,
        dtype=np.float64,
        curvature=True,
        verified=verified,
    )
    if n_classes == 2:  # one logit z: the logits (0, z)

        def full(z):
            return np.column_stack([np.zeros(n), z])

        z = rng.normal(size=n)
    else:

        def full(z):
            return z.reshape(n_classes, n).T

        z = rng.normal(size=(n_classes, n)).ravel()
    value, gradient = head_value_and_gradient(head, z.reshape(head.logits.shape))
    assert value == pytest.approx(forward_loss(full(z), Y, w, T, verified), rel=1e-12)
    fd = approx_fprime(z, lambda v: forward_loss(full(v), Y, w, T, verified), 1e-7)
    np.testing.assert_allclose(gradient.ravel(), fd, atol=1e-5)
    # Hessian product: finite differences of the head's own gradient
    direction = rng.normal(size=z.shape)
    product = head.curvature_product(direction.reshape(head.logits.shape).copy())
    h = 1e-6
    plus = head_value_and_gradient(head, (z + h * direction).reshape(head.logits.shape))
    minus = head_value_and_gradient(
        head, (z - h * direction).reshape(head.logits.shape)
    )
    np.testing.assert_allclose(
        product.ravel(), (plus[1] - minus[1]).ravel() / (2 * h), atol=1e-6
    )


def test_head_at_the_identity_is_the_plain_head():
    plain = make_head(
        np.array([0, 1]), None, n_classes=2, dtype=np.float64, transition=np.eye(2)
    )
    assert type(plain).__name__ == "CrossEntropyHead"
    head = ForwardCrossEntropyHead(
        np.array([0, 1, 2]), None, transition=np.eye(3), n_classes=3, dtype=np.float64
    )
    Z = rng.normal(size=(3, 3))
    value, gradient = head_value_and_gradient(head, Z)
    P = softmax(Z, axis=0)
    np.testing.assert_allclose(gradient, P - np.eye(3), atol=1e-12)
    assert value == pytest.approx(-np.log(np.diag(P)).sum())


def linear_objective(coef, X, Y, w, T, C, n_classes):
    """``C * sum_i w_i H(Y_i, p_i T) + ||W||^2 / 2``, intercepts unpenalised."""
    n_logits = 1 if n_classes == 2 else n_classes
    d = X.shape[1]
    W = coef[: n_logits * d].reshape(n_logits, d)
    b = coef[n_logits * d :]
    Z = X @ W.T + b
    if n_classes == 2:
        Z = np.column_stack([np.zeros(len(X)), Z[:, 0]])
    return C * forward_loss(Z, Y, w, T) + 0.5 * float(np.sum(W**2))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_linear_objective_gradient_and_hessp(n_classes):
    n, d, C = 12, 3, 2.0
    X = rng.normal(size=(n, d))
    codes = np.arange(n) % n_classes
    w = rng.uniform(0.5, 2.0, n)
    T = transition(n_classes)
    loss = LinearSoftCrossEntropy(
        X,
        codes,
        w,
        n_classes=n_classes,
        fit_intercept=True,
        l2_reg_strength=1 / (C * w.sum()),
        hessian=True,
        transition=T,
    )
    coef = rng.normal(size=loss.n_params)
    Y = one_hot(codes, n_classes)
    scale = C * w.sum()

    def independent(c):
        return linear_objective(c, X, Y, w, T, C, n_classes) / scale

    value, gradient = loss.loss_gradient(coef)
    assert value == pytest.approx(independent(coef), rel=1e-12)
    np.testing.assert_allclose(
        gradient, approx_fprime(coef, independent, 1e-7), atol=1e-6
    )
    direction = rng.normal(size=loss.n_params)
    if n_classes > 2:  # hessp works off the flat direction of the intercepts
        direction[-n_classes:] -= direction[-n_classes:].mean()
    product = loss.hessp(direction)
    h = 1e-6
    plus = loss.loss_gradient(coef + h * direction)[1]
    minus = loss.loss_gradient(coef - h * direction)[1]
    fd = (plus - minus) / (2 * h)
    if n_classes > 2:
        fd[-n_classes:] -= fd[-n_classes:].mean()
    np.testing.assert_allclose(product, fd, atol=1e-6)


def test_mlp_objective_gradient():
    n, d, K = 10, 3, 3
    X = rng.normal(size=(n, d))
    codes = np.arange(n) % K
    T = transition(K)
    loss = MLPSoftCrossEntropy(
        X,
        codes,
        None,
        n_classes=K,
        hidden_layer_sizes=(4,),
        activation="tanh",
        alpha=0.0,
        transition=T,
    )
    flat = rng.normal(size=loss.n_params)
    value, gradient = loss.loss_gradient(flat)
    fd = approx_fprime(flat, lambda v: loss.loss_gradient(v)[0], 1e-7)
    np.testing.assert_allclose(gradient, fd, atol=1e-6)
    coefs, intercepts = loss.unpack(flat)
    Z = np.tanh(X @ coefs[0] + intercepts[0]) @ coefs[1] + intercepts[1]
    assert value == pytest.approx(forward_loss(Z, one_hot(codes, K), np.ones(n), T) / n)


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
    C = 3.0
    model = SoftmaxRegression(C=C, solver=solver, tol=1e-10, max_iter=500)
    model.fit(X, y, sample_weight=w, transition=T)
    coef = np.concatenate([model.coef_.ravel(), model.intercept_])
    Y = one_hot(y, n_classes)

    def independent(c):
        return linear_objective(c, X, Y, w, T, C, n_classes)

    gradient = approx_fprime(coef, independent, 1e-6)
    assert np.abs(gradient).max() < 1e-3 * C * w.sum() / len(w)
    # and it is not the plain fit's solution
    plain = SoftmaxRegression(C=C, solver=solver).fit(X, y, sample_weight=w)
    assert np.abs(plain.coef_ - model.coef_).max() > 1e-2


@pytest.mark.parametrize(
    "learner",
    [
        SoftmaxRegression(),
        SoftmaxRegression(solver="newton-cg"),
        SoftMLPClassifier((5,), random_state=0, max_iter=50),
    ],
    ids=["lbfgs", "newton-cg", "mlp"],
)
def test_identity_transition_is_the_plain_fit(learner):
    X, y, w = noisy_problem(3)
    plain = learner.fit(X, y, sample_weight=w).predict_proba(X)
    forward = learner.fit(X, y, sample_weight=w, transition=np.eye(3)).predict_proba(X)
    np.testing.assert_array_equal(plain, forward)


def test_sparse_float32_and_class_weight_agree():
    X, y, _ = noisy_problem(3)
    T = transition(3, 0.25)
    dense = SoftmaxRegression(tol=1e-8).fit(X, y, transition=T)
    sparse = SoftmaxRegression(tol=1e-8).fit(sp.csr_matrix(X), y, transition=T)
    np.testing.assert_allclose(dense.coef_, sparse.coef_, atol=1e-6)
    single = SoftmaxRegression(tol=1e-6).fit(X.astype(np.float32), y, transition=T)
    assert single.coef_.dtype == np.float32
    np.testing.assert_allclose(dense.coef_, single.coef_, atol=2e-3)
    weights = {0: 2.0, 1: 0.5, 2: 1.0}
    by_class = SoftmaxRegression(class_weight=weights, tol=1e-8)
    by_class.fit(X, y, transition=T)
    by_sample = SoftmaxRegression(tol=1e-8).fit(
        X, y, sample_weight=np.vectorize(weights.get)(y), transition=T
    )
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, atol=1e-6)


def test_soft_targets_with_a_transition_match_their_expansion_in_the_loss():
    """Soft ``y``: the data term is linear in ``Y``, so it equals the weighted
    sum of hard-label terms (the definition, applied row by row)."""
    X, _, _ = noisy_problem(3, n=6)
    Y = rng.dirichlet(np.ones(3), 6)
    T = transition(3)
    loss = LinearSoftCrossEntropy(
        X, Y, None, n_classes=3, fit_intercept=True, l2_reg_strength=0.0, transition=T
    )
    coef = rng.normal(size=loss.n_params)
    rows = np.repeat(np.arange(6), 3)
    hard = LinearSoftCrossEntropy(
        X[rows],
        np.tile(np.arange(3), 6),
        Y.ravel(),
        n_classes=3,
        fit_intercept=True,
        l2_reg_strength=0.0,
        transition=T,
    )
    value, gradient = loss.loss_gradient(coef)
    value_h, gradient_h = hard.loss_gradient(coef)
    assert value == pytest.approx(value_h * hard.head.weight_sum / 6, rel=1e-10)
    np.testing.assert_allclose(
        gradient, gradient_h * hard.head.weight_sum / 6, atol=1e-10
    )


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.eye(2), r"shape \(n_classes, n_classes\) = \(3, 3\)"),
        (np.full((3, 3), -1.0), r"non-negative, got the entry -1\.0\."),
        (np.full((3, 3), 0.5), "sum to one"),
        (np.array([[1.0, 0, 0], [1, 0, 0], [1, 0, 0]]), "all-zero columns"),
    ],
)
@pytest.mark.parametrize("learner", [SoftmaxRegression, SoftMLPClassifier])
def test_a_bad_transition_is_refused_before_any_state_changes(bad, match, learner):
    X, y, _ = noisy_problem(3, n=30)
    model = learner()
    with pytest.raises(ValueError, match=match):
        model.fit(X, y, transition=bad)
    assert not hasattr(model, "classes_")
