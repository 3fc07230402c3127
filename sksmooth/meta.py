"""The label-smoothing meta-estimator."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import check_consistent_length, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from sksmooth._base import (
    accepts_soft_targets,
    blockwise_on_dask,
    check_sample_weight,
    check_targets,
    is_dask_collection,
    score_with_dask,
)
from sksmooth._targets import (
    check_epsilon,
    class_prior,
    smooth_codes,
    smooth_soft_targets,
    spread_matrix,
)
from sksmooth.linear_model import SoftmaxRegression


def _take_rows(X, rows):
    """Rows of a DataFrame, sparse matrix, array or list, by position."""
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if sp.issparse(X):
        return X.tocsr()[rows]
    return np.asarray(X)[rows]


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
    codes ``0..K-1``, smooths them into soft targets (see
    :func:`~sksmooth.smooth_labels`) and fits a clone of ``estimator`` on them.
    Predictions are mapped back to the original labels. ``y`` may also be a
    soft-target matrix (annotator vote shares, a teacher model's
    probabilities), smoothed the same way.

    The inner estimator receives the soft targets in one of two ways:

    - **natively**, if it declares ``__sksmooth_soft_targets__ = True`` (every
      sksmooth learner does): ``fit(X, Y, sample_weight)``;
    - **by expansion**, if it does not but its ``fit`` takes ``sample_weight``
      (``LogisticRegression``, ``HistGradientBoostingClassifier``,
      ``RandomForestClassifier``, ...): every row ``i`` is repeated once for
      each class ``k`` with ``Y_ik > 0``, labelled ``k`` and weighted
      ``w_i * Y_ik``. For a model that minimises the weighted log-loss this is
      exactly the soft cross-entropy objective. It costs up to ``K`` copies of
      ``X`` (``n * K`` rows; only rows that carry weight are kept), so a smoothing
      method with zeros (``"off_target"`` with ``epsilon=0``, a sparse
      similarity matrix) keeps it smaller.

    Parameters
    ----------
    estimator : estimator object, default=None
        The classifier to fit; ``None`` means ``SoftmaxRegression()``.
    epsilon : float, default=0.1
        Smoothing strength; ``0`` fits on the targets unchanged. It must leave
        each class the strict maximum of its own smoothed row (the error gives
        the bound for the method and the data).
    method : {"uniform", "off_target", "prior"}, array-like of shape \
            (n_classes, n_classes) or callable, default="uniform"
        How the ``epsilon`` mass is spread:
        ``"uniform"``: ``(1 - epsilon) * onehot + epsilon / K``;
        ``"off_target"``: ``1 - epsilon`` on the true class, ``epsilon / (K-1)``
        on every other one;
        ``"prior"``: ``(1 - epsilon) * onehot + epsilon * class_prior_``;
        a class-similarity matrix ``S`` aligned with ``classes_`` (row ``k``:
        where the mass of class ``k`` goes; non-negative, rows summing to one,
        zero diagonal allowed): ``(1 - epsilon) * onehot + epsilon * S[y]``,
        smoothing toward classes that are genuinely close. A callable is called
        with ``classes_`` in ``fit`` and returns such a matrix (handy when the
        number of classes is only known from the data, e.g. in a search).
        For soft targets ``Y`` the result is ``(1 - epsilon) * Y + epsilon * Y @ S``
        with the method's matrix ``S``.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``; its classes are ``0..K-1``.
    classes_ : ndarray of shape (n_classes,)
        The original class labels, sorted; ``arange(K)`` for soft targets.
    class_prior_ : ndarray of shape (n_classes,)
        The (sample-weighted) class frequencies of the training targets, used
        by ``method="prior"``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    smooth_labels : The smoothing applied to the labels.
    SoftmaxRegression : The default soft-target learner.
    SoftMLPClassifier : A neural network that takes soft targets.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sksmooth import LabelSmoothingClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> labels = load_iris().target_names[y]
    >>> model = make_pipeline(StandardScaler(), LabelSmoothingClassifier(epsilon=0.1))
    >>> model.fit(X, labels).predict(X[:2])
    array(['setosa', 'setosa'], dtype='<U10')

    Smoothing toward a neighbouring class only, for a gradient-boosting model
    (fitted by expansion):

    >>> neighbours = np.array([[0, 1, 0], [0.5, 0, 0.5], [0, 1, 0]])
    >>> boosted = LabelSmoothingClassifier(
    ...     HistGradientBoostingClassifier(max_iter=20), epsilon=0.1,
    ...     method=neighbours).fit(X, y)
    >>> boosted.predict_proba(X[:1]).round(1).tolist()
    [[0.9, 0.1, 0.0]]
    """

    def __init__(self, estimator=None, *, epsilon: float = 0.1, method="uniform"):
        self.estimator = estimator
        self.epsilon = epsilon
        self.method = method

    def _inner_estimator(self):
        return SoftmaxRegression() if self.estimator is None else self.estimator

    def fit(self, X, y, sample_weight=None):
        """Smooth the targets and fit a clone of ``estimator`` on them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, validated by the inner estimator.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, or soft targets (non-negative rows summing to one;
            column ``k`` is class ``k``).
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the inner estimator's ``fit`` (multiplied into the row
            weights on the expansion path); also weights ``class_prior_``.

        Returns
        -------
        self : LabelSmoothingClassifier
            The fitted meta-estimator.
        """
        if is_dask_collection(X):
            from sksmooth._dask import fit_label_smoothing_on_dask

            return fit_label_smoothing_on_dask(self, X, y, sample_weight)
        inner = self._inner_estimator()
        native = accepts_soft_targets(inner)
        if not native and not has_fit_parameter(inner, "sample_weight"):
            raise TypeError(
                f"estimator={type(inner).__name__}() can take neither soft targets "
                "nor sample weights. LabelSmoothingClassifier needs a learner whose "
                "fit accepts a (n_samples, n_classes) probability matrix as y "
                "(marked __sksmooth_soft_targets__ = True, as sksmooth's learners "
                "are) or whose fit accepts sample_weight, to fit it on an expanded "
                "dataset."
            )
        name = type(self).__name__
        targets, classes = check_targets(y, np.float64, name)
        check_consistent_length(X, targets)
        n_samples, n_classes = targets.shape[0], classes.shape[0]
        weights = check_sample_weight(sample_weight, n_samples, np.float64)
        if targets.ndim == 1:
            prior = class_prior(targets, n_classes, weights)
        else:
            prior = np.average(targets, axis=0, weights=weights)
        S = spread_matrix(self.method, n_classes, prior=prior, classes=classes)
        epsilon = check_epsilon(self.epsilon, S, self.method, class_names=classes)
        if targets.ndim == 1:
            Y = smooth_codes(targets, epsilon, S)
        else:
            Y = smooth_soft_targets(targets, epsilon, S)

        if native:
            fit_params = {} if weights is None else {"sample_weight": weights}
            fitted = clone(inner).fit(X, Y, **fit_params)
        else:
            rows, labels = np.nonzero(Y)
            row_weights = Y[rows, labels]
            if weights is not None:
                row_weights *= weights[rows]
            fitted = clone(inner).fit(
                _take_rows(X, rows), labels, sample_weight=row_weights
            )

        self.estimator_ = fitted
        self.classes_ = classes
        self.class_prior_ = prior
        self.n_features_in_ = fitted.n_features_in_
        if hasattr(fitted, "feature_names_in_"):
            self.feature_names_in_ = fitted.feature_names_in_
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    @blockwise_on_dask
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
    @blockwise_on_dask
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
        return self._all_columns(self.estimator_.predict_proba(X), fill=0.0)

    @available_if(_fitted_estimator_has("predict_log_proba"))
    @blockwise_on_dask
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
        return self._all_columns(self.estimator_.predict_log_proba(X), fill=-np.inf)

    @available_if(_fitted_estimator_has("decision_function"))
    @blockwise_on_dask
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

    # Mean accuracy; reduced on the workers when X is a dask array.
    score = score_with_dask

    def _all_columns(self, values, fill):
        """One column per class of ``classes_``.

        An expanded fit can miss a class whose smoothed targets are all zero
        (soft targets with an empty column, or a similarity matrix with zeros);
        its column gets ``fill``.
        """
        inner_classes = np.asarray(self.estimator_.classes_, dtype=np.intp)
        if inner_classes.shape[0] == self.classes_.shape[0]:
            return values
        full = np.full((values.shape[0], self.classes_.shape[0]), fill)
        full[:, inner_classes] = values
        return full

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner_tags = get_tags(self._inner_estimator())
        tags.input_tags.sparse = inner_tags.input_tags.sparse
        tags.input_tags.allow_nan = inner_tags.input_tags.allow_nan
        return tags
