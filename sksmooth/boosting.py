"""Gradient boosting on soft targets: LightGBM trained on the soft cross-entropy.

No boosting library trains a multiclass model on soft targets (LightGBM
issue #6013). :class:`SoftLGBMClassifier` hands LightGBM the gradient and
Hessian of the soft cross-entropy through LightGBM's custom-objective
interface, with the conventions of LightGBM's own ``binary`` and
``multiclass`` objectives (see :class:`SoftCrossEntropyObjective`), so that on
class labels it grows the same trees as :class:`lightgbm.LGBMClassifier`.

LightGBM is an optional extra (``pip install "sksmooth[lightgbm]"``);
importing this module does not import it, fitting does.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from joblib import cpu_count
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted, validate_data

from sksmooth._base import SoftTargetClassifier
from sksmooth._boosting_loss import (
    SoftCrossEntropyObjective,
)
from sksmooth._validation import check_param, check_transition

# LightGBM's defaults that LGBMClassifier passes and we do not expose.
FIXED_PARAMS = {
    "boosting_type": "gbdt",
    "subsample_for_bin": 200000,
    "min_split_gain": 0.0,
}
# HistGradientBoostingClassifier's early_stopping="auto": on above this many samples.
AUTO_EARLY_STOPPING_SAMPLES = 10_000


def import_lightgbm():
    """Import and return :mod:`lightgbm`, or raise an ``ImportError`` naming the extra.

    Returns
    -------
    lightgbm : module
        The imported package.
    """
    try:
        import lightgbm
    except ImportError as error:
        raise ImportError(
            "SoftLGBMClassifier needs LightGBM, an optional dependency of sksmooth: "
            'install it with pip install "sksmooth[lightgbm]" (or pip install '
            '"lightgbm>=4").'
        ) from error
    return lightgbm


def as_lightgbm_input(X):
    """``X`` as LightGBM takes it uncopied: a sparse array becomes a ``csr_matrix``.

    LightGBM recognises ``scipy.sparse.csr_matrix`` but not ``csr_array``,
    which it would copy with a warning; the conversion shares the arrays.
    """
    if sp.issparse(X) and not isinstance(X, sp.csr_matrix):
        return sp.csr_matrix(X)
    return X


def has_category_columns(X) -> bool:
    """Whether ``X`` is a DataFrame with a pandas ``category`` column.

    LightGBM splits such columns as categorical features (its
    ``categorical_feature="auto"``), so the frame goes to it as it is rather
    than through ``check_array``, which would turn it into floats.
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "iloc"):
        return False
    return any(getattr(dtype, "name", None) == "category" for dtype in dtypes)


class SoftLGBMClassifier(SoftTargetClassifier):
    """LightGBM gradient boosting trained on soft targets.

    Boosts LightGBM trees on the soft cross-entropy ``sum_i w_i H(Y_i, p_i)``
    through LightGBM's custom-objective interface: the gradient and Hessian
    follow LightGBM's own ``multiclass`` and ``binary`` objectives (Hessian
    factor ``K / (K - 1)`` for ``K`` classes, see
    :class:`SoftCrossEntropyObjective`) and the initial scores are LightGBM's
    ``BoostFromScore`` (log class means; log-odds for two classes). So on class
    labels, with ``early_stopping=False``, it reproduces
    :class:`lightgbm.LGBMClassifier` with the same parameters (the tests hold
    the probabilities to 1e-6 for ``K`` = 2, 3 and 10, with sample and class
    weights and with bagging). Column subsampling (``colsample_bytree < 1``)
    is the exception: LightGBM draws the columns differently for its built-in
    objectives than for a custom one, so there the reference is LightGBM's own
    custom-objective path (``lightgbm.train`` with the same gradient, Hessian
    and initial scores), which it reproduces to 1e-6 as well. On soft targets
    ``Y`` it is the weighted expansion (row ``i`` repeated per class ``k``
    with weight ``w_i Y_ik``) without copying ``X``: the histograms see the
    same gradient and Hessian sums, only count-based limits
    (``min_child_samples``) and the binning sample see ``n`` rows, not ``n K``.

    ``fit`` also takes a ``transition`` matrix ``T`` (forward smoothing): the
    data term becomes ``-sum_k Y_ik log (p_i T)_k`` while :meth:`predict_proba`
    returns ``p``.

    Two classes use one logit and the sigmoid; more classes use one logit per
    class and the softmax.

    It takes what ``LGBMClassifier`` takes: missing values (NaN) and infinite
    values in ``X``, which LightGBM bins itself, and pandas DataFrames with
    ``category`` columns, which LightGBM splits as categorical features (such a
    DataFrame is handed to LightGBM as it is).

    Parameters
    ----------
    n_estimators : int, default=100
        Number of boosting iterations (each grows one tree per logit).
    learning_rate : float, default=0.1
        Shrinkage of each tree's output.
    num_leaves : int, default=31
        Largest number of leaves per tree (at least 2).
    max_depth : int, default=-1
        Largest tree depth; ``<= 0`` means no limit.
    min_child_samples : int, default=20
        Fewest samples in a leaf (LightGBM's ``min_data_in_leaf``).
    min_child_weight : float, default=1e-3
        Smallest Hessian sum in a leaf (``min_sum_hessian_in_leaf``).
    subsample : float, default=1.0
        Fraction of the rows drawn for each bagging round, in ``(0, 1]``;
        used when ``subsample_freq > 0``.
    subsample_freq : int, default=0
        Bagging every this many iterations; ``0`` disables bagging.
    colsample_bytree : float, default=1.0
        Fraction of the features drawn for each tree, in ``(0, 1]``.
    reg_alpha : float, default=0.0
        L1 penalty on the leaf values.
    reg_lambda : float, default=0.0
        L2 penalty on the leaf values.
    class_weight : dict or "balanced", default=None
        Weights of the classes: each sample's weight is multiplied by its
        class's weight (a dict maps labels to weights, unnamed classes weigh
        one; ``"balanced"`` is ``n_samples / (n_classes * n_k)``, ``n_k``
        counting sample weights; LightGBM's ``"balanced"`` counts samples
        unweighted). For soft targets, each sample's weight is multiplied by
        ``sum_k class_weight[k] * Y_ik``, and ``"balanced"`` counts class ``k``
        as ``sum_i w_i * Y_ik``.
    early_stopping : "auto" or bool, default="auto"
        As in :class:`~sklearn.ensemble.HistGradientBoostingClassifier`:
        ``"auto"`` enables it when there are more than 10,000 samples. Scored
        by the (weighted) soft cross-entropy of the fitted objective on the
        held-out fraction; all trees grown are kept.
    validation_fraction : float, int or None, default=0.1
        Share (float in ``(0, 1)``) or number (int) of the samples held out for
        early stopping, stratified by the (most probable) class when every
        class has at least two samples; ``None`` scores on the training data.
    n_iter_no_change : int, default=10
        Stop when none of the last ``n_iter_no_change`` scores improved on the
        one before them by more than ``tol``.
    tol : float, default=1e-7
        Smallest improvement of the score that counts.
    random_state : int, RandomState, Generator or None, default=None
        Seeds LightGBM (bagging, column sampling) as ``LGBMClassifier`` does
        (``None``: LightGBM's default seeds) and the validation split
        (``None``: a fresh, unseeded split; the global NumPy generator is left
        alone).
    n_jobs : int or None, default=None
        LightGBM threads; ``None`` is the number of physical cores, negative
        values count back from the number of CPUs (``-1``: all), as in
        ``LGBMClassifier``.
    verbose : int, default=-1
        LightGBM's verbosity; ``-1`` keeps it quiet.

    Attributes
    ----------
    booster_ : lightgbm.Booster
        The fitted booster. Its raw scores include the initial scores (folded
        into the first iteration's leaves, as LightGBM folds its own); it has
        no objective, so its ``predict`` returns raw scores.
    classes_ : ndarray of shape (n_classes,)
        Class labels; for soft targets the sorted column names of a
        DataFrame, else ``arange(n_classes)``.
    n_iter_ : int
        Number of boosting iterations performed.
    feature_importances_ : ndarray of shape (n_features,)
        Number of splits on each feature (LightGBM's ``"split"`` importance).
    validation_score_ : ndarray of shape (`n_iter_` + 1,)
        With early stopping, minus the soft cross-entropy on the held-out
        data (or on the training data if ``validation_fraction=None``) before
        the first and after each iteration; empty otherwise.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    lightgbm.LGBMClassifier : The same model on class labels.
    LabelSmoothingClassifier : Smooths labels and fits this natively.
    SoftCrossEntropyObjective : The gradient and Hessian it boosts on.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sksmooth import smooth_labels
    >>> from sksmooth.boosting import SoftLGBMClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> Y = smooth_labels(y, epsilon=0.1)
    >>> model = SoftLGBMClassifier(n_estimators=20, random_state=0).fit(X, Y)
    >>> model.predict_proba(X[:1]).round(2)
    array([[0.88, 0.06, 0.06]])
    """

    def __init__(
        self,
        *,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        num_leaves: int = 31,
        max_depth: int = -1,
        min_child_samples: int = 20,
        min_child_weight: float = 1e-3,
        subsample: float = 1.0,
        subsample_freq: int = 0,
        colsample_bytree: float = 1.0,
        reg_alpha: float = 0.0,
        reg_lambda: float = 0.0,
        class_weight=None,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-7,
        random_state=None,
        n_jobs: int | None = None,
        verbose: int = -1,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.subsample_freq = subsample_freq
        self.colsample_bytree = colsample_bytree
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    _ensure_all_finite = False  # LightGBM bins NaN (missing) and inf itself

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _check_X(self, X):
        if has_category_columns(X):
            return X  # LightGBM's Dataset checks the frame's dtypes
        return super()._check_X(X)

    def _validate_X_predict(self, X):
        if not has_category_columns(X):
            return super()._validate_X_predict(X)
        check_is_fitted(self)
        validate_data(self, X, reset=False, skip_check_array=True)
        return X

    # -- parameters -------------------------------------------------------------

    def _check_params(self):
        check_param(self.n_estimators, "n_estimators", Integral, low=1)
        check_param(self.learning_rate, "learning_rate", Real, low=0, low_open=True)
        check_param(self.num_leaves, "num_leaves", Integral, low=2)
        check_param(self.max_depth, "max_depth", Integral)
        check_param(self.min_child_samples, "min_child_samples", Integral, low=0)
        check_param(self.min_child_weight, "min_child_weight", Real, low=0)
        for name in ("subsample", "colsample_bytree"):
            value = check_param(getattr(self, name), name, Real, low=0, low_open=True)
            if value > 1:
                raise ValueError(f"{name} must be in (0, 1], got {value!r}.")
        check_param(self.subsample_freq, "subsample_freq", Integral, low=0)
        check_param(self.reg_alpha, "reg_alpha", Real, low=0)
        check_param(self.reg_lambda, "reg_lambda", Real, low=0)
        if not (
            isinstance(self.early_stopping, bool | np.bool_)
            or (isinstance(self.early_stopping, str) and self.early_stopping == "auto")
        ):
            raise ValueError(
                f'early_stopping must be "auto", True or False, got '
                f"{self.early_stopping!r}."
            )
        fraction = self.validation_fraction
        if fraction is not None:
            if isinstance(fraction, Integral) and not isinstance(fraction, bool):
                check_param(fraction, "validation_fraction", Integral, low=1)
            else:
                check_param(fraction, "validation_fraction", Real, low=0, low_open=True)
                if fraction >= 1:
                    raise ValueError(
                        "validation_fraction must be a float in (0, 1), an int >= 1 "
                        f"or None, got {fraction!r}."
                    )
        check_param(self.n_iter_no_change, "n_iter_no_change", Integral, low=1)
        check_param(self.tol, "tol", Real, low=0)
        state = self.random_state
        if not (
            state is None
            or (isinstance(state, Integral) and not isinstance(state, bool))
            or isinstance(state, np.random.RandomState | np.random.Generator)
        ):
            raise TypeError(
                "random_state must be None, an int, a numpy RandomState or "
                f"Generator, got {state!r}."
            )
        if self.n_jobs is not None:
            check_param(self.n_jobs, "n_jobs", Integral)
        check_param(self.verbose, "verbose", Integral)

    def _seed(self):
        """An int seed from ``random_state`` (drawn as LGBMClassifier draws it)."""
        state = self.random_state
        if isinstance(state, np.random.RandomState):
            return int(state.randint(np.iinfo(np.int32).max))
        if isinstance(state, np.random.Generator):
            return int(state.integers(np.iinfo(np.int32).max))
        return None if state is None else int(state)

    def _n_threads(self) -> int:
        """``n_jobs`` as LGBMClassifier turns it into LightGBM's ``num_threads``."""
        if self.n_jobs is None:
            return cpu_count(only_physical_cores=True)
        if self.n_jobs < 0:
            return max(cpu_count() + 1 + self.n_jobs, 1)
        return self.n_jobs

    def _lightgbm_params(self, n_classes: int, seed) -> dict:
        """What ``LGBMClassifier`` hands ``lightgbm.train``, with no objective."""
        params = dict(FIXED_PARAMS)
        params.update(
            num_leaves=self.num_leaves,
            max_depth=self.max_depth,
            learning_rate=self.learning_rate,
            min_child_weight=self.min_child_weight,
            min_child_samples=self.min_child_samples,
            subsample=self.subsample,
            subsample_freq=self.subsample_freq,
            colsample_bytree=self.colsample_bytree,
            reg_alpha=self.reg_alpha,
            reg_lambda=self.reg_lambda,
            verbose=self.verbose,
            objective="none",
            metric="None",
            num_threads=self._n_threads(),
        )
        if seed is not None:
            params["random_state"] = seed
        if n_classes > 2:
            params["num_class"] = n_classes
        return params

    # -- fit ----------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None, transition=None):
        """Boost trees on labels or soft targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 stays float32, sparse is passed to LightGBM
            as CSR; NaN marks a missing value. A DataFrame with ``category``
            columns goes to LightGBM as it is (categorical splits).
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, or soft targets: non-negative rows summing to one,
            column ``k`` being class ``k`` (a DataFrame's columns name the
            classes).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; ``None`` gives every sample weight one.
            Multiplied by the class weights of ``class_weight``.
        transition : array-like of shape (n_classes, n_classes), default=None
            Forward smoothing: a row-stochastic ``T`` (row ``c``: the
            distribution of the observed class given class ``c``); the loss
            becomes ``-sum_k Y_ik log (p_i T)_k``. ``None`` is the plain soft
            cross-entropy (the same as ``T = I``).

        Returns
        -------
        self : SoftLGBMClassifier
            The fitted estimator.
        """
        self._check_params()
        X_checked, targets, weight, classes = self._validate_fit_data(
            X, y, sample_weight
        )
        X_checked = as_lightgbm_input(X_checked)
        n_classes = len(classes)
        if transition is not None:
            transition = check_transition(transition, n_classes, targets)
        lightgbm = import_lightgbm()
        seed = self._seed()
        n_samples = X_checked.shape[0]
        stopping = self.early_stopping
        if isinstance(stopping, str):
            stopping = n_samples > AUTO_EARLY_STOPPING_SAMPLES

        validation = None
        if stopping and self.validation_fraction is not None:
            X_checked, targets, weight, validation = self._split(
                X_checked, targets, weight, seed
            )
        objective = SoftCrossEntropyObjective(targets, n_classes, weight, transition)
        init = objective.init_score()
        params = self._lightgbm_params(n_classes, seed)
        train_set = lightgbm.Dataset(
            X_checked,
            init_score=self._broadcast(init, X_checked.shape[0]),
            params=params,
            free_raw_data=True,
        )
        booster = lightgbm.Booster(params=params, train_set=train_set)
        scorer = evaluate = None
        if stopping and validation is None:
            scorer, evaluate = objective, booster.eval_train
            n_scored = X_checked.shape[0]
        elif stopping:
            X_val, targets_val, weight_val = validation
            scorer = SoftCrossEntropyObjective(
                targets_val, n_classes, weight_val, transition
            )
            valid_set = lightgbm.Dataset(
                X_val,
                init_score=self._broadcast(init, X_val.shape[0]),
                reference=train_set,
                params=params,
            )
            booster.add_valid(valid_set, "validation")
            evaluate, n_scored = booster.eval_valid, X_val.shape[0]
        del X_checked, targets, validation

        def feval(preds, dataset):
            return "soft_cross_entropy", scorer.loss(preds), False

        scores = []
        if scorer is not None:
            scores.append(-scorer.loss(self._broadcast(init, n_scored)))
        booster, constant = self._first_update(
            lightgbm, booster, objective, params, init
        )
        if scorer is not None:  # a constant model scores as its initial scores
            scores.append(scores[-1] if constant else -evaluate(feval)[0][2])
        for _ in range(1, 1 if constant else self.n_estimators):
            if scorer is not None and self._should_stop(scores):
                break
            booster.update(fobj=objective)
            if scorer is not None:
                scores.append(-evaluate(feval)[0][2])
        del objective, train_set
        # As lightgbm.train does: keep the trees, drop the training data.
        booster.model_from_string(booster.model_to_string()).free_dataset()
        self._fold_init_score(booster, init)

        self._set_input_metadata(X)
        self.classes_ = classes
        self.booster_ = booster
        self.n_iter_ = booster.current_iteration()
        self.validation_score_ = np.asarray(scores)
        return self

    @staticmethod
    def _first_update(lightgbm, booster, objective, params, init):
        """Boost the first iteration; the constant model if no feature can split.

        LightGBM's custom-objective path fails (a fatal error in
        ``reset_parameter``) when the dataset keeps no
        feature (all constant, or none can satisfy ``min_child_samples``),
        where its built-in objectives grow constant trees of the initial
        scores. We grow those the built-in way (any labels: the trees have one
        leaf) and set their value to zero (the initial scores are folded in
        later); nothing can be added to them. Returns the booster and whether
        it is that constant model.
        """
        train_set = booster.train_set
        # any() stops at the first feature LightGBM kept (usually feature 0)
        if any(map(train_set.feature_num_bin, range(train_set.num_feature()))):
            booster.update(fobj=objective)
            return booster, False
        n_logits = init.shape[0]
        n_samples = train_set.num_data()
        train_set.set_label(np.arange(n_samples) % (n_logits + (n_logits == 1)))
        constant_params = dict(params)
        constant_params["objective"] = "binary" if n_logits == 1 else "multiclass"
        booster = lightgbm.Booster(params=constant_params, train_set=train_set)
        booster.update()
        for tree in range(n_logits):
            booster.set_leaf_output(tree, 0, 0.0)
        return booster, True

    @staticmethod
    def _broadcast(init, n_samples):
        """The initial scores per sample, as LightGBM's ``init_score`` takes them."""
        if init.shape[0] == 1:
            return np.full(n_samples, init[0])
        return np.broadcast_to(init, (n_samples, init.shape[0]))

    def _split(self, X, targets, weight, seed):
        """Hold out ``validation_fraction`` of the samples, stratified if possible."""
        labels = targets if targets.ndim == 1 else np.argmax(targets, axis=1)
        counts = np.bincount(labels)
        present = counts[counts > 0]
        n_samples = labels.shape[0]
        fraction = self.validation_fraction
        n_val = fraction if isinstance(fraction, Integral) else fraction * n_samples
        stratify = None
        if present.min() >= 2 and min(n_val, n_samples - n_val) >= present.shape[0]:
            stratify = labels
        rng = np.random.default_rng(seed)  # seed None: fresh entropy, no global state
        state = int(rng.integers(np.iinfo(np.int32).max))
        arrays = [X, targets] if weight is None else [X, targets, weight]
        parts = train_test_split(
            *arrays, test_size=fraction, stratify=stratify, random_state=state
        )
        X_train, X_val, t_train, t_val = parts[:4]
        w_train, w_val = parts[4:] if weight is not None else (None, None)
        return X_train, t_train, w_train, (X_val, t_val, w_val)

    def _should_stop(self, scores) -> bool:
        """HistGradientBoosting's rule: no recent score beat the reference + tol."""
        reference_position = self.n_iter_no_change + 1
        if len(scores) < reference_position:
            return False
        reference = scores[-reference_position] + self.tol
        return not any(score > reference for score in scores[-reference_position + 1 :])

    @staticmethod
    def _fold_init_score(booster, init):
        """Add the initial scores to the first iteration's leaves, as LightGBM does."""
        if not np.any(init):
            return
        trees = booster.dump_model(num_iteration=1)["tree_info"]
        for tree, score in zip(trees, init, strict=True):
            tree_id = tree["tree_index"]
            for leaf in range(tree["num_leaves"]):
                value = booster.get_leaf_output(tree_id, leaf)
                booster.set_leaf_output(tree_id, leaf, value + score)

    # -- predictions ------------------------------------------------------------

    def _raw_output(self, X):
        X = as_lightgbm_input(self._validate_X_predict(X))
        return self.booster_.predict(X, raw_score=True, num_threads=self._n_threads())

    def decision_function(self, X):
        """Raw scores (logits) of the samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the logit of ``classes_[1]``; otherwise one logit
            per class.
        """
        return self._raw_output(X)

    @property
    def feature_importances_(self) -> np.ndarray:
        """Number of splits on each feature, over all trees.

        Returns
        -------
        importances : ndarray of shape (n_features,)
            LightGBM's ``"split"`` importance.
        """
        return self.booster_.feature_importance(importance_type="split")
