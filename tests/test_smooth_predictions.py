"""``smooth="predictions"`` in the meta-estimators: forward correction.

Oracles: the learner fitted by hand with ``T = (1 - eps) * I + eps * S``
written here; out-of-fold scores of ``q = p @ T`` recomputed here from
hand-fitted folds; the temperature against a brute-force search; a known
symmetric noise rate.
"""

import warnings

import numpy as np
import pytest
from scipy.special import log_softmax
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from sksmooth import (
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftmaxRegression,
    SoftMLPClassifier,
)
from sksmooth.datasets import flip_labels
from sksmooth.model_selection import fit_temperature


def problem(n=300, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = np.argmax(
        X @ rng.normal(size=(4, n_classes)) + rng.normal(size=(n, n_classes)), 1
    )
    return X, y


def uniform_transition(epsilon, n_classes):
    return (1 - epsilon) * np.eye(n_classes) + epsilon / n_classes


@pytest.mark.parametrize(
    "learner",
    [SoftmaxRegression(tol=1e-8), SoftMLPClassifier((6,), random_state=0)],
    ids=["linear", "mlp"],
)
def test_meta_fits_the_labels_with_the_transition(learner):
    X, y = problem()
    names = np.array(["a", "b", "c"])
    labels = names[y]
    w = np.linspace(0.5, 1.5, len(y))
    model = LabelSmoothingClassifier(learner, epsilon=0.3, smooth="predictions")
    model.fit(X, labels, sample_weight=w)
    by_hand = learner.fit(X, y, sample_weight=w, transition=uniform_transition(0.3, 3))
    np.testing.assert_array_equal(model.predict_proba(X), by_hand.predict_proba(X))
    assert model.predict(X[:3]).tolist() == names[by_hand.predict(X[:3])].tolist()


def test_a_similarity_matrix_and_soft_targets_are_taken_as_given():
    X, y = problem()
    S = np.array([[0, 1.0, 0], [0.5, 0, 0.5], [0, 1.0, 0]])
    model = LabelSmoothingClassifier(epsilon=0.2, method=S, smooth="predictions")
    Y = np.eye(3)[y] * 0.9 + 0.1 / 3
    model.fit(X, Y)
    T = 0.8 * np.eye(3) + 0.2 * S
    by_hand = SoftmaxRegression().fit(X, Y, transition=T)
    np.testing.assert_array_equal(model.predict_proba(X), by_hand.predict_proba(X))


def test_at_epsilon_zero_both_sides_are_the_plain_fit():
    X, y = problem()
    targets = LabelSmoothingClassifier(epsilon=0.0).fit(X, y).predict_proba(X)
    forward = LabelSmoothingClassifier(epsilon=0.0, smooth="predictions").fit(X, y)
    np.testing.assert_array_equal(forward.predict_proba(X), targets)


@pytest.mark.parametrize("cls", [LabelSmoothingClassifier, LabelSmoothingClassifierCV])
def test_bad_smooth_or_an_expansion_learner_is_refused_before_any_state(cls):
    X, y = problem(60)
    model = cls(smooth="both")
    with pytest.raises(ValueError, match=r"smooth must be one of \['targets', 'pr"):
        model.fit(X, y)
    model = cls(LogisticRegression(), smooth="predictions")
    with pytest.raises(TypeError, match="transition matrix .*SoftmaxRegression"):
        model.fit(X, y)
    assert not hasattr(model, "classes_")


def test_cv_scores_are_the_out_of_fold_log_loss_of_the_smoothed_prediction():
    X, y = problem(240)
    folds = list(StratifiedKFold(3).split(X, y))
    learner = SoftmaxRegression(tol=1e-10, max_iter=1000)
    search = LabelSmoothingClassifierCV(
        learner, epsilons=[0.0, 0.3], cv=folds, smooth="predictions"
    ).fit(X, y)
    for e, epsilon in enumerate([0.0, 0.3]):
        T = uniform_transition(epsilon, 3)
        for f, (train, val) in enumerate(folds):
            p = learner.fit(X[train], y[train], transition=T).predict_proba(X[val])
            expected = -log_loss(y[val], p @ T, labels=[0, 1, 2])
            got = search.cv_results_[f"split{f}_test_score"][e]
            assert got == pytest.approx(expected, abs=1e-6)


def test_temperature_is_fitted_on_p_inside_the_transition():
    rng = np.random.default_rng(3)
    log_p = log_softmax(3 * rng.normal(size=(200, 3)), axis=1)
    T = uniform_transition(0.4, 3)
    # labels drawn from an over-confident p (true temperature 2), through T
    q = np.exp(log_softmax(log_p / 2, axis=1)) @ T
    codes = np.array([rng.choice(3, p=row) for row in q])

    def loss(tau):
        q = np.exp(log_softmax(log_p / tau, axis=1)) @ T
        prior = np.log(tau) ** 2 / 2  # standard normal on log tau
        return -np.log(q[np.arange(200), codes]).sum() / 200 + prior / 200

    taus = np.exp(np.linspace(np.log(0.01), np.log(100), 20001))
    best = taus[np.argmin([loss(t) for t in taus])]
    assert best > 1  # the floor of the sharpening does not bind here
    assert fit_temperature(log_p, codes, transition=T) == pytest.approx(best, rel=1e-3)
    assert fit_temperature(log_p, codes) != pytest.approx(best, rel=1e-2)


def test_predictions_without_a_mistake_are_not_sharpened_without_bound():
    """Maximum likelihood sends the temperature of separable out-of-fold
    predictions to its lower bound (0.01): every later mistake then costs
    about 100 times its margin in nats. The fit stops where the expected error
    rate is the rule of succession's one mistake in n + 2."""
    log_p = np.log(np.tile([[0.98, 0.01, 0.01], [0.01, 0.98, 0.01]], (50, 1)))
    codes = np.tile([0, 1], 50)
    tau = fit_temperature(log_p, codes)
    assert 0.01 < tau < 1
    off = 1 - np.exp(log_softmax(log_p[:1] / tau, axis=1))[0, 0]
    assert off == pytest.approx(1 / 102, rel=1e-5)
    # the same through a transition: q's expected error is held at 1 / 102
    T = uniform_transition(0.01, 3)
    tau = fit_temperature(log_p, codes, transition=T)
    q = np.exp(log_softmax(log_p[:1] / tau, axis=1)) @ T
    assert 1 - q.max() == pytest.approx(1 / 102, rel=1e-5)


def test_the_floor_only_limits_sharpening():
    """With mistakes enough the labels' own optimum stands, sharper than 1."""
    rng = np.random.default_rng(4)
    log_p = log_softmax(rng.normal(size=(400, 3)), axis=1)
    # labels drawn from a sharper p (true temperature 0.5)
    q = np.exp(log_softmax(log_p / 0.5, axis=1))
    codes = np.array([rng.choice(3, p=row) for row in q])
    rows = np.arange(400)

    def loss(tau):
        scaled = log_softmax(log_p / tau, axis=1)
        return -scaled[rows, codes].mean() + np.log(tau) ** 2 / 800

    taus = np.exp(np.linspace(np.log(0.05), np.log(2), 20001))
    best = taus[np.argmin([loss(t) for t in taus])]
    assert best < 0.8
    assert fit_temperature(log_p, codes) == pytest.approx(best, rel=1e-3)


def test_temperature_stays_at_one_where_the_labels_say_nothing_of_it():
    rng = np.random.default_rng(0)
    log_p = log_softmax(rng.normal(size=(60, 3)), axis=1)
    codes = rng.integers(0, 3, size=60)
    blur = np.full((3, 3), 1 / 3)  # q is uniform whatever p is
    assert fit_temperature(log_p, codes, transition=blur) == pytest.approx(1, abs=1e-5)


def test_softening_needs_every_fold_and_sharpening_does_not():
    """Over-confident predictions in every fold are softened as if pooled; if
    one fold's own temperature is below 1, they are not softened at all. A
    sharpening temperature is the pooled one whatever the folds say."""
    rng = np.random.default_rng(6)
    log_p = log_softmax(3 * rng.normal(size=(300, 3)), axis=1)
    soft = np.exp(log_softmax(log_p / 2, axis=1))  # true temperature 2
    codes = np.array([rng.choice(3, p=row) for row in soft])
    folds = np.arange(300) % 3
    pooled = fit_temperature(log_p, codes)
    assert pooled > 1.5
    assert fit_temperature(log_p, codes, groups=folds) == pooled
    # the third fold's labels follow p itself, sharper: its own tau is below 1
    sharp = np.array(
        [
            rng.choice(3, p=row)
            for row in np.exp(log_p / 0.7) / np.exp(log_p / 0.7).sum(1, keepdims=True)
        ]
    )
    mixed = np.where(folds == 2, sharp, codes)
    own = fit_temperature(log_p[folds == 2], mixed[folds == 2])
    assert own < 1
    assert fit_temperature(log_p, mixed) > 1
    assert fit_temperature(log_p, mixed, groups=folds) == 1.0
    sharpened = np.array(
        [
            rng.choice(3, p=row)
            for row in np.exp(log_p / 0.7) / np.exp(log_p / 0.7).sum(1, keepdims=True)
        ]
    )
    assert fit_temperature(log_p, sharpened, groups=folds) == fit_temperature(
        log_p, sharpened
    )


def test_an_integer_weight_is_a_repeated_out_of_fold_prediction():
    rng = np.random.default_rng(1)
    log_p = log_softmax(2 * rng.normal(size=(80, 3)), axis=1)
    codes, weights = rng.integers(0, 3, size=80), rng.integers(1, 4, size=80)
    repeated = np.repeat(np.arange(80), weights)
    T = uniform_transition(0.2, 3)
    for transition in (None, T):
        assert fit_temperature(log_p, codes, weights, transition) == pytest.approx(
            fit_temperature(log_p[repeated], codes[repeated], None, transition),
            rel=1e-6,
        )


def test_cv_recovers_a_known_noise_rate_and_beats_epsilon_zero():
    """Symmetric noise at rate r is the uniform T at eps = r K / (K - 1)."""
    X, y = problem(2400, n_classes=4, seed=5)
    X_train, y_train, X_test, y_test = X[:1600], y[:1600], X[1600:], y[1600:]
    rate = 0.3
    noisy = flip_labels(y_train, rate, 4, random_state=0)
    search = LabelSmoothingClassifierCV(
        epsilons=np.linspace(0, 0.8, 9), cv=3, smooth="predictions"
    ).fit(X_train, noisy)
    assert abs(search.epsilon_ - rate * 4 / 3) <= 0.1
    plain = SoftmaxRegression().fit(X_train, noisy)
    p, p0 = search.predict_proba(X_test), plain.predict_proba(X_test)
    assert log_loss(y_test, p) < log_loss(y_test, p0)
    assert accuracy_score(y_test, p.argmax(1)) >= accuracy_score(y_test, p0.argmax(1))


def test_cv_with_confusion_builds_the_transition_from_the_learned_similarity():
    X, y = problem(300)
    search = LabelSmoothingClassifierCV(
        epsilons=[0.0, 0.2], cv=3, method="confusion", smooth="predictions"
    ).fit(X, y)
    S = search.similarity_
    assert np.allclose(np.diag(S), 0) and np.allclose(S.sum(1), 1)
    if search.epsilon_ > 0:
        T = (1 - search.epsilon_) * np.eye(3) + search.epsilon_ * S
        by_hand = SoftmaxRegression().fit(X, y, transition=T)
        np.testing.assert_allclose(
            search.predict_proba(X),
            np.exp(
                log_softmax(np.log(by_hand.predict_proba(X)) / search.temperature_, 1)
            ),
            atol=1e-5,
        )


def test_anchor_similarity_recovers_a_one_way_flip():
    """Written from the definition: a model sure of the true class k predicts
    the noisy-label distribution T[k]; the class means would mix in the
    samples flipped into k and look symmetric."""
    from sksmooth.model_selection._selection import (
        anchor_similarity,
        confusion_similarity,
    )

    n_classes, rate = 4, 0.3
    T = (1 - rate) * np.eye(n_classes) + rate * np.roll(np.eye(n_classes), 1, axis=1)
    rng = np.random.default_rng(0)
    true = rng.integers(0, n_classes, 400)
    sure = rng.random(400) < 0.5  # half the samples: the model is sure
    proba = np.where(sure[:, None], T[true], np.full((400, n_classes), 1 / n_classes))
    noisy = np.array([rng.choice(n_classes, p=T[k]) for k in true])
    flip = np.roll(np.eye(n_classes), 1, axis=1)
    np.testing.assert_allclose(anchor_similarity(proba, n_classes), flip, atol=1e-12)
    means = confusion_similarity(proba, noisy, n_classes)
    assert np.abs(means - flip).max() > 0.3


def test_cv_with_confusion_learns_a_one_way_flip_and_beats_uniform():
    """Digits with 30 % of each class's labels moved to the next class: the
    learned similarity points each class at its successor, and the clean
    log-loss beats the uniform transition's."""
    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(0)) / (X.std(0) + 1e-9)
    rng = np.random.default_rng(0)
    train = rng.random(len(y)) < 0.7
    noisy = y[train].copy()
    flipped = rng.random(noisy.size) < 0.3
    noisy[flipped] = (noisy[flipped] + 1) % 10
    scores = {}
    for method in ("uniform", "confusion"):
        search = LabelSmoothingClassifierCV(
            SoftmaxRegression(C=0.1),
            epsilons=5,
            cv=3,
            method=method,
            smooth="predictions",
        ).fit(X[train], noisy)
        scores[method] = log_loss(y[~train], search.predict_proba(X[~train]))
    successor = np.argmax(search.similarity_, axis=1) == (np.arange(10) + 1) % 10
    assert successor.sum() >= 8
    assert scores["confusion"] < 0.8 * scores["uniform"]


def test_labels_that_carry_nothing_of_X_get_no_smoothing():
    """Labels drawn independently of X: every epsilon's q fits them as well
    (p's intercepts absorb epsilon), and forward smoothing must not read that
    ambiguity as noise: a large epsilon would sharpen p toward a prior far
    more extreme than the labels' own."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 5))
    y = rng.choice(3, size=300, p=[0.5, 0.3, 0.2])
    X_test = rng.normal(size=(2000, 5))
    y_test = rng.choice(3, size=2000, p=[0.5, 0.3, 0.2])
    search = LabelSmoothingClassifierCV(
        smooth="predictions", calibration="temperature"
    ).fit(X, y)
    assert search.epsilon_ == 0.0
    prior = np.tile(np.bincount(y) / len(y), (len(y_test), 1))
    assert log_loss(y_test, search.predict_proba(X_test)) < 1.01 * log_loss(
        y_test, prior
    )


def test_a_forward_path_over_C_starts_each_C_from_the_last_one():
    # Nearly separable (iris, C=1e4) and a tight budget: a cold fit stops far
    # from the unsmoothed solution; the forward path over C, each C's first
    # point started from the smaller C's (as LogisticRegressionCV walks C),
    # gets close to it.
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    Cs = np.logspace(-2, 4, 7)

    def objective(model, C):  # C * sum of -log p_y + |W|^2 / 2, written here
        P = model.predict_proba(X)
        return C * -np.log(P[np.arange(len(y)), y]).sum() + (model.coef_**2).sum() / 2

    learner = SoftmaxRegression(C=Cs[-1], max_iter=10, tol=1e-10)
    optimum = objective(clone(learner).set_params(max_iter=10**5).fit(X, y), Cs[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cold = objective(clone(learner).fit(X, y), Cs[-1])
        model = clone(learner).fit(X, y)  # a fitted shell for the path's point
        path = clone(learner).fit_path(X, y, [0.0, 0.1], Cs=Cs, smooth="predictions")
    model.coef_, model.intercept_ = path[2 * (len(Cs) - 1)]  # (C=1e4, eps=0)
    assert cold / optimum - 1 > 0.1  # the premise: the budget binds
    assert objective(model, Cs[-1]) / optimum - 1 < 1e-2
