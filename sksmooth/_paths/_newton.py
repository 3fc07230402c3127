"""The Newton path's predictor: each start a step along the homotopy's tangent."""

import numpy as np

from sksmooth._solvers import conjugate_gradient


def homotopy_predictor(loss, target_change, coef, epsilon, next_epsilon, previous):
    """Predicted solution at ``next_epsilon`` from the one at ``epsilon``, on
    the target-smoothing path of a loss with ``hessp`` (``fit_path``'s Newton).

    The tangent ``dw/de`` solves ``H dw/de = data_gradient(d(wY)/de)``
    (differentiating ``g(w(e), e) = 0``; ``H`` at ``coef``, the last point
    ``loss`` evaluated), by conjugate gradients to a relative residual of
    1e-2, plenty for a predictor. With an earlier solution ``previous =
    (e0, w0)`` the step is second order: the parabola through ``w0`` with
    value ``coef`` and slope ``dw/de`` at ``epsilon`` (no extra products).
    """
    rhs = loss.data_gradient(target_change)
    tangent, _ = conjugate_gradient(
        loss.hessp,
        rhs,
        atol=1e-2 * np.linalg.norm(rhs),
        max_iter=200,
        precondition=loss.preconditioner(),
    )
    step = next_epsilon - epsilon
    predicted = coef + step * tangent
    if previous is not None:
        back = previous[0] - epsilon
        if back != 0:
            curvature = (previous[1] - coef - back * tangent) / back**2
            predicted += step**2 * curvature
    return predicted
