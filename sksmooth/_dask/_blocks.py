"""Row blocks of ``X``, ``y`` and ``sample_weight``, aligned for a fit.

Every function takes and returns dask arrays (or small in-memory results such
as the classes); nothing here builds a loss or knows an estimator.
"""

import warnings

import dask.array as da
import numpy as np
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets

from sksmooth._validation import FLOAT_DTYPES, check_soft_targets, class_weights


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


def aligned(values, row_chunks, name: str):
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


def float_dtype(X):
    return X.dtype if X.dtype in FLOAT_DTYPES else np.dtype(np.float64)


def row_blocks(array):
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
    y = aligned(y, X.chunks[0], "y")
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
                X.shape[0], sample_weight, chunks=(X.chunks[0],), dtype=float_dtype(X)
            )
        sample_weight = aligned(sample_weight, X.chunks[0], "sample_weight")
        if sample_weight.ndim != 1:
            raise ValueError(
                "sample_weight must be 1-D of shape (n_samples,), got shape "
                f"{sample_weight.shape}."
            )
    return y, soft, classes, sample_weight


def _class_weight_block(targets, weights):
    return weights[targets] if targets.ndim == 1 else targets @ weights


def apply_class_weight_on_dask(class_weight, classes, targets, sample_weight):
    """:func:`sksmooth._validation.apply_class_weight` on dask targets, block by block.

    The class weights come from :func:`sksmooth._validation.class_weights` (for
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


def as_row_blocks_for_prediction(X):
    """Like :func:`as_row_blocks`, but unknown row counts are fine here."""
    if isinstance(X, da.Array) and X.ndim == 2 and not np.isnan(X.shape[1]):
        return X if X.numblocks[1] == 1 else X.rechunk({1: -1})
    return as_row_blocks(X)


def checked_soft_block(Y):
    Y = check_array(Y, dtype=np.float64, ensure_min_samples=0, input_name="y")
    if Y.shape[0]:
        check_soft_targets(Y)
    return Y
