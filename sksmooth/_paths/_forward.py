"""The forward-smoothing path of the linear model: one curvature memory, carried.

Forward smoothing (``smooth="predictions"``) scores the labels against ``p @
T(e)``, ``T(e) = (1 - e) I + e S``. Unlike target smoothing
(:mod:`sksmooth._paths._tilted`) the problems are not tilts of one function:
their Hessians differ, so a curvature pair of one epsilon is only an
approximate secant of the next. Near each other they are close, and
:func:`forward_paths` carries one L-BFGS memory (:func:`carried_lbfgs`) from
each epsilon to the next, each point warm-started from the last solution,
the epsilons walked upward. Each new pair replaces the oldest, so a stale
pair soon leaves; every point still stops at ``max |gradient| <= tol`` of its
own objective. With several strengths, the weakest penalty (largest ``C``)
last, each path's first point starts from the previous strength's, as
``LogisticRegressionCV`` warm-starts along its ``C`` path: a cold unsmoothed
fit at a large ``C`` on nearly separable data runs out of ``max_iter`` far
from its solution, and the folds would then rank ``C`` by how far each fit
got.
"""

# Over fold 0 of four problems of benchmarks/cv_speed.py (10 epsilons of the
# default grid, tol=1e-4) the carried memory took 99, 91, 75 and 74
# evaluations where warm-started L-BFGS-B fits took 159, 151, 90 and 108;
# walking down took 140, 118, 112 and 79, and a secant predictor through the
# last two solutions 88, 99, 79 and 68 (better on two, worse on two: not used).

import numpy as np

from sksmooth._paths._tilted import MEMORY_SIZE
from sksmooth._solvers import CurvatureMemory, carried_lbfgs


def forward_paths(problem, epsilons, l2s, start, store, firsts=None) -> None:
    """Solve the forward-smoothed L2 cross-entropy at every (strength, epsilon).

    Each strength's path walks from the smallest epsilon up (from ``start``,
    if given, in the order given), one memory carried along it; without
    ``start`` the strengths are taken from the strongest down, each path
    starting from the last one's first solution, or from ``firsts[j]``, its
    own unsmoothed solution, when given. The other parameters are those of
    :func:`sksmooth._paths._tilted.tilted_paths`.
    """
    order = np.arange(len(epsilons))
    strengths = np.arange(len(l2s))
    if start is None:
        order = np.argsort(np.asarray(epsilons, dtype=float), kind="stable")
        strengths = np.argsort(-np.asarray(l2s, dtype=float))
    first = None
    for j in strengths:
        memory = CurvatureMemory(MEMORY_SIZE)
        coef = first if start is None else np.array(start, dtype=np.float64)
        if firsts is not None:
            coef = firsts[j]
        for index in order:
            loss = problem.loss(l2s[j], epsilons[index], forward=True)
            result = carried_lbfgs(
                loss.loss_gradient,
                np.zeros(loss.n_params) if coef is None else coef,
                memory,
                problem.options,
                value_eps=problem.value_eps,
            )
            coef = result.solution
            if index == order[0]:
                first = coef
            store(int(j), int(index), result, result.evaluations)
