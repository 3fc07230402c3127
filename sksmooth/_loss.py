"""Soft cross-entropy: the output head, and the linear model built on it.

- :class:`CrossEntropyHead` turns a block of logits into the summed weighted
  soft cross-entropy and, in place, its gradient with respect to the logits.
  Every learner shares it (the MLP in ``_mlp_loss.py`` too).
- :class:`LinearSoftCrossEntropy` is the L2-penalised objective of a linear
  model: loss and gradient in one call, for ``scipy.optimize``, and (with
  ``hessian=True``) Hessian-vector products at the last evaluated point, for
  the Newton solver.

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


def underflow_floor(dtype) -> float:
    """A logit offset whose ``exp`` is still far from subnormal: ``tiny**(2/3)``."""
    return float(np.log(np.finfo(dtype).tiny)) * 2 / 3


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


def weighted_target_block(targets, n_classes: int, sample_weight, dtype) -> np.ndarray:
    """The ``(n_classes, n_samples)`` block ``w_i * Y_ik``, rows of ``Y`` renormalised.

    This is the layout the loss kernels want (see ``sksmooth._loss``): class
    ``k`` is row ``k``, so reductions over classes run along the long axis.

    Parameters
    ----------
    targets : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Integer codes ``0..n_classes-1`` (one-hot targets, never materialised as
        an ``(n, K)`` matrix) or a validated soft-target matrix.
    n_classes : int
        Number of classes ``K``.
    sample_weight : ndarray of shape (n_samples,) or None
        Raw sample weights; ``None`` means all ones.
    dtype : numpy dtype
        dtype of the block.

    Returns
    -------
    block : ndarray of shape (n_classes, n_samples), C-contiguous
        Column ``i`` sums to ``w_i`` up to rounding: dividing soft rows by their
        sums makes the loss exactly invariant to a per-sample shift of the logits.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._loss import weighted_target_block
    >>> weighted_target_block(np.array([1, 0]), 2, np.array([2.0, 1.0]), np.float64)
    array([[0., 1.],
           [2., 0.]])
    """
    n_samples = targets.shape[0]
    weights = (
        np.ones(n_samples, dtype=dtype) if sample_weight is None else sample_weight
    )
    block = np.zeros((n_classes, n_samples), dtype=dtype)
    if targets.ndim == 1:
        block[targets, np.arange(n_samples)] = weights
    else:
        row_scale = np.divide(weights, targets.sum(axis=1), dtype=dtype)
        np.multiply(targets.T, row_scale, out=block)
    return block


def _binary_weighted_target(targets, weights, dtype):
    """``w_i Y_i1`` of a two-class problem, shape ``(n_samples,)``.

    Row 1 of :func:`weighted_target_block`, made directly:
    for integer codes one comparison, instead of a ``(2, n)`` block, an array
    of ones and a scatter.
    """
    if targets.ndim == 1:
        target = np.equal(targets, 1).astype(dtype)
    else:
        target = np.divide(targets[:, 1], targets.sum(axis=1), dtype=dtype)
    if weights is not None:
        target *= weights
    return target


class CrossEntropyHead:
    """Summed weighted soft cross-entropy of a block of logits, in place.

    The caller writes the logits into :attr:`logits` and calls
    :meth:`loss_and_gradient`, which returns ``sum_i w_i H(Y_i, p_i)`` and
    overwrites :attr:`logits` with its gradient with respect to the logits,
    ``w_i (p_i - Y_i)``. Dividing by :attr:`weight_sum` is left to the caller.

    Parameters
    ----------
    targets : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Integer class codes ``0..n_classes-1``, or soft targets (validated:
        non-negative, rows summing to one).
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights with a positive sum; ``None`` means all ones.
    n_classes : int
        Number of classes ``K >= 2``.
    dtype : numpy dtype
        float32 or float64; the dtype of every buffer.
    curvature : bool, default=False
        Whether every call also keeps, in :attr:`curvature`, what the Hessian
        with respect to the logits needs (see there).

    Attributes
    ----------
    n_logits : int
        ``1`` for two classes (the logit of class 1, sigmoid), else ``K``.
    curvature : ndarray or None
        After :meth:`loss_and_gradient`, if asked for: for two classes the
        weighted second derivatives ``w_i p_i (1 - p_i)``, shape
        ``(n_samples,)``; otherwise the probabilities ``p_ik`` (unweighted), shape
        ``(K, n_samples)``, from which the per-sample Hessian
        ``w_i (diag(p_i) - p_i p_i^T)`` is applied. ``None`` if not asked for.
    logits : ndarray
        Shape ``(n_samples,)`` for two classes, ``(K, n_samples)`` otherwise.
    weight_sum : float
        ``sum(sample_weight)``, or ``n_samples``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._loss import CrossEntropyHead
    >>> head = CrossEntropyHead(np.array([0, 2]), None, n_classes=3,
    ...                         dtype=np.float64)
    >>> head.logits[...] = 0.0
    >>> bool(np.isclose(head.loss_and_gradient(), 2 * np.log(3)))
    True
    >>> head.logits  # p - Y with p = 1/3 everywhere
    array([[-0.66666667,  0.33333333],
           [ 0.33333333,  0.33333333],
           [ 0.33333333, -0.66666667]])
    """

    def __init__(self, targets, sample_weight, *, n_classes, dtype, curvature=False):
        n_samples = targets.shape[0]
        self.curvature = None
        self.n_logits = 1 if n_classes == 2 else n_classes
        self._floor = underflow_floor(dtype)
        if sample_weight is None:
            self._weights = None
            self.weight_sum = float(n_samples)
        else:
            self._weights = sample_weight.astype(dtype, copy=False)
            self.weight_sum = float(sample_weight.sum())
        if self.n_logits == 1:
            self._weighted_target = _binary_weighted_target(
                targets, self._weights, dtype
            )
            self.logits = np.empty(n_samples, dtype=dtype)
            self._tmp = np.empty(n_samples, dtype=dtype)
            self._tmp2 = np.empty(n_samples, dtype=dtype)
            self._mask = np.empty(n_samples, dtype=bool)
            if curvature:
                self.curvature = np.empty(n_samples, dtype=dtype)
        else:
            self._weighted_target = weighted_target_block(
                targets, n_classes, self._weights, dtype
            )
            self.logits = np.empty((n_classes, n_samples), dtype=dtype)
            self._max = np.empty(n_samples, dtype=dtype)
            self._sum = np.empty(n_samples, dtype=dtype)
            if curvature:
                self.curvature = np.empty((n_classes, n_samples), dtype=dtype)

    def loss_and_gradient(self) -> float:
        """Summed weighted loss; :attr:`logits` becomes its gradient."""
        if self.n_logits == 1:
            return self._sigmoid()
        return self._softmax()

    def _weighted_sum(self, values):
        """``sum_i w_i values_i`` (a plain sum when unweighted)."""
        if self._weights is None:
            return values.sum(dtype=np.float64)
        return np.dot(self._weights, values)

    def _sigmoid(self):
        """One logit per sample.

        scipy's ``expit`` and ``log_expit`` cost 10-35 ns an element here; the
        same quantities from numpy's vectorised ``exp`` and ``log1p`` cost a
        tenth of that.
        """
        z, e, u, mask = self.logits, self._tmp, self._tmp2, self._mask
        weighted_y = self._weighted_target
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
        if self.curvature is not None:
            # p (1 - p) = q (1 - q) whatever the sign of z
            np.multiply(e, u, out=self.curvature)
            if self._weights is not None:
                self.curvature *= self._weights
        np.greater_equal(z, 0, out=mask)
        np.copyto(e, u, where=mask)
        # gradient with respect to z: w_i (expit(z_i) - y_i)
        if self._weights is not None:
            e *= self._weights
        np.subtract(e, weighted_y, out=z)
        return float(loss)

    def _softmax(self):
        """K logits per sample, as a (K, n) block."""
        Z, row_max, row_sum = self.logits, self._max, self._sum
        weighted_Y = self._weighted_target
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
        loss = self._weighted_sum(row_max) - target_term
        # gradient with respect to the logits: w_i p_ik - w_i Y_ik
        if self.curvature is not None:
            # Keep the unweighted probabilities for the Hessian: P = Z / sum, then
            # the gradient from P (one more pass only with weights).
            P = self.curvature
            np.divide(1.0, row_sum, out=row_sum)
            np.multiply(Z, row_sum, out=P)
            if self._weights is None:
                np.subtract(P, weighted_Y, out=Z)
            else:
                np.multiply(P, self._weights, out=Z)
                Z -= weighted_Y
            return float(loss)
        if self._weights is None:
            np.divide(1.0, row_sum, out=row_sum)
        else:
            np.divide(self._weights, row_sum, out=row_sum)
        Z *= row_sum
        Z -= weighted_Y
        return float(loss)


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
    ):
        self.X = X
        self.dtype = X.dtype
        self.fit_intercept = bool(fit_intercept)
        self.l2_reg_strength = float(l2_reg_strength)
        self.n_features = X.shape[1]
        self.head = CrossEntropyHead(
            targets,
            sample_weight,
            n_classes=n_classes,
            dtype=X.dtype,
            curvature=hessian,
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

        The Hessian of cross-entropy does not depend on the targets: per sample
        it is ``w_i (diag(p_i) - p_i p_i^T)`` with respect to the logits
        (``w_i p_i (1 - p_i)`` for the sigmoid), so a product costs two passes
        over ``X``, ``X @ V`` and ``R.T @ X``, and reuses the probabilities the
        last gradient call kept (the gradient's ``(K, n)`` buffer is reused for
        ``R``).

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
        Z = self._forward(V64, vb64)
        curvature = head.curvature
        if Z.ndim == 1:
            Z *= curvature
        else:
            # R_ki = w_i p_ki (z_ki - sum_j p_ji z_ji)
            mean = np.einsum("kn,kn->n", curvature, Z)
            Z -= mean
            Z *= curvature
            if head._weights is not None:
                Z *= head._weights
        product = self._backward(Z)
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
        if head.n_logits == 1:
            c = head.curvature[np.newaxis, :]
        else:
            P = head.curvature
            c = P * (1.0 - P)
            if head._weights is not None:
                c *= head._weights
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
