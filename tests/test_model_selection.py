"""LabelSmoothingClassifierCV against independent oracles: GridSearchCV's cold
fits, a brute-force temperature scan, fold models averaged by hand, and the
similarity formula written out here."""

import functools
from unittest import mock

import numpy as np
import pytest
from scipy.special import log_softmax
from sklearn import config_context
from sklearn.datasets import load_breast_cancer, load_iris, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, GroupKFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksmooth import (
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftmaxRegression,
    SoftMLPClassifier,
)
from sksmooth.model_selection._scoring import neg_log_loss_from_log_proba
from sksmooth.model_selection._selection import (
    confusion_similarity,
    p_loss_admissible,
    select_candidate,
)

TIGHT = {"tol": 1e-10, "max_iter": 2000}
GRID = [0.0, 0.05, 0.2, 0.5]


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def noisy():
    """Four classes, overlapping, 20 % flipped labels."""
    X, y = make_classification(
        n_samples=240,
        n_features=6,
        n_informative=4,
        n_classes=4,
        n_clusters_per_class=1,
        flip_y=0.2,
        random_state=0,
    )
    return X, y


def cold_oof_log_proba(X, y, folds, epsilon, method="uniform", **params):
    """Out-of-fold log-probabilities of cold LabelSmoothingClassifier fits."""
    out = np.zeros((len(y), len(np.unique(y))))
    for train, val in folds:
        model = LabelSmoothingClassifier(
            SoftmaxRegression(**TIGHT, **params), epsilon=epsilon, method=method
        ).fit(X[train], y[train])
        out[val] = model.predict_log_proba(X[val])
    return out


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
@pytest.mark.parametrize("binary", [False, True])
def test_matches_grid_search_cv(noisy, binary, solver):
    """Warm-started paths (plain for L-BFGS, the Newton homotopy through
    fit_path) against GridSearchCV's cold L-BFGS fits."""
    X, y = noisy
    if binary:
        y = (y >= 2).astype(int)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    ours = LabelSmoothingClassifierCV(
        SoftmaxRegression(solver=solver, **TIGHT),
        epsilons=GRID,
        cv=cv,
        selection="best",
    ).fit(X, y)
    search = GridSearchCV(
        LabelSmoothingClassifier(SoftmaxRegression(**TIGHT)),
        {"epsilon": GRID},
        cv=cv,
        scoring="neg_log_loss",
    ).fit(X, y)
    assert ours.epsilon_ == search.best_params_["epsilon"]
    for i in range(3):
        np.testing.assert_allclose(
            ours.cv_results_[f"split{i}_test_score"],
            search.cv_results_[f"split{i}_test_score"],
            atol=1e-6,
        )
    np.testing.assert_array_equal(
        ours.cv_results_["rank_test_score"], search.cv_results_["rank_test_score"]
    )
    assert ours.best_score_ == pytest.approx(search.best_score_, abs=1e-6)
    # the refit (warm-started from the path) is the cold fit at the choice
    np.testing.assert_allclose(
        ours.predict_proba(X), search.predict_proba(X), rtol=1e-5, atol=1e-8
    )


def test_param_grid_is_searched_jointly(noisy):
    X, y = noisy
    cv = StratifiedKFold(3)
    ours = LabelSmoothingClassifierCV(
        SoftmaxRegression(**TIGHT),
        epsilons=GRID,
        cv=cv,
        selection="best",
        param_grid={"C": [0.01, 1.0]},
    ).fit(X, y)
    search = GridSearchCV(
        LabelSmoothingClassifier(SoftmaxRegression(**TIGHT)),
        {"epsilon": GRID, "estimator__C": [0.01, 1.0]},
        cv=cv,
        scoring="neg_log_loss",
    ).fit(X, y)
    expected = {
        (p["epsilon"], p["estimator__C"]): score
        for p, score in zip(
            search.cv_results_["params"],
            search.cv_results_["mean_test_score"],
            strict=True,
        )
    }
    for eps, C, score in zip(
        ours.cv_results_["param_epsilon"],
        ours.cv_results_["param_C"],
        ours.cv_results_["mean_test_score"],
        strict=True,
    ):
        assert score == pytest.approx(expected[(eps, C)], abs=1e-6)
    assert ours.best_params_ == {
        "epsilon": search.best_params_["epsilon"],
        "C": search.best_params_["estimator__C"],
    }
    assert ours.best_params_["C"] == ours.estimator_.C


def by_hand_bound(method, K, prior):
    """The largest epsilon of each method, from its definition."""
    if method == "uniform":
        return 1.0
    if method == "off_target":  # 1 - eps > eps / (K - 1)
        return (K - 1) / K
    # prior: 1 - eps + eps * pi_k > eps * pi_j for the class with the least mass
    gap = prior.max() - prior.min()
    return 1.0 / (1.0 + gap)


@pytest.mark.parametrize("method", ["uniform", "off_target", "prior"])
@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_default_grid_reaches_ninety_percent_of_the_bound(method, n_classes):
    rng = np.random.default_rng(n_classes)
    y = np.repeat(np.arange(n_classes), np.arange(n_classes) * 4 + 6)
    X = rng.normal(size=(len(y), 3)) + y[:, None]
    prior = np.bincount(y) / len(y)
    model = LabelSmoothingClassifierCV(
        epsilons=5, method=method, cv=2, param_grid=None
    ).fit(X, y)
    grid = model.cv_results_["param_epsilon"]
    bound = by_hand_bound(method, n_classes, prior)
    assert grid[0] == 0 and grid[-1] == pytest.approx(0.9 * bound)
    steps = np.diff(grid)
    assert np.all(steps > 0) and np.all(np.diff(steps) > 0)  # denser near 0


def test_default_grid_for_confusion_respects_the_learned_bound(noisy):
    X, y = noisy
    model = LabelSmoothingClassifierCV(
        epsilons=4, method="confusion", cv=3, param_grid=None
    ).fit(X, y)
    S = model.similarity_
    bound = min(1 / (1 + S[k].max()) for k in range(len(S)))  # zero diagonal
    assert model.cv_results_["param_epsilon"].max() == pytest.approx(0.9 * bound)


def test_temperature_is_fitted_for_the_choice_on_the_labels(noisy):
    X, y = noisy
    folds = list(StratifiedKFold(3).split(X, y))
    model = LabelSmoothingClassifierCV(
        SoftmaxRegression(C=100.0, **TIGHT),
        epsilons=[0.0, 0.3],
        cv=folds,
        calibration="temperature",
    ).fit(X, y)
    plain = LabelSmoothingClassifierCV(
        SoftmaxRegression(C=100.0, **TIGHT), epsilons=[0.0, 0.3], cv=folds
    ).fit(X, y)
    # the uncalibrated scores decide: the same choice and scores as without it
    assert (
        model.best_index_
        == plain.best_index_
        == np.argmax(plain.cv_results_["mean_test_score"])
    )
    assert model.best_score_ == plain.best_score_
    log_proba = cold_oof_log_proba(X, y, folds, model.epsilon_, C=100.0)
    scan = np.exp(np.linspace(np.log(0.2), np.log(5.0), 2001))
    # the labels' mean cross-entropy, and a standard normal prior on log t
    rows = np.arange(len(y))
    losses = [
        -np.mean(log_softmax(log_proba / t, axis=1)[rows, y])
        + np.log(t) ** 2 / (2 * len(y))
        for t in scan
    ]
    assert model.temperature_ == pytest.approx(scan[np.argmin(losses)], rel=2e-3)
    assert "temperature" not in model.cv_results_
    expected = np.exp(
        log_softmax(model.estimator_.predict_log_proba(X) / model.temperature_, axis=1)
    )
    np.testing.assert_allclose(model.predict_proba(X), expected)


@pytest.mark.parametrize("calibration", [None, "temperature"])
def test_ensemble_averages_the_fold_models(noisy, calibration):
    X, y = noisy
    folds = list(StratifiedKFold(3).split(X, y))
    model = LabelSmoothingClassifierCV(
        SoftmaxRegression(**TIGHT),
        epsilons=GRID,
        cv=folds,
        ensemble=True,
        calibration=calibration,
    ).fit(X, y)
    assert not hasattr(model, "estimator_") and len(model.estimators_) == 3
    # the fold models are the cold fits at the chosen epsilon
    for (train, _), fold_model in zip(folds, model.estimators_, strict=True):
        cold = LabelSmoothingClassifier(
            SoftmaxRegression(**TIGHT), epsilon=model.epsilon_
        ).fit(X[train], y[train])
        np.testing.assert_allclose(fold_model.coef_, cold.estimator_.coef_, atol=1e-5)
    T = model.temperature_
    mean = np.mean(
        [
            np.exp(log_softmax(m.predict_log_proba(X) / T, axis=1))
            for m in model.estimators_
        ],
        axis=0,
    )
    np.testing.assert_allclose(model.predict_proba(X), mean, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), np.argmax(mean, axis=1))


def test_similarity_is_the_out_of_fold_confusion(noisy):
    X, y = noisy
    folds = list(StratifiedKFold(3).split(X, y))
    model = LabelSmoothingClassifierCV(
        SoftmaxRegression(**TIGHT), epsilons=[0.0, 0.2], cv=folds, method="confusion"
    ).fit(X, y)
    proba = np.exp(cold_oof_log_proba(X, y, folds, 0.0))
    K = proba.shape[1]
    S = np.array([proba[y == k].mean(axis=0) for k in range(K)])
    S[np.diag_indices(K)] = 0
    S /= S.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.similarity_, S, atol=1e-6)
    # the epsilon = 0.2 fits smooth toward it: the path equals a cold fit with S
    log_proba = cold_oof_log_proba(X, y, folds, 0.2, method=model.similarity_)
    scores = [-log_loss(y[val], np.exp(log_proba[val])) for _, val in folds]
    np.testing.assert_allclose(
        [model.cv_results_[f"split{i}_test_score"][1] for i in range(3)],
        scores,
        atol=1e-6,
    )


def test_confusion_with_epsilon_zero_only(noisy):
    X, y = noisy
    model = LabelSmoothingClassifierCV(
        epsilons=[0.0], method="confusion", cv=3, ensemble=True
    ).fit(X, y)
    assert model.epsilon_ == 0.0 and len(model.estimators_) == 3
    np.testing.assert_allclose(model.similarity_.sum(axis=1), 1.0)


def test_a_class_never_confused_falls_back_to_uniform():
    proba = np.array([[0.7, 0.3, 0.0], [0.2, 0.8, 0.0], [0.0, 0.0, 1.0]])
    S = confusion_similarity(proba, np.array([0, 1, 2]), 3)
    np.testing.assert_allclose(S, [[0, 1, 0], [1, 0, 0], [0.5, 0.5, 0]])
    weighted = confusion_similarity(
        np.vstack([proba, [[0.5, 0.0, 0.5]]]),
        np.array([0, 1, 2, 0]),
        3,
        sample_weight=np.array([1.0, 1.0, 1.0, 3.0]),
    )
    # class 0: (0.3 * 1 on class 1, 0.5 * 3 on class 2), renormalised
    np.testing.assert_allclose(weighted[0], [0, 0.3 / 1.8, 1.5 / 1.8])


def test_groups_by_argument_and_by_metadata_routing(noisy):
    X, y = noisy
    groups = np.arange(len(y)) % 4
    folds = list(GroupKFold(4).split(X, y, groups))
    expected = LabelSmoothingClassifierCV(epsilons=GRID, cv=folds).fit(X, y)
    by_argument = LabelSmoothingClassifierCV(epsilons=GRID, cv=GroupKFold(4)).fit(
        X, y, groups=groups
    )
    np.testing.assert_allclose(
        by_argument.cv_results_["mean_test_score"],
        expected.cv_results_["mean_test_score"],
    )
    with config_context(enable_metadata_routing=True):
        routed = LabelSmoothingClassifierCV(epsilons=GRID, cv=GroupKFold(4)).fit(
            X, y, groups=groups
        )
    np.testing.assert_allclose(
        routed.cv_results_["mean_test_score"], expected.cv_results_["mean_test_score"]
    )


def test_sample_weight_is_consumed_with_metadata_routing_too(noisy):
    X, y = noisy
    weights = np.random.default_rng(1).integers(1, 4, len(y)).astype(float)
    plain = LabelSmoothingClassifierCV(epsilons=GRID, cv=3).fit(
        X, y, sample_weight=weights
    )
    with config_context(enable_metadata_routing=True):
        routed = LabelSmoothingClassifierCV(epsilons=GRID, cv=3).fit(
            X, y, sample_weight=weights
        )
    np.testing.assert_array_equal(
        routed.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )


def test_sample_weight_weighs_the_scores(noisy):
    X, y = noisy
    weights = np.random.default_rng(0).integers(1, 4, len(y)).astype(float)
    model = LabelSmoothingClassifierCV(
        SoftmaxRegression(**TIGHT), epsilons=[0.0, 0.2], cv=StratifiedKFold(3)
    ).fit(X, y, sample_weight=weights)
    for i, (train, val) in enumerate(StratifiedKFold(3).split(X, y)):
        cold = LabelSmoothingClassifier(SoftmaxRegression(**TIGHT), epsilon=0.2).fit(
            X[train], y[train], sample_weight=weights[train]
        )
        expected = -log_loss(
            y[val], cold.predict_proba(X[val]), sample_weight=weights[val]
        )
        assert model.cv_results_[f"split{i}_test_score"][1] == pytest.approx(
            expected, abs=1e-6
        )


def test_several_scorers_the_first_decides(noisy):
    X, y = noisy
    model = LabelSmoothingClassifierCV(
        epsilons=GRID,
        cv=3,
        scoring={"log_loss": "neg_log_loss", "acc": "accuracy"},
        selection="best",
    ).fit(X, y)
    results = model.cv_results_
    assert model.best_score_ == results["mean_test_log_loss"].max()
    assert results["rank_test_log_loss"][model.best_index_] == 1
    single = LabelSmoothingClassifierCV(epsilons=GRID, cv=3, scoring="accuracy").fit(
        X, y
    )
    np.testing.assert_allclose(
        results["mean_test_acc"], single.cv_results_["mean_test_score"]
    )


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"epsilons": [0.1, 1.2]}, ValueError, r"epsilons\[1\].*0 <= epsilon < 1"),
        ({"epsilons": [-0.1]}, ValueError, r"epsilons\[0\]"),
        # an array's values read as written, not as np.float64(nan)
        ({"epsilons": np.array([np.nan])}, ValueError, r"epsilons\[0\] = nan: "),
        ({"epsilons": np.array(["a"])}, TypeError, r"epsilons\[0\] = 'a': "),
        ({"epsilons": 0}, ValueError, "epsilons=0"),
        ({"epsilons": 1}, ValueError, "epsilons=1"),
        ({"epsilons": "ten"}, TypeError, "epsilons"),
        ({"epsilons": [0.8], "method": "off_target"}, ValueError, "0.75"),
        ({"calibration": "platt"}, ValueError, "calibration must be one of"),
        ({"selection": "1se"}, ValueError, "selection must be one of.*'best'"),
        ({"selection": None}, ValueError, "selection must be one of"),
        ({"scoring": "nope"}, ValueError, "scoring='nope' is not a known scorer"),
        ({"scoring": 3}, TypeError, "scoring must be"),
        ({"ensemble": "yes"}, TypeError, "ensemble"),
        ({"param_grid": {"gamma": [1]}}, ValueError, "param_grid names"),
        ({"method": "nearest"}, ValueError, "method must be one of"),
    ],
)
def test_bad_input_leaves_the_fitted_model_unchanged(params, error, match):
    y = np.repeat(np.arange(4), [20, 20, 20, 8])
    X = np.random.default_rng(0).normal(size=(len(y), 3)) + y[:, None]
    model = LabelSmoothingClassifierCV(epsilons=[0.0, 0.1], cv=2).fit(X, y)
    before = dict(vars(model))
    model.set_params(**params)
    with pytest.raises(error, match=match):
        model.fit(X, y)
    after = {k: v for k, v in vars(model).items() if k.endswith("_")}
    assert after == {k: v for k, v in before.items() if k.endswith("_")}


def test_training_fold_without_a_class_is_named(noisy):
    X, y = noisy
    order = np.argsort(y, kind="stable")
    folds = [(order[:60], order[60:]), (order[60:], order[:60])]
    with pytest.raises(
        ValueError, match=r"cv \(2 given splits\): the training part of fold 0 lacks"
    ):
        LabelSmoothingClassifierCV(cv=folds).fit(X, y)


class FailsOnFractionalWeights(LogisticRegression):
    """Fails when smoothing gives it fractional weights (epsilon > 0)."""

    def fit(self, X, y, sample_weight=None):
        if sample_weight is not None and np.any(sample_weight % 1):
            raise RuntimeError("boom")
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_failing_fit_names_the_fold_and_epsilon(noisy, n_jobs):
    X, y = noisy
    model = LabelSmoothingClassifierCV(
        FailsOnFractionalWeights(), epsilons=[0.0, 0.3], cv=2, n_jobs=n_jobs
    )
    with pytest.raises(
        RuntimeError, match=r"failed in fold [01] at epsilon=0.3: .*boom"
    ):
        model.fit(X, y)


def test_parallel_folds_give_the_same_result(noisy):
    X, y = noisy
    one = LabelSmoothingClassifierCV(epsilons=GRID, cv=3).fit(X, y)
    two = LabelSmoothingClassifierCV(epsilons=GRID, cv=3, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(
        one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(one.predict_proba(X), two.predict_proba(X))


def test_expansion_and_network_learners_work(noisy):
    X, y = noisy
    forest = LabelSmoothingClassifierCV(
        RandomForestClassifier(n_estimators=5, random_state=0),
        epsilons=[0.0, 0.3],
        cv=2,
        calibration="temperature",
    ).fit(X, y)
    assert forest.predict_proba(X).shape == (len(y), 4)
    assert np.all(np.isfinite(forest.cv_results_["mean_test_score"]))
    assert np.isfinite(forest.temperature_)
    mlp = SoftMLPClassifier((8,), max_iter=500, random_state=0)
    network = LabelSmoothingClassifierCV(mlp, epsilons=[0.0, 0.3], cv=2).fit(X, y)
    assert network.estimator_.warm_start is False  # the user's setting, restored
    np.testing.assert_allclose(network.predict_proba(X).sum(axis=1), 1.0)


def test_in_a_pipeline_and_a_grid_search_over_C(iris):
    X, y = iris
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    pipe = make_pipeline(
        StandardScaler(), LabelSmoothingClassifierCV(epsilons=[0.0, 0.1], cv=3)
    ).fit(X, labels)
    assert set(pipe.predict(X)) <= set(labels)
    search = GridSearchCV(
        LabelSmoothingClassifierCV(epsilons=[0.0, 0.1], cv=3),
        {"estimator": [SoftmaxRegression(C=0.1), SoftmaxRegression(C=1.0)]},
        cv=3,
    ).fit(X, labels)
    assert search.best_estimator_.estimator_.C in (0.1, 1.0)
    over_C = GridSearchCV(
        LabelSmoothingClassifierCV(SoftmaxRegression(), epsilons=[0.0, 0.1], cv=3),
        {"estimator__C": [0.1, 1.0]},
        cv=3,
    ).fit(X, labels)
    assert over_C.best_params_["estimator__C"] in (0.1, 1.0)


def test_feature_names_are_kept(iris):
    import pandas as pd  # in the test extra

    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = LabelSmoothingClassifierCV(epsilons=[0.0, 0.1], cv=3).fit(frame, y)
    assert list(model.feature_names_in_) == ["a", "b", "c", "d"]
    assert model.n_features_in_ == 4


def test_a_learner_with_fit_path_walks_each_folds_path_itself(noisy, monkeypatch):
    """One fit_path call per fold, from the largest epsilon down (the cheapest
    order); the refit, one point from the folds' mean, is the learner's fit,
    as LogisticRegressionCV refits."""
    X, y = noisy
    calls = []
    original = SoftmaxRegression.fit_path

    def counting(self, X, y, epsilons, **kwargs):
        calls.append(list(epsilons))
        return original(self, X, y, epsilons, **kwargs)

    monkeypatch.setattr(SoftmaxRegression, "fit_path", counting)
    LabelSmoothingClassifierCV(
        SoftmaxRegression(solver="newton-cg"), epsilons=GRID, cv=3
    ).fit(X, y)
    assert calls == [GRID[::-1]] * 3


@pytest.mark.parametrize("n_classes", [2, 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_stored_log_loss_equals_scikit_learns(n_classes, weighted):
    # sklearn.metrics.log_loss is the oracle, on probabilities that reach the
    # clipping at eps and 1 - eps (and a floor of log(tiny))
    rng = np.random.default_rng(n_classes)
    logits = 40 * rng.standard_normal((60, n_classes))
    log_proba = np.maximum(log_softmax(logits, axis=1), np.log(np.finfo(float).tiny))
    codes = rng.integers(n_classes, size=60)
    weights = rng.uniform(0.1, 3, size=60) if weighted else None
    expected = -log_loss(
        codes, np.exp(log_proba), sample_weight=weights, labels=range(n_classes)
    )
    ours = neg_log_loss_from_log_proba(log_proba, codes, weights)
    assert ours == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("calibration", [None, "temperature"])
def test_setting_first_chooses_C_unsmoothed_then_epsilon(noisy, calibration):
    """The rule from the split columns of cv_results_, written out here: the C
    with the best mean at epsilon 0, then the best epsilon at that C."""
    X, y = noisy
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    common = {
        "epsilons": GRID,
        "cv": cv,
        "calibration": calibration,
        "param_grid": {"C": [0.003, 1.0, 300.0]},
    }
    first = LabelSmoothingClassifierCV(SoftmaxRegression(**TIGHT), **common).fit(X, y)
    joint = LabelSmoothingClassifierCV(
        SoftmaxRegression(**TIGHT), selection="best", **common
    ).fit(X, y)
    results = first.cv_results_
    means = results["mean_test_score"]
    Cs, eps = results["param_C"].data.astype(float), results["param_epsilon"]
    unsmoothed = np.flatnonzero(eps == 0.0)
    best_C = Cs[unsmoothed[np.argmax(means[unsmoothed])]]
    path = np.flatnonzero(Cs == best_C)
    expected = path[np.argmax(means[path])]
    assert first.best_index_ == expected
    assert joint.best_index_ == np.argmax(means)
    # on these noisy labels the two rules disagree: the joint best takes
    # another C than the unsmoothed search would
    assert joint.best_params_["C"] != first.best_params_["C"] == best_C
    assert first.best_params_ == results["params"][expected]
    assert first.best_score_ == pytest.approx(means[expected])
    # the selection changes the choice, never the scores
    for key in ("mean_test_score", "split0_test_score", "rank_test_score"):
        np.testing.assert_array_equal(results[key], joint.cv_results_[key])
    reference = LabelSmoothingClassifier(
        SoftmaxRegression(**TIGHT, C=best_C), epsilon=first.epsilon_
    ).fit(X, y)
    np.testing.assert_allclose(
        first.predict_log_proba(X),
        log_softmax(reference.predict_log_proba(X) / first.temperature_, axis=1),
        rtol=1e-5,
        atol=1e-7,
    )


def test_select_candidate_on_hand_made_scores():
    scores = np.array(
        [
            [-0.50, -0.50],  # setting a, eps 0.0
            [-0.45, -0.45],  # setting a, eps 0.1
            [-0.44, -0.46],  # setting a, eps 0.3: setting a's best
            [-0.60, -0.60],  # setting b, eps 0.0: worse unsmoothed
            [-0.30, -0.50],  # setting b, eps 0.1: the joint best
        ]
    )
    epsilons = np.array([0.0, 0.1, 0.3, 0.0, 0.1])
    settings = np.array([0, 0, 0, 1, 1])
    assert select_candidate(scores, epsilons, settings, "best") == 4
    assert select_candidate(scores, epsilons, settings) == 1
    # a grid without 0: each setting's smallest epsilon stands for it
    keep = [1, 2, 4]
    assert keep[select_candidate(scores[keep], epsilons[keep], settings[keep])] == 4
    # a NaN score never wins
    with_nan = scores.copy()
    with_nan[0, 0] = np.nan
    assert select_candidate(with_nan, epsilons, settings) == 4
    # a gain the folds cannot resolve keeps epsilon 0: below one standard
    # error of the paired differences (gains 0.04 and -0.01: mean 0.015,
    # standard error 0.025), or below 0.1 % of the score however steady
    blurred = np.array([[-0.50, -0.50], [-0.46, -0.51]])
    tiny = np.array([[-0.50, -0.50], [-0.4996, -0.4996]])
    two = np.array([0.0, 0.3])
    assert select_candidate(blurred, two, np.zeros(2)) == 0
    assert select_candidate(tiny, two, np.zeros(2)) == 0
    assert select_candidate(blurred[:, :1], two, np.zeros(2)) == 1  # one fold
    assert select_candidate(tiny, two, np.zeros(2), "best") == 1


@pytest.mark.parametrize("as_pandas", [False, True])
def test_a_class_rarer_than_the_folds_warns_and_fits_with_any_label_type(as_pandas):
    """A class with fewer samples than folds (but two or more) still lies in
    every training fold: scikit-learn's splitter warns and the search goes on,
    whatever the type of the labels (strings crashed the old check)."""
    pd = pytest.importorskip("pandas") if as_pandas else None
    X, y = load_iris(return_X_y=True)
    keep = np.r_[0:50, 50:100, 100:103]  # class 2 has 3 samples
    labels = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y[keep]]
    if as_pandas:
        labels = pd.Series(labels, dtype="str")
    with pytest.warns(UserWarning, match="least populated class"):
        search = LabelSmoothingClassifierCV(epsilons=[0.0, 0.1], cv=5).fit(
            X[keep], labels
        )
    assert search.n_splits_ == 5
    assert list(search.classes_) == ["setosa", "versicolor", "virginica"]


@pytest.mark.parametrize("labels", ["int", "object"])
def test_a_class_of_one_sample_is_refused_by_name(labels):
    X, y = load_iris(return_X_y=True)
    keep = np.r_[0:100, 100]  # class 2 has one sample
    y = y[keep] if labels == "int" else np.array(["a", "b", "c"], dtype=object)[y[keep]]
    rare = 2 if labels == "int" else "c"
    search = LabelSmoothingClassifierCV(epsilons=[0.0, 0.1], cv=3)
    with pytest.raises(ValueError, match=f"class {rare!r} has only 1 sample"):
        search.fit(X[keep], y)
    assert not hasattr(search, "epsilon_")


def test_the_epsilon_bound_error_names_the_datas_number_of_classes():
    X, y = load_iris(return_X_y=True)  # 3 classes: off-target bound is 2/3
    search = LabelSmoothingClassifierCV(epsilons=[0.1, 0.7], method="off_target")
    with pytest.raises(
        ValueError, match=r"epsilons\[1\] = 0.7: .*with 3 classes.*0.666667"
    ):
        search.fit(X, y)


def test_decision_function_is_the_logits_over_the_temperature():
    """softmax(decision_function) is predict_proba, for two and three classes."""
    from scipy.special import expit, softmax

    X, y = load_iris(return_X_y=True)
    for labels in (y, (y == 2).astype(int)):
        search = LabelSmoothingClassifierCV(
            epsilons=[0.0, 0.2], cv=3, calibration="temperature"
        ).fit(X, labels)
        scores = search.decision_function(X[:7])
        np.testing.assert_allclose(
            scores, search.estimator_.decision_function(X[:7]) / search.temperature_
        )
        proba = (
            softmax(scores, axis=1)
            if scores.ndim == 2
            else np.column_stack([expit(-scores), expit(scores)])
        )
        np.testing.assert_allclose(proba, search.predict_proba(X[:7]), rtol=1e-10)
    ensemble = LabelSmoothingClassifierCV(epsilons=[0.0], cv=3, ensemble=True)
    assert not hasattr(ensemble.fit(X, y), "decision_function")


def test_epsilons_is_the_grid_searched():
    X, y = load_iris(return_X_y=True)
    search = LabelSmoothingClassifierCV(epsilons=4, cv=3, method="off_target")
    search.fit(X, y)
    # 4 values from 0 to 90 % of the off-target bound 2/3, quadratically spaced
    expected = 0.9 * (2 / 3) * np.array([0, 1 / 9, 4 / 9, 1])
    np.testing.assert_allclose(search.epsilons_, expected)
    np.testing.assert_allclose(np.unique(search.cv_results_["param_epsilon"]), expected)


@pytest.mark.parametrize("ensemble", [False, True])
def test_float32_input_gives_float32_probabilities(ensemble):
    X, y = load_iris(return_X_y=True)
    X = X.astype(np.float32)
    search = LabelSmoothingClassifierCV(
        epsilons=[0.0, 0.1], cv=3, calibration="temperature", ensemble=ensemble
    ).fit(X, y)
    assert search.predict_proba(X[:5]).dtype == np.float32
    assert search.predict_log_proba(X[:5]).dtype == np.float32
    np.testing.assert_allclose(search.predict_proba(X[:5]).sum(axis=1), 1, rtol=1e-6)


def test_an_unknown_method_lists_confusion_too():
    X, y = load_iris(return_X_y=True)
    search = LabelSmoothingClassifierCV(method="nearest")
    with pytest.raises(ValueError, match="'prior', 'confusion'"):
        search.fit(X, y)


def test_forward_candidates_whose_p_loses_half_again_are_passed_over():
    # two settings; the ratio (1.5) is to each setting's own smallest epsilon
    p_losses = np.array([0.5, 0.749, 0.751, 0.2, 0.301])
    epsilons = np.array([0.0, 0.1, 0.3, 0.0, 0.1])
    settings = np.array([0, 0, 0, 1, 1])
    admissible = p_loss_admissible(p_losses, epsilons, settings)
    assert admissible.tolist() == [True, True, False, True, False]
    # the q-scores would choose row 2; it is passed over for row 1
    scores = np.array(
        [[-0.6, -0.6], [-0.5, -0.5], [-0.4, -0.4], [-0.9, -0.9], [-1, -1]]
    )
    assert select_candidate(scores, epsilons, settings) == 2
    assert select_candidate(scores, epsilons, settings, admissible=admissible) == 1
    assert select_candidate(scores, epsilons, settings, "best", admissible) == 1


def test_settings_that_differ_in_C_share_one_path_per_fold(noisy):
    # one fit_path per fold and fit_intercept value walks both C values (one
    # curvature memory); the refit is the learner's fit at the choice's C
    X, y = noisy
    calls = []
    original = SoftmaxRegression.fit_path

    @functools.wraps(original)  # keeps its signature, which offers Cs
    def recording(self, *args, **kwargs):
        calls.append(kwargs.get("Cs"))
        return original(self, *args, **kwargs)

    search = LabelSmoothingClassifierCV(
        epsilons=GRID,
        cv=3,
        param_grid={"C": [0.1, 1.0], "fit_intercept": [True, False]},
    )
    with mock.patch.object(SoftmaxRegression, "fit_path", recording):
        search.fit(X, y)
    assert calls == [[0.1, 1.0]] * 6
    for index, params in enumerate(search.cv_results_["params"]):
        assert search.cv_results_["mean_fit_time"][index] > 0
        assert set(params) == {"epsilon", "C", "fit_intercept"}
    assert search.best_params_["C"] == search.estimator_.C


def test_forward_smoothing_walks_each_fold_with_fit_path(noisy):
    # one fit_path(smooth="predictions") per fold instead of one warm-started
    # fit per epsilon; the refit is the learner's fit
    X, y = noisy
    calls = []
    original = SoftmaxRegression.fit_path

    @functools.wraps(original)  # keeps its signature, which offers smooth
    def recording(self, *args, **kwargs):
        calls.append((len(args[2]), kwargs.get("smooth")))
        return original(self, *args, **kwargs)

    search = LabelSmoothingClassifierCV(
        SoftmaxRegression(), epsilons=GRID, cv=3, smooth="predictions"
    )
    with mock.patch.object(SoftmaxRegression, "fit_path", recording):
        search.fit(X, y)
    assert calls == [(len(GRID), "predictions")] * 3
    assert search.cv_results_["mean_fit_time"].min() > 0


def test_the_unsmoothed_candidates_are_logistic_regression_cvs_own_fits():
    """On a nearly separable table (the last C's are flat optima, where L-BFGS
    stops at tol wherever its walk brings it) the search without smoothing
    chooses LogisticRegressionCV's C and predicts as it does: the same folds,
    the same C path, the same refit from the folds' mean. (At the largest C,
    where rounding alone moves the stopping point, the scores agree to 1 %.)"""
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    baseline = LogisticRegressionCV(Cs=10, scoring="neg_log_loss").fit(X, y)
    for smooth in ("targets", "predictions"):
        search = LabelSmoothingClassifierCV(epsilons=[0.0, 0.1], smooth=smooth)
        search.fit(X, y)
        unsmoothed = search.cv_results_["param_epsilon"] == 0
        chosen = np.argmax(search.cv_results_["mean_test_score"][unsmoothed])
        assert search.cv_results_["param_C"][unsmoothed][chosen] == baseline.C_[0]
        ours = search.cv_results_["mean_test_score"][unsmoothed]
        theirs = baseline.scores_[1].mean(axis=0)
        np.testing.assert_allclose(ours[:7], theirs[:7], rtol=1e-6)
        np.testing.assert_allclose(ours, theirs, rtol=1e-2)
    at_zero = LabelSmoothingClassifierCV(epsilons=[0.0]).fit(X, y)
    np.testing.assert_allclose(
        at_zero.predict_proba(X), baseline.predict_proba(X), rtol=1e-5, atol=1e-8
    )
