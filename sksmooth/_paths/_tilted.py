"""The target-smoothing path of the L2 soft cross-entropy, solved as one problem.

The soft cross-entropy is ``H(Y, softmax z) = logsumexp(z) - Y.z`` and smoothed
targets are ``Y(e) = onehot + e (S[y] - onehot)``, so the objective at ``e`` is
a linear tilt of the one at ``e = 0``::

    f_e(theta) = f_0(theta) - e <b, theta>,
    b = (1 / sum(w)) sum_i w_i (S[y_i] - onehot_i) (x) [x_i, 1]

(binary: the same for the logit of class 1). ``b`` is a product of the class
sums of ``[X, 1]`` with ``S - I`` (:func:`class_sums`, :func:`tilt_vector`).
All the problems share one Hessian, so :func:`smoothing_path` walks the
epsilons with one L-BFGS memory (:func:`sksmooth._solvers.carried_lbfgs`)
and needs only ``f_0``'s evaluations; the objective and gradient of the next
epsilon at the last solution cost nothing. Each start is predicted by the
polynomial through the last solutions (each first moved by a free quasi-Newton
step on its own residual gradient), kept only if it lowers the objective. For a
spread matrix with equal rows (``"uniform"``, ``"prior"``) the path passes
through a known point at ``e = 1``, ``W = 0`` (:func:`anchor`), and the inverse
Hessian at that point has a closed Kronecker form (:func:`kronecker_inverse`),
the memory's initial matrix.
"""

import numpy as np

from sksmooth._paths._tilt import (
    TiltedObjective,
    anchor,
    kronecker_inverse,
    use_kronecker,
    weighted_gram,
)
from sksmooth._solvers import CurvatureMemory, SolverOptions, carried_lbfgs

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


class PathResult:
    """What :func:`smoothing_path` returns, every list in the order given.

    Attributes
    ----------
    coefs : list of ndarray of shape (n_params,)
        The solutions, flat (unpack with ``loss.unpack``).
    n_iter, n_evaluations : ndarray of int, shape (n_epsilons,)
        L-BFGS iterations and evaluations of each point (the predictor's
        evaluation counted with its point).
    converged : ndarray of bool, shape (n_epsilons,)
    loss : LinearSoftCrossEntropy
        The ``f_0`` the path was solved on (its ``unpack`` and ``n_logits``).
    """

    def __init__(self, coefs, n_iter, n_evaluations, converged, loss):
        self.coefs = coefs
        self.n_iter = np.asarray(n_iter, dtype=int)
        self.n_evaluations = np.asarray(n_evaluations, dtype=int)
        self.converged = np.asarray(converged, dtype=bool)
        self.loss = loss


def smoothing_path(
    X, codes, sample_weight, epsilons, S, *, l2_reg_strength: float, **options
) -> PathResult:
    """Solve the L2 soft cross-entropy at every epsilon of a smoothing path:
    :func:`smoothing_paths` at one L2 strength, ``l2_reg_strength``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sksmooth._paths import smoothing_path
    >>> X, y = load_iris(return_X_y=True)
    >>> result = smoothing_path(X, y, None, [0.0, 0.1, 0.3], np.full((3, 3), 1 / 3),
    ...                         n_classes=3, fit_intercept=True,
    ...                         l2_reg_strength=1 / 150, tol=1e-4, max_iter=100)
    >>> len(result.coefs), bool(result.converged.all())
    (3, True)
    """
    return smoothing_paths(
        X,
        codes,
        sample_weight,
        epsilons,
        S,
        l2_reg_strengths=[l2_reg_strength],
        **options,
    )[0]


def smoothing_paths(
    X,
    codes,
    sample_weight,
    epsilons,
    S,
    *,
    n_classes: int,
    fit_intercept: bool,
    l2_reg_strengths,
    tol: float,
    max_iter: int,
    coef0=None,
    kronecker="auto",
    memory_size: int = MEMORY_SIZE,
    verbose: int = 0,
    name: str = "SoftmaxRegression",
    callback=None,
) -> list:
    """Solve the L2 soft cross-entropy at every (L2 strength, epsilon).

    Each strength's path is walked from the largest epsilon down, one L-BFGS
    memory for all the points; every point stops at ``max |gradient| <= tol``
    (or ``max_iter``, which does not stop the path: ``PathResult.converged``).
    The strengths share the data term, so a curvature pair serves each once
    moved (:meth:`CurvatureMemory.restore`); they are walked from the largest
    down (the smallest ``C`` up). With ``coef0``, both in the order given. At
    each epsilon the memory holds the previous strength's newest pairs there,
    then this path's newest; the start is the previous strength's solution
    there after a free quasi-Newton step on this objective (its gradient is
    the old residual plus the change of the penalty's), plus that step's error
    at the epsilons solved so far, extrapolated. Stateless: it warns of nothing.

    Parameters
    ----------
    X : {ndarray, csr_matrix} of shape (n_samples, n_features)
        float32 or float64; never copied.
    codes : ndarray of shape (n_samples,)
        Class codes ``0..n_classes-1``.
    sample_weight : ndarray of shape (n_samples,) or None
    epsilons : sequence of float
        Smoothing strengths.
    S : ndarray of shape (n_classes, n_classes)
        Spread matrix: the targets at ``e`` are ``onehot + e (S[y] - onehot)``.
    n_classes : int
    fit_intercept : bool
    l2_reg_strengths : sequence of float
        The loss's penalties (``1 / (C sum(w))`` for ``SoftmaxRegression``).
    tol : float
    max_iter : int
        L-BFGS iterations per point.
    coef0 : ndarray of shape (n_params,), default=None
        Start of the first point.
    kronecker : {"auto", True, False}, default="auto"
        Whether the memory's initial matrix is :func:`kronecker_inverse`;
        ``"auto"`` when ``X`` has few features per logit.
    memory_size : int, default=10
    verbose : int, default=0
    name : str, default="SoftmaxRegression"
        Named in the solver's messages.
    callback : callable, default=None
        ``callback(j * len(epsilons) + i)`` once the point of
        ``(l2_reg_strengths[j], epsilons[i])`` is solved.

    Returns
    -------
    results : list of PathResult
        One per strength, in the order of ``l2_reg_strengths``.
    """
    l2s = [float(l2) for l2 in l2_reg_strengths]
    problem = TiltedObjective(
        X,
        codes,
        sample_weight,
        S,
        n_classes=n_classes,
        fit_intercept=fit_intercept,
        l2_reg_strength=l2s[0],
    )
    n_logits = problem.loss.n_logits
    gram = None
    if use_kronecker(kronecker, X.shape[1], n_logits):
        gram = weighted_gram(X, sample_weight, problem.sums, fit_intercept)
    memory = CurvatureMemory(memory_size, penalty_mask=problem.penalty_mask)
    point = anchor(S, n_logits, fit_intercept, X.shape[1])
    orders = [np.arange(len(l2s)), np.arange(len(epsilons))]
    if coef0 is None:
        orders = [
            np.argsort(-np.asarray(values, dtype=float), kind="stable")
            for values in (l2s, epsilons)
        ]
    results, walk = [None] * len(l2s), None
    for j in orders[0]:
        problem.set_penalty(l2s[j])
        memory.set_penalty(
            l2s[j],
            None
            if gram is None
            else kronecker_inverse(
                gram, n_logits=n_logits, fit_intercept=fit_intercept, l2=l2s[j]
            ),
        )
        walk = PathWalk(problem, memory, point, previous=walk)
        step = (
            None
            if callback is None
            else (lambda i, j=j: callback(j * len(epsilons) + i))
        )
        results[j] = _walk_one_path(
            walk,
            epsilons,
            orders[1],
            coef0 if walk.previous is None else None,
            SolverOptions(max_iter=max_iter, tol=tol, verbose=verbose, name=name),
            callback=step,
        )
    return results


def _walk_one_path(walk, epsilons, order, coef0, options, *, callback):
    """One strength's path, the points in ``order``: a :class:`PathResult`."""
    problem, memory = walk.problem, walk.memory
    coefs, n_iter, n_evals, converged = [None] * len(order), [], [], []
    for index in order:
        epsilon = float(epsilons[index])
        before = problem.n_evaluations
        start = walk.start(epsilon, coef0)
        result = carried_lbfgs(
            problem.at(epsilon), start[0], memory, options, start=start[1:]
        )
        walk.record(epsilon, result)
        coefs[index] = result.solution
        n_iter.append(result.iterations)
        n_evals.append(problem.n_evaluations - before)
        converged.append(result.converged)
        if callback is not None:
            callback(int(index))
    inverse_order = np.argsort(order)
    return PathResult(
        coefs,
        np.asarray(n_iter)[inverse_order],
        np.asarray(n_evals)[inverse_order],
        np.asarray(converged)[inverse_order],
        problem.loss,
    )


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
    """The Lagrange polynomial through ``(nodes[j], values[j])`` at ``at``."""
    predicted = np.zeros_like(values[0])
    for j, value in enumerate(values):
        others = np.delete(nodes, j)
        predicted += np.prod((at - others) / (nodes[j] - others)) * value
    return predicted
