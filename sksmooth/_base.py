"""What every soft-target learner shares.

- :func:`accepts_soft_targets`, the marker that tells the meta-estimator a
  learner's ``fit`` takes a soft-target matrix as ``y``;
- :class:`SoftTargetClassifier`, the base class: ``y`` as labels or soft targets,
  sample weights, ``classes_``, and ``predict`` / ``predict_proba`` /
  ``predict_log_proba`` from the raw output scores (logits) of a subclass.

Validation in ``fit`` is pure: everything is checked before any fitted attribute
is set, so a failed ``fit`` leaves the estimator as it was.
"""

import functools
from numbers import Integral, Real

import numpy as np
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from sksmooth._targets import check_soft_targets

FLOAT_DTYPES = (np.float64, np.float32)


def accepts_soft_targets(estimator) -> bool:
    """Whether ``estimator.fit`` accepts a soft-target matrix as ``y``.

    A learner declares it with the class attribute
    ``__sksmooth_soft_targets__ = True``. Every learner derived from
    :class:`SoftTargetClassifier` does; a third-party learner can set it too.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sksmooth import SoftmaxRegression
    >>> from sksmooth._base import accepts_soft_targets
    >>> accepts_soft_targets(SoftmaxRegression()), accepts_soft_targets(
    ...     LogisticRegression())
    (True, False)
    """
    return getattr(estimator, "__sksmooth_soft_targets__", False) is True


def is_dask_collection(X) -> bool:
    """Whether ``X`` is a dask collection, checked without importing dask.

    Dask is an optional extra: ``sksmooth._dask`` is imported only when this
    returns ``True``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._base import is_dask_collection
    >>> is_dask_collection(np.ones(3))
    False
    """
    return type(X).__module__.partition(".")[0] in ("dask", "dask_expr")


def blockwise_on_dask(method):
    """Decorate ``method(self, X)`` to run lazily, block by block, on dask ``X``.

    On a dask array the decorated method returns a dask array computed by
    ``map_blocks`` (see :func:`sksmooth._dask.predict_on_dask`); on anything
    else it runs as written.
    """

    @functools.wraps(method)
    def run(self, X):
        if is_dask_collection(X):
            from sksmooth._dask import predict_on_dask

            return predict_on_dask(self, method.__name__, X)
        return method(self, X)

    return run


def score_with_dask(self, X, y, sample_weight=None):
    """Mean accuracy on ``X`` and ``y`` (lazy reductions on dask arrays).

    scikit-learn's ``ClassifierMixin.score``; when ``X`` is a dask array the
    predictions and the (weighted) mean are reduced on the workers and only
    the score comes back.

    Parameters
    ----------
    X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
        The samples.
    y : array-like of shape (n_samples,)
        True labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float
        The (weighted) fraction of correctly predicted samples.
    """
    if is_dask_collection(X):
        from sksmooth._dask import score_on_dask

        return score_on_dask(self, X, y, sample_weight)
    return ClassifierMixin.score(self, X, y, sample_weight=sample_weight)


def check_targets(y, dtype, estimator_name: str):
    """Validate ``y``, given as labels or as soft targets.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        1-D labels of any type, a column vector of labels (with a
        ``DataConversionWarning``), or a soft-target matrix.
    dtype : numpy dtype
        Float dtype of a returned soft-target matrix.
    estimator_name : str
        Named in error messages.

    Returns
    -------
    targets : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Integer codes ``0..n_classes-1`` for labels (one-hot targets, kept
        compact), or the validated soft-target matrix in ``dtype``.
    classes : ndarray of shape (n_classes,)
        The sorted labels, or ``arange(n_classes)`` for soft targets.
    """
    if y is None:
        raise ValueError(
            f"This {estimator_name} estimator requires y to be passed, but the "
            "target y is None."
        )
    y = as_target_array(y)
    if y.ndim == 2 and y.shape[1] >= 2:
        Y = check_array(y, dtype=dtype, input_name="y")
        check_soft_targets(Y)
        return Y, np.arange(Y.shape[1])
    classes, codes = encode_labels(y, estimator_name)
    return codes, classes


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
            f"the data contains only one class: {classes[0]!r}."
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
    >>> from sksmooth._base import unique_codes
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
            "sample_weight must be non-negative, got the value "
            f"{sample_weight.min()!r}."
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
    >>> from sksmooth._base import class_weights
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


class SoftTargetClassifier(ClassifierMixin, BaseEstimator):
    """Base class of sksmooth's learners: classifiers that accept soft targets.

    Subclasses implement ``fit`` (using :meth:`_validate_fit_data` and
    :meth:`_set_input_metadata`) and ``_raw_output(X)``, which validates ``X``
    and returns the logits: shape ``(n_samples,)`` for two classes (the logit of
    class 1) or ``(n_samples, n_classes)``.
    """

    __sksmooth_soft_targets__ = True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _validate_fit_data(self, X, y, sample_weight):
        """Validate the training data without touching the estimator's state.

        Returns ``X`` (float32 stays float32, else float64; CSR if sparse), the
        targets (integer codes, or soft targets in ``X``'s dtype; see
        :func:`check_targets`), the validated weights (or ``None``), multiplied
        by the class weights of a ``class_weight`` parameter if the learner has
        one (see :func:`apply_class_weight`), and ``classes``.
        """
        name = type(self).__name__
        X_checked = check_array(
            X, accept_sparse="csr", dtype=FLOAT_DTYPES, input_name="X", estimator=self
        )
        targets, classes = check_targets(y, X_checked.dtype, name)
        check_consistent_length(X_checked, targets)
        sample_weight = check_sample_weight(
            sample_weight, X_checked.shape[0], X_checked.dtype
        )
        sample_weight = apply_class_weight(
            getattr(self, "class_weight", None),
            classes,
            targets,
            sample_weight,
            X_checked.dtype,
        )
        return X_checked, targets, sample_weight, classes

    def _set_input_metadata(self, X):
        """Record ``n_features_in_`` and ``feature_names_in_`` from the raw ``X``."""
        validate_data(self, X, reset=True, skip_check_array=True)

    def _validate_X_predict(self, X):
        check_is_fitted(self)
        return validate_data(
            self, X, accept_sparse="csr", dtype=FLOAT_DTYPES, reset=False
        )

    def _raw_output(self, X):  # pragma: no cover - abstract
        raise NotImplementedError

    @blockwise_on_dask
    def predict_proba(self, X):
        """Probability of each class.

        Probabilities below the smallest normal float of their dtype (about
        2e-308 in float64) are reported as that number, so that
        :meth:`predict_log_proba`, computed directly from the logits, equals
        ``log(predict_proba(X))`` and is always finite.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; each row sums to one.
        """
        logits = self._raw_output(X)
        if logits.ndim == 1:
            proba = np.column_stack([expit(-logits), expit(logits)])
        else:
            proba = softmax(logits, axis=1)
        return np.maximum(proba, np.finfo(proba.dtype).tiny, out=proba)

    @blockwise_on_dask
    def predict_log_proba(self, X):
        """Logarithm of the probability of each class, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; at least ``log`` of the smallest normal
            float (see :meth:`predict_proba`).
        """
        logits = self._raw_output(X)
        if logits.ndim == 1:
            log_proba = np.column_stack([log_expit(-logits), log_expit(logits)])
        else:
            log_proba = log_softmax(logits, axis=1)
        floor = np.log(np.finfo(log_proba.dtype).tiny)
        return np.maximum(log_proba, floor, out=log_proba)

    @blockwise_on_dask
    def predict(self, X):
        """Most probable class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        logits = self._raw_output(X)
        if logits.ndim == 1:
            return self.classes_[(logits > 0).astype(np.intp)]
        return self.classes_[np.argmax(logits, axis=1)]

    # Mean accuracy; reduced on the workers when X is a dask array.
    score = score_with_dask
