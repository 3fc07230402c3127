"""Walk one fold's epsilon path: the fits, warm starts and budgets.

:func:`walk_epsilon_path` is the one place where a fold's path is walked: a
learner's own ``fit_path`` plugs in here (:func:`walk_with_fit_path`, one
call for a whole path, or for the paths of several ``C``); any other learner
is fitted once per epsilon, warm-started from the last when it can be, a
network's later points for a share of its ``max_iter``
(:func:`budgeted_max_iter`). :func:`refit_start` is where the refit starts.
Learners are known only through their public API (``fit``, ``warm_start``,
``set_params``, ``fit_path``) and what their path declares it can do
(:func:`sksmooth._capabilities.path_capabilities`).
"""

import copy
import time
from contextlib import nullcontext
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone

from sksmooth._capabilities import path_capabilities
from sksmooth._convergence import deferred_convergence_warnings
from sksmooth._targets import smooth_codes, transition_matrix
from sksmooth._validation import check_param
from sksmooth.meta import LabelSmoothingClassifier


@dataclass(frozen=True)
class PathOptions:
    """How a fold's epsilon path is walked (see :func:`walk_epsilon_path`).

    Attributes
    ----------
    warm_start : bool
        Start each fit from the previous epsilon's solution.
    forward : bool
        Smooth the predictions (``smooth="predictions"``), not the targets.
    keep_models : bool
        Keep the fold models (for warm starts of a second round, the refit's
        start, or the fold ensemble).
    budget : float
        ``path_budget`` of the search: the share of the learner's
        ``max_iter`` that each warm-started fit after a path's first gets
        (see :func:`budgeted_max_iter`).
    use_path : bool
        Walk through the learner's own ``fit_path`` when it has one; else
        (the refit, one point) through its ``fit``, warm-started.
    """

    warm_start: bool
    forward: bool = False
    keep_models: bool = False
    budget: float = 1.0
    use_path: bool = True


def walk_epsilon_path(
    learner,
    X_train,
    codes_train,
    sample_weight,
    epsilons,
    S,
    options: PathOptions,
    start=None,
    verified=None,
):
    """Fit ``learner`` at each of ``epsilons`` (ascending) on one training fold.

    The fits run in ascending order, except through a learner's ``fit_path``
    (see ``warm_start``), which walks the path downward unless given a
    ``start``; the models come back in the order of ``epsilons`` either way.

    This is the one place where a fold's path is walked; a solver that follows
    the path itself (a homotopy) plugs in here.

    Parameters
    ----------
    learner : estimator
        Unfitted classifier. A soft-target learner (``__sksmooth_soft_targets__``)
        is fitted on the smoothed targets directly; any other one through
        :class:`~sksmooth.LabelSmoothingClassifier` (the expansion path).
    X_train : {array-like, sparse matrix} of shape (n_train, n_features)
    codes_train : ndarray of shape (n_train,)
        Class codes ``0..K-1``; every class is present.
    sample_weight : ndarray of shape (n_train,) or None
    epsilons : sequence of float
        Ascending smoothing strengths.
    S : ndarray of shape (K, K)
        The spread matrix of the smoothing method.
    options : PathOptions
        ``warm_start``: start each fit from the previous epsilon's solution
        (the learner must have a ``warm_start`` parameter and take soft
        targets); a learner with a ``fit_path(X, y, epsilons, *, method,
        sample_weight)`` method (:meth:`~sksmooth.SoftmaxRegression.fit_path`)
        walks the whole path itself. ``forward``: smooth the predictions, not
        the targets (``smooth="predictions"``): the learner fits the labels
        with ``transition=(1 - epsilon) * I + epsilon * S``, through
        ``fit_path`` only if its path declares ``smooth_predictions``.
    start : fitted estimator, default=None
        With ``warm_start``, the solution to start the first fit from.
    verified : ndarray of shape (n_train,) of bool, default=None
        With ``forward``: the checked rows (their codes are the verified
        classes), scored against ``p`` itself. A ``fit_path`` does not take
        them: the path is then walked by warm-started fits.

    Returns
    -------
    models : list of fitted estimators
        One per epsilon; ``predict_proba`` columns are the codes ``0..K-1``.
    fit_times : list of float
        Seconds per fit.
    """
    warm_start, forward = options.warm_start, options.forward
    declared = path_capabilities(learner)
    path = (
        options.use_path
        and warm_start
        and len(epsilons)
        and declared is not None
        and (declared.smooth_predictions or not forward)
    )
    checked = verified if forward else None
    if path and (checked is None or declared.checked_rows):
        return walk_with_fit_path(
            learner,
            X_train,
            codes_train,
            sample_weight,
            epsilons,
            S,
            start,
            forward,
            verified=checked,
        )
    budget = budgeted_max_iter(learner, options)
    # a start or a budgeted point carries a cut max_iter: each path's first
    # fit gets the learner's own again
    full = {} if budget is None else {"max_iter": learner.get_params()["max_iter"]}
    models, fit_times = [], []
    previous = start
    for i, epsilon in enumerate(epsilons):
        tic = time.perf_counter()
        try:
            if warm_start:
                model = clone(learner) if previous is None else copy.deepcopy(previous)
                model.set_params(warm_start=True, **full)
                cut = i > 0 and budget is not None
                if cut:
                    model.set_params(max_iter=budget)
                # a fit cut by the budget stops there by design: its
                # convergence message is not the user's to act on
                with deferred_convergence_warnings() if cut else nullcontext():
                    warm_fit(
                        model,
                        (X_train, codes_train, sample_weight),
                        epsilon,
                        S,
                        forward,
                        verified,
                    )
                previous = model
            else:
                model = LabelSmoothingClassifier(
                    clone(learner),
                    epsilon=float(epsilon),
                    method=S,
                    smooth="predictions" if forward else "targets",
                ).fit(
                    X_train,
                    codes_train,
                    sample_weight=sample_weight,
                    y_verified=None
                    if verified is None
                    else np.where(verified, codes_train, None),
                )
        except Exception as error:
            raise reraise_kind(error)(
                f"epsilon={float(epsilon):.6g}: {type(error).__name__}: {error}"
            ) from error
        fit_times.append(time.perf_counter() - tic)
        models.append(model)
    return models, fit_times


def warm_fit(model, fold, epsilon, S, forward, verified=None):
    """Fit ``model`` (``warm_start`` set) at ``epsilon`` on ``fold``, the
    training ``(X, codes, sample_weight)``: to the smoothed targets, or with
    forward smoothing to the labels through ``T`` (``verified`` rows
    against ``p`` itself)."""
    X_train, codes_train, sample_weight = fold
    fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
    if forward:
        fit_params["transition"] = transition_matrix(epsilon, S)
        if verified is not None:
            fit_params["verified"] = verified
        model.fit(X_train, codes_train, **fit_params)
    else:
        model.fit(X_train, smooth_codes(codes_train, epsilon, S), **fit_params)


def budgeted_max_iter(learner, options: PathOptions) -> int | None:
    """The ``max_iter`` of each warm-started fit after a path's first, or
    ``None`` when every fit gets the learner's own.

    Only a learner warm-started through ``fit`` (no ``fit_path``) with an
    integer ``max_iter`` is budgeted, to ``max(1, round(budget * max_iter))``
    iterations: a network's fits run to their cap at every epsilon, and one
    that continues from the previous epsilon's weights needs a share of it to
    settle on the new targets (``benchmarks/cv_speed.py --network`` measures
    the share against ``GridSearchCV``'s choice).
    """
    if (
        not options.warm_start
        or options.budget >= 1
        or path_capabilities(learner) is not None
    ):
        return None
    max_iter = learner.get_params().get("max_iter")
    if isinstance(max_iter, bool) or not isinstance(max_iter, Integral):
        return None
    return max(1, round(options.budget * max_iter))


def walk_with_fit_path(
    learner,
    X_train,
    codes_train,
    sample_weight,
    epsilons,
    S,
    start,
    forward,
    grid=None,
    verified=None,
):
    """:func:`walk_epsilon_path` through the learner's own ``fit_path``.

    ``fit_path`` returns the public ``(coef_, intercept_)`` pair of every point;
    each becomes a copy of the fitted learner with those attributes. Each
    point is timed from the end of the one before (the first from the call),
    through ``fit_path``'s ``callback`` when its path declares it ``timed``;
    otherwise the path is timed as a whole, each epsilon given an equal share.

    Without a ``start``, the path is walked from the largest epsilon down: the
    smoothest targets make the best-conditioned problem, whose cold fit is the
    cheapest, and the default grid's steps then shrink, so each predicted start
    lands closer (``benchmarks/cv_speed.py`` counts the evaluations).

    With ``forward``, ``fit_path`` gets ``smooth="predictions"`` (and walks
    upward itself). ``grid = (parameter, values)``, the parameter the path
    declares it carries (``grid_parameter``), gets the path at each of those
    values in one call (through the ``fit_path`` keyword it declares): the
    models then come back one value after the other, each with its value set.
    ``verified``: the checked rows of a forward path, for a ``fit_path`` that
    declares it takes them (``checked_rows``).
    """
    declared = path_capabilities(learner)
    model = clone(learner) if start is None else copy.deepcopy(start)
    model.set_params(warm_start=True)
    downward = start is None
    order = list(epsilons)[::-1] if downward else list(epsilons)
    marks = [(None, time.perf_counter())]
    kwargs = {"smooth": "predictions"} if forward else {}
    if verified is not None:
        kwargs["verified"] = verified
    if grid is not None:
        kwargs[declared.grid_argument] = grid[1]
    if declared.timed:
        kwargs["callback"] = lambda i: marks.append((i, time.perf_counter()))
    try:
        path = model.fit_path(
            X_train, codes_train, order, method=S, sample_weight=sample_weight, **kwargs
        )
    except Exception as error:
        values = ", ".join(f"{float(e):.6g}" for e in epsilons)
        raise reraise_kind(error)(
            f"epsilon path [{values}]: {type(error).__name__}: {error}"
        ) from error
    fit_times = [(time.perf_counter() - marks[0][1]) / len(path)] * len(path)
    if len(marks) == len(path) + 1:  # each point from the end of the one before
        for (_, before), (i, after) in zip(marks, marks[1:], strict=False):
            fit_times[i] = after - before
    models, times, n_epsilons = [], [], len(order)
    for j, value in enumerate([None] if grid is None else grid[1]):
        points = range(j * n_epsilons, (j + 1) * n_epsilons)
        for i in reversed(points) if downward else points:
            point = copy.deepcopy(model)
            point.coef_, point.intercept_ = path[i]
            if grid is not None:
                point.set_params(**{grid[0]: value})
            models.append(point)
            times.append(fit_times[i])
    return models, times


def refit_start(fold_models):
    """The refit's warm start from the fold models at the choice.

    For a linear model (every fold model has ``coef_`` and ``intercept_`` of
    one shape) a copy of the first with the folds' mean coefficients, as
    ``LogisticRegressionCV`` starts its refit: the fold solutions scatter
    around the solution on all the rows, so their mean lands nearer than any
    one of them (``benchmarks/cv_speed.py``). Otherwise the first fold model:
    the mean of a network's weights is no network.
    """
    first = fold_models[0]
    shapes = {
        (np.shape(getattr(m, "coef_", None)), np.shape(getattr(m, "intercept_", None)))
        for m in fold_models
    }
    if (
        not (hasattr(first, "coef_") and hasattr(first, "intercept_"))
        or len(shapes) > 1
    ):
        return first
    start = copy.deepcopy(first)
    start.coef_ = np.mean([m.coef_ for m in fold_models], axis=0).astype(
        first.coef_.dtype
    )
    start.intercept_ = np.mean([m.intercept_ for m in fold_models], axis=0).astype(
        np.asarray(first.intercept_).dtype
    )
    return start


def check_budget(value) -> float:
    """``path_budget``, checked: a real number in ``(0, 1]``."""
    check_param(value, "path_budget", Real, low=0, low_open=True)
    if value > 1:
        raise ValueError(
            f"path_budget must be at most 1 (a share of max_iter), got {value!r}."
        )
    return float(value)


def reraise_kind(error):
    """The type a failure is re-raised as, with context added to its message."""
    if type(error) in (ValueError, TypeError, FloatingPointError):
        return type(error)
    return RuntimeError
