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

from sksmooth._loss import LinearSoftCrossEntropy
from sksmooth._paths._tilted import MEMORY_SIZE, PathResult
from sksmooth._solvers import CurvatureMemory, SolverOptions, carried_lbfgs
from sksmooth._targets import transition_matrix


def forward_paths(
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
    memory_size: int = MEMORY_SIZE,
    verbose: int = 0,
    name: str = "SoftmaxRegression",
    callback=None,
) -> list:
    """Solve the forward-smoothed L2 cross-entropy at every (strength, epsilon).

    Each strength's path walks from the smallest epsilon up (from ``coef0``,
    if given, in the order given), one memory carried along it; without
    ``coef0`` the strengths are taken from the strongest down, each path
    starting from the last one's first solution. The parameters and the
    result are those of :func:`sksmooth._paths.smoothing_paths`.

    Returns
    -------
    results : list of PathResult
        One per strength, in the order of ``l2_reg_strengths``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sksmooth._paths import forward_paths
    >>> X, y = load_iris(return_X_y=True)
    >>> [result] = forward_paths(X, y, None, [0.0, 0.1, 0.3], np.full((3, 3), 1 / 3),
    ...                          n_classes=3, fit_intercept=True,
    ...                          l2_reg_strengths=[1 / 150], tol=1e-4, max_iter=100)
    >>> len(result.coefs), bool(result.converged.all())
    (3, True)
    """
    order = np.arange(len(epsilons))
    strengths = np.arange(len(l2_reg_strengths))
    if coef0 is None:
        order = np.argsort(np.asarray(epsilons, dtype=float), kind="stable")
        strengths = np.argsort(-np.asarray(l2_reg_strengths, dtype=float))
    results, first = [None] * len(strengths), None
    for j in strengths:
        l2 = l2_reg_strengths[j]
        memory = CurvatureMemory(memory_size)
        coef = first if coef0 is None else np.array(coef0, dtype=np.float64)
        coefs, n_iter, n_evals, converged = [None] * len(order), [], [], []
        for index in order:
            loss = LinearSoftCrossEntropy(
                X,
                codes,
                sample_weight,
                n_classes=n_classes,
                fit_intercept=fit_intercept,
                l2_reg_strength=float(l2),
                transition=transition_matrix(float(epsilons[index]), S),
            )
            result = carried_lbfgs(
                loss.loss_gradient,
                np.zeros(loss.n_params) if coef is None else coef,
                memory,
                SolverOptions(max_iter=max_iter, tol=tol, verbose=verbose, name=name),
                value_eps=float(np.finfo(loss.dtype).eps),
            )
            coef = coefs[index] = result.solution
            if index == order[0]:
                first = coef
            n_iter.append(result.iterations)
            n_evals.append(result.evaluations)
            converged.append(result.converged)
            if callback is not None:
                callback(j * len(epsilons) + int(index))
        inverse = np.argsort(order)
        results[j] = PathResult(
            coefs,
            np.asarray(n_iter)[inverse],
            np.asarray(n_evals)[inverse],
            np.asarray(converged)[inverse],
            loss,
        )
    return results
