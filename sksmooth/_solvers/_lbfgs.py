"""scipy's L-BFGS-B, with scikit-learn's options and the BLAS guard.

The solver of every learner's ``fit``: a thin wrapper over
``scipy.optimize.minimize(method="L-BFGS-B")`` that warns (through
:func:`sksmooth._convergence.report_unconverged`) when it stops short.
"""

from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize

from sksmooth._blas_threads import solver_blas_threads
from sksmooth._convergence import report_unconverged


def lbfgs(
    fun_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0: np.ndarray,
    *,
    max_iter: int,
    tol: float,
    max_fun: int | None = None,
    maxls: int = 50,
    ftol: float = 64 * np.finfo(float).eps,
    verbose: int = 0,
    estimator_name: str = "estimator",
    callback: Callable[[np.ndarray, float], None] | None = None,
):
    """Minimise a smooth function with L-BFGS-B and warn if it did not converge.

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
    max_iter : int
        Largest number of L-BFGS iterations.
    tol : float
        The solver stops when every component of the projected gradient is at
        most ``tol``.
    max_fun : int, default=None
        Largest number of function evaluations; ``None`` leaves scipy's default.
    maxls : int, default=50
        Largest number of line-search steps per iteration (``LogisticRegression``'s
        choice; scipy's default, which ``MLPClassifier`` keeps, is 20).
    ftol : float, default=64 * machine epsilon
        Stop when the relative decrease of the objective falls below ``ftol``
        (``LogisticRegression``'s choice; scipy's default is ``2.22e-9``).
    verbose : int, default=0
        If positive, print the objective after every iteration.
    estimator_name : str, default="estimator"
        Named in the convergence warning.
    callback : callable, default=None
        ``callback(x, value)`` after every iteration (e.g. to record a loss curve).

    Returns
    -------
    result : scipy.optimize.OptimizeResult
        ``x``, ``fun``, ``nit``, ``nfev``, ``status``, ``message``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._solvers import lbfgs
    >>> res = lbfgs(lambda x: (float(x @ x), 2 * x), np.ones(3), max_iter=10,
    ...             tol=1e-8)
    >>> np.allclose(res.x, 0), res.nit >= 1
    (True, True)
    """
    options = {
        "maxiter": max_iter,
        "maxls": maxls,
        "gtol": tol,
        "ftol": ftol,
    }
    if max_fun is not None:
        options["maxfun"] = max_fun

    iteration = [0]

    def on_iteration(intermediate_result):
        iteration[0] += 1
        value = float(intermediate_result.fun)
        if verbose:
            print(f"[{estimator_name}] iteration {iteration[0]:4d}  loss {value:.10g}")
        if callback is not None:
            callback(intermediate_result.x, value)

    needs_callback = verbose or callback is not None
    with solver_blas_threads():
        result = minimize(
            fun_and_grad,
            x0,
            method="L-BFGS-B",
            jac=True,
            options=options,
            callback=on_iteration if needs_callback else None,
        )
    if result.status != 0 or not np.isfinite(result.fun):
        report_unconverged(
            f"{estimator_name} did not converge: L-BFGS-B stopped after "
            f"{result.nit} iterations ({_message(result)}). Increase max_iter, "
            "scale the data (e.g. with sklearn.preprocessing.StandardScaler), or "
            "loosen tol.",
            stacklevel=3,
        )
    return result


def _message(result) -> str:
    message = result.message
    if isinstance(message, bytes):
        message = message.decode("latin1")
    return str(message).strip()
