"""Label smoothing as functions, and what a third-party learner needs.

- :func:`smooth_labels` turns class codes into smoothed soft targets;
  :func:`spread_matrix` is a method's ``(K, K)`` matrix ``S``, and
  :func:`max_epsilon` / :func:`epsilon_bounds` the largest epsilon it allows;
- :func:`counted_transition` counts the label-noise transition on rows whose
  label was checked (``method="counted"`` of the meta-estimators);
- :func:`check_soft_targets` validates a soft-target matrix, and
  :func:`accepts_soft_targets` reads the marker a learner sets to receive one
  from :class:`~sksmooth.LabelSmoothingClassifier`: the class attribute
  ``__sksmooth_soft_targets__ = True``, with a ``fit(X, Y, sample_weight=None)``
  that takes an ``(n_samples, K)`` matrix ``Y`` whose columns are the classes.

Examples
--------
A learner of your own that takes soft targets:

>>> import numpy as np
>>> from sklearn.base import BaseEstimator, ClassifierMixin
>>> from sksmooth import LabelSmoothingClassifier
>>> from sksmooth.targets import accepts_soft_targets, check_soft_targets
>>> class MeanTarget(ClassifierMixin, BaseEstimator):
...     __sksmooth_soft_targets__ = True
...     def fit(self, X, Y, sample_weight=None):
...         check_soft_targets(Y)
...         self.mean_ = np.average(Y, axis=0, weights=sample_weight)
...         self.classes_ = np.arange(Y.shape[1])
...         self.n_features_in_ = np.shape(X)[1]
...         return self
...     def predict_proba(self, X):
...         return np.tile(self.mean_, (len(X), 1))
...     def predict(self, X):
...         return self.classes_[self.predict_proba(X).argmax(axis=1)]
>>> accepts_soft_targets(MeanTarget())
True
>>> model = LabelSmoothingClassifier(MeanTarget(), epsilon=0.3)
>>> model.fit(np.zeros((4, 1)), ["a", "a", "a", "b"]).predict_proba([[0]]).round(3)
array([[0.675, 0.325]])
"""

from sksmooth._targets import (
    counted_transition,
    epsilon_bounds,
    max_epsilon,
    smooth_labels,
    spread_matrix,
)
from sksmooth._validation import accepts_soft_targets, check_soft_targets

__all__ = [
    "accepts_soft_targets",
    "check_soft_targets",
    "counted_transition",
    "epsilon_bounds",
    "max_epsilon",
    "smooth_labels",
    "spread_matrix",
]
