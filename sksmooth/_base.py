"""The base class of sksmooth's learners, :class:`SoftTargetClassifier`.

It takes ``y`` as labels or soft targets, sample and class weights, and gives
``classes_`` and ``predict`` / ``predict_proba`` / ``predict_log_proba`` /
``score`` from the raw output scores (logits) of a subclass, on arrays and,
through :mod:`sksmooth._backend`, on dask arrays.

Validation in ``fit`` is pure: everything is checked before any fitted attribute
is set, so a failed ``fit`` leaves the estimator as it was.
"""

import numpy as np
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils.validation import check_is_fitted, validate_data

from sksmooth._backend import blockwise_on_dask, score_with_dask
from sksmooth._validation import (
    FLOAT_DTYPES,
    apply_class_weight,
    check_sample_weight,
    check_targets,
)


class SoftTargetClassifier(ClassifierMixin, BaseEstimator):
    """Base class of sksmooth's learners: classifiers that accept soft targets.

    Subclasses implement ``fit`` (using :meth:`_validate_fit_data` and
    :meth:`_set_input_metadata`) and ``_raw_output(X)``, which validates ``X``
    and returns the logits: shape ``(n_samples,)`` for two classes (the logit of
    class 1) or ``(n_samples, n_classes)``.
    """

    __sksmooth_soft_targets__ = True
    # check_array's ensure_all_finite for X; a learner that handles missing
    # values itself (LightGBM) sets False and declares the allow_nan tag.
    _ensure_all_finite = True

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
        X_checked = self._check_X(X)
        # a DataFrame passed through as it is (see _check_X) has no one dtype
        dtype = getattr(X_checked, "dtype", np.dtype(np.float64))
        targets, classes = check_targets(y, dtype, name)
        check_consistent_length(X_checked, targets)
        sample_weight = check_sample_weight(sample_weight, X_checked.shape[0], dtype)
        sample_weight = apply_class_weight(
            getattr(self, "class_weight", None),
            classes,
            targets,
            sample_weight,
            dtype,
        )
        return X_checked, targets, sample_weight, classes

    def _check_X(self, X):
        """``X`` for ``fit``: float32 kept, else float64, CSR if sparse, and
        finite unless the learner handles missing values (``_ensure_all_finite``).
        A learner that takes other inputs as they are overrides it."""
        return check_array(
            X,
            accept_sparse="csr",
            dtype=FLOAT_DTYPES,
            ensure_all_finite=self._ensure_all_finite,
            input_name="X",
            estimator=self,
        )

    def _set_input_metadata(self, X):
        """Record ``n_features_in_`` and ``feature_names_in_`` from the raw ``X``."""
        validate_data(self, X, reset=True, skip_check_array=True)

    def _validate_X_predict(self, X):
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            accept_sparse="csr",
            dtype=FLOAT_DTYPES,
            ensure_all_finite=self._ensure_all_finite,
            reset=False,
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
