"""The reference-counted BLAS guard: :func:`solver_blas_threads`.

A solver's own steps (L-BFGS-B's updates, ``scipy.linalg`` on small systems)
run with the OpenBLAS that only scipy calls limited to one thread; numpy's
BLAS, which the objectives' large products use, is never touched. The setting
is restored when the last solver section in the process ends, whatever the
interleaving of fits in other threads.
"""

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import scipy
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
    cores numpy's threads need, and fits slow down (``benchmarks/concurrency.py``
    measures it). Limiting scipy's copy to one thread for
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
    >>> from sksmooth._blas_threads import solver_blas_threads
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
