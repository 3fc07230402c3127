"""A multi-layer perceptron classifier trained on soft targets."""

import functools
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from sksmooth._backend import dask_api, is_dask_collection, refuse_verified_on_dask
from sksmooth._base import SoftTargetClassifier
from sksmooth._mlp_loss import ACTIVATIONS, MLPSoftCrossEntropy, forward_logits
from sksmooth._solvers import SolverOptions, lbfgs, report_result
from sksmooth._validation import check_param, check_transition
from sksmooth._verified import check_verified

# MLPClassifier(solver="lbfgs") keeps scipy's defaults for these two options.
SCIPY_MAXLS = 20
SCIPY_FTOL = 2.220446049250313e-09

# Largest alpha / sum(sample_weight): L-BFGS-B forms squared gradient changes,
# which grow like this penalty scale squared and overflow float64 (max 1.8e308)
# near sqrt(1.8e308) = 1.3e154; the limit keeps a margin below that.
MAX_PENALTY_SCALE = 1e150


class SoftMLPClassifier(SoftTargetClassifier):
    """Multi-layer perceptron classifier that accepts soft targets.

    The network, its initialisation and its objective are those of
    :class:`~sklearn.neural_network.MLPClassifier` with ``solver="lbfgs"``: the
    sample-weighted cross-entropy plus ``alpha / 2 * ||W||^2`` on the weights,
    both divided by the sum of the sample weights, minimised with
    ``scipy.optimize.minimize``'s L-BFGS-B on one flat parameter vector. The
    targets may be labels or a soft-target matrix. Two classes use one logistic
    output unit, more classes a softmax over ``K`` units.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(100,)
        Number of units of each hidden layer; at least one layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Hidden-layer activation.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights (not the intercepts). Like
        the loss it is divided by ``sum(sample_weight)`` (weights count as
        samples), so tiny weights mean a strong penalty; ``fit`` refuses an
        ``alpha / sum(sample_weight)`` above ``1e150``, beyond float64's reach
        in the solver (a ``ValueError`` that says what to do).
    class_weight : dict or "balanced", default=None
        Weights of the classes, as in ``LogisticRegression``: each sample's
        weight is multiplied by its class's weight (a dict maps labels to
        weights, unnamed classes weigh one; ``"balanced"`` is
        ``n_samples / (n_classes * np.bincount(y))``, counting sample weights).
        For soft targets, each sample's weight is multiplied by
        ``sum_k class_weight[k] * Y_ik`` (its expected class weight), and
        ``"balanced"`` counts class ``k`` as ``sum_i w_i * Y_ik``.
    max_iter : int, default=200
        Largest number of L-BFGS iterations.
    tol : float, default=1e-4
        The solver stops when every component of the gradient is at most
        ``tol``.
    max_fun : int, default=15000
        Largest number of loss-and-gradient evaluations.
    random_state : int, RandomState instance or None, default=None
        Seeds the Glorot-uniform initialisation (drawn as ``MLPClassifier``
        draws it). The same seed gives a bit-identical model.
    warm_start : bool, default=False
        Continue from the current weights when refitting on data with the same
        number of features and classes.
    verbose : bool, default=False
        Print the objective at every iteration.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels; for soft targets the sorted column names of a
        DataFrame, else ``arange(n_classes)``.
    coefs_ : list of ndarray
        ``coefs_[i]`` has shape ``(units of layer i, units of layer i + 1)``.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` has shape ``(units of layer i + 1,)``.
    loss_ : float
        The objective at the returned weights.
    loss_curve_ : list of float
        The objective after each L-BFGS iteration.
    n_iter_ : int
        Number of L-BFGS iterations run.
    n_evaluations_ : int
        Number of evaluations of the objective (each one forward and backward
        pass over the data) the fit made.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units (1 for two classes).
    out_activation_ : str
        ``"logistic"`` for two classes, ``"softmax"`` otherwise.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    LabelSmoothingClassifier : Smooths labels, then fits a soft-target learner.
    sklearn.neural_network.MLPClassifier : The same network on hard labels.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sksmooth import LabelSmoothingClassifier, SoftMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> mlp = SoftMLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    >>> smoothed = LabelSmoothingClassifier(mlp, epsilon=0.1).fit(X, y)
    >>> float(smoothed.score(X, y)) > 0.95
    True
    """

    # fit fits dask arrays natively, block by block (see _fit_dask)
    __sksmooth_dask__ = True

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation: str = "relu",
        *,
        alpha: float = 1e-4,
        class_weight=None,
        max_iter: int = 200,
        tol: float = 1e-4,
        max_fun: int = 15000,
        random_state=None,
        warm_start: bool = False,
        verbose: bool = False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol
        self.max_fun = max_fun
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    def _check_params(self) -> tuple[int, ...]:
        """Validate the hyper-parameters; return the hidden sizes as a tuple."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise TypeError(
                "hidden_layer_sizes must be an int or a tuple of ints, got "
                f"{self.hidden_layer_sizes!r}."
            ) from None
        if len(sizes) == 0:
            raise ValueError(
                "hidden_layer_sizes must hold at least one layer size, got ()."
            )
        for size in sizes:
            if isinstance(size, bool) or not isinstance(size, Integral):
                raise TypeError(
                    "hidden_layer_sizes must hold ints, got "
                    f"{self.hidden_layer_sizes!r}."
                )
            if size < 1:
                raise ValueError(
                    "hidden_layer_sizes must hold positive sizes, got "
                    f"{self.hidden_layer_sizes!r}."
                )
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {list(ACTIVATIONS)}, got "
                f"{self.activation!r}."
            )
        check_param(self.alpha, "alpha", Real, low=0)
        check_param(self.max_iter, "max_iter", Integral, low=1)
        check_param(self.max_fun, "max_fun", Integral, low=1)
        check_param(self.tol, "tol", Real, low=0, low_open=True)
        check_param(self.warm_start, "warm_start", bool)
        if not isinstance(self.verbose, bool | Integral):
            raise TypeError(f"verbose must be a bool, got {self.verbose!r}.")
        check_random_state(self.random_state)
        return tuple(int(size) for size in sizes)

    def fit(self, X, y, sample_weight=None, transition=None, verified=None):
        """Fit the network to labels or soft targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 input is computed in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, or soft targets: non-negative rows summing to one,
            column ``k`` being class ``k`` (a DataFrame's columns name the
            classes).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; ``None`` gives every sample weight one.
            Multiplied by the class weights of ``class_weight``.
        transition : array-like of shape (n_classes, n_classes), default=None
            Forward smoothing (``smooth="predictions"`` of the meta-estimators):
            a row-stochastic matrix ``T``, row ``j`` the distribution of the
            observed label given true class ``j`` (rows and columns in the order
            of ``classes_``). The data term then scores ``y`` against
            ``p @ T`` instead of ``p``, so that ``predict_proba``, which returns
            ``p``, estimates the classes the labels were corrupted from.
            ``None`` (or the identity) is the plain fit.
        verified : array-like of shape (n_samples,) of bool, default=None
            With ``transition``: the rows whose label someone checked, scored
            against ``p`` itself rather than ``p @ T`` (their ``y`` is the
            verified class). Without ``transition`` it changes nothing.

        Returns
        -------
        self : SoftMLPClassifier
            The fitted estimator.
        """
        hidden = self._check_params()
        if is_dask_collection(X):
            refuse_verified_on_dask(verified, type(self).__name__)
            return self._fit_dask(X, y, sample_weight, hidden, transition)
        X_checked, targets, sample_weight, classes = self._validate_fit_data(
            X, y, sample_weight
        )
        if transition is not None:
            transition = check_transition(transition, len(classes), targets)
        verified = check_verified(verified, X_checked.shape[0])
        self._check_penalty_scale(X_checked.shape[0], sample_weight)
        loss = self._make_loss(
            X_checked,
            targets,
            sample_weight,
            n_classes=len(classes),
            total_weight=(
                X_checked.shape[0] if sample_weight is None else sample_weight.sum()
            ),
            hidden_layer_sizes=hidden,
            transition=transition,
            verified=verified,
        )
        del targets  # the loss keeps its own weighted block
        curve = []
        result = lbfgs(
            loss.loss_gradient,
            self._initial_weights(loss, classes),
            self._solver_options(),
            **self._scipy_options(curve),
        )
        return self._set_solution(result, loss, classes, X, X_checked.dtype, curve)

    def _make_loss(
        self,
        X,
        targets,
        sample_weight,
        *,
        n_classes,
        total_weight,
        hidden_layer_sizes,
        transition=None,
        verified=None,
    ):
        """The objective on ``X``, with the learner's penalty; without it for
        ``total_weight=None``, a row block of a distributed fit whose data
        terms are summed elsewhere. (``alpha`` is divided by the total weight
        inside the objective, so any number here means "penalised".)"""
        return MLPSoftCrossEntropy(
            X,
            targets,
            sample_weight,
            n_classes=n_classes,
            hidden_layer_sizes=hidden_layer_sizes,
            activation=self.activation,
            alpha=0.0 if total_weight is None else self.alpha,
            transition=transition,
            verified=verified,
        )

    def _solver_options(self) -> SolverOptions:
        return SolverOptions(
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=int(self.verbose),
            name=type(self).__name__,
        )

    def _scipy_options(self, curve: list) -> dict:
        """``MLPClassifier``'s L-BFGS-B options; the loss curve goes to ``curve``."""
        return {
            "max_fun": self.max_fun,
            "maxls": SCIPY_MAXLS,
            "ftol": SCIPY_FTOL,
            "callback": lambda x, value: curve.append(value),
        }

    def _fit_dask(self, X, y, sample_weight, hidden, transition):
        """:meth:`fit` on dask arrays: L-BFGS on the objective summed over the
        row blocks where they live (see :mod:`sksmooth._dask`)."""
        curve = []
        with dask_api().summed_objective(
            X,
            y,
            sample_weight,
            class_weight=self.class_weight,
            estimator_name=type(self).__name__,
            make_loss=functools.partial(self._make_loss, hidden_layer_sizes=hidden),
            transition=transition,
        ) as objective:
            start = self._initial_weights(objective.loss, objective.classes)
            result = lbfgs(
                objective.loss_gradient,
                start,
                self._solver_options(),
                **self._scipy_options(curve),
            )
        return self._set_solution(
            result, objective.loss, objective.classes, X, objective.dtype, curve
        )

    def _set_solution(self, result, loss, classes, X, dtype, curve):
        """Set the fitted attributes from the solver's ``result``, if finite.

        ``loss`` only needs ``unpack`` and ``layer_units`` (the in-memory
        objective, or the distributed fit's parameter layout); ``X`` is the raw
        input, for ``n_features_in_`` and ``feature_names_in_``. An unconverged
        ``result`` is reported first (a ``ConvergenceWarning`` at the caller of
        ``fit``).
        """
        report_result(result, type(self).__name__, stacklevel=3)
        if not (np.isfinite(result.value) and np.all(np.isfinite(result.solution))):
            raise FloatingPointError(
                "SoftMLPClassifier produced non-finite weights; scale the data "
                "(e.g. with StandardScaler), increase alpha, or use a smoother "
                "activation."
            )
        coefs, intercepts = loss.unpack(result.solution)
        self._set_input_metadata(X)
        self.classes_ = classes
        self.coefs_ = [c.astype(dtype) for c in coefs]
        self.intercepts_ = [b.astype(dtype) for b in intercepts]
        self.loss_ = float(result.value)
        self.loss_curve_ = curve
        self.n_iter_ = result.iterations
        self.n_evaluations_ = result.evaluations
        self.n_layers_ = len(loss.layer_units)
        self.n_outputs_ = loss.layer_units[-1]
        self.out_activation_ = "logistic" if self.n_outputs_ == 1 else "softmax"
        return self

    def _check_penalty_scale(self, n_samples, sample_weight):
        """Refuse a penalty ``alpha / sum(sample_weight)`` the solver cannot carry.

        Rescaling the weights is no way out: the objective
        ``(sum_i w_i H_i + alpha / 2 ||W||^2) / sum(w)`` changes with their scale
        unless ``alpha`` scales along, which leaves this ratio as it is.
        """
        weight_sum = n_samples if sample_weight is None else float(sample_weight.sum())
        scale = self.alpha / weight_sum
        if scale <= MAX_PENALTY_SCALE:
            return
        raise ValueError(
            f"sample_weight sums to {weight_sum:.3g}, so the L2 penalty "
            f"alpha / sum(sample_weight) = {scale:.3g} is above {MAX_PENALTY_SCALE:g}"
            ": beyond what L-BFGS can solve in float64. The penalty is divided by "
            "the sum of the weights, as in MLPClassifier (weights count as "
            "samples). If the weights are meant as relative, normalise them "
            "(e.g. sample_weight / sample_weight.mean()); with alpha=0 any "
            "positive scale works."
        )

    def _initial_weights(self, loss, classes):
        """Previous weights when warm-starting on the same shapes, else Glorot.

        The draws follow ``MLPClassifier``: per layer, weights then intercepts,
        uniform in ``+-sqrt(factor / (fan_in + fan_out))`` with ``factor = 2``
        for the logistic activation and ``6`` otherwise.
        """
        if (
            self.warm_start
            and hasattr(self, "coefs_")
            and [c.shape for c in self.coefs_] == loss.coef_shapes
            and np.array_equal(self.classes_, classes)
        ):
            return loss.pack(self.coefs_, self.intercepts_)
        rng = check_random_state(self.random_state)
        factor = 2.0 if self.activation == "logistic" else 6.0
        coefs, intercepts = [], []
        for fan_in, fan_out in loss.coef_shapes:
            bound = np.sqrt(factor / (fan_in + fan_out))
            coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
            intercepts.append(rng.uniform(-bound, bound, fan_out))
        return loss.pack(coefs, intercepts)

    def _raw_output(self, X):
        X = self._validate_X_predict(X)
        return forward_logits(X, self.coefs_, self.intercepts_, self.activation)
