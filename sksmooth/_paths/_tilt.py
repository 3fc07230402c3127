"""The tilt: every target-smoothing objective of the L2 soft cross-entropy is
the one at ``e = 0`` tilted by a linear term.

The soft cross-entropy is ``H(Y, softmax z) = logsumexp(z) - Y.z`` and smoothed
targets are ``Y(e) = onehot + e (S[y] - onehot)``, so::

    f_e(theta) = f_0(theta) - e <b, theta>,
    b = (1 / sum(w)) sum_i w_i (S[y_i] - onehot_i) (x) [x_i, 1]

(binary: the same for the logit of class 1). ``b`` is a product of the class
sums of ``[X, 1]`` with ``S - I`` (:func:`class_sums`, :func:`tilt_vector`);
:class:`TiltedObjective` evaluates every ``f_e`` from ``f_0``'s evaluations.
For a spread matrix with equal rows (``"uniform"``, ``"prior"``) the path
passes through a known point at ``e = 1``, ``W = 0`` (:func:`anchor`), and the
inverse Hessian at that point has a closed Kronecker form
(:func:`kronecker_inverse`).
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_factor, cho_solve

# The Kronecker initial inverse Hessian costs one X^T X (d / (4 K) objective
# evaluations' worth of arithmetic, or more) and a (d + 1)^2 solve per use; it
# halves the evaluations of a path at few features per logit and no longer pays
# near d = 100 K (measured up to d = 1000, K = 10): used up to
# KRONECKER_FEATURES_PER_LOGIT * n_logits + KRONECKER_FEATURES features.
KRONECKER_FEATURES_PER_LOGIT = 50
KRONECKER_FEATURES = 400
KRONECKER_MAX_FEATURES = 2000


def class_sums(X, codes, sample_weight, n_classes: int, fit_intercept: bool):
    """``sum_{i: y_i = k} w_i [x_i, 1]`` for every class ``k``, in float64.

    One sparse-indicator product, for dense and sparse ``X`` alike.

    Returns
    -------
    sums : ndarray of shape (n_classes, n_features + fit_intercept)
    """
    n_samples = X.shape[0]
    weights = np.ones(n_samples) if sample_weight is None else sample_weight
    indicator = sp.csr_matrix(
        (np.asarray(weights, dtype=np.float64), (codes, np.arange(n_samples))),
        shape=(n_classes, n_samples),
    )
    sums = indicator @ X
    sums = sums.toarray() if sp.issparse(sums) else np.asarray(sums)
    sums = sums.astype(np.float64, copy=False)
    if fit_intercept:
        counts = np.asarray(indicator.sum(axis=1)).ravel()
        sums = np.column_stack([sums, counts])
    return sums


def tilt_vector(sums, S, weight_sum: float, fit_intercept: bool) -> np.ndarray:
    """The flat tilt ``b`` of ``f_e = f_0 - e <b, theta>`` from the class sums.

    Row ``k`` of ``(S - I)^T sums / sum(w)`` is the tilt of logit ``k``; a
    binary problem keeps row 1 (its one logit is class 1's). Flattened in the
    loss's layout ``[W.ravel(), intercepts]``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._paths._tilt import tilt_vector
    >>> sums = np.array([[1.0, 2.0], [3.0, 2.0]])  # [x-sum, count] per class
    >>> tilt_vector(sums, np.full((2, 2), 0.5), 4.0, True)  # binary: one logit
    array([-0.25,  0.  ])
    """
    n_classes = sums.shape[0]
    rows = (S - np.eye(n_classes)).T @ sums / weight_sum
    if n_classes == 2:
        rows = rows[1:]
    return _to_flat(rows, fit_intercept)


def _rows(flat, n_logits: int, fit_intercept: bool):
    """The flat layout back as ``(n_logits, d + fit_intercept)`` rows."""
    if not fit_intercept:
        return flat.reshape(n_logits, -1)
    n_weights = flat.shape[0] - n_logits
    W = flat[:n_weights].reshape(n_logits, -1)
    return np.column_stack([W, flat[n_weights:]])


def _to_flat(rows, fit_intercept: bool):
    """``[W | c]`` rows (``W`` without an intercept) as the flat layout
    ``[W.ravel(), c]`` of the loss."""
    if not fit_intercept:
        return rows.ravel()
    return np.concatenate([rows[:, :-1].ravel(), rows[:, -1]])


def anchor(S, n_logits: int, fit_intercept: bool, n_features: int):
    """The solution at ``e = 1`` when every row of ``S`` is the same ``pi``.

    At ``e = 1`` every target is ``pi``; ``W = 0`` with intercepts ``log pi``
    (centred; binary: ``log(pi_1 / pi_0)``) predicts ``pi`` for every sample,
    so the data gradient vanishes and so does the penalty's. Without an
    intercept that holds only for a uniform ``pi``. ``None`` otherwise.

    Returns
    -------
    coef : ndarray of shape (n_params,) or None
    """
    pi = S[0]
    if np.ptp(S, axis=0).max() > 1e-12 or pi.min() <= 0:
        return None
    if not fit_intercept:
        return np.zeros(n_logits * n_features) if np.ptp(pi) <= 1e-12 else None
    log_pi = np.log(pi)
    intercept = log_pi[1:] - log_pi[0] if n_logits == 1 else log_pi - log_pi.mean()
    return np.concatenate([np.zeros(n_logits * n_features), intercept])


def weighted_gram(X, sample_weight, sums, fit_intercept: bool) -> np.ndarray:
    """``A = [X, 1]^T diag(w) [X, 1] / sum(w)`` in float64, in row blocks.

    ``sums`` are the class sums of :func:`class_sums` (the intercept's row and
    column are their column sums).
    """
    weights = None if sample_weight is None else np.asarray(sample_weight, float)
    n_samples, n_features = X.shape
    if sp.issparse(X):
        weighted = X if weights is None else sp.diags(weights) @ X
        gram = np.asarray((X.T @ weighted).todense(), dtype=np.float64)
    else:
        gram = np.zeros((n_features, n_features))
        chunk = max(1, (8 << 20) // (max(1, n_features) * X.dtype.itemsize))
        for start in range(0, n_samples, chunk):
            rows = slice(start, start + chunk)
            block = np.asarray(X[rows], dtype=np.float64)
            right = block if weights is None else block * weights[rows, None]
            gram += block.T @ right
    weight_sum = float(n_samples if weights is None else weights.sum())
    if fit_intercept:
        column = sums[:, :-1].sum(axis=0)
        gram = np.block(
            [[gram, column[:, None]], [column[None, :], np.array([[weight_sum]])]]
        )
    return gram / weight_sum


def kronecker_inverse(gram, *, n_logits, fit_intercept, l2):
    """``v -> H^{-1} v`` for the Hessian at ``W = 0`` with uniform predictions.

    There ``H = (1/K) C (x) A + l2 I (x) P`` (``A`` the :func:`weighted_gram`,
    ``C = I - 11^T/K`` the centring over classes, ``P`` the penalty's mask):
    on class-sum-zero directions its inverse is ``V -> V (A/K + l2
    P)^{-1}``, on the class-constant ones ``l2^{-1}`` for the weights (the
    softmax ignores them) and zero for the intercepts (flat). Binary: ``H =
    A/4 + l2 P``. One Cholesky factor per ``l2``, of a ``(d + 1)^2`` matrix.
    """
    scale = 0.25 if n_logits == 1 else 1.0 / n_logits
    matrix = gram * scale
    mask = np.ones(matrix.shape[0])
    if fit_intercept:
        mask[-1] = 0.0
    matrix[np.diag_indices_from(matrix)] += l2 * mask
    # applied many times per point: an explicit (symmetric) inverse is one
    # matrix product, where two triangular solves cost as much and more calls
    inverse = cho_solve(
        cho_factor(matrix, check_finite=False),
        np.eye(matrix.shape[0]),
        check_finite=False,
    )

    # the flat layout [W.ravel(), c] as (n_logits, d + fit_intercept) rows and
    # back, by one gather each (position of row k, column j in the flat vector)
    n_params = n_logits * inverse.shape[0]
    to_rows = _rows(np.arange(n_params), n_logits, fit_intercept).ravel()
    to_flat = np.argsort(to_rows)
    flat_scale = mask / l2  # the class-constant directions' inverse

    # Applied once or twice per L-BFGS step: numpy's reductions and gathers
    # without their Python wrappers (np.mean is this sum and division).
    def apply(vectors):  # (n_params,) or (m, n_params)
        shape = vectors.shape
        rows = np.take(vectors.reshape(-1, shape[-1]), to_rows, axis=1)
        rows = rows.reshape(-1, n_logits, inverse.shape[0])
        if n_logits == 1:
            out = rows @ inverse
        else:
            mean = np.add.reduce(rows, axis=1, keepdims=True)
            mean /= n_logits
            rows -= mean
            out = rows @ inverse
            out += mean * flat_scale
        return np.take(out.reshape(-1, shape[-1]), to_flat, axis=1).reshape(shape)

    return apply


def use_kronecker(option, n_features: int, n_logits: int) -> bool:
    """Whether the Kronecker initial inverse Hessian pays (``option="auto"``)."""
    if option != "auto":
        return bool(option)
    return n_features <= min(
        KRONECKER_MAX_FEATURES,
        KRONECKER_FEATURES_PER_LOGIT * n_logits + KRONECKER_FEATURES,
    )


class TiltedObjective:
    """``f_e(theta) = f_0(theta) - e <b, theta>``: one loss, every epsilon.

    Parameters
    ----------
    problem : SoftmaxProblem
        Its data, spread matrix and layout.
    l2_reg_strength : float
        The first L2 strength (:meth:`set_penalty` changes it).

    Attributes
    ----------
    loss : LinearSoftCrossEntropy
        ``f_0``, on the labels.
    tilt : ndarray of shape (n_params,)
        ``b``.
    penalty_mask : ndarray of shape (n_params,)
        1 on the penalised weights, 0 on the intercepts.
    n_evaluations : int
        Evaluations of ``f_0`` so far.
    """

    def __init__(self, problem, l2_reg_strength):
        p = problem
        self.loss = p.loss(l2_reg_strength)
        self.sums = class_sums(
            p.X, p.codes, p.sample_weight, p.n_classes, p.fit_intercept
        )
        weight_sum = self.loss.head.weight_sum
        self.tilt = tilt_vector(self.sums, p.S, weight_sum, p.fit_intercept)
        self.penalty_mask = np.ones(self.loss.n_params)
        self.penalty_mask[self.loss.n_logits * self.loss.n_features :] = 0.0
        self.n_evaluations = 0

    def set_penalty(self, l2_reg_strength):
        """Make ``f_0`` the objective with this L2 strength (the same data term)."""
        self.loss.l2_reg_strength = float(l2_reg_strength)

    def base(self, coef):
        """``f_0`` and its gradient at ``coef`` (one evaluation)."""
        self.n_evaluations += 1
        return self.loss.loss_gradient(coef)

    def tilted(self, epsilon, coef, value0, grad0):
        """``f_e`` and its gradient at ``coef`` from ``f_0``'s (no evaluation)."""
        return value0 - epsilon * float(self.tilt @ coef), grad0 - epsilon * self.tilt

    def at(self, epsilon):
        """``coef -> (f_e, gradient)``, for the solver (``f_0``'s fresh
        gradient tilted in place)."""
        tilt = self.tilt

        def evaluate(coef):
            value0, grad0 = self.base(coef)
            grad0 -= epsilon * tilt
            return value0 - epsilon * float(tilt @ coef), grad0

        return evaluate
