"""Fitting and predicting on ``dask.array`` data spread over workers.

Imported only when a dask collection reaches ``fit``, ``predict``, ``score``
(see :func:`sksmooth._base.is_dask_collection`), so Dask stays an optional
extra (``pip install "sksmooth[dask]"``).

How a fit runs
--------------
1. ``X`` is chunked by rows (its columns rechunked into one block); ``y`` and
   ``sample_weight`` are brought to the same row chunks. Labels are encoded
   against the classes, found once with ``da.unique``; a ``class_weight``
   multiplies the sample weights block by block.
2. Every row block becomes one :class:`BlockObjective`, built once per fit on
   the worker that holds the block (``dask.persist``): it validates the block
   (finite ``X``, valid soft targets, non-negative weights) and wraps the same
   objective the in-memory fit uses (``LinearSoftCrossEntropy`` or
   ``MLPSoftCrossEntropy``) with the penalty set to zero, so that it returns the
   block's *summed* weighted loss and gradient.
3. L-BFGS runs on the client with the same options as the in-memory fit. Each
   evaluation is one graph submission: one task per block evaluating it where
   the block lives, with the parameter vector embedded in it (or, when those
   copies would pass ``INLINE_PARAMETER_BYTES``, a task of its own), one sum
   per worker over the blocks it holds (no transfer; where the blocks are is
   asked once per fit), and, beyond ``SPLIT_EVERY`` workers, a tree of sums
   across them. At most ``SPLIT_EVERY`` losses and gradients of ``n_params``
   floats come back; the client adds them, adds the penalty and divides by
   the total weight.

With a ``distributed.Client`` (the default client), the block objectives live
on the workers for the whole fit. Without one (or with a local scheduler set by
``dask.config.set(scheduler=...)``), dask's threaded scheduler is used: the
blocks are computed once into this process's memory, so the whole data must fit
in it, and evaluated in parallel threads (same results; no persistence across
machines, nothing gained over an in-memory fit but the lazy loading).
"""

import itertools
import uuid
import warnings

import dask
import dask.array as da
import numpy as np
import scipy.sparse as sp
from dask import delayed
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from sksmooth._base import FLOAT_DTYPES, class_weights
from sksmooth._loss import LinearSoftCrossEntropy
from sksmooth._mlp_loss import MLPSoftCrossEntropy
from sksmooth._optimize import lbfgs
from sksmooth._targets import check_soft_targets

#: Number of partial sums added by one task of the tree across workers (and
#: at most this many come back to the client).
SPLIT_EVERY = 8

#: Largest total size of the parameter copies embedded in one evaluation's
#: block tasks (``n_blocks * n_params * 8`` bytes); above it the parameters
#: travel as one task of their own, which the workers fetch from each other.
INLINE_PARAMETER_BYTES = 4 * 2**20

#: The learners that fit on dask arrays (named in errors).
DASK_LEARNERS = "SoftmaxRegression and SoftMLPClassifier"


# ---------------------------------------------------------------------------
# Input: row blocks of X, y and sample_weight
# ---------------------------------------------------------------------------


def _known_chunks(array, name: str) -> None:
    if any(np.isnan(size) for sizes in array.chunks for size in sizes):
        raise ValueError(
            f"{name} has unknown chunk sizes (NaN in {name}.shape or {name}.chunks, "
            f"e.g. from a filtered dask DataFrame). Call {name} = "
            f"{name}.compute_chunk_sizes() (or persist it first) before fitting."
        )


def as_row_blocks(X, *, name: str = "X"):
    """``X`` as a 2-D dask array with one block of columns.

    Raises ``TypeError`` for a dask collection that is not an array and
    ``ValueError`` for a wrong number of dimensions or unknown chunk sizes.
    """
    if not isinstance(X, da.Array):
        raise TypeError(
            f"{name} is a {type(X).__name__}; sksmooth fits and predicts on "
            "dask.array.Array data only. Convert a dask DataFrame with "
            f"{name}.to_dask_array(lengths=True)."
        )
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D dask array of shape (n_samples, n_features), "
            f"got {X.ndim} dimension(s)."
        )
    _known_chunks(X, name)
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    return X


def _aligned(values, row_chunks, name: str):
    """``values`` (dask or array-like) as a dask array with ``row_chunks`` rows."""
    n_samples = sum(row_chunks)
    if not isinstance(values, da.Array):
        values = np.asarray(values)
        if values.ndim == 0 or values.shape[0] != n_samples:
            raise ValueError(
                f"{name} has {values.shape[0] if values.ndim else 0} rows, but X "
                f"has {n_samples} samples; pass one row per sample."
            )
        chunks = (row_chunks, *((size,) for size in values.shape[1:]))
        return da.from_array(values, chunks=chunks)
    _known_chunks(values, name)
    if values.ndim == 0 or values.shape[0] != n_samples:
        raise ValueError(
            f"{name} has shape {values.shape}, but X has {n_samples} samples; "
            "pass one row per sample."
        )
    if (
        values.chunks[0] != tuple(row_chunks)
        or values.ndim == 2
        and (values.numblocks[1] != 1)
    ):
        # Small next to X (one value, or K, per row): realign it to X's blocks.
        values = values.rechunk(
            {0: tuple(row_chunks), **({1: -1} if values.ndim == 2 else {})}
        )
    return values


def _float_dtype(X):
    return X.dtype if X.dtype in FLOAT_DTYPES else np.dtype(np.float64)


def _row_blocks(array):
    """The blocks of a row-chunked dask array as a flat list of ``Delayed``."""
    return list(array.to_delayed().ravel())


def _encode_block(y, classes):
    return np.searchsorted(classes, y)


def prepare_targets(X, y, sample_weight, estimator_name: str):
    """Targets and weights aligned with ``X``'s row blocks, and the classes.

    Returns ``(y, soft, classes, sample_weight)``: ``y`` as a dask array of
    integer codes or soft targets, ``soft`` whether it holds soft targets,
    ``classes`` the sorted labels (computed once, with Dask) or
    ``arange(n_classes)``, and ``sample_weight`` as a dask array or ``None``.
    """
    if y is None:
        raise ValueError(
            f"This {estimator_name} estimator requires y to be passed, but the "
            "target y is None."
        )
    y = _aligned(y, X.chunks[0], "y")
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected.",
            DataConversionWarning,
            stacklevel=3,
        )
        y = y[:, 0]
    if y.ndim == 2:
        soft = True
        classes = np.arange(y.shape[1])
    elif y.ndim == 1:
        soft = False
        classes = da.unique(y).compute()
        check_classification_targets(classes)
        if classes.shape[0] < 2:
            raise ValueError(
                f"{estimator_name} needs samples of at least 2 classes in the data, "
                f"but the data contains only {classes.shape[0]}."
            )
        y = y.map_blocks(_encode_block, classes, dtype=np.intp)
    else:
        raise ValueError(f"y must be 1-D labels or 2-D soft targets, got {y.ndim}-D.")
    if sample_weight is not None:
        if np.ndim(sample_weight) == 0 and not isinstance(sample_weight, da.Array):
            sample_weight = da.full(
                X.shape[0], sample_weight, chunks=(X.chunks[0],), dtype=_float_dtype(X)
            )
        sample_weight = _aligned(sample_weight, X.chunks[0], "sample_weight")
        if sample_weight.ndim != 1:
            raise ValueError(
                "sample_weight must be 1-D of shape (n_samples,), got shape "
                f"{sample_weight.shape}."
            )
    return y, soft, classes, sample_weight


def _class_weight_block(targets, weights):
    return weights[targets] if targets.ndim == 1 else targets @ weights


def apply_class_weight_on_dask(class_weight, classes, targets, sample_weight):
    """:func:`sksmooth._base.apply_class_weight` on dask targets, block by block.

    The class weights come from :func:`sksmooth._base.class_weights` (for
    ``"balanced"``, each class's weighted mass is one reduction with Dask);
    each sample's weight is then ``class_weight[y_i] * sample_weight_i``, or
    ``(Y_i @ class_weight) * sample_weight_i`` for soft targets, computed
    where its block lives.

    Returns
    -------
    dask.array.Array of shape (n_samples,), float64, or ``sample_weight``
        unchanged when ``class_weight`` is None.
    """
    if class_weight is None:
        return sample_weight
    n_classes = classes.shape[0]
    if isinstance(class_weight, str) and class_weight == "balanced":
        if targets.ndim == 1:
            mass = da.bincount(targets, weights=sample_weight, minlength=n_classes)
        else:
            weighted = (
                targets if sample_weight is None else targets * sample_weight[:, None]
            )
            mass = weighted.sum(axis=0)
        mass = np.asarray(mass.compute(), dtype=np.float64)
        # class_weights counts soft targets' mass by summing their rows: one
        # row that holds each class's total mass gives the same weights.
        weights = class_weights(class_weight, classes, mass[np.newaxis, :])
    else:  # a dict (validated against the classes), or an invalid value
        weights = class_weights(class_weight, classes, np.zeros(0, np.intp))
    per_sample = targets.map_blocks(
        _class_weight_block,
        weights,
        **({"drop_axis": 1} if targets.ndim == 2 else {}),
        dtype=np.float64,
    )
    return per_sample if sample_weight is None else per_sample * sample_weight


# ---------------------------------------------------------------------------
# The block objective, living on a worker
# ---------------------------------------------------------------------------


class BlockObjective:
    """Summed weighted loss and gradient of one row block, built once per fit.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_block, n_features)
    targets : ndarray of shape (n_block,) or (n_block, n_classes)
        Integer codes or soft targets (validated here).
    sample_weight : ndarray of shape (n_block,) or None
    make_loss : callable
        ``make_loss(X, targets, sample_weight)`` returns the learner's in-memory
        objective with its penalty set to zero.
    dtype : numpy dtype
        float32 or float64.
    n_params : int
        Length of the parameter vector.

    Attributes
    ----------
    weight_sum : float
        The block's total weight (0 for an empty or all-zero-weight block, which
        then contributes nothing).
    """

    def __init__(self, X, targets, sample_weight, *, make_loss, dtype, n_params):
        X = check_array(
            X, accept_sparse="csr", dtype=dtype, ensure_min_samples=0, input_name="X"
        )
        if targets.ndim == 2:
            targets = check_array(
                targets, dtype=dtype, ensure_min_samples=0, input_name="y"
            )
            if targets.shape[0]:
                check_soft_targets(targets)
        if sample_weight is not None:
            sample_weight = check_array(
                sample_weight,
                ensure_2d=False,
                dtype=dtype,
                ensure_min_samples=0,
                input_name="sample_weight",
            )
            if np.any(sample_weight < 0):
                raise ValueError(
                    "sample_weight must be non-negative, got the value "
                    f"{sample_weight.min()!r}."
                )
        self.n_params = n_params
        self.n_samples = X.shape[0]
        self.weight_sum = (
            float(self.n_samples)
            if sample_weight is None
            else float(sample_weight.sum(dtype=np.float64))
        )
        # A block without weight adds nothing; its head would divide by zero.
        self.loss = (
            make_loss(X, targets, sample_weight) if self.weight_sum > 0 else None
        )

    def __call__(self, coef):
        """``(sum_i w_i H_i, its gradient)`` at ``coef``, unscaled, no penalty."""
        if self.loss is None:
            return 0.0, np.zeros(self.n_params)
        value, grad = self.loss.loss_gradient(coef)
        # The in-memory objective divides by the block's weight sum: undo it.
        grad *= self.loss.head.weight_sum
        return value * self.loss.head.weight_sum, grad

    def __sizeof__(self):
        # dask's memory accounting asks sys.getsizeof: count the arrays held.
        if self.loss is None:
            return 64
        held = [self.loss.X, *vars(self.loss.head).values(), *vars(self.loss).values()]
        seen, total = set(), 0
        for value in held:
            if isinstance(value, list):
                arrays = value
            elif sp.issparse(value):
                arrays = [value.data, value.indices, value.indptr]
            else:
                arrays = [value]
            for array in arrays:
                if isinstance(array, np.ndarray) and id(array) not in seen:
                    seen.add(id(array))
                    total += array.nbytes
        return total + 64


def _block_stats(objective):
    return objective.weight_sum, objective.n_samples


def _evaluate_block(objective, coef):
    return objective(coef)


def _sum_parts(*parts):
    value = sum(part[0] for part in parts)
    grad = parts[0][1].copy()
    for part in parts[1:]:
        grad += part[1]
    return value, grad


def _distributed_client():
    """The default ``distributed.Client``, or ``None`` without one.

    A local scheduler chosen with ``dask.config.set(scheduler=...)`` (e.g.
    ``"threads"`` or ``"sync"``) wins over a running client, as in dask itself.
    """
    if dask.config.get("scheduler", None) not in (None, "dask.distributed"):
        return None
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


class DaskObjective:
    """Summed data loss and gradient over the row blocks of dask arrays.

    Building it persists one :class:`BlockObjective` per row block (on the
    workers of the default ``distributed.Client``, else in this process); each
    call is one graph submission that returns ``(sum_i w_i H_i, gradient)``.

    Attributes
    ----------
    weight_sum : float
        Total weight of the samples.
    n_samples : int
    n_evaluations : int
        Number of calls so far.
    """

    def __init__(self, X, y, sample_weight, *, make_loss, dtype, n_params):
        self._scheduler = None if _distributed_client() is not None else "threads"
        self._name = f"sksmooth-{uuid.uuid4().hex[:12]}"
        self.n_params = n_params
        weights = (
            _row_blocks(sample_weight)
            if sample_weight is not None
            else itertools.repeat(None)
        )
        build = delayed(BlockObjective, pure=True)
        blocks = [
            build(
                X_block,
                y_block,
                w_block,
                make_loss=make_loss,
                dtype=dtype,
                n_params=n_params,
                dask_key_name=f"{self._name}-block-{i}",
            )
            for i, (X_block, y_block, w_block) in enumerate(
                zip(_row_blocks(X), _row_blocks(y), weights, strict=False)
            )
        ]
        self._blocks = dask.persist(*blocks, scheduler=self._scheduler)
        stats = dask.compute(
            *[delayed(_block_stats)(block) for block in self._blocks],
            scheduler=self._scheduler,
        )
        self.weight_sum = float(sum(weight for weight, _ in stats))
        self.n_samples = int(sum(n for _, n in stats))
        self.n_evaluations = 0
        self._groups = self._blocks_by_worker()

    def _blocks_by_worker(self):
        """Block indices grouped by the worker that holds them (asked once).

        Summing each group where it lives moves no block result between
        workers. Without a cluster, one group. Should a worker be lost later,
        its blocks are rebuilt elsewhere and a group's sum then fetches some
        results: slower, as correct.
        """
        if self._scheduler is not None or not self._blocks:
            return [list(range(len(self._blocks)))]
        from distributed import futures_of

        holders = _distributed_client().who_has(futures_of(list(self._blocks)))
        groups = {}
        for i, block in enumerate(self._blocks):
            where = sorted(holders.get(block.key, ()))
            groups.setdefault(where[0] if where else None, []).append(i)
        return list(groups.values())

    def __call__(self, coef):
        self.n_evaluations += 1
        tag = f"{self._name}-{self.n_evaluations}"
        coef = np.array(coef, dtype=np.float64)  # a copy: L-BFGS reuses its own
        if coef.nbytes * len(self._blocks) > INLINE_PARAMETER_BYTES:
            coef = delayed(coef, name=f"{tag}-coef")
        partials = []
        for g, indices in enumerate(self._groups):
            parts = [
                delayed(_evaluate_block, pure=True)(
                    self._blocks[i], coef, dask_key_name=f"{tag}-eval-{i}"
                )
                for i in indices
            ]
            partials.append(
                delayed(_sum_parts, pure=True)(*parts, dask_key_name=f"{tag}-sum-{g}")
            )
        level = 0
        while len(partials) > SPLIT_EVERY:
            partials = [
                delayed(_sum_parts, pure=True)(
                    *partials[start : start + SPLIT_EVERY],
                    dask_key_name=f"{tag}-tree-{level}-{start}",
                )
                for start in range(0, len(partials), SPLIT_EVERY)
            ]
            level += 1
        value, grad = _sum_parts(*dask.compute(*partials, scheduler=self._scheduler))
        return float(value), np.asarray(grad, dtype=np.float64)

    def release(self):
        """Drop the persisted blocks (on the workers or here)."""
        self._blocks = ()


# ---------------------------------------------------------------------------
# The learners' fits
# ---------------------------------------------------------------------------


def _refuse_unsupported(estimator):
    solver = getattr(estimator, "solver", "lbfgs")
    if solver != "lbfgs":
        raise ValueError(
            f"{type(estimator).__name__}(solver={solver!r}) cannot fit on dask "
            "arrays yet; use solver='lbfgs', or compute X into memory."
        )


def fit_on_dask(estimator, X, y, sample_weight=None):
    """Fit a ``SoftmaxRegression`` or ``SoftMLPClassifier`` on dask arrays.

    Everything is validated and computed before any fitted attribute is set: a
    failed fit (bad data, a lost worker that dask cannot recover from) leaves
    ``estimator`` as it was.

    Parameters
    ----------
    estimator : SoftmaxRegression or SoftMLPClassifier
    X : dask.array.Array of shape (n_samples, n_features)
        Chunked by rows (columns are rechunked into one block); dense or
        ``scipy.sparse`` blocks; float32 is computed in float32.
    y : dask.array.Array or array-like of shape (n_samples,) or (n_samples, K)
        Labels or soft targets, brought to ``X``'s row chunks.
    sample_weight : dask.array.Array or array-like of shape (n_samples,), \
            default=None
        Multiplied by the class weights of the estimator's ``class_weight``.

    Returns
    -------
    estimator
        Fitted.
    """
    from sksmooth.linear_model import SoftmaxRegression
    from sksmooth.neural_network import SoftMLPClassifier

    _refuse_unsupported(estimator)
    if isinstance(estimator, SoftmaxRegression):
        fit = _fit_softmax
    elif isinstance(estimator, SoftMLPClassifier):
        fit = _fit_mlp
    else:
        raise TypeError(
            f"{type(estimator).__name__} cannot fit on dask arrays; "
            f"{DASK_LEARNERS} can."
        )
    checked_params = estimator._check_params()  # cheap: before any data work
    X_raw = X
    X = as_row_blocks(X)
    dtype = _float_dtype(X)
    name = type(estimator).__name__
    y, soft, classes, sample_weight = prepare_targets(X, y, sample_weight, name)
    sample_weight = apply_class_weight_on_dask(
        getattr(estimator, "class_weight", None), classes, y, sample_weight
    )
    return fit(estimator, X_raw, X, y, sample_weight, classes, dtype, checked_params)


def _check_weight_sum(objective, estimator):
    if objective.weight_sum > 0:
        return
    class_weight = getattr(estimator, "class_weight", None)
    if class_weight is not None:
        raise ValueError(
            f"class_weight={class_weight!r} gives every sample weight zero; at "
            "least one class present in y needs a positive weight."
        )
    raise ValueError(
        "sample_weight sums to zero; at least one sample needs a positive weight."
    )


def _fit_softmax(estimator, X_raw, X, y, sample_weight, classes, dtype, _):
    n_classes, n_features = len(classes), X.shape[1]
    fit_intercept = estimator.fit_intercept

    def make_loss(X_block, targets, weights):
        return LinearSoftCrossEntropy(
            X_block,
            targets,
            weights,
            n_classes=n_classes,
            fit_intercept=fit_intercept,
            l2_reg_strength=0.0,
        )

    # A zero-row objective on the client: the parameter layout, nothing more.
    layout = make_loss(np.empty((0, n_features), dtype), np.empty(0, np.intp), None)
    objective = DaskObjective(
        X, y, sample_weight, make_loss=make_loss, dtype=dtype, n_params=layout.n_params
    )
    try:
        _check_weight_sum(objective, estimator)
        total_weight = objective.weight_sum
        l2 = 1.0 / (estimator.C * total_weight)

        def loss_gradient(coef):
            data_loss, grad = objective(coef)
            grad /= total_weight
            W, _ = layout.unpack(coef)
            grad_W, _ = layout.unpack(grad)
            grad_W += l2 * W
            return data_loss / total_weight + 0.5 * l2 * float(np.vdot(W, W)), grad

        result = lbfgs(
            loss_gradient,
            estimator._initial_coef(layout, classes),
            max_iter=estimator.max_iter,
            tol=estimator.tol,
            verbose=estimator.verbose,
            estimator_name=type(estimator).__name__,
        )
    finally:
        objective.release()
    return estimator._set_solution(result, layout, classes, X_raw, dtype)


def _fit_mlp(estimator, X_raw, X, y, sample_weight, classes, dtype, hidden):
    from sksmooth.neural_network import SCIPY_FTOL, SCIPY_MAXLS

    n_classes, n_features = len(classes), X.shape[1]
    activation = estimator.activation

    def make_loss(X_block, targets, weights):
        return MLPSoftCrossEntropy(
            X_block,
            targets,
            weights,
            n_classes=n_classes,
            hidden_layer_sizes=hidden,
            activation=activation,
            alpha=0.0,
        )

    layout = make_loss(np.empty((0, n_features), dtype), np.empty(0, np.intp), None)
    objective = DaskObjective(
        X, y, sample_weight, make_loss=make_loss, dtype=dtype, n_params=layout.n_params
    )
    curve = []
    try:
        _check_weight_sum(objective, estimator)
        total_weight = objective.weight_sum
        alpha, n_coef = estimator.alpha, layout.n_coef_params

        def loss_gradient(flat):
            data_loss, grad = objective(flat)
            weights = flat[:n_coef]
            grad[:n_coef] += alpha * weights
            grad /= total_weight
            penalty = 0.5 * alpha * float(np.vdot(weights, weights))
            return (data_loss + penalty) / total_weight, grad

        result = lbfgs(
            loss_gradient,
            estimator._initial_weights(layout, classes),
            max_iter=estimator.max_iter,
            tol=estimator.tol,
            max_fun=estimator.max_fun,
            maxls=SCIPY_MAXLS,
            ftol=SCIPY_FTOL,
            verbose=int(estimator.verbose),
            estimator_name=type(estimator).__name__,
            callback=lambda x, value: curve.append(value),
        )
    finally:
        objective.release()
    return estimator._set_solution(result, layout, classes, X_raw, dtype, curve)


# ---------------------------------------------------------------------------
# Predictions and score
# ---------------------------------------------------------------------------


def _apply_method(block, estimator, method):
    return getattr(estimator, method)(block)


def predict_on_dask(estimator, method: str, X):
    """``estimator.<method>(X)`` as a lazy dask array, one task per row block.

    Parameters
    ----------
    estimator : fitted classifier
        Any fitted estimator whose ``method`` maps rows to rows.
    method : {"predict", "predict_proba", "predict_log_proba", \
            "decision_function"}
    X : dask.array.Array of shape (n_samples, n_features)

    Returns
    -------
    dask.array.Array of shape (n_samples,) or (n_samples, n_outputs)
    """
    check_is_fitted(estimator)
    X = as_row_blocks_for_prediction(X)
    n_features = getattr(estimator, "n_features_in_", X.shape[1])
    if X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is "
            f"expecting {n_features} features as input."
        )
    # The output's dtype and width, from one row of zeros.
    sample = getattr(estimator, method)(np.zeros((1, X.shape[1]), _float_dtype(X)))
    if sample.ndim == 1:
        return X.map_blocks(
            _apply_method,
            estimator,
            method,
            drop_axis=1,
            dtype=sample.dtype,
            meta=np.empty((0,), sample.dtype),
        )
    return X.map_blocks(
        _apply_method,
        estimator,
        method,
        chunks=(X.chunks[0], (sample.shape[1],)),
        dtype=sample.dtype,
        meta=np.empty((0, 0), sample.dtype),
    )


def as_row_blocks_for_prediction(X):
    """Like :func:`as_row_blocks`, but unknown row counts are fine here."""
    if isinstance(X, da.Array) and X.ndim == 2 and not np.isnan(X.shape[1]):
        return X if X.numblocks[1] == 1 else X.rechunk({1: -1})
    return as_row_blocks(X)


def score_on_dask(estimator, X, y, sample_weight=None) -> float:
    """Weighted accuracy of ``estimator.predict(X)``, reduced on the workers."""
    predictions = predict_on_dask(estimator, "predict", X)
    y = _aligned(y, predictions.chunks[0], "y")
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D labels to score, got shape {y.shape}.")
    correct = (predictions == y).astype(np.float64)
    if sample_weight is None:
        return float(correct.mean().compute())
    weights = _aligned(sample_weight, predictions.chunks[0], "sample_weight")
    total, hits = dask.compute(weights.sum(), (weights * correct).sum())
    return float(hits / total)


# ---------------------------------------------------------------------------
# LabelSmoothingClassifier
# ---------------------------------------------------------------------------


def _checked_soft_block(Y):
    Y = check_array(Y, dtype=np.float64, ensure_min_samples=0, input_name="y")
    if Y.shape[0]:
        check_soft_targets(Y)
    return Y


def fit_label_smoothing_on_dask(meta, X, y, sample_weight=None, fit_params=None):
    """``LabelSmoothingClassifier.fit`` on dask arrays.

    The classes are found once with Dask, the class prior is one reduction, the
    smoothing runs block by block (``map_blocks`` with the spread matrix) and a
    clone of the inner learner, which must be ``SoftmaxRegression`` or
    ``SoftMLPClassifier``, fits natively on the smoothed dask targets.
    """
    from sklearn.base import clone

    from sksmooth._targets import (
        check_epsilon,
        smooth_codes,
        smooth_soft_targets,
        spread_matrix,
    )
    from sksmooth.linear_model import SoftmaxRegression
    from sksmooth.neural_network import SoftMLPClassifier

    inner = meta._inner_estimator()
    if not isinstance(inner, SoftmaxRegression | SoftMLPClassifier):
        raise TypeError(
            f"LabelSmoothingClassifier(estimator={type(inner).__name__}()) cannot "
            f"fit on dask arrays: only {DASK_LEARNERS} fit on them (natively, block "
            "by block); other estimators take the expansion path, which needs the "
            "data in memory. Use one of those learners, or pass X.compute()."
        )
    from sklearn import get_config

    if fit_params or get_config()["enable_metadata_routing"]:
        raise ValueError(
            "LabelSmoothingClassifier cannot route fit parameters on dask arrays "
            "yet; pass only sample_weight, with metadata routing disabled."
        )
    name = type(meta).__name__
    X = as_row_blocks(X)
    targets, soft, classes, weights = prepare_targets(X, y, sample_weight, name)
    n_classes = classes.shape[0]
    if soft:
        targets = targets.map_blocks(_checked_soft_block, dtype=np.float64)
        mass = targets if weights is None else targets * weights[:, np.newaxis]
        counts = mass.sum(axis=0)
    else:
        counts = da.bincount(targets, weights=weights, minlength=n_classes)
    counts = np.asarray(counts.compute(), dtype=np.float64)
    prior = counts / counts.sum()
    S = spread_matrix(meta.method, n_classes, prior=prior, classes=classes)
    epsilon = check_epsilon(meta.epsilon, S, meta.method, class_names=classes)
    if soft:
        Y = targets.map_blocks(smooth_soft_targets, epsilon, S, dtype=np.float64)
    else:
        Y = targets.map_blocks(
            smooth_codes,
            epsilon,
            S,
            new_axis=1,
            chunks=(targets.chunks[0], (n_classes,)),
            dtype=np.float64,
        )
    # Weighted by the labelled class, before smoothing (as in memory); the
    # class prior above is not.
    inner_weights = apply_class_weight_on_dask(
        meta.class_weight, classes, targets, weights
    )
    fit_params = {} if inner_weights is None else {"sample_weight": inner_weights}
    fitted = clone(inner).fit(X, Y, **fit_params)

    meta.estimator_ = fitted
    meta.classes_ = classes
    meta.class_prior_ = prior
    meta.n_features_in_ = fitted.n_features_in_
    if hasattr(meta, "feature_names_in_"):
        del meta.feature_names_in_
    return meta
