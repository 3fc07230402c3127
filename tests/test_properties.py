"""Properties that must hold for every input, checked with hypothesis.

Each property is an identity between two fits (or two target matrices) that
the code computes independently: relabelled classes, duplicated rows against
weights, rescaled weights against a rescaled penalty, epsilon = 0 against hard
labels, soft targets through the meta-estimator against the learner. The
learners run at a tight tolerance so that both sides reach the same optimum.
Examples are few and small (CI time), and derandomised so that a failure
reproduces.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sksmooth import LabelSmoothingClassifier, SoftmaxRegression, SoftMLPClassifier
from sksmooth.targets import epsilon_bounds, smooth_labels, spread_matrix

PROPERTY = settings(max_examples=12, deadline=None, derandomize=True, database=None)
TIGHT = {"tol": 1e-10, "max_iter": 2000}


@st.composite
def problems(draw, max_classes=4):
    """A small classification problem whose every class has a few samples."""
    seed = draw(st.integers(0, 2**16))
    n_classes = draw(st.integers(2, max_classes))
    rng = np.random.default_rng(seed)
    n_samples = 8 * n_classes
    y = np.arange(n_samples) % n_classes
    rng.shuffle(y)
    X = rng.normal(size=(n_samples, 3)) + y[:, None] * 0.7
    return X, y, rng


@st.composite
def spreads(draw):
    """A smoothing method for K classes and an allowed epsilon, as fractions."""
    n_classes = draw(st.integers(2, 6))
    kind = draw(st.sampled_from(["uniform", "off_target", "prior", "matrix"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    fraction = draw(st.floats(0, 0.999))
    return n_classes, kind, rng, fraction


@PROPERTY
@given(spreads())
def test_smoothed_rows_sum_to_one_and_keep_the_true_class_on_top(spread):
    n_classes, kind, rng, fraction = spread
    y = np.concatenate([np.arange(n_classes), rng.integers(0, n_classes, 20)])
    method = rng.dirichlet(np.ones(n_classes), n_classes) if kind == "matrix" else kind
    prior = np.bincount(y, minlength=n_classes) / len(y)
    S = spread_matrix(method, n_classes, prior=prior)
    epsilon = fraction * epsilon_bounds(S).min()
    Y = smooth_labels(y, epsilon=epsilon, method=method, n_classes=n_classes)
    assert (Y >= 0).all()
    np.testing.assert_allclose(Y.sum(axis=1), 1, rtol=0, atol=1e-12)
    own = Y[np.arange(len(y)), y]
    others = np.where(np.eye(n_classes, dtype=bool)[y], -np.inf, Y).max(axis=1)
    assert (own > others).all()
    one_hot = np.eye(n_classes)[y]
    np.testing.assert_array_equal(
        smooth_labels(y, epsilon=0.0, method=method, n_classes=n_classes), one_hot
    )


@PROPERTY
@given(problems(), st.sampled_from(["uniform", "prior"]))
def test_relabelling_the_classes_permutes_the_probability_columns(problem, method):
    X, y, rng = problem
    n_classes = y.max() + 1
    permutation = rng.permutation(n_classes)  # class k becomes label permutation[k]
    model = LabelSmoothingClassifier(
        SoftmaxRegression(**TIGHT), epsilon=0.2, method=method
    )
    proba = model.fit(X, y).predict_proba(X)
    relabelled = model.fit(X, permutation[y]).predict_proba(X)
    np.testing.assert_allclose(relabelled[:, permutation], proba, atol=1e-6)


@PROPERTY
@given(problems())
def test_a_duplicated_row_equals_weight_two(problem):
    X, y, rng = problem
    i = int(rng.integers(len(y)))
    duplicated = SoftmaxRegression(**TIGHT).fit(
        np.vstack([X, X[i]]), np.append(y, y[i])
    )
    weights = np.ones(len(y))
    weights[i] = 2
    weighted = SoftmaxRegression(**TIGHT).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(weighted.coef_, duplicated.coef_, atol=1e-6)
    np.testing.assert_allclose(weighted.intercept_, duplicated.intercept_, atol=1e-6)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@PROPERTY
@given(problems(), st.floats(1e-3, 1e3))
def test_scaling_the_weights_is_scaling_the_penalty(problem, scale):
    """scikit-learn counts weights as repetitions: C * sum_i w_i H_i + |W|^2 / 2.

    Multiplying every weight by ``scale`` is therefore dividing ``C`` by it
    (for the MLP, whose objective is divided by sum(w), multiplying ``alpha``
    by it): both sides minimise the same scaled objective. The class prior
    does not change at all.
    """
    X, y, rng = problem
    weights = rng.uniform(0.5, 2, len(y))
    base = SoftmaxRegression(C=1.0, **TIGHT).fit(X, y, sample_weight=weights)
    scaled = SoftmaxRegression(C=1.0 / scale, **TIGHT).fit(
        X, y, sample_weight=scale * weights
    )
    np.testing.assert_allclose(scaled.coef_, base.coef_, rtol=1e-6, atol=1e-8)

    mlp = {"hidden_layer_sizes": (4,), "max_iter": 30, "random_state": 0}
    base = SoftMLPClassifier(alpha=1e-2, **mlp).fit(X, y, sample_weight=weights)
    scaled = SoftMLPClassifier(alpha=1e-2 * scale, **mlp).fit(
        X, y, sample_weight=scale * weights
    )
    np.testing.assert_allclose(
        scaled.predict_proba(X), base.predict_proba(X), rtol=1e-6, atol=1e-8
    )

    prior = LabelSmoothingClassifier(method="prior").fit(X, y, sample_weight=weights)
    rescaled = LabelSmoothingClassifier(method="prior").fit(
        X, y, sample_weight=scale * weights
    )
    np.testing.assert_allclose(rescaled.class_prior_, prior.class_prior_, rtol=1e-12)


@PROPERTY
@given(problems())
def test_epsilon_zero_is_hard_labels(problem):
    X, y, _ = problem
    names = np.array(["a", "b", "c", "d"])
    labels = names[y]
    smoothed = LabelSmoothingClassifier(SoftmaxRegression(), epsilon=0.0).fit(X, labels)
    hard = SoftmaxRegression().fit(X, y)
    np.testing.assert_array_equal(smoothed.estimator_.coef_, hard.coef_)
    np.testing.assert_array_equal(smoothed.estimator_.intercept_, hard.intercept_)
    np.testing.assert_array_equal(smoothed.predict(X), names[hard.predict(X)])


@PROPERTY
@given(problems(), st.floats(0, 0.9))
def test_soft_targets_through_the_meta_estimator_equal_the_learner(problem, epsilon):
    X, y, rng = problem
    n_classes = y.max() + 1
    Y = rng.dirichlet(np.ones(n_classes), len(y))  # e.g. annotators' vote shares
    meta = LabelSmoothingClassifier(SoftmaxRegression(), epsilon=epsilon).fit(X, Y)
    smoothed = (1 - epsilon) * Y + epsilon / n_classes  # uniform, by its formula
    direct = SoftmaxRegression().fit(X, smoothed)
    np.testing.assert_allclose(meta.estimator_.coef_, direct.coef_, atol=1e-12)
    np.testing.assert_allclose(
        meta.predict_proba(X), direct.predict_proba(X), atol=1e-12
    )
