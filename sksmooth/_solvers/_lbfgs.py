"""scipy's L-BFGS-B, with scikit-learn's options and the BLAS guard.

The solver of every learner's ``fit``: a thin wrapper over
``scipy.optimize.minimize(method="L-BFGS-B")`` that meets the solvers'
contract (``_contract.py``).
"""

from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize

from sksmooth._blas_threads import solver_blas_threads
from sksmooth._solvers._contract import SolverOptions, SolverResult


def lbfgs(
    fun_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0: np.ndarray,
    options: SolverOptions,
    *,
    max_fun: int | None = None,
    maxls: int = 50,
    ftol: float = 64 * np.finfo(float).eps,
    callback: Callable[[np.ndarray, float], None] | None = None,
) -> SolverResult:
    """Minimise a smooth function with scipy's L-BFGS-B.

    The options match scikit-learn's ``LogisticRegression(solver="lbfgs")``
    (``maxls=50``, ``gtol=tol``, ``ftol=64 * machine epsilon``), so both make
    the same iterates on the same objective.

    The solve runs inside :func:`solver_blas_threads`: the BLAS library only
    scipy calls is single-threaded meanwhile (L-BFGS-B's steps are on vectors
    of length ``n_params``, far too short for threads, and its idle threads
    would otherwise spin on the cores the objective's products need), while
    ``fun_and_grad``'s numpy products keep numpy's BLAS threads. Nothing is
    left changed afterwards, whatever other fits run in other threads.

    Parameters
    ----------
    fun_and_grad : callable
        ``fun_and_grad(x) -> (value, gradient)`` with ``x`` and ``gradient`` of
        shape ``(n_params,)``.
    x0 : ndarray of shape (n_params,)
        Starting point (float64).
    options : SolverOptions
        ``max_iter`` (L-BFGS iterations), ``tol`` (on every component of the
        projected gradient, L-BFGS-B's ``gtol``), ``verbose`` and ``name``.
    max_fun : int, default=None
        Largest number of function evaluations; ``None`` leaves scipy's default.
    maxls : int, default=50
        Largest number of line-search steps per iteration (``LogisticRegression``'s
        choice; scipy's default, which ``MLPClassifier`` keeps, is 20).
    ftol : float, default=64 * machine epsilon
        Stop when the relative decrease of the objective falls below ``ftol``
        (``LogisticRegression``'s choice; scipy's default is ``2.22e-9``).
    callback : callable, default=None
        ``callback(x, value)`` after every iteration (e.g. to record a loss curve).

    Returns
    -------
    result : SolverResult
        Converged when scipy's status is 0 (its ``gtol`` or ``ftol`` test)
        and the objective is finite.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._solvers import SolverOptions, lbfgs
    >>> res = lbfgs(lambda x: (float(x @ x), 2 * x), np.ones(3),
    ...             SolverOptions(max_iter=10, tol=1e-8))
    >>> bool(np.allclose(res.solution, 0)), res.converged
    (True, True)
    """
    verbose, name = options.verbose, options.name
    scipy_options = {
        "maxiter": options.max_iter,
        "maxls": maxls,
        "gtol": options.tol,
        "ftol": ftol,
    }
    if max_fun is not None:
        scipy_options["maxfun"] = max_fun

    iteration = [0]

    def on_iteration(intermediate_result):
        iteration[0] += 1
        value = float(intermediate_result.fun)
        if verbose:
            print(f"[{name}] iteration {iteration[0]:4d}  loss {value:.10g}")
        if callback is not None:
            callback(intermediate_result.x, value)

    needs_callback = verbose or callback is not None
    with solver_blas_threads():
        result = minimize(
            fun_and_grad,
            x0,
            method="L-BFGS-B",
            jac=True,
            options=scipy_options,
            callback=on_iteration if needs_callback else None,
        )
    return SolverResult(
        solution=result.x,
        value=float(result.fun),
        gradient=result.jac,
        iterations=int(result.nit),
        evaluations=int(result.nfev),
        converged=bool(result.status == 0 and np.isfinite(result.fun)),
        message=_message(result),
        solver="L-BFGS-B",
    )


def _message(result) -> str:
    message = result.message
    if isinstance(message, bytes):
        message = message.decode("latin1")
    return str(message).strip()
