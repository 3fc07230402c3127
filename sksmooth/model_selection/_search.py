"""The CV estimator, :class:`LabelSmoothingClassifierCV`: it orchestrates.

Its ``fit`` validates, walks every (setting, fold) epsilon path
(:mod:`._path`), scores the stored out-of-fold predictions and makes the
choice (:mod:`._scoring`, :mod:`._selection`, :mod:`._calibration`), then
refits or keeps the fold ensemble, and only then sets its attributes, which
its prediction methods read. Its parameters are checked in :mod:`._params`,
its fit arguments split and routed in :mod:`._routing`.
"""

from dataclasses import replace

import numpy as np

# joblib's own Parallel, not sklearn.utils.parallel's: the latter carries the
# warnings filters into each task by reassigning warnings.filters, in this
# process too when the backend is sequential (tests/test_warnings.py sees it).
from joblib import Parallel
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import check_consistent_length
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from sksmooth._convergence import deferred_convergence_warnings
from sksmooth._targets import (
    class_prior,
    transition_matrix,
)
from sksmooth._validation import (
    check_feature_names,
    check_sample_weight,
    encode_labels,
)
from sksmooth.meta import InnerLearnerMixin
from sksmooth.model_selection._calibration import scaled_log_proba
from sksmooth.model_selection._checks import (
    check_label_vector,
    check_search_verified,
    check_X_2d,
)
from sksmooth.model_selection._params import check_params
from sksmooth.model_selection._path import (
    PathRunner,
    SearchData,
    describe,
    log_proba_of,
    walk_paths,
)
from sksmooth.model_selection._report import SearchProgress, warn_unconverged
from sksmooth.model_selection._routing import (
    metadata_router,
    routed_params,
    split_folds,
)
from sksmooth.model_selection._scoring import score_paths
from sksmooth.model_selection._walk import (
    refit_start,
    reraise_kind,
    walk_epsilon_path,
)


def _refit_has(attr):
    """``available_if`` check: a refitted model (not a fold ensemble) with
    ``attr``; before fit, the unfitted inner estimator with ``attr``."""

    def check(self):
        if hasattr(self, "estimators_") or (
            not hasattr(self, "estimator_") and self.ensemble
        ):
            return False
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self._inner_estimator(), attr)

    return check


class LabelSmoothingClassifierCV(
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
        ``1`` or more: a line when the search starts and one per finished
        (setting, fold) path, with its fold, setting, number of epsilons and
        fit seconds, on standard output (as scikit-learn's searches print one
        line per fit).

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

    # --------------------------------------------------------------------- fit
    def fit(self, X, y, sample_weight=None, groups=None, *, y_verified=None, **params):
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
        y_verified : array-like of shape (n_samples,), default=None
            The verified class of the rows someone checked, a missing value
            (``None``, ``NaN``, pandas' ``NA``) on the others; ``y`` keeps the
            labels as given. Checked rows are fitted with their verified class
            (with ``smooth="predictions"``, against ``p`` itself) and scored
            against it (``cv_results_``'s ``*_verified_*`` columns score them
            alone). Where some checked row disagrees with its label, the labels
            are noisy: the folds are stratified by class and checked, and the
            temperature is fitted to the score that chose (with
            ``smooth="predictions"``; the checked rows alone otherwise).
            ``method="counted"`` smooths by the transition counted on each
            fold's checked rows, shrunk toward the identity by ``epsilon``;
            where every checked row agrees, nothing is smoothed.
            With metadata routing enabled, request it with
            ``set_fit_request(y_verified=True)``.
        **params : dict
            Only with metadata routing enabled: further metadata, routed to the
            splitter, the scorer and the inner estimator's ``fit``.

        Returns
        -------
        self : LabelSmoothingClassifierCV
            The fitted estimator.
        """
        params_ = check_params(self, self._inner_estimator())
        inner, settings, scorers = params_.inner, params_.settings, params_.scorers
        options, epsilons = params_.options, params_.epsilons
        data = self._search_data(X, y, sample_weight, groups, y_verified, params)
        classes, folds = data.classes, data.folds
        prior = class_prior(data.codes, classes.shape[0], data.sample_weight)
        learners = [clone(inner).set_params(**setting) for setting in settings]
        progress = SearchProgress(self.verbose, len(folds))
        runner = PathRunner(
            learners,
            settings,
            data,
            options,
            Parallel(n_jobs=self.n_jobs, return_as="generator"),
            refit=not self.ensemble,
            progress=progress,
        )
        walk = walk_paths(self.method, runner, epsilons, prior)
        grids, spreads, paths = walk.grids, walk.spreads, walk.paths
        results, choice = score_paths(
            paths,
            grids,
            settings,
            data,
            scorers,
            calibration=self.calibration,
            selection=self.selection,
            transitions=walk.transitions,
        )
        s_best, e_best = choice.setting, choice.epsilon_index
        epsilon = float(grids[s_best][e_best])
        fold_models = [p.models[e_best] if p.models else None for p in paths[s_best]]
        unconverged = [
            (w, settings[s])
            for s, per_fold in enumerate(paths)
            for p in per_fold
            for w in p.unconverged
        ]
        n_fits = sum(len(p.fit_times) for per_fold in paths for p in per_fold)
        if self.ensemble:
            fitted = fold_models
        else:
            with deferred_convergence_warnings() as refit_unconverged:
                start = refit_start(fold_models) if options.warm_start else None
                fitted = self._refit(
                    learners[s_best],
                    data,
                    epsilon,
                    walk.refit_spreads[s_best],
                    options,
                    start,
                )
            unconverged += [(w, settings[s_best]) for w in refit_unconverged]
            n_fits += 1
        warn_unconverged(unconverged, n_fits, inner, X, settings)

        # Everything validated and fitted: now set the attributes.
        self._set_fitted(fitted, classes, prior, epsilon, choice.temperature)
        if isinstance(self.method, str) and self.method == "confusion":
            self.similarity_ = spreads[s_best]
        if options.forward:
            self.transition_ = transition_matrix(epsilon, walk.refit_spreads[s_best])
        self.cv_results_ = results
        self.best_index_ = choice.index
        key = "mean_test_"
        key += "score" if list(scorers) == ["score"] else next(iter(scorers))
        self.best_score_ = float(results[key][choice.index])
        self.best_params_ = {"epsilon": epsilon, **settings[s_best]}
        self.epsilons_ = np.asarray(grids[s_best], dtype=np.float64)
        self.n_splits_ = len(folds)
        return self

    def _search_data(self, X, y, sample_weight, groups, y_verified, params):
        """The checked inputs every fold task and score shares, and the folds:
        refused before any fit where a fold would refuse them."""
        inner = self._inner_estimator()
        check_X_2d(X, self)  # scikit-learn's message, not a fold's
        check_label_vector(y, type(self).__name__)
        classes, codes = encode_labels(y, type(self).__name__)
        check_consistent_length(X, codes)
        weights = check_sample_weight(sample_weight, codes.shape[0], np.float64)
        verified = check_search_verified(self, y_verified, codes, classes, inner)
        checked = None  # the folds stratify by class and checked only where
        if verified is not None:  # the checked rows show noise to score
            codes = verified.codes
            checked = None if verified.agree else verified.mask
        groups, score_params = routed_params(self, groups, weights, params)
        folds = split_folds(self, X, classes[codes], codes, groups, classes, checked)
        return SearchData(X, codes, classes, weights, folds, score_params, verified)

    def _refit(self, learner, data: SearchData, epsilon, S, options, start):
        """The final model on all the data at the chosen epsilon."""
        checked = None
        identity = np.array_equal(S, np.eye(S.shape[0]))
        if data.verified is not None and options.forward and not identity:
            checked = data.verified.mask
        try:
            # one point, from the folds' mean: the learner's own fit, as
            # LogisticRegressionCV refits (a path driver would stop elsewhere
            # on the flat objectives of nearly separable data)
            models, _ = walk_epsilon_path(
                learner,
                data.X,
                data.codes,
                data.sample_weight,
                [epsilon],
                S,
                replace(options, use_path=False),
                start,
                checked,
            )
        except Exception as error:  # already names the epsilon
            raise reraise_kind(error)(
                f"Refitting {describe(learner)} on all the data failed at {error}"
            ) from error.__cause__
        model = models[0]
        if options.warm_start:
            model.set_params(warm_start=learner.get_params()["warm_start"])
        return model

    # ------------------------------------------------------------------ fitted
    def _set_fitted(self, fitted, classes, prior, epsilon, temperature):
        """The model(s) and what describes them, replacing a previous fit's."""
        for attribute in (
            "estimator_",
            "estimators_",
            "similarity_",
            "feature_names_in_",
        ):
            if hasattr(self, attribute):
                delattr(self, attribute)
        if self.ensemble:
            self.estimators_ = fitted
            reference = fitted[0]
        else:
            self.estimator_ = reference = fitted
        self.classes_ = classes
        self.class_prior_ = prior
        self.epsilon_ = epsilon
        self.temperature_ = temperature
        self.n_features_in_ = reference.n_features_in_
        if hasattr(reference, "feature_names_in_"):
            self.feature_names_in_ = reference.feature_names_in_

    def _log_proba_of(self, model, X):
        """``model``'s float64 log-probabilities and dtype, ``X`` checked as
        this estimator's input (a warning names it, not the inner model)."""
        check_feature_names(self, X)
        return log_proba_of(model, X, return_dtype=True)

    def predict_proba(self, X):
        """Probability of each class (temperature applied, folds averaged).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; in the dtype of the inner model's
            probabilities (float32 for float32 input to sksmooth's learners).
        """
        check_is_fitted(self)
        probas, dtype = [], np.float64
        for model in getattr(self, "estimators_", [getattr(self, "estimator_", None)]):
            log_proba, dtype = self._log_proba_of(model, X)
            probas.append(np.exp(scaled_log_proba(log_proba, self.temperature_)))
        proba = probas[0] if len(probas) == 1 else np.mean(probas, axis=0)
        return proba.astype(dtype, copy=False)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        check_is_fitted(self)
        if hasattr(self, "estimators_"):
            with np.errstate(divide="ignore"):
                return np.log(self.predict_proba(X))
        log_proba, dtype = self._log_proba_of(self.estimator_, X)
        scaled = scaled_log_proba(log_proba, self.temperature_)
        return scaled.astype(dtype, copy=False)

    @available_if(_refit_has("decision_function"))
    def decision_function(self, X):
        """The refitted model's decision scores divided by the temperature.

        For sksmooth's learners these are the logits, so their softmax (the
        sigmoid for two classes) is :meth:`predict_proba`. Not available with
        ``ensemble=True``: an average of probabilities has no logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes the score of ``classes_[1]``.
        """
        check_is_fitted(self)
        check_feature_names(self, X)
        return self.estimator_.decision_function(X) / self.temperature_

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    # ----------------------------------------------------------------- routing
    def get_metadata_routing(self):
        """Metadata routing: ``sample_weight`` is consumed here (class prior,
        every fit, scores, temperature, similarity) and never routed; ``groups``
        and other metadata go to the splitter and the scorers as they request.

        Returns
        -------
        routing : MetadataRouter
        """
        return metadata_router(self, self._inner_estimator())
