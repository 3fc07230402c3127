"""Every fold's epsilon path of a search: run them, predict the validation rows.

:func:`fit_fold` walks one (setting, fold) path (or the paths of several
``C``) through :func:`~sksmooth.model_selection._walk.walk_epsilon_path` and
keeps the validation log-probabilities of every epsilon;
:class:`PathRunner` runs every (setting, fold) with joblib, and
:func:`confusion_paths` the two rounds of ``method="confusion"``. Learners are
known only through their public API (``fit``, ``warm_start``, ``set_params``,
``fit_path``, ``predict_proba`` / ``predict_log_proba``).
"""

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from joblib import delayed

from sksmooth._capabilities import path_capabilities
from sksmooth._convergence import deferred_convergence_warnings
from sksmooth._rows import take_rows
from sksmooth._targets import (
    COUNTED,
    SmoothingPlan,
    plan_smoothing,
    spread_matrix,
)
from sksmooth.model_selection._checks import check_expansion_sizes
from sksmooth.model_selection._report import SearchProgress
from sksmooth.model_selection._selection import (
    anchor_similarity,
    confusion_similarity,
    counted_spreads,
    epsilon_grid,
    fold_transitions,
)
from sksmooth.model_selection._walk import (
    PathOptions,
    budgeted_max_iter,
    reraise_kind,
    walk_epsilon_path,
    walk_with_fit_path,
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
    verified : VerifiedLabels or None
        The rows someone checked (``y_verified``); ``codes`` then hold their
        verified classes.
    """

    X: Any
    codes: np.ndarray
    classes: np.ndarray
    sample_weight: np.ndarray | None
    folds: list
    score_params: dict = field(default_factory=dict)
    verified: Any = None

    @property
    def validation_rows(self) -> np.ndarray:
        """Every fold's validation rows, in fold order."""
        return np.concatenate([val for _, val in self.folds])


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
    and where it is, for error messages; or with ``grid = (parameter,
    values)``, the paths of the settings that differ only in the values of
    the parameter the learner's path carries, in one ``fit_path``.
    ``verified``: for forward smoothing, the checked training rows (a mask
    over ``train``), scored against ``p`` itself."""

    train: np.ndarray
    val: np.ndarray
    epsilons: Any
    S: np.ndarray
    start: Any = None
    where: str = ""
    grid: Any = None
    verified: Any = None


def fit_fold(learner, X, codes, sample_weight, task: FoldTask, options: PathOptions):
    """Walk one fold's path and predict its validation rows once per epsilon.

    ``X``, ``codes`` and ``sample_weight`` are the whole search's, passed at the
    top level so that joblib's dask backend scatters them once per search
    rather than pickling them into every task. Returns a list of
    :class:`FoldPath`: one, or one per value of ``task.grid`` (the first holds
    the convergence messages of them all).

    A failure is re-raised with the fold and epsilon named (as ``ValueError``,
    ``TypeError`` or ``FloatingPointError`` if it was one, else ``RuntimeError``;
    the original error is its cause), so that it reads clearly when it comes
    back from a joblib worker.
    """
    train, val, epsilons, S = task.train, task.val, task.epsilons, task.S
    X_train, X_val = take_rows(X, train), take_rows(X, val)
    weights = None if sample_weight is None else sample_weight[train]
    arguments = (X_train, codes[train], weights, epsilons, S)
    try:
        with deferred_convergence_warnings() as unconverged:
            if task.grid is None:
                models, fit_times = walk_epsilon_path(
                    learner, *arguments, options, task.start, task.verified
                )
            else:
                models, fit_times = walk_with_fit_path(
                    learner,
                    *arguments,
                    task.start,
                    options.forward,
                    task.grid,
                    task.verified,
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
    n_epsilons, paths = len(epsilons), []
    for j in range(1 if task.grid is None else len(task.grid[1])):
        part = slice(j * n_epsilons, (j + 1) * n_epsilons)
        paths.append(
            FoldPath(
                models[part] if options.keep_models else None,
                log_proba[part],
                np.array(fit_times[part]),
                [] if j else unconverged,
                None if max_iters is None else max_iters[part],
            )
        )
    return paths


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
    progress : SearchProgress, default=None
        Told of each (setting, fold) path as it finishes (``parallel`` should
        return a generator); ``None`` reports nothing.
    """

    def __init__(
        self,
        learners,
        settings,
        data: SearchData,
        options: PathOptions,
        parallel,
        refit: bool = False,
        progress: SearchProgress | None = None,
    ):
        self.learners, self.settings = learners, settings
        self.data, self.options = data, options
        self.parallel, self.refit = parallel, refit
        self.progress = (
            SearchProgress(0, len(data.folds)) if progress is None else progress
        )

    def run(self, epsilon_lists, spreads, starts=None):
        """Every (setting, fold) path: ``epsilon_lists[s]`` with spread matrix
        ``spreads[s]`` for setting ``s`` (one matrix, or a list of one per
        fold), optionally warm-started from
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
                    learner,
                    data.X,
                    data.codes,
                    epsilon_lists[s],
                    fold_spread(spreads[s], 0),
                    row_sets,
                )
        n_folds = len(data.folds)
        groups = self.joint_groups(epsilon_lists, spreads, starts)
        checked = self.checked_rows(spreads)
        tasks, described = [], []
        for group in groups:
            s = group[0]
            named = ", ".join(str(self.settings[t]) for t in group if self.settings[t])
            grid = None
            if len(group) > 1:
                name = path_capabilities(self.learners[s]).grid_parameter
                grid = (name, [self.settings[t][name] for t in group])
            for f, (train, val) in enumerate(data.folds):
                start = None if starts is None else starts[s][f]
                where = f"fold {f}" + (f" with {named}" if named else "")
                task = FoldTask(
                    train,
                    val,
                    epsilon_lists[s],
                    fold_spread(spreads[s], f),
                    start,
                    where,
                    grid,
                    None if checked[s] is None else checked[s][train],
                )
                described.append(task)
                tasks.append(
                    delayed(fit_fold)(
                        self.learners[s],
                        data.X,
                        data.codes,
                        data.sample_weight,
                        task,
                        self.options,
                    )
                )
        # list(): every path reported as it finishes, the generator run out
        out = iter(list(self.progress.track(self.parallel(tasks), described)))
        paths = [None] * len(self.learners)
        for group in groups:
            per_fold = [next(out) for _ in range(n_folds)]
            for position, s in enumerate(group):
                paths[s] = [fold[position] for fold in per_fold]
        return paths

    def checked_rows(self, spreads):
        """Per setting, the mask of checked rows its forward fits take, or
        ``None`` where they need none: without forward smoothing or checked
        rows, or where every spread is the identity (a transition counted on
        checked rows that all agree), whose fits are the plain ones."""
        data, per_setting = self.data, []
        for spread in spreads:
            matrices = spread if isinstance(spread, list) else [spread]
            identity = all(np.array_equal(S, np.eye(S.shape[0])) for S in matrices)
            needed = self.options.forward and data.verified is not None
            per_setting.append(data.verified.mask if needed and not identity else None)
        return per_setting

    def joint_groups(self, epsilon_lists, spreads, starts):
        """The settings whose paths one ``fit_path`` per fold walks together
        (for ``SoftmaxRegression``, one curvature memory for every ``C``):
        they differ only in the parameter the learner's path declares it
        carries (``grid_parameter``), share their epsilons and spread matrix,
        start cold, and are warm-started smoothing (of the targets, or of the
        predictions if the path declares that too). Every other setting is a
        group of its own."""
        options, groups, keyed = self.options, [], {}
        # a fit_path that does not take checked rows: forward paths with them
        # are walked by warm-started fits
        checked = self.checked_rows(spreads)
        for s, setting in enumerate(self.settings):
            declared = path_capabilities(self.learners[s])
            name = None if declared is None else declared.grid_parameter
            joint = (
                options.warm_start
                and starts is None
                and name in setting
                and len(epsilon_lists[s]) > 0
                and (declared.smooth_predictions or not options.forward)
                and (checked[s] is None or declared.checked_rows)
            )
            if not joint:
                groups.append([s])
                continue
            others = sorted((k, repr(v)) for k, v in setting.items() if k != name)
            epsilons = tuple(float(e) for e in epsilon_lists[s])
            key = (repr(others), epsilons, np.asarray(spreads[s]).tobytes())
            if key not in keyed:
                keyed[key] = []
                groups.append(keyed[key])
            keyed[key].append(s)
        return groups


class Walk(NamedTuple):
    """Every fold path of a search, and what scoring and the refit need."""

    grids: list  # per setting, its epsilons
    spreads: list  # per setting, its spread matrix (or one per fold)
    paths: list  # per setting, per fold, a FoldPath
    transitions: list | None  # forward smoothing: per setting and epsilon
    refit_spreads: list  # per setting, the spread of the refit on all rows


def walk_paths(method, runner: PathRunner, epsilons, prior) -> Walk:
    """Every (setting, fold) path of a search smoothing by ``method``.

    Each setting's epsilon grid and spread matrix come from the method: a
    similarity learned from out-of-fold confusions (``"confusion"``, two
    rounds: :func:`confusion_paths`), a transition counted on each fold's
    checked training rows (``"counted"``: one spread per fold, and the count
    on all checked rows for the refit), or the method's own matrix. For
    forward smoothing, the transition matrix of every (setting, epsilon), a
    list of one per fold where the spreads are.
    """
    data, n_settings = runner.data, len(runner.learners)
    if isinstance(method, str) and method == "confusion":
        grids, spreads, paths = confusion_paths(runner, epsilons, data.classes)
        refit_spreads = spreads
    else:
        if isinstance(method, str) and method == COUNTED:
            spread, refit_spread, grid = counted_spreads(
                data.verified, data.folds, data.sample_weight, data.classes, epsilons
            )
        else:
            plan = plan_smoothing(method, data.classes, prior=prior)
            spread = refit_spread = plan.S
            grid = epsilon_grid(epsilons, plan)
        grids, spreads = [grid] * n_settings, [spread] * n_settings
        refit_spreads = [refit_spread] * n_settings
        paths = runner.run(grids, spreads)
    transitions = None
    if runner.options.forward:
        transitions = [
            [fold_transitions(e, S) for e in grid]
            for grid, S in zip(grids, spreads, strict=True)
        ]
    return Walk(grids, spreads, paths, transitions, refit_spreads)


def fold_spread(spread, fold: int) -> np.ndarray:
    """Fold ``fold``'s spread (or transition) matrix: ``spread`` itself, or
    its entry when it is a list of one matrix per fold (counted on each
    fold's checked training rows)."""
    return spread[fold] if isinstance(spread, list) else spread


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
