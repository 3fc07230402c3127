"""L-BFGS with a carried memory and its line search, against oracles written
out here: a quadratic's solution, its inverse, the strong Wolfe conditions."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sksmooth._solvers import (
    CurvatureMemory,
    SolverOptions,
    carried_lbfgs,
    wolfe_line_search,
)


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
