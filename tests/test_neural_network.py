"""SoftMLPClassifier against MLPClassifier, finite differences, inputs, errors."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import log_expit, log_softmax
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksmooth import LabelSmoothingClassifier, SoftMLPClassifier, smooth_labels
from sksmooth._mlp_loss import ACTIVATIONS, MLPSoftCrossEntropy
from sksmooth._solvers import SolverResult
from tests.helpers import (
    assert_no_copy_per_evaluation,
    load_scaled,
    sparse_on_a_larger_buffer,
)

DATASETS = ["digits", "breast_cancer"]


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_predict_proba_matches_mlpclassifier_with_same_weights(dataset, activation):
    X, y = load_scaled(dataset)
    X, y = X[:300], y[:300]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = SoftMLPClassifier((12, 7), activation, max_iter=5, random_state=1)
        ours.fit(X, y)
        theirs = MLPClassifier((12, 7), activation, solver="lbfgs", max_iter=5)
        theirs.fit(X, y)
    theirs.coefs_ = [c.copy() for c in ours.coefs_]
    theirs.intercepts_ = [b.copy() for b in ours.intercepts_]
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=0, atol=1e-10)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.out_activation_ == theirs.out_activation_
    assert ours.n_outputs_ == theirs.n_outputs_
    assert ours.n_layers_ == theirs.n_layers_


def direct_objective(flat, loss, X, Y, weights, activation, alpha):
    """The MLP objective written out layer by layer with scipy's log-softmax."""
    coefs, intercepts = loss.unpack(flat)
    A = X
    for W, b in zip(coefs[:-1], intercepts[:-1], strict=True):
        Z = A @ W + b
        A = {
            "identity": Z,
            "relu": np.maximum(Z, 0),
            "tanh": np.tanh(Z),
            "logistic": 1 / (1 + np.exp(-Z)),
        }[activation]
    out = A @ coefs[-1] + intercepts[-1]
    if out.shape[1] == 1:
        log_p = np.column_stack([log_expit(-out[:, 0]), log_expit(out[:, 0])])
    else:
        log_p = log_softmax(out, axis=1)
    w = np.ones(len(X)) if weights is None else weights
    penalty = 0.5 * alpha * sum(np.sum(W**2) for W in coefs)
    return (-(w @ (Y * log_p).sum(axis=1)) + penalty) / w.sum()


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_gradient_matches_finite_differences(activation, n_classes, weighted, sparse):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    Y = rng.dirichlet(np.ones(n_classes), size=30)
    weights = rng.uniform(0.2, 2.0, size=30) if weighted else None
    alpha = 0.3
    loss = MLPSoftCrossEntropy(
        sp.csr_matrix(X) if sparse else X,
        Y,
        weights,
        n_classes=n_classes,
        hidden_layer_sizes=(5, 3),
        activation=activation,
        alpha=alpha,
    )
    flat = rng.normal(size=loss.n_params)

    def objective(f):
        return direct_objective(f, loss, X, Y, weights, activation, alpha)

    value, grad = loss.loss_gradient(flat)
    assert_allclose(value, objective(flat), rtol=1e-12)
    step = 1e-6
    numeric = np.array(
        [
            (objective(flat + step * e) - objective(flat - step * e)) / (2 * step)
            for e in np.eye(loss.n_params)
        ]
    )
    # relu has kinks; the random point is away from them with probability one
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("dataset", DATASETS)
def test_accuracy_at_zero_epsilon_matches_mlpclassifier(dataset):
    X, y = load_scaled(dataset)
    ours_scores, theirs_scores = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for seed in range(5):
            X_tr, X_te, y_tr, y_te = train_test_split(
                X, y, test_size=0.3, random_state=seed, stratify=y
            )
            params = {"hidden_layer_sizes": (32,), "alpha": 1e-3, "max_iter": 60}
            ours = SoftMLPClassifier(random_state=seed, **params).fit(X_tr, y_tr)
            theirs = MLPClassifier(solver="lbfgs", random_state=seed, **params)
            theirs.fit(X_tr, y_tr)
            ours_scores.append(ours.score(X_te, y_te))
            theirs_scores.append(theirs.score(X_te, y_te))
    assert abs(np.mean(ours_scores) - np.mean(theirs_scores)) <= 0.01


def test_soft_targets_reach_first_order_optimality():
    X, y = load_scaled("breast_cancer")
    Y = smooth_labels(y, epsilon=0.2)
    model = SoftMLPClassifier((8,), "tanh", tol=1e-9, max_iter=3000, random_state=0)
    model.fit(X, Y)
    loss = MLPSoftCrossEntropy(
        X,
        Y,
        None,
        n_classes=2,
        hidden_layer_sizes=(8,),
        activation="tanh",
        alpha=model.alpha,
    )
    flat = loss.pack(model.coefs_, model.intercepts_)
    start = loss.loss_gradient(np.full(loss.n_params, 0.1))[1]
    value, grad = loss.loss_gradient(flat)
    assert np.abs(grad).max() < 1e-4 * np.abs(start).max()
    assert_allclose(value, model.loss_)


def test_same_seed_bit_identical_and_different_seed_differs():
    X, y = load_scaled("digits")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = SoftMLPClassifier((16,), max_iter=20, random_state=3).fit(X, y)
        b = SoftMLPClassifier((16,), max_iter=20, random_state=3).fit(X, y)
        c = SoftMLPClassifier((16,), max_iter=20, random_state=4).fit(X, y)
    for ca, cb in zip(a.coefs_, b.coefs_, strict=True):
        assert_array_equal(ca, cb)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_fitted_attributes():
    X, y = load_scaled("digits")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SoftMLPClassifier((16, 8), max_iter=15, random_state=0).fit(X, y)
    assert [c.shape for c in model.coefs_] == [(64, 16), (16, 8), (8, 10)]
    assert [b.shape for b in model.intercepts_] == [(16,), (8,), (10,)]
    assert model.n_layers_ == 4 and model.n_outputs_ == 10
    assert model.out_activation_ == "softmax"
    assert len(model.loss_curve_) == model.n_iter_ == 15
    assert model.loss_curve_[-1] == pytest.approx(model.loss_)
    assert all(
        later <= earlier + 1e-12
        for earlier, later in zip(
            model.loss_curve_, model.loss_curve_[1:], strict=False
        )
    )


def test_warm_start_continues_from_current_weights():
    X, y = load_scaled("digits")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SoftMLPClassifier((16,), max_iter=10, warm_start=True, random_state=0)
        model.fit(X, y)
        first_loss = model.loss_
        model.fit(X, y)
    assert model.loss_curve_[0] < first_loss
    assert model.loss_ < first_loss


def test_convergence_warnings_for_max_iter_and_max_fun():
    X, y = load_scaled("digits")
    with pytest.warns(ConvergenceWarning, match="Increase max_iter"):
        SoftMLPClassifier((8,), max_iter=2, random_state=0).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        SoftMLPClassifier((8,), max_fun=3, random_state=0).fit(X, y)


def test_float32_dense_and_sparse():
    X, y = load_scaled("breast_cancer")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = SoftMLPClassifier((8,), max_iter=30, random_state=0).fit(X, y)
        sparse = SoftMLPClassifier((8,), max_iter=30, random_state=0)
        sparse.fit(sp.csr_matrix(X), y)
        single = SoftMLPClassifier((8,), max_iter=30, random_state=0)
        single.fit(X.astype(np.float32), y)
    assert_allclose(dense.coefs_[0], sparse.coefs_[0], atol=1e-8)
    assert single.coefs_[0].dtype == np.float32
    assert np.mean(single.predict(X) == dense.predict(X)) > 0.98


def test_non_finite_weights_raise_and_keep_state(monkeypatch):
    import sksmooth.neural_network as nn

    X, y = load_iris(return_X_y=True)
    model = SoftMLPClassifier((4,), random_state=0, max_iter=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    coefs = [c.copy() for c in model.coefs_]

    def broken_lbfgs(fun, x0, options, **kwargs):
        nan = np.full_like(x0, np.nan)
        return SolverResult(nan, np.nan, nan, 1, 1, True, "broken", "L-BFGS-B")

    monkeypatch.setattr(nn, "lbfgs", broken_lbfgs)
    with pytest.raises(FloatingPointError, match="non-finite weights"):
        model.fit(X, y)
    for before, after in zip(coefs, model.coefs_, strict=True):
        assert_array_equal(before, after)


@pytest.mark.parametrize(
    "params, error, fragment",
    [
        ({"hidden_layer_sizes": ()}, ValueError, "at least one layer"),
        ({"hidden_layer_sizes": (10, 0)}, ValueError, "positive sizes"),
        ({"hidden_layer_sizes": (10, 2.5)}, TypeError, "must hold ints"),
        ({"hidden_layer_sizes": "big"}, TypeError, "must hold ints"),
        ({"activation": "softplus"}, ValueError, "activation must be one of"),
        ({"alpha": -1.0}, ValueError, "alpha must be >= 0"),
        ({"max_iter": 0}, ValueError, "max_iter must be >= 1"),
        ({"max_fun": 0}, ValueError, "max_fun must be >= 1"),
        ({"tol": 0.0}, ValueError, "tol must be > 0"),
        ({"random_state": "seed"}, ValueError, "cannot be used to seed"),
    ],
)
def test_bad_parameters_raise_before_state_changes(params, error, fragment):
    X, y = load_iris(return_X_y=True)
    model = SoftMLPClassifier((4,), random_state=0, max_iter=300).fit(X, y)
    before = [c.copy() for c in model.coefs_]
    model.set_params(**params)
    with pytest.raises(error, match=fragment):
        model.fit(X, y)
    assert_array_equal(model.coefs_[0], before[0])


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda X, y: (np.where(X[0, 0] == X, np.nan, X), y), "Input X contains NaN"),
        (lambda X, y: (X, y[:-1]), "inconsistent numbers of samples"),
        (lambda X, y: (X, np.zeros_like(y)), "only one class"),
        (lambda X, y: (X, np.full((len(y), 3), 0.5)), "sum to one"),
    ],
)
def test_bad_input_shares_the_learners_errors(make, fragment):
    X, y = load_iris(return_X_y=True)
    bad_X, bad_y = make(X, y)
    with pytest.raises(ValueError, match=fragment):
        SoftMLPClassifier((4,)).fit(bad_X, bad_y)


def test_meta_estimator_pipeline_and_grid_search():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(),
        LabelSmoothingClassifier(SoftMLPClassifier((8,), random_state=0, tol=1e-3)),
    )
    grid = GridSearchCV(
        pipe,
        {"labelsmoothingclassifier__epsilon": [0.0, 0.1]},
        scoring="neg_log_loss",
        cv=3,
    ).fit(X, y)
    assert grid.best_estimator_.predict(X).shape == y.shape
    assert np.isfinite(grid.best_score_)


def test_sparse_first_layer_gradient_does_not_copy_x_per_evaluation():
    rng = np.random.default_rng(0)
    X = sparse_on_a_larger_buffer()
    codes = rng.integers(0, 3, size=1000)
    kwargs = {
        "n_classes": 3,
        "hidden_layer_sizes": (2,),
        "activation": "tanh",
        "alpha": 0.1,
    }
    loss = MLPSoftCrossEntropy(X, codes, None, **kwargs)
    flat = rng.normal(size=loss.n_params)
    _, grad = assert_no_copy_per_evaluation(loss, flat, X)
    dense = MLPSoftCrossEntropy(X.toarray(), codes, None, **kwargs)
    assert_allclose(grad, dense.loss_gradient(flat)[1], rtol=1e-10)


def test_tiny_sample_weights_with_a_penalty_raise_value_error_model_unchanged():
    # alpha / sum(w) = 1e-4 / 5e-299 = 2e294: the old code ended in a
    # FloatingPointError after the solver overflowed.
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((50, 3)), np.arange(50) % 3
    model = SoftMLPClassifier((4,), random_state=0, max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    coefs, proba = [c.copy() for c in model.coefs_], model.predict_proba(X)
    with pytest.raises(ValueError, match=r"alpha / sum\(sample_weight\) = 2e\+294"):
        model.fit(X, y, sample_weight=np.full(50, 1e-300))
    for before, after in zip(coefs, model.coefs_, strict=True):
        assert_array_equal(before, after)
    assert_array_equal(model.predict_proba(X), proba)
    # just inside the bound (2e144) the solver still returns finite weights
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, sample_weight=np.full(50, 1e-150))
    assert all(np.all(np.isfinite(c)) for c in model.coefs_)


def test_tiny_sample_weights_without_penalty_equal_unit_weights():
    # With alpha=0 the objective sum_i w_i H_i / sum(w) does not depend on the
    # weights' scale: weights of 1e-300 must give the unweighted fit.
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((50, 3)), np.arange(50) % 3
    params = {"hidden_layer_sizes": (4,), "alpha": 0.0, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tiny = SoftMLPClassifier(max_iter=30, **params).fit(
            X, y, sample_weight=np.full(50, 1e-300)
        )
        unit = SoftMLPClassifier(max_iter=30, **params).fit(X, y)
    assert tiny.loss_ == pytest.approx(unit.loss_, rel=1e-9)
    assert_allclose(tiny.predict_proba(X), unit.predict_proba(X), atol=1e-8)
