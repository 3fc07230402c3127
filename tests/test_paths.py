"""The ε paths of the linear model (sksmooth._paths) against oracles: the loss
at smoothed targets written out here, its Hessian products, cold fits, the
forward-smoothed loss written out, counts of the losses' own calls, and
GridSearchCV (test_matches_grid_search_cv in test_model_selection.py)."""

import copy
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from sksmooth import SoftmaxRegression
from sksmooth._loss import LinearSoftCrossEntropy
from sksmooth._paths import SoftmaxProblem, softmax_path
from sksmooth._paths._tilt import (
    TiltedObjective,
    anchor,
    kronecker_inverse,
    weighted_gram,
)
from sksmooth._solvers import CurvatureMemory, SolverOptions, lbfgs
from sksmooth.model_selection._walk import refit_start


def problem(n_classes, n_samples=90, n_features=5, seed=0):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        flip_y=0.2,
        random_state=seed,
    )
    return StandardScaler().fit_transform(X), y


def spread(name, y, n_classes, weights):
    """The spread matrices written out here, not with sksmooth's helpers."""
    if name == "uniform":
        return np.full((n_classes, n_classes), 1 / n_classes)
    if name == "off_target":
        return (1 - np.eye(n_classes)) / (n_classes - 1)
    if name == "prior":
        prior = np.bincount(y, weights=weights, minlength=n_classes)
        return np.tile(prior / prior.sum(), (n_classes, 1))
    rng = np.random.default_rng(7)  # any row-stochastic matrix
    S = rng.uniform(0.1, 1, (n_classes, n_classes)) + 3 * np.eye(n_classes)
    return S / S.sum(axis=1, keepdims=True)


def smoothed(y, epsilon, S):
    n_classes = S.shape[0]
    return (1 - epsilon) * np.eye(n_classes)[y] + epsilon * S[y]


def loss_at(X, y, epsilon, S, weights, l2=0.02, fit_intercept=True, hessian=False):
    """The loss at the smoothed targets: the oracle of the tilt."""
    return LinearSoftCrossEntropy(
        X,
        smoothed(y, epsilon, S),
        weights,
        n_classes=S.shape[0],
        fit_intercept=fit_intercept,
        l2_reg_strength=l2,
        hessian=hessian,
    )


SPREADS = ["uniform", "off_target", "prior", "other"]


def path_problem(X, y, weights, S, fit_intercept, options=None):
    options = options or SolverOptions(max_iter=100, tol=1e-4)
    return SoftmaxProblem(X, y, weights, S, fit_intercept, options)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("method", SPREADS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_the_tilt_is_the_loss_at_the_smoothed_targets(
    n_classes, weighted, method, fit_intercept
):
    X, y = problem(n_classes)
    weights = np.random.default_rng(1).uniform(0.2, 3, len(y)) if weighted else None
    S = spread(method, y, n_classes, weights)
    tilted = TiltedObjective(path_problem(X, y, weights, S, fit_intercept), 0.02)
    coef = np.random.default_rng(2).normal(size=tilted.loss.n_params)
    for epsilon in [0.0, 0.1, 0.45]:
        value, grad = tilted.tilted(epsilon, coef, *tilted.base(coef))
        oracle = loss_at(X, y, epsilon, S, weights, fit_intercept=fit_intercept)
        expected_value, expected_grad = oracle.loss_gradient(coef)
        assert value == pytest.approx(expected_value, rel=1e-12)
        scale = abs(expected_grad).max()
        assert_allclose(grad, expected_grad, rtol=0, atol=1e-12 * scale)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_a_pair_from_one_epsilon_is_the_exact_secant_of_another(n_classes):
    X, y = problem(n_classes)
    S = spread("off_target", y, n_classes, None)
    rng = np.random.default_rng(3)
    first = loss_at(X, y, 0.05, S, None)
    other = loss_at(X, y, 0.4, S, None)
    a, b = rng.normal(size=(2, first.n_params))
    y_first = first.loss_gradient(b)[1] - first.loss_gradient(a)[1]
    y_other = other.loss_gradient(b)[1] - other.loss_gradient(a)[1]
    assert_allclose(y_first, y_other, rtol=0, atol=1e-12 * abs(y_other).max())
    # while the gradients themselves differ
    assert abs(first.loss_gradient(a)[1] - other.loss_gradient(a)[1]).max() > 1e-3


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("method", ["uniform", "prior"])
def test_the_anchor_solves_epsilon_one(n_classes, method):
    X, y = problem(n_classes)
    weights = np.random.default_rng(4).uniform(0.2, 3, len(y))
    S = spread(method, y, n_classes, weights)
    n_logits = 1 if n_classes == 2 else n_classes
    coef = anchor(S, n_logits, True, X.shape[1])
    _, grad = loss_at(X, y, 1.0, S, weights).loss_gradient(coef)
    assert abs(grad).max() <= 1e-14
    assert anchor(spread("off_target", y, n_classes, None), n_logits, True, 5) is None


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_the_kronecker_form_inverts_the_hessian_at_the_anchor(
    n_classes, sparse, fit_intercept
):
    # at W = 0 with uniform targets the Hessian products (the loss's own) are
    # inverted exactly, on directions whose intercepts sum to zero over classes
    X, y = problem(n_classes)
    weights = np.random.default_rng(5).uniform(0.2, 3, len(y))
    S = spread("uniform", y, n_classes, None)
    oracle = loss_at(X, y, 1.0, S, weights, fit_intercept=fit_intercept, hessian=True)
    oracle.loss_gradient(np.zeros(oracle.n_params))
    tilted = TiltedObjective(path_problem(X, y, weights, S, fit_intercept), 0.02)
    gram = weighted_gram(
        sp.csr_matrix(X) if sparse else X, weights, tilted.sums, fit_intercept
    )
    inverse = kronecker_inverse(
        gram, n_logits=oracle.n_logits, fit_intercept=fit_intercept, l2=0.02
    )
    v = np.random.default_rng(6).normal(size=oracle.n_params)
    _, intercept = oracle.unpack(v)
    if intercept is not None and oracle.n_logits > 1:
        intercept -= intercept.mean()
    assert_allclose(inverse(oracle.hessp(v)), v, rtol=0, atol=1e-10 * abs(v).max())


def tight_objective(X, y, epsilon, S, weights, coef, intercept, C):
    """The objective of a fitted (coef, intercept), from the oracle loss."""
    total = len(y) if weights is None else weights.sum()
    loss = loss_at(X, y, epsilon, S, weights, l2=1 / (C * total))
    flat = np.concatenate([coef.ravel(), intercept])
    return loss.loss_gradient(flat)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("method", ["uniform", "off_target", "prior"])
def test_every_path_point_is_a_cold_fit(n_classes, method):
    X, y = problem(n_classes, n_samples=120)
    weights = np.random.default_rng(8).uniform(0.2, 3, len(y))
    S = spread(method, y, n_classes, weights)
    epsilons = [0.0, 0.3, 0.05, 0.15, 0.05]  # any order, a repeat too
    tight = {"C": 2.0, "tol": 1e-10, "max_iter": 1000}
    path = SoftmaxRegression(**tight).fit_path(
        X, y, epsilons, method=method, sample_weight=weights
    )
    for epsilon, (coef, intercept) in zip(epsilons, path, strict=True):
        cold = SoftmaxRegression(**tight).fit(
            X, smoothed(y, epsilon, S), sample_weight=weights
        )
        ours, _ = tight_objective(X, y, epsilon, S, weights, coef, intercept, 2.0)
        best, _ = tight_objective(
            X, y, epsilon, S, weights, cold.coef_, cold.intercept_, 2.0
        )
        assert ours == pytest.approx(best, rel=1e-8)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("container", ["dense", "sparse", "float32"])
def test_every_path_point_meets_tol(n_classes, container):
    X, y = problem(n_classes, n_samples=150, n_features=8)
    X = {
        "dense": X,
        "sparse": sp.csr_matrix(np.where(np.abs(X) < 0.5, 0, X)),
        "float32": X.astype(np.float32),
    }[container]
    weights = np.random.default_rng(9).uniform(0.2, 3, len(y))
    S = spread("uniform", y, n_classes, None)
    epsilons = list(np.linspace(0, 0.6, 7))
    tol = 1e-3 if container == "float32" else 1e-6
    model = SoftmaxRegression(C=0.5, tol=tol)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        path = model.fit_path(X, y, epsilons, sample_weight=weights)
    X64 = X.astype(np.float64)
    for epsilon, (coef, intercept) in zip(epsilons, path, strict=True):
        assert coef.dtype == X.dtype
        _, grad = tight_objective(X64, y, epsilon, S, weights, coef, intercept, 0.5)
        # float32 coefficients round the solution: a gradient of that size
        slack = 2e-4 if container == "float32" else 0
        assert abs(grad).max() <= tol + slack


def path_evaluations(model, X, y, epsilons, **kwargs):
    """The evaluations ``model.fit_path`` reports for its whole path."""
    _, info = model.fit_path(X, y, epsilons, return_info=True, **kwargs)
    return int(info.n_evaluations.sum())


class CountingProblem(SoftmaxProblem):
    """A problem whose every loss counts its own evaluations, here (an oracle
    of the counts a path reports)."""

    calls = [0]

    def loss(self, *args, **kwargs):
        loss = super().loss(*args, **kwargs)
        evaluate = loss.loss_gradient

        def counted(coef):
            CountingProblem.calls[0] += 1
            return evaluate(coef)

        loss.loss_gradient = counted
        return loss


@pytest.mark.parametrize(
    "solver, smooth",
    [("lbfgs", "targets"), ("lbfgs", "predictions"), ("newton-cg", "targets")],
)
def test_a_path_reports_every_evaluation_it_makes(solver, smooth):
    X, y = problem(3, n_samples=150)
    S = spread("uniform", y, 3, None)
    CountingProblem.calls[0] = 0
    counting = CountingProblem(X, y, None, S, True, SolverOptions(100, 1e-6))
    result = softmax_path(
        counting, [0.0, 0.1, 0.3], [0.5, 5.0], solver=solver, smooth=smooth
    )
    assert result.n_evaluations.sum() == CountingProblem.calls[0] > 0
    assert (result.n_evaluations >= 1).all() and result.converged.all()


def test_fit_reports_its_evaluations():
    # the same L-BFGS-B solve, on the loss written out, its calls counted here
    X, y = problem(3, n_samples=150)
    loss = LinearSoftCrossEntropy(
        X, y, None, n_classes=3, fit_intercept=True, l2_reg_strength=1 / 150
    )
    calls = [0]

    def counted(coef):
        calls[0] += 1
        return loss.loss_gradient(coef)

    lbfgs(counted, np.zeros(loss.n_params), SolverOptions(max_iter=100, tol=1e-4))
    assert SoftmaxRegression().fit(X, y).n_evaluations_ == calls[0] > 1


def test_the_path_costs_fewer_evaluations_than_cold_fits():
    X, y = problem(4, n_samples=300, n_features=10)
    epsilons = 0.9 * np.linspace(0, 1, 10) ** 2
    path = path_evaluations(SoftmaxRegression(), X, y, epsilons)
    S = spread("uniform", y, 4, None)
    cold = sum(
        SoftmaxRegression().fit(X, smoothed(y, e, S)).n_evaluations_ for e in epsilons
    )
    assert path <= 0.4 * cold


def test_a_point_that_does_not_converge_warns_once_and_the_path_goes_on():
    X, y = problem(3, n_samples=150)
    epsilons = [0.0, 0.1, 0.2, 0.4]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = SoftmaxRegression(tol=1e-12, max_iter=2).fit_path(X, y, epsilons)
    unconverged = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(unconverged) == 1
    assert "did not converge at 4 of 4 epsilons" in str(unconverged[0].message)
    assert len(path) == 4
    assert all(np.isfinite(coef).all() for coef, _ in path)
    S = spread("uniform", y, 3, None)
    options = SolverOptions(max_iter=2, tol=1e-12)
    result = softmax_path(path_problem(X, y, None, S, True, options), epsilons, [1.0])
    assert not result.converged.any()
    assert (result.n_iter == 2).all()  # every point took its iterations


@pytest.mark.parametrize("n_classes", [2, 3])
def test_a_pair_moved_to_another_C_is_the_exact_secant_of_its_objective(n_classes):
    # a pair collected at one L2 strength, moved by the memory to another, is
    # the gradient difference of the loss at that other strength, written out
    X, y = problem(n_classes)
    S = spread("uniform", y, n_classes, None)
    first, other = loss_at(X, y, 0.1, S, None, l2=0.05), loss_at(X, y, 0.1, S, None)
    mask = np.ones(first.n_params)
    mask[first.n_logits * first.n_features :] = 0.0  # the intercepts
    rng = np.random.default_rng(10)
    a, b = rng.normal(size=(2, first.n_params))
    memory = CurvatureMemory(5, penalty_mask=mask)
    memory.set_penalty(0.05)
    assert memory.add(b - a, first.loss_gradient(b)[1] - first.loss_gradient(a)[1])
    memory.set_penalty(0.02)  # loss_at's default strength
    s, moved, _ = memory.pairs[0]
    expected = other.loss_gradient(b)[1] - other.loss_gradient(a)[1]
    assert_allclose(s, b - a)
    assert_allclose(moved, expected, rtol=0, atol=1e-12 * abs(expected).max())
    # restore moves a snapshot taken at another strength the same way
    memory.set_penalty(0.05)
    snapshot = memory.snapshot(5)
    memory.set_penalty(0.02)
    memory.restore([snapshot])
    assert_allclose(
        memory.pairs[0][1], expected, rtol=0, atol=1e-12 * abs(expected).max()
    )


@pytest.mark.parametrize("n_classes", [2, 4])
def test_every_point_of_a_C_grid_path_is_a_cold_fit(n_classes):
    X, y = problem(n_classes, n_samples=120)
    weights = np.random.default_rng(11).uniform(0.2, 3, len(y))
    S = spread("uniform", y, n_classes, weights)
    epsilons, Cs = [0.0, 0.05, 0.3], [10.0, 0.1, 1.0]  # C in any order
    tight = {"tol": 1e-10, "max_iter": 1000}
    path = SoftmaxRegression(**tight).fit_path(
        X, y, epsilons, sample_weight=weights, Cs=Cs
    )
    assert len(path) == len(Cs) * len(epsilons)
    for j, C in enumerate(Cs):
        for i, epsilon in enumerate(epsilons):
            coef, intercept = path[j * len(epsilons) + i]
            cold = SoftmaxRegression(C=C, **tight).fit(
                X, smoothed(y, epsilon, S), sample_weight=weights
            )
            ours, _ = tight_objective(X, y, epsilon, S, weights, coef, intercept, C)
            best, _ = tight_objective(
                X, y, epsilon, S, weights, cold.coef_, cold.intercept_, C
            )
            assert ours == pytest.approx(best, rel=1e-8)


def test_every_point_of_a_C_grid_path_meets_tol():
    X, y = problem(3, n_samples=150, n_features=8)
    S = spread("uniform", y, 3, None)
    epsilons, Cs, tol = list(np.linspace(0, 0.6, 7)), [0.05, 0.5, 5.0], 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        path = SoftmaxRegression(tol=tol).fit_path(X, y, epsilons, Cs=Cs)
    for j, C in enumerate(Cs):
        for i, epsilon in enumerate(epsilons):
            coef, intercept = path[j * len(epsilons) + i]
            _, grad = tight_objective(X, y, epsilon, S, None, coef, intercept, C)
            assert abs(grad).max() <= tol


def test_a_C_grid_path_costs_fewer_evaluations_than_a_path_per_C():
    # the smoothed points: with a C grid the unsmoothed ones are solved apart,
    # as LogisticRegressionCV solves them (softmax_path)
    X, y = problem(3, n_samples=500, n_features=10)
    epsilons = list(0.9 * np.linspace(0, 1, 10)[1:] ** 2)
    Cs = [0.01, 0.1, 1.0, 10.0]
    joint = path_evaluations(SoftmaxRegression(), X, y, epsilons, Cs=Cs)
    separate = sum(path_evaluations(SoftmaxRegression(C=C), X, y, epsilons) for C in Cs)
    assert joint <= 0.9 * separate  # 72 against 87 when written


@pytest.mark.parametrize("Cs", [[], [1.0, -1.0], [[1.0]], "big", [np.inf]])
def test_bad_Cs_are_refused_by_name(Cs):
    X, y = problem(3)
    model = SoftmaxRegression()
    with pytest.raises(ValueError, match="Cs must be"):
        model.fit_path(X, y, [0.0, 0.1], Cs=Cs)
    assert not hasattr(model, "coef_")


def test_the_refit_from_the_folds_mean_costs_fewer_evaluations():
    X, y = problem(4, n_samples=400, n_features=10)
    folds = StratifiedKFold(5).split(X, y)
    fold_models = [
        SoftmaxRegression().fit(
            X[train], smoothed(y[train], 0.05, np.full((4, 4), 0.25))
        )
        for train, _ in folds
    ]

    def refit(start):
        model = copy.deepcopy(start).set_params(warm_start=True)
        return path_evaluations(model, X, y, [0.05])

    mean = refit_start(fold_models)
    assert_allclose(mean.coef_, np.mean([m.coef_ for m in fold_models], axis=0))
    assert refit(mean) < refit(fold_models[0])
    # models without linear coefficients: the first fold's
    dummies = [DummyClassifier().fit(X, y) for _ in range(2)]
    assert refit_start(dummies) is dummies[0]


def forward_objective(X, y, epsilon, S, weights, coef, intercept, C):
    """The forward-smoothed objective of a fitted (coef, intercept): the loss
    with ``transition=(1 - epsilon) I + epsilon S``, written out here."""
    total = len(y) if weights is None else weights.sum()
    T = (1 - epsilon) * np.eye(S.shape[0]) + epsilon * S
    loss = LinearSoftCrossEntropy(
        X,
        y,
        weights,
        n_classes=S.shape[0],
        fit_intercept=True,
        l2_reg_strength=1 / (C * total),
        transition=T,
    )
    return loss.loss_gradient(np.concatenate([coef.ravel(), intercept]))


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_every_point_of_a_forward_path_is_a_cold_forward_fit(n_classes, solver):
    X, y = problem(n_classes, n_samples=120)
    weights = np.random.default_rng(12).uniform(0.2, 3, len(y))
    S = spread("uniform", y, n_classes, None)
    epsilons = [0.3, 0.0, 0.1, 0.05]  # any order
    tight = {"C": 2.0, "tol": 1e-10, "max_iter": 1000, "solver": solver}
    path = SoftmaxRegression(**tight).fit_path(
        X, y, epsilons, sample_weight=weights, smooth="predictions"
    )
    for epsilon, (coef, intercept) in zip(epsilons, path, strict=True):
        T = (1 - epsilon) * np.eye(n_classes) + epsilon * S
        cold = SoftmaxRegression(C=2.0, tol=1e-10, max_iter=1000).fit(
            X, y, sample_weight=weights, transition=T
        )
        ours, _ = forward_objective(X, y, epsilon, S, weights, coef, intercept, 2.0)
        best, _ = forward_objective(
            X, y, epsilon, S, weights, cold.coef_, cold.intercept_, 2.0
        )
        assert ours == pytest.approx(best, rel=1e-8)


@pytest.mark.parametrize("container", ["dense", "sparse"])
def test_every_point_of_a_forward_path_meets_tol(container):
    X, y = problem(3, n_samples=150, n_features=8)
    Xc = sp.csr_matrix(np.where(np.abs(X) < 0.5, 0, X)) if container == "sparse" else X
    S = spread("uniform", y, 3, None)
    epsilons, tol = list(np.linspace(0, 0.6, 7)), 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        path = SoftmaxRegression(C=0.5, tol=tol).fit_path(
            Xc, y, epsilons, smooth="predictions"
        )
    X64 = Xc.toarray() if container == "sparse" else X
    for epsilon, (coef, intercept) in zip(epsilons, path, strict=True):
        _, grad = forward_objective(X64, y, epsilon, S, None, coef, intercept, 0.5)
        assert abs(grad).max() <= tol


def test_a_forward_path_costs_fewer_evaluations_than_warm_started_fits():
    # the walk it replaces: each epsilon's fit (scipy's L-BFGS-B) warm-started
    # from the last
    X, y = problem(4, n_samples=400, n_features=10)
    epsilons = list(0.9 * np.linspace(0, 1, 10) ** 2)
    S = spread("uniform", y, 4, None)

    model, warm = SoftmaxRegression(warm_start=True), 0
    for epsilon in epsilons:
        model.fit(X, y, transition=(1 - epsilon) * np.eye(4) + epsilon * S)
        warm += model.n_evaluations_
    carried = path_evaluations(
        SoftmaxRegression(), X, y, epsilons, smooth="predictions"
    )
    assert carried <= 0.85 * warm  # 78 against 109, written
