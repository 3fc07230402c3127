"""sksmooth: label smoothing for scikit-learn."""

from sksmooth.boosting import SoftLGBMClassifier
from sksmooth.linear_model import SoftmaxRegression
from sksmooth.meta import LabelSmoothingClassifier
from sksmooth.model_selection import LabelSmoothingClassifierCV
from sksmooth.neural_network import SoftMLPClassifier
from sksmooth.targets import smooth_labels

__version__ = "0.1.0"  # the one source: pyproject.toml reads it

__all__ = [
    "LabelSmoothingClassifier",
    "LabelSmoothingClassifierCV",
    "SoftLGBMClassifier",
    "SoftMLPClassifier",
    "SoftmaxRegression",
    "smooth_labels",
]
