"""Soft cross-entropy of a linear model: loss and gradient in one call.

Conventions
-----------
- ``X`` is a dense C- or F-ordered array or a CSR matrix of shape
  ``(n_samples, n_features)``, float32 or float64; it is never copied.
- ``Y`` is a validated soft-target matrix of shape ``(n_samples, K)``.
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

Why the layout: logits are kept as a ``(K, n_samples)`` block. The softmax then
reduces along axis 0, which numpy vectorises over the long axis, while the
usual ``(n_samples, K)`` layout with small ``K`` reduces over tiny rows. All
``(K, n_samples)`` buffers are allocated once per fit and reused across
evaluations.
"""

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, log_expit


class LinearSoftCrossEntropy:
    """Loss and gradient of the L2-penalised soft cross-entropy of a linear model.

    Parameters
    ----------
    X : {ndarray, csr_matrix} of shape (n_samples, n_features)
        Training data, float32 or float64. Kept by reference.
    Y : ndarray of shape (n_samples, n_classes)
        Soft targets (validated: non-negative, rows summing to one).
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights with a positive sum; ``None`` means all ones.
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
    ...     X, Y, None, fit_intercept=True, l2_reg_strength=0.1)
    >>> value, grad = loss.loss_gradient(np.zeros(loss.n_params))
    >>> bool(np.isclose(value, np.log(3))), grad.shape
    (True, (9,))
    """

    def __init__(self, X, Y, sample_weight, *, fit_intercept, l2_reg_strength):
        n_samples, n_features = X.shape
        n_classes = Y.shape[1]
        dtype = X.dtype
        self.X = X
        self.dtype = dtype
        self.fit_intercept = bool(fit_intercept)
        self.l2_reg_strength = float(l2_reg_strength)
        self.n_features = n_features
        self.n_logits = 1 if n_classes == 2 else n_classes
        self.n_params = self.n_logits * (n_features + self.fit_intercept)
        self._sparse = sp.issparse(X)

        # Scaled weights w_i / sum(w): a scalar when unweighted saves a pass.
        if sample_weight is None:
            weights = np.asarray(1.0 / n_samples, dtype=dtype)
        else:
            weights = (sample_weight / sample_weight.sum()).astype(dtype, copy=False)
        self._weights = weights

        # Dividing by the row sums makes sum_k Y_ik == 1 to rounding, so that
        # the max-shift of the logits below leaves the loss unchanged.
        row_scale = (weights / Y.sum(axis=1)).astype(dtype, copy=False)
        if self.n_logits == 1:
            self._weighted_target = np.multiply(Y[:, 1], row_scale, dtype=dtype)
            self._z = np.empty(n_samples, dtype=dtype)
            self._tmp = np.empty(n_samples, dtype=dtype)
        else:
            # (K, n) block of w_i * Y_ik / sum(w), C-contiguous.
            weighted = np.empty((n_classes, n_samples), dtype=dtype)
            np.multiply(Y.T, row_scale, out=weighted)
            self._weighted_target = weighted
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
        W, b = self.unpack(coef)
        W = W.astype(self.dtype, copy=False)
        if b is not None:
            b = b.astype(self.dtype, copy=False)
        if self.n_logits == 1:
            loss, grad_W, grad_b = self._binary(W[0], b)
        else:
            loss, grad_W, grad_b = self._multinomial(W, b)

        grad = np.empty(self.n_params, dtype=np.float64)
        gW, gb = self.unpack(grad)
        W64 = coef[: gW.size].reshape(gW.shape)
        np.multiply(W64, self.l2_reg_strength, out=gW)
        gW += grad_W
        if gb is not None:
            gb[:] = grad_b
        loss = float(loss) + 0.5 * self.l2_reg_strength * float(
            W64.ravel() @ W64.ravel()
        )
        return loss, grad

    def _binary(self, w, b):
        X, z, tmp = self.X, self._z, self._tmp
        weights, weighted_y = self._weights, self._weighted_target
        if self._sparse:
            z[:] = X @ w
        else:
            np.matmul(X, w, out=z)
        if b is not None:
            z += b
        # loss_i = softplus(z_i) - y_i z_i, with softplus(z) = -log_expit(-z)
        np.negative(z, out=tmp)
        log_expit(tmp, out=tmp)
        if weights.ndim == 0:
            loss = -weights * tmp.sum(dtype=np.float64)
        else:
            loss = -np.dot(weights, tmp)
        loss -= np.dot(weighted_y, z)
        # gradient with respect to z: w_i (p_i - y_i)
        expit(z, out=z)
        z *= weights
        z -= weighted_y
        grad_w = z @ X if not self._sparse else X.T @ z
        grad_b = z.sum(dtype=np.float64) if b is not None else None
        return loss, grad_w, grad_b

    def _multinomial(self, W, b):
        X, Z = self.X, self._Z
        row_max, row_sum = self._max, self._sum
        weights, weighted_Y = self._weights, self._weighted_target
        if self._sparse:
            Z[...] = (X @ W.T).T
        else:
            np.matmul(W, X.T, out=Z)
        if b is not None:
            Z += b[:, np.newaxis]
        # Shift by the per-sample maximum so that exp cannot overflow. Because
        # each column of weighted_Y sums to w_i, the loss below
        #   sum_i w_i log sum_k exp(z_ik) - sum_ik w_i Y_ik z_ik
        # is unchanged by the shift.
        np.max(Z, axis=0, out=row_max)
        Z -= row_max
        target_term = np.vdot(weighted_Y, Z)
        np.exp(Z, out=Z)
        np.sum(Z, axis=0, out=row_sum)
        np.log(row_sum, out=row_max)
        if weights.ndim == 0:
            loss = weights * row_max.sum(dtype=np.float64)
        else:
            loss = np.dot(weights, row_max)
        loss -= target_term
        # gradient with respect to the logits: w_i p_ik - w_i Y_ik
        np.divide(weights, row_sum, out=row_sum)
        Z *= row_sum
        Z -= weighted_Y
        grad_W = Z @ X if not self._sparse else (X.T @ Z.T).T
        grad_b = Z.sum(axis=1) if b is not None else None
        return loss, grad_W, grad_b
