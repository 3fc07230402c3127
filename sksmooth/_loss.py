"""Soft cross-entropy of a linear model: loss and gradient in one call.

Conventions
-----------
- ``X`` is a dense C- or F-ordered array or a CSR matrix of shape
  ``(n_samples, n_features)``, float32 or float64; it is never copied.
- The targets are integer codes of shape ``(n_samples,)`` (one-hot, never
  materialised) or a validated soft-target matrix of shape ``(n_samples, K)``.
- Binary problems (``K == 2``) use one logit ``z = X @ w + b`` and the sigmoid;
  the target is ``Y[:, 1]``. Multiclass problems use ``K`` logits.
- The parameters are one flat float64 vector, as ``scipy.optimize`` wants it:
  ``[W.ravel(), b]`` with ``W`` of shape ``(n_logits, n_features)`` (C order) and
  ``b`` of shape ``(n_logits,)``, the intercept, present only if
  ``fit_intercept``.
- The objective is scikit-learn's scaled ``LogisticRegression`` objective::

      (1 / sum(w)) * sum_i w_i * H(Y_i, p_i) + l2_reg_strength / 2 * ||W||^2

  with ``H(Y, p) = -sum_k Y_k log p_k`` and the intercept not penalised.
  ``l2_reg_strength = 1 / (C * sum(w))`` gives ``C * sum_i w_i H + ||W||^2 / 2``
  divided by ``C * sum(w)``: the same minimiser, better conditioned.

Why it is written this way (see ``benchmarks/``):

- Logits are kept as a ``(K, n_samples)`` block. The softmax then reduces along
  axis 0, which numpy vectorises over the long axis, while the usual
  ``(n_samples, K)`` layout with small ``K`` reduces over tiny rows. All
  ``(K, n_samples)`` buffers are allocated once per fit and reused.
- The per-sample gradient ``w_i (p_ik - Y_ik)`` is formed with the raw weights
  and the division by ``sum(w)`` is applied to the small ``(K, d)`` result, not
  to every sample.
- Shifted logits are floored at ``UNDERFLOW_FLOOR`` before ``exp``. Line-search
  trial points can put logits thousands below the maximum; their ``exp`` is
  subnormal, and subnormal numbers slow every later pass and the gradient's
  matrix product several-fold. The floor changes a probability by at most
  ``exp(floor)`` (about 1e-205 in float64, 1e-25 in float32), far below rounding.
"""

import numpy as np
import scipy.sparse as sp

from sksmooth._targets import weighted_target_block


def underflow_floor(dtype) -> float:
    """A logit offset whose ``exp`` is still far from subnormal: ``tiny**(2/3)``."""
    return float(np.log(np.finfo(dtype).tiny)) * 2 / 3


class LinearSoftCrossEntropy:
    """Loss and gradient of the L2-penalised soft cross-entropy of a linear model.

    Parameters
    ----------
    X : {ndarray, csr_matrix} of shape (n_samples, n_features)
        Training data, float32 or float64. Kept by reference, never copied.
    targets : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Integer class codes ``0..n_classes-1``, or soft targets (validated:
        non-negative, rows summing to one).
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights with a positive sum; ``None`` means all ones.
    n_classes : int
        Number of classes ``K >= 2``.
    fit_intercept : bool
        Whether the parameter vector ends with an intercept per logit.
    l2_reg_strength : float
        Strength of the penalty ``l2_reg_strength / 2 * ||W||^2``.

    Attributes
    ----------
    n_logits : int
        ``1`` for a binary problem, ``n_classes`` otherwise.
    n_params : int
        Length of the flat parameter vector.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._loss import LinearSoftCrossEntropy
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> Y = np.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]])
    >>> loss = LinearSoftCrossEntropy(
    ...     X, Y, None, n_classes=3, fit_intercept=True, l2_reg_strength=0.1)
    >>> value, grad = loss.loss_gradient(np.zeros(loss.n_params))
    >>> bool(np.isclose(value, np.log(3))), grad.shape
    (True, (9,))
    """

    def __init__(
        self, X, targets, sample_weight, *, n_classes, fit_intercept, l2_reg_strength
    ):
        n_samples, n_features = X.shape
        dtype = X.dtype
        self.X = X
        self.dtype = dtype
        self.fit_intercept = bool(fit_intercept)
        self.l2_reg_strength = float(l2_reg_strength)
        self.n_features = n_features
        self.n_logits = 1 if n_classes == 2 else n_classes
        self.n_params = self.n_logits * (n_features + self.fit_intercept)
        self._sparse = sp.issparse(X)
        self._floor = underflow_floor(dtype)

        if sample_weight is None:
            self._weights = None
            self._weight_sum = float(n_samples)
        else:
            self._weights = sample_weight.astype(dtype, copy=False)
            self._weight_sum = float(sample_weight.sum())

        block = weighted_target_block(targets, n_classes, self._weights, dtype)
        if self.n_logits == 1:
            self._weighted_target = block[1]
            self._z = np.empty(n_samples, dtype=dtype)
            self._tmp = np.empty(n_samples, dtype=dtype)
            self._tmp2 = np.empty(n_samples, dtype=dtype)
            self._mask = np.empty(n_samples, dtype=bool)
        else:
            self._weighted_target = block
            self._Z = np.empty((n_classes, n_samples), dtype=dtype)
            self._max = np.empty(n_samples, dtype=dtype)
            self._sum = np.empty(n_samples, dtype=dtype)

    def unpack(self, coef):
        """Split a flat parameter vector into ``W (n_logits, d)`` and ``b``.

        ``b`` is ``None`` without an intercept. Both are views of ``coef``.
        """
        n_weights = self.n_logits * self.n_features
        W = coef[:n_weights].reshape(self.n_logits, self.n_features)
        b = coef[n_weights:] if self.fit_intercept else None
        return W, b

    def loss_gradient(self, coef):
        """Objective and its gradient at the flat parameter vector ``coef``.

        Parameters
        ----------
        coef : ndarray of shape (n_params,)
            Flat parameters (see the module's conventions).

        Returns
        -------
        loss : float
        gradient : ndarray of shape (n_params,), float64
        """
        W64, b64 = self.unpack(coef)
        W = W64.astype(self.dtype, copy=False)
        b = None if b64 is None else b64.astype(self.dtype, copy=False)
        if self.n_logits == 1:
            data_loss, grad_W, grad_b = self._binary(W[0], b)
        else:
            data_loss, grad_W, grad_b = self._multinomial(W, b)

        # The data terms are sums over samples; scale them once, here.
        scale = 1.0 / self._weight_sum
        grad = np.empty(self.n_params, dtype=np.float64)
        gW, gb = self.unpack(grad)
        np.multiply(W64, self.l2_reg_strength, out=gW)
        gW += scale * np.asarray(grad_W, dtype=np.float64).reshape(gW.shape)
        if gb is not None:
            np.multiply(grad_b, scale, out=gb)
        penalty = 0.5 * self.l2_reg_strength * float(np.vdot(W64, W64))
        return scale * float(data_loss) + penalty, grad

    def _binary(self, w, b):
        """Summed weighted loss and gradient pieces for one logit.

        scipy's ``expit`` and ``log_expit`` cost 10-35 ns an element here; the
        same quantities from numpy's vectorised ``exp`` and ``log1p`` cost a
        tenth of that.
        """
        X, z, e, u, mask = self.X, self._z, self._tmp, self._tmp2, self._mask
        weights, weighted_y = self._weights, self._weighted_target
        if self._sparse:
            z[:] = X @ w
        else:
            np.matmul(X, w, out=z)
        if b is not None:
            z += b
        # loss_i = w_i (softplus(z_i) - y_i z_i), where
        # softplus(z) = max(z, 0) + log1p(exp(-|z|)) and max(z, 0) = (z + |z|) / 2.
        np.abs(z, out=e)
        loss = 0.5 * (self._weighted_sum(z) + self._weighted_sum(e))
        np.negative(e, out=e)
        np.maximum(e, self._floor, out=e)
        np.exp(e, out=e)  # exp(-|z|), in (0, 1]
        np.log1p(e, out=u)
        loss += self._weighted_sum(u) - np.dot(weighted_y, z)
        # expit(z): q = exp(-|z|) / (1 + exp(-|z|)) is expit(-|z|), so
        # expit(z) = q where z < 0 and 1 - q where z >= 0.
        np.add(e, 1.0, out=u)
        np.divide(e, u, out=e)
        np.subtract(1.0, e, out=u)
        np.greater_equal(z, 0, out=mask)
        np.copyto(e, u, where=mask)
        # gradient with respect to z: w_i (expit(z_i) - y_i)
        if weights is not None:
            e *= weights
        e -= weighted_y
        grad_w = X.T @ e if self._sparse else e @ X
        grad_b = e.sum(dtype=np.float64) if b is not None else None
        return loss, grad_w, grad_b

    def _weighted_sum(self, values):
        """``sum_i w_i values_i`` (a plain sum when unweighted)."""
        if self._weights is None:
            return values.sum(dtype=np.float64)
        return np.dot(self._weights, values)

    def _multinomial(self, W, b):
        """Summed weighted loss and gradient pieces for K logits."""
        X, Z = self.X, self._Z
        row_max, row_sum = self._max, self._sum
        weights, weighted_Y = self._weights, self._weighted_target
        if self._sparse:
            Z[...] = (X @ W.T).T
        else:
            np.matmul(W, X.T, out=Z)
        if b is not None:
            Z += b[:, np.newaxis]
        # Shift by the per-sample maximum so that exp cannot overflow. Column i
        # of weighted_Y sums to w_i, so the loss
        #   sum_i w_i log sum_k exp(z_ik) - sum_ik w_i Y_ik z_ik
        # is unchanged by the shift.
        np.max(Z, axis=0, out=row_max)
        Z -= row_max
        target_term = np.vdot(weighted_Y, Z)
        np.maximum(Z, self._floor, out=Z)
        np.exp(Z, out=Z)
        np.sum(Z, axis=0, out=row_sum)
        np.log(row_sum, out=row_max)
        if weights is None:
            loss = row_max.sum(dtype=np.float64)
            np.divide(1.0, row_sum, out=row_sum)
        else:
            loss = np.dot(weights, row_max)
            np.divide(weights, row_sum, out=row_sum)
        loss -= target_term
        # gradient with respect to the logits: w_i p_ik - w_i Y_ik
        Z *= row_sum
        Z -= weighted_Y
        grad_W = (X.T @ Z.T).T if self._sparse else Z @ X
        grad_b = Z.sum(axis=1) if b is not None else None
        return loss, grad_W, grad_b
