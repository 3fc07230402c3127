"""The contract every solver meets: :class:`SolverOptions` in,
:class:`SolverResult` out, and one way to say it stopped short.

A solver is a function ``solver(fun_and_grad, x0, options, ...)`` (Newton's
takes ``hessp`` before ``x0``): ``fun_and_grad(x) -> (value, gradient)`` on a
flat float64 vector, ``options`` when to stop (every gradient component at
most ``tol``, or ``max_iter`` iterations) and what to print. It never warns:
its :class:`SolverResult` says whether it converged and why it stopped, and
the caller, which knows what was solved, reports an unconverged result with
:func:`report_result` (one fit) or
:func:`sksmooth._convergence.report_unconverged_points` (a path of fits).
"""

from dataclasses import dataclass

import numpy as np

from sksmooth._convergence import report_unconverged

REMEDY = (
    "Increase max_iter, scale the data (e.g. with sklearn.preprocessing."
    "StandardScaler), or loosen tol."
)


@dataclass(frozen=True)
class SolverOptions:
    """When a solver stops, and what it prints meanwhile.

    Attributes
    ----------
    max_iter : int
        Largest number of iterations.
    tol : float
        Stop when every component of the gradient is at most ``tol``.
    verbose : int, default=0
        If positive, print the objective after every iteration.
    name : str, default="estimator"
        Printed with the objective.
    """

    max_iter: int
    tol: float
    verbose: int = 0
    name: str = "estimator"


@dataclass(frozen=True)
class SolverResult:
    """What every solver returns.

    Attributes
    ----------
    solution : ndarray of shape (n_params,)
        The last iterate.
    value : float
        The objective there.
    gradient : ndarray of shape (n_params,)
        Its gradient there.
    iterations : int
        Iterations made.
    evaluations : int
        Calls of ``fun_and_grad``.
    converged : bool
        Whether the solver stopped on its tolerance (or on a decrease below
        what the arithmetic resolves), not on ``max_iter`` or a failed search.
    message : str
        Why it stopped.
    solver : str
        The solver, as a message names it ("L-BFGS-B", "the Newton solver").

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._solvers import SolverOptions, lbfgs
    >>> result = lbfgs(lambda x: (float(x @ x), 2 * x), np.ones(3),
    ...                SolverOptions(max_iter=1, tol=1e-12))
    >>> result.converged, result.iterations
    (False, 1)
    >>> result.unconverged_message("Demo")  # doctest: +ELLIPSIS
    'Demo did not converge: L-BFGS-B stopped after 1 iterations (...). Increase...'

    """

    solution: np.ndarray
    value: float
    gradient: np.ndarray
    iterations: int
    evaluations: int
    converged: bool
    message: str
    solver: str

    def unconverged_message(self, name: str) -> str:
        """The message that reports this result as ``name``'s unconverged fit."""
        return (
            f"{name} did not converge: {self.solver} stopped after "
            f"{self.iterations} iterations ({self.message}). {REMEDY}"
        )


def report_result(result: SolverResult, name: str, stacklevel: int = 1) -> None:
    """Report ``result`` if it did not converge: a ``ConvergenceWarning`` naming
    ``name`` and the remedy, or inside a search's deferral block a message
    (:func:`sksmooth._convergence.report_unconverged`). ``stacklevel`` counts
    from the caller of this function."""
    if not result.converged:
        report_unconverged(result.unconverged_message(name), stacklevel + 1)
