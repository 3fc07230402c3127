"""The budgeted epsilon walk of LabelSmoothingClassifierCV (``path_budget``)
for learners warm-started through ``fit`` (``SoftMLPClassifier``): which
``max_iter`` every solve gets, counted at the solver; the refit's full budget;
the choice against GridSearchCV's cold fits; bad values refused."""

from unittest import mock

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler

import sksmooth.neural_network
from sksmooth import (
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftmaxRegression,
    SoftMLPClassifier,
)

GRID = [0.0, 0.05, 0.2, 0.5]
# the networks run to max_iter: the searches' one ConvergenceWarning is expected
quiet = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=90,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        flip_y=0.1,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


def solves(fit):
    """Run ``fit()``; return the ``(max_iter, iterations)`` of every L-BFGS
    solve of ``SoftMLPClassifier`` in it, in order."""
    calls = []
    original = sksmooth.neural_network.lbfgs

    def counting(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append((args[2].max_iter, result.iterations))
        return result

    with mock.patch.object(sksmooth.neural_network, "lbfgs", counting):
        fit()
    return calls


def network(max_iter=40):
    # tol far below reach: every solve runs to its cap
    return SoftMLPClassifier((6,), max_iter=max_iter, tol=1e-12, random_state=0)


@quiet
@pytest.mark.parametrize("budget", [0.25, 0.01, 1.0])
def test_each_solve_gets_its_budget_and_the_refit_all_of_max_iter(data, budget):
    X, y = data
    search = LabelSmoothingClassifierCV(
        network(40), epsilons=GRID, cv=3, path_budget=budget
    )
    calls = solves(lambda: search.fit(X, y))
    cut = max(1, round(budget * 40))  # 10, 1 and 40
    per_fold = [40] + [cut] * (len(GRID) - 1)
    assert [m for m, _ in calls] == per_fold * 3 + [40]  # 3 folds, then the refit
    assert all(n == m for m, n in calls)  # each solve ran exactly its budget
    assert search.estimator_.n_iter_ == 40
    assert search.estimator_.max_iter == 40  # the user's settings, restored
    assert search.estimator_.warm_start is False
    if budget < 1:
        np.testing.assert_array_equal(search.cv_results_["max_iter"], per_fold)
    else:
        assert "max_iter" not in search.cv_results_


@quiet
def test_fold_models_keep_the_users_max_iter_and_report_their_iterations(data):
    X, y = data
    search = LabelSmoothingClassifierCV(
        network(40), epsilons=[0.0, 0.3], cv=3, ensemble=True, path_budget=0.25
    ).fit(X, y)
    expected = 40 if search.epsilon_ == 0.0 else 10
    for model in search.estimators_:
        assert model.max_iter == 40
        assert model.n_iter_ == expected


def test_cut_solves_are_not_counted_as_unconverged(data):
    X, y = data
    with pytest.warns(ConvergenceWarning, match="4 of 13 inner fits"):
        # 3 first points and the refit ran to max_iter; 9 points were cut
        LabelSmoothingClassifierCV(
            network(40), epsilons=GRID, cv=3, path_budget=0.25
        ).fit(X, y)


@quiet
def test_learners_with_their_own_path_ignore_the_budget(data):
    X, y = data
    search = LabelSmoothingClassifierCV(
        SoftmaxRegression(max_iter=7), epsilons=GRID, cv=3, path_budget=0.1
    ).fit(X, y)
    assert "max_iter" not in search.cv_results_


@quiet
def test_the_choice_scores_within_one_percent_of_grid_search_cvs_best():
    """GridSearchCV's cold fits (one per epsilon and fold, all of max_iter,
    the same seed) score the walk's choice within 1 % of their best."""
    X, y = make_classification(
        n_samples=400,
        n_features=8,
        n_informative=5,
        n_classes=3,
        n_clusters_per_class=1,
        flip_y=0.2,
        random_state=0,
    )
    X = StandardScaler().fit_transform(X)
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    net = SoftMLPClassifier((8,), max_iter=100, random_state=0)
    ours = LabelSmoothingClassifierCV(
        net, cv=folds, selection="best", path_budget=0.2
    ).fit(X, y)
    reference = GridSearchCV(
        LabelSmoothingClassifier(net),
        {"epsilon": list(ours.epsilons_)},
        cv=folds,
        scoring="neg_log_loss",
    ).fit(X, y)
    scores = reference.cv_results_["mean_test_score"]
    chosen = scores[list(ours.epsilons_).index(ours.epsilon_)]
    assert chosen >= scores.max() * 1.01  # negative log-losses


@pytest.mark.parametrize(
    "value, error",
    [
        (0.0, ValueError),
        (-0.2, ValueError),
        (1.5, ValueError),
        (np.nan, ValueError),
        ("0.2", TypeError),
        (True, TypeError),
    ],
)
def test_bad_path_budget_is_refused_before_any_fit(data, value, error):
    X, y = data
    search = LabelSmoothingClassifierCV(network(), epsilons=GRID, path_budget=value)
    with (
        mock.patch.object(sksmooth.neural_network, "lbfgs") as solver,
        pytest.raises(error, match="path_budget"),
    ):
        search.fit(X, y)
    solver.assert_not_called()
    assert not hasattr(search, "cv_results_")


@quiet
def test_confusions_second_round_starts_with_a_full_fit(data):
    """``method="confusion"`` walks two paths per fold (epsilon = 0, then the
    rest from there): each one's first fit gets all of max_iter."""
    X, y = data
    search = LabelSmoothingClassifierCV(
        network(40), epsilons=GRID, method="confusion", cv=3, path_budget=0.25
    )
    calls = solves(lambda: search.fit(X, y))
    assert [m for m, _ in calls] == [40] * 3 + [40, 10, 10] * 3 + [40]
    np.testing.assert_array_equal(search.cv_results_["max_iter"], [40, 40, 10, 10])
