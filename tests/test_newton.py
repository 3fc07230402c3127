"""The Newton-CG solver and its conjugate gradients, on problems with known answers."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from sksmooth._solvers import (
    SolverOptions,
    conjugate_gradient,
    newton_cg,
    report_result,
)
from sksmooth._solvers._newton import NEWTON_MESSAGES


def spd_matrix(n, condition, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return Q @ np.diag(np.geomspace(1, condition, n)) @ Q.T


@pytest.mark.parametrize("preconditioned", [False, True])
def test_conjugate_gradient_solves_spd_system(preconditioned):
    A = spd_matrix(30, 1e3)
    b = np.random.default_rng(1).normal(size=30)
    diagonal = np.diag(A)
    x, n_products = conjugate_gradient(
        lambda v: A @ v,
        b,
        atol=1e-10,
        max_iter=200,
        precondition=(lambda r: r / diagonal) if preconditioned else None,
    )
    assert_allclose(x, np.linalg.solve(A, b), rtol=1e-8)
    assert n_products <= 200


def test_conjugate_gradient_jacobi_preconditioner_removes_scaling():
    # A well-conditioned matrix with rows and columns scaled over 1e6: Jacobi
    # undoes the scaling, so preconditioned CG needs far fewer products.
    scale = np.geomspace(1e-3, 1e3, 40)
    A = scale[:, None] * spd_matrix(40, 10.0) * scale[None, :]
    b = A @ np.ones(40)
    solve = lambda pre: conjugate_gradient(  # noqa: E731
        lambda v: A @ v,
        b,
        atol=1e-8 * np.linalg.norm(b),
        max_iter=1000,
        precondition=pre,
    )
    x_plain, n_plain = solve(None)
    x_jacobi, n_jacobi = solve(lambda r: r / np.diag(A))
    assert np.linalg.norm(A @ x_jacobi - b) <= 1e-8 * np.linalg.norm(b)
    assert n_jacobi < 30 and 2 * n_jacobi < n_plain


def logistic_problem(seed=0):
    """A small binary logistic regression written directly (no sksmooth code)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, 5))
    y = (X @ rng.normal(size=5) + rng.logistic(size=200) > 0).astype(float)
    lam = 0.01

    def fun_and_grad(w):
        z = X @ w
        loss = np.mean(np.logaddexp(0, z) - y * z) + lam / 2 * w @ w
        p = 1 / (1 + np.exp(-z))
        return loss, X.T @ (p - y) / len(y) + lam * w

    state = {}

    def tracked(w):
        state["w"] = w.copy()
        return fun_and_grad(w)

    def hessp(v):
        p = 1 / (1 + np.exp(-X @ state["w"]))
        return X.T @ (p * (1 - p) * (X @ v)) / len(y) + lam * v

    return tracked, hessp, fun_and_grad


def test_newton_cg_reaches_the_optimum_of_a_logistic_regression():
    fun_and_grad, hessp, plain = logistic_problem()
    options = SolverOptions(max_iter=50, tol=1e-9)
    result = newton_cg(fun_and_grad, hessp, np.zeros(5), options)
    assert result.converged and result.message == NEWTON_MESSAGES[0]
    assert np.abs(plain(result.solution)[1]).max() <= 1e-9
    assert result.iterations <= 10
    assert_allclose(result.value, plain(result.solution)[0])


def test_newton_cg_warm_start_at_the_optimum_takes_no_step():
    fun_and_grad, hessp, _ = logistic_problem()
    first = newton_cg(
        fun_and_grad, hessp, np.zeros(5), SolverOptions(max_iter=50, tol=1e-10)
    )
    again = newton_cg(
        fun_and_grad, hessp, first.solution, SolverOptions(max_iter=50, tol=1e-6)
    )
    assert again.iterations == 0 and again.evaluations == 1


def test_newton_cg_says_when_max_iter_is_reached_and_its_report_warns():
    fun_and_grad, hessp, _ = logistic_problem()
    options = SolverOptions(max_iter=1, tol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # the solver is silent
        result = newton_cg(fun_and_grad, hessp, np.zeros(5), options)
    assert not result.converged and result.message == "max_iter reached"
    with pytest.warns(ConvergenceWarning, match="Newton solver stopped after 1"):
        report_result(result, "Demo")


def test_newton_cg_stops_at_rounding_instead_of_looping():
    # tol far below what float64 can reach: the run ends as converged once the
    # predicted decrease is rounding noise, long before max_iter.
    fun_and_grad, hessp, _ = logistic_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        result = newton_cg(
            fun_and_grad, hessp, np.zeros(5), SolverOptions(max_iter=1000, tol=1e-30)
        )
    assert result.converged and result.iterations < 30
