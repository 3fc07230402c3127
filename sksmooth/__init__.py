"""sksmooth: label smoothing for scikit-learn.

The public names are imported on first use (PEP 562's module ``__getattr__``),
so that ``import sksmooth``, and with it the command line's ``--help``, does
not import scikit-learn; ``from sksmooth import SoftmaxRegression`` imports
what that name needs.
"""

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"  # the one source: pyproject.toml reads it

# Each public name and the module that defines it.
_HOMES = {
    "LabelSmoothingClassifier": "sksmooth.meta",
    "LabelSmoothingClassifierCV": "sksmooth.model_selection",
    "SoftLGBMClassifier": "sksmooth.boosting",
    "SoftMLPClassifier": "sksmooth.neural_network",
    "SoftmaxRegression": "sksmooth.linear_model",
    "smooth_labels": "sksmooth.targets",
}

__all__ = [
    "LabelSmoothingClassifier",
    "LabelSmoothingClassifierCV",
    "SoftLGBMClassifier",
    "SoftMLPClassifier",
    "SoftmaxRegression",
    "smooth_labels",
]

if TYPE_CHECKING:  # what the names are, for type checkers and readers
    from sksmooth.boosting import SoftLGBMClassifier
    from sksmooth.linear_model import SoftmaxRegression
    from sksmooth.meta import LabelSmoothingClassifier
    from sksmooth.model_selection import LabelSmoothingClassifierCV
    from sksmooth.neural_network import SoftMLPClassifier
    from sksmooth.targets import smooth_labels


def __getattr__(name: str):
    """A public name, imported from its module on first use and kept."""
    if name not in _HOMES:
        raise AttributeError(f"module 'sksmooth' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
