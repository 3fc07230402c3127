"""Choosing epsilon by cross-validation: :class:`LabelSmoothingClassifierCV`.

Organised as scikit-learn's own searches are: a fold's path is walked by a
stateless function (:func:`walk_epsilon_path`, in ``_path``); the stored
out-of-fold predictions are scored and laid out as ``cv_results_``
(``_scoring``); the choice is a small function of the fold scores
(:func:`select_candidate`, ``_selection``); the temperature is fitted on the
same stored predictions (:func:`fit_temperature`, ``_calibration``); the
estimator (``_search``) orchestrates.
"""

from sksmooth.model_selection._calibration import fit_temperature
from sksmooth.model_selection._path import walk_epsilon_path
from sksmooth.model_selection._scoring import neg_log_loss_from_log_proba
from sksmooth.model_selection._search import LabelSmoothingClassifierCV
from sksmooth.model_selection._selection import (
    anchor_similarity,
    confusion_similarity,
    default_epsilon_grid,
    select_candidate,
)

__all__ = [
    "LabelSmoothingClassifierCV",
    "anchor_similarity",
    "confusion_similarity",
    "default_epsilon_grid",
    "fit_temperature",
    "neg_log_loss_from_log_proba",
    "select_candidate",
    "walk_epsilon_path",
]
