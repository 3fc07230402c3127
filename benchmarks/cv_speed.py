"""LabelSmoothingClassifierCV against the GridSearchCV it replaces: cost and agreement.

Usage::

    python -m benchmarks.cv_speed   # full run, into docs/performance.md
    python -m benchmarks.cv_speed --c-grid   # epsilon and C searched jointly
    python -m benchmarks.cv_speed --forward   # smooth="predictions"
    python -m benchmarks.cv_speed --network   # SoftMLPClassifier (_cv_network)
    python -m benchmarks.cv_speed --quick --output table.md   # smoke run (tests)

For each case both searches get the same data, the same five stratified folds
and the same epsilon grid (the default grid of ten values): ours walks each
fold's epsilon path with ``SoftmaxRegression.fit_path`` (one carried L-BFGS
memory per fold, from the largest epsilon down) and scores stored out-of-fold
predictions; the reference is ``GridSearchCV(LabelSmoothingClassifier(
SoftmaxRegression()), {"epsilon": grid}, cv=folds, scoring="neg_log_loss")``,
one cold fit per (epsilon, fold). Both run sequentially (``n_jobs=None``) and
refit at their choice, at the default ``tol=1e-4``.

Reported per case: objective evaluations of one whole search (each fit's and
path's own count summed, so independent of the machine's load; each costs two
passes over a fold's data),
CPU seconds and wall seconds (medians of interleaved repeats, the order
alternating), the chosen epsilon, and the chosen epsilon and the largest
difference of fold scores at a tight tolerance (``tol=1e-6``, 1e-8 for the
small quick cases), where both searches must reach the same optima. The last
column is one fold's 10-epsilon ``fit_path`` in evaluations, over one cold fit
at the grid's middle epsilon. Everything runs with one BLAS thread
(``threadpool_limits(1)``, set here for this process): on a loaded machine
numpy's BLAS threads wait on each other and make any timing meaningless.
"""

import argparse
import statistics
import sys
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from benchmarks import _cv_network
from benchmarks._figures import redraw
from devtools.pages import write_between
from sksmooth import (
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftmaxRegression,
    smooth_labels,
)
from sksmooth.model_selection import default_epsilon_grid

PAGE = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
START, END = "<!-- cvspeed:start -->", "<!-- cvspeed:end -->"
C_START, C_END = "<!-- cvspeed-c:start -->", "<!-- cvspeed-c:end -->"
F_START, F_END = "<!-- cvspeed-fwd:start -->", "<!-- cvspeed-fwd:end -->"

# (label, n_samples, n_features, n_classes, class weights of make_classification,
#  values of C searched jointly with epsilon or None)
COVTYPE_SHARES = [0.365, 0.488, 0.062, 0.005, 0.016, 0.030, 0.034]
C_GRID = [0.01, 0.1, 1.0, 10.0]
FULL_CASES = [
    ("20,000 × 50, K=10", 20_000, 50, 10, None, None),
    ("50,000 × 20, K=3", 50_000, 20, 3, None, None),
    ("binary 50,000 × 50", 50_000, 50, 2, None, None),
    ("digits (1,797 × 64, K=10)", None, None, None, None, None),
    ("100,000 × 54, K=7, imbalanced", 100_000, 54, 7, COVTYPE_SHARES, None),
]
# Searched with --c-grid, into their own table.
C_CASES = [
    ("digits, 4 values of C", None, None, None, None, C_GRID),
    ("20,000 × 50, K=10, 4 values of C", 20_000, 50, 10, None, C_GRID),
]
QUICK_CASES = [
    ("600 × 10, K=4", 600, 10, 4, None, None),
    ("900 × 5, K=3", 900, 5, 3, None, None),
]
N_FOLDS = 5
N_EPSILONS = 10
# Tolerance of the agreement runs: the gradient of a summed objective grows with
# n, so the small quick cases need a smaller one for the same accuracy.
TIGHT_TOL = {"full": 1e-6, "quick": 1e-8}


def make_data(n_samples, n_features, n_classes, weights, seed=0):
    """A problem with 10 % of the labels resampled (``flip_y``), standardised;
    ``n_samples=None`` is scikit-learn's digits."""
    if n_samples is None:
        X, y = load_digits(return_X_y=True)
    else:
        X, y = make_classification(
            n_samples=n_samples,
            n_features=n_features,
            n_informative=max(2, n_features // 2),
            n_classes=n_classes,
            n_clusters_per_class=1,
            weights=weights,
            flip_y=0.1,
            random_state=seed,
        )
    return StandardScaler().fit_transform(X), y


class CountedSoftmaxRegression(SoftmaxRegression):
    """``SoftmaxRegression`` that adds the evaluations each fit and path
    reports (``n_evaluations_``, ``fit_path(return_info=True)``) to
    :attr:`evaluations`, so that a whole search's count is their sum."""

    evaluations = 0

    def fit(self, X, y, sample_weight=None, transition=None):
        super().fit(X, y, sample_weight=sample_weight, transition=transition)
        CountedSoftmaxRegression.evaluations += self.n_evaluations_
        return self

    def fit_path(self, X, y, epsilons, **kwargs):
        path, info = super().fit_path(X, y, epsilons, return_info=True, **kwargs)
        CountedSoftmaxRegression.evaluations += int(info.n_evaluations.sum())
        return path


def ours(folds, grid, C_values=None, smooth="targets", learner=None, **params):
    return LabelSmoothingClassifierCV(
        (learner or SoftmaxRegression)(**params),
        epsilons=grid,
        cv=folds,
        param_grid=None if C_values is None else {"C": C_values},
        selection="best",  # GridSearchCV's rule: the best mean score
        smooth=smooth,
    )


def reference(folds, grid, C_values=None, smooth="targets", learner=None, **params):
    """GridSearchCV; with forward smoothing it scores ``p`` (ours scores ``p
    @ T``), so only the costs and the fold models compare, not the choice."""
    param_grid = {"epsilon": grid}
    if C_values is not None:
        param_grid["estimator__C"] = C_values
    return GridSearchCV(
        LabelSmoothingClassifier(
            (learner or SoftmaxRegression)(**params), smooth=smooth
        ),
        param_grid,
        cv=folds,
        scoring="neg_log_loss",
    )


def timed_fit(search, X, y):
    """``(wall seconds, CPU seconds, fitted search)``."""
    wall, cpu = time.perf_counter(), time.process_time()
    search.fit(X, y)
    return time.perf_counter() - wall, time.process_time() - cpu, search


def count_evaluations(make, folds, grid, X, y) -> int:
    """Objective evaluations of one whole search ``make(folds, grid)``, each
    fit's and path's own count summed (:class:`CountedSoftmaxRegression`)."""
    CountedSoftmaxRegression.evaluations = 0
    make(folds, grid, learner=CountedSoftmaxRegression).fit(X, y)
    return CountedSoftmaxRegression.evaluations


def chosen(search):
    """The chosen epsilon, and C when it was searched too."""
    if isinstance(search, GridSearchCV):
        params = search.best_params_
        epsilon, C = params["epsilon"], params.get("estimator__C")
    else:
        epsilon, C = search.epsilon_, search.best_params_.get("C")
    return f"{epsilon:.3g}" if C is None else f"{epsilon:.3g} (C={C:g})"


def fold_scores(search):
    """``{(epsilon, C): fold scores}``: the two searches order their candidates
    differently."""
    results = search.cv_results_
    scores = np.column_stack([results[f"split{i}_test_score"] for i in range(N_FOLDS)])
    keys = []
    for params in results["params"]:
        C = params.get("C", params.get("estimator__C"))
        keys.append((float(params["epsilon"]), C))
    return dict(zip(keys, scores, strict=True))


def run_case(case, n_repeats, tight_tol, smooth="targets"):
    X, y = make_data(*case[1:5])
    folds = list(StratifiedKFold(N_FOLDS).split(X, y))
    grid = [float(e) for e in default_epsilon_grid(N_EPSILONS, 1.0)]
    makers = {
        "ours": partial(ours, C_values=case[5], smooth=smooth),
        "ref": partial(reference, C_values=case[5], smooth=smooth),
    }
    wall = {name: [] for name in makers}
    cpu = {name: [] for name in makers}
    choice = {}
    for repeat in range(n_repeats):
        names = list(makers) if repeat % 2 == 0 else list(makers)[::-1]
        for name in names:
            seconds, cpu_seconds, fitted = timed_fit(makers[name](folds, grid), X, y)
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
            choice[name] = chosen(fitted)
    agreement = tight_agreement(makers, folds, grid, X, y, tight_tol, smooth)
    evaluations = {
        name: count_evaluations(make, folds, grid, X, y)
        for name, make in makers.items()
    }
    train = folds[0][0]
    _, info = SoftmaxRegression().fit_path(
        X[train], y[train], grid, smooth=smooth, return_info=True
    )
    path = int(info.n_evaluations.sum())
    middle = grid[N_EPSILONS // 2]
    cold = cold_fit(X[train], y[train], middle, smooth).n_evaluations_
    return {
        "case": case[0],
        "wall": {name: statistics.median(v) for name, v in wall.items()},
        "cpu": {name: statistics.median(v) for name, v in cpu.items()},
        "evaluations": evaluations,
        "eps_default": (choice["ours"], choice["ref"]),
        "eps_tight": agreement[0],
        "split_diff": agreement[1],
        "path": (path, cold),
    }


def tight_agreement(makers, folds, grid, X, y, tight_tol, smooth):
    """The chosen epsilons of both searches at ``tight_tol`` and the largest
    difference of their fold scores; not run for forward smoothing, where
    GridSearchCV scores ``p`` and ours ``p @ T`` (nothing to agree on)."""
    if smooth != "targets":
        return ("–", "–"), float("nan")
    tight = {"tol": tight_tol, "max_iter": 1000}
    fits = {
        name: timed_fit(make(folds, grid, **tight), X, y)[2]
        for name, make in makers.items()
    }
    ours_scores, ref_scores = (fold_scores(fits[name]) for name in ("ours", "ref"))
    split_diff = max(
        np.abs(ours_scores[key] - ref_scores[key]).max() for key in ref_scores
    )
    return (chosen(fits["ours"]), chosen(fits["ref"])), split_diff


def cold_fit(X, y, epsilon, smooth):
    """One cold ``SoftmaxRegression`` fit at ``epsilon`` (uniform smoothing)."""
    if smooth == "targets":
        return SoftmaxRegression().fit(X, smooth_labels(y, epsilon=epsilon))
    n_classes = len(np.unique(y))
    T = (1 - epsilon) * np.eye(n_classes) + epsilon / n_classes
    return SoftmaxRegression().fit(X, y, transition=T)


def format_table(rows, n_repeats, tight_tol, kind="targets"):
    lines = [
        "| case | evaluations: ours, GridSearchCV | ratio | CPU s: ours, "
        "GridSearchCV | ratio | wall s: ours, GridSearchCV | ratio | chosen ε "
        f"(ours, ref) | at tol={tight_tol:g}: chosen ε | max fold-score diff "
        "| a fold's path / one cold fit (evaluations) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        evals, cpu, wall = row["evaluations"], row["cpu"], row["wall"]
        path, cold = row["path"]
        split_diff = "–" if np.isnan(row["split_diff"]) else f"{row['split_diff']:.1e}"
        lines.append(
            f"| {row['case']} | {evals['ours']}, {evals['ref']} | "
            f"**{evals['ref'] / evals['ours']:.1f}×** | "
            f"{cpu['ours']:.2f}, {cpu['ref']:.2f} | "
            f"**{cpu['ref'] / cpu['ours']:.1f}×** | "
            f"{wall['ours']:.2f}, {wall['ref']:.2f} | "
            f"{wall['ref'] / wall['ours']:.1f}× | "
            f"{row['eps_default'][0]}, {row['eps_default'][1]} | "
            f"{row['eps_tight'][0]}, {row['eps_tight'][1]} | "
            f"{split_diff} | {path} / {cold} = {path / cold:.1f} |"
        )
    lines.append("")
    lines.append(caption(kind, n_repeats))
    return "\n".join(lines)


def caption(kind: str, n_repeats: int) -> str:
    """The note under a table: in full under the first (``"targets"``); the
    C-grid and forward tables say only how they differ from it."""
    medians = (
        f"CPU and wall seconds: medians of {n_repeats} interleaved runs, the "
        "order alternating."
    )
    if kind == "c-grid":
        return (
            "As the first table, with C "
            f"∈ {{{', '.join(f'{c:g}' for c in C_GRID)}}} searched jointly with ε "
            "(`param_grid`; GridSearchCV over both); the last column is at C=1. "
            + medians
        )
    if kind == "forward":
        return (
            'As the first table, with `smooth="predictions"`: both searches '
            "fit `p @ T` to the labels; GridSearchCV scores `p`, ours `p @ T`, so "
            "their choices and fold scores are not compared (–). " + medians
        )
    return (
        f"{N_FOLDS} stratified folds, {N_EPSILONS} epsilons (the default grid), "
        "`SoftmaxRegression()` at tol=1e-4, both searches sequential with one "
        "BLAS thread, refit included. Evaluations: of one whole search, each "
        f"two passes over a fold's data. {medians} The last "
        "column: fold 0's 10-ε `fit_path` against one cold fit at the middle "
        "ε of the grid. Data: `make_classification` with 10 % resampled "
        "labels (one case with covtype's class shares), and digits; "
        "standardised."
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--c-grid",
        action="store_true",
        help="the cases that search C jointly with epsilon (their own table)",
    )
    parser.add_argument(
        "--forward",
        action="store_true",
        help='smooth="predictions" on the first two cases and digits (own table)',
    )
    parser.add_argument(
        "--network",
        action="store_true",
        help="SoftMLPClassifier's searches (their own table; see _cv_network)",
    )
    parser.add_argument(
        "--cases", type=int, nargs="*", default=None, help="indices of the cases"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="file to write (default docs/performance.md)",
    )
    args = parser.parse_args(argv)
    if args.network:
        return network_main(args)
    n_repeats = args.repeats or (1 if args.quick else 3)
    tight_tol = TIGHT_TOL["quick" if args.quick else "full"]
    cases = QUICK_CASES if args.quick else C_CASES if args.c_grid else FULL_CASES
    start, end = (C_START, C_END) if args.c_grid else (START, END)
    if args.forward and not args.quick:
        cases, (start, end) = [FULL_CASES[i] for i in (0, 1, 3)], (F_START, F_END)
    smooth = "predictions" if args.forward else "targets"
    kind = "forward" if args.forward else "c-grid" if args.c_grid else "targets"
    if args.cases is not None:
        cases = [cases[i] for i in args.cases]
    rows = []
    output = args.output or (None if args.quick else PAGE)
    with threadpool_limits(1):
        for case in cases:
            rows.append(run_case(case, n_repeats, tight_tol, smooth))
            line = format_table(rows[-1:], n_repeats, tight_tol).splitlines()[2]
            print(line, flush=True)
            table = format_table(rows, n_repeats, tight_tol, kind)
            if output is not None:  # after each case, so a long run shows progress
                write_between(start, end, table, output)
    if output is not None:
        redraw(output)  # the page's figure, from its tables
    print()
    print(table)
    return 0


def network_main(args) -> int:
    """The ``--network`` run: :mod:`benchmarks._cv_network`'s cases."""
    n_repeats = args.repeats or (1 if args.quick else 3)
    net = _cv_network
    cases = net.QUICK_CASES if args.quick else net.FULL_CASES
    if args.cases is not None:
        cases = [cases[i] for i in args.cases]
    output = args.output or (None if args.quick else PAGE)
    rows = []
    max_iter = net.network((1,), args.quick).max_iter
    # every network runs to max_iter: silence the searches' warnings in this
    # benchmark's own process
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for case in cases:
            rows.append(net.run_case(case, make_data, n_repeats, args.quick))
            line = net.format_table(rows[-1:], n_repeats, max_iter).splitlines()[2]
            print(line, "joint choice:", rows[-1]["joint_choice"], flush=True)
            table = net.format_table(rows, n_repeats, max_iter)
            if output is not None:
                write_between(net.START, net.END, table, output)
    if output is not None:
        redraw(output)
    print()
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
