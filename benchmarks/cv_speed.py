"""LabelSmoothingClassifierCV against the GridSearchCV it replaces: time and agreement.

Usage::

    python -m benchmarks.cv_speed   # full run, into docs/performance.md
    python -m benchmarks.cv_speed --quick --output table.md   # smoke run (tests)

For each case both searches get the same data, the same five stratified folds
and the same epsilon grid (the default grid of ten values): ours walks each
fold's epsilon path with warm starts and scores stored out-of-fold predictions;
the reference is ``GridSearchCV(LabelSmoothingClassifier(SoftmaxRegression()),
{"epsilon": grid}, cv=folds, scoring="neg_log_loss")``, one cold fit per
(epsilon, fold). A third contender is ours around
``SoftmaxRegression(solver="newton-cg")``, whose ``fit_path`` follows each
fold's path by Newton homotopy; its speed-up is against the same reference
(the default L-BFGS cold fits). All run sequentially (``n_jobs=None``) and all
refit at the choice. Timing: repeats interleaved, the order rotating, medians,
at the default ``tol=1e-4``. Agreement: one more run of each at ``tol=1e-6``
(1e-8 for the small quick cases: the gradient of the summed objective grows
with n), where the warm and cold fits must reach the same optima (fold scores
within 1e-6).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from benchmarks._harness import write_between
from sksmooth import (
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftmaxRegression,
)
from sksmooth._loss import LinearSoftCrossEntropy
from sksmooth.model_selection import default_epsilon_grid

PAGE = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
START, END = "<!-- cvspeed:start -->", "<!-- cvspeed:end -->"

FULL_CASES = [(20_000, 50, 10), (50_000, 20, 3)]
QUICK_CASES = [(600, 10, 4), (900, 5, 3)]
N_FOLDS = 5
N_EPSILONS = 10
# Tolerance of the agreement runs: the gradient of a summed objective grows with
# n, so the small quick cases need a smaller one for the same accuracy.
TIGHT_TOL = {"full": 1e-6, "quick": 1e-8}


def make_data(n_samples, n_features, n_classes, seed=0):
    """A multiclass problem with 10 % of the labels resampled (``flip_y``)."""
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=max(2, n_features // 2),
        n_classes=n_classes,
        n_clusters_per_class=1,
        flip_y=0.1,
        random_state=seed,
    )
    return StandardScaler().fit_transform(X), y


def ours(folds, grid, **params):
    return LabelSmoothingClassifierCV(
        SoftmaxRegression(**params), epsilons=grid, cv=folds
    )


def ours_newton(folds, grid, **params):
    return ours(folds, grid, solver="newton-cg", **params)


def reference(folds, grid, **params):
    return GridSearchCV(
        LabelSmoothingClassifier(SoftmaxRegression(**params)),
        {"epsilon": grid},
        cv=folds,
        scoring="neg_log_loss",
    )


def timed_fit(search, X, y):
    tic = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - tic, search


def count_products(search, X, y):
    """Fit ``search``; return (objective evaluations, Hessian products) it made.

    Counts do not depend on the machine's load, so they explain the times:
    every evaluation costs the same two passes over a fold's ``X``, a Hessian
    product two as well.
    """
    counts = {"loss_gradient": 0, "hessp": 0}

    def counting(name):
        original = getattr(LinearSoftCrossEntropy, name)

        def wrapper(self, vector):
            counts[name] += 1
            return original(self, vector)

        return wrapper

    with (
        mock.patch.object(
            LinearSoftCrossEntropy, "loss_gradient", counting("loss_gradient")
        ),
        mock.patch.object(LinearSoftCrossEntropy, "hessp", counting("hessp")),
    ):
        search.fit(X, y)
    return counts["loss_gradient"], counts["hessp"]


def run_case(case, n_repeats, tight_tol):
    X, y = make_data(*case)
    folds = list(StratifiedKFold(N_FOLDS).split(X, y))
    grid = [float(e) for e in default_epsilon_grid(N_EPSILONS, 1.0)]
    makers = {"ours": ours, "ref": reference, "newton": ours_newton}
    times = {name: [] for name in makers}
    chosen = {}
    for repeat in range(n_repeats):
        names = list(makers)
        shift = repeat % len(names)  # rotate which one goes first
        for name in names[shift:] + names[:shift]:
            seconds, fitted = timed_fit(makers[name](folds, grid), X, y)
            times[name].append(seconds)
            chosen[name] = (
                fitted.best_params_["epsilon"] if name == "ref" else fitted.epsilon_
            )
    tight = {"tol": tight_tol, "max_iter": 1000}
    tight_fits = {
        name: timed_fit(make(folds, grid, **tight), X, y)[1]
        for name, make in makers.items()
    }

    products = {
        name: count_products(make(folds, grid), X, y) for name, make in makers.items()
    }

    def split_diff(name):
        return max(
            np.abs(
                tight_fits[name].cv_results_[f"split{i}_test_score"]
                - tight_fits["ref"].cv_results_[f"split{i}_test_score"]
            ).max()
            for i in range(N_FOLDS)
        )

    return {
        "case": case,
        "ours": statistics.median(times["ours"]),
        "ref": statistics.median(times["ref"]),
        "newton": statistics.median(times["newton"]),
        "eps_default": (chosen["ours"], chosen["ref"]),
        "eps_tight": (
            tight_fits["ours"].epsilon_,
            tight_fits["ref"].best_params_["epsilon"],
        ),
        "split_diff": split_diff("ours"),
        "eps_newton": (chosen["newton"], tight_fits["newton"].epsilon_),
        "split_diff_newton": split_diff("newton"),
        "products": products,
    }


def format_table(rows, n_repeats, tight_tol):
    lines = [
        "| case | ours (s) | GridSearchCV (s) | speed-up | chosen ε (ours, ref) "
        f"| at tol={tight_tol:g}: chosen ε | max fold-score diff "
        "| ours, newton-cg (s) | speed-up | chosen ε (tol=1e-4, "
        f"{tight_tol:g}) | max fold-score diff | evaluations: ours, "
        "GridSearchCV | newton-cg: evaluations + Hessian products |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        n, d, k = row["case"]
        lines.append(
            f"| {n:,} × {d}, K={k} | {row['ours']:.1f} | {row['ref']:.1f} | "
            f"**{row['ref'] / row['ours']:.1f}×** | "
            f"{row['eps_default'][0]:.3g}, {row['eps_default'][1]:.3g} | "
            f"{row['eps_tight'][0]:.3g}, {row['eps_tight'][1]:.3g} | "
            f"{row['split_diff']:.1e} | {row['newton']:.1f} | "
            f"**{row['ref'] / row['newton']:.1f}×** | "
            f"{row['eps_newton'][0]:.3g}, {row['eps_newton'][1]:.3g} | "
            f"{row['split_diff_newton']:.1e} | "
            f"{row['products']['ours'][0]}, {row['products']['ref'][0]} | "
            f"{row['products']['newton'][0]} + {row['products']['newton'][1]} |"
        )
    lines.append("")
    lines.append(
        f"{N_FOLDS} stratified folds, {N_EPSILONS} epsilons (the default grid), "
        "`SoftmaxRegression()` at tol=1e-4 for the times (median of "
        f"{n_repeats} interleaved runs, order rotating, all sequential, "
        "refit included); the next four columns: ours around "
        '`SoftmaxRegression(solver="newton-cg")` (Newton homotopy along each '
        "fold's path), its speed-up against the same GridSearchCV, and its "
        "fold scores against GridSearchCV's at the tight tolerance; the last "
        "two columns: objective evaluations (and Hessian-vector products) of one whole "
        "search at tol=1e-4, each costing two passes over a fold's data; data "
        "`make_classification` with 10 % resampled labels, standardised."
    )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="file to write (default docs/performance.md)",
    )
    args = parser.parse_args(argv)
    n_repeats = args.repeats or (1 if args.quick else 3)
    tight_tol = TIGHT_TOL["quick" if args.quick else "full"]
    rows = []
    output = args.output or (None if args.quick else PAGE)
    for case in QUICK_CASES if args.quick else FULL_CASES:
        rows.append(run_case(case, n_repeats, tight_tol))
        print(format_table(rows[-1:], n_repeats, tight_tol).splitlines()[2], flush=True)
        table = format_table(rows, n_repeats, tight_tol)
        if output is not None:  # after each case, so a long run shows progress
            write_between(START, END, table, output)
    print()
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
