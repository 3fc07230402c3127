"""The solvers against oracles written out here: L-BFGS with a carried memory
and its line search (a quadratic's solution, its inverse, the strong Wolfe
conditions, pairs moved across penalties) and truncated Newton-CG with its
conjugate gradients (linear systems, a logistic regression's optimum)."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sksmooth._solvers import (
    CurvatureMemory,
    SolverOptions,
    carried_lbfgs,
    conjugate_gradient,
    newton_cg,
    report_result,
    wolfe_line_search,
)
from sksmooth._solvers._newton import NEWTON_MESSAGES


def test_the_two_loop_recursion_inverts_a_quadratic_it_has_seen():
    A = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]])
    memory = CurvatureMemory(5)
    # BFGS keeps every secant condition of A-conjugate steps (its hereditary
    # property), so three such pairs determine A's inverse exactly
    for s in np.linalg.eigh(A)[1].T:
        assert memory.add(s, A @ s)
    assert not memory.add(np.ones(3), -np.ones(3))  # negative curvature: skipped
    v = np.array([1.0, -2.0, 0.5])
    assert_allclose(memory.apply(A @ v), v, atol=1e-12)


def test_carried_memory_saves_evaluations_on_a_tilted_family():
    rng = np.random.default_rng(0)
    Q = rng.normal(size=(30, 30))
    A = Q @ Q.T / 30 + np.diag(np.logspace(-2, 1, 30))
    b = rng.normal(size=30)

    def family(e):
        return lambda x: (0.5 * x @ A @ x - e * b @ x, A @ x - e * b)

    carried, fresh = CurvatureMemory(30), []
    x = np.zeros(30)
    counts = []
    for e in [1.0, 0.8, 0.6, 0.4]:
        options = SolverOptions(max_iter=500, tol=1e-6)
        run = carried_lbfgs(family(e), x, carried, options, ftol=0.0)
        cold = carried_lbfgs(family(e), x, CurvatureMemory(30), options, ftol=0.0)
        assert run.converged and run.message == "max |gradient| <= tol"
        # the oracle: A x = e b
        assert_allclose(A @ run.solution, e * b, rtol=0, atol=1e-6)
        counts.append(run.evaluations)
        fresh.append(cold.evaluations)
        x = run.solution
    assert sum(counts[1:]) < 0.7 * sum(fresh[1:])


@pytest.mark.parametrize("step", [1e-3, 1.0, 50.0])
@pytest.mark.parametrize("c2", [0.9, 0.1])
def test_the_line_search_meets_the_strong_wolfe_conditions(step, c2):
    # a one-dimensional convex function, steep on one side: the conditions are
    # written out here
    def f(t):
        return np.exp(t - 2) + 0.5 * (t - 1) ** 2 - 3 * t

    def df(t):
        return np.exp(t - 2) + (t - 1) - 3

    t, value, _, n_evals = wolfe_line_search(
        lambda t: (f(t), df(t), None), f(0.0), df(0.0), step, c2=c2
    )
    assert value == f(t)
    assert f(t) <= f(0.0) + 1e-4 * t * df(0.0)
    assert abs(df(t)) <= c2 * abs(df(0.0))
    assert n_evals <= 20


def test_the_line_search_reports_a_failure_with_no_decrease():
    t, value, payload, n_evals = wolfe_line_search(
        lambda t: (1.0 + t, 1.0, None), 1.0, -1.0, max_evals=5
    )
    assert (t, value, payload, n_evals) == (None, None, None, 5)


# ------------------------------------------------- the memory across penalties
def quadratic_pairs(A, mask, l2, steps):
    """Pairs ``(s, y)`` of ``f(x) = x.A.x / 2 + l2 / 2 ||P x||^2`` written out."""
    return [(s, A @ s + l2 * mask * s) for s in steps]


def test_set_penalty_moves_each_pair_to_the_other_strength():
    rng = np.random.default_rng(1)
    Q = rng.normal(size=(6, 6))
    A = Q @ Q.T / 6 + np.eye(6)
    mask = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0])  # two unpenalised intercepts
    steps = rng.normal(size=(4, 6))
    memory = CurvatureMemory(10, penalty_mask=mask)
    memory.set_penalty(0.5)
    for s, y in quadratic_pairs(A, mask, 0.5, steps):
        assert memory.add(s, y)
    memory.set_penalty(2.0)
    expected = quadratic_pairs(A, mask, 2.0, steps)
    assert len(memory) == 4
    for (s, y, rho), (s_x, y_x) in zip(memory.pairs, expected, strict=True):
        assert_allclose(s, s_x)
        assert_allclose(y, y_x, rtol=1e-14)
        assert rho == pytest.approx(1 / (s_x @ y_x), rel=1e-14)
    # gamma from the newest moved pair, on the identity
    s, y = expected[-1]
    assert memory.gamma == pytest.approx((s @ y) / (y @ y), rel=1e-14)


def test_set_penalty_drops_a_pair_whose_curvature_turns_negative():
    mask = np.ones(2)
    memory = CurvatureMemory(5, penalty_mask=mask)
    memory.set_penalty(1.0)
    s = np.array([1.0, 0.0])
    assert memory.add(s, np.array([1.5, 0.0]))  # s.y = 1.5 at l2 = 1
    assert memory.add(np.array([0.0, 1.0]), np.array([0.0, 3.0]))
    memory.set_penalty(0.1)  # the first pair's s.y becomes 0.6, the second's 2.1
    assert len(memory) == 2
    memory.set_penalty(-0.6)  # the first's s.y becomes -0.1: dropped
    assert len(memory) == 1
    assert_allclose(memory.pairs[0][1], [0.0, 1.4])


def test_restore_moves_snapshots_oldest_first_and_keeps_its_own_as_they_are():
    mask = np.ones(3)
    A = np.diag([1.0, 2.0, 3.0])
    first = CurvatureMemory(4, penalty_mask=mask)
    first.set_penalty(0.2)
    for s, y in quadratic_pairs(A, mask, 0.2, np.eye(3)):
        first.add(s, y)
    old = first.snapshot(2)  # the newest two, taken at l2 = 0.2
    assert old[0] == 0.2 and [p[0].argmax() for p in old[1]] == [1, 2]
    second = CurvatureMemory(4, penalty_mask=mask)
    second.set_penalty(1.0)
    own_s = np.array([1.0, 1.0, 0.0])
    second.add(own_s, A @ own_s + own_s)
    mine = second.snapshot(4)
    second.restore([old, mine])
    assert len(second) == 3
    moved = [y for _, y, _ in list(second.pairs)[:2]]
    assert_allclose(moved[0], (A + np.eye(3)) @ np.eye(3)[1])
    assert_allclose(moved[1], (A + np.eye(3)) @ np.eye(3)[2])
    own = second.pairs[2]  # this strength's own pair, kept as it was
    assert_array_equal(own[0], own_s)
    assert_array_equal(own[1], A @ own_s + own_s)


def test_a_new_initial_matrix_rescales_gamma():
    A = np.diag([1.0, 4.0])
    memory = CurvatureMemory(3, penalty_mask=np.ones(2))
    s = np.array([1.0, 1.0])
    memory.add(s, A @ s)
    assert memory.gamma == pytest.approx(5 / 17)  # s.y / y.y
    memory.set_penalty(0.0, initial_inverse=lambda v: v / 4)
    assert memory.gamma == pytest.approx(5 / (17 / 4))  # s.y / y.H0.y
    # the two-loop recursion's answer on the seen pair: H y = s
    assert_allclose(memory.apply(A @ s), s)


# --------------------------------------------------- the line search's edges
def test_the_line_search_refuses_a_direction_that_does_not_descend():
    calls = []

    def phi(t):
        calls.append(t)
        return (t + 1.0) ** 2, 2 * (t + 1.0), None

    for slope in [2.0, 0.0, np.nan]:
        assert wolfe_line_search(phi, 1.0, slope) == (None, None, None, 0)
    assert calls == []


def test_a_step_that_never_meets_the_curvature_condition_returns_the_best():
    # phi falls at the same rate everywhere: every trial decreases enough, none
    # flattens; the search lengthens its step until its evaluations run out
    t, value, payload, n_evals = wolfe_line_search(
        lambda t: (-t, -1.0, t), 0.0, -1.0, 1.0, max_evals=6
    )
    assert n_evals == 6
    assert t == 4.0**5 and value == -t and payload == t  # the lowest trial


def test_a_nan_objective_counts_as_a_step_too_long():
    def phi(t):  # undefined beyond 0.5, a parabola with its minimum at 0.3 before
        if t > 0.5:
            return np.nan, np.nan, None
        return (t - 0.3) ** 2, 2 * (t - 0.3), None

    f0, d0 = phi(0.0)[:2]
    t, value, _, n_evals = wolfe_line_search(phi, f0, d0, 1.0, c2=0.5)
    assert 0 < t <= 0.5 and np.isfinite(value)
    assert value <= f0 + 1e-4 * t * d0
    assert abs(phi(t)[1]) <= 0.5 * abs(d0)
    nowhere = wolfe_line_search(
        lambda t: (np.nan, np.nan, None), 1.0, -1.0, max_evals=8
    )
    assert nowhere == (None, None, None, 8)


# ---------------------------------------------- Newton-CG and its CG
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
