"""What every path driver shares: the problem, the result, one solve.

- :class:`SoftmaxProblem`: the data and model of ``SoftmaxRegression`` on one
  training set, with the tolerance every point is solved to; frozen, so that
  a driver takes it instead of fifteen parameters. :meth:`SoftmaxProblem.loss`
  is the one place a path builds its objective.
- :class:`PathResult`: what :func:`sksmooth._paths.softmax_path` returns.
- :func:`minimize_loss`: the chosen solver on one loss (``fit`` and the warm
  paths); a new solver is a branch here and a name in :data:`SOLVERS`.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from sksmooth._loss import LinearSoftCrossEntropy
from sksmooth._solvers import SolverOptions, SolverResult, lbfgs, newton_cg
from sksmooth._targets import smooth_codes, transition_matrix

SOLVERS = ("lbfgs", "newton-cg")


@dataclass(frozen=True)
class SoftmaxProblem:
    """The L2 soft cross-entropy of a linear model on one training set.

    Every point of a path is this problem at one ``(C, epsilon)``: with
    target smoothing the labels become ``(1 - epsilon) onehot + epsilon
    S[y]``, with forward smoothing they are scored against ``p @ T``, ``T =
    (1 - epsilon) I + epsilon S``; the penalty is ``1 / (C sum(w))``
    (:meth:`l2`), scikit-learn's ``LogisticRegression`` objective scaled.

    Attributes
    ----------
    X : {ndarray, csr_matrix} of shape (n_samples, n_features)
        float32 or float64; never copied.
    codes : ndarray of shape (n_samples,)
        Class codes ``0..n_classes-1``.
    sample_weight : ndarray of shape (n_samples,) or None
    S : ndarray of shape (n_classes, n_classes)
        The spread matrix.
    fit_intercept : bool
    options : SolverOptions
        The tolerance and iteration cap of every point, what to print.
    verified : ndarray of shape (n_samples,) of bool or None, default=None
        Rows whose label someone checked: forward smoothing scores them
        against ``p`` itself (handed to the forward head by :meth:`loss`).

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._paths import SoftmaxProblem
    >>> from sksmooth._solvers import SolverOptions
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> problem = SoftmaxProblem(X, np.array([0, 1, 2]), None, np.full((3, 3), 1 / 3),
    ...                          True, SolverOptions(max_iter=100, tol=1e-4))
    >>> problem.n_classes, problem.n_logits, problem.l2(1.0)
    (3, 3, 0.3333333333333333)
    """

    X: Any
    codes: np.ndarray
    sample_weight: np.ndarray | None
    S: np.ndarray
    fit_intercept: bool
    options: SolverOptions
    verified: np.ndarray | None = None

    @property
    def n_classes(self) -> int:
        return self.S.shape[0]

    @property
    def n_logits(self) -> int:
        return 1 if self.n_classes == 2 else self.n_classes

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def n_params(self) -> int:
        return self.n_logits * (self.n_features + self.fit_intercept)

    @property
    def weight_sum(self) -> float:
        if self.sample_weight is None:
            return float(self.X.shape[0])
        return float(self.sample_weight.sum())

    @property
    def value_eps(self) -> float:
        """The relative rounding error of an objective computed in ``X``'s dtype."""
        return float(np.finfo(self.X.dtype).eps)

    def l2(self, C: float) -> float:
        """The loss's L2 strength at ``C``: ``1 / (C sum(w))``."""
        return 1.0 / (float(C) * self.weight_sum)

    def loss(self, l2, epsilon=None, *, forward=False, hessian=False):
        """The objective at L2 strength ``l2``: on the codes (``epsilon=None``),
        on the targets smoothed at ``epsilon``, or with ``forward`` on the codes
        through ``T = (1 - epsilon) I + epsilon S``; with ``hessian``, ready for
        ``hessp``.

        Returns
        -------
        loss : LinearSoftCrossEntropy
        """
        targets, transition = self.codes, None
        if forward:
            transition = transition_matrix(float(epsilon), self.S)
        elif epsilon is not None:
            targets = smooth_codes(self.codes, epsilon, self.S)
            targets = targets.astype(self.X.dtype, copy=False)
        return LinearSoftCrossEntropy(
            self.X,
            targets,
            self.sample_weight,
            n_classes=self.n_classes,
            fit_intercept=self.fit_intercept,
            l2_reg_strength=float(l2),
            hessian=hessian,
            transition=transition,
            verified=self.verified if forward else None,
        )

    def unpack(self, coef):
        """``(W, b)`` of a flat solution, ``W`` of shape ``(n_logits,
        n_features)``, ``b`` of shape ``(n_logits,)`` or ``None`` (views)."""
        n_weights = self.n_logits * self.n_features
        W = coef[:n_weights].reshape(self.n_logits, self.n_features)
        return W, coef[n_weights:] if self.fit_intercept else None


class PathResult:
    """What :func:`sksmooth._paths.softmax_path` returns: one entry per point,
    ``C``-major (the point of ``(Cs[j], epsilons[i])`` at ``j * n_epsilons +
    i``).

    Attributes
    ----------
    coefs : list of ndarray of shape (n_params,)
        The solutions, flat (:meth:`SoftmaxProblem.unpack`).
    n_iter, n_evaluations : ndarray of int, shape (n_points,)
        Iterations and evaluations of the objective of each point (a
        predictor's evaluations counted with its point).
    converged : ndarray of bool, shape (n_points,)
    solver : str
        The solver, as a message names it.
    """

    def __init__(self, n_points: int, solver: str):
        self.coefs = [None] * n_points
        self.n_iter = np.zeros(n_points, dtype=int)
        self.n_evaluations = np.zeros(n_points, dtype=int)
        self.converged = np.zeros(n_points, dtype=bool)
        self.solver = solver

    def store(self, point: int, result: SolverResult, evaluations: int) -> None:
        """Keep ``result`` as the solution of ``point``."""
        self.coefs[point] = result.solution
        self.n_iter[point] = result.iterations
        self.n_evaluations[point] = evaluations
        self.converged[point] = result.converged


def minimize_loss(loss, coef0, solver: str, options: SolverOptions) -> SolverResult:
    """Run ``solver`` (one of :data:`SOLVERS`) on ``loss`` from ``coef0``.

    Newton starts off the multinomial's flat direction: ``coef0``'s
    intercepts are centred in place (see ``LinearSoftCrossEntropy.hessp``).
    """
    if solver == "newton-cg":
        _, intercept = loss.unpack(coef0)
        if intercept is not None and loss.n_logits > 1:
            intercept -= intercept.mean()  # off the flat direction (see hessp)
        return newton_cg(
            loss.loss_gradient,
            loss.hessp,
            coef0,
            options,
            preconditioner=loss.preconditioner,
            value_eps=float(np.finfo(loss.dtype).eps),
        )
    return lbfgs(loss.loss_gradient, coef0, options)
