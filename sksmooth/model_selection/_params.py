"""The parameters of :class:`LabelSmoothingClassifierCV`, checked before any
fold: :func:`check_params` returns them as a :class:`CheckedParams` (the
inner estimator, the ``param_grid`` settings expanded, the epsilon grid, the
scorers and how each fold's path is walked), or raises a ``ValueError`` /
``TypeError`` that names the parameter and the fix.
"""

from numbers import Integral
from typing import NamedTuple

from sklearn.model_selection import ParameterGrid
from sklearn.utils.validation import has_fit_parameter

from sksmooth._capabilities import path_capabilities
from sksmooth._targets import COUNTED, SMOOTHING_METHODS, check_smooth
from sksmooth._validation import accepts_soft_targets, check_param
from sksmooth.model_selection._scoring import check_scorers
from sksmooth.model_selection._selection import check_epsilons_param
from sksmooth.model_selection._walk import PathOptions, check_budget

CALIBRATIONS = (None, "temperature")
METHODS = (*SMOOTHING_METHODS, "confusion", COUNTED)
SELECTIONS = ("setting_first", "best")


class CheckedParams(NamedTuple):
    """The parameters of :class:`LabelSmoothingClassifierCV`, checked."""

    inner: object  # the unfitted inner estimator
    settings: list  # the param_grid settings, expanded
    epsilons: object  # a grid size or a list of values
    scorers: dict  # name -> scorer; the first decides
    options: PathOptions  # how each fold's path is walked


def check_params(search, inner) -> CheckedParams:
    """The parameters of ``search`` (a :class:`LabelSmoothingClassifierCV`)
    checked, with ``inner`` its unfitted inner estimator."""
    if isinstance(search.method, str) and search.method not in METHODS:
        raise ValueError(
            f"method must be one of {list(METHODS)}, a (n_classes, n_classes) "
            f"similarity matrix or a callable, got {search.method!r}."
        )
    if search.calibration not in CALIBRATIONS:
        raise ValueError(
            f"calibration must be one of {list(CALIBRATIONS)}, got "
            f"{search.calibration!r}."
        )
    if not isinstance(search.selection, str) or search.selection not in SELECTIONS:
        raise ValueError(
            f"selection must be one of {list(SELECTIONS)}, got {search.selection!r}."
        )
    check_param(search.ensemble, "ensemble", bool)
    check_param(search.verbose, "verbose", Integral, low=0)
    settings = expand_settings(search, inner)
    valid = inner.get_params()
    for setting in settings:
        if "epsilon" in setting:  # before the unknown names: say where it goes
            raise ValueError(
                "param_grid must not hold 'epsilon': the values to search go in "
                "the epsilons parameter (epsilons=[0, 0.05, 0.1], or an int for "
                "the default grid); param_grid holds the inner estimator's "
                "parameters."
            )
        unknown = sorted(set(setting) - set(valid))
        if unknown:
            raise ValueError(
                f"param_grid names {unknown}, which {type(inner).__name__} does "
                f"not have; its parameters are {sorted(valid)}."
            )
    native = accepts_soft_targets(inner)
    if not native and not has_fit_parameter(inner, "sample_weight"):
        raise TypeError(
            f"estimator={type(inner).__name__}() can take neither soft targets nor "
            "sample weights; LabelSmoothingClassifierCV needs one or the other "
            "(see LabelSmoothingClassifier)."
        )
    forward = check_smooth(search.smooth, inner, type(search).__name__)
    warm = native and "warm_start" in valid
    return CheckedParams(
        inner=inner,
        settings=settings,
        epsilons=check_epsilons_param(search.epsilons),
        scorers=check_scorers(search.scoring, inner),
        options=PathOptions(
            warm_start=warm,
            forward=forward,
            keep_models=warm or search.ensemble,
            budget=check_budget(search.path_budget),
        ),
    )


def expand_settings(search, inner) -> list[dict]:
    """The inner settings searched with epsilon: ``param_grid`` expanded,
    ``"auto"`` resolved (see :class:`LabelSmoothingClassifierCV`): with the
    default learner, the grid its path declares."""
    grid = search.param_grid
    if isinstance(grid, str):
        if grid != "auto":
            raise ValueError(
                f"param_grid must be 'auto', None, a dict or a list of dicts, "
                f"got {grid!r}."
            )
        declared = path_capabilities(inner) if search.estimator is None else None
        grid = None
        if declared is not None and declared.default_grid:
            grid = {declared.grid_parameter: list(declared.default_grid)}
    return list(ParameterGrid({} if grid is None else grid))
