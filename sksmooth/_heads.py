"""Output heads: a block of logits in, the summed weighted loss out, in place.

- :class:`CrossEntropyHead`: the soft cross-entropy ``-sum_k Y_ik log p_ik`` of
  ``p = softmax(z)`` (the sigmoid for two classes).
- :class:`ForwardCrossEntropyHead`: the forward-corrected one,
  ``-sum_k Y_ik log (p_i T)_k`` with a row-stochastic transition matrix ``T``
  (Patrini et al., 2017): the model's prediction ``p`` is smoothed by ``T``
  before it meets the (noisy) labels, so that ``p`` learns the clean classes.
- :func:`make_head` picks one.

Both leave in :attr:`logits` the gradient with respect to the logits and, if
asked, keep what Hessian-vector products need (:meth:`curvature_product`), so
every learner (the linear model in ``_loss.py``, the MLP in ``_mlp_loss.py``)
takes either head unchanged. Dividing by ``weight_sum`` is left to the caller.
"""

import numpy as np


def underflow_floor(dtype) -> float:
    """A logit offset whose ``exp`` is still far from subnormal: ``tiny**(2/3)``."""
    return float(np.log(np.finfo(dtype).tiny)) * 2 / 3


def weighted_target_block(targets, n_classes: int, sample_weight, dtype) -> np.ndarray:
    """The ``(n_classes, n_samples)`` block ``w_i * Y_ik``, rows of ``Y`` renormalised.

    This is the layout the loss kernels want (see ``sksmooth._heads``): class
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
    >>> from sksmooth._heads import weighted_target_block
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
    >>> from sksmooth._heads import CrossEntropyHead
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

    def curvature_product(self, Z):
        """The weighted Hessian with respect to the logits times ``Z``, in place.

        Per sample ``w_i (diag(p_i) - p_i p_i^T) z_i`` (``w_i p_i (1 - p_i) z_i``
        for the sigmoid), from what the last :meth:`loss_and_gradient` kept.
        """
        if Z.ndim == 1:
            Z *= self.curvature
            return Z
        # R_ki = w_i p_ki (z_ki - sum_j p_ji z_ji)
        mean = np.einsum("kn,kn->n", self.curvature, Z)
        Z -= mean
        Z *= self.curvature
        if self._weights is not None:
            Z *= self._weights
        return Z

    def curvature_diagonal(self):
        """``w_i p_ik (1 - p_ik)``, shape ``(n_logits, n_samples)``: the diagonal
        of each sample's Hessian with respect to its logits."""
        if self.n_logits == 1:
            return self.curvature[np.newaxis, :]
        P = self.curvature
        c = P * (1.0 - P)
        if self._weights is not None:
            c *= self._weights
        return c


class ForwardCrossEntropyHead:
    """Summed weighted forward-corrected cross-entropy of a block of logits.

    The data term of forward correction: with ``p_i = softmax(z_i)`` and a
    row-stochastic transition matrix ``T`` (``T[j, k]`` the chance that a
    sample of clean class ``j`` carries label ``k``), the labels are scored
    against ``q_i = p_i T``::

        loss = sum_i w_i * (-sum_k Y_ik log q_ik)

    Same interface as :class:`CrossEntropyHead` (write :attr:`logits`, call
    :meth:`loss_and_gradient`, read the gradient back from :attr:`logits`).
    With ``r_i = T (Y_i / q_i)`` (so ``p_i . r_i = 1``), the gradient with
    respect to the logits is ``w_i p_i (1 - r_i)``, ``w_i (p_i - Y_i)`` when
    ``T = I``. Two classes keep one logit ``z`` (the logits ``(0, z)``).

    Rows marked ``verified`` (their label was checked by someone) are scored
    against ``p_i`` itself: ``q_i = p_i`` there, as if ``T`` were the identity
    for those rows alone.

    The loss is not convex in the logits in general (``q`` stays away from
    zero whatever ``p`` does); :meth:`curvature_product` is its exact Hessian,
    which can be indefinite (see ``sksmooth._solvers.newton_cg``).

    Parameters
    ----------
    targets : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Integer class codes, or validated soft targets (the observed labels).
    sample_weight : ndarray of shape (n_samples,) or None
    transition : ndarray of shape (n_classes, n_classes)
        Row-stochastic ``T``.
    n_classes : int
    dtype : numpy dtype
    curvature : bool, default=False
        Keep what :meth:`curvature_product` needs (three ``(K, n)`` buffers).
    verified : ndarray of shape (n_samples,) of bool, default=None
        Rows scored against ``p`` itself, not ``p T``; ``None``: none.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._heads import ForwardCrossEntropyHead
    >>> T = np.array([[0.8, 0.2], [0.2, 0.8]])
    >>> head = ForwardCrossEntropyHead(np.array([1]), None, transition=T,
    ...                                n_classes=2, dtype=np.float64)
    >>> head.logits[...] = 0.0  # p = (0.5, 0.5), so q = (0.5, 0.5)
    >>> bool(np.isclose(head.loss_and_gradient(), np.log(2)))
    True
    >>> head.logits  # 0.5 * (1 - r_1), r_1 = 0.8 / 0.5
    array([-0.3])
    """

    def __init__(
        self,
        targets,
        sample_weight,
        *,
        transition,
        n_classes,
        dtype,
        curvature=False,
        verified=None,
    ):
        n_samples = targets.shape[0]
        self.n_logits = 1 if n_classes == 2 else n_classes
        self._floor = underflow_floor(dtype)
        self._tiny = np.finfo(dtype).tiny
        self._T = np.asarray(transition, dtype=dtype)
        # indices of the verified rows, whose columns skip T; None: no such row
        self._verified = (
            None
            if verified is None or not np.any(verified)
            else np.flatnonzero(verified)
        )
        if sample_weight is None:
            self._weights = np.ones(n_samples, dtype=dtype)
            self.weight_sum = float(n_samples)
        else:
            self._weights = sample_weight.astype(dtype, copy=False)
            self.weight_sum = float(sample_weight.sum())
        self._weighted_target = weighted_target_block(
            targets, n_classes, None if sample_weight is None else self._weights, dtype
        )
        shape = (n_classes, n_samples)
        self.logits = np.empty(n_samples if n_classes == 2 else shape, dtype=dtype)
        self._P, self._Q, self._R = (np.empty(shape, dtype=dtype) for _ in range(3))
        self._max = np.empty(n_samples, dtype=dtype)
        self._sum = np.empty(n_samples, dtype=dtype)
        # Marks that curvature is kept (read as "not None" by the losses).
        self.curvature = np.empty(shape, dtype=dtype) if curvature else None

    def _softmax_into_P(self):
        P = self._P
        if self.n_logits == 1:
            P[0] = 0.0
            P[1] = self.logits
        else:
            P[...] = self.logits
        np.max(P, axis=0, out=self._max)
        P -= self._max
        np.maximum(P, self._floor, out=P)
        np.exp(P, out=P)
        np.sum(P, axis=0, out=self._sum)
        P /= self._sum
        return P

    def _through_T(self, M, out, transpose):
        """``T.T @ M`` (``transpose``) or ``T @ M`` into ``out``, column by
        column, except that verified columns are copied through unchanged."""
        np.matmul(self._T.T if transpose else self._T, M, out=out)
        if self._verified is not None:
            out[:, self._verified] = M[:, self._verified]
        return out

    def loss_and_gradient(self) -> float:
        """Summed weighted loss; :attr:`logits` becomes its gradient."""
        P, Q, R = self._softmax_into_P(), self._Q, self._R
        self._through_T(P, Q, transpose=True)  # q_i = p_i T, a column per sample
        np.maximum(Q, self._tiny, out=Q)
        loss = -float(np.vdot(self._weighted_target, np.log(Q)))
        U = np.divide(self._weighted_target, Q)  # w_i Y_ik / q_ik
        self._through_T(U, R, transpose=False)  # w_i r_i
        if self.curvature is not None:
            np.divide(U, Q, out=self.curvature)  # w_i Y_ik / q_ik^2
        G = np.subtract(self._weights, R, out=U)
        G *= P  # w_i p_i (1 - r_i)
        self.logits[...] = G[1] if self.n_logits == 1 else G
        return loss

    def curvature_product(self, Z):
        """The weighted Hessian with respect to the logits times ``Z``, in place.

        With ``dp = p (z - p.z)``, the directional derivative of ``p``, the
        product is ``dp (w - w r) + p T (w Y dq / q^2)``, ``dq = dp T``.
        """
        P = self._P
        V = np.zeros_like(P) if self.n_logits == 1 else Z
        if self.n_logits == 1:
            V[1] = Z
        dP = V - np.einsum("kn,kn->n", P, V)
        dP *= P
        inner = self._through_T(dP, np.empty_like(dP), transpose=True)
        inner *= self.curvature
        out = self._through_T(inner, np.empty_like(inner), transpose=False)
        out *= P
        dP *= np.subtract(self._weights, self._R)
        out += dP
        Z[...] = out[1] if self.n_logits == 1 else out
        return Z

    def curvature_diagonal(self):
        """``w_i p_ik (1 - p_ik)``, shape ``(n_logits, n_samples)``: the plain
        cross-entropy's diagonal, a positive stand-in for the Jacobi
        preconditioner (the forward loss's own diagonal can be negative)."""
        P = self._P[1:] if self.n_logits == 1 else self._P
        return P * (1.0 - P) * self._weights


def make_head(
    targets,
    sample_weight,
    *,
    n_classes,
    dtype,
    curvature=False,
    transition=None,
    verified=None,
):
    """The head of a loss: forward-corrected if a ``transition`` is given.

    Parameters
    ----------
    targets : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Integer codes or validated soft targets.
    sample_weight : ndarray of shape (n_samples,) or None
    n_classes : int
    dtype : numpy dtype
    curvature : bool, default=False
        Keep what Hessian-vector products need.
    transition : ndarray of shape (n_classes, n_classes) or None
        Row-stochastic ``T``; ``None`` (or the identity) gives the plain head,
        so that ``epsilon=0`` is exactly the unsmoothed fit.
    verified : ndarray of shape (n_samples,) of bool, default=None
        With a ``transition``: the rows scored against ``p`` itself (see
        :class:`ForwardCrossEntropyHead`). Without one, or all ``True``, the
        plain head.

    Returns
    -------
    head : CrossEntropyHead or ForwardCrossEntropyHead
    """
    if (
        transition is None
        or np.array_equal(transition, np.eye(n_classes))
        or (verified is not None and np.all(verified))
    ):
        return CrossEntropyHead(
            targets,
            sample_weight,
            n_classes=n_classes,
            dtype=dtype,
            curvature=curvature,
        )
    return ForwardCrossEntropyHead(
        targets,
        sample_weight,
        transition=transition,
        n_classes=n_classes,
        dtype=dtype,
        curvature=curvature,
        verified=verified,
    )
