"""SoftmaxRegression against LogisticRegression, optimality, inputs and errors."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, softmax
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.linear_model import LogisticRegression

from sksmooth import SoftmaxRegression, smooth_labels
from tests.helpers import load_scaled

TIGHT = {"tol": 1e-12, "max_iter": 20000}


# Binary, two 3-class sets (4 and 13 features) and 10 classes on 64 pixels.
@pytest.mark.parametrize("dataset", ["iris", "wine", "breast_cancer", "digits_head"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_reproduces_logistic_regression(dataset, fit_intercept, weighted, sparse):
    X, y = load_scaled(dataset)
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) < 0.5, 0.0, X))
    weights = (
        np.random.default_rng(0).uniform(0.1, 3, size=len(y)) if weighted else None
    )
    C = 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = SoftmaxRegression(C=C, fit_intercept=fit_intercept, **TIGHT).fit(
            X, y, sample_weight=weights
        )
        theirs = LogisticRegression(C=C, fit_intercept=fit_intercept, **TIGHT).fit(
            X, y, sample_weight=weights
        )
    assert ours.coef_.shape == theirs.coef_.shape
    assert_allclose(ours.coef_, theirs.coef_, rtol=0, atol=1e-5)
    assert_allclose(ours.intercept_, theirs.intercept_, rtol=0, atol=1e-5)
    assert_array_equal(ours.classes_, theirs.classes_)


def test_same_iterates_as_logistic_regression_at_default_tolerance():
    # Same objective, scaling and L-BFGS options: the same path, iteration count.
    X, y = load_scaled("wine")
    ours = SoftmaxRegression().fit(X, y)
    theirs = LogisticRegression().fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_[0]
    assert_allclose(ours.coef_, theirs.coef_, atol=1e-8)


def objective_gradient(model, X, Y, weights):
    """Gradient of C * sum_i w_i H(Y_i, p_i) + ||W||^2 / 2, written independently."""
    logits = X @ model.coef_.T + model.intercept_
    if Y.shape[1] == 2:
        residual = (expit(logits[:, 0]) - Y[:, 1])[:, None]
    else:
        residual = softmax(logits, axis=1) - Y
    residual *= weights[:, None]
    grad_W = model.C * residual.T @ X + model.coef_
    grad_b = model.C * residual.sum(axis=0)
    return grad_W, grad_b


@pytest.mark.parametrize("dataset", ["iris", "breast_cancer", "digits_head"])
@pytest.mark.parametrize("epsilon", [0.1, 0.3])
def test_first_order_optimality_with_soft_targets(dataset, epsilon):
    X, y = load_scaled(dataset)
    rng = np.random.default_rng(1)
    weights = rng.uniform(0.5, 2, size=len(y))
    Y = smooth_labels(y, epsilon=epsilon)
    # Mix in per-sample noise so that targets are not just smoothed one-hots.
    Y = 0.7 * Y + 0.3 * rng.dirichlet(np.ones(Y.shape[1]), size=len(y))
    model = SoftmaxRegression(C=2.0, **TIGHT).fit(X, Y, sample_weight=weights)
    grad_W, grad_b = objective_gradient(model, X, Y, weights)
    # Measured against the gradient at the starting point (all zeros), the
    # gradient at the solution has vanished. L-BFGS stops on its relative-decrease
    # test (ftol), so ill-conditioned data (breast_cancer) ends near 1e-7.
    zero = SoftmaxRegression(C=2.0)
    zero.coef_, zero.intercept_ = (
        np.zeros_like(model.coef_),
        np.zeros_like(model.intercept_),
    )
    start_W, start_b = objective_gradient(zero, X, Y, weights)
    start = max(np.abs(start_W).max(), np.abs(start_b).max())
    assert np.abs(grad_W).max() / start < 1e-5
    assert np.abs(grad_b).max() / start < 1e-5


def test_one_hot_soft_targets_equal_labels():
    X, y = load_scaled("iris")
    from_labels = SoftmaxRegression().fit(X, y)
    from_one_hot = SoftmaxRegression().fit(X, np.eye(3)[y])
    assert_allclose(from_labels.coef_, from_one_hot.coef_)
    assert_array_equal(from_one_hot.classes_, [0, 1, 2])


def test_string_labels_and_binary_shapes():
    X, y = load_scaled("breast_cancer")
    labels = np.array(["malignant", "benign"])[y]
    model = SoftmaxRegression().fit(X, labels)
    assert_array_equal(model.classes_, ["benign", "malignant"])
    assert model.coef_.shape == (1, X.shape[1])
    assert model.intercept_.shape == (1,)
    assert model.decision_function(X).shape == (len(y),)
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 2)
    assert_allclose(np.exp(model.predict_log_proba(X)), proba)
    # classes_[1] is the positive class of the single logit
    assert_array_equal(
        model.predict(X), model.classes_[(proba[:, 1] > 0.5).astype(int)]
    )


def test_multiclass_probabilities_and_predictions_agree():
    X, y = load_scaled("digits")
    model = SoftmaxRegression(max_iter=300).fit(X, y)
    proba = model.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1)
    assert_allclose(np.exp(model.predict_log_proba(X)), proba, rtol=1e-10)
    assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    assert model.score(X, y) > 0.95


def test_float32_is_kept_and_agrees_with_float64():
    X, y = load_scaled("digits")
    model64 = SoftmaxRegression(max_iter=500).fit(X, y)
    model32 = SoftmaxRegression(max_iter=500).fit(X.astype(np.float32), y)
    assert model32.coef_.dtype == np.float32
    assert model32.intercept_.dtype == np.float32
    agree = np.mean(model32.predict(X) == model64.predict(X))
    assert agree > 0.99
    assert_allclose(model32.coef_, model64.coef_, atol=5e-3)


def test_sparse_and_dense_give_the_same_model():
    X, y = load_scaled("wine")
    X[np.abs(X) < 0.5] = 0
    dense = SoftmaxRegression().fit(X, y)
    sparse = SoftmaxRegression().fit(sp.csr_matrix(X), y)
    assert_allclose(dense.coef_, sparse.coef_, atol=1e-10)
    assert_allclose(dense.predict_proba(X), sparse.predict_proba(sp.csr_matrix(X)))


def test_column_vector_y_is_labels_with_warning():
    X, y = load_scaled("iris")
    with pytest.warns(DataConversionWarning):
        model = SoftmaxRegression().fit(X, y[:, None])
    assert_array_equal(model.classes_, [0, 1, 2])


def test_convergence_warning_names_remedy():
    X, y = load_scaled("digits")
    with pytest.warns(ConvergenceWarning, match="Increase max_iter"):
        model = SoftmaxRegression(max_iter=2).fit(X, y)
    assert model.n_iter_ == 2


def test_warm_start_continues_from_previous_solution():
    X, y = load_scaled("digits")
    cold = SoftmaxRegression(max_iter=1000).fit(X, y)
    warm = SoftmaxRegression(max_iter=1000, warm_start=True).fit(X, y)
    first = warm.n_iter_
    warm.fit(X, y)
    assert warm.n_iter_ < max(3, first // 10)
    assert_allclose(warm.coef_, cold.coef_, atol=1e-3)


def test_verbose_prints_iterations(capsys):
    X, y = load_scaled("iris")
    SoftmaxRegression(verbose=1, max_iter=3).fit(X, y)
    assert "iteration    1" in capsys.readouterr().out


def test_pickle_round_trip():
    X, y = load_scaled("wine")
    model = SoftmaxRegression().fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


BAD_INPUTS = [
    (
        "nan in X",
        lambda X, y: (np.where(X[0, 0] == X, np.nan, X), y, None),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "inf in X",
        lambda X, y: (np.where(X[0, 0] == X, np.inf, X), y, None),
        ValueError,
        "Input X contains infinity",
    ),
    (
        "length mismatch",
        lambda X, y: (X, y[:-1], None),
        ValueError,
        "inconsistent numbers of samples",
    ),
    ("empty X", lambda X, y: (X[:0], y[:0], None), ValueError, "0 sample"),
    (
        "one class",
        lambda X, y: (X, np.zeros_like(y), None),
        ValueError,
        r"only one class: 0\.",  # the label, not np.int64(0)
    ),
    ("continuous y", lambda X, y: (X, y + 0.5, None), ValueError, "Unknown label type"),
    (
        "negative soft",
        lambda X, y: (X, np.c_[1.2 - y * 0, -0.2 + y * 0], None),
        ValueError,
        r"non-negative; row 0 holds -0\.2\.",
    ),
    (
        "nan soft",
        lambda X, y: (X, np.c_[np.full(len(y), np.nan), np.ones(len(y))], None),
        ValueError,
        "Input y contains NaN",
    ),
    (
        "soft rows not summing to one",
        lambda X, y: (X, np.full((len(y), 2), 0.6), None),
        ValueError,
        r"sum to one; row 0 sums to 1\.2\.",
    ),
    (
        "negative weights",
        lambda X, y: (X, y, -np.ones(len(y))),
        ValueError,
        r"sample_weight must be non-negative, got the value -1\.0\.",
    ),
    (
        "zero weights",
        lambda X, y: (X, y, np.zeros(len(y))),
        ValueError,
        "sample_weight sums to zero",
    ),
    (
        "short weights",
        lambda X, y: (X, y, np.ones(3)),
        ValueError,
        "sample_weight has 3 entries",
    ),
    (
        "2-D weights",
        lambda X, y: (X, y, np.ones((len(y), 2))),
        ValueError,
        "sample_weight must be 1-D",
    ),
    (
        "nan weights",
        lambda X, y: (X, y, np.full(len(y), np.nan)),
        ValueError,
        "sample_weight contains NaN",
    ),
    ("y None", lambda X, y: (X, None, None), ValueError, "requires y to be passed"),
]


@pytest.mark.parametrize(
    "case, make, error, fragment", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_input_raises_and_leaves_state_unchanged(case, make, error, fragment):
    X, y = load_scaled("iris")
    model = SoftmaxRegression().fit(X[:, :3], y)
    before = {
        k: (v.copy() if isinstance(v, np.ndarray) else v)
        for k, v in vars(model).items()
    }
    bad_X, bad_y, weights = make(X, y)
    with pytest.raises(error, match=fragment):
        model.fit(bad_X, bad_y, sample_weight=weights)
    assert vars(model).keys() == before.keys()
    for key, value in before.items():
        assert_array_equal(getattr(model, key), value)
    # A refit after the failed one behaves as a fresh fit.
    assert_allclose(model.fit(X, y).coef_, SoftmaxRegression().fit(X, y).coef_)


def test_soft_target_matrix_with_one_column_is_labels_and_one_class():
    X, y = load_scaled("iris")
    with pytest.raises(ValueError, match="only one class"), warnings.catch_warnings():
        warnings.simplefilter("ignore", DataConversionWarning)
        SoftmaxRegression().fit(X, np.ones((len(y), 1)))


@pytest.mark.parametrize(
    "params, error, fragment",
    [
        ({"C": 0}, ValueError, "C must be > 0"),
        ({"C": "1"}, TypeError, "C must be a real number"),
        ({"tol": -1.0}, ValueError, "tol must be > 0"),
        ({"max_iter": 0}, ValueError, "max_iter must be >= 1"),
        ({"max_iter": 1.5}, TypeError, "max_iter must be an int"),
        ({"fit_intercept": "yes"}, TypeError, "fit_intercept must be a bool"),
        ({"warm_start": 1}, TypeError, "warm_start must be a bool"),
        ({"verbose": -1}, ValueError, "verbose must be >= 0"),
    ],
)
def test_bad_parameters(params, error, fragment):
    X, y = load_scaled("iris")
    with pytest.raises(error, match=fragment):
        SoftmaxRegression(**params).fit(X, y)


@pytest.mark.parametrize(
    "y",
    [
        np.array([7, 3, 7, 5, 0]),
        np.array([2, 2, 1], dtype=np.uint8),
        np.array([-1, 4, -1]),
        np.array([10**9, 3, 3]),
        np.array(["b", "a", "c", "a"]),
    ],
)
def test_unique_codes_matches_numpy_unique(y):
    from sksmooth._validation import unique_codes

    classes, codes = unique_codes(y)
    expected_classes, expected_codes = np.unique(y, return_inverse=True)
    assert_array_equal(classes, expected_classes)
    assert classes.dtype == expected_classes.dtype
    assert_array_equal(codes, expected_codes)


NEWTON_TIGHT = {"solver": "newton-cg", "tol": 1e-8, "max_iter": 100}


@pytest.mark.parametrize(
    "dataset, fit_intercept, weighted, sparse",
    [
        ("iris", True, False, False),
        ("iris", False, True, True),
        ("wine", True, True, False),
        ("wine", True, False, True),
        ("breast_cancer", True, True, False),
        ("breast_cancer", False, False, True),
    ],
)
def test_newton_cg_equals_lbfgs_and_logistic_regression_newton_cg(
    dataset, fit_intercept, weighted, sparse
):
    X, y = load_scaled(dataset)
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) < 0.5, 0.0, X))
    weights = (
        np.random.default_rng(0).uniform(0.1, 3, size=len(y)) if weighted else None
    )
    newton = SoftmaxRegression(fit_intercept=fit_intercept, **NEWTON_TIGHT).fit(
        X, y, sample_weight=weights
    )
    lbfgs = SoftmaxRegression(fit_intercept=fit_intercept, **TIGHT).fit(
        X, y, sample_weight=weights
    )
    theirs = LogisticRegression(
        solver="newton-cg", fit_intercept=fit_intercept, tol=1e-8, max_iter=1000
    ).fit(X, y, sample_weight=weights)
    # tol bounds the scaled gradient (divided by C * sum(w)), so coefficients
    # agree to about 1e-6 (the gradient test below is the sharper oracle).
    assert newton.n_iter_ <= 15
    assert_allclose(newton.coef_, lbfgs.coef_, rtol=0, atol=1e-5)
    assert_allclose(newton.coef_, theirs.coef_, rtol=0, atol=1e-5)
    assert_allclose(newton.intercept_, theirs.intercept_, rtol=0, atol=1e-5)


@pytest.mark.parametrize("dataset", ["iris", "breast_cancer", "digits_head"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_newton_cg_gradient_vanishes_at_the_solution(dataset, dtype):
    X, y = load_scaled(dataset)
    rng = np.random.default_rng(2)
    weights = rng.uniform(0.5, 2, size=len(y))
    Y = 0.7 * smooth_labels(y, epsilon=0.1) + 0.3 * rng.dirichlet(
        np.ones(len(np.unique(y))), size=len(y)
    )
    model = SoftmaxRegression(C=2.0, **NEWTON_TIGHT)
    model.tol = 1e-8 if dtype == np.float64 else 1e-4
    model.fit(X.astype(dtype), Y.astype(dtype), sample_weight=weights)
    assert model.coef_.dtype == dtype
    grad_W, grad_b = objective_gradient(model, X, Y, weights)
    # The gradient of C * sum_i w_i H + ||W||^2 / 2, relative to its value at
    # zero (see test_first_order_optimality_with_soft_targets): Newton gets
    # two orders of magnitude further than L-BFGS's 1e-5 there.
    zero = SoftmaxRegression(C=2.0)
    zero.coef_ = np.zeros_like(model.coef_, dtype=float)
    zero.intercept_ = np.zeros_like(model.intercept_, dtype=float)
    start = max(np.abs(g).max() for g in objective_gradient(zero, X, Y, weights))
    bound = 1e-7 if dtype == np.float64 else 1e-3
    assert np.abs(grad_W).max() / start < bound
    assert np.abs(grad_b).max() / start < bound
    if len(model.classes_) > 2:
        assert abs(model.intercept_.sum()) < 1e-10 * len(y)  # centred, see hessp


def test_newton_cg_reaches_the_optimum_where_lbfgs_stops_short():
    # Feature scales spread over e^{+-2}: L-BFGS stops at max_iter well above
    # the optimum; Newton at the default tol reaches it.
    X, y = load_scaled("digits")
    X = X * np.exp(np.random.default_rng(0).uniform(-2, 2, size=X.shape[1]))
    optimum = SoftmaxRegression(solver="newton-cg", tol=1e-10).fit(X, y)

    def objective(model):
        logits = X @ model.coef_.T + model.intercept_
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return -log_p[np.arange(len(y)), y].sum() + 0.5 * np.sum(model.coef_**2)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lbfgs = SoftmaxRegression().fit(X, y)
    newton = SoftmaxRegression(solver="newton-cg").fit(X, y)
    best = objective(optimum)
    assert (objective(lbfgs) - best) / best > 1e-3
    assert (objective(newton) - best) / best < 1e-8


def test_newton_cg_warm_start_takes_at_most_two_steps():
    X, y = load_scaled("digits")
    model = SoftmaxRegression(C=2.0, solver="newton-cg", warm_start=True).fit(X, y)
    model.C = 2.05
    model.fit(X, y)
    assert model.n_iter_ <= 2
    cold = SoftmaxRegression(C=2.05, solver="newton-cg").fit(X, y)
    assert cold.n_iter_ >= 5
    assert_allclose(model.coef_, cold.coef_, atol=1e-4)


def test_newton_cg_convergence_warning():
    X, y = load_scaled("digits")
    with pytest.warns(ConvergenceWarning, match="Newton solver stopped after 1"):
        SoftmaxRegression(solver="newton-cg", max_iter=1).fit(X, y)


def test_bad_solver():
    X, y = load_scaled("iris")
    with pytest.raises(ValueError, match="solver must be one of"):
        SoftmaxRegression(solver="sag").fit(X, y)


@pytest.mark.parametrize("dataset", ["breast_cancer", "wine"])
@pytest.mark.parametrize("solver", ["newton-cg", "lbfgs"])
@pytest.mark.parametrize("method", ["uniform", "prior"])
def test_fit_path_points_equal_cold_fits(dataset, solver, method):
    X, y = load_scaled(dataset)
    weights = np.random.default_rng(3).uniform(0.5, 2, size=len(y))
    epsilons = [0.0, 0.05, 0.1, 0.2]
    tight = {"tol": 1e-9, "max_iter": 1000, "solver": solver}
    model = SoftmaxRegression(C=0.5, **tight)
    path = model.fit_path(X, y, epsilons, method=method, sample_weight=weights)
    assert len(path) == len(epsilons)
    n_classes = len(np.unique(y))
    prior = np.bincount(y, weights=weights) / weights.sum()
    for epsilon, (coef, intercept) in zip(epsilons, path, strict=True):
        # the smoothed targets written out here, not with sksmooth's helpers
        spread = np.full(n_classes, 1 / n_classes) if method == "uniform" else prior
        Y = (1 - epsilon) * np.eye(n_classes)[y] + epsilon * spread
        cold = SoftmaxRegression(C=0.5, **tight).fit(X, Y, sample_weight=weights)
        # L-BFGS ends on its relative-decrease test before tol on breast_cancer
        atol = 1e-6 if solver == "newton-cg" else 1e-5
        assert_allclose(coef, cold.coef_, rtol=0, atol=atol)
        assert_allclose(intercept, cold.intercept_, rtol=0, atol=atol)
    assert_array_equal(model.coef_, path[-1][0])
    assert_array_equal(model.intercept_, path[-1][1])
    assert model.predict(X).shape == y.shape


def test_fit_path_predictor_needs_few_newton_steps():
    X, y = load_scaled("digits")
    epsilons = np.linspace(0.05, 0.2, 6)
    model = SoftmaxRegression(solver="newton-cg")
    _, info = model.fit_path(X, y, epsilons, return_info=True)
    steps = list(info.n_iter)
    cold = [
        SoftmaxRegression(solver="newton-cg")
        .fit(X, smooth_labels(y, epsilon=epsilon))
        .n_iter_
        for epsilon in epsilons
    ]
    assert steps[0] == cold[0]
    assert max(steps[-2:]) <= 2 < min(cold)
    assert sum(steps[1:]) <= 0.6 * sum(cold[1:])


@pytest.mark.parametrize(
    "epsilons, error, fragment",
    [
        ([0.1, 1.0], ValueError, r"epsilons\[1\] = 1.0: epsilon=1.0 is out of range"),
        ([0.1, -0.1], ValueError, r"epsilons\[1\] = -0.1"),
        ([0.1, "a"], TypeError, r"epsilons\[1\] = 'a'"),
        ([], ValueError, "non-empty 1-D"),
        ([[0.1]], ValueError, "non-empty 1-D"),
    ],
)
def test_fit_path_bad_epsilons_raise_before_any_change(epsilons, error, fragment):
    X, y = load_scaled("iris")
    model = SoftmaxRegression(solver="newton-cg").fit(X, y)
    before = {k: np.copy(v) for k, v in vars(model).items()}
    with pytest.raises(error, match=fragment):
        model.fit_path(X, y, epsilons)
    for key, value in before.items():
        assert_array_equal(getattr(model, key), value)


def test_fit_path_rejects_soft_targets():
    X, y = load_scaled("iris")
    with pytest.raises(ValueError, match="fit_path smooths class labels"):
        SoftmaxRegression().fit_path(X, np.eye(3)[y], [0.1])


@pytest.mark.parametrize("solver", ["newton-cg", "lbfgs"])
def test_fit_path_with_class_weight_uses_the_unweighted_prior(solver):
    # class_weight scales the samples; the "prior" spread stays the class
    # frequencies of y (as LabelSmoothingClassifier's class_prior_).
    X, y = load_scaled("wine")
    params = {"C": 0.5, "solver": solver, "tol": 1e-9, "max_iter": 1000}
    model = SoftmaxRegression(class_weight="balanced", **params)
    ((coef, intercept),) = model.fit_path(X, y, [0.2], method="prior")
    counts = np.bincount(y)
    balanced = len(y) / (len(counts) * counts)
    Y = 0.8 * np.eye(3)[y] + 0.2 * counts / len(y)
    cold = SoftmaxRegression(**params).fit(X, Y, sample_weight=balanced[y])
    assert_allclose(coef, cold.coef_, rtol=0, atol=1e-6)
    assert_allclose(intercept, cold.intercept_, rtol=0, atol=1e-6)
