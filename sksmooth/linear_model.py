"""Multinomial logistic regression trained on soft targets."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils.extmath import safe_sparse_dot

from sksmooth._backend import (
    blockwise_on_dask,
    dask_api,
    is_dask_collection,
    refuse_verified_on_dask,
)
from sksmooth._base import SoftTargetClassifier
from sksmooth._capabilities import PathCapabilities
from sksmooth._convergence import report_unconverged_points
from sksmooth._loss import LinearSoftCrossEntropy
from sksmooth._paths import SOLVERS, SoftmaxProblem, minimize_loss, softmax_path
from sksmooth._solvers import SolverOptions, lbfgs, report_result
from sksmooth._targets import check_smooth, class_prior, plan_smoothing
from sksmooth._validation import (
    check_Cs,
    check_param,
    check_sample_weight,
    check_transition,
)
from sksmooth._verified import check_verified

# The values of C that LabelSmoothingClassifierCV(param_grid="auto") searches
# with this learner: LogisticRegressionCV's default Cs=10.
DEFAULT_C_GRID = tuple(float(C) for C in np.logspace(-4, 4, 10))


class SoftmaxRegression(SoftTargetClassifier):
    """Multinomial logistic regression that accepts soft targets.

    Minimises scikit-learn's L2-penalised logistic-regression objective with
    soft targets ``Y``::

        C * sum_i w_i * H(Y_i, p_i) + ||W||^2 / 2,   H(Y, p) = -sum_k Y_k log p_k

    (the intercept is not penalised) with ``scipy.optimize.minimize``'s L-BFGS-B
    or a truncated Newton method. With one-hot targets this is exactly
    :class:`~sklearn.linear_model.LogisticRegression` (``penalty="l2"``); with
    ``solver="lbfgs"`` the same options and the same iterates.

    Two classes use one logit and the sigmoid; more classes use one logit per
    class and the softmax.

    Parameters
    ----------
    C : float, default=1.0
        Inverse of the regularisation strength; must be positive.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept.
    class_weight : dict or "balanced", default=None
        Weights of the classes, as in ``LogisticRegression``: each sample's
        weight is multiplied by its class's weight (a dict maps labels to
        weights, unnamed classes weigh one; ``"balanced"`` is
        ``n_samples / (n_classes * np.bincount(y))``, counting sample weights).
        For soft targets, each sample's weight is multiplied by
        ``sum_k class_weight[k] * Y_ik`` (its expected class weight), and
        ``"balanced"`` counts class ``k`` as ``sum_i w_i * Y_ik``.
    tol : float, default=1e-4
        The solver stops when every component of the gradient is at most
        ``tol`` (L-BFGS-B's ``gtol``). ``"newton-cg"`` also waits until the
        objective gap left after its last step, estimated from the step's
        Newton decrement, is below ``1e-8`` of the objective.
    max_iter : int, default=100
        Largest number of L-BFGS or Newton iterations.
    warm_start : bool, default=False
        Start from the previous solution when refitting on data with the same
        number of features and classes.
    verbose : int, default=0
        If positive, print the objective at every iteration.
    solver : {"lbfgs", "newton-cg"}, default="lbfgs"
        ``"lbfgs"``: scipy's L-BFGS-B with ``LogisticRegression``'s options.
        ``"newton-cg"``: truncated Newton (:func:`sksmooth._solvers.newton_cg`)
        with exact Hessian-vector products (two passes over ``X`` each) and a
        Jacobi preconditioner; it reaches the optimum itself, not just
        ``tol``, in a handful of steps even on ill-conditioned data, and a warm
        start near the solution costs one or two steps (see :meth:`fit_path`).
        The multinomial's flat direction (one constant added to every
        intercept) is projected out: intercepts are kept summing to zero.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels; for soft targets the sorted column names of a
        DataFrame, else ``arange(n_classes)``.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights; one row for two classes (the logit of ``classes_[1]``).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (zeros if ``fit_intercept=False``).
    n_iter_ : int
        Number of L-BFGS or Newton iterations run.
    n_evaluations_ : int
        Number of evaluations of the objective (each one pass of loss and
        gradient over the data) the fit made.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    LabelSmoothingClassifier : Smooths labels, then fits a soft-target learner.
    sklearn.linear_model.LogisticRegression : The same model on hard labels.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sksmooth import SoftmaxRegression, smooth_labels
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxRegression(max_iter=500).fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    >>> soft = SoftmaxRegression(max_iter=500).fit(X, smooth_labels(y, epsilon=0.2))
    >>> bool(soft.predict_proba(X).max() < clf.predict_proba(X).max())
    True
    """

    # fit fits dask arrays natively, block by block (see _fit_dask)
    __sksmooth_dask__ = True

    def __init__(
        self,
        C: float = 1.0,
        *,
        fit_intercept: bool = True,
        class_weight=None,
        tol: float = 1e-4,
        max_iter: int = 100,
        warm_start: bool = False,
        verbose: int = 0,
        solver: str = "lbfgs",
    ):
        self.C = C
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose
        self.solver = solver

    def _check_params(self):
        check_param(self.C, "C", Real, low=0, low_open=True)
        check_param(self.tol, "tol", Real, low=0, low_open=True)
        check_param(self.max_iter, "max_iter", Integral, low=1)
        check_param(self.fit_intercept, "fit_intercept", bool)
        check_param(self.warm_start, "warm_start", bool)
        check_param(self.verbose, "verbose", Integral, low=0)
        if not isinstance(self.solver, str) or self.solver not in SOLVERS:
            raise ValueError(
                f"solver must be one of {list(SOLVERS)}, got {self.solver!r}."
            )

    def fit(self, X, y, sample_weight=None, transition=None, verified=None):
        """Fit the model to labels or soft targets.

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
            Forward smoothing: a row-stochastic ``T``, row ``j`` the distribution
            of the observed label given true class ``j`` (in the order of
            ``classes_``); ``y`` is scored against ``p @ T``, so that
            ``predict_proba`` (``p``) estimates the classes the labels were
            corrupted from. ``None`` (or the identity) is the plain fit.
        verified : array-like of shape (n_samples,) of bool, default=None
            With ``transition``: rows whose label someone checked (``y`` is the
            verified class), scored against ``p`` itself, not ``p @ T``.

        Returns
        -------
        self : SoftmaxRegression
            The fitted estimator.
        """
        self._check_params()
        if is_dask_collection(X):
            refuse_verified_on_dask(verified, type(self).__name__)
            return self._fit_dask(X, y, sample_weight, transition)
        X_checked, targets, sample_weight, classes = self._validate_fit_data(
            X, y, sample_weight
        )
        if transition is not None:
            transition = check_transition(transition, len(classes), targets)
        verified = check_verified(verified, X_checked.shape[0])
        weight_sum = (
            X_checked.shape[0] if sample_weight is None else float(sample_weight.sum())
        )
        loss = self._make_loss(
            X_checked,
            targets,
            sample_weight,
            n_classes=len(classes),
            total_weight=weight_sum,
            transition=transition,
            verified=verified,
        )
        del targets  # the loss keeps its own weighted (K, n) block
        result = self._minimize(loss, self._initial_coef(loss, classes))
        return self._set_solution(result, loss, classes, X, X_checked.dtype)

    def _make_loss(
        self,
        X,
        targets,
        sample_weight,
        *,
        n_classes,
        total_weight,
        transition=None,
        verified=None,
    ):
        """The objective on ``X``: penalised for ``total_weight``, the samples'
        total weight, or without penalty for ``total_weight=None`` (a row block
        of a distributed fit, whose data terms are summed elsewhere); forward-
        corrected with a ``transition`` matrix."""
        l2 = 0.0 if total_weight is None else 1.0 / (self.C * total_weight)
        return LinearSoftCrossEntropy(
            X,
            targets,
            sample_weight,
            n_classes=n_classes,
            fit_intercept=self.fit_intercept,
            l2_reg_strength=l2,
            hessian=self.solver == "newton-cg" and total_weight is not None,
            transition=transition,
            verified=verified,
        )

    def _fit_dask(self, X, y, sample_weight, transition):
        """:meth:`fit` on dask arrays: L-BFGS on the objective summed over the
        row blocks where they live (see :mod:`sksmooth._dask`)."""
        if self.solver != "lbfgs":
            raise ValueError(
                f"{type(self).__name__}(solver={self.solver!r}) cannot fit on dask "
                "arrays yet; use solver='lbfgs', or compute X into memory."
            )
        with dask_api().summed_objective(
            X,
            y,
            sample_weight,
            class_weight=self.class_weight,
            estimator_name=type(self).__name__,
            make_loss=self._make_loss,
            transition=transition,
        ) as objective:
            start = self._initial_coef(objective.loss, objective.classes)
            result = lbfgs(objective.loss_gradient, start, self._solver_options())
        return self._set_solution(
            result, objective.loss, objective.classes, X, objective.dtype
        )

    def _set_solution(self, result, loss, classes, X, dtype):
        """Set the fitted attributes from the solver's ``result``, if finite.

        ``loss`` only needs ``unpack`` and ``n_logits`` (the in-memory objective,
        or the distributed fit's parameter layout); ``X`` is the raw input, for
        ``n_features_in_`` and ``feature_names_in_``. An unconverged ``result``
        is reported first (a ``ConvergenceWarning`` at the caller of ``fit``).
        """
        report_result(result, type(self).__name__, stacklevel=3)
        self._check_finite(result.solution)
        coef, intercept = loss.unpack(result.solution)
        self._set_input_metadata(X)
        self.classes_ = classes
        self.coef_, self.intercept_ = self._fitted_pair(
            coef, intercept, loss.n_logits, dtype
        )
        self.n_iter_ = result.iterations
        self.n_evaluations_ = result.evaluations
        return self

    def fit_path(
        self,
        X,
        y,
        epsilons,
        *,
        method="uniform",
        sample_weight=None,
        callback=None,
        Cs=None,
        smooth="targets",
        return_info=False,
        verified=None,
    ):
        """Fit the label-smoothed targets at every epsilon, one path.

        At each ``epsilon`` the model is fitted to ``(1 - epsilon) * onehot(y) +
        epsilon * S[y]`` (``S`` the spread matrix of ``method``, see
        :func:`~sksmooth.smooth_labels`), to the same ``tol`` as :meth:`fit`.
        This method checks its input, hands it to the stateless
        :func:`sksmooth._paths.softmax_path` and unpacks its solutions, as
        ``LogisticRegression.fit`` does with ``_logistic_regression_path``.

        With ``solver="lbfgs"`` the points are solved as one problem: the objective at
        ``epsilon`` is the one at 0 tilted by ``-epsilon * <b, w>``, so all
        share one Hessian, and one L-BFGS memory is carried from the largest
        epsilon down (in the order given when ``warm_start`` starts from a
        previous fit), each start predicted from the last solutions; for
        ``"uniform"`` and ``"prior"`` the first from the known solution at
        ``epsilon = 1``. With several ``Cs`` the memory serves every ``C``. A
        point that reaches ``max_iter`` does not stop the path: one
        ``ConvergenceWarning`` names such points. With ``solver="newton-cg"``
        the points are fitted in the order given, each start a homotopy
        predictor step along the tangent ``dw/de = -H^{-1} dg/de``.

        With ``smooth="predictions"`` (:meth:`fit` with ``transition=(1 -
        epsilon) I + epsilon S``) the problems are not tilts: L-BFGS carries
        its memory upward from epsilon to epsilon as approximate curvature;
        Newton warm-starts.
        A dask array is computed into memory (:meth:`fit` alone is blockwise).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels (not soft targets: the path smooths the labels).
        epsilons : array-like of shape (n_epsilons,)
            Smoothing strengths, any order (for ``"newton-cg"`` sorted values
            make the cheapest path). Each must be valid for ``method``.
        method : {"uniform", "off_target", "prior"}, array-like of shape \
                (n_classes, n_classes) or callable, default="uniform"
            As in :func:`~sksmooth.smooth_labels`; ``"prior"`` uses the
            (weighted) class frequencies of ``y``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        callback : callable, default=None
            Called as ``callback(i)`` when the point of ``epsilons[i]`` is
            solved, in the order the path walks (for timing each point); with
            ``Cs``, ``i`` is the point's index in ``path``.
        Cs : array-like of shape (n_Cs,), default=None
            The path at each of these ``C`` (not :attr:`C`), walked from the
            smallest up unless ``warm_start`` starts it from a previous fit.
        smooth : {"targets", "predictions"}, default="targets"
            As in :class:`~sksmooth.LabelSmoothingClassifier`.
        return_info : bool, default=False
            Also return what each point cost.
        verified : array-like of shape (n_samples,) of bool, default=None
            With ``smooth="predictions"``: rows whose label someone checked,
            scored against ``p`` itself (as in :meth:`fit`).

        Returns
        -------
        path : list of (coef, intercept)
            One pair per epsilon, in the order of ``epsilons``: arrays shaped
            as :attr:`coef_` and :attr:`intercept_`; with ``Cs``, one per
            ``(C, epsilon)``, ``path[j * n_epsilons + i]`` for ``(Cs[j],
            epsilons[i])``. The estimator is left fitted at the last pair
            (``n_iter_`` and ``n_evaluations_`` its counts; its ``C``
            unchanged).
        info : Bunch
            Only with ``return_info``: ``n_iter``, ``n_evaluations`` (of the
            objective, each one pass of loss and gradient; a predictor's counted
            with its point) and ``converged``, arrays in the order of ``path``.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sksmooth import SoftmaxRegression
        >>> X, y = load_iris(return_X_y=True)
        >>> model = SoftmaxRegression(max_iter=500)
        >>> path = model.fit_path(X, y, [0.0, 0.1, 0.2])
        >>> len(path), path[-1][0].shape
        (3, (3, 4))
        >>> path, info = model.fit_path(X, y, [0.0, 0.1, 0.2], return_info=True)
        >>> info.n_evaluations.shape, bool(info.converged.all())
        ((3,), True)
        """
        self._check_params()
        raw_weight = sample_weight
        X_checked, codes, sample_weight, classes = self._validate_fit_data(
            X, y, sample_weight
        )
        if codes.ndim != 1:
            raise ValueError(
                "fit_path smooths class labels: y must be 1-D labels, got soft "
                f"targets of shape {codes.shape}."
            )
        n_classes = len(classes)
        prior = None
        if isinstance(method, str) and method == "prior":
            # the class frequencies under the given weights, before class_weight
            prior = class_prior(
                codes,
                n_classes,
                check_sample_weight(raw_weight, codes.shape[0], X_checked.dtype),
            )
        plan = plan_smoothing(method, classes, prior=prior)
        S = plan.S
        epsilons = plan.check_epsilons(epsilons)
        Cs = [self.C] if Cs is None else check_Cs(Cs)
        forward = check_smooth(smooth, self, type(self).__name__)
        problem = SoftmaxProblem(
            X_checked,
            codes,
            sample_weight,
            S,
            self.fit_intercept,
            self._solver_options(),
            check_verified(verified, X_checked.shape[0]) if forward else None,
        )
        result = softmax_path(
            problem,
            epsilons,
            Cs,
            solver=self.solver,
            smooth="predictions" if forward else "targets",
            start=self._warm_coef(problem.n_logits, problem.n_features, classes),
            callback=callback,
        )
        path = []
        for coef in result.coefs:
            self._check_finite(coef)
            W, b = problem.unpack(coef)
            path.append(self._fitted_pair(W, b, problem.n_logits, X_checked.dtype))
        self._report_path(result, epsilons, Cs)
        self._set_input_metadata(X)
        self.classes_ = classes
        self.coef_, self.intercept_ = path[-1][0].copy(), path[-1][1].copy()
        self.n_iter_ = int(result.n_iter[-1])
        self.n_evaluations_ = int(result.n_evaluations[-1])
        if not return_info:
            return path
        info = Bunch(
            n_iter=result.n_iter,
            n_evaluations=result.n_evaluations,
            converged=result.converged,
        )
        return path, info

    def _path_capabilities(self) -> PathCapabilities:
        """What :meth:`fit_path` takes, for ``LabelSmoothingClassifierCV``:
        several ``C`` in one call (``Cs``), ``smooth="predictions"`` and a
        ``callback`` after each point."""
        return PathCapabilities(
            grid_parameter="C",
            grid_argument="Cs",
            default_grid=DEFAULT_C_GRID,
            smooth_predictions=True,
            timed=True,
            checked_rows=True,
        )

    def _report_path(self, result, epsilons, Cs):
        """One ``ConvergenceWarning`` that names the points of ``result`` that
        stopped short (inside a search: one message per point)."""
        missed = []
        for j, C in enumerate(Cs):
            where = "" if len(Cs) == 1 else f" (C={C:g})"
            stopped = ~result.converged[j * len(epsilons) : (j + 1) * len(epsilons)]
            missed += [f"{e:.6g}{where}" for e in np.asarray(epsilons)[stopped]]
        if not missed:
            return
        advice = (
            f"within max_iter={self.max_iter} {result.solver} iterations; the path "
            "went on. Increase max_iter, scale the data (e.g. with sklearn."
            "preprocessing.StandardScaler), or loosen tol."
        )
        name = f"{type(self).__name__}.fit_path"
        report_unconverged_points(
            [f"{name} did not converge at epsilon={e} {advice}" for e in missed],
            f"{name} did not converge at {len(missed)} of {len(result.coefs)} "
            f"epsilons ([{', '.join(missed)}]) {advice}",
            stacklevel=3,
        )

    @staticmethod
    def _check_finite(coef):
        if not np.all(np.isfinite(coef)):
            raise FloatingPointError(
                "SoftmaxRegression produced non-finite coefficients; scale the "
                "data (e.g. with StandardScaler) or decrease C."
            )

    @staticmethod
    def _fitted_pair(W, b, n_logits, dtype):
        """``(coef_, intercept_)`` in ``dtype`` from the unpacked solution."""
        intercept = b.astype(dtype) if b is not None else np.zeros(n_logits, dtype)
        return W.astype(dtype), intercept

    def _solver_options(self) -> SolverOptions:
        return SolverOptions(
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
            name=type(self).__name__,
        )

    def _minimize(self, loss, coef0):
        """Run the chosen solver on ``loss`` from ``coef0``."""
        return minimize_loss(loss, coef0, self.solver, self._solver_options())

    def _initial_coef(self, loss, classes):
        """Zeros, or the previous solution when warm-starting on the same shape."""
        coef = self._warm_coef(loss.n_logits, loss.n_features, classes)
        return np.zeros(loss.n_params) if coef is None else coef

    def _warm_coef(self, n_logits, n_features, classes):
        """The previous solution as a flat ``[W.ravel(), b]`` vector when
        warm-starting on data of the same shape and classes, else ``None``."""
        previous = getattr(self, "coef_", None)
        if not (
            self.warm_start
            and previous is not None
            and previous.shape == (n_logits, n_features)
            and np.array_equal(self.classes_, classes)
        ):
            return None
        parts = [np.asarray(previous, dtype=np.float64).ravel()]
        if self.fit_intercept:
            parts.append(np.asarray(self.intercept_, dtype=np.float64))
        return np.concatenate(parts)

    @blockwise_on_dask
    def decision_function(self, X):
        """Logits of the samples.

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

    def _raw_output(self, X):
        X = self._validate_X_predict(X)
        scores = safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores
