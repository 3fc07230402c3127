"""The L2-penalised soft cross-entropy of a linear model.

:class:`LinearSoftCrossEntropy` is the objective of ``SoftmaxRegression``: loss
and gradient in one call, for ``scipy.optimize``, and (with ``hessian=True``)
Hessian-vector products at the last evaluated point, for the Newton solver.
Its data term is one of the heads of ``sksmooth._heads`` (the soft
cross-entropy, or with ``transition`` the forward-corrected one); the MLP in
``_mlp_loss.py`` shares them.

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
- Shifted logits are floored at ``underflow_floor(dtype)`` before ``exp``. Line-search
  trial points can put logits thousands below the maximum; their ``exp`` is
  subnormal, and subnormal numbers slow every later pass and the gradient's
  matrix product several-fold. The floor changes a probability by at most
  ``exp(floor)`` (about 1e-205 in float64, 1e-25 in float32), far below rounding.
"""

import numpy as np
import scipy.sparse as sp

from sksmooth._heads import make_head


def transposed_view(X):
    """``X.T`` as a CSC matrix sharing ``X``'s arrays, made without copying.

    ``X.T`` goes through scipy's constructor, which copies arrays that are views
    of a much larger array (a row slice of a bigger matrix): in a loss called a
    hundred times that is a hundred copies of ``X``.
    """
    X = X.tocsr()
    X_T = sp.csc_matrix((X.shape[1], X.shape[0]), dtype=X.dtype)
    X_T.data, X_T.indices, X_T.indptr = X.data, X.indices, X.indptr
    return X_T


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
    hessian : bool, default=False
        Whether :meth:`hessp` will be used: every :meth:`loss_gradient` call
        then keeps the probabilities (one more ``(K, n)`` buffer).
    transition : ndarray of shape (n_classes, n_classes), default=None
        Forward correction: the data term scores the targets against
        ``p_i T`` (:class:`~sksmooth._heads.ForwardCrossEntropyHead`), not
        ``p_i``. ``None`` or the identity is the plain soft cross-entropy.
    verified : ndarray of shape (n_samples,) of bool, default=None
        With ``transition``: rows whose labels were checked, scored against
        ``p_i`` itself.

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
    >>> loss = LinearSoftCrossEntropy(X, Y, None, n_classes=3, fit_intercept=True,
    ...                               l2_reg_strength=0.1, hessian=True)
    >>> _ = loss.loss_gradient(np.zeros(loss.n_params))
    >>> loss.hessp(np.ones(loss.n_params)).shape  # at the point just evaluated
    (9,)
    """

    def __init__(
        self,
        X,
        targets,
        sample_weight,
        *,
        n_classes,
        fit_intercept,
        l2_reg_strength,
        hessian=False,
        transition=None,
        verified=None,
    ):
        self.X = X
        self.dtype = X.dtype
        self.fit_intercept = bool(fit_intercept)
        self.l2_reg_strength = float(l2_reg_strength)
        self.n_features = X.shape[1]
        self.head = make_head(
            targets,
            sample_weight,
            n_classes=n_classes,
            dtype=X.dtype,
            curvature=hessian,
            transition=transition,
            verified=verified,
        )
        self.n_logits = self.head.n_logits
        self.n_params = self.n_logits * (self.n_features + self.fit_intercept)
        self._X_T = transposed_view(X) if sp.issparse(X) else None

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

        With ``hessian=True`` this point also becomes the one whose Hessian
        :meth:`hessp` multiplies.

        Parameters
        ----------
        coef : ndarray of shape (n_params,)
            Flat parameters (see the module's conventions).

        Returns
        -------
        loss : float
        gradient : ndarray of shape (n_params,), float64
        """
        head = self.head
        W64, b64 = self.unpack(coef)
        self._forward(W64, b64)
        data_loss = head.loss_and_gradient()  # logits now hold w_i (p_i - Y_i)
        grad = self._backward(head.logits)
        self._has_curvature = head.curvature is not None
        return self._add_penalty(coef, data_loss / head.weight_sum, grad)

    def objective_from_sums(self, coef, data_sum, grad_sum, weight_sum):
        """The objective from the data term summed elsewhere (row blocks).

        Parameters
        ----------
        coef : ndarray of shape (n_params,)
        data_sum : float
            ``sum_i w_i H(Y_i, p_i)`` over all the samples.
        grad_sum : ndarray of shape (n_params,)
            Its gradient; scaled in place.
        weight_sum : float
            ``sum_i w_i`` over all the samples.

        Returns
        -------
        loss : float
        gradient : ndarray of shape (n_params,)
        """
        grad_sum /= weight_sum
        return self._add_penalty(coef, data_sum / weight_sum, grad_sum)

    def _add_penalty(self, coef, value, grad):
        """``value + l2 / 2 * ||W||^2`` and ``grad + l2 * W`` (grad in place)."""
        W64, _ = self.unpack(coef)
        gW, _ = self.unpack(grad)
        gW += self.l2_reg_strength * W64
        penalty = 0.5 * self.l2_reg_strength * float(np.vdot(W64, W64))
        return value + penalty, grad

    def hessp(self, vector):
        """Hessian at the last :meth:`loss_gradient` point times ``vector``.

        The head applies the per-sample Hessian with respect to the logits
        (for cross-entropy ``w_i (diag(p_i) - p_i p_i^T)``, which does not
        depend on the targets; the forward-corrected head's does, and can be
        indefinite), so a product costs two passes over ``X``, ``X @ V`` and
        ``R.T @ X``, and reuses what the last gradient call kept.

        With an intercept and more than two classes, adding one constant to
        every class's intercept changes nothing (the softmax is invariant), so
        the Hessian is singular along that direction. The product therefore
        centres the intercept part of ``vector`` first: it is ``P H P`` with
        ``P`` the projection onto intercepts summing to zero, positive definite
        on that subspace (the penalty covers ``W``), and the gradient already
        lies in it (each target row sums to one). Conjugate gradients then never
        move along the flat direction, as in scikit-learn's ``newton-cg``, and
        rounding cannot make it drift there. (scikit-learn's
        ``newton-cholesky`` fixes the last class's intercept instead.)

        Parameters
        ----------
        vector : ndarray of shape (n_params,)

        Returns
        -------
        product : ndarray of shape (n_params,), float64
        """
        head = self.head
        if not getattr(self, "_has_curvature", False):
            raise RuntimeError(
                "hessp needs LinearSoftCrossEntropy(..., hessian=True) and a "
                "loss_gradient call at the point of the Hessian first."
            )
        V64, vb64 = self.unpack(vector)
        if vb64 is not None and head.n_logits > 1:
            vb64 = vb64 - vb64.mean()
        product = self._backward(head.curvature_product(self._forward(V64, vb64)))
        pW, pb = self.unpack(product)
        pW += self.l2_reg_strength * V64
        if pb is not None and head.n_logits > 1:
            pb -= pb.mean()
        return product

    def preconditioner(self):
        """Jacobi preconditioner at the last :meth:`loss_gradient` point.

        Returns ``r -> r / diag(H)``, intercepts centred as in :meth:`hessp`
        (so the preconditioned system stays off the flat direction). The
        diagonal ``sum_i c_ik x_ij^2 / sum(w) + l2`` (``c_ik = w_i p_ik (1 -
        p_ik)``) costs one pass over ``X`` squared in row blocks of about 8 MiB,
        once per Newton step; it undoes the spread of feature scales that
        otherwise multiplies the number of conjugate-gradient steps.
        """
        head = self.head
        if not getattr(self, "_has_curvature", False):
            raise RuntimeError(
                "preconditioner needs hessian=True and a loss_gradient call first."
            )
        c = head.curvature_diagonal()
        X = self.X
        n_samples = X.shape[0]
        chunk = max(1, (8 << 20) // (max(1, self.n_features) * X.dtype.itemsize))
        diag_W = np.zeros((head.n_logits, self.n_features))
        for start in range(0, n_samples, chunk):
            rows = slice(start, min(start + chunk, n_samples))
            X_rows = X[rows]
            if sp.issparse(X_rows):
                diag_W += (X_rows.multiply(X_rows).T @ c[:, rows].T).T
            else:
                diag_W += c[:, rows] @ np.square(X_rows)
        scale = 1.0 / head.weight_sum
        diag = np.empty(self.n_params)
        dW, db = self.unpack(diag)
        np.multiply(diag_W, scale, out=dW)
        dW += self.l2_reg_strength
        if db is not None:
            db[:] = scale * c.sum(axis=1, dtype=np.float64)
        # Guard against zero curvature (e.g. an intercept with saturated logits).
        np.maximum(diag, np.finfo(float).tiny + 1e-12 * diag.max(), out=diag)
        inverse = 1.0 / diag
        centre = db is not None and head.n_logits > 1

        def apply(residual):
            out = residual * inverse
            if centre:
                _, ob = self.unpack(out)
                ob -= ob.mean()
            return out

        return apply

    def data_gradient(self, block):
        """``(1 / sum(w)) * [block @ X, block.sum(axis=-1)]`` as a flat vector.

        The gradient of the data term is this map applied to the per-sample
        block ``w_i (p_i - Y_i)``; the change of the gradient when the weighted
        targets change by ``D`` is ``-data_gradient(D)`` (used by the ε path).

        Parameters
        ----------
        block : ndarray of shape (n_samples,) or (n_logits, n_samples)
            In ``X``'s dtype; shape as :attr:`CrossEntropyHead.logits`.

        Returns
        -------
        vector : ndarray of shape (n_params,), float64
        """
        return self._backward(np.asarray(block, dtype=self.dtype))

    def _forward(self, W64, b64):
        """Write ``X @ W.T + b`` into the head's ``(K, n)`` logits block; return it."""
        X, head = self.X, self.head
        W = W64.astype(self.dtype, copy=False)
        if head.n_logits == 1:
            W = W[0]
        logits = head.logits
        if self._X_T is not None:
            logits[...] = (X @ np.ascontiguousarray(W.T)).T
        elif W.ndim == 1:
            np.matmul(X, W, out=logits)
        else:
            np.matmul(W, X.T, out=logits)
        if b64 is not None:
            b = b64.astype(self.dtype, copy=False)
            logits += b[:, np.newaxis] if logits.ndim == 2 else b
        return logits

    def _backward(self, block):
        """``[block @ X, row sums] / sum(w)`` as a fresh flat float64 vector."""
        if self._X_T is not None:
            grad_W = (self._X_T @ np.ascontiguousarray(block.T)).T
        else:
            grad_W = block @ self.X
        # The data terms are sums over samples; scale them once, here, on the
        # small (K, d) product.
        scale = 1.0 / self.head.weight_sum
        grad = np.empty(self.n_params, dtype=np.float64)
        gW, gb = self.unpack(grad)
        np.multiply(grad_W.reshape(gW.shape), scale, out=gW)
        if gb is not None:
            gb[:] = scale * block.sum(axis=-1, dtype=np.float64)
        return grad
