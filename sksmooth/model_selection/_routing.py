"""Where :class:`LabelSmoothingClassifierCV`'s fit arguments go: the splitter
and its checked folds, the metadata routed to the splitter and the scorers,
and the :class:`~sklearn.utils.metadata_routing.MetadataRouter` that declares
it (``sample_weight`` is consumed by the search, never routed).
"""

import warnings
from numbers import Integral

import numpy as np
from sklearn import get_config
from sklearn.metrics import check_scoring
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)

from sksmooth._validation import plain_value
from sksmooth.model_selection._checks import check_folds, check_two_per_class


def make_splitter(search, y=None):
    """The splitter ``fit`` uses: stratified folds for ``None`` or an int
    (shuffled with ``random_state`` when it is set), else ``cv`` itself."""
    cv = search.cv
    if cv is None or (isinstance(cv, Integral) and not isinstance(cv, bool)):
        n_splits = 5 if cv is None else int(cv)
        shuffle = search.random_state is not None
        return StratifiedKFold(
            n_splits,
            shuffle=shuffle,
            random_state=search.random_state if shuffle else None,
        )
    return check_cv(cv, y, classifier=True)


def split_folds(search, X, y, codes, groups, classes, checked=None):
    """The folds of the splitter, checked: every training part holds every
    class and every validation part a sample.

    With ``checked`` rows (a mask), the search's own stratified folds
    stratify on (class, checked), so that every fold holds checked rows of
    each class that has enough of them; a class with fewer checked rows than
    folds is named in a warning, and the folds stratify on the class alone."""
    cv = search.cv
    own = cv is None or (isinstance(cv, Integral) and not isinstance(cv, bool))
    if own:
        check_two_per_class(codes, classes)
    splitter = make_splitter(search, y)
    strata = y
    if own and checked is not None:
        strata = checked_strata(codes, checked, classes, splitter.get_n_splits())
    folds = list(splitter.split(X, strata, groups))
    label = (
        f"cv ({len(folds)} given splits)"
        if np.iterable(search.cv) and not hasattr(search.cv, "split")
        else f"cv={search.cv!r}"
    )
    check_folds(folds, codes, classes, label)
    return folds


def checked_strata(codes, checked, classes, n_splits: int):
    """Strata of (class, checked) for stratified folds, or the codes with a
    warning when some class has checked rows but fewer than ``n_splits``."""
    n_classes = classes.shape[0]
    per_class = np.bincount(codes[checked], minlength=n_classes)
    few = (per_class > 0) & (per_class < n_splits)
    if few.any():
        names = [plain_value(c) for c in classes[few]]
        warnings.warn(
            f"The class(es) {names} have fewer checked rows than the {n_splits} "
            "folds, so some validation folds hold none of them; the folds are "
            "stratified by class alone. Check more rows of those classes for a "
            "sharper choice.",
            UserWarning,
            stacklevel=4,
        )
        return codes
    return codes * 2 + checked


def routed_params(search, groups, weights, params):
    """``groups`` for the splitter and the scorers' parameters.

    ``sample_weight`` is consumed by the search (prior, fits, scores,
    temperature, similarity), never routed; with metadata routing enabled, the
    rest goes where it is requested, and the inner estimator may request
    nothing: each fold's fit receives only the smoothed targets and the
    weights.
    """
    score_params = {}
    if get_config().get("enable_metadata_routing", False):
        routed = process_routing(search, "fit", groups=groups, **params)
        groups = routed.splitter.split.get("groups")
        score_params = dict(routed.scorer.score)
        if routed.estimator.fit:
            raise ValueError(
                f"fit parameters {sorted(routed.estimator.fit)} cannot be passed "
                "to the inner estimator: each fold's fit receives only the "
                "smoothed targets and sample_weight."
            )
    elif params:
        raise ValueError(
            f"{type(search).__name__}.fit got the unexpected parameters "
            f"{sorted(params)}; extra fit parameters are routed only with "
            "metadata routing enabled: "
            "sklearn.set_config(enable_metadata_routing=True)."
        )
    if weights is not None:
        score_params["sample_weight"] = weights
    return groups, score_params


def metadata_router(search, inner) -> MetadataRouter:
    """The routing ``search.get_metadata_routing()`` returns, with ``inner``
    its unfitted inner estimator."""
    return (
        MetadataRouter(owner=search)
        .add_self_request(search)
        .add(
            splitter=make_splitter(search),
            method_mapping=MethodMapping().add(caller="fit", callee="split"),
        )
        .add(
            scorer=check_scoring(inner, scoring=search.scoring),
            method_mapping=MethodMapping().add(caller="fit", callee="score"),
        )
        .add(
            estimator=inner,
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )
    )
