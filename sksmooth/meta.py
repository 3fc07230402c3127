"""The label-smoothing meta-estimator."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from sksmooth._base import accepts_soft_targets, as_target_array, encode_labels
from sksmooth._targets import check_epsilon, smooth_labels
from sksmooth.linear_model import SoftmaxRegression


def _fitted_estimator_has(attr):
    """Check the fitted inner estimator if there is one, else the unfitted one."""

    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self._inner_estimator(), attr)

    return check


class LabelSmoothingClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit a classifier on label-smoothed soft targets.

    ``fit`` encodes the labels (any type: strings, integers, in any order) as
    codes ``0..K-1``, turns them into soft targets with
    :func:`~sksmooth.smooth_labels` and fits a clone of ``estimator`` on them.
    Predictions are mapped back to the original labels.

    Parameters
    ----------
    estimator : estimator object, default=None
        A classifier whose ``fit(X, Y)`` accepts a soft-target matrix ``Y`` of
        shape ``(n_samples, K)`` (it declares ``__sksmooth_soft_targets__ =
        True``, as :class:`SoftmaxRegression` does). ``None`` means
        ``SoftmaxRegression()``.
    epsilon : float, default=0.1
        Smoothing strength; see :func:`~sksmooth.smooth_labels` for the allowed
        range of each method. ``0`` fits on the plain one-hot labels.
    method : {"uniform", "off_target"}, default="uniform"
        ``"uniform"``: ``(1 - epsilon) * onehot + epsilon / K``.
        ``"off_target"``: ``1 - epsilon`` on the true class and
        ``epsilon / (K - 1)`` on every other class.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``; its classes are ``0..K-1``.
    classes_ : ndarray of shape (n_classes,)
        The original class labels, sorted.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    smooth_labels : The smoothing applied to the labels.
    SoftmaxRegression : The default soft-target learner.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sksmooth import LabelSmoothingClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> labels = load_iris().target_names[y]
    >>> model = make_pipeline(StandardScaler(), LabelSmoothingClassifier(epsilon=0.1))
    >>> model.fit(X, labels).predict(X[:2])
    array(['setosa', 'setosa'], dtype='<U10')
    """

    def __init__(
        self, estimator=None, *, epsilon: float = 0.1, method: str = "uniform"
    ):
        self.estimator = estimator
        self.epsilon = epsilon
        self.method = method

    def _inner_estimator(self):
        return SoftmaxRegression() if self.estimator is None else self.estimator

    def fit(self, X, y, sample_weight=None):
        """Smooth the labels and fit a clone of ``estimator`` on them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, validated by the inner estimator.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the inner estimator's ``fit``.

        Returns
        -------
        self : LabelSmoothingClassifier
            The fitted meta-estimator.
        """
        inner = self._inner_estimator()
        if not accepts_soft_targets(inner):
            raise TypeError(
                f"estimator={type(inner).__name__}() cannot be fitted on soft "
                "targets. Pass a learner whose fit accepts a (n_samples, n_classes) "
                "probability matrix as y, marked by __sksmooth_soft_targets__ = "
                "True, such as sksmooth.SoftmaxRegression."
            )
        if y is None:
            raise ValueError(
                "This LabelSmoothingClassifier estimator requires y to be passed, "
                "but the target y is None."
            )
        y = as_target_array(y)
        if y.ndim == 2 and y.shape[1] > 1:
            raise ValueError(
                "LabelSmoothingClassifier takes 1-D class labels y, got an array of "
                f"shape {y.shape}. To fit on soft targets directly, use the "
                "inner estimator (e.g. SoftmaxRegression) without the wrapper."
            )
        classes, codes = encode_labels(y, type(self).__name__)
        check_epsilon(self.epsilon, classes.shape[0], self.method)
        Y = smooth_labels(
            codes, epsilon=self.epsilon, method=self.method, n_classes=len(classes)
        )

        fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
        fitted = clone(inner).fit(X, Y, **fit_params)

        self.estimator_ = fitted
        self.classes_ = classes
        self.n_features_in_ = fitted.n_features_in_
        if hasattr(fitted, "feature_names_in_"):
            self.feature_names_in_ = fitted.feature_names_in_
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        return self.classes_[np.asarray(self.estimator_.predict(X), dtype=np.intp)]

    @available_if(_fitted_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_fitted_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Logarithm of the probability of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    @available_if(_fitted_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision scores of the inner estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            As the inner estimator returns them; columns follow ``classes_``.
        """
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner_tags = get_tags(self._inner_estimator())
        tags.input_tags.sparse = inner_tags.input_tags.sparse
        tags.input_tags.allow_nan = inner_tags.input_tags.allow_nan
        return tags
