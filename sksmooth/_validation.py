"""Checks shared by every estimator: parameters, weights, labels, soft targets.

A leaf module: it imports nothing of sksmooth, so every floor above may use it.

- :func:`check_param` validates a scalar hyper-parameter;
- :func:`check_sample_weight`, :func:`class_weights` and
  :func:`apply_class_weight` validate and combine sample and class weights;
- :func:`check_targets` accepts ``y`` as labels (encoded as codes ``0..K-1``
  by :func:`encode_labels`) or as a soft-target matrix
  (:func:`check_soft_targets`);
- :func:`accepts_soft_targets` reads the marker a soft-target learner carries;
- :func:`check_feature_names` checks a meta-estimator's input in its own name;
- :func:`plain_value` shows a numpy scalar in a message as the user wrote it.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d, validate_data

# The dtypes an estimator computes in: float32 stays float32, anything else float64.
FLOAT_DTYPES = (np.float64, np.float32)


def plain_value(value):
    """``value`` as the Python scalar it holds if it is a numpy one.

    For messages: numpy 2 writes ``repr(np.int64(3))`` as ``np.int64(3)``, and
    a class label, read from an array, should read as the user wrote it.

    Examples
    --------
    >>> import numpy as np
    >>> f"the class {plain_value(np.int64(3))!r}, {plain_value(np.str_('a'))!r}"
    "the class 3, 'a'"
    """
    return value.item() if isinstance(value, np.generic) else value


def accepts_soft_targets(estimator) -> bool:
    """Whether ``estimator.fit`` accepts a soft-target matrix as ``y``.

    A learner declares it with the class attribute
    ``__sksmooth_soft_targets__ = True``. Every learner derived from
    :class:`SoftTargetClassifier` does; a third-party learner can set it too.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sksmooth import SoftmaxRegression
    >>> from sksmooth.targets import accepts_soft_targets
    >>> accepts_soft_targets(SoftmaxRegression()), accepts_soft_targets(
    ...     LogisticRegression())
    (True, False)
    """
    return getattr(estimator, "__sksmooth_soft_targets__", False) is True


def check_feature_names(estimator, X) -> None:
    """Check ``X`` against ``estimator``'s fitted features, in its own name.

    A meta-estimator hands ``X`` to its inner model, whose warning about
    missing or unexpected feature names names the inner class; this checks the
    names (and the number of features) as ``estimator``, so that the first
    warning or error names the estimator the user fitted. The inner model's
    own check still runs after it (as in scikit-learn's meta-estimators).
    Without names on either side there is nothing to say; the shape errors
    (1-D input, wrong width) stay the inner model's.
    """
    named = hasattr(estimator, "feature_names_in_") or hasattr(X, "columns")
    if named and getattr(X, "ndim", 2) == 2:
        validate_data(estimator, X, reset=False, skip_check_array=True)


def check_param(value, name: str, kind, *, low=None, low_open=False):
    """Validate a scalar hyper-parameter; ``TypeError`` or ``ValueError`` name it."""
    if kind is bool:
        if not isinstance(value, bool | np.bool_):
            raise TypeError(f"{name} must be a bool, got {value!r}.")
        return bool(value)
    if isinstance(value, bool) or not isinstance(value, kind):
        expected = "an int" if kind is Integral else "a real number"
        raise TypeError(f"{name} must be {expected}, got {value!r}.")
    if kind is Real and not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    if low is not None and (value <= low if low_open else value < low):
        relation = ">" if low_open else ">="
        raise ValueError(f"{name} must be {relation} {low}, got {value!r}.")
    return value


def check_Cs(Cs) -> list:
    """``Cs`` of ``SoftmaxRegression.fit_path`` as floats, checked."""
    try:
        values = np.asarray(Cs, dtype=np.float64)
    except (TypeError, ValueError):
        values = np.full(1, np.nan)
    if (
        values.ndim != 1
        or not len(values)
        or not np.all(np.isfinite(values) & (values > 0))
    ):
        raise ValueError(
            f"Cs must be a non-empty 1-D list of positive numbers, got {Cs!r}."
        )
    return values.tolist()


def check_targets(y, dtype, estimator_name: str):
    """Validate ``y``, given as labels or as soft targets.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        1-D labels of any type, a column vector of labels (with a
        ``DataConversionWarning``), or a soft-target matrix; a DataFrame's
        columns name its classes.
    dtype : numpy dtype
        Float dtype of a returned soft-target matrix.
    estimator_name : str
        Named in error messages.

    Returns
    -------
    targets : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Integer codes ``0..n_classes-1`` for labels (one-hot targets, kept
        compact), or the validated soft-target matrix in ``dtype``, its
        columns in the order of ``classes``.
    classes : ndarray of shape (n_classes,)
        The sorted labels; for soft targets the sorted column names of a
        DataFrame, else ``arange(n_classes)``.
    """
    if y is None:
        raise ValueError(
            f"This {estimator_name} estimator requires y to be passed, but the "
            "target y is None."
        )
    columns = target_columns(y)
    named = columns is not None and columns.shape[0] >= 2
    classes, order = sorted_columns(columns) if named else (None, None)
    y = as_target_array(y)
    if y.ndim == 2 and y.shape[1] >= 2:
        Y = check_array(y, dtype=dtype, input_name="y")
        check_soft_targets(Y)
        if classes is None:
            return Y, np.arange(Y.shape[1])
        return Y[:, order], classes
    classes, codes = encode_labels(y, estimator_name)
    return codes, classes


def sorted_columns(columns: np.ndarray):
    """A soft-target frame's column names as sorted classes, and the column
    order that puts its targets in that order.

    Examples
    --------
    >>> import numpy as np
    >>> sorted_columns(np.array(["owl", "cat", "dog"]))
    (array(['cat', 'dog', 'owl'], dtype='<U3'), array([1, 2, 0]))
    """
    try:
        classes, order = np.unique(columns, return_index=True)
    except TypeError:
        raise ValueError(
            f"The columns {columns.tolist()!r} of the soft targets y name the "
            "classes, so they must be of one type that sorts (all strings or all "
            "numbers)."
        ) from None
    if classes.shape[0] != columns.shape[0]:
        raise ValueError(
            f"The columns {columns.tolist()!r} of the soft targets y name the "
            "classes, each once; rename the repeated ones."
        )
    return classes, order


def scored_labels(y, classes):
    """The labels to score predictions against: ``y`` as it is, or the most
    probable class of each row of a soft-target matrix.

    scikit-learn's ``score`` is the accuracy against labels; a learner fitted
    on soft targets is scored against each row's most probable class (the
    first of tied ones), as the argmax of ``predict_proba`` predicts it.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Labels, or soft targets whose columns are ``classes`` in order (a
        DataFrame's columns name its classes, in any order).
    classes : ndarray of shape (n_classes,)
        The fitted estimator's ``classes_``.

    Returns
    -------
    labels : array-like of shape (n_samples,)
        ``y`` itself unless it is a soft-target matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._validation import scored_labels
    >>> scored_labels(np.array([[0.7, 0.3], [0.4, 0.6]]), np.array(["no", "yes"]))
    array(['no', 'yes'], dtype='<U3')
    """
    Y = as_target_array(y)
    if Y.ndim != 2 or Y.shape[1] < 2:
        return y
    Y = check_array(Y, dtype=np.float64, input_name="y")
    columns = target_columns(y)
    if Y.shape[1] != classes.shape[0]:
        raise ValueError(
            f"Soft targets y have {Y.shape[1]} columns, but the model has "
            f"{classes.shape[0]} classes {classes.tolist()!r}; pass one column per "
            "class, in the order of classes_, or 1-D labels."
        )
    check_soft_targets(Y)
    if columns is not None:  # named: put the columns in the order of classes
        Y = Y[:, column_order(columns, classes)]
    return classes[np.argmax(Y, axis=1)]


def column_order(columns, labels) -> np.ndarray:
    """Positions of ``labels`` among a soft-target frame's ``columns``.

    Examples
    --------
    >>> import numpy as np
    >>> column_order(np.array(["dog", "cat"]), np.array(["cat", "dog"]))
    array([1, 0])
    """
    position = {column: k for k, column in enumerate(columns.tolist())}
    missing = [label for label in labels.tolist() if label not in position]
    if missing or len(position) != len(labels):
        raise ValueError(
            f"The columns {columns.tolist()!r} of the soft targets must name the "
            f"classes {labels.tolist()!r}, each once."
        )
    return np.array([position[label] for label in labels.tolist()])


def target_columns(y) -> np.ndarray | None:
    """The column names of a 2-D ``y`` given as a DataFrame, else ``None``."""
    columns = getattr(y, "columns", None)
    if columns is None or getattr(y, "ndim", 2) != 2:
        return None
    return np.asarray(columns)


def as_target_array(y):
    """``y`` as an ndarray of any dtype and dimension (no value checks yet)."""
    return check_array(
        y,
        ensure_2d=False,
        allow_nd=True,
        dtype=None,
        ensure_all_finite=False,
        ensure_min_samples=0,
        input_name="y",
    )


def encode_labels(y, estimator_name: str):
    """Validate 1-D class labels and encode them as codes ``0..K-1``.

    A column vector is accepted with a ``DataConversionWarning``. Raises
    ``ValueError`` for continuous or multi-output targets and for fewer than two
    classes.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        The sorted distinct labels.
    codes : ndarray of shape (n_samples,)
        ``classes[codes]`` recovers ``y``.
    """
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    classes, codes = unique_codes(y)
    if classes.shape[0] == 0:
        raise ValueError(f"y is empty: {estimator_name} needs labelled samples.")
    if classes.shape[0] == 1:
        raise ValueError(
            f"{estimator_name} needs samples of at least 2 classes in the data, but "
            f"the data contains only one class: {plain_value(classes[0])!r}."
        )
    return classes, codes


def unique_codes(y):
    """``np.unique(y, return_inverse=True)``, by counting when ``y`` is small ints.

    Sorting ``n`` labels costs more than a fit iteration on large data; labels
    that are non-negative integers below ``2 * n + 1024`` are encoded in linear
    time with ``np.bincount`` instead.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._validation import unique_codes
    >>> unique_codes(np.array([7, 3, 7, 5]))
    (array([3, 5, 7]), array([2, 0, 2, 1]))
    """
    if y.dtype.kind in "iu" and y.size and y.min() >= 0 and y.max() < 2 * y.size + 1024:
        present = np.bincount(y) > 0
        classes = np.flatnonzero(present).astype(y.dtype)
        lookup = np.cumsum(present) - 1
        return classes, lookup[y]
    return np.unique(y, return_inverse=True)


def check_sample_weight(sample_weight, n_samples: int, dtype):
    """Validate ``sample_weight``; ``None`` stays ``None``.

    Returns a 1-D float array of length ``n_samples`` that is finite,
    non-negative and has a positive sum; raises ``ValueError`` otherwise.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, Real) and not isinstance(sample_weight, bool):
        sample_weight = np.full(n_samples, sample_weight, dtype=dtype)
    sample_weight = check_array(
        sample_weight,
        ensure_2d=False,
        dtype=dtype,
        input_name="sample_weight",
    )
    if sample_weight.ndim != 1:
        raise ValueError(
            "sample_weight must be 1-D of shape (n_samples,), got shape "
            f"{sample_weight.shape}."
        )
    if sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {sample_weight.shape[0]} entries, but X has "
            f"{n_samples} samples; pass one weight per sample."
        )
    if np.any(sample_weight < 0):
        raise ValueError(
            f"sample_weight must be non-negative, got the value {sample_weight.min()}."
        )
    if not sample_weight.sum() > 0:
        raise ValueError(
            "sample_weight sums to zero; at least one sample needs a positive weight."
        )
    return sample_weight


def class_weights(class_weight, classes, targets, sample_weight=None) -> np.ndarray:
    """The weight of each class, from ``class_weight``; validated.

    Parameters
    ----------
    class_weight : None, "balanced" or dict
        ``None``: every class weight one. A dict maps class labels (from
        ``classes``) to non-negative weights; classes it does not name weigh
        one. ``"balanced"``: ``n_samples / (n_classes * n_k)``, with ``n_k``
        the (sample-weighted) number of samples of class ``k`` and
        ``n_samples`` the sum of the sample weights, as in scikit-learn; for
        soft targets ``n_k = sum_i w_i * Y_ik``, the class's expected mass.
    classes : ndarray of shape (n_classes,)
        The class labels, in the order of the target columns or codes.
    targets : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Integer codes ``0..n_classes-1`` or a soft-target matrix.
    sample_weight : ndarray of shape (n_samples,), default=None
        Validated sample weights; they count the samples for ``"balanced"``.

    Returns
    -------
    weights : ndarray of shape (n_classes,)
        Finite and non-negative; ``1`` for a class with no mass under
        ``"balanced"`` (it weighs nothing either way).

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._validation import class_weights
    >>> class_weights("balanced", np.array(["a", "b"]), np.array([0, 0, 0, 1]))
    array([0.66666667, 2.        ])
    >>> class_weights({"b": 3}, np.array(["a", "b"]), np.array([0, 1]))
    array([1., 3.])
    """
    n_classes = classes.shape[0]
    if class_weight is None:
        return np.ones(n_classes)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(
                "class_weight must be None, 'balanced' or a dict mapping classes "
                f"to weights, got the string {class_weight!r}."
            )
        if targets.ndim == 1:
            mass = np.bincount(targets, weights=sample_weight, minlength=n_classes)
        elif sample_weight is None:
            mass = targets.sum(axis=0, dtype=np.float64)
        else:
            mass = sample_weight.astype(np.float64) @ targets
        weights = np.ones(n_classes)
        present = mass > 0
        weights[present] = mass.sum() / (n_classes * mass[present])
        return weights
    if not isinstance(class_weight, dict):
        raise TypeError(
            "class_weight must be None, 'balanced' or a dict mapping classes to "
            f"weights, got {type(class_weight).__name__} {class_weight!r}."
        )
    position = {label: k for k, label in enumerate(classes.tolist())}
    weights = np.ones(n_classes)
    for label, weight in class_weight.items():
        if label not in position:
            raise ValueError(
                f"class_weight names the class {label!r}, which is not among the "
                f"classes {classes.tolist()!r} of y."
            )
        if (
            isinstance(weight, bool | np.bool_)
            or not isinstance(weight, Real)
            or not np.isfinite(weight)
            or weight < 0
        ):
            raise ValueError(
                f"class_weight of class {label!r} must be a finite non-negative "
                f"number, got {weight!r}."
            )
        weights[position[label]] = weight
    return weights


def apply_class_weight(
    class_weight, classes, targets, sample_weight, dtype
) -> np.ndarray | None:
    """Sample weights multiplied by the class weights; ``None`` if neither is set.

    A sample labelled ``k`` has its weight multiplied by the weight of class
    ``k``; a soft-target row ``Y_i`` by ``sum_k weight_k * Y_ik`` (see
    :func:`class_weights`).
    """
    if class_weight is None:
        return sample_weight
    weights = class_weights(class_weight, classes, targets, sample_weight)
    per_sample = weights[targets] if targets.ndim == 1 else targets @ weights
    if sample_weight is not None:
        per_sample = per_sample * sample_weight
    if not per_sample.sum() > 0:
        raise ValueError(
            f"class_weight={class_weight!r} gives every sample weight zero; at "
            "least one class present in y needs a positive weight."
        )
    return per_sample.astype(dtype, copy=False)


def check_soft_targets(Y: np.ndarray) -> None:
    """Check that a 2-D float array is a valid soft-target matrix.

    ``Y`` must already be a finite float array of shape ``(n_samples, K)`` (as
    :func:`sklearn.utils.check_array` returns it). Raises ``ValueError`` if
    ``K < 2``, if an entry is negative, or if a row does not sum to one within
    ``sqrt(machine epsilon)`` of ``Y``'s dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth.targets import check_soft_targets
    >>> check_soft_targets(np.array([[0.9, 0.1], [0.2, 0.8]]))
    >>> check_soft_targets(np.array([[0.9, 0.2]]))
    Traceback (most recent call last):
    ...
    ValueError: Soft targets y must have rows that sum to one; ...
    """
    if Y.ndim != 2 or Y.shape[1] < 2:
        raise ValueError(
            "Soft targets y must have shape (n_samples, n_classes) with at least "
            f"2 columns, got shape {Y.shape}. Pass 1-D labels for hard targets."
        )
    if np.any(Y < 0):
        row = int(np.argwhere(Y < 0)[0, 0])
        raise ValueError(
            f"Soft targets y must be non-negative; row {row} holds {Y[row].min()}."
        )
    row_sums = Y.sum(axis=1)
    tolerance = np.sqrt(np.finfo(Y.dtype).eps)
    bad = np.abs(row_sums - 1.0) > tolerance
    if np.any(bad):
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            "Soft targets y must have rows that sum to one; row "
            f"{row} sums to {row_sums[row]}. Normalise them, e.g. "
            "Y / Y.sum(axis=1, keepdims=True)."
        )


# Rows of a transition matrix must sum to one within this.
TRANSITION_ROW_TOL = 1e-6


def check_transition(transition, n_classes: int, targets=None) -> np.ndarray:
    """Validate a ``(K, K)`` row-stochastic transition matrix; return it in float64.

    The fit parameter of forward smoothing (``smooth="predictions"``): the
    learner scores the labels against ``p @ transition``.

    Parameters
    ----------
    transition : array-like of shape (n_classes, n_classes)
        Row ``c`` is the distribution of the observed class given true class
        ``c``: finite, non-negative, summing to one.
    n_classes : int
        The number of classes ``K`` of the targets.
    targets : ndarray of shape (n_samples,) or (n_samples, n_classes), default=None
        Codes or soft targets: if given, none may put mass on a class that no
        row of ``transition`` reaches (its ``q`` would be zero, the loss infinite).

    Returns
    -------
    transition : ndarray of shape (n_classes, n_classes)
        The validated matrix.
    """
    T = check_array(transition, dtype=np.float64, input_name="transition")
    if T.shape != (n_classes, n_classes):
        raise ValueError(
            f"transition must have shape (n_classes, n_classes) = ({n_classes}, "
            f"{n_classes}) for the {n_classes} classes of y, got {T.shape}."
        )
    if np.any(T < 0):
        raise ValueError(f"transition must be non-negative, got the entry {T.min()}.")
    row_sums = T.sum(axis=1)
    if np.any(np.abs(row_sums - 1) > TRANSITION_ROW_TOL):
        raise ValueError(
            "Each row of transition must sum to one (row c is the distribution of "
            f"the observed class given class c); the row sums are {row_sums.tolist()}."
        )
    unreachable = np.flatnonzero(T.sum(axis=0) == 0)
    if targets is not None and unreachable.size:
        if targets.ndim == 1:
            hit = np.isin(targets, unreachable)
        else:
            hit = np.any(targets[:, unreachable] > 0, axis=1)
        if np.any(hit):
            raise ValueError(
                f"transition has all-zero columns {unreachable.tolist()}: "
                "p @ transition gives those classes probability zero, but the "
                "targets put mass on them (the loss would be infinite)."
            )
    return T
