"""What a fitted :class:`LabelSmoothingClassifierCV` does: predict.

:class:`FittedSelectorMixin` holds the fitted model(s) (a refitted model or
the fold ensemble), the temperature, and the prediction methods; the
estimator's own module keeps the parameters, ``fit`` and routing.
"""

import numpy as np
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from sksmooth._validation import check_feature_names
from sksmooth.model_selection._calibration import scaled_log_proba
from sksmooth.model_selection._path import log_proba_of


def _refit_has(attr):
    """``available_if`` check: a refitted model (not a fold ensemble) with
    ``attr``; before fit, the unfitted inner estimator with ``attr``."""

    def check(self):
        if hasattr(self, "estimators_") or (
            not hasattr(self, "estimator_") and self.ensemble
        ):
            return False
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self._inner_estimator(), attr)

    return check


class FittedSelectorMixin:
    """The fitted state and the prediction methods of the CV estimator."""

    def _set_fitted(self, fitted, classes, prior, epsilon, temperature):
        """The model(s) and what describes them, replacing a previous fit's."""
        for attribute in (
            "estimator_",
            "estimators_",
            "similarity_",
            "feature_names_in_",
        ):
            if hasattr(self, attribute):
                delattr(self, attribute)
        if self.ensemble:
            self.estimators_ = fitted
            reference = fitted[0]
        else:
            self.estimator_ = reference = fitted
        self.classes_ = classes
        self.class_prior_ = prior
        self.epsilon_ = epsilon
        self.temperature_ = temperature
        self.n_features_in_ = reference.n_features_in_
        if hasattr(reference, "feature_names_in_"):
            self.feature_names_in_ = reference.feature_names_in_

    def _log_proba_of(self, model, X):
        """``model``'s float64 log-probabilities and dtype, ``X`` checked as
        this estimator's input (a warning names it, not the inner model)."""
        check_feature_names(self, X)
        return log_proba_of(model, X, return_dtype=True)

    def predict_proba(self, X):
        """Probability of each class (temperature applied, folds averaged).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; in the dtype of the inner model's
            probabilities (float32 for float32 input to sksmooth's learners).
        """
        check_is_fitted(self)
        probas, dtype = [], np.float64
        for model in getattr(self, "estimators_", [getattr(self, "estimator_", None)]):
            log_proba, dtype = self._log_proba_of(model, X)
            probas.append(np.exp(scaled_log_proba(log_proba, self.temperature_)))
        proba = probas[0] if len(probas) == 1 else np.mean(probas, axis=0)
        return proba.astype(dtype, copy=False)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

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
        if hasattr(self, "estimators_"):
            with np.errstate(divide="ignore"):
                return np.log(self.predict_proba(X))
        log_proba, dtype = self._log_proba_of(self.estimator_, X)
        scaled = scaled_log_proba(log_proba, self.temperature_)
        return scaled.astype(dtype, copy=False)

    @available_if(_refit_has("decision_function"))
    def decision_function(self, X):
        """The refitted model's decision scores divided by the temperature.

        For sksmooth's learners these are the logits, so their softmax (the
        sigmoid for two classes) is :meth:`predict_proba`. Not available with
        ``ensemble=True``: an average of probabilities has no logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes the score of ``classes_[1]``.
        """
        check_is_fitted(self)
        check_feature_names(self, X)
        return self.estimator_.decision_function(X) / self.temperature_

    def predict(self, X):
        """Most probable class.

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
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
