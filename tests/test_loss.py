"""The loss kernel against direct formulas and finite differences."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.special import log_expit, log_softmax

from sksmooth._loss import LinearSoftCrossEntropy
from tests.helpers import assert_no_copy_per_evaluation, sparse_on_a_larger_buffer


def make_problem(n_classes, *, n_samples=40, n_features=5, seed=0, weighted=True):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    Y = rng.dirichlet(np.ones(n_classes), size=n_samples)
    weights = rng.uniform(0.2, 3.0, size=n_samples) if weighted else None
    return X, Y, weights


def direct_objective(coef, X, Y, weights, fit_intercept, l2):
    """The objective written out with scipy's log-softmax / log-sigmoid."""
    n_samples, n_features = X.shape
    n_logits = 1 if Y.shape[1] == 2 else Y.shape[1]
    W = coef[: n_logits * n_features].reshape(n_logits, n_features)
    b = coef[n_logits * n_features :] if fit_intercept else np.zeros(n_logits)
    logits = X @ W.T + b
    if n_logits == 1:
        log_p = np.column_stack([log_expit(-logits[:, 0]), log_expit(logits[:, 0])])
    else:
        log_p = log_softmax(logits, axis=1)
    w = np.ones(n_samples) if weights is None else weights
    cross_entropy = -(Y * log_p).sum(axis=1)
    return (w @ cross_entropy) / w.sum() + 0.5 * l2 * np.sum(W**2)


def finite_difference_gradient(fun, x, step=1e-6):
    grad = np.empty_like(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = step
        grad[j] = (fun(x + e) - fun(x - e)) / (2 * step)
    return grad


@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_loss_and_gradient_match_direct_formula(
    n_classes, fit_intercept, weighted, sparse
):
    X, Y, weights = make_problem(n_classes, weighted=weighted)
    l2 = 0.3
    loss = LinearSoftCrossEntropy(
        sp.csr_matrix(X) if sparse else X,
        Y,
        weights,
        n_classes=n_classes,
        fit_intercept=fit_intercept,
        l2_reg_strength=l2,
    )
    coef = np.random.default_rng(1).normal(size=loss.n_params)

    value, grad = loss.loss_gradient(coef)

    def objective(c):
        return direct_objective(c, X, Y, weights, fit_intercept, l2)

    assert_allclose(value, objective(coef), rtol=1e-12)
    assert_allclose(
        grad, finite_difference_gradient(objective, coef), rtol=1e-6, atol=1e-8
    )


def test_large_logits_do_not_overflow():
    X, Y, _ = make_problem(4)
    loss = LinearSoftCrossEntropy(
        X * 1e3, Y, None, n_classes=4, fit_intercept=True, l2_reg_strength=0
    )
    value, grad = loss.loss_gradient(np.full(loss.n_params, 5.0))
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert_allclose(
        value, direct_objective(np.full(loss.n_params, 5.0), X * 1e3, Y, None, True, 0)
    )


@pytest.mark.parametrize("n_classes", [2, 4])
def test_float32_is_computed_in_float32_and_close_to_float64(n_classes):
    X, Y, weights = make_problem(n_classes, n_samples=200)
    loss64 = LinearSoftCrossEntropy(
        X, Y, weights, n_classes=n_classes, fit_intercept=True, l2_reg_strength=0.1
    )
    loss32 = LinearSoftCrossEntropy(
        X.astype(np.float32),
        Y.astype(np.float32),
        weights,
        n_classes=n_classes,
        fit_intercept=True,
        l2_reg_strength=0.1,
    )
    coef = np.random.default_rng(2).normal(size=loss64.n_params)
    value64, grad64 = loss64.loss_gradient(coef)
    value32, grad32 = loss32.loss_gradient(coef)
    assert grad32.dtype == np.float64  # scipy's optimiser works in float64
    buffer = loss32.head.logits
    assert buffer.dtype == np.float32
    assert_allclose(value32, value64, rtol=1e-5)
    assert_allclose(grad32, grad64, rtol=1e-4, atol=1e-5)


def test_unpack_views_and_layout():
    X, Y, _ = make_problem(3)
    loss = LinearSoftCrossEntropy(
        X, Y, None, n_classes=3, fit_intercept=True, l2_reg_strength=0
    )
    coef = np.arange(loss.n_params, dtype=float)
    W, b = loss.unpack(coef)
    assert W.shape == (3, 5) and b.shape == (3,)
    assert_allclose(W[1], [5, 6, 7, 8, 9])
    assert_allclose(b, [15, 16, 17])
    assert np.shares_memory(W, coef)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_integer_codes_equal_one_hot_targets(n_classes):
    X, _, weights = make_problem(n_classes)
    codes = np.random.default_rng(3).integers(0, n_classes, size=X.shape[0])
    kwargs = {"n_classes": n_classes, "fit_intercept": True, "l2_reg_strength": 0.2}
    from_codes = LinearSoftCrossEntropy(X, codes, weights, **kwargs)
    from_one_hot = LinearSoftCrossEntropy(
        X, np.eye(n_classes)[codes], weights, **kwargs
    )
    coef = np.random.default_rng(4).normal(size=from_codes.n_params)
    value_codes, grad_codes = from_codes.loss_gradient(coef)
    value_one_hot, grad_one_hot = from_one_hot.loss_gradient(coef)
    assert_allclose(value_codes, value_one_hot, rtol=1e-14)
    assert_allclose(grad_codes, grad_one_hot, rtol=1e-13, atol=1e-15)


def test_sparse_transpose_is_a_view_not_a_copy_per_evaluation():
    from sksmooth._loss import transposed_view

    rng = np.random.default_rng(0)
    X = sparse_on_a_larger_buffer()
    assert not np.shares_memory(X.T.data, X.data)
    assert np.shares_memory(transposed_view(X).data, X.data)

    codes = rng.integers(0, 3, size=1000)
    kwargs = {"n_classes": 3, "fit_intercept": True, "l2_reg_strength": 0.1}
    loss = LinearSoftCrossEntropy(X, codes, None, **kwargs)
    coef = rng.normal(size=loss.n_params)
    _, grad = assert_no_copy_per_evaluation(loss, coef, X)
    dense = LinearSoftCrossEntropy(X.toarray(), codes, None, **kwargs)
    assert_allclose(grad, dense.loss_gradient(coef)[1], rtol=1e-12)


def explicit_hessian(coef, X, weights, n_classes, fit_intercept, l2):
    """The Hessian written out sample by sample from its formula.

    For sample i with logits z_i = W x_i + b and probabilities p_i, the Hessian
    with respect to z_i is A_i = diag(p_i) - p_i p_i^T (p_i (1 - p_i) for the
    sigmoid), and z_i = J_i theta with J_i = [kron(I, x_i^T), I]; so
    H = sum_i w_i J_i^T A_i J_i / sum(w) + l2 on the weights.
    """
    n_samples, n_features = X.shape
    n_logits = 1 if n_classes == 2 else n_classes
    W = coef[: n_logits * n_features].reshape(n_logits, n_features)
    b = coef[n_logits * n_features :] if fit_intercept else np.zeros(n_logits)
    w = np.ones(n_samples) if weights is None else weights
    n_params = coef.size
    H = np.zeros((n_params, n_params))
    for i in range(n_samples):
        z = W @ X[i] + b
        if n_logits == 1:
            p = 1 / (1 + np.exp(-z))
            A = np.diag(p * (1 - p))
        else:
            p = np.exp(z - z.max())
            p /= p.sum()
            A = np.diag(p) - np.outer(p, p)
        J = np.kron(np.eye(n_logits), X[i][None, :])
        if fit_intercept:
            J = np.hstack([J, np.eye(n_logits)])
        H += w[i] * J.T @ A @ J
    H /= w.sum()
    H[: n_logits * n_features, : n_logits * n_features] += l2 * np.eye(
        n_logits * n_features
    )
    return H


def centred_direction(loss, rng):
    """A random direction; intercepts centred when the multinomial has them."""
    v = rng.normal(size=loss.n_params)
    _, vb = loss.unpack(v)
    if vb is not None and loss.n_logits > 1:
        vb -= vb.mean()
    return v


@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_hessp_equals_explicit_hessian_and_finite_differences(
    n_classes, fit_intercept, weighted, sparse
):
    X, Y, weights = make_problem(
        n_classes, n_samples=25, n_features=4, weighted=weighted
    )
    l2 = 0.3
    loss = LinearSoftCrossEntropy(
        sp.csr_matrix(X) if sparse else X,
        Y,
        weights,
        n_classes=n_classes,
        fit_intercept=fit_intercept,
        l2_reg_strength=l2,
        hessian=True,
    )
    rng = np.random.default_rng(5)
    coef = rng.normal(size=loss.n_params)
    H = explicit_hessian(coef, X, weights, n_classes, fit_intercept, l2)
    for _ in range(3):
        v = centred_direction(loss, rng)
        loss.loss_gradient(coef)
        product = loss.hessp(v)
        assert_allclose(product, H @ v, rtol=1e-12, atol=1e-13)
        step = 1e-5
        finite_difference = (
            loss.loss_gradient(coef + step * v)[1]
            - loss.loss_gradient(coef - step * v)[1]
        ) / (2 * step)
        assert_allclose(product, finite_difference, rtol=1e-6, atol=1e-9)


def test_hessp_uses_the_point_of_the_last_gradient_call():
    X, Y, weights = make_problem(3)
    kwargs = {"n_classes": 3, "fit_intercept": True, "l2_reg_strength": 0.1}
    loss = LinearSoftCrossEntropy(X, Y, weights, hessian=True, **kwargs)
    rng = np.random.default_rng(0)
    a, b, v = (centred_direction(loss, rng) for _ in range(3))
    loss.loss_gradient(a)
    loss.loss_gradient(b)
    assert_allclose(
        loss.hessp(v), explicit_hessian(b, X, weights, 3, True, 0.1) @ v, rtol=1e-12
    )
    with pytest.raises(RuntimeError, match="hessian=True"):
        without = LinearSoftCrossEntropy(X, Y, weights, **kwargs)
        without.loss_gradient(a)
        without.hessp(v)


def test_hessp_projects_out_the_multinomial_flat_direction():
    # Adding a constant to every intercept changes no probability: the Hessian
    # is singular along it. hessp returns P H P (P centres the intercepts).
    X, Y, weights = make_problem(4)
    loss = LinearSoftCrossEntropy(
        X,
        Y,
        weights,
        n_classes=4,
        fit_intercept=True,
        l2_reg_strength=0.2,
        hessian=True,
    )
    coef = np.random.default_rng(1).normal(size=loss.n_params)
    value, grad = loss.loss_gradient(coef)
    flat = np.zeros(loss.n_params)
    flat[-4:] = 1.0
    assert_allclose(
        explicit_hessian(coef, X, weights, 4, True, 0.2) @ flat, 0, atol=1e-14
    )
    assert_allclose(loss.hessp(flat), 0, atol=1e-15)
    assert abs(grad[-4:].sum()) < 1e-14  # the gradient lies in the subspace too
    v = np.random.default_rng(2).normal(size=loss.n_params)
    assert abs(loss.hessp(v)[-4:].sum()) < 1e-14
    assert_allclose(loss.hessp(v), loss.hessp(v + 3.0 * flat), rtol=1e-13)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_hessp_in_float32_is_close_to_float64(n_classes):
    X, Y, weights = make_problem(n_classes, n_samples=200)
    kwargs = {
        "n_classes": n_classes,
        "fit_intercept": True,
        "l2_reg_strength": 0.1,
        "hessian": True,
    }
    loss64 = LinearSoftCrossEntropy(X, Y, weights, **kwargs)
    loss32 = LinearSoftCrossEntropy(
        X.astype(np.float32), Y.astype(np.float32), weights, **kwargs
    )
    rng = np.random.default_rng(3)
    coef = rng.normal(size=loss64.n_params)
    v = centred_direction(loss64, rng)
    loss64.loss_gradient(coef)
    loss32.loss_gradient(coef)
    assert loss32.head.curvature.dtype == np.float32
    product32 = loss32.hessp(v)
    assert product32.dtype == np.float64
    assert_allclose(product32, loss64.hessp(v), rtol=1e-4, atol=1e-5)
