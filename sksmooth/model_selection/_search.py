"""The CV estimator, :class:`LabelSmoothingClassifierCV`: it orchestrates.

Its ``fit`` validates, walks every (setting, fold) epsilon path
(:mod:`._path`), scores the stored out-of-fold predictions and makes the
choice (:mod:`._scoring`, :mod:`._selection`, :mod:`._calibration`), then
refits or keeps the fold ensemble, and only then sets its attributes.
"""

from numbers import Integral
from typing import NamedTuple

import numpy as np

# joblib's own Parallel, not sklearn.utils.parallel's: the latter carries the
# warnings filters into each task by reassigning warnings.filters, in this
# process too when the backend is sequential (tests/test_warnings.py sees it).
from joblib import Parallel
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import ParameterGrid, StratifiedKFold, check_cv
from sklearn.utils import check_consistent_length
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.validation import has_fit_parameter

from sksmooth._optimize import deferred_convergence_warnings
from sksmooth._targets import (
    SMOOTHING_METHODS,
    check_smooth,
    class_prior,
    plan_smoothing,
    transition_matrix,
)
from sksmooth._validation import (
    accepts_soft_targets,
    check_param,
    check_sample_weight,
    encode_labels,
)
from sksmooth.meta import InnerLearnerMixin
from sksmooth.model_selection._checks import (
    check_folds,
    check_label_vector,
    check_two_per_class,
    check_X_2d,
)
from sksmooth.model_selection._fitted import FittedSelectorMixin
from sksmooth.model_selection._path import (
    PathRunner,
    SearchData,
    confusion_paths,
    describe,
    warn_unconverged,
)
from sksmooth.model_selection._scoring import check_scorers, score_paths
from sksmooth.model_selection._selection import check_epsilons_param, epsilon_grid
from sksmooth.model_selection._walk import (
    PathOptions,
    check_budget,
    refit_start,
    reraise_kind,
    walk_epsilon_path,
)

CALIBRATIONS = (None, "temperature")
METHODS = (*SMOOTHING_METHODS, "confusion")
SELECTIONS = ("setting_first", "best")


class CheckedParams(NamedTuple):
    """The parameters of :class:`LabelSmoothingClassifierCV`, checked."""

    inner: object  # the unfitted inner estimator
    settings: list  # the param_grid settings, expanded
    epsilons: object  # a grid size or a list of values
    scorers: dict  # name -> scorer; the first decides
    options: PathOptions  # how each fold's path is walked


# param_grid="auto" with the default learner: LogisticRegressionCV's Cs=10.
DEFAULT_C_GRID = tuple(float(C) for C in np.logspace(-4, 4, 10))


class LabelSmoothingClassifierCV(
    FittedSelectorMixin,
    InnerLearnerMixin,
    MetaEstimatorMixin,
    ClassifierMixin,
    BaseEstimator,
):
    """Label smoothing with epsilon (and the inner regulariser) chosen by
    cross-validation.

    For every fold, the inner learner is fitted at each epsilon of the grid in
    ascending order, each fit **warm-started** from the previous one when the
    learner has a ``warm_start`` parameter and takes soft targets (sksmooth's
    learners); other classifiers (the expansion path: gradient boosting,
    forests, ...) are fitted cold. A learner with a ``fit_path`` method
    (``SoftmaxRegression``) walks each fold's path itself, from the largest
    epsilon down, where it costs the fewest evaluations (the convex fits reach
    the same optima in any order). The validation predictions of every epsilon
    are kept; the scores, the optional temperature and the learned similarity
    are computed from them. Folds (and ``param_grid`` settings) run in parallel
    with joblib.

    Warm starting a convex learner (``SoftmaxRegression``) only saves time: every
    fit converges to the same optimum. For the non-convex ``SoftMLPClassifier`` it
    also changes the result: the network at epsilon is the one at the previous
    epsilon, trained further, and the whole path depends on one random
    initialisation per fold instead of one per epsilon (with
    ``random_state=None``, cold fits would compare networks that differ by their
    draws as much as by epsilon). It is on for the network too; the docs' study
    page measures both. The path warm-starts whatever ``warm_start`` you gave the
    learner; your setting is restored on the fitted models.

    Parameters
    ----------
    estimator : estimator object, default=None
        The classifier; ``None`` means ``SoftmaxRegression()``.
    epsilons : int or array-like of float, default=10
        An int ``n >= 2``: ``n`` values from 0 to 90 % of the largest epsilon the
        method allows for the data's classes and prior, denser near 0 (see
        :func:`default_epsilon_grid`). A list: the values to try, each checked
        against the method's bound as in :class:`LabelSmoothingClassifier`;
        they are sorted and de-duplicated.
    method : {"uniform", "off_target", "prior", "confusion"}, array-like of \
            shape (n_classes, n_classes) or callable, default="uniform"
        As in :class:`LabelSmoothingClassifier` (``"prior"`` uses the class
        prior of all the training data, in every fold), plus ``"confusion"``: a
        similarity matrix learned from the data (stored as ``similarity_``): row
        ``k`` is the mean out-of-fold predicted distribution of the class-``k``
        samples at epsilon = 0, diagonal removed and renormalised, so the
        smoothing mass goes to the classes the model confuses with ``k``.
    smooth : {"targets", "predictions"}, default="targets"
        As in :class:`LabelSmoothingClassifier`. With ``"predictions"``
        (forward correction of label noise), each candidate is scored by its
        out-of-fold smoothed prediction ``q = p @ T`` against the labels (a
        proper score for noisy labels, so the choice is consistent: ``epsilon_``
        estimates the corruption strength, ``r * K / (K - 1)`` for symmetric
        noise at rate ``r`` with ``"uniform"``), the temperature is fitted on
        ``p`` inside ``T``, and ``predict_proba`` returns ``p``, the estimate of
        the clean classes. With ``"confusion"``, ``S`` estimates the noise
        from the out-of-fold predictions of the epsilon = 0 fits at their
        anchor points (:func:`~sksmooth.model_selection.anchor_similarity`,
        Patrini et al.'s estimator), not from class means. Needs a learner
        whose ``fit`` takes ``transition``.
    cv : int, cross-validation generator or iterable, default=None
        As in scikit-learn: ``None`` is 5-fold stratified, an int the number
        of stratified folds. Every training fold must hold every class.
    scoring : str, callable, list, tuple or dict, default="neg_log_loss"
        A scorer name or callable (see :func:`sklearn.metrics.get_scorer`), or
        several (a list of names or a dict name -> scorer); then the first one
        decides and ``cv_results_`` gets columns for each
        (``mean_test_<name>``, ...). Scores are computed on the stored
        out-of-fold predictions.
    calibration : {None, "temperature"}, default=None
        ``"temperature"``: once epsilon and the setting are chosen, one
        temperature ``T`` is fitted on all the choice's out-of-fold
        log-probabilities, to the labels, with a weak prior on ``log T`` and
        never sharper than the mistakes the folds show allow (folds without a
        mistake do not sharpen it without bound; see :func:`fit_temperature`),
        and ``predict_proba`` returns ``softmax(log p / T)``. The temperature
        does not take part in the choice: fitted per candidate on the scores
        that judge it, it let the choice wander among candidates the folds
        could not tell apart.
    ensemble : bool, default=False
        ``False``: refit on all the data at the chosen epsilon (warm-started from
        the mean of the fold solutions for a linear model, else the first's).
        ``True``: keep the fold models at the chosen epsilon and average their
        probabilities (as ``CalibratedClassifierCV(ensemble=True)``), no
        refit. ``False`` is the default: the refit uses all the data; the
        docs' study page compares both.
    param_grid : "auto", dict, list of dicts or None, default="auto"
        Settings of the inner estimator to search jointly with epsilon (e.g.
        ``{"C": [0.1, 1, 10]}``), as in :class:`~sklearn.model_selection.GridSearchCV`.
        Each setting walks its own epsilon path on the same folds.
        ``"auto"``: with ``estimator=None``, the ten values of ``C`` that
        :class:`~sklearn.linear_model.LogisticRegressionCV` searches by
        default (``np.logspace(-4, 4, 10)``), so that epsilon is never chosen
        against a badly set regulariser; with a given estimator, its own
        settings. ``None``: the estimator's own settings.
    selection : {"setting_first", "best"}, default="setting_first"
        How the choice is made from the mean fold scores of the first scorer.
        ``"setting_first"``: the setting (``C``, say) with the best score at
        the smallest epsilon of its grid (0 on the default grids), as the
        search without smoothing would choose it, then the best epsilon along
        that setting's path. ``"best"``: the highest mean over every (setting,
        epsilon). Searched jointly, smoothing and the regulariser stand in for
        each other, and on small data the joint best is often a weakly
        regularised model rescued by a large epsilon that the folds cannot
        tell from the unsmoothed one but that predicts worse (with forward
        smoothing, it reads the data's own ambiguity as label noise); the
        docs' baselines page measures both.
    path_budget : float in (0, 1], default=0.2
        For a learner warm-started through ``fit`` with a ``max_iter``
        (``SoftMLPClassifier``, whose fits run to their cap): each epsilon
        after a path's first trains ``max(1, round(path_budget * max_iter))``
        iterations from the last one's weights (``cv_results_["max_iter"]``;
        such cut fits are not counted as unconverged); the first and the refit
        get all of ``max_iter``. Others ignore it. See the performance page.
    n_jobs : int, default=None
        Parallel (setting, fold) tasks, by joblib.
    random_state : int, RandomState instance or None, default=None
        With ``cv=None`` or an int: ``None`` keeps scikit-learn's unshuffled
        stratified folds (as ``GridSearchCV``); a value shuffles them with it.
        Ignored for other ``cv``.
    verbose : int, default=0
        joblib's progress messages.

    Attributes
    ----------
    epsilon_ : float
        The chosen epsilon; with ``smooth="predictions"``, the estimated
        corruption strength.
    temperature_ : float
        The chosen temperature (1.0 without calibration).
    best_score_ : float
        Mean cross-validated score of the choice, uncalibrated; with
        ``selection="setting_first"`` it can be below the top score.
    best_params_ : dict
        ``{"epsilon": epsilon_, **best inner setting}``.
    epsilons_ : ndarray of shape (n_epsilons,)
        The epsilons searched for the chosen setting (the grid depends on the
        data's classes and prior, and for ``method="confusion"`` on the
        learned similarity), as ``LogisticRegressionCV`` exposes ``Cs_``.
    best_index_ : int
        Row of the choice in ``cv_results_``.
    cv_results_ : dict of ndarray
        One row per (setting, epsilon), readable by ``pandas.DataFrame``:
        ``param_epsilon``, ``param_<name>`` per ``param_grid`` parameter,
        ``params``, ``split{i}_test_score``, ``mean_test_score``,
        ``std_test_score``, ``rank_test_score`` (with several scorers ``_score``
        becomes ``_<name>``), ``mean_fit_time``, ``std_fit_time`` (one fit, per
        fold), and ``max_iter`` when ``path_budget`` cut the fits. With
        ``selection="setting_first"`` the choice, ``best_index_``, need not
        have rank 1.
    estimator_ : estimator
        The refitted model (``ensemble=False``); its classes are the codes
        ``0..K-1`` of ``classes_`` (a :class:`LabelSmoothingClassifier` around
        an expansion-path learner).
    estimators_ : list of estimators
        The fold models at the choice (``ensemble=True``).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    class_prior_ : ndarray of shape (n_classes,)
        The (weighted) class frequencies.
    similarity_ : ndarray of shape (n_classes, n_classes)
        The learned similarity (``method="confusion"`` only).
    n_splits_ : int
        Number of folds.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    LabelSmoothingClassifier : Smoothing at a fixed epsilon.
    sklearn.linear_model.LogisticRegressionCV : The same idea for ``C``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sksmooth import LabelSmoothingClassifierCV
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> search = LabelSmoothingClassifierCV(epsilons=[0, 0.1, 0.3], cv=3).fit(X, y)
    >>> float(search.epsilon_) in (0, 0.1, 0.3)
    True
    >>> search.predict_proba(X[:1]).shape
    (1, 3)
    """

    # Saved models (skops, pickle) name the class by its public home, so that
    # files stay loadable whatever module of this package defines it.
    __module__ = "sksmooth.model_selection"

    def __init__(
        self,
        estimator=None,
        *,
        epsilons=10,
        method="uniform",
        smooth: str = "targets",
        cv=None,
        scoring="neg_log_loss",
        calibration=None,
        ensemble: bool = False,
        param_grid="auto",
        selection: str = "setting_first",
        path_budget: float = 0.2,
        n_jobs=None,
        random_state=None,
        verbose: int = 0,
    ):
        self.estimator = estimator
        self.epsilons = epsilons
        self.method = method
        self.smooth = smooth
        self.cv = cv
        self.scoring = scoring
        self.calibration = calibration
        self.ensemble = ensemble
        self.param_grid = param_grid
        self.selection = selection
        self.path_budget = path_budget
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ checks
    def _check_params(self):
        if isinstance(self.method, str) and self.method not in METHODS:
            raise ValueError(
                f"method must be one of {list(METHODS)}, a (n_classes, n_classes) "
                f"similarity matrix or a callable, got {self.method!r}."
            )
        if self.calibration not in CALIBRATIONS:
            raise ValueError(
                f"calibration must be one of {list(CALIBRATIONS)}, got "
                f"{self.calibration!r}."
            )
        if not isinstance(self.selection, str) or self.selection not in SELECTIONS:
            raise ValueError(
                f"selection must be one of {list(SELECTIONS)}, got {self.selection!r}."
            )
        check_param(self.ensemble, "ensemble", bool)
        check_param(self.verbose, "verbose", Integral, low=0)
        settings = self._settings()
        inner = self._inner_estimator()
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
        forward = check_smooth(self.smooth, inner, type(self).__name__)
        warm = native and "warm_start" in valid
        return CheckedParams(
            inner=inner,
            settings=settings,
            epsilons=check_epsilons_param(self.epsilons),
            scorers=check_scorers(self.scoring, inner),
            options=PathOptions(
                warm_start=warm,
                forward=forward,
                keep_models=warm or self.ensemble,
                budget=check_budget(self.path_budget),
            ),
        )

    def _settings(self) -> list[dict]:
        """The inner settings searched with epsilon: ``param_grid`` expanded,
        ``"auto"`` resolved (see the class docstring)."""
        grid = self.param_grid
        if isinstance(grid, str):
            if grid != "auto":
                raise ValueError(
                    f"param_grid must be 'auto', None, a dict or a list of dicts, "
                    f"got {grid!r}."
                )
            grid = {"C": list(DEFAULT_C_GRID)} if self.estimator is None else None
        return list(ParameterGrid({} if grid is None else grid))

    def _folds(self, X, y, codes, groups, classes):
        """The folds of the splitter, checked: every training part holds every
        class and every validation part a sample."""
        cv = self.cv
        if cv is None or (isinstance(cv, Integral) and not isinstance(cv, bool)):
            check_two_per_class(codes, classes)
        folds = list(self._splitter(y).split(X, y, groups))
        label = (
            f"cv ({len(folds)} given splits)"
            if np.iterable(self.cv) and not hasattr(self.cv, "split")
            else f"cv={self.cv!r}"
        )
        check_folds(folds, codes, classes, label)
        return folds

    # --------------------------------------------------------------------- fit
    def fit(self, X, y, sample_weight=None, groups=None, **params):
        """Cross-validate the epsilon path (and settings), then refit or ensemble.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, validated by the inner estimator.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights the class prior, every inner fit, the scores, the
            temperature and the learned similarity.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group splitter (``GroupKFold``, ...). With
            metadata routing enabled, pass it as requested by the splitter.
        **params : dict
            Only with metadata routing enabled: further metadata, routed to the
            splitter, the scorer and the inner estimator's ``fit``.

        Returns
        -------
        self : LabelSmoothingClassifierCV
            The fitted estimator.
        """
        checked = self._check_params()
        inner, settings, scorers = checked.inner, checked.settings, checked.scorers
        options = checked.options
        check_X_2d(X, self)  # scikit-learn's message, not a fold's
        check_label_vector(y, type(self).__name__)
        classes, codes = encode_labels(y, type(self).__name__)
        check_consistent_length(X, codes)
        weights = check_sample_weight(sample_weight, codes.shape[0], np.float64)
        groups, score_params = self._routed_params(groups, weights, params)
        prior = class_prior(codes, classes.shape[0], weights)
        folds = self._folds(X, classes[codes], codes, groups, classes)
        learners = [clone(inner).set_params(**setting) for setting in settings]
        data = SearchData(X, codes, classes, weights, folds, score_params)
        runner = PathRunner(
            learners,
            settings,
            data,
            options,
            Parallel(n_jobs=self.n_jobs, verbose=self.verbose),
            refit=not self.ensemble,
        )
        grids, spreads, paths, transitions = self._walk(runner, checked.epsilons, prior)
        results, choice = score_paths(
            paths,
            grids,
            settings,
            data,
            scorers,
            calibration=self.calibration,
            selection=self.selection,
            transitions=transitions,
        )
        s_best, e_best = choice.setting, choice.epsilon_index
        epsilon = float(grids[s_best][e_best])
        fold_models = [p.models[e_best] if p.models else None for p in paths[s_best]]
        unconverged = [w for per_fold in paths for p in per_fold for w in p.unconverged]
        n_fits = sum(len(p.fit_times) for per_fold in paths for p in per_fold)
        if self.ensemble:
            fitted = fold_models
        else:
            with deferred_convergence_warnings() as refit_unconverged:
                start = refit_start(fold_models) if options.warm_start else None
                fitted = self._refit(
                    learners[s_best], data, epsilon, spreads[s_best], options, start
                )
            unconverged += refit_unconverged
            n_fits += 1
        warn_unconverged(unconverged, n_fits, inner)

        # Everything validated and fitted: now set the attributes.
        self._set_fitted(fitted, classes, prior, epsilon, choice.temperature)
        if isinstance(self.method, str) and self.method == "confusion":
            self.similarity_ = spreads[s_best]
        self.cv_results_ = results
        self.best_index_ = choice.index
        key = "mean_test_"
        key += "score" if list(scorers) == ["score"] else next(iter(scorers))
        self.best_score_ = float(results[key][choice.index])
        self.best_params_ = {"epsilon": epsilon, **settings[s_best]}
        self.epsilons_ = np.asarray(grids[s_best], dtype=np.float64)
        self.n_splits_ = len(folds)
        return self

    def _walk(self, runner, epsilons, prior):
        """Every (setting, fold) path: the epsilon grids, spread matrices and
        fold paths per setting, and for forward smoothing the transition
        matrix of every (setting, epsilon)."""
        classes = runner.data.classes
        if isinstance(self.method, str) and self.method == "confusion":
            grids, spreads, paths = confusion_paths(runner, epsilons, classes)
        else:
            plan = plan_smoothing(self.method, classes, prior=prior)
            grids = [epsilon_grid(epsilons, plan)] * len(runner.learners)
            spreads = [plan.S] * len(runner.learners)
            paths = runner.run(grids, spreads)
        transitions = None
        if runner.options.forward:
            transitions = [
                [transition_matrix(e, S) for e in grid]
                for grid, S in zip(grids, spreads, strict=True)
            ]
        return grids, spreads, paths, transitions

    def _routed_params(self, groups, weights, params):
        """``groups`` for the splitter and the scorers' parameters.

        ``sample_weight`` is consumed here (prior, fits, scores, temperature,
        similarity), never routed; with metadata routing enabled, the rest goes
        where it is requested, and the inner estimator may request nothing:
        each fold's fit receives only the smoothed targets and the weights.
        """
        score_params = {}
        if get_config().get("enable_metadata_routing", False):
            routed = process_routing(self, "fit", groups=groups, **params)
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
                f"{type(self).__name__}.fit got the unexpected parameters "
                f"{sorted(params)}; extra fit parameters are routed only with "
                "metadata routing enabled: "
                "sklearn.set_config(enable_metadata_routing=True)."
            )
        if weights is not None:
            score_params["sample_weight"] = weights
        return groups, score_params

    def _refit(self, learner, data: SearchData, epsilon, S, options, start):
        """The final model on all the data at the chosen epsilon."""
        try:
            models, _ = walk_epsilon_path(
                learner,
                data.X,
                data.codes,
                data.sample_weight,
                [epsilon],
                S,
                options,
                start,
            )
        except Exception as error:  # already names the epsilon
            raise reraise_kind(error)(
                f"Refitting {describe(learner)} on all the data failed at {error}"
            ) from error.__cause__
        model = models[0]
        if options.warm_start:
            model.set_params(warm_start=learner.get_params()["warm_start"])
        return model

    # ----------------------------------------------------------------- routing
    def _splitter(self, y=None):
        """The splitter ``fit`` uses: stratified folds for ``None`` or an int
        (shuffled with ``random_state`` when it is set), else ``cv`` itself."""
        cv = self.cv
        if cv is None or (isinstance(cv, Integral) and not isinstance(cv, bool)):
            n_splits = 5 if cv is None else int(cv)
            shuffle = self.random_state is not None
            return StratifiedKFold(
                n_splits,
                shuffle=shuffle,
                random_state=self.random_state if shuffle else None,
            )
        return check_cv(cv, y, classifier=True)

    def get_metadata_routing(self):
        """Metadata routing: ``sample_weight`` is consumed here (class prior,
        every fit, scores, temperature, similarity) and never routed; ``groups``
        and other metadata go to the splitter and the scorers as they request.

        Returns
        -------
        routing : MetadataRouter
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                splitter=self._splitter(),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
            .add(
                scorer=check_scoring(self._inner_estimator(), scoring=self.scoring),
                method_mapping=MethodMapping().add(caller="fit", callee="score"),
            )
            .add(
                estimator=self._inner_estimator(),
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        )
