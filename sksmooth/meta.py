"""The label-smoothing meta-estimator."""

from numbers import Real

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import check_consistent_length, get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from sksmooth._backend import (
    accepts_dask,
    blockwise_on_dask,
    dask_api,
    is_dask_collection,
    refuse_verified_on_dask,
    score_with_dask,
)
from sksmooth._rows import expanded_nbytes, rows_source, take_param_rows, take_rows
from sksmooth._targets import COUNTED, check_smooth, class_prior, plan_smoothing
from sksmooth._validation import (
    accepts_soft_targets,
    apply_class_weight,
    check_feature_names,
    check_param,
    check_sample_weight,
    check_targets,
)
from sksmooth._verified import check_verified_labels, warn_unchecked_classes
from sksmooth.linear_model import SoftmaxRegression

# Default of max_expansion_mib: see the class docstring.
DEFAULT_MAX_EXPANSION_MIB = 256
_MIB = 2**20


def _fitted_estimator_has(attr):
    """Check the fitted inner estimator if there is one, else the unfitted one."""

    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self._inner_estimator(), attr)

    return check


class InnerLearnerMixin:
    """What both meta-estimators share about their ``estimator`` parameter:
    ``None`` means ``SoftmaxRegression()``, and the input tags (sparse, NaN)
    are the inner learner's."""

    def _inner_estimator(self):
        return SoftmaxRegression() if self.estimator is None else self.estimator

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner_tags = get_tags(self._inner_estimator())
        tags.input_tags.sparse = inner_tags.input_tags.sparse
        tags.input_tags.allow_nan = inner_tags.input_tags.allow_nan
        return tags


class LabelSmoothingClassifier(
    InnerLearnerMixin, MetaEstimatorMixin, ClassifierMixin, BaseEstimator
):
    """Fit a classifier on label-smoothed soft targets.

    ``fit`` encodes the labels (any type: strings, integers, in any order) as
    codes ``0..K-1``, smooths them into soft targets (see
    :func:`~sksmooth.smooth_labels`) and fits a clone of ``estimator`` on them.
    Predictions are mapped back to the original labels. ``y`` may also be a
    soft-target matrix (annotator vote shares, a teacher model's
    probabilities), smoothed the same way.

    The inner estimator receives the soft targets in one of two ways:

    - **natively**, if it declares ``__sksmooth_soft_targets__ = True`` (every
      sksmooth learner does): ``fit(X, Y, sample_weight)``;
    - **by expansion**, if it does not but its ``fit`` takes ``sample_weight``
      (``LogisticRegression``, ``HistGradientBoostingClassifier``,
      ``RandomForestClassifier``, ...): every row ``i`` is repeated once for
      each class ``k`` with ``Y_ik > 0``, labelled ``k`` and weighted
      ``w_i * Y_ik``. For a model that minimises the weighted log-loss this is
      exactly the soft cross-entropy objective. It costs up to ``K`` copies of
      ``X`` (``n * K`` rows; only rows that carry weight are kept), so a smoothing
      method with zeros (``"off_target"`` with ``epsilon=0``, a sparse
      similarity matrix) keeps it smaller; ``max_expansion_mib`` bounds it.

    Parameters
    ----------
    estimator : estimator object, default=None
        The classifier to fit; ``None`` means ``SoftmaxRegression()``.
    epsilon : float, default=0.1
        Smoothing strength; ``0`` fits on the targets unchanged. It must leave
        each class the strict maximum of its own smoothed row (the error gives
        the bound for the method and the data).
    method : {"uniform", "off_target", "prior"}, array-like of shape \
            (n_classes, n_classes) or callable, default="uniform"
        How the ``epsilon`` mass is spread:
        ``"uniform"``: ``(1 - epsilon) * onehot + epsilon / K``;
        ``"off_target"``: ``1 - epsilon`` on the true class, ``epsilon / (K-1)``
        on every other one;
        ``"prior"``: ``(1 - epsilon) * onehot + epsilon * class_prior_``;
        a class-similarity matrix ``S`` aligned with ``classes_`` (row ``k``:
        where the mass of class ``k`` goes; non-negative, rows summing to one,
        zero diagonal allowed): ``(1 - epsilon) * onehot + epsilon * S[y]``,
        smoothing toward classes that are genuinely close. A callable is called
        with ``classes_`` in ``fit`` and returns such a matrix (handy when the
        number of classes is only known from the data, e.g. in a search).
        For soft targets ``Y`` the result is ``(1 - epsilon) * Y + epsilon * Y @ S``
        with the method's matrix ``S``.
    smooth : {"targets", "predictions"}, default="targets"
        Which side of the loss is smoothed. ``"targets"``: the learner fits the
        smoothed targets above, which curbs over-confidence. ``"predictions"``
        (forward correction, Patrini et al., 2017): the labels stay as they
        are, and the learner scores them against its smoothed prediction
        ``p @ T``, ``T = (1 - epsilon) * I + epsilon * S`` with the method's
        matrix ``S``, read as how labels get corrupted (symmetric noise at
        rate ``r`` is ``"uniform"`` with ``epsilon = r * K / (K - 1)``);
        ``predict_proba`` returns ``p``, an estimate of the clean classes.
        Use it when the labels are known or suspected to be noisy. Needs a
        learner whose ``fit`` takes ``transition`` (``SoftmaxRegression``,
        ``SoftMLPClassifier``, ``SoftLGBMClassifier``); the expansion path
        cannot do it. See the user guide's "Noisy labels" section.
    class_weight : dict or "balanced", default=None
        Weights of the classes, applied by the **labelled** class before
        smoothing: each sample's weight is multiplied by the weight of the class
        it was labelled with (a dict maps labels to weights, unnamed classes
        weigh one; ``"balanced"`` is ``n_samples / (n_classes *
        np.bincount(y))``, counting sample weights), and the inner estimator
        receives these as sample weights (on both paths). For soft targets
        ``y``, each sample's weight is multiplied by ``sum_k class_weight[k] *
        Y_ik`` of the targets as given (before smoothing). So the smoothed
        loss of a sample is weighted as a whole; this is not PyTorch's
        ``CrossEntropyLoss(weight=..., label_smoothing=...)``, which weights
        the smoothing term of every class by that class's weight.
        ``class_prior_`` does not use the class weights.
    max_expansion_mib : float or None, default=256
        Largest size, in MiB (2**20 bytes), of the expanded data set the
        expansion path hands to ``estimator``: the repeated rows of ``X`` plus
        their labels and weights, computed before anything is copied. Above
        it ``fit`` raises a ``ValueError`` stating the size, before the inner
        estimator is fitted. ``None`` removes the limit; the native path
        (sksmooth's learners) never copies ``X`` and ignores it. The inner
        estimator needs memory of its own on top, often more than the copy:
        ``LogisticRegression`` with ``K`` classes holds about two float64
        arrays of ``n_rows x K``, which for many classes and few features is
        several times the copy. So 256 MiB of copy can already mean gigabytes
        in the inner fit; past it, a native learner (no copy, ``O(n * K)``
        extra memory) is the better tool.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``; its classes are ``0..K-1``.
    classes_ : ndarray of shape (n_classes,)
        The original class labels, sorted; for soft targets the sorted
        column names of a DataFrame, else ``arange(K)``.
    class_prior_ : ndarray of shape (n_classes,)
        The (sample-weighted) class frequencies of the training targets, used
        by ``method="prior"``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    smooth_labels : The smoothing applied to the labels.
    SoftmaxRegression : The default soft-target learner.
    SoftMLPClassifier : A neural network that takes soft targets.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sksmooth import LabelSmoothingClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> labels = load_iris().target_names[y]
    >>> model = make_pipeline(StandardScaler(), LabelSmoothingClassifier(epsilon=0.1))
    >>> model.fit(X, labels).predict(X[:2])
    array(['setosa', 'setosa'], dtype='<U10')

    Smoothing toward a neighbouring class only, for a gradient-boosting model
    (fitted by expansion):

    >>> neighbours = np.array([[0, 1, 0], [0.5, 0, 0.5], [0, 1, 0]])
    >>> boosted = LabelSmoothingClassifier(
    ...     HistGradientBoostingClassifier(max_iter=20), epsilon=0.1,
    ...     method=neighbours).fit(X, y)
    >>> boosted.predict_proba(X[:1]).round(1).tolist()
    [[0.9, 0.1, 0.0]]
    """

    def __init__(
        self,
        estimator=None,
        *,
        epsilon: float = 0.1,
        method="uniform",
        smooth: str = "targets",
        class_weight=None,
        max_expansion_mib: float | None = DEFAULT_MAX_EXPANSION_MIB,
    ):
        self.estimator = estimator
        self.epsilon = epsilon
        self.method = method
        self.smooth = smooth
        self.class_weight = class_weight
        self.max_expansion_mib = max_expansion_mib

    def fit(self, X, y, sample_weight=None, *, y_verified=None, **fit_params):
        """Smooth the targets and fit a clone of ``estimator`` on them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, validated by the inner estimator.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, or soft targets (non-negative rows summing to one;
            column ``k`` is class ``k``; a DataFrame's columns name the classes).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights ``class_prior_``, and is passed to the inner estimator's
            ``fit`` (multiplied into the row weights on the expansion path),
            times the class weights of ``class_weight``. With metadata routing
            enabled, it reaches the inner estimator only if the inner
            estimator requests it (``set_fit_request(sample_weight=True)``).
        **fit_params : dict
            Only with metadata routing enabled
            (``sklearn.set_config(enable_metadata_routing=True)``): further
            parameters of the inner estimator's ``fit``, passed as it requests
            them; on the expansion path per-sample ones are repeated with
            their rows.
        y_verified : array-like of shape (n_samples,), default=None
            The verified class of the rows someone checked, a missing value
            (``None``, ``NaN``, pandas' ``NA``) on the others; ``y`` keeps the
            labels as given. The checked rows are fitted with their verified
            class; with ``smooth="predictions"`` they are scored against ``p``
            itself rather than ``p @ T`` (the learner's ``fit`` must take
            ``verified``), and ``method="counted"`` counts ``T`` on them (see
            :func:`~sksmooth.targets.counted_transition`). Needs ``y`` as
            labels, in memory.

        Returns
        -------
        self : LabelSmoothingClassifier
            The fitted meta-estimator.
        """
        max_mib = self.max_expansion_mib
        if max_mib is not None:
            check_param(max_mib, "max_expansion_mib", Real, low=0, low_open=True)
        inner = self._inner_estimator()
        forward = check_smooth(self.smooth, inner, type(self).__name__)
        if is_dask_collection(X):
            refuse_verified_on_dask(y_verified, type(self).__name__, "y_verified")
            fitted, classes, prior = self._fit_dask(
                inner, X, y, sample_weight, fit_params, forward
            )
        else:
            fitted, classes, prior = self._fit_in_memory(
                inner, X, y, sample_weight, fit_params, forward, y_verified
            )
        self.estimator_ = fitted
        self.classes_ = classes
        self.class_prior_ = prior
        self.n_features_in_ = fitted.n_features_in_
        if hasattr(fitted, "feature_names_in_"):
            self.feature_names_in_ = fitted.feature_names_in_
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def _fit_in_memory(
        self, inner, X, y, sample_weight, fit_params, forward, y_verified=None
    ):
        """Smooth in memory and fit ``inner``, natively or by expansion.

        Returns ``(fitted, classes, prior)``; sets nothing.
        """
        native = accepts_soft_targets(inner)
        if not native and not has_fit_parameter(inner, "sample_weight"):
            raise TypeError(
                f"estimator={type(inner).__name__}() can take neither soft targets "
                "nor sample weights. LabelSmoothingClassifier needs a learner whose "
                "fit accepts a (n_samples, n_classes) probability matrix as y "
                "(marked __sksmooth_soft_targets__ = True, as sksmooth's learners "
                "are) or whose fit accepts sample_weight, to fit it on an expanded "
                "dataset."
            )
        targets, classes = check_targets(y, np.float64, type(self).__name__)
        check_consistent_length(X, targets)
        n_samples, n_classes = targets.shape[0], classes.shape[0]
        weights = check_sample_weight(sample_weight, n_samples, np.float64)
        inner_params = self._routed_fit_params(sample_weight, fit_params)
        inner_weights = apply_class_weight(
            self.class_weight,
            classes,
            targets,
            check_sample_weight(
                inner_params.pop("sample_weight", None), n_samples, np.float64
            ),
            np.float64,
        )
        checked = self._check_verified(y_verified, targets, classes, inner, forward)
        counted = None
        if checked is not None:
            targets = checked.codes
            if isinstance(self.method, str) and self.method == COUNTED:
                counted = checked.transition(sample_weight=weights)
        prior = class_prior(targets, n_classes, weights)
        plan = plan_smoothing(self.method, classes, prior=prior, counted=counted)
        epsilon = plan.check_epsilon(self.epsilon)
        if forward:  # the labels as they are; the learner smooths p by T
            if inner_weights is not None:
                inner_params["sample_weight"] = inner_weights
            inner_params["transition"] = plan.transition(epsilon)
            if checked is not None:
                inner_params["verified"] = checked.mask
            return clone(inner).fit(X, targets, **inner_params), classes, prior
        Y = plan.smooth(targets, epsilon)
        if native:
            if inner_weights is not None:
                inner_params["sample_weight"] = inner_weights
            return clone(inner).fit(X, Y, **inner_params), classes, prior
        fitted = self._fit_expanded(inner, X, Y, inner_weights, inner_params)
        return fitted, classes, prior

    def _check_verified(self, y_verified, targets, classes, inner, forward):
        """``y_verified`` checked (see :func:`check_verified_labels`), before
        any fit: it needs labels, and with forward smoothing a learner whose
        ``fit`` takes ``verified``; ``method="counted"`` warns about classes
        no checked row has."""
        if y_verified is None:
            return None
        if targets.ndim == 2:
            raise ValueError(
                "y_verified needs y as class labels; with soft targets, put "
                "what was checked into the targets themselves."
            )
        if forward and not has_fit_parameter(inner, "verified"):
            raise TypeError(
                f"y_verified with smooth='predictions' needs a learner whose fit "
                f"takes verified (SoftmaxRegression, SoftMLPClassifier); "
                f"{type(inner).__name__} does not."
            )
        checked = check_verified_labels(
            y_verified, targets, classes, type(self).__name__
        )
        counting = isinstance(self.method, str) and self.method == COUNTED
        if checked is not None and counting:
            warn_unchecked_classes(checked, classes)
        return checked

    def _fit_expanded(self, inner, X, Y, weights, inner_params):
        """Fit a clone of ``inner`` on every row repeated once per class with
        target mass, labelled by the class and weighted ``w_i * Y_ik``."""
        n_samples = Y.shape[0]
        X = rows_source(X)
        self._check_expansion_size(X, Y, inner)
        rows, labels = np.nonzero(Y)
        row_weights = Y[rows, labels]
        if weights is not None:
            row_weights *= weights[rows]
        X_rows = take_rows(X, rows)
        row_params = take_param_rows(inner_params, rows, n_samples)
        del X, Y, rows  # the inner fit needs only the expanded copies
        return clone(inner).fit(X_rows, labels, sample_weight=row_weights, **row_params)

    def _fit_dask(self, inner, X, y, sample_weight, fit_params, forward):
        """Smooth dask targets block by block; ``inner`` fits natively on them.

        The classes are found once with Dask, the class prior is one
        reduction; the inner learner must fit on dask arrays itself.
        """
        if not accepts_dask(inner):
            raise TypeError(
                f"LabelSmoothingClassifier(estimator={type(inner).__name__}()) cannot "
                "fit on dask arrays: only learners that fit on them natively, block "
                "by block (SoftmaxRegression and SoftMLPClassifier), can; other "
                "estimators take the expansion path, which needs the data in "
                "memory. Use one of those learners, or pass X.compute()."
            )
        if fit_params or get_config()["enable_metadata_routing"]:
            raise ValueError(
                "LabelSmoothingClassifier cannot route fit parameters on dask arrays "
                "yet; pass only sample_weight, with metadata routing disabled."
            )
        api = dask_api()
        blocks = api.label_blocks(X, y, sample_weight, type(self).__name__)
        prior = api.class_prior(blocks)
        plan = plan_smoothing(self.method, blocks.classes, prior=prior)
        epsilon = plan.check_epsilon(self.epsilon)
        # Weighted by the labelled class, before smoothing (as in memory); the
        # class prior above is not.
        inner_weights = api.class_weighted(blocks, self.class_weight)
        params = {} if inner_weights is None else {"sample_weight": inner_weights}
        if forward:
            params["transition"] = plan.transition(epsilon)
            Y = blocks.targets
        else:
            Y = api.smooth_blocks(blocks, epsilon, plan.S)
        return clone(inner).fit(blocks.X, Y, **params), blocks.classes, prior

    def _check_expansion_size(self, X, Y, inner):
        """Refuse, before any copy, an expansion above ``max_expansion_mib``."""
        if self.max_expansion_mib is None:
            return
        kept_per_row = np.count_nonzero(Y, axis=1)
        size = expanded_nbytes(X, kept_per_row)
        if size <= self.max_expansion_mib * _MIB:
            return
        n_rows, n_classes = int(kept_per_row.sum()), Y.shape[1]
        raise ValueError(
            f"Fitting {type(inner).__name__} by expansion would copy X into "
            f"{n_rows:,} rows ({Y.shape[0]:,} samples x {n_rows / Y.shape[0]:.3g} "
            f"classes with weight): {size:,} bytes ({size / _MIB:,.4g} MiB) for X, "
            f"labels and weights, above max_expansion_mib={self.max_expansion_mib}. "
            "The inner estimator needs its own memory on top (a multinomial "
            "model such as LogisticRegression holds about two float64 arrays of "
            f"rows x classes: {2 * n_rows * n_classes * 8 / _MIB:,.4g} MiB here). "
            "Use a learner that takes soft targets natively (SoftmaxRegression, "
            "SoftMLPClassifier: no copy of X); or keep fewer rows with a sparser "
            'smoothing (method="off_target" with epsilon=0, or a sparse '
            "class-similarity matrix as method); or raise max_expansion_mib "
            "(None: no limit)."
        )

    def _routed_fit_params(self, sample_weight, fit_params):
        """The inner estimator's fit parameters, ``sample_weight`` included.

        Without metadata routing, ``sample_weight`` goes to the inner
        estimator as before and nothing else is accepted; with routing, what
        the inner estimator requested (scikit-learn raises for the rest).
        """
        if get_config()["enable_metadata_routing"]:
            routed = process_routing(
                self, "fit", sample_weight=sample_weight, **fit_params
            )
            return dict(routed["estimator"]["fit"])
        if fit_params:
            raise ValueError(
                f"{type(self).__name__}.fit got the unexpected parameters "
                f"{sorted(fit_params)}; extra fit parameters reach the inner "
                "estimator only with metadata routing enabled: "
                "sklearn.set_config(enable_metadata_routing=True)."
            )
        return {} if sample_weight is None else {"sample_weight": sample_weight}

    def get_metadata_routing(self):
        """How ``fit``'s metadata are routed.

        ``fit`` consumes ``sample_weight`` itself (for ``class_prior_``) and
        routes what the inner estimator requests to its ``fit``.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
            The routing information.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                estimator=self._inner_estimator(),
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        )

    @blockwise_on_dask
    def predict(self, X):
        """Predict class labels.

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
        check_feature_names(self, X)
        codes = self.estimator_.predict(X)
        return self.classes_[np.asarray(codes, dtype=np.intp)]

    @available_if(_fitted_estimator_has("predict_proba"))
    @blockwise_on_dask
    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        check_is_fitted(self)
        check_feature_names(self, X)
        proba = self.estimator_.predict_proba(X)
        return self._all_columns(proba, fill=0.0)

    @available_if(_fitted_estimator_has("predict_log_proba"))
    @blockwise_on_dask
    def predict_log_proba(self, X):
        """Logarithm of the probability of each class.

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
        check_feature_names(self, X)
        log_proba = self.estimator_.predict_log_proba(X)
        return self._all_columns(log_proba, fill=-np.inf)

    @available_if(_fitted_estimator_has("decision_function"))
    @blockwise_on_dask
    def decision_function(self, X):
        """Decision scores of the inner estimator, one column per class.

        When the inner estimator was fitted on all of ``classes_``, its scores
        are returned as they are. An expanded fit can miss a class (see
        :meth:`predict_proba`); then there is one column per class of
        ``classes_``, the missing classes' columns hold ``-inf`` (like
        :meth:`predict_log_proba`: never predicted, ranked last), and a binary
        inner estimator's score ``s`` (of its second class) becomes the
        columns ``-s/2`` and ``s/2`` of its two classes, which keeps the
        softmax of a log-odds score equal to its probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            1-D for two classes (the score of ``classes_[1]``), otherwise one
            column per class of ``classes_``.
        """
        check_is_fitted(self)
        check_feature_names(self, X)
        scores = self.estimator_.decision_function(X)
        if scores.ndim == 1 and len(self.estimator_.classes_) < len(self.classes_):
            scores = np.column_stack([-scores / 2, scores / 2])
        return self._all_columns(scores, fill=-np.inf)

    # Mean accuracy; reduced on the workers when X is a dask array.
    score = score_with_dask

    def _all_columns(self, values, fill):
        """One column per class of ``classes_``.

        An expanded fit can miss a class whose smoothed targets are all zero
        (soft targets with an empty column, or a similarity matrix with zeros);
        its column gets ``fill``.
        """
        inner_classes = np.asarray(self.estimator_.classes_, dtype=np.intp)
        if inner_classes.shape[0] == self.classes_.shape[0]:
            return values
        full = np.full((values.shape[0], self.classes_.shape[0]), fill)
        full[:, inner_classes] = values
        return full
