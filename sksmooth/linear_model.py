"""Multinomial logistic regression trained on soft targets."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils.extmath import safe_sparse_dot

from sksmooth._base import (
    SoftTargetClassifier,
    blockwise_on_dask,
    check_param,
    is_dask_collection,
)
from sksmooth._loss import LinearSoftCrossEntropy
from sksmooth._optimize import lbfgs


class SoftmaxRegression(SoftTargetClassifier):
    """Multinomial logistic regression that accepts soft targets.

    Minimises scikit-learn's L2-penalised logistic-regression objective with
    soft targets ``Y``::

        C * sum_i w_i * H(Y_i, p_i) + ||W||^2 / 2,   H(Y, p) = -sum_k Y_k log p_k

    (the intercept is not penalised) with ``scipy.optimize.minimize``'s L-BFGS-B.
    With one-hot targets this is exactly
    :class:`~sklearn.linear_model.LogisticRegression` (``solver="lbfgs"``,
    ``penalty="l2"``): same options, same solution.

    Two classes use one logit and the sigmoid; more classes use one logit per
    class and the softmax.

    Parameters
    ----------
    C : float, default=1.0
        Inverse of the regularisation strength; must be positive.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept.
    class_weight : dict or "balanced", default=None
        Weights of the classes, as in ``LogisticRegression``: each sample's
        weight is multiplied by its class's weight (a dict maps labels to
        weights, unnamed classes weigh one; ``"balanced"`` is
        ``n_samples / (n_classes * np.bincount(y))``, counting sample weights).
        For soft targets, each sample's weight is multiplied by
        ``sum_k class_weight[k] * Y_ik`` (its expected class weight), and
        ``"balanced"`` counts class ``k`` as ``sum_i w_i * Y_ik``.
    tol : float, default=1e-4
        The solver stops when every component of the gradient is at most
        ``tol`` (L-BFGS-B's ``gtol``).
    max_iter : int, default=100
        Largest number of L-BFGS iterations.
    warm_start : bool, default=False
        Start from the previous solution when refitting on data with the same
        number of features and classes.
    verbose : int, default=0
        If positive, print the objective at every iteration.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels; ``arange(n_classes)`` when fitted on soft targets.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights; one row for two classes (the logit of ``classes_[1]``).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (zeros if ``fit_intercept=False``).
    n_iter_ : int
        Number of L-BFGS iterations run.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    LabelSmoothingClassifier : Smooths labels, then fits a soft-target learner.
    sklearn.linear_model.LogisticRegression : The same model on hard labels.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sksmooth import SoftmaxRegression, smooth_labels
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxRegression(max_iter=500).fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    >>> soft = SoftmaxRegression(max_iter=500).fit(X, smooth_labels(y, epsilon=0.2))
    >>> bool(soft.predict_proba(X).max() < clf.predict_proba(X).max())
    True
    """

    def __init__(
        self,
        C: float = 1.0,
        *,
        fit_intercept: bool = True,
        class_weight=None,
        tol: float = 1e-4,
        max_iter: int = 100,
        warm_start: bool = False,
        verbose: int = 0,
    ):
        self.C = C
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose

    def _check_params(self):
        check_param(self.C, "C", Real, low=0, low_open=True)
        check_param(self.tol, "tol", Real, low=0, low_open=True)
        check_param(self.max_iter, "max_iter", Integral, low=1)
        check_param(self.fit_intercept, "fit_intercept", bool)
        check_param(self.warm_start, "warm_start", bool)
        check_param(self.verbose, "verbose", Integral, low=0)

    def fit(self, X, y, sample_weight=None):
        """Fit the model to labels or soft targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 input is computed in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, or soft targets: non-negative rows summing to one,
            column ``k`` being class ``k``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; ``None`` gives every sample weight one.
            Multiplied by the class weights of ``class_weight``.

        Returns
        -------
        self : SoftmaxRegression
            The fitted estimator.
        """
        if is_dask_collection(X):
            from sksmooth._dask import fit_on_dask

            return fit_on_dask(self, X, y, sample_weight)
        self._check_params()
        X_checked, targets, sample_weight, classes = self._validate_fit_data(
            X, y, sample_weight
        )
        n_samples = X_checked.shape[0]
        weight_sum = n_samples if sample_weight is None else float(sample_weight.sum())
        loss = LinearSoftCrossEntropy(
            X_checked,
            targets,
            sample_weight,
            n_classes=len(classes),
            fit_intercept=self.fit_intercept,
            l2_reg_strength=1.0 / (self.C * weight_sum),
        )
        del targets  # the loss keeps its own weighted (K, n) block
        result = lbfgs(
            loss.loss_gradient,
            self._initial_coef(loss, classes),
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
            estimator_name=type(self).__name__,
        )
        if not np.all(np.isfinite(result.x)):
            raise FloatingPointError(
                "SoftmaxRegression produced non-finite coefficients; scale the "
                "data (e.g. with StandardScaler) or decrease C."
            )

        coef, intercept = loss.unpack(result.x)
        self._set_input_metadata(X)
        self.classes_ = classes
        self.coef_ = coef.astype(X_checked.dtype)
        self.intercept_ = (
            intercept.astype(X_checked.dtype)
            if intercept is not None
            else np.zeros(loss.n_logits, dtype=X_checked.dtype)
        )
        self.n_iter_ = int(result.nit)
        return self

    def _initial_coef(self, loss, classes):
        """Zeros, or the previous solution when warm-starting on the same shape."""
        coef = np.zeros(loss.n_params)
        previous = getattr(self, "coef_", None)
        if (
            self.warm_start
            and previous is not None
            and previous.shape == (loss.n_logits, loss.n_features)
            and np.array_equal(self.classes_, classes)
        ):
            W, b = loss.unpack(coef)
            W[:] = previous
            if b is not None:
                b[:] = self.intercept_
        return coef

    @blockwise_on_dask
    def decision_function(self, X):
        """Logits of the samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the logit of ``classes_[1]``; otherwise one logit
            per class.
        """
        return self._raw_output(X)

    def _raw_output(self, X):
        X = self._validate_X_predict(X)
        scores = safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores
