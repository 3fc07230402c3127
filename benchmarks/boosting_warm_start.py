"""Warm starts along the ε path for boosting: does ``init_model`` pay?

A booster cannot continue from another ε's trees the way a convex solver
continues from another ε's solution: the trees stay, and new trees can only be
added. So the question is whether boosting on ε's soft cross-entropy from the
neighbouring ε's fitted booster (LightGBM's ``init_model``) reaches the quality
of a cold fit at ε with fewer new trees.

For each step ``ε_prev -> ε`` of the path: a cold fit at ε with ``N`` trees
(SoftLGBMClassifier's objective and initial scores, through ``lightgbm.train``),
and a warm fit that starts from the cold ``ε_prev`` booster and adds up to ``N``
trees. Reported: the extra trees the warm fit needs to reach the cold fit's
training objective at ε, and to reach its held-out log-loss (on the labels),
and both models' held-out log-loss at those points. Nothing is timed: the work
is proportional to the trees grown.

Usage: ``python -m benchmarks.boosting_warm_start [--quick]`` (prints its table).
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.special import log_softmax

from benchmarks._harness import machine, make_data
from benchmarks.linear import Case
from sksmooth import smooth_labels
from sksmooth.boosting import SoftCrossEntropyObjective, SoftLGBMClassifier

STUDY = "boosting_warm_start"
EPSILONS = [0.0, 0.05, 0.1, 0.2, 0.3]


def held_out_log_loss(raw, y) -> float:
    return float(-np.mean(log_softmax(raw, axis=1)[np.arange(len(y)), y]))


def curves(booster, first, offsets, data, objective, y_test):
    """Training objective and held-out log-loss after each iteration from ``first``.

    ``offsets`` are the raw scores before iteration ``first`` on the training
    and the held-out rows; index 0 of each curve is at those scores.
    """
    (X, X_test), (raw, raw_test) = data, [offset.copy() for offset in offsets]
    train_curve = [objective.loss(raw)]
    test_curve = [held_out_log_loss(raw_test, y_test)]
    for i in range(first, booster.current_iteration()):
        raw += booster.predict(X, raw_score=True, start_iteration=i, num_iteration=1)
        raw_test += booster.predict(
            X_test, raw_score=True, start_iteration=i, num_iteration=1
        )
        train_curve.append(objective.loss(raw))
        test_curve.append(held_out_log_loss(raw_test, y_test))
    return np.array(train_curve), np.array(test_curve)


def cold_fit(X, Y, X_test, y_test, n_trees):
    """SoftLGBMClassifier at these targets; its booster and its curves."""
    model = SoftLGBMClassifier(n_estimators=n_trees, early_stopping=False, n_jobs=2)
    booster = model.fit(X, Y).booster_
    objective = SoftCrossEntropyObjective(Y, Y.shape[1])
    init = objective.init_score()
    # the initial scores are folded into iteration 0: start the sums from zero
    zeros = (
        np.zeros((X.shape[0], Y.shape[1])),
        np.zeros((X_test.shape[0], Y.shape[1])),
    )
    train_curve, test_curve = curves(booster, 0, zeros, (X, X_test), objective, y_test)
    offset_test = np.tile(init, (X_test.shape[0], 1))
    train_curve[0] = objective.loss(np.tile(init, (X.shape[0], 1)))
    test_curve[0] = held_out_log_loss(offset_test, y_test)
    return booster, train_curve, test_curve


def warm_fit(lightgbm, X, Y, X_test, y_test, n_trees, start):
    """``n_trees`` more trees on these targets, from the booster ``start``."""
    objective = SoftCrossEntropyObjective(Y, Y.shape[1])
    params = {
        "objective": objective,
        "num_class": Y.shape[1],
        "verbose": -1,
        "num_threads": 2,
        "metric": "None",
    }
    # lightgbm starts the scores from init_model's raw predictions
    booster = lightgbm.train(
        params, lightgbm.Dataset(X), num_boost_round=n_trees, init_model=start
    )
    offsets = (start.predict(X, raw_score=True), start.predict(X_test, raw_score=True))
    return curves(
        booster, start.current_iteration(), offsets, (X, X_test), objective, y_test
    )


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    import lightgbm

    n, n_test, d, K, n_trees = (
        (2_000, 1_000, 10, 5, 20) if args.quick else (20_000, 10_000, 20, 10, 100)
    )
    X_all, y_all = make_data(Case(STUDY, n + n_test, d, K))
    X, y, X_test, y_test = X_all[:n], y_all[:n], X_all[n:], y_all[n:]
    cold = {}
    for epsilon in EPSILONS:
        Y = smooth_labels(y, epsilon=epsilon)
        cold[epsilon] = cold_fit(X, Y, X_test, y_test, n_trees)
    lines = [
        f"| ε step | cold at ε ({n_trees} trees): train objective, held-out "
        "log-loss | warm, 0 new trees: train objective | new trees for the cold "
        "train objective | new trees for the cold held-out log-loss | warm "
        f"held-out log-loss at {n_trees} new trees |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for previous, epsilon in zip(EPSILONS[:-1], EPSILONS[1:], strict=True):
        Y = smooth_labels(y, epsilon=epsilon)
        _, cold_train, cold_test = cold[epsilon]
        warm_train, warm_test = warm_fit(
            lightgbm, X, Y, X_test, y_test, n_trees, cold[previous][0]
        )
        reach_train = np.flatnonzero(warm_train <= cold_train[-1])
        reach_test = np.flatnonzero(warm_test <= cold_test[-1])

        def first(hits):
            return f"{hits[0]}" if hits.size else f"> {n_trees}"

        lines.append(
            f"| {previous} → {epsilon} | {cold_train[-1]:.4f}, {cold_test[-1]:.4f} "
            f"| {warm_train[0]:.4f} | {first(reach_train)} | {first(reach_test)} "
            f"| {warm_test[-1]:.4f} |"
        )
    lines.append("")
    lines.append(
        f"{n:,} training rows, {n_test:,} held out, d={d}, K={K}, learning rate "
        f"0.1, 31 leaves; {machine()}."
    )
    table = "\n".join(lines)
    print(table)
    return table


if __name__ == "__main__":
    main()
