"""Truncated Newton-CG and its conjugate gradients.

:func:`newton_cg` takes ``fun_and_grad(x) -> (value, gradient)`` and
``hessp(v)`` on flat float64 vectors and knows nothing of estimators or data;
it meets the solvers' contract (``_contract.py``).
"""

from collections.abc import Callable

import numpy as np

from sksmooth._solvers._contract import SolverOptions, SolverResult


def conjugate_gradient(
    hessp: Callable[[np.ndarray], np.ndarray],
    rhs: np.ndarray,
    *,
    atol: float,
    max_iter: int,
    precondition: Callable[[np.ndarray], np.ndarray] | None = None,
):
    """Approximately solve ``H x = rhs`` by (preconditioned) conjugate gradients.

    ``H`` (given by its products) is symmetric, positive semi-definite with
    ``rhs`` in its range for a convex objective; ``precondition(r)`` applies an
    approximate inverse of ``H`` (symmetric positive definite on that range), or
    ``None``. Starts from ``x = 0``. Stops when ``||H x - rhs||_2 <= atol``,
    after ``max_iter`` products, or when a direction of non-positive curvature
    shows up (rounding on a flat direction, or a non-convex objective such as
    forward smoothing's), returning the iterate so far; if that happens on the
    first direction, it returns that direction, the preconditioned ``rhs``
    (for ``rhs = -gradient`` a descent direction: truncated Newton's rule,
    Nocedal and Wright, Algorithm 7.1).

    Returns
    -------
    x : ndarray of the shape of ``rhs``
    n_products : int
        Number of Hessian products used.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._solvers import conjugate_gradient
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> x, n = conjugate_gradient(lambda v: A @ v, np.array([1.0, 2.0]),
    ...                           atol=1e-12, max_iter=10)
    >>> bool(np.allclose(A @ x, [1, 2])), n
    (True, 2)
    """
    x = np.zeros_like(rhs)
    residual = rhs.copy()
    z = residual if precondition is None else precondition(residual)
    direction = z.copy()
    rz = float(residual @ z)
    n_products = 0
    while n_products < max_iter and np.linalg.norm(residual) > atol:
        product = hessp(direction)
        n_products += 1
        curvature = float(direction @ product)
        if curvature <= 0:
            if n_products == 1:
                x = direction
            break
        step = rz / curvature
        x += step * direction
        residual -= step * product
        z = residual if precondition is None else precondition(residual)
        rz_new = float(residual @ z)
        direction *= rz_new / rz
        direction += z
        rz = rz_new
    return x, n_products


NEWTON_MESSAGES = {
    0: "max |gradient| <= tol and the estimated gap small",
    1: "max_iter reached",
    2: "the line search found no decrease (rounding or non-finite values)",
}


def _backtrack(fun_and_grad, x, value, grad_norm, step, slope, noise):
    """Halve ``t`` from 1 until ``x + t * step`` passes the Armijo test, or,
    where the change of the objective is rounding noise, lowers the gradient.

    Returns ``(t, trial, value, gradient, evaluations)``; ``trial`` is
    ``None`` when 30 halvings found no such point.
    """
    t = 1.0
    for n_trials in range(1, 31):
        trial = x + t * step
        trial_value, trial_grad = fun_and_grad(trial)
        if trial_value <= value + 1e-4 * t * slope or (
            abs(trial_value - value) <= noise * abs(value)
            and np.linalg.norm(trial_grad) < grad_norm
        ):
            return t, trial, trial_value, trial_grad, n_trials
        t *= 0.5
    return t, None, None, None, n_trials


def _gap_after(full_step: bool, slope: float, grad, previous_norm: float):
    """The objective gap left after a Newton step, estimated.

    ``-g.p / 2`` (the Newton decrement) estimates the gap before a full step
    whose CG converged; near the optimum the gap scales as ``|g|^2``, so the
    gap left after the step is about that times ``(|g_new| / |g|)^2``, with a
    margin of 10. After a shortened step nothing is known: ``inf``.
    """
    if not full_step:
        return np.inf
    ratio = float(np.linalg.norm(grad)) / previous_norm
    return -slope / 2 * min(1.0, 10 * ratio**2)


def newton_cg(
    fun_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    hessp: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    options: SolverOptions,
    *,
    preconditioner: Callable[[], Callable[[np.ndarray], np.ndarray]] | None = None,
    value_eps: float = float(np.finfo(np.float64).eps),
    max_inner: int = 1000,
    gap_rtol: float = 1e-8,
) -> SolverResult:
    """Minimise a smooth convex function by truncated Newton steps.

    Each iteration solves the Newton system ``H p = -g`` inexactly by
    :func:`conjugate_gradient` (relative residual ``min(0.5, sqrt(||g||))``,
    the forcing term that keeps Newton's quadratic convergence near the
    optimum, as in scikit-learn's ``newton-cg``), then backtracks from the full
    step until the Armijo condition holds. A warm start near the optimum
    therefore costs one or two steps.

    Written here rather than taken from ``scipy.optimize.minimize``: scipy's
    ``Newton-CG`` stops on the size of the step (``xtol``), not on the
    gradient, and ``trust-ncg`` on the gradient's 2-norm; neither lets ``tol``
    mean what it means for :func:`lbfgs` (every gradient component at most
    ``tol``), and both evaluate the objective and gradient in separate calls
    where the soft cross-entropy computes both in one pass.

    ``hessp(v)`` must return the Hessian at the point of the LAST
    ``fun_and_grad`` call times ``v`` (what the loss kernels keep). The
    backtracking line search ends on the accepted point, so this holds.

    Parameters
    ----------
    fun_and_grad : callable
        ``fun_and_grad(x) -> (value, gradient)``.
    hessp : callable
        ``hessp(v) -> H v`` at the last evaluated point.
    x0 : ndarray of shape (n_params,)
        Starting point (float64).
    options : SolverOptions
        ``max_iter``: Newton iterations. ``tol``: stop when every component
        of the gradient is at most ``tol`` (as :func:`lbfgs`) and the
        estimated gap is small (``gap_rtol``), or when the predicted decrease
        falls below ``value_eps * |f|`` (nothing left that the arithmetic can
        resolve; L-BFGS stops earlier, at ``64 * eps``). ``verbose``, ``name``:
        what it prints.
    max_inner : int, default=1000
        Largest number of Hessian products per Newton step. Well-conditioned
        steps stop far earlier, at their forcing term. scikit-learn caps at
        200, which on ill-conditioned problems truncates steps and multiplies
        their number (``benchmarks/solvers.py``).
    gap_rtol : float, default=1e-8
        Besides the gradient test, the objective gap left after the last full
        Newton step, estimated, must be at most ``gap_rtol * |f|``. The
        estimate is the step's Newton decrement ``-g.p / 2`` (about the gap
        before it) times ``min(1, 10 (|g_new| / |g|)^2)`` (near the optimum
        the gap scales as the squared gradient). The gradient test alone can
        stop while the objective is still far from its minimum on badly
        scaled problems; with this test a warm start near the optimum still
        stops after one step.
    value_eps : float, default=float64's machine epsilon
        Relative rounding error of the objective's value (pass float32's for
        an objective computed in float32): sets the noise level of the line
        search and the rounding stop.
    preconditioner : callable, default=None
        ``preconditioner() -> apply``, called once per Newton step at the last
        evaluated point; ``apply(r)`` approximates ``H^{-1} r`` (e.g. Jacobi).

    Returns
    -------
    result : SolverResult
        Its message one of :data:`NEWTON_MESSAGES` (converged; ``max_iter``
        reached; no decrease possible).

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._solvers import SolverOptions, newton_cg
    >>> A = np.array([[3.0, 1.0], [1.0, 2.0]])
    >>> res = newton_cg(lambda x: (float(x @ A @ x / 2 - x.sum()), A @ x - 1),
    ...                 lambda v: A @ v, np.zeros(2),
    ...                 SolverOptions(max_iter=10, tol=1e-10))
    >>> bool(np.allclose(A @ res.solution, 1)), res.converged
    (True, True)
    """
    x = np.array(x0, dtype=np.float64)
    tol, max_iter = options.tol, options.max_iter
    value, grad = fun_and_grad(x)
    n_fun, status, iteration = 1, 1, 0
    # Below this relative change the objective is rounding noise (L-BFGS's
    # ftol): a step is then accepted if it lowers the gradient instead. A
    # predicted decrease below eps * |f| ends the run as converged.
    noise = 64 * value_eps
    gap_estimate = np.inf  # objective gap left after the last step, estimated
    while True:
        if not np.isfinite(value):
            status = 2
            break
        small_gradient = np.max(np.abs(grad)) <= tol
        if small_gradient and gap_estimate <= gap_rtol * abs(value):
            status = 0
            break
        if iteration >= max_iter:
            break
        grad_norm = float(np.linalg.norm(grad))
        forcing = min(0.5, np.sqrt(grad_norm))
        step, products = conjugate_gradient(
            hessp,
            -grad,
            atol=forcing * grad_norm,
            max_iter=max_inner,
            precondition=None if preconditioner is None else preconditioner(),
        )
        slope = float(grad @ step)
        if not slope < 0:  # no descent direction: fall back to the gradient
            step, slope = -grad, -(grad_norm**2)
        if -slope / 2 <= value_eps * abs(value):
            status = 0  # the decrease left is below what float64 can resolve
            break
        t, trial, trial_value, trial_grad, n_trials = _backtrack(
            fun_and_grad, x, value, grad_norm, step, slope, noise
        )
        n_fun += n_trials
        if trial is None:
            # The last evaluation was not at x: restore the state hessp uses.
            fun_and_grad(x)
            n_fun += 1
            status = 2
            break
        full_step = t == 1.0 and products < max_inner
        gap_estimate = _gap_after(full_step, slope, trial_grad, grad_norm)
        x, value, grad = trial, trial_value, trial_grad
        iteration += 1
        if options.verbose:
            print(
                f"[{options.name}] Newton iteration {iteration:4d}  loss "
                f"{value:.10g}  (step {t:g}, {products} Hessian products)"
            )
    return SolverResult(
        solution=x,
        value=float(value),
        gradient=grad,
        iterations=iteration,
        evaluations=n_fun,
        converged=status == 0,
        message=NEWTON_MESSAGES[status],
        solver="the Newton solver",
    )
