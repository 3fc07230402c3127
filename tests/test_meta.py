"""LabelSmoothingClassifier: equivalence with its inner learner, labels, search."""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sksmooth import LabelSmoothingClassifier, SoftmaxRegression, smooth_labels
from tests.helpers import load_digits_head


def scaled_wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("epsilon", [0.0, 0.1, 0.3])
@pytest.mark.parametrize("method", ["uniform", "off_target"])
def test_same_model_as_inner_learner_on_smoothed_labels(epsilon, method):
    X, y = scaled_wine()
    weights = np.random.default_rng(0).uniform(0.5, 2, size=len(y))
    meta = LabelSmoothingClassifier(
        SoftmaxRegression(C=0.7), epsilon=epsilon, method=method
    ).fit(X, y, sample_weight=weights)
    direct = SoftmaxRegression(C=0.7).fit(
        X, smooth_labels(y, epsilon=epsilon, method=method), sample_weight=weights
    )
    assert_array_equal(meta.estimator_.coef_, direct.coef_)
    assert_array_equal(meta.predict_proba(X), direct.predict_proba(X))
    assert_array_equal(meta.decision_function(X), direct.decision_function(X))


def test_sample_weight_is_passed_through():
    X, y = scaled_wine()
    weights = np.where(y == 0, 5.0, 1.0)
    weighted = LabelSmoothingClassifier().fit(X, y, sample_weight=weights)
    plain = LabelSmoothingClassifier().fit(X, y)
    assert not np.allclose(weighted.estimator_.coef_, plain.estimator_.coef_)
    # integer weights = repeated rows
    repeated = LabelSmoothingClassifier().fit(
        np.repeat(X, weights.astype(int), axis=0), np.repeat(y, weights.astype(int))
    )
    assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-6)


def test_string_labels_in_any_order_are_kept():
    X, y = scaled_wine()
    names = np.array(["zinfandel", "barolo", "merlot"])
    labels = names[y]
    model = LabelSmoothingClassifier().fit(X, labels)
    assert_array_equal(model.classes_, ["barolo", "merlot", "zinfandel"])
    assert_array_equal(model.estimator_.classes_, [0, 1, 2])
    predicted = model.predict(X)
    assert predicted.dtype.kind == "U"
    assert np.mean(predicted == labels) > 0.95
    proba = model.predict_proba(X)
    # column j of predict_proba is classes_[j]
    assert_array_equal(model.classes_[proba.argmax(axis=1)], predicted)
    barolo = labels == "barolo"
    assert proba[barolo, 0].mean() > 0.8


def test_integer_labels_not_starting_at_zero():
    X, y = scaled_wine()
    model = LabelSmoothingClassifier().fit(X, y * 10 + 3)
    assert_array_equal(model.classes_, [3, 13, 23])
    assert set(model.predict(X)) <= {3, 13, 23}


def test_smoothing_lowers_confidence():
    X, y = scaled_wine()
    sharp = LabelSmoothingClassifier(SoftmaxRegression(C=100), epsilon=0).fit(X, y)
    smooth = LabelSmoothingClassifier(SoftmaxRegression(C=100), epsilon=0.2).fit(X, y)
    assert (
        smooth.predict_proba(X).max(axis=1).mean()
        < sharp.predict_proba(X).max(axis=1).mean()
    )


def test_feature_names_from_dataframe():
    X, y = scaled_wine()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = LabelSmoothingClassifier().fit(frame, y)
    assert_array_equal(model.feature_names_in_, frame.columns)
    assert model.n_features_in_ == X.shape[1]
    model.fit(X, y)
    assert not hasattr(model, "feature_names_in_")


def test_estimator_without_soft_targets_or_weights_gets_type_error():
    X, y = scaled_wine()
    model = LabelSmoothingClassifier(KNeighborsClassifier())
    with pytest.raises(TypeError, match="can take neither soft targets nor sample"):
        model.fit(X, y)
    assert not hasattr(model, "estimator_")


@pytest.mark.parametrize(
    "params, y_change, error, fragment",
    [
        ({"epsilon": -0.1}, None, ValueError, "0 <= epsilon < 1"),
        (
            {"epsilon": 0.7, "method": "off_target"},
            None,
            ValueError,
            "epsilon < 0.666667",
        ),
        ({"epsilon": "big"}, None, TypeError, "epsilon must be a real number"),
        ({"method": "nearest"}, None, ValueError, "method must be one of"),
        ({}, "one class", ValueError, "only one class"),
        ({}, "bad soft", ValueError, "sum to one"),
        ({"method": np.eye(2)}, None, ValueError, r"shape \(3, 3\) to match the 3"),
        ({}, "nan X", ValueError, "Input X contains NaN"),
        ({}, "short y", ValueError, "inconsistent numbers of samples"),
        ({}, "negative weights", ValueError, "sample_weight must be non-negative"),
        (
            {"max_expansion_mib": "big"},
            None,
            TypeError,
            "max_expansion_mib must be a real number",
        ),
        ({"max_expansion_mib": 0}, None, ValueError, "max_expansion_mib must be > 0"),
        ({"max_expansion_mib": np.inf}, None, ValueError, "max_expansion_mib must be"),
    ],
)
def test_bad_input_leaves_fitted_model_unchanged(params, y_change, error, fragment):
    X, y = scaled_wine()
    model = LabelSmoothingClassifier().fit(X, y)
    fitted = model.estimator_
    proba = model.predict_proba(X)
    weights = None
    if y_change == "one class":
        y = np.zeros_like(y)
    elif y_change == "bad soft":
        y = smooth_labels(y) * 1.1
    elif y_change == "nan X":
        X = X.copy()
        X[0, 0] = np.nan
    elif y_change == "short y":
        y = y[:-1]
    elif y_change == "negative weights":
        weights = -np.ones(len(y))
    model.set_params(**params)
    with pytest.raises(error, match=fragment):
        model.fit(X, y, sample_weight=weights)
    assert model.estimator_ is fitted
    assert_array_equal(model.predict_proba(scaled_wine()[0]), proba)


def test_grid_search_over_epsilon_and_inner_c():
    X, y = load_iris(return_X_y=True)
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("clf", LabelSmoothingClassifier(SoftmaxRegression())),
        ]
    )
    grid = GridSearchCV(
        pipe,
        {"clf__epsilon": [0, 0.05, 0.1, 0.2], "clf__estimator__C": [0.1, 1]},
        scoring="neg_log_loss",
        cv=3,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 8
    best = grid.best_estimator_
    assert best.named_steps["clf"].epsilon == grid.best_params_["clf__epsilon"]
    assert best.predict_proba(X).shape == (len(y), 3)


def test_grid_search_over_epsilon_with_default_estimator():
    X, y = load_iris(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LabelSmoothingClassifier())])
    grid = GridSearchCV(pipe, {"clf__epsilon": [0, 0.1, 0.2]}, cv=3).fit(X, y)
    assert grid.best_score_ > 0.9
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()


def test_clone_and_pickle():
    X, y = scaled_wine()
    model = LabelSmoothingClassifier(SoftmaxRegression(C=3), epsilon=0.05)
    cloned = clone(model)
    assert cloned.get_params()["estimator__C"] == 3
    model.fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


def test_soft_targets_are_smoothed_toward_the_method():
    X, y = scaled_wine()
    rng = np.random.default_rng(0)
    Y = rng.dirichlet(np.ones(3), size=len(y))
    meta = LabelSmoothingClassifier(epsilon=0.2).fit(X, Y)
    assert_array_equal(meta.classes_, [0, 1, 2])
    direct = SoftmaxRegression().fit(X, 0.8 * Y + 0.2 / 3)
    assert_allclose(meta.predict_proba(X), direct.predict_proba(X), atol=1e-12)
    # the prior of soft targets is their (weighted) column mean
    weights = rng.uniform(0.5, 2, size=len(y))
    meta = LabelSmoothingClassifier(method="prior").fit(X, Y, sample_weight=weights)
    assert_allclose(meta.class_prior_, weights @ Y / weights.sum())


def test_class_prior_is_sample_weighted():
    X, y = scaled_wine()
    weights = np.where(y == 2, 3.0, 1.0)
    meta = LabelSmoothingClassifier(method="prior").fit(X, y, sample_weight=weights)
    counts = np.bincount(y, weights=weights)
    assert_allclose(meta.class_prior_, counts / counts.sum())


def make_methods(K):
    S = np.zeros((K, K))
    for k in range(K):  # each class spreads to its neighbours in code order
        neighbours = [j for j in (k - 1, k + 1) if 0 <= j < K]
        S[k, neighbours] = 1 / len(neighbours)
    return ["uniform", "off_target", "prior", S]


@pytest.mark.parametrize("loader", [load_wine, load_digits_head])
@pytest.mark.parametrize("method_index", range(4))
def test_expansion_path_matches_native_path(loader, method_index):
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    method = make_methods(len(np.unique(y)))[method_index]
    weights = np.random.default_rng(0).uniform(0.5, 2, size=len(y))
    expanded = LabelSmoothingClassifier(
        LogisticRegression(C=0.3, tol=1e-10, max_iter=5000), epsilon=0.15, method=method
    ).fit(X, y, sample_weight=weights)
    native = LabelSmoothingClassifier(
        SoftmaxRegression(C=0.3, tol=1e-10, max_iter=5000), epsilon=0.15, method=method
    ).fit(X, y, sample_weight=weights)
    assert_allclose(expanded.predict_proba(X), native.predict_proba(X), atol=1e-6)


def test_expansion_keeps_only_rows_with_weight():
    X, y = scaled_wine()
    seen = {}

    class Recorder(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            seen["n_rows"], seen["weight"] = X.shape[0], sample_weight.sum()
            return super().fit(X, y, sample_weight=sample_weight)

    LabelSmoothingClassifier(Recorder(), epsilon=0).fit(X, y)
    assert seen["n_rows"] == len(y)
    LabelSmoothingClassifier(Recorder(), epsilon=0.1).fit(X, y)
    assert seen["n_rows"] == 3 * len(y)
    assert seen["weight"] == pytest.approx(len(y))


@pytest.mark.parametrize(
    "estimator",
    [
        SGDClassifier(loss="log_loss", random_state=0),
        HistGradientBoostingClassifier(max_iter=20),
        RandomForestClassifier(n_estimators=10, random_state=0),
        MLPClassifier((10,), max_iter=300, random_state=0),
    ],
    ids=lambda e: type(e).__name__,
)
def test_any_classifier_with_sample_weight(estimator):
    X, y = scaled_wine()
    labels = np.array(["a", "b", "c"])[y]
    model = LabelSmoothingClassifier(estimator, epsilon=0.1).fit(X, labels)
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 3)
    assert_allclose(proba.sum(axis=1), 1)
    assert np.mean(model.predict(X) == labels) > 0.9


def test_similarity_matrix_moves_mass_toward_the_neighbour():
    X, y = load_digits_head(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    S = np.zeros((10, 10))
    S[3, 8] = S[8, 3] = 1.0  # 3 and 8 look alike; the rest spread uniformly
    others = [k for k in range(10) if k not in (3, 8)]
    for k in others:
        S[k, [j for j in range(10) if j != k]] = 1 / 9
    kwargs = {"estimator": SoftmaxRegression(C=10), "epsilon": 0.2}
    similar = LabelSmoothingClassifier(method=S, **kwargs).fit(X, y)
    uniform = LabelSmoothingClassifier(method="uniform", **kwargs).fit(X, y)
    threes = y == 3
    toward_8_similar = similar.predict_proba(X[threes])[:, 8].mean()
    toward_8_uniform = uniform.predict_proba(X[threes])[:, 8].mean()
    assert toward_8_similar > 3 * toward_8_uniform
    assert toward_8_similar > 0.1


def test_matrix_bound_error_names_the_class_label():
    X, y = scaled_wine()
    labels = np.array(["barolo", "merlot", "zinfandel"])[y]
    S = np.array([[0, 1, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    with pytest.raises(ValueError, match="Class 'barolo' is the first to lose it"):
        LabelSmoothingClassifier(epsilon=0.6, method=S).fit(X, labels)


def test_missing_class_in_expanded_fit_gets_a_zero_column():
    X, y = scaled_wine()
    Y = np.eye(3)[np.where(y == 2, 1, y)]  # soft targets with an empty column 2
    model = LabelSmoothingClassifier(LogisticRegression(), epsilon=0.0).fit(X, Y)
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 3)
    assert_array_equal(proba[:, 2], 0)
    assert np.all(np.isneginf(model.predict_log_proba(X)[:, 2]))


def test_expansion_path_with_dataframe_keeps_feature_names():
    X, y = scaled_wine()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = LabelSmoothingClassifier(LogisticRegression(), epsilon=0.1).fit(frame, y)
    assert_array_equal(model.feature_names_in_, frame.columns)
    assert model.predict_proba(frame).shape == (len(y), 3)
    with pytest.warns(UserWarning, match="feature names"):
        model.predict(X)


class FitRecorder(LogisticRegression):
    """Records the bytes of what the expansion hands over; may refuse to fit."""

    refuse = False
    received = {}

    def fit(self, X, y, sample_weight=None):
        assert not self.refuse, "the inner estimator must not be fitted"
        x_bytes = (
            X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
            if sp.issparse(X)
            else X.nbytes
        )
        FitRecorder.received = {
            "rows": X.shape[0],
            "bytes": x_bytes + y.nbytes + sample_weight.nbytes,
        }
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("sparse", [False, True])
def test_expansion_limit_is_the_size_of_what_the_inner_estimator_receives(sparse):
    X, y = scaled_wine()
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0))
    # The oracle: the bytes of the arrays the inner fit actually receives.
    LabelSmoothingClassifier(FitRecorder(), epsilon=0.1, max_expansion_mib=None).fit(
        X, y
    )
    size = FitRecorder.received["bytes"]
    assert FitRecorder.received["rows"] == 3 * len(y)
    at_limit = LabelSmoothingClassifier(
        FitRecorder(), epsilon=0.1, max_expansion_mib=size / 2**20
    )
    at_limit.fit(X, y)  # exactly at the limit: allowed

    refusing = FitRecorder()
    refusing.refuse = True
    below = LabelSmoothingClassifier(
        refusing, epsilon=0.1, max_expansion_mib=(size - 1) / 2**20
    )
    with pytest.raises(ValueError, match=rf"{len(y) * 3} rows .*{size:,} bytes") as e:
        below.fit(X, y)  # the refusing fit is never reached
    message = str(e.value)
    assert "max_expansion_mib" in message and "SoftmaxRegression" in message
    assert "off_target" in message and "similarity matrix" in message
    assert not hasattr(below, "estimator_")


def test_expansion_limit_leaves_a_fitted_model_and_results_unchanged():
    X, y = scaled_wine()
    model = LabelSmoothingClassifier(LogisticRegression(), epsilon=0.1).fit(X, y)
    unlimited = LabelSmoothingClassifier(
        LogisticRegression(), epsilon=0.1, max_expansion_mib=None
    ).fit(X, y)
    # below the (default) limit nothing changes
    assert_array_equal(model.predict_proba(X), unlimited.predict_proba(X))
    fitted, proba = model.estimator_, model.predict_proba(X)
    model.set_params(max_expansion_mib=1e-3)
    with pytest.raises(ValueError, match="by expansion would copy X"):
        model.fit(X, y)
    assert model.estimator_ is fitted
    assert_array_equal(model.predict_proba(X), proba)


def test_native_learners_ignore_the_expansion_limit():
    X, y = scaled_wine()
    model = LabelSmoothingClassifier(epsilon=0.1, max_expansion_mib=1e-9).fit(X, y)
    assert model.score(X, y) > 0.9


def test_expanded_decision_function_has_a_column_per_class():
    X, y = scaled_wine()
    Y = np.eye(3)[np.where(y == 2, 1, y)]  # soft targets with an empty column 2
    model = LabelSmoothingClassifier(LogisticRegression(), epsilon=0.0).fit(X, Y)
    scores = model.decision_function(X)
    assert scores.shape == (len(y), 3)
    assert np.all(np.isneginf(scores[:, 2]))
    # the inner model is binary: its log-odds s become columns -s/2 and s/2
    s = model.estimator_.decision_function(X)
    assert_allclose(scores[:, :2], np.column_stack([-s / 2, s / 2]))
    assert_array_equal(model.classes_[scores.argmax(axis=1)], model.predict(X))
    assert_allclose(softmax(scores, axis=1), model.predict_proba(X), atol=1e-12)


def test_expanded_decision_function_fills_a_missing_multiclass_column():
    X, y = load_digits(n_class=4, return_X_y=True)
    Y = np.eye(4)[np.where(y == 3, 2, y)]  # class 3 gets no expanded rows
    model = LabelSmoothingClassifier(LogisticRegression(), epsilon=0.0).fit(X, Y)
    scores = model.decision_function(X)
    assert scores.shape == (len(y), 4)
    assert np.all(np.isneginf(scores[:, 3]))
    assert_array_equal(scores[:, :3], model.estimator_.decision_function(X))
