"""L-BFGS whose curvature memory outlives one problem: the solver of a path.

A path of problems that share one Hessian (the tilts ``f(x) - e * <b, x>`` of
one convex function, see ``sksmooth._paths``) can share their
curvature pairs ``(s, y)``: ``y`` is a difference of gradients, in which the
linear tilt cancels, so a pair collected on one problem is an exact secant of
every other. :func:`carried_lbfgs` therefore takes its memory, a
:class:`CurvatureMemory`, from the caller and leaves it filled for the next
problem; scipy's L-BFGS-B, which starts every run with an empty memory, cannot.

- :class:`~sksmooth._solvers.CurvatureMemory` (``_memory.py``): the pairs, an
  optional initial inverse Hessian and the two-loop recursion.
- :func:`~sksmooth._solvers.wolfe_line_search` (``_line_search.py``): a
  strong-Wolfe line search, one evaluation per trial.
- :func:`carried_lbfgs`: the iterations, stopping as :func:`sksmooth._solvers.lbfgs`
  does (every gradient component at most ``tol``).

Nothing here knows of losses, estimators or data.
"""

import math
from collections.abc import Callable

import numpy as np

from sksmooth._blas_threads import solver_blas_threads
from sksmooth._solvers._contract import SolverOptions, SolverResult
from sksmooth._solvers._line_search import wolfe_line_search
from sksmooth._solvers._memory import CurvatureMemory

MESSAGES = {
    0: "max |gradient| <= tol",
    1: "max_iter reached",
    2: "the line search found no decrease (rounding or non-finite values)",
    3: "the relative decrease of the objective fell below ftol",
}


def carried_lbfgs(
    fun_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0: np.ndarray,
    memory: CurvatureMemory,
    options: SolverOptions,
    *,
    start=None,
    ftol: float = 64 * np.finfo(float).eps,
    value_eps: float = float(np.finfo(np.float64).eps),
) -> SolverResult:
    """Minimise a smooth function by L-BFGS with a memory carried in and out.

    The direction is ``-memory.apply(g)``; each step's pair ``(s, y)`` is added
    to ``memory``, which the caller keeps for the next problem. The first step
    tries ``t = 1`` when the memory holds pairs or an initial inverse Hessian,
    else the length ``min(1, 1 / ||g||)`` (as L-BFGS-B starts); a direction
    that does not descend (rounding) clears the memory and takes the gradient.

    Stops when every gradient component is at most ``tol``, as
    :func:`sksmooth._solvers.lbfgs`, or when the relative decrease of the
    objective falls below ``ftol`` (as L-BFGS-B's ``ftol``): converged; after
    ``max_iter`` iterations, or when the line search finds no decrease: not
    converged (the message says which, one of :data:`MESSAGES`).

    Parameters
    ----------
    fun_and_grad : callable
        ``fun_and_grad(x) -> (value, gradient)`` on flat float64 vectors.
    x0 : ndarray of shape (n_params,)
    memory : CurvatureMemory
        Pairs of earlier problems with the same Hessian, or empty; filled.
    options : SolverOptions
        ``max_iter``, ``tol``, and what to print.
    start : tuple of (float, ndarray), default=None
        ``fun_and_grad(x0)`` if the caller already has it (saves an evaluation).
    ftol : float, default=64 * machine epsilon
    value_eps : float, default=float64's machine epsilon
        Relative rounding error of the objective's value (float32's for an
        objective computed in float32): a change of the value below ``64 *
        value_eps`` is rounding, and the line search then goes by the slope.

    Returns
    -------
    result : SolverResult

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._solvers import CurvatureMemory, SolverOptions, carried_lbfgs
    >>> A = np.array([[3.0, 1.0], [1.0, 2.0]])
    >>> memory, options = CurvatureMemory(10), SolverOptions(max_iter=50, tol=1e-10)
    >>> first = carried_lbfgs(lambda x: (x @ A @ x / 2 - x.sum(), A @ x - 1),
    ...                       np.zeros(2), memory, options)
    >>> second = carried_lbfgs(lambda x: (x @ A @ x / 2 - 2 * x.sum(), A @ x - 2),
    ...                        first.solution, memory, options)
    >>> bool(np.allclose(A @ second.solution, 2))
    True
    >>> second.evaluations <= first.evaluations
    True
    """
    x = np.array(x0, dtype=np.float64)
    tol, max_iter = options.tol, options.max_iter
    value, grad = fun_and_grad(x) if start is None else start
    n_fev = 0 if start is not None else 1
    status, iteration = 1, 0
    with solver_blas_threads():
        while True:
            if not math.isfinite(value):
                status = 2
                break
            if np.max(np.abs(grad)) <= tol:
                status = 0
                break
            if iteration >= max_iter:
                break
            step = _lbfgs_step(fun_and_grad, x, value, grad, memory, 64 * value_eps)
            n_fev += step[-1]
            if step[0] is None:
                status = 2
                break
            new_x, new_value, new_grad, _ = step
            memory.add(new_x - x, new_grad - grad)
            decrease = (value - new_value) / max(abs(value), abs(new_value), 1.0)
            x, value, grad = new_x, new_value, new_grad
            iteration += 1
            if options.verbose:
                print(f"[{options.name}] iteration {iteration:4d}  loss {value:.10g}")
            if decrease <= ftol:
                status = 3 if np.max(np.abs(grad)) > tol else 0
                break
    return SolverResult(
        solution=x,
        value=float(value),
        gradient=grad,
        iterations=iteration,
        evaluations=n_fev,
        converged=status in (0, 3),
        message=MESSAGES[status],
        solver="L-BFGS",
    )


def _lbfgs_step(fun_and_grad, x, value, grad, memory, noise):
    """One L-BFGS step: ``(x, value, grad, n_evals)``, ``x`` None on failure.

    The gradient direction is the fallback when the quasi-Newton one is not a
    descent direction or its line search fails.
    """
    n_evals = 0
    for attempt in ("quasi-newton", "gradient"):
        if attempt == "gradient":
            memory.clear()
        direction = memory.apply(grad)
        direction *= -1.0
        slope = float(grad @ direction)
        if not slope < 0:
            continue
        scaled = len(memory) or memory.initial_inverse is not None
        first = 1.0 if scaled else min(1.0, 1.0 / float(np.linalg.norm(direction)))

        def phi(t, direction=direction):
            point = x + t * direction
            trial_value, trial_grad = fun_and_grad(point)
            return trial_value, float(trial_grad @ direction), (point, trial_grad)

        t, new_value, payload, evals = wolfe_line_search(
            phi, value, slope, first, noise=noise
        )
        n_evals += evals
        if t is not None:
            return payload[0], new_value, payload[1], n_evals
    return None, None, None, n_evals
