"""class_weight on the learners and the meta-estimator, against written formulas.

Oracles: scikit-learn's ``LogisticRegression(class_weight=...)`` and
``compute_class_weight``; ``MLPClassifier`` fitted with the equivalent sample
weights; per-sample weights and balanced weights written out in the tests;
PyTorch's ``CrossEntropyLoss(weight, label_smoothing)`` reduction written in
numpy (torch issue #104776).
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import approx_fprime
from scipy.special import log_softmax
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight

from sksmooth import (
    LabelSmoothingClassifier,
    SoftmaxRegression,
    SoftMLPClassifier,
    smooth_labels,
)
from tests.helpers import load_scaled

TIGHT = {"tol": 1e-12, "max_iter": 20000}
DATASETS = ["wine", "breast_cancer"]


def some_weights(n, seed=0):
    return np.random.default_rng(seed).uniform(0.1, 3, size=n)


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0, 1: 0.5}])
@pytest.mark.parametrize("weighted", [False, True])
def test_softmax_regression_reproduces_logistic_regression(
    dataset, class_weight, weighted
):
    X, y = load_scaled(dataset)
    weights = some_weights(len(y)) if weighted else None
    ours = SoftmaxRegression(C=0.5, class_weight=class_weight, **TIGHT)
    theirs = LogisticRegression(C=0.5, class_weight=class_weight, **TIGHT)
    ours.fit(X, y, sample_weight=weights)
    theirs.fit(X, y, sample_weight=weights)
    assert_allclose(ours.coef_, theirs.coef_, rtol=0, atol=1e-5)
    assert_allclose(ours.intercept_, theirs.intercept_, rtol=0, atol=1e-5)
    # and the class weights change the model (the test is not vacuous)
    plain = SoftmaxRegression(C=0.5, **TIGHT).fit(X, y, sample_weight=weights)
    assert np.abs(plain.coef_ - ours.coef_).max() > 1e-2


def test_string_labels_as_dict_keys():
    X, y = load_scaled("wine")
    labels = np.array(["barolo", "merlot", "zinfandel"])[y]
    class_weight = {"merlot": 4.0, "zinfandel": 0.25}
    ours = SoftmaxRegression(class_weight=class_weight, **TIGHT).fit(X, labels)
    theirs = LogisticRegression(class_weight=class_weight, **TIGHT).fit(X, labels)
    assert_allclose(ours.coef_, theirs.coef_, rtol=0, atol=1e-5)


def test_balanced_equals_sample_weights_from_compute_class_weight():
    X, y = load_scaled("wine")
    weights = some_weights(len(y), seed=1)
    per_class = compute_class_weight(
        "balanced", classes=np.unique(y), y=y, sample_weight=weights
    )
    balanced = SoftmaxRegression(class_weight="balanced", **TIGHT).fit(
        X, y, sample_weight=weights
    )
    explicit = SoftmaxRegression(**TIGHT).fit(
        X, y, sample_weight=weights * per_class[y]
    )
    assert_allclose(balanced.coef_, explicit.coef_, rtol=0, atol=1e-8)


@pytest.mark.parametrize("weighted", [False, True])
def test_soft_targets_weighted_by_expected_class_weight(weighted):
    X, y = load_scaled("wine")
    Y = smooth_labels(y, epsilon=0.3, method="off_target")
    Y[:20] = [0.2, 0.5, 0.3]  # rows whose largest mass is not the label
    weights = some_weights(len(y), seed=2) if weighted else np.ones(len(y))
    c = np.array([2.0, 0.5, 1.0])
    # a sample's weight is multiplied by sum_k c_k Y_ik
    explicit_weights = weights * (Y[:, 0] * 2.0 + Y[:, 1] * 0.5 + Y[:, 2] * 1.0)
    ours = SoftmaxRegression(class_weight={0: 2.0, 1: 0.5}, **TIGHT).fit(
        X, Y, sample_weight=weights if weighted else None
    )
    explicit = SoftmaxRegression(**TIGHT).fit(X, Y, sample_weight=explicit_weights)
    assert_allclose(ours.coef_, explicit.coef_, rtol=0, atol=1e-8)

    # "balanced": class k counted as its expected mass sum_i w_i Y_ik
    mass = (weights[:, None] * Y).sum(axis=0)
    c = weights.sum() / (3 * mass)
    balanced = SoftmaxRegression(class_weight="balanced", **TIGHT).fit(
        X, Y, sample_weight=weights if weighted else None
    )
    explicit = SoftmaxRegression(**TIGHT).fit(X, Y, sample_weight=weights * (Y @ c))
    assert_allclose(balanced.coef_, explicit.coef_, rtol=0, atol=1e-8)


def test_one_hot_soft_targets_weighted_like_labels():
    X, y = load_scaled("wine")
    by_labels = SoftmaxRegression(class_weight="balanced", **TIGHT).fit(X, y)
    by_matrix = SoftmaxRegression(class_weight="balanced", **TIGHT).fit(X, np.eye(3)[y])
    assert_allclose(by_labels.coef_, by_matrix.coef_, rtol=0, atol=1e-8)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 5.0}])
def test_mlp_follows_mlpclassifier_with_equivalent_sample_weights(class_weight):
    # MLPClassifier has no class_weight (scikit-learn 1.9); its sample weights
    # times LogisticRegression's class weights are the oracle.
    X, y = load_scaled("breast_cancer")
    X, y = X[:200], y[:200]
    per_class = compute_class_weight(class_weight, classes=np.unique(y), y=y)
    params = {"hidden_layer_sizes": (8,), "max_iter": 10, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = SoftMLPClassifier(class_weight=class_weight, **params).fit(X, y)
        theirs = MLPClassifier(solver="lbfgs", **params).fit(
            X, y, sample_weight=per_class[y]
        )
        plain = SoftMLPClassifier(**params).fit(X, y)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-8)
    assert np.abs(ours.predict_proba(X) - plain.predict_proba(X)).max() > 1e-3


BAD_CLASS_WEIGHTS = [
    ({7: 2.0}, ValueError, "names the class 7, which is not among"),
    ({0: -1.0}, ValueError, "class_weight of class 0 must be a finite non-neg"),
    ({1: np.nan}, ValueError, "class_weight of class 1 must be .* got nan"),
    ({1: "heavy"}, ValueError, "class_weight of class 1 .* got 'heavy'"),
    ("balance", ValueError, "got the string 'balance'"),
    ([1.0, 2.0], TypeError, "class_weight must be None, 'balanced' or a dict"),
    ({0: 0.0, 1: 0.0, 2: 0.0}, ValueError, "gives every sample weight zero"),
]


@pytest.mark.parametrize(
    "estimator",
    [
        SoftmaxRegression(),
        SoftMLPClassifier((4,), max_iter=5, random_state=0),
        LabelSmoothingClassifier(),
        LabelSmoothingClassifier(LogisticRegression()),
    ],
    ids=["softmax", "mlp", "meta", "meta-expansion"],
)
@pytest.mark.parametrize("class_weight, error, fragment", BAD_CLASS_WEIGHTS)
def test_bad_class_weight_raises_before_any_state_change(
    estimator, class_weight, error, fragment
):
    X, y = load_scaled("wine")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = clone(estimator).fit(X, y)
    proba = model.predict_proba(X)
    before = dict(vars(model))
    model.set_params(class_weight=class_weight)
    with pytest.raises(error, match=fragment):
        model.fit(X, y)
    for name, value in before.items():
        if name != "class_weight":
            assert vars(model)[name] is value, name
    assert_array_equal(model.predict_proba(X), proba)


# --- LabelSmoothingClassifier: class weights by the labelled class -----------


@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0, 2: 0.5}])
@pytest.mark.parametrize("weighted", [False, True])
def test_meta_weights_by_labelled_class_before_smoothing(class_weight, weighted):
    X, y = load_scaled("wine")
    weights = some_weights(len(y), seed=3) if weighted else None
    w = np.ones(len(y)) if weights is None else weights
    if class_weight == "balanced":
        counts = np.bincount(y, weights=w)
        per_class = w.sum() / (3 * counts)
    else:
        per_class = np.array([3.0, 1.0, 0.5])
    meta = LabelSmoothingClassifier(
        SoftmaxRegression(**TIGHT), epsilon=0.2, class_weight=class_weight
    ).fit(X, y, sample_weight=weights)
    direct = SoftmaxRegression(**TIGHT).fit(
        X, smooth_labels(y, epsilon=0.2), sample_weight=w * per_class[y]
    )
    assert_allclose(meta.estimator_.coef_, direct.coef_, rtol=0, atol=1e-8)
    # the class prior stays the data's (sample-weighted) frequencies
    assert_allclose(meta.class_prior_, np.bincount(y, weights=w) / w.sum())

    expanded = LabelSmoothingClassifier(
        LogisticRegression(**TIGHT), epsilon=0.2, class_weight=class_weight
    ).fit(X, y, sample_weight=weights)
    assert_allclose(expanded.predict_proba(X), meta.predict_proba(X), rtol=0, atol=1e-6)


def test_meta_soft_targets_weighted_before_smoothing():
    X, y = load_scaled("wine")
    Y = np.eye(3)[y] * 0.7 + np.roll(np.eye(3)[y], 1, axis=1) * 0.3
    c = np.array([1.0, 4.0, 0.5])
    meta = LabelSmoothingClassifier(
        SoftmaxRegression(**TIGHT),
        epsilon=0.2,
        method="off_target",
        class_weight={0: 1.0, 1: 4.0, 2: 0.5},
    ).fit(X, Y)
    smoothed = 0.8 * Y + 0.2 * Y @ ((1 - np.eye(3)) / 2)
    direct = SoftmaxRegression(**TIGHT).fit(X, smoothed, sample_weight=Y @ c)
    assert_allclose(meta.estimator_.coef_, direct.coef_, rtol=0, atol=1e-8)


def test_meta_class_weight_is_not_pytorchs_label_smoothing_formula():
    """PyTorch's weighted label smoothing is a different objective.

    ``torch.nn.CrossEntropyLoss(weight=c, label_smoothing=eps)`` with class
    indices and mean reduction computes (torch issue #104776)::

        [(1 - eps) * sum_i c[y_i] * l_i[y_i]
         + eps / K * sum_i sum_k c[k] * l_i[k]] / sum_i c[y_i]

    with ``l_i[k] = -log p_ik``: the smoothing term weights class ``k`` by
    ``c[k]`` but is normalised by the true classes' weights. sksmooth weights a
    sample's whole smoothed loss by ``c[y_i]``. Both objectives are written
    here in numpy with SoftmaxRegression's penalty; sksmooth's fit is a
    stationary point of its own and clearly not of PyTorch's.
    """
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)[::3]
    y = y[::3]
    n, d = X.shape
    K, eps, C = 3, 0.3, 1.0
    c = np.array([5.0, 1.0, 0.2])
    meta = LabelSmoothingClassifier(
        SoftmaxRegression(C=C, **TIGHT), epsilon=eps, class_weight=dict(enumerate(c))
    ).fit(X, y)

    def losses(params):
        W, b = params[: K * d].reshape(K, d), params[K * d :]
        return -log_softmax(X @ W.T + b, axis=1), W  # (n, K): l_i[k]

    def sksmooth_objective(params):
        loss, W = losses(params)
        Y = (1 - eps) * np.eye(K)[y] + eps / K
        return C * np.sum(c[y] * np.sum(Y * loss, axis=1)) + 0.5 * np.sum(W**2)

    def pytorch_objective(params):
        loss, W = losses(params)
        nll = np.sum(c[y] * loss[np.arange(n), y])
        smooth = np.sum(loss * c)  # sum_i sum_k c[k] * l_i[k]
        mean = ((1 - eps) * nll + eps / K * smooth) / np.sum(c[y])
        return C * np.sum(c[y]) * mean + 0.5 * np.sum(W**2)

    fitted = np.concatenate([meta.estimator_.coef_.ravel(), meta.estimator_.intercept_])
    ours = approx_fprime(fitted, sksmooth_objective, 1e-7)
    torch = approx_fprime(fitted, pytorch_objective, 1e-7)
    assert np.abs(ours).max() < 1e-4
    assert np.abs(torch).max() > 1.0
