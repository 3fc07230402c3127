"""What :mod:`sksmooth._backend` calls on dask arrays.

- :func:`summed_objective`: a learner's objective over the row blocks, for the
  learner's own solver;
- :func:`label_blocks`, :func:`class_prior`, :func:`smooth_blocks`: the
  meta-estimator's smoothing, block by block;
- :func:`predict_on_dask`, :func:`score_on_dask`: lazy predictions and a
  score reduced on the workers.

Estimators are known here only through ``getattr(estimator, method)(block)``
for predictions; fits receive functions and return arrays.
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dask
import dask.array as da
import numpy as np
from sklearn.utils.validation import check_is_fitted

from sksmooth._dask._blocks import (
    aligned,
    apply_class_weight_on_dask,
    as_row_blocks,
    as_row_blocks_for_prediction,
    checked_soft_block,
    float_dtype,
    prepare_targets,
)
from sksmooth._dask._objective import DaskObjective
from sksmooth._targets import smooth_codes, smooth_soft_targets
from sksmooth._validation import check_transition


@dataclass
class SummedObjective:
    """A learner's objective over the row blocks of a fit (see
    :func:`summed_objective`).

    Attributes
    ----------
    classes : ndarray of shape (n_classes,)
        The sorted labels, or ``arange(n_classes)`` for soft targets.
    dtype : numpy dtype
        float32 or float64: the dtype the blocks compute in.
    loss : object
        The learner's loss built on zero rows with its penalty for the total
        weight: its parameter layout (``unpack``, ``n_params``, ...).
    loss_gradient : callable
        ``loss_gradient(coef) -> (value, gradient)``, the penalised objective
        (one graph submission per call).
    blocks : DaskObjective
        The persisted block objectives (``n_evaluations``, ``weight_sum``).
    """

    classes: np.ndarray
    dtype: np.dtype
    loss: object
    loss_gradient: Callable
    blocks: DaskObjective


@contextmanager
def summed_objective(
    X,
    y,
    sample_weight,
    *,
    class_weight,
    estimator_name: str,
    make_loss: Callable,
    transition=None,
) -> Iterator[SummedObjective]:
    """Persist a learner's block objectives; yield the summed, penalised objective.

    Everything is validated and computed before the caller's solver runs, and
    the persisted blocks are released on exit, whatever happens.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        Chunked by rows (columns are rechunked into one block); dense or
        ``scipy.sparse`` blocks; float32 is computed in float32.
    y : dask.array.Array or array-like of shape (n_samples,) or (n_samples, K)
        Labels or soft targets, brought to ``X``'s row chunks.
    sample_weight : dask.array.Array, array-like of shape (n_samples,) or None
        Multiplied by the class weights of ``class_weight``.
    class_weight : None, "balanced" or dict
        As the learner's parameter.
    estimator_name : str
        Named in error messages.
    make_loss : callable
        ``make_loss(X, targets, sample_weight, *, n_classes, total_weight)``:
        the learner's loss. With ``total_weight=None`` it is a block's loss
        without penalty; with a number, the loss whose penalty is scaled for
        that total weight, and whose ``objective_from_sums(coef, data_sum,
        grad_sum, weight_sum)`` turns summed data terms into the objective.
        Called with ``transition=`` as well when one is given.
    transition : array-like of shape (K, K), default=None
        Forward smoothing: the learner's ``fit`` parameter, validated here
        against the classes found in ``y``.

    Yields
    ------
    objective : SummedObjective
    """
    X = as_row_blocks(X)
    dtype = float_dtype(X)
    targets, _, classes, weights = prepare_targets(X, y, sample_weight, estimator_name)
    weights = apply_class_weight_on_dask(class_weight, classes, targets, weights)
    n_classes, n_features = len(classes), X.shape[1]
    no_rows = np.empty((0, n_features), dtype), np.empty(0, np.intp), None
    if transition is not None:
        transition = check_transition(transition, n_classes)
        make_loss = functools.partial(make_loss, transition=transition)

    def block_loss(X_block, block_targets, block_weights):
        return make_loss(
            X_block,
            block_targets,
            block_weights,
            n_classes=n_classes,
            total_weight=None,
        )

    n_params = block_loss(*no_rows).n_params
    blocks = DaskObjective(
        X, targets, weights, make_loss=block_loss, dtype=dtype, n_params=n_params
    )
    try:
        total = blocks.weight_sum
        check_total_weight(total, class_weight)
        loss = make_loss(*no_rows, n_classes=n_classes, total_weight=total)

        def loss_gradient(coef):
            data_sum, grad_sum = blocks(coef)
            return loss.objective_from_sums(coef, data_sum, grad_sum, total)

        yield SummedObjective(classes, dtype, loss, loss_gradient, blocks)
    finally:
        blocks.release()


def check_total_weight(total: float, class_weight) -> None:
    """The in-memory fit's errors for weights that sum to zero."""
    if total > 0:
        return
    if class_weight is not None:
        raise ValueError(
            f"class_weight={class_weight!r} gives every sample weight zero; at "
            "least one class present in y needs a positive weight."
        )
    raise ValueError(
        "sample_weight sums to zero; at least one sample needs a positive weight."
    )


@dataclass
class LabelBlocks:
    """Targets of a fit aligned with ``X``'s row blocks (see :func:`label_blocks`)."""

    X: da.Array
    targets: da.Array  # integer codes (n,) or validated soft targets (n, K)
    soft: bool
    classes: np.ndarray
    sample_weight: da.Array | None


def label_blocks(X, y, sample_weight, estimator_name: str) -> LabelBlocks:
    """``X`` in row blocks with its targets and weights aligned; soft targets
    validated block by block."""
    X = as_row_blocks(X)
    targets, soft, classes, weights = prepare_targets(
        X, y, sample_weight, estimator_name
    )
    if soft:
        targets = targets.map_blocks(checked_soft_block, dtype=np.float64)
    return LabelBlocks(X, targets, soft, classes, weights)


def class_prior(blocks: LabelBlocks) -> np.ndarray:
    """The (sample-weighted) class frequencies, one reduction with Dask."""
    targets, weights = blocks.targets, blocks.sample_weight
    if blocks.soft:
        mass = targets if weights is None else targets * weights[:, np.newaxis]
        counts = mass.sum(axis=0)
    else:
        counts = da.bincount(targets, weights=weights, minlength=len(blocks.classes))
    counts = np.asarray(counts.compute(), dtype=np.float64)
    return counts / counts.sum()


def smooth_blocks(blocks: LabelBlocks, epsilon: float, S: np.ndarray) -> da.Array:
    """The smoothed ``(n, K)`` targets, block by block (no checks)."""
    targets = blocks.targets
    if blocks.soft:
        return targets.map_blocks(smooth_soft_targets, epsilon, S, dtype=np.float64)
    return targets.map_blocks(
        smooth_codes,
        epsilon,
        S,
        new_axis=1,
        chunks=(targets.chunks[0], (len(blocks.classes),)),
        dtype=np.float64,
    )


def class_weighted(blocks: LabelBlocks, class_weight) -> da.Array | None:
    """Sample weights times the weight of each sample's class (see
    :func:`sksmooth._validation.apply_class_weight`)."""
    return apply_class_weight_on_dask(
        class_weight, blocks.classes, blocks.targets, blocks.sample_weight
    )


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
    sample = getattr(estimator, method)(np.zeros((1, X.shape[1]), float_dtype(X)))
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


def score_on_dask(estimator, X, y, sample_weight=None) -> float:
    """Weighted accuracy of ``estimator.predict(X)``, reduced on the workers;
    soft targets ``y`` are scored against each row's most probable class."""
    predictions = predict_on_dask(estimator, "predict", X)
    y = aligned(y, predictions.chunks[0], "y")
    classes = np.asarray(estimator.classes_)
    if y.ndim == 2 and y.shape[1] == classes.shape[0]:
        y = y.argmax(axis=1).map_blocks(classes.take, dtype=classes.dtype)
    if y.ndim != 1:
        raise ValueError(
            "y must be 1-D labels, or soft targets with one column per class of "
            f"classes_ ({classes.shape[0]}), to score; got shape {y.shape}."
        )
    correct = (predictions == y).astype(np.float64)
    if sample_weight is None:
        return float(correct.mean().compute())
    weights = aligned(sample_weight, predictions.chunks[0], "sample_weight")
    total, hits = dask.compute(weights.sum(), (weights * correct).sum())
    return float(hits / total)
