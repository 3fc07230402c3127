"""One fold's epsilon path: walk it, warm-start it, predict its validation rows.

:func:`walk_epsilon_path` is the one place where a fold's path is walked (a
learner's own ``fit_path`` plugs in here); :func:`fit_fold` runs it on one
(setting, fold) and keeps the validation log-probabilities of every epsilon;
:class:`PathRunner` runs every (setting, fold) with joblib, and
:func:`confusion_paths` the two rounds of ``method="confusion"``. Learners are
known only through their public API (``fit``, ``warm_start``, ``set_params``,
``fit_path``, ``predict_proba`` / ``predict_log_proba``).
"""

import copy
import inspect
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np
from joblib import delayed
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from sksmooth._optimize import deferred_convergence_warnings
from sksmooth._rows import take_rows
from sksmooth._targets import (
    SmoothingPlan,
    smooth_codes,
    spread_matrix,
    transition_matrix,
)
from sksmooth._validation import check_param
from sksmooth.meta import LabelSmoothingClassifier
from sksmooth.model_selection._checks import check_expansion_sizes
from sksmooth.model_selection._selection import (
    anchor_similarity,
    confusion_similarity,
    epsilon_grid,
)

LOG_TINY = np.log(np.finfo(np.float64).tiny)


@dataclass(frozen=True)
class SearchData:
    """What every fold task and every score of one search shares.

    Attributes
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    codes : ndarray of shape (n_samples,)
        Class codes ``0..K-1``.
    classes : ndarray of shape (K,)
        The class labels.
    sample_weight : ndarray of shape (n_samples,) or None
    folds : list of (train, validation) index arrays
    score_params : dict
        What the scorers receive (``sample_weight``; routed metadata).
    """

    X: Any
    codes: np.ndarray
    classes: np.ndarray
    sample_weight: np.ndarray | None
    folds: list
    score_params: dict = field(default_factory=dict)

    @property
    def validation_rows(self) -> np.ndarray:
        """Every fold's validation rows, in fold order."""
        return np.concatenate([val for _, val in self.folds])


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
    """

    warm_start: bool
    forward: bool = False
    keep_models: bool = False
    budget: float = 1.0


def log_proba_of(model, X, *, return_dtype: bool = False):
    """Log-probabilities of a fitted model in float64, floored at ``log(tiny)``;
    with ``return_dtype``, also the float dtype the model gave them in."""
    if hasattr(model, "predict_log_proba"):
        values = np.asarray(model.predict_log_proba(X))
    else:
        with np.errstate(divide="ignore"):
            values = np.log(np.asarray(model.predict_proba(X)))
    dtype = values.dtype if values.dtype == np.float32 else np.dtype(np.float64)
    log_proba = np.maximum(values.astype(np.float64, copy=False), LOG_TINY)
    return (log_proba, dtype) if return_dtype else log_proba


def describe(learner) -> str:
    return type(learner).__name__


def walk_epsilon_path(
    learner,
    X_train,
    codes_train,
    sample_weight,
    epsilons,
    S,
    options: PathOptions,
    start=None,
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
        with ``transition=(1 - epsilon) * I + epsilon * S``; ``fit_path``,
        which follows the targets' path, is not used.
    start : fitted estimator, default=None
        With ``warm_start``, the solution to start the first fit from.

    Returns
    -------
    models : list of fitted estimators
        One per epsilon; ``predict_proba`` columns are the codes ``0..K-1``.
    fit_times : list of float
        Seconds per fit.
    """
    warm_start, forward = options.warm_start, options.forward
    if warm_start and len(epsilons) and hasattr(learner, "fit_path") and not forward:
        return walk_with_fit_path(
            learner, X_train, codes_train, sample_weight, epsilons, S, start
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
                        model, X_train, codes_train, sample_weight, epsilon, S, forward
                    )
                previous = model
            else:
                model = LabelSmoothingClassifier(
                    clone(learner),
                    epsilon=float(epsilon),
                    method=S,
                    smooth="predictions" if forward else "targets",
                ).fit(X_train, codes_train, sample_weight=sample_weight)
        except Exception as error:
            raise reraise_kind(error)(
                f"epsilon={float(epsilon):.6g}: {type(error).__name__}: {error}"
            ) from error
        fit_times.append(time.perf_counter() - tic)
        models.append(model)
    return models, fit_times


def warm_fit(model, X_train, codes_train, sample_weight, epsilon, S, forward):
    """Fit ``model`` (``warm_start`` set) at ``epsilon``: to the smoothed
    targets, or with forward smoothing to the labels through ``T``."""
    fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
    if forward:
        fit_params["transition"] = transition_matrix(epsilon, S)
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
    if not options.warm_start or options.budget >= 1 or hasattr(learner, "fit_path"):
        return None
    max_iter = learner.get_params().get("max_iter")
    if isinstance(max_iter, bool) or not isinstance(max_iter, Integral):
        return None
    return max(1, round(options.budget * max_iter))


def walk_with_fit_path(
    learner, X_train, codes_train, sample_weight, epsilons, S, start
):
    """:func:`walk_epsilon_path` through the learner's own ``fit_path``.

    ``fit_path`` returns the public ``(coef_, intercept_)`` pair of every point;
    each becomes a copy of the fitted learner with those attributes. Each
    point is timed from the end of the one before (the first from the call),
    through ``fit_path``'s ``callback``; a ``fit_path`` without one is timed
    as a whole, each epsilon given an equal share.

    Without a ``start``, the path is walked from the largest epsilon down: the
    smoothest targets make the best-conditioned problem, whose cold fit is the
    cheapest, and the default grid's steps then shrink, so each predicted start
    lands closer (``benchmarks/cv_speed.py`` counts the evaluations).
    """
    model = clone(learner) if start is None else copy.deepcopy(start)
    model.set_params(warm_start=True)
    downward = start is None
    order = list(epsilons)[::-1] if downward else list(epsilons)
    marks = [time.perf_counter()]
    timed = "callback" in inspect.signature(model.fit_path).parameters
    kwargs = {"callback": lambda i: marks.append(time.perf_counter())} if timed else {}
    try:
        path = model.fit_path(
            X_train, codes_train, order, method=S, sample_weight=sample_weight, **kwargs
        )
    except Exception as error:
        values = ", ".join(f"{float(e):.6g}" for e in epsilons)
        raise reraise_kind(error)(
            f"epsilon path [{values}]: {type(error).__name__}: {error}"
        ) from error
    if len(marks) == len(path) + 1:
        fit_times = np.diff(marks).tolist()
    else:  # no callback: the path's time in equal shares
        fit_times = [(time.perf_counter() - marks[0]) / len(path)] * len(path)
    if downward:
        path, fit_times = path[::-1], fit_times[::-1]
    models = []
    for coef, intercept in path:
        point = copy.deepcopy(model)
        point.coef_, point.intercept_ = coef, intercept
        models.append(point)
    return models, fit_times


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


class FoldPath:
    """What one (setting, fold) task returns."""

    def __init__(self, models, log_proba, fit_times, unconverged=(), max_iters=None):
        self.models = models  # list over epsilons, or None when not kept
        self.log_proba = log_proba  # (n_epsilons, n_val, K)
        self.fit_times = fit_times  # (n_epsilons,)
        # the convergence messages of sksmooth's own solvers in these fits
        self.unconverged = list(unconverged)
        # each fit's max_iter when the path was budgeted, else None
        self.max_iters = max_iters


@dataclass(frozen=True)
class FoldTask:
    """One (setting, fold) path: its rows, epsilons, spread matrix, start,
    and where it is, for error messages."""

    train: np.ndarray
    val: np.ndarray
    epsilons: Any
    S: np.ndarray
    start: Any = None
    where: str = ""


def fit_fold(learner, X, codes, sample_weight, task: FoldTask, options: PathOptions):
    """Walk one fold's path and predict its validation rows once per epsilon.

    ``X``, ``codes`` and ``sample_weight`` are the whole search's, passed at the
    top level so that joblib's dask backend scatters them once per search
    rather than pickling them into every task.

    A failure is re-raised with the fold and epsilon named (as ``ValueError``,
    ``TypeError`` or ``FloatingPointError`` if it was one, else ``RuntimeError``;
    the original error is its cause), so that it reads clearly when it comes
    back from a joblib worker.
    """
    train, val, epsilons, S = task.train, task.val, task.epsilons, task.S
    X_train, X_val = take_rows(X, train), take_rows(X, val)
    weights = None if sample_weight is None else sample_weight[train]
    try:
        with deferred_convergence_warnings() as unconverged:
            models, fit_times = walk_epsilon_path(
                learner,
                X_train,
                codes[train],
                weights,
                epsilons,
                S,
                options,
                task.start,
            )
    except Exception as error:  # already names the epsilon
        raise reraise_kind(error)(
            f"Fitting {describe(learner)} failed in {task.where} at {error}"
        ) from error.__cause__
    log_proba = np.stack(
        [log_proba_of(model, X_val) for model in models]
        or [np.empty((len(val), S.shape[0]))]
    )[: len(models)]
    max_iters = None
    if budgeted_max_iter(learner, options) is not None:
        max_iters = np.array([model.get_params()["max_iter"] for model in models])
    if options.warm_start:
        own = {
            name: learner.get_params()[name]
            for name in ("warm_start", "max_iter")
            if name in learner.get_params()
        }
        for model in models:  # hand back models as the user configured them
            model.set_params(**own)
    return FoldPath(
        models if options.keep_models else None,
        log_proba,
        np.array(fit_times),
        unconverged,
        max_iters,
    )


class PathRunner:
    """Runs every (setting, fold) path of a search with joblib.

    Parameters
    ----------
    learners : list of estimators
        One unfitted learner per ``param_grid`` setting.
    settings : list of dict
        The settings, named in error messages.
    data : SearchData
    options : PathOptions
        With ``forward``, the stored log-probabilities are still the model's
        own, ``log p``.
    parallel : joblib.Parallel
    refit : bool, default=False
        A refit on all the rows follows: :meth:`run` checks its expansion too.
    """

    def __init__(
        self,
        learners,
        settings,
        data: SearchData,
        options: PathOptions,
        parallel,
        refit: bool = False,
    ):
        self.learners, self.settings = learners, settings
        self.data, self.options = data, options
        self.parallel, self.refit = parallel, refit

    def run(self, epsilon_lists, spreads, starts=None):
        """Every (setting, fold) path: ``epsilon_lists[s]`` with spread matrix
        ``spreads[s]`` for setting ``s``, optionally warm-started from
        ``starts[s][f]``. Returns one list of :class:`FoldPath` per setting.

        An expansion-path learner's largest copy of ``X`` is checked first,
        before any fit (:func:`check_expansion_sizes`)."""
        data = self.data
        if not self.options.forward:  # forward smoothing has no expansion path
            n_samples = data.codes.shape[0]
            row_sets = [
                (f"training part of fold {f}", train)
                for f, (train, _) in enumerate(data.folds)
            ]
            if self.refit:
                row_sets.append((f"refit on all {n_samples} samples", slice(None)))
            for s, learner in enumerate(self.learners):
                check_expansion_sizes(
                    learner, data.X, data.codes, epsilon_lists[s], spreads[s], row_sets
                )
        n_folds = len(data.folds)
        tasks = [
            delayed(fit_fold)(
                learner,
                data.X,
                data.codes,
                data.sample_weight,
                FoldTask(
                    train,
                    val,
                    epsilon_lists[s],
                    spreads[s],
                    None if starts is None else starts[s][f],
                    f"fold {f}"
                    + (f" with {self.settings[s]}" if self.settings[s] else ""),
                ),
                self.options,
            )
            for s, learner in enumerate(self.learners)
            for f, (train, val) in enumerate(data.folds)
        ]
        out = self.parallel(tasks)
        return [out[s * n_folds : (s + 1) * n_folds] for s in range(len(self.learners))]


def confusion_paths(runner: PathRunner, epsilons, classes):
    """The two rounds of ``method="confusion"``.

    Fits at epsilon = 0 (their targets do not depend on ``S``) give the
    out-of-fold probabilities that each setting's similarity is learned from
    (:func:`confusion_similarity`; for forward smoothing
    :func:`anchor_similarity`, an estimate of the noise); the rest of each
    setting's grid is then walked with it, warm-started from the first round's
    models.

    Returns
    -------
    grids : list of ndarray
        Each setting's epsilons.
    spreads : list of ndarray of shape (K, K)
        Each setting's learned similarity.
    paths : list of list of FoldPath
        Per setting, per fold, the merged paths of both rounds.
    """
    n_settings, n_classes = len(runner.learners), classes.shape[0]
    data = runner.data
    placeholder = spread_matrix("uniform", n_classes)
    first = runner.run([[0.0]] * n_settings, [placeholder] * n_settings)
    val_rows = data.validation_rows
    weights = data.sample_weight
    spreads, grids = [], []
    for per_fold in first:
        proba = np.exp(np.concatenate([p.log_proba[0] for p in per_fold]))
        if runner.options.forward:  # T must estimate P(label | true class)
            S = anchor_similarity(proba, n_classes)
        else:
            S = confusion_similarity(
                proba,
                data.codes[val_rows],
                n_classes,
                None if weights is None else weights[val_rows],
            )
        spreads.append(S)
        grids.append(epsilon_grid(epsilons, SmoothingPlan("confusion", S, classes)))
    rest = [g[g > 0] if g[0] == 0 else g for g in grids]
    starts = [
        [p.models[0] if runner.options.warm_start else None for p in per_fold]
        for per_fold in first
    ]
    second = runner.run(rest, spreads, starts)
    paths = [
        [
            merge_paths(p0, p1) if grids[s][0] == 0 else p1
            for p0, p1 in zip(per_fold, second[s], strict=True)
        ]
        for s, per_fold in enumerate(first)
    ]
    return grids, spreads, paths


def merge_paths(first: FoldPath, rest: FoldPath) -> FoldPath:
    """A fold's epsilon-0 point followed by the rest of its path."""
    models = None if rest.models is None else [first.models[0], *rest.models]
    return FoldPath(
        models,
        np.concatenate([first.log_proba, rest.log_proba]),
        np.concatenate([first.fit_times, rest.fit_times]),
        first.unconverged + rest.unconverged,
        None
        if first.max_iters is None
        else np.concatenate([first.max_iters, rest.max_iters]),
    )


def warn_unconverged(messages, n_fits: int, learner) -> None:
    """One ``ConvergenceWarning`` for a search's unconverged inner fits.

    ``messages`` are the convergence messages of sksmooth's own solvers in the
    inner fits, deferred in each fold's context
    (:func:`sksmooth._optimize.deferred_convergence_warnings`); the first is
    quoted, since it says what that learner's remedy is. A third-party
    learner's warnings are not counted: they pass through as they come, as in
    ``GridSearchCV``.
    """
    if messages:
        first = " ".join(messages[0].split())
        warnings.warn(
            f"{len(messages)} of {n_fits} inner fits of {describe(learner)} did "
            "not converge; their scores may be off. Increase its max_iter or "
            f"scale the data. The first warning: {first}",
            ConvergenceWarning,
            stacklevel=3,
        )


def check_two_per_class(codes, classes) -> None:
    """Refuse a class of one sample, by name, for stratified folds.

    Stratified folds put every class in every training part once it has two
    samples (scikit-learn warns when it has fewer than ``n_splits``); a class
    of one sample cannot be in all of them.
    """
    counts = np.bincount(codes)
    if counts.min() < 2:
        rarest = classes[[int(np.argmin(counts))]].tolist()[0]
        raise ValueError(
            f"the class {rarest!r} has only 1 sample, but every training fold "
            "must hold every class: give each class at least 2 samples (drop or "
            "relabel that one)."
        )


def check_folds(folds, codes, classes, label: str) -> None:
    """Every validation part holds a sample and every training part every
    class; ``label`` names the splitter in the error."""
    n_classes = classes.shape[0]
    for i, (train, val) in enumerate(folds):
        present = np.bincount(codes[train], minlength=n_classes) > 0
        if len(val) == 0:
            raise ValueError(
                f"{label}: fold {i} has no validation samples; use a "
                "splitter that gives every fold validation data."
            )
        if not present.all():
            raise ValueError(
                f"{label}: the training part of fold {i} lacks the "
                f"class(es) {classes[~present].tolist()}; use fewer folds or a "
                "stratified splitter."
            )
