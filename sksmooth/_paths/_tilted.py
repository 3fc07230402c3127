"""The target-smoothing path of the L2 soft cross-entropy, solved as one problem.

Every target-smoothing objective is a tilt of the one at ``e = 0``
(:mod:`sksmooth._paths._tilt`): all share one Hessian, so
:func:`tilted_paths` walks the epsilons with one L-BFGS memory
(:func:`sksmooth._solvers.carried_lbfgs`) and needs only ``f_0``'s
evaluations; the objective and gradient of the next epsilon at the last
solution cost nothing. Each start is predicted by the polynomial through the
last solutions (:class:`PathWalk`; each first moved by a free quasi-Newton
step on its own residual gradient), kept only if it lowers the objective. For
a spread matrix with equal rows the first start is the known solution at ``e =
1`` moved along the path's tangent, and the inverse Hessian there, in closed
Kronecker form, is the memory's initial matrix.
"""

import numpy as np

from sksmooth._paths._tilt import (
    TiltedObjective,
    anchor,
    kronecker_inverse,
    use_kronecker,
    weighted_gram,
)
from sksmooth._solvers import CurvatureMemory, carried_lbfgs

MEMORY_SIZE = 10
# Across L2 strengths each point's memory is the previous strength's newest
# pairs at the same epsilon, then this path's newest. Over five folds of the
# two C-grid problems of benchmarks/cv_speed.py (20,000 x 50 and digits): 400
# and 887 evaluations with five of each (three: 396 and 935; seven: 393 and
# 914), 435 and 1115 with the memory carried as it is, 461 and 1141 with one
# path per strength.
NEIGHBOUR_PAIRS = 5
# Points of the predictor polynomial: five (a quartic) took 409 evaluations
# over three folds of each of four problems of benchmarks/cv_speed.py, against
# 436 with four, 489 with three and 405 with six.
PREDICTOR_POINTS = 5


def tilted_paths(problem, epsilons, l2s, start, store) -> None:
    """Solve the L2 soft cross-entropy at every (L2 strength, epsilon).

    Each strength's path is walked from the largest epsilon down, one L-BFGS
    memory for all the points; every point stops at ``max |gradient| <= tol``
    (or ``max_iter``, which does not stop the path). The strengths share the
    data term, so a curvature pair serves each once moved
    (:meth:`CurvatureMemory.restore`); they are walked from the largest down
    (the smallest ``C`` up). With ``start``, both in the order given. At each
    epsilon the memory holds the previous strength's newest pairs there, then
    this path's newest; the start is the previous strength's solution there
    after a free quasi-Newton step on this objective (its gradient is the old
    residual plus the change of the penalty's), plus that step's error at the
    epsilons solved so far, extrapolated. The memory's initial matrix is
    :func:`kronecker_inverse` when ``X`` has few features per logit.

    Parameters
    ----------
    problem : SoftmaxProblem
    epsilons : sequence of float
    l2s : sequence of float
        The loss's penalties.
    start : ndarray of shape (n_params,) or None
        Start of the first point.
    store : callable
        ``store(j, i, result, evaluations)`` once the point of ``(l2s[j],
        epsilons[i])`` is solved.
    """
    l2s = [float(l2) for l2 in l2s]
    objective = TiltedObjective(problem, l2s[0])
    n_logits, fit_intercept = problem.n_logits, problem.fit_intercept
    gram = None
    if use_kronecker("auto", problem.n_features, n_logits):
        gram = weighted_gram(
            problem.X, problem.sample_weight, objective.sums, fit_intercept
        )
    memory = CurvatureMemory(MEMORY_SIZE, penalty_mask=objective.penalty_mask)
    point = anchor(problem.S, n_logits, fit_intercept, problem.n_features)
    orders = [np.arange(len(l2s)), np.arange(len(epsilons))]
    if start is None:
        orders = [
            np.argsort(-np.asarray(values, dtype=float), kind="stable")
            for values in (l2s, epsilons)
        ]
    walk = None
    for j in orders[0]:
        objective.set_penalty(l2s[j])
        memory.set_penalty(
            l2s[j],
            None
            if gram is None
            else kronecker_inverse(
                gram, n_logits=n_logits, fit_intercept=fit_intercept, l2=l2s[j]
            ),
        )
        walk = PathWalk(objective, memory, point, previous=walk)
        _walk_one_path(
            walk,
            epsilons,
            orders[1],
            start if walk.previous is None else None,
            problem.options,
            lambda i, result, evaluations, j=int(j): store(j, i, result, evaluations),
        )


def _walk_one_path(walk, epsilons, order, coef0, options, store):
    """One strength's path, the points in ``order``."""
    objective, memory = walk.problem, walk.memory
    for index in order:
        epsilon = float(epsilons[index])
        before = objective.n_evaluations
        start = walk.start(epsilon, coef0)
        result = carried_lbfgs(
            objective.at(epsilon), start[0], memory, options, start=start[1:]
        )
        walk.record(epsilon, result)
        store(int(index), result, objective.n_evaluations - before)


class PathWalk:
    """The solutions so far and the start of the next point predicted from them.

    Each solution is kept with ``f_0``'s value and gradient there, so that the
    next epsilon's objective at it costs nothing, and its own residual
    gradient, from which the memory's free quasi-Newton step corrects it
    before it enters the predictor. With the walk of the ``previous`` L2
    strength, the predictor extrapolates only what that walk's solutions,
    moved to this strength, miss.
    """

    def __init__(self, problem, memory, anchor_coef, previous=None):
        self.problem, self.memory = problem, memory
        self.anchor = anchor_coef
        self.l2 = problem.loss.l2_reg_strength
        self.previous = previous
        self.points = []  # (epsilon, coef, residual gradient)
        self.pairs_at = {}  # epsilon -> the memory's newest pairs once solved
        if anchor_coef is not None:
            self.points.append((1.0, anchor_coef, None))
        self.last = None  # (coef, value0, grad0) of the last solution

    def record(self, epsilon, result):
        """Keep the solution at ``epsilon`` (replacing one at the same epsilon)."""
        tilt = self.problem.tilt
        value0 = result.value + epsilon * float(tilt @ result.solution)
        grad0 = result.gradient + epsilon * tilt
        self.points = [p for p in self.points if p[0] != epsilon]
        self.points.append((epsilon, result.solution, result.gradient))
        self.pairs_at[epsilon] = self.memory.snapshot(NEIGHBOUR_PAIRS)
        self.last = (result.solution, value0, grad0)

    def start(self, epsilon, coef0):
        """``(coef, value, gradient)`` of the objective at ``epsilon`` to start at."""
        problem = self.problem
        if self.previous is not None:  # the neighbours' pairs, then our newest
            neighbours = [self.previous.pairs_at.get(epsilon, (self.l2, []))]
            if self.last is not None:
                neighbours.append(self.memory.snapshot(NEIGHBOUR_PAIRS))
            self.memory.restore(neighbours)
        if self.last is None:
            coef = self._first(epsilon, coef0)
            return (coef, *problem.tilted(epsilon, coef, *problem.base(coef)))
        coef, value0, grad0 = self.last
        fallback = (coef, *problem.tilted(epsilon, coef, value0, grad0))
        candidate = self._predict(epsilon)
        value0_c, grad0_c = problem.base(candidate)
        self.memory.add(candidate - coef, grad0_c - grad0)
        predicted = (candidate, *problem.tilted(epsilon, candidate, value0_c, grad0_c))
        return predicted if predicted[1] < fallback[1] else fallback

    def moved(self, epsilons, l2):
        """This walk's solutions at ``epsilons``, each after a quasi-Newton step
        on the objective with L2 strength ``l2`` (free: its gradient there is
        the residual plus the change of the penalty's), or ``None`` if one is
        missing."""
        solved = {e: (coef, residual) for e, coef, residual in self.points}
        if any(e not in solved for e in epsilons):
            return None
        coefs = np.array([solved[e][0] for e in epsilons])
        gradients = (l2 - self.l2) * (coefs * self.problem.penalty_mask)
        for row, e in enumerate(epsilons):
            if solved[e][1] is not None:
                gradients[row] += solved[e][1]
        return coefs - self.memory.apply(gradients)

    def _first(self, epsilon, coef0):
        """``coef0``; the previous strength's solution moved to this one; else
        the anchor moved along the path's tangent at ``e = 1`` (``d theta / d e
        = H^{-1} b``, with the memory's initial matrix), or zeros."""
        if coef0 is not None:
            return np.array(coef0, dtype=np.float64)
        if self.previous is not None:
            moved = self.previous.moved([epsilon], self.l2)
            if moved is not None:
                return moved[0]
        if self.anchor is None:
            return np.zeros(self.problem.loss.n_params)
        if self.memory.initial_inverse is None:
            return self.anchor.copy()
        return self.anchor + (epsilon - 1.0) * self.memory.apply(self.problem.tilt)

    def _predict(self, epsilon):
        """The polynomial through the last corrected solutions, at ``epsilon``;
        with one solution, its tangent ``H b`` from the memory. With a previous
        strength, the polynomial through the differences from its moved
        solutions, added to its moved solution at ``epsilon``."""
        points = self.points[-PREDICTOR_POINTS:]
        nodes = np.array([p[0] for p in points])
        values = np.array([coef for _, coef, _ in points])
        corrected = [j for j, p in enumerate(points) if p[2] is not None]
        if corrected:  # one pass of the memory for all the residuals
            values[corrected] -= self.memory.apply(
                np.array([points[j][2] for j in corrected])
            )
        moved = None
        if self.previous is not None:
            moved = self.previous.moved([epsilon, *nodes], self.l2)
        if moved is not None:
            return moved[0] + _interpolate(nodes, values - moved[1:], epsilon)
        if len(points) == 1:
            return values[0] + (epsilon - nodes[0]) * self.memory.apply(
                self.problem.tilt
            )
        return _interpolate(nodes, values, epsilon)


def _interpolate(nodes, values, at):
    """The Lagrange polynomial through ``(nodes[j], values[j])`` at ``at``: its
    basis weights at ``at`` (on the few nodes), then one product with the
    values."""
    weights = np.empty(len(nodes))
    for j in range(len(nodes)):
        others = np.delete(nodes, j)
        weights[j] = np.prod((at - others) / (nodes[j] - others))
    return weights @ values
