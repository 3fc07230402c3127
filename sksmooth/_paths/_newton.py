"""The warm path: every point a solve of its own loss, each start the last
solution, or for Newton on target smoothing a step along the homotopy's tangent.

:func:`warm_paths` walks the points in the order given, one path per ``C``;
it is the path of ``solver="newton-cg"`` (and of any solver of
:func:`~sksmooth._paths._problem.minimize_loss` without a carried memory).
"""

import numpy as np

from sksmooth._paths._problem import minimize_loss
from sksmooth._solvers import conjugate_gradient


def warm_paths(problem, epsilons, l2s, start, store, *, solver, forward) -> None:
    """Solve every (strength, epsilon) in the order given, one loss each.

    Each strength's path starts from ``start`` (or zeros) and each later
    point from the last solution (forward smoothing) or, on the targets'
    path, from :func:`homotopy_predictor`'s step (Newton's Hessian products
    give the tangent). The other parameters are those of
    :func:`sksmooth._paths._tilted.tilted_paths`.
    """
    hessian = solver == "newton-cg"
    target_change = None
    if len(epsilons) > 1 and not forward and hessian:
        target_change = _target_change(problem)
    for j, l2 in enumerate(l2s):
        loss = result = last_epsilon = previous = None  # previous: the one before
        for i, epsilon in enumerate(epsilons):
            next_loss = problem.loss(l2, epsilon, forward=forward, hessian=hessian)
            if loss is None:
                coef = np.zeros(problem.n_params) if start is None else start.copy()
            elif forward or target_change is None:  # from the last solution
                coef = result.solution.copy()  # kept: minimize_loss centres its start
            else:
                coef = homotopy_predictor(
                    loss,
                    target_change,
                    result.solution,
                    last_epsilon,
                    epsilon,
                    previous,
                )
            previous = None if loss is None else (last_epsilon, result.solution)
            loss, last_epsilon = next_loss, epsilon
            result = minimize_loss(loss, coef, solver, problem.options)
            store(j, i, result, result.evaluations)


def _target_change(problem):
    """``d(w_i Y_i) / d epsilon = w_i (S[y_i] - onehot(y_i))``, in the loss's
    ``(K, n)`` layout (the row of class 1 for a binary problem)."""
    codes, dtype = problem.codes, problem.X.dtype
    change = problem.S[codes].T.astype(dtype)
    change[codes, np.arange(codes.shape[0])] -= 1.0
    if problem.sample_weight is not None:
        change *= problem.sample_weight.astype(dtype)
    return change[1] if problem.n_classes == 2 else change


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
