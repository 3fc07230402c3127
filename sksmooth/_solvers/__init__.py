"""The solvers: scipy's L-BFGS-B, L-BFGS with a carried curvature memory, and
truncated Newton-CG.

Every solver takes plain callables on flat float64 vectors and knows nothing
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
from sksmooth._solvers._lbfgs import lbfgs
from sksmooth._solvers._line_search import wolfe_line_search
from sksmooth._solvers._memory import CurvatureMemory
from sksmooth._solvers._newton import (
    conjugate_gradient,
    homotopy_predictor,
    newton_cg,
)

__all__ = [
    "CurvatureMemory",
    "carried_lbfgs",
    "conjugate_gradient",
    "homotopy_predictor",
    "lbfgs",
    "newton_cg",
    "wolfe_line_search",
]
