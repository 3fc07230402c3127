"""The solvers: scipy's L-BFGS-B, L-BFGS with a carried curvature memory, and
truncated Newton-CG.

Every solver meets one contract (``_contract.py``): plain callables on flat
float64 vectors in (``fun_and_grad(x) -> (value, gradient)``, for Newton also
``hessp(v)``), a start and :class:`SolverOptions` (``max_iter``, ``tol``,
what to print); a :class:`SolverResult` out (solution, value, gradient,
iterations, evaluations, converged, message). No solver warns: the caller
reports an unconverged result with :func:`report_result`. Nothing here knows
of losses, estimators or data.

- :func:`lbfgs` (``_lbfgs.py``): scipy's L-BFGS-B with scikit-learn's options,
  the solver of every learner's ``fit``.
- :func:`carried_lbfgs` (``_carried.py``): L-BFGS whose
  :class:`CurvatureMemory` (``_memory.py``) outlives one problem, with its
  strong-Wolfe :func:`wolfe_line_search` (``_line_search.py``): the solver of
  a path.
- :func:`newton_cg` (``_newton.py``): truncated Newton with
  :func:`conjugate_gradient`.
"""

from sksmooth._solvers._carried import carried_lbfgs
from sksmooth._solvers._contract import SolverOptions, SolverResult, report_result
from sksmooth._solvers._lbfgs import lbfgs
from sksmooth._solvers._line_search import wolfe_line_search
from sksmooth._solvers._memory import CurvatureMemory
from sksmooth._solvers._newton import conjugate_gradient, newton_cg

__all__ = [
    "CurvatureMemory",
    "SolverOptions",
    "SolverResult",
    "carried_lbfgs",
    "conjugate_gradient",
    "lbfgs",
    "newton_cg",
    "report_result",
    "wolfe_line_search",
]
