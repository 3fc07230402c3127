"""The ε paths of the linear model, behind one stateless function.

:func:`softmax_path` (``_softmax.py``) solves a :class:`SoftmaxProblem`
(``_problem.py``: the data, spread matrix, layout and solver options, frozen)
at every ``(C, epsilon)`` and returns a :class:`PathResult` (a solution, its
iterations and evaluations and whether it converged, per point), as
scikit-learn's ``_logistic_regression_path`` does for ``LogisticRegression``.
Its drivers:

- ``_tilted.py``: target smoothing, every objective a tilt of one
  (``_tilt.py``: the tilt, the anchor, the Kronecker inverse Hessian), one
  carried L-BFGS memory, starts from the predictor's polynomial;
- ``_forward.py``: forward smoothing, the memory carried as approximate
  curvature;
- ``_newton.py``: one solve per point (Newton's, started on the homotopy's
  tangent).

:func:`minimize_loss` is the one solver call on one loss (``fit`` uses it
too). Nothing here knows of estimators; nothing warns.
"""

from sksmooth._paths._problem import (
    SOLVERS,
    PathResult,
    SoftmaxProblem,
    minimize_loss,
)
from sksmooth._paths._softmax import softmax_path

__all__ = ["SOLVERS", "PathResult", "SoftmaxProblem", "minimize_loss", "softmax_path"]
