"""The soft cross-entropy as a LightGBM custom objective.

Gradient and Hessian of the soft cross-entropy (and of its forward-corrected
form, ``q = p T``) with respect to the raw scores, in the conventions of
LightGBM's own ``binary`` and ``multiclass`` objectives, so that on class
labels the booster grows the same trees. Only numpy lives here; the learner,
:class:`sksmooth.boosting.SoftLGBMClassifier`, hands it to LightGBM.
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_expit, log_softmax

# LightGBM's kEpsilon (include/LightGBM/meta.h: a float, 1e-15f), which bounds
# the class probabilities of its initial scores.
LIGHTGBM_EPSILON = float(np.float32(1e-15))


class SoftCrossEntropyObjective:
    """The soft cross-entropy as a LightGBM custom objective.

    For raw scores (logits) ``z_i``, probabilities ``p_i = softmax(z_i)`` (two
    classes: one logit and the sigmoid), soft targets ``Y_i`` and weights
    ``w_i`` the objective is ``sum_i w_i * H(Y_i, p_i)``, ``H(Y, p) = -sum_k
    Y_k log p_k``; with a ``transition`` matrix ``T`` (forward correction)
    ``H(Y_i, p_i T)``. Calling it with LightGBM's raw scores returns the
    gradient and the Hessian (diagonal) with respect to the raw scores, with the
    conventions of LightGBM's own objectives
    (``src/objective/multiclass_objective.hpp``, ``binary_objective.hpp``):

    - multiclass: gradient ``w (p - Y)``, Hessian ``w * K / (K - 1) * p (1 -
      p)`` (LightGBM rescales the redundant K-logit form by Friedman's factor
      ``K / (K - 1)``), computed in float64 and rounded to float32 as LightGBM
      rounds its own;
    - binary: gradient ``w (p - y)``, Hessian ``w p (1 - p)``, written as
      LightGBM writes them (``-label / (1 + exp(label * z))`` with ``label =
      +-1``), so that on labels the bits match too;
    - with ``T``, the gradient of ``-sum_k Y_k log q_k``, ``q = p T``, and as
      Hessian the diagonal of the Fisher information of ``q`` (see
      :meth:`forward_multiclass`), which at ``T = I`` is LightGBM's own.

    :meth:`init_score` is LightGBM's ``BoostFromScore`` on the same targets.

    Parameters
    ----------
    targets : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Integer codes ``0..K-1`` or soft targets (non-negative rows summing to
        one).
    n_classes : int
        The number of classes ``K >= 2``.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weights; rounded to float32 as LightGBM stores weights.
    transition : ndarray of shape (n_classes, n_classes), default=None
        Row-stochastic ``T`` for forward smoothing; ``None`` is the plain loss.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth.boosting import SoftCrossEntropyObjective
    >>> objective = SoftCrossEntropyObjective(np.array([[0.9, 0.1], [0.2, 0.8]]), 2)
    >>> gradient, hessian = objective(np.zeros(2))
    >>> gradient.tolist(), hessian.tolist()
    ([0.4000000059604645, -0.30000001192092896], [0.25, 0.25])
    """

    def __init__(self, targets, n_classes: int, sample_weight=None, transition=None):
        self.n_classes = n_classes
        self.n_samples = targets.shape[0]
        self.codes = targets if targets.ndim == 1 else None
        # (K, n) layout, as LightGBM stores its scores (class-major).
        self.targets_t = None if targets.ndim == 1 else np.ascontiguousarray(targets.T)
        self.weight = (
            None
            if sample_weight is None
            else sample_weight.astype(np.float32).astype(np.float64)
        )
        self.transition = transition
        self.factor = n_classes / (n_classes - 1.0)
        self._buffers = None

    # -- targets in both layouts ---------------------------------------------

    def class_mass(self) -> np.ndarray:
        """``sum_i w_i Y_ik`` per class (float32 weights summed in float64)."""
        K = self.n_classes
        if self.codes is not None:
            return np.bincount(self.codes, weights=self.weight, minlength=K).astype(
                np.float64
            )
        if self.weight is None:
            return self.targets_t.sum(axis=1, dtype=np.float64)
        return self.targets_t.astype(np.float64, copy=False) @ self.weight

    def positive_share(self) -> np.ndarray:
        """The target of class 1, ``y_i`` of shape (n_samples,), in float64."""
        if self.codes is not None:
            return self.codes.astype(np.float64)
        return self.targets_t[1].astype(np.float64)

    def init_score(self) -> np.ndarray:
        """LightGBM's ``BoostFromScore`` on these targets.

        Multiclass: ``log(max(kEpsilon, mean_k))`` per class, ``mean_k`` the
        weighted mean of ``Y_ik``; binary: the log-odds of the weighted mean of
        ``y_i``, clipped to ``[kEpsilon, 1 - kEpsilon]``. As LightGBM does, a
        score whose magnitude is at most ``kEpsilon`` is not applied (zero).

        Returns
        -------
        init_score : ndarray of shape (n_logits,)
            One score per logit (one for two classes).
        """
        mass = self.class_mass()
        total = self.n_samples if self.weight is None else float(self.weight.sum())
        if self.n_classes == 2:
            share = float(mass[1]) / total
            share = max(min(share, 1.0 - LIGHTGBM_EPSILON), LIGHTGBM_EPSILON)
            score = np.array([np.log(share / (1.0 - share))])
        else:
            score = np.log(np.maximum(LIGHTGBM_EPSILON, mass / total))
        score[np.abs(score) <= LIGHTGBM_EPSILON] = 0.0
        return score

    # -- gradient and Hessian -------------------------------------------------

    def __call__(self, preds, dataset=None):
        """Gradient and Hessian at LightGBM's raw scores ``preds``.

        Parameters
        ----------
        preds : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw scores (for LightGBM's multiclass, a Fortran-ordered view of
            its class-major buffer).
        dataset : lightgbm.Dataset, default=None
            Ignored; LightGBM passes the training set.

        Returns
        -------
        gradient, hessian : ndarray of shape of ``preds``, float32
            Fortran-ordered for multiclass, so LightGBM takes them uncopied.
        """
        if self.n_classes == 2:
            if self.transition is None:
                return self.binary(preds)
            return self.forward_binary(preds)
        Z = preds.T  # (K, n) view of the class-major buffer
        if self._buffers is None or self._buffers[0].shape != Z.shape:
            self._buffers = (
                np.empty(Z.shape),
                np.empty(Z.shape),
                np.empty(Z.shape, dtype=np.float32),
                np.empty(Z.shape, dtype=np.float32),
            )
        P, work, gradient, hessian = self._buffers
        # LightGBM's Common::Softmax: max, exp(z - max), sequential sum, divide.
        np.subtract(Z, Z.max(axis=0), out=P)
        np.exp(P, out=P)
        P /= P.sum(axis=0)
        if self.transition is None:
            self.multiclass(P, work, gradient, hessian)
        else:
            self.forward_multiclass(P, work, gradient, hessian)
        return gradient.T, hessian.T

    def multiclass(self, P, work, gradient, hessian):
        """LightGBM's multiclass gradient ``w (p - Y)``, Hessian ``w f p (1 - p)``.

        ``P``: softmax probabilities in the ``(K, n)`` layout (overwritten);
        ``work``: a float64 buffer of that shape; the results are written into
        the float32 ``gradient`` and ``hessian``, operation for operation in
        LightGBM's order (``((f * p) * (1 - p)) * w``).
        """
        if self.codes is None:
            np.subtract(P, self.targets_t, out=work)
        else:
            np.copyto(work, P)
            work[self.codes, np.arange(self.n_samples)] -= 1.0
        if self.weight is not None:
            work *= self.weight
        np.copyto(gradient, work, casting="same_kind")
        np.subtract(1.0, P, out=work)
        P *= self.factor
        P *= work
        if self.weight is not None:
            P *= self.weight
        np.copyto(hessian, P, casting="same_kind")

    def forward_multiclass(self, P, work, gradient, hessian):
        """Gradient of ``-sum_k Y_k log q_k``, ``q = p T``, and a Fisher Hessian.

        With ``s = T (Y / q)`` (``dH/dp = -s``) and the softmax Jacobian
        ``J = diag(p) - p p^T`` the gradient is ``J^T (-s)``, i.e.
        ``g_c = p_c (p . s - s_c)``. The true Hessian adds to the positive
        Gauss-Newton term ``J T diag(Y / q^2) T^T J`` the term ``sum_c (-s_c)
        d^2 p_c / dz^2``, which is indefinite; LightGBM needs a positive
        diagonal. The Gauss-Newton diagonal depends on the observed ``Y`` and at
        ``T = I`` is not LightGBM's ``p (1 - p)``; we use instead the diagonal
        of the Fisher information (the Gauss-Newton matrix in expectation under
        ``Y ~ q``), ``J T diag(1 / q) T^T J``, whose diagonal is ``p_c^2 (sum_j
        T_cj^2 / q_j - 1)``: never negative, cheap (one ``K x K`` product), and
        at ``T = I`` exactly the true Hessian diagonal ``p_c (1 - p_c)`` of the
        plain loss. It is scaled by LightGBM's ``K / (K - 1)`` and the weights,
        so that ``T = I`` is the plain fit.
        """
        T = self.transition
        tiny = np.finfo(np.float64).tiny
        Q = np.maximum(T.T @ P, tiny)  # q_j = sum_c p_c T_cj
        if self.codes is None:
            np.divide(self.targets_t, Q, out=work)
            S = T @ work
        else:
            index = np.arange(self.n_samples)
            S = T[:, self.codes] / Q[self.codes, index]
        projection = np.einsum("kn,kn->n", P, S)
        np.subtract(projection, S, out=work)
        work *= P
        if self.weight is not None:
            work *= self.weight
        np.copyto(gradient, work, casting="same_kind")
        np.divide(1.0, Q, out=Q)
        fisher = (T * T) @ Q
        fisher -= 1.0
        np.maximum(fisher, 0.0, out=fisher)
        P *= P
        P *= fisher
        P *= self.factor
        if self.weight is not None:
            P *= self.weight
        np.copyto(hessian, P, casting="same_kind")

    def binary(self, preds):
        """LightGBM's binary gradient and Hessian, for soft ``y`` too.

        LightGBM computes, for ``label = +-1``, ``r = -label / (1 + exp(label *
        z))``, gradient ``w r`` and Hessian ``w |r| (1 - |r|)``. For a soft
        target ``y`` (``y = 1`` the positive class) we take ``(1 - y)`` times
        LightGBM's negative-label terms plus ``y`` times its positive-label
        ones: ``w ((1 - y) p - y (1 - p))`` = ``w (p - y)`` and ``w p (1 -
        p)``, bit for bit LightGBM's at ``y`` in ``{0, 1}``.
        """
        z = np.asarray(preds, dtype=np.float64)
        y = self.positive_share()
        with np.errstate(over="ignore"):
            negative = 1.0 / (1.0 + np.exp(-z))  # label -1: r = p
            positive = 1.0 / (1.0 + np.exp(z))  # label +1: r = -(1 - p)
        gradient = (1.0 - y) * negative - y * positive
        hessian = (1.0 - y) * (negative * (1.0 - negative)) + y * (
            positive * (1.0 - positive)
        )
        if self.weight is not None:
            gradient *= self.weight
            hessian *= self.weight
        return gradient.astype(np.float32), hessian.astype(np.float32)

    def forward_binary(self, preds):
        """Binary gradient and Fisher Hessian of ``-sum_k Y_k log q_k``, ``q = p T``.

        With ``p = sigmoid(z)``, ``q_1 = (1 - p) T_01 + p T_11`` and ``d = T_11
        - T_01``: ``dq_1/dz = d p (1 - p)``, gradient ``(Y_0 / q_0 - Y_1 / q_1)
        dq_1/dz``, Hessian the Fisher information ``(dq_1/dz)^2 / (q_0 q_1)``
        (see :meth:`forward_multiclass`), ``p (1 - p)`` at ``T = I``.
        """
        T = self.transition
        z = np.asarray(preds, dtype=np.float64)
        y1 = self.positive_share()
        y0 = 1.0 - y1
        with np.errstate(over="ignore"):
            p = 1.0 / (1.0 + np.exp(-z))
            p_neg = 1.0 / (1.0 + np.exp(z))
        tiny = np.finfo(np.float64).tiny
        q0 = np.maximum(p_neg * T[0, 0] + p * T[1, 0], tiny)
        q1 = np.maximum(p_neg * T[0, 1] + p * T[1, 1], tiny)
        slope = (T[1, 1] - T[0, 1]) * p * p_neg
        gradient = (y0 / q0 - y1 / q1) * slope
        hessian = slope * slope / (q0 * q1)
        if self.weight is not None:
            gradient *= self.weight
            hessian *= self.weight
        return gradient.astype(np.float32), hessian.astype(np.float32)

    # -- the objective's value ------------------------------------------------

    def loss(self, preds) -> float:
        """Weighted mean of ``H(Y_i, p_i)`` (or ``H(Y_i, p_i T)``) at raw scores.

        Parameters
        ----------
        preds : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw scores.

        Returns
        -------
        loss : float
            ``sum_i w_i H_i / sum_i w_i``.
        """
        z = np.asarray(preds, dtype=np.float64)
        if self.n_classes == 2:
            log_p = np.column_stack([log_expit(-z), log_expit(z)])
        else:
            log_p = log_softmax(z, axis=1)
        if self.transition is not None:
            tiny = np.finfo(np.float64).tiny
            log_p = np.log(np.maximum(np.exp(log_p) @ self.transition, tiny))
        if self.codes is not None:
            per_sample = -log_p[np.arange(self.n_samples), self.codes]
        else:
            per_sample = -np.einsum("nk,kn->n", log_p, self.targets_t)
        return float(np.average(per_sample, weights=self.weight))
