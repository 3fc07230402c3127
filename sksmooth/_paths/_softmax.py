"""The one entry point: :func:`softmax_path`, stateless, as scikit-learn's
``_logistic_regression_path``."""

import numpy as np

from sksmooth._paths._forward import forward_paths
from sksmooth._paths._newton import warm_paths
from sksmooth._paths._problem import SOLVERS, PathResult, SoftmaxProblem, minimize_loss
from sksmooth._paths._tilted import tilted_paths

SMOOTH = ("targets", "predictions")
# How each solver's result is named in messages about the path's points.
SOLVER_NAMES = {"lbfgs": "L-BFGS", "newton-cg": "Newton"}


def softmax_path(
    problem: SoftmaxProblem,
    epsilons,
    Cs,
    *,
    solver: str = "lbfgs",
    smooth: str = "targets",
    start=None,
    callback=None,
) -> PathResult:
    """Solve ``problem`` at every ``(C, epsilon)``: a path of label smoothing.

    Which driver walks it:

    - ``solver="lbfgs"``, ``smooth="targets"``: one problem tilted by each
      epsilon, one carried L-BFGS memory for every point
      (:func:`~sksmooth._paths._tilted.tilted_paths`), from the largest
      epsilon down and the smallest ``C`` up;
    - ``solver="lbfgs"``, ``smooth="predictions"``: the memory carried upward
      as approximate curvature (:func:`~sksmooth._paths._forward.forward_paths`),
      the largest ``C`` last;
    - any other solver: each point its own solve, started from the last
      solution or (Newton, targets) the homotopy predictor
      (:func:`~sksmooth._paths._newton.warm_paths`), in the order given.

    With L-BFGS, several ``Cs`` and no ``start``, the unsmoothed points
    (``epsilon = 0``) are solved first, as ``LogisticRegressionCV`` solves its
    ``C`` path (:func:`unsmoothed_column`), and the drivers walk the other
    epsilons (forward paths from each strength's unsmoothed solution): the
    search chooses ``C`` from ``LogisticRegressionCV``'s own fits, not from
    other points within ``tol`` of the same flat optima, which on nearly
    separable data predict differently.

    With a ``start`` every driver takes the points in the order given. Every
    point stops at the problem's ``tol`` (or ``max_iter``, which does not stop
    the path). Stateless: nothing is kept and nothing warns; the caller reads
    :attr:`PathResult.converged`.

    Parameters
    ----------
    problem : SoftmaxProblem
        The data, spread matrix, layout and solver options.
    epsilons : sequence of float
        Smoothing strengths, each valid for ``problem.S``.
    Cs : sequence of float
        Inverse regularisation strengths, positive.
    solver : {"lbfgs", "newton-cg"}, default="lbfgs"
    smooth : {"targets", "predictions"}, default="targets"
    start : ndarray of shape (n_params,), default=None
        Start of the first point (a warm start).
    callback : callable, default=None
        ``callback(j * len(epsilons) + i)`` once the point of ``(Cs[j],
        epsilons[i])`` is solved, in the order the path walks.

    Returns
    -------
    result : PathResult
        The points ``C``-major: ``(Cs[j], epsilons[i])`` at ``j * len(epsilons)
        + i``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sksmooth._paths import SoftmaxProblem, softmax_path
    >>> from sksmooth._solvers import SolverOptions
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> problem = SoftmaxProblem(X, y, None, np.full((3, 3), 1 / 3), True,
    ...                          SolverOptions(max_iter=100, tol=1e-4))
    >>> result = softmax_path(problem, [0.0, 0.1, 0.3], [1.0])
    >>> len(result.coefs), bool(result.converged.all())
    (3, True)
    """
    if solver not in SOLVERS or smooth not in SMOOTH:
        raise ValueError(
            f"solver must be one of {list(SOLVERS)} and smooth one of "
            f"{list(SMOOTH)}, got {solver!r} and {smooth!r}."
        )
    l2s = [problem.l2(C) for C in Cs]
    n_epsilons = len(epsilons)
    result = PathResult(len(l2s) * n_epsilons, SOLVER_NAMES[solver])

    def store(j, i, solved, evaluations):
        point = j * n_epsilons + i
        result.store(point, solved, evaluations)
        if callback is not None:
            callback(point)

    forward = smooth == "predictions"
    if solver != "lbfgs":
        warm_paths(problem, epsilons, l2s, start, store, solver=solver, forward=forward)
        return result
    zero = [i for i, e in enumerate(epsilons) if float(e) == 0.0]
    firsts = None
    if start is None and zero and len(l2s) > 1:

        def store_zero(j, solved, evaluations):
            for i in zero:  # a repeated 0 is the same point
                store(j, i, solved, evaluations)

        firsts = unsmoothed_column(problem, l2s, store_zero)
    rest = [i for i in range(n_epsilons) if i not in zero or firsts is None]
    if not rest:
        return result

    def store_rest(j, k, solved, evaluations):
        store(j, rest[k], solved, evaluations)

    others = [epsilons[i] for i in rest]
    if forward:
        forward_paths(problem, others, l2s, start, store_rest, firsts=firsts)
    else:
        tilted_paths(problem, others, l2s, start, store_rest)
    return result


def unsmoothed_column(problem: SoftmaxProblem, l2s, store) -> list:
    """The unsmoothed point of every strength, as ``LogisticRegressionCV``
    solves its ``C`` path: scipy's L-BFGS-B from zeros at the strongest
    penalty, each next strength from the last solution. ``store(j, result,
    evaluations)`` per strength; returns the solutions, one per strength."""
    solutions, coef = [None] * len(l2s), None
    for j in np.argsort(-np.asarray(l2s, dtype=float), kind="stable"):
        loss = problem.loss(l2s[j])
        x0 = np.zeros(loss.n_params) if coef is None else coef.copy()
        solved = minimize_loss(loss, x0, "lbfgs", problem.options)
        coef = solutions[j] = solved.solution
        store(int(j), solved, solved.evaluations)
    return solutions
