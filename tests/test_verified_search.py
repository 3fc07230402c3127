"""Checked rows in LabelSmoothingClassifierCV: folds, scores, the
counted transition, and what the recipe gains on pair noise.

Oracles: fits of LabelSmoothingClassifier on the search's own folds, scored
here on the checked validation rows; the count written in the test; the fit
with the true transition.
"""

import numpy as np
import pytest
from scipy.special import log_softmax
from sklearn.base import clone
from sklearn.datasets import make_blobs, make_classification
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from sksmooth import (
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftmaxRegression,
)
from sksmooth.model_selection._routing import checked_strata
from sksmooth.targets import counted_transition


def pair_noise_problem(n=240, n_classes=3, seed=0, share=0.2, rate=0.3):
    """Blobs; a share ``rate`` of the labels moved to the next class; a
    share of the rows checked (their verified class is the true one)."""
    rng = np.random.default_rng(seed)
    X, truth = make_blobs(
        n_samples=n, centers=n_classes, n_features=3, cluster_std=2.0, random_state=seed
    )
    X = StandardScaler().fit_transform(X)
    given = truth.copy()
    flip = rng.random(n) < rate
    given[flip] = (given[flip] + 1) % n_classes
    y_verified = np.full(n, None, dtype=object)
    checked = rng.random(n) < share
    y_verified[checked] = truth[checked]
    return X, given, truth, y_verified, checked


def test_the_verified_scores_are_p_on_the_checked_validation_rows():
    X, given, truth, y_verified, checked = pair_noise_problem(n=150)
    folds = list(StratifiedKFold(3).split(X, given * 2 + checked))
    inner = SoftmaxRegression(C=1.0, tol=1e-10, max_iter=1000)
    search = LabelSmoothingClassifierCV(
        inner, smooth="predictions", epsilons=[0.0, 0.3], param_grid=None, cv=folds
    ).fit(X, given, y_verified=y_verified)
    fit_codes = np.where(checked, truth, given)
    for f, (train, val) in enumerate(folds):
        model = LabelSmoothingClassifier(
            clone(inner), epsilon=0.3, smooth="predictions"
        ).fit(X[train], given[train], y_verified=y_verified[train])
        rows = val[checked[val]]
        expected = -log_loss(
            fit_codes[rows], model.predict_proba(X[rows]), labels=[0, 1, 2]
        )
        assert search.cv_results_[f"split{f}_verified_score"][1] == pytest.approx(
            expected, rel=1e-6
        )


def test_the_counted_transition_is_the_count_of_every_checked_row_shrunk():
    X, given, truth, y_verified, checked = pair_noise_problem()
    search = LabelSmoothingClassifierCV(
        smooth="predictions", method="counted", param_grid=None
    ).fit(X, given, y_verified=y_verified)
    count = counted_transition(truth[checked], given[checked], 3)
    epsilon = search.epsilon_
    np.testing.assert_allclose(
        search.transition_, (1 - epsilon) * np.eye(3) + epsilon * count
    )


def test_every_checked_row_agreeing_smooths_nothing():
    X, given, _, _, checked = pair_noise_problem(n=150)
    y_verified = np.where(checked, given, None)
    folds = list(StratifiedKFold(3).split(X, given * 2 + checked))
    settings = {"calibration": "temperature", "cv": folds, "smooth": "predictions"}
    search = LabelSmoothingClassifierCV(method="counted", **settings)
    search.fit(X, given, y_verified=y_verified)
    assert search.epsilon_ == 0.0
    np.testing.assert_array_equal(search.transition_, np.eye(3))
    assert set(search.cv_results_["param_epsilon"]) == {0.0}
    # the same fits as the unsmoothed search's; only the scores' log(p @ I)
    # differ from log p in the last bits
    unsmoothed = LabelSmoothingClassifierCV(epsilons=[0.0], **settings).fit(X, given)
    assert search.best_params_ == unsmoothed.best_params_
    assert search.temperature_ == pytest.approx(unsmoothed.temperature_, rel=1e-6)
    np.testing.assert_allclose(
        search.predict_proba(X), unsmoothed.predict_proba(X), rtol=1e-6, atol=1e-12
    )


def test_folds_hold_checked_rows_of_every_class_that_has_enough():
    codes = np.repeat([0, 1, 2], 40)
    checked = np.zeros(120, dtype=bool)
    checked[[0, 1, 2, 3, 4, 40, 41, 42, 43, 44, 80, 81, 82, 83, 84]] = True
    strata = checked_strata(codes, checked, np.array(["a", "b", "c"]), 5)
    for _, val in StratifiedKFold(5).split(np.zeros((120, 1)), strata):
        assert set(codes[val][checked[val]]) == {0, 1, 2}
    few = checked.copy()
    few[[3, 4]] = False  # class "a" keeps 3 checked rows, fewer than 5 folds
    with pytest.warns(UserWarning, match=r"\['a'\] have fewer checked rows than"):
        np.testing.assert_array_equal(
            checked_strata(codes, few, np.array(["a", "b", "c"]), 5), codes
        )


def test_the_recipe_learns_pair_noise_from_a_tenth_of_the_rows_checked():
    """Six blobs, 30 % of each class's labels moved to the next class, 10 %
    of the rows checked: better than the unsmoothed search on the labels
    with those rows corrected, and within twice the clean-test log-loss of
    the fit that knows the true transition. (Not within 1.5 times, the
    issue's bound: the guard on ``p`` stops epsilon at 0.2 here, 0.40
    against 0.23; unguarded, epsilon 1 scored 0.21, but the same freedom gave
    diamonds' cut probabilities of 1e-41 for the true class.)"""
    n_classes = 6
    X, truth = make_blobs(
        n_samples=900, centers=n_classes, n_features=4, cluster_std=2.5, random_state=1
    )
    X = StandardScaler().fit_transform(X)
    rng = np.random.default_rng(1)
    train, test = np.arange(600), np.arange(600, 900)
    given = truth.copy()
    flip = rng.random(900) < 0.3
    given[flip] = (given[flip] + 1) % n_classes
    checked = np.zeros(900, dtype=bool)
    checked[rng.choice(train, 60, replace=False)] = True
    y_verified = np.where(checked, truth, None)[train]
    recipe = LabelSmoothingClassifierCV(
        smooth="predictions", method="counted", calibration="temperature"
    ).fit(X[train], given[train], y_verified=y_verified)
    true_T = 0.7 * np.eye(n_classes) + 0.3 * np.roll(np.eye(n_classes), 1, axis=1)
    known = SoftmaxRegression().fit(
        X[train],
        np.where(checked, truth, given)[train],
        transition=true_T,
        verified=checked[train],
    )
    ours = log_loss(truth[test], recipe.predict_proba(X[test]))
    best = log_loss(truth[test], known.predict_proba(X[test]))
    unsmoothed = LabelSmoothingClassifierCV().fit(
        X[train], np.where(checked, truth, given)[train]
    )
    plain = log_loss(truth[test], unsmoothed.predict_proba(X[test]))
    assert ours < 2 * best
    assert ours < plain  # the checked rows were worth it


@pytest.mark.parametrize(
    "search, y_verified, error, match",
    [
        (
            LabelSmoothingClassifierCV(method="counted"),
            None,
            ValueError,
            "pass their verified classes",
        ),
        (
            LabelSmoothingClassifierCV(method="counted"),
            "none",
            ValueError,
            "with at least one row checked",
        ),
        (
            LabelSmoothingClassifierCV(smooth="predictions"),
            "short",
            ValueError,
            "one entry per sample",
        ),
        (
            LabelSmoothingClassifierCV(smooth="predictions"),
            "unknown",
            ValueError,
            "is not a class of y",
        ),
    ],
    ids=["counted without", "counted with none", "length", "unknown class"],
)
def test_bad_y_verified_is_refused_before_any_fold(search, y_verified, error, match):
    X, given, _, checked_labels, _ = pair_noise_problem(n=90)
    values = {
        None: None,
        "none": [None] * 90,
        "short": checked_labels[:-1],
        "unknown": np.where(checked_labels == 1, 9, checked_labels),
    }[y_verified]
    with pytest.raises(error, match=match):
        if y_verified == "none":
            with pytest.warns(UserWarning, match="marks no row as checked"):
                search.fit(X, given, y_verified=values)
        else:
            search.fit(X, given, y_verified=values)
    assert not hasattr(search, "cv_results_")


def test_checked_rows_that_all_agree_change_nothing_but_the_report():
    """Labels the checked rows confirm are fitted, folded and calibrated as
    without them; cv_results_ gains the checked rows' own scores."""
    X, given, _, _, checked = pair_noise_problem(n=150)
    y_verified = np.where(checked, given, None)
    search = LabelSmoothingClassifierCV(calibration="temperature", epsilons=4)
    with_checked = clone(search).fit(X, given, y_verified=y_verified)
    without = clone(search).fit(X, given)
    np.testing.assert_array_equal(
        with_checked.predict_proba(X), without.predict_proba(X)
    )
    assert with_checked.temperature_ == without.temperature_
    assert "mean_verified_score" in with_checked.cv_results_


def test_with_noisy_checked_rows_the_temperature_fits_the_combined_score():
    """Every validation row counts: ``p`` against the verified class on the
    checked rows, ``p @ T`` against the label on the others. Fitted to the
    checked rows alone (a fifth here, a tenth in the study) the temperature
    sharpens or softens by chance."""
    X, given, truth, y_verified, checked = pair_noise_problem(n=180, seed=2)
    folds = list(StratifiedKFold(3).split(X, given * 2 + checked))
    inner = SoftmaxRegression(C=0.5, tol=1e-10, max_iter=1000)
    search = LabelSmoothingClassifierCV(
        inner,
        smooth="predictions",
        epsilons=[0.3],
        param_grid=None,
        cv=folds,
        calibration="temperature",
    ).fit(X, given, y_verified=y_verified)
    T = search.transition_
    fit_codes = np.where(checked, truth, given)
    log_p, codes, is_checked = [], [], []
    for train, val in folds:
        model = LabelSmoothingClassifier(
            clone(inner), epsilon=0.3, smooth="predictions"
        ).fit(X[train], given[train], y_verified=y_verified[train])
        log_p.append(np.log(model.predict_proba(X[val])))
        codes.append(fit_codes[val])
        is_checked.append(checked[val])
    log_p, codes = np.concatenate(log_p), np.concatenate(codes)
    is_checked = np.concatenate(is_checked)
    taus = np.exp(np.linspace(np.log(0.1), np.log(1), 20001))

    def temperature(observed, codes):
        """The MAP temperature (a standard normal prior on log tau, one
        sample's worth) no sharper than the rule of succession allows."""
        n, rows = len(codes), np.arange(len(codes))
        losses = [
            -np.log(observed(t)[rows, codes]).mean() + np.log(t) ** 2 / (2 * n)
            for t in taus
        ]
        mistakes = (observed(1.0).argmax(axis=1) != codes).sum()
        error_rates = [1 - observed(t).max(axis=1).mean() for t in taus]
        floor = taus[np.argmax(np.array(error_rates) >= (mistakes + 1) / (n + 2))]
        return max(taus[np.argmin(losses)], floor)

    def combined(tau):
        p = np.exp(log_softmax(log_p / tau, axis=1))
        return np.where(is_checked[:, None], p, p @ T)

    def checked_alone(tau):
        return np.exp(log_softmax(log_p[is_checked] / tau, axis=1))

    expected = temperature(combined, codes)
    assert expected < 0.99  # sharpened, but not to the grid's end
    assert temperature(checked_alone, codes[is_checked]) < expected / 1.2
    assert search.temperature_ == pytest.approx(expected, rel=2e-3)


def overlapping_noisy_problem(n=300, n_classes=4, seed=1):
    """Overlapping classes, 20 % symmetric label noise, 15 % of rows checked."""
    rng = np.random.default_rng(seed)
    X, truth = make_classification(
        n_samples=n,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        class_sep=0.7,
        random_state=seed,
    )
    given = truth.copy()
    flip = rng.random(n) < 0.2
    given[flip] = (given[flip] + rng.integers(1, n_classes, flip.sum())) % n_classes
    checked = rng.random(n) < 0.15
    return X, given, truth, np.where(checked, truth, None), checked


def test_a_counted_transition_does_not_license_a_degenerate_p():
    """A correct transition still frees ``p`` from paying for confident
    mistakes; out of fold against the labels (verified where checked), the
    chosen ``p`` scores within 1.5 times the unsmoothed one, as with any
    forward smoothing. Unguarded, this search took epsilon 0.79 at over 1.5."""
    X, given, truth, y_verified, checked = overlapping_noisy_problem()
    folds = list(
        StratifiedKFold(3, shuffle=True, random_state=0).split(X, given * 2 + checked)
    )
    inner = SoftmaxRegression(C=100.0)
    search = LabelSmoothingClassifierCV(
        inner, smooth="predictions", method="counted", param_grid=None, cv=folds
    ).fit(X, given, y_verified=y_verified)
    codes = np.where(checked, truth, given)

    def p_loss(epsilon):
        log_losses = []
        for train, val in folds:
            model = LabelSmoothingClassifier(
                clone(inner), epsilon=epsilon, smooth="predictions", method="counted"
            ).fit(X[train], given[train], y_verified=y_verified[train])
            proba = model.predict_proba(X[val])
            log_losses.append(log_loss(codes[val], proba, labels=range(4)) * len(val))
        return sum(log_losses) / len(codes)

    unsmoothed = p_loss(0.0)
    assert search.epsilon_ > 0
    assert p_loss(search.epsilon_) <= 1.5 * unsmoothed
    assert p_loss(search.epsilons_[-2]) > 1.5 * unsmoothed  # what the guard stops


def test_a_counted_search_softens_by_the_combined_score_of_every_fold():
    """The counted transition is each fold's own; softening (a temperature
    above 1) needs every validation fold's own combined-score temperature
    above 1 too."""
    X, given, truth, y_verified, checked = overlapping_noisy_problem()
    folds = list(
        StratifiedKFold(3, shuffle=True, random_state=1).split(X, given * 2 + checked)
    )
    inner = SoftmaxRegression(C=100.0, tol=1e-10, max_iter=1000)
    search = LabelSmoothingClassifierCV(
        inner,
        smooth="predictions",
        method="counted",
        epsilons=6,
        param_grid=None,
        cv=folds,
        calibration="temperature",
    ).fit(X, given, y_verified=y_verified)
    epsilon = search.epsilon_
    assert epsilon > 0
    observed, codes = [], []
    for train, val in folds:
        model = LabelSmoothingClassifier(
            clone(inner), epsilon=epsilon, smooth="predictions", method="counted"
        ).fit(X[train], given[train], y_verified=y_verified[train])
        rows = train[checked[train]]
        count = counted_transition(truth[rows], given[rows], 4)
        T = (1 - epsilon) * np.eye(4) + epsilon * count
        log_p = np.log(model.predict_proba(X[val]))
        fold_codes = np.where(checked[val], truth[val], given[val])

        def fold_observed(tau, log_p=log_p, T=T, is_checked=checked[val]):
            p = np.exp(log_softmax(log_p / tau, axis=1))
            return np.where(is_checked[:, None], p, p @ T)

        observed.append(fold_observed)
        codes.append(fold_codes)
    taus = np.exp(np.linspace(np.log(0.1), np.log(10), 20001))

    def map_temperature(parts):
        n = sum(len(codes[f]) for f in parts)

        def loss(tau):
            picked = np.concatenate(
                [observed[f](tau)[np.arange(len(codes[f])), codes[f]] for f in parts]
            )
            return -np.log(picked).sum() / n + np.log(tau) ** 2 / (2 * n)

        return taus[np.argmin([loss(t) for t in taus])]

    pooled = map_temperature([0, 1, 2])
    assert pooled > 1.05
    assert all(map_temperature([f]) > 1 for f in range(3))
    assert search.temperature_ == pytest.approx(pooled, rel=2e-3)
