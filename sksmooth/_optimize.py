"""Solvers: a thin wrapper over scipy's L-BFGS-B, and the BLAS thread guard."""

import os
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import scipy
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import ThreadpoolController

# The state of solver_blas_threads, shared by every thread of the process.
_guard_lock = threading.Lock()
_active_solvers = 0  # solver sections open in any thread
_saved_threads: list = []  # (library, its thread count before the first section)
_solver_only_blas: list | None = None  # found once, on first use


@contextmanager
def solver_blas_threads() -> Iterator[None]:
    """Run a solver's own steps with the BLAS that only scipy calls single-threaded.

    Wrap the part of a solver that calls scipy's compiled linear algebra on
    short vectors (L-BFGS-B's updates, ``scipy.linalg`` on a small system)::

        with solver_blas_threads():
            result = minimize(objective, x0, method="L-BFGS-B", jac=True)

    **Why.** numpy and scipy wheels each ship their own OpenBLAS. The
    solver's steps call scipy's copy; an objective's large matrix products
    (``X @ W``, ``G.T @ X``) call numpy's. Each small call into scipy's
    OpenBLAS wakes its worker threads, which then spin for a while on the
    cores numpy's threads need: on 2 cores, fits ran 1.5-2x slower
    (``benchmarks/concurrency.py``). Limiting scipy's copy to one thread for
    the whole solve costs the solver nothing (its vectors are far too short
    for threads) and leaves numpy's products, hence the objective, untouched:
    no restoring around each evaluation is needed.

    **Which library.** Only an OpenBLAS with its own (pthreads) thread pool
    loaded from scipy's install folders (``scipy.libs``, ``scipy/.dylibs``,
    the ``scipy`` package) and not from numpy's: the copy scipy's wheels ship.
    With one BLAS shared by numpy and scipy (conda, system packages, MKL),
    limiting it would slow the objective's products too, so nothing is
    changed at all and the guard is a no-op.

    **No leak under concurrency.** A module-level lock guards a count of the
    solver sections open in the whole process. Only the first section in
    (count 0 -> 1) reads the library's thread count and sets it to one; only
    the last one out (count 1 -> 0) puts it back. Both happen under the lock,
    so the value read is never a limit of ours (no section was open then)
    and nobody writes in between; the exit runs in a ``finally``, so an
    exception in the solver restores too. Hence after any interleaving of
    fits in any threads, once none is running, the setting is what it was
    before the first began.

    **Changes by others during a fit.** If, while a section is open, someone
    else sets scipy's BLAS to a count other than one, the last section out
    sees it and leaves that setting alone. A ``threadpool_limits`` context
    entered *during* a fit records our temporary limit of one as its original
    and restores it on exit; that is threadpoolctl's own, process-wide
    semantics, the same as for any two overlapping limits. numpy's BLAS, the
    one user code normally meets, is never touched. A process forked during
    a solve starts with no section open and scipy's count restored.

    **For other solvers.** Wrap the steps that call scipy's compiled code
    (``scipy.optimize``'s solvers, ``scipy.linalg``); steps written with numpy
    use numpy's BLAS, the objective's own pool, and gain nothing from it.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.optimize import minimize
    >>> from sksmooth._optimize import solver_blas_threads
    >>> with solver_blas_threads():
    ...     result = minimize(lambda x: (x @ x, 2 * x), np.ones(3), jac=True,
    ...                       method="L-BFGS-B")
    >>> bool(np.allclose(result.x, 0))
    True
    """
    _enter_solver_section()
    try:
        yield
    finally:
        _exit_solver_section()


def _enter_solver_section() -> None:
    global _active_solvers, _saved_threads, _solver_only_blas
    with _guard_lock:
        if _active_solvers == 0:
            if _solver_only_blas is None:
                _solver_only_blas = _find_solver_only_blas()
            _saved_threads = [(lib, lib.get()) for lib in _solver_only_blas]
            for lib, threads in _saved_threads:
                if threads != 1:
                    lib.set(1)
        _active_solvers += 1


def _reset_in_forked_child() -> None:
    """A child forked during a solve runs none of its parent's solver sections."""
    global _guard_lock, _active_solvers, _saved_threads
    _guard_lock = threading.Lock()  # the parent's may have been held at the fork
    if _active_solvers:
        for lib, threads in _saved_threads:
            if threads != 1 and lib.get() == 1:
                lib.set(threads)
    _active_solvers, _saved_threads = 0, []


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_in_forked_child)


def _exit_solver_section() -> None:
    global _active_solvers, _saved_threads
    with _guard_lock:
        _active_solvers -= 1
        if _active_solvers == 0:
            for lib, threads in _saved_threads:
                # Put back only our own limit: a count someone else set during
                # the fit is theirs to keep.
                if threads != 1 and lib.get() == 1:
                    lib.set(threads)
            _saved_threads = []


class _OpenBLASThreads:
    """``openblas_get/set_num_threads`` of one loaded OpenBLAS, called directly.

    Not through threadpoolctl's ``set_num_threads``: since threadpoolctl 3.7
    only the first Python thread that sets OpenBLAS's count may change it
    again (until it leaves a ``threadpool_limits`` block); calls from other
    threads are silently dropped. A fit in a worker thread could then limit
    but not restore. Our own lock already serialises our writes.
    """

    def __init__(self, dynlib):
        self.get = self.set = None
        for prefix in ("", "scipy_"):
            for suffix in ("", "64_", "_64"):
                name = f"{prefix}openblas_%s_num_threads{suffix}"
                get = getattr(dynlib, name % "get", None)
                set_ = getattr(dynlib, name % "set", None)
                if get is not None and set_ is not None:
                    self.get, self.set = get, set_
                    return


def _find_solver_only_blas() -> list[_OpenBLASThreads]:
    """The OpenBLAS libraries in scipy's install folders and not in numpy's.

    Only OpenBLAS with its own (pthreads) thread pool: the library scipy's
    wheels ship, and the one whose idle threads spin. Anything else (MKL,
    an OpenMP build, a BLAS shared with numpy) gives an empty list.
    """
    scipy_dirs = _install_dirs(scipy.__file__)
    numpy_dirs = _install_dirs(np.__file__)
    found = []
    for lib in ThreadpoolController().select(internal_api="openblas").lib_controllers:
        if (
            lib.filepath
            and getattr(lib, "threading_layer", None) == "pthreads"
            and _is_under(lib.filepath, scipy_dirs)
            and not _is_under(lib.filepath, numpy_dirs)
        ):
            threads = _OpenBLASThreads(lib.dynlib)
            if threads.get is not None:
                found.append(threads)
    return found


def _install_dirs(package_init: str) -> tuple[str, ...]:
    """A package's folder and its wheel's library folder (``name.libs``)."""
    package = Path(package_init).resolve().parent
    return (str(package), str(package.parent / f"{package.name}.libs"))


def _is_under(path: str, folders: tuple[str, ...]) -> bool:
    path = os.path.realpath(path)
    return any(path.startswith(folder + os.sep) for folder in folders)


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
    >>> from sksmooth._optimize import lbfgs
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
        warnings.warn(
            f"{estimator_name} did not converge: L-BFGS-B stopped after "
            f"{result.nit} iterations ({_message(result)}). Increase max_iter, "
            "scale the data (e.g. with sklearn.preprocessing.StandardScaler), or "
            "loosen tol.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return result


def _message(result) -> str:
    message = result.message
    if isinstance(message, bytes):
        message = message.decode("latin1")
    return str(message).strip()
