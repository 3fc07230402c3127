"""Choosing epsilon by cross-validation: :class:`LabelSmoothingClassifierCV`.

Organised as scikit-learn's own searches are: a fold's path is walked by a
stateless function (``_path``); the stored out-of-fold predictions are scored
and laid out as ``cv_results_`` (``_scoring``); the choice is a small function
of the fold scores (``_selection``); the temperature is fitted on the same
stored predictions (:func:`fit_temperature`, ``_calibration``); the estimator
(``_search``) orchestrates. Public: the estimator, its default grid
(:func:`default_epsilon_grid`) and the temperature fit (:func:`fit_temperature`);
the rest is private to the package.
"""

from sksmooth.model_selection._calibration import fit_temperature
from sksmooth.model_selection._search import LabelSmoothingClassifierCV
from sksmooth.model_selection._selection import default_epsilon_grid

__all__ = [
    "LabelSmoothingClassifierCV",
    "default_epsilon_grid",
    "fit_temperature",
]
