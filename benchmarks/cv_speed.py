"""LabelSmoothingClassifierCV against the GridSearchCV it replaces: time and agreement.

Usage::

    python benchmarks/cv_speed.py            # full run, writes the table into README.md
    python benchmarks/cv_speed.py --quick --output table.md   # smoke run (tests)

For each case both searches get the same data, the same five stratified folds
and the same epsilon grid (the default grid of ten values): ours walks each
fold's epsilon path with warm starts and scores stored out-of-fold predictions;
the reference is ``GridSearchCV(LabelSmoothingClassifier(SoftmaxRegression()),
{"epsilon": grid}, cv=folds, scoring="neg_log_loss")``, one cold fit per
(epsilon, fold). Both run sequentially (``n_jobs=None``) and both refit at the
choice. Timing: repeats interleaved, the order alternating, medians, at the
default ``tol=1e-4``. Agreement: one more run of each at ``tol=1e-6`` (1e-8
for the small quick cases: the gradient of the summed objective grows with n), where
the warm and cold fits must reach the same optima (fold scores within 1e-6).
"""

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from sksmooth import (
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftmaxRegression,
)
from sksmooth.model_selection import default_epsilon_grid

README = Path(__file__).resolve().parent.parent / "README.md"
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


def run_case(case, n_repeats, tight_tol):
    X, y = make_data(*case)
    folds = list(StratifiedKFold(N_FOLDS).split(X, y))
    grid = [float(e) for e in default_epsilon_grid(N_EPSILONS, 1.0)]
    times = {"ours": [], "ref": []}
    chosen = {}
    for repeat in range(n_repeats):
        order = ["ours", "ref"] if repeat % 2 == 0 else ["ref", "ours"]
        for name in order:
            make = ours if name == "ours" else reference
            seconds, fitted = timed_fit(make(folds, grid), X, y)
            times[name].append(seconds)
            chosen[name] = (
                fitted.epsilon_ if name == "ours" else fitted.best_params_["epsilon"]
            )
    tight = {"tol": tight_tol, "max_iter": 1000}
    _, tight_ours = timed_fit(ours(folds, grid, **tight), X, y)
    _, tight_ref = timed_fit(reference(folds, grid, **tight), X, y)
    split_diff = max(
        np.abs(
            tight_ours.cv_results_[f"split{i}_test_score"]
            - tight_ref.cv_results_[f"split{i}_test_score"]
        ).max()
        for i in range(N_FOLDS)
    )
    return {
        "case": case,
        "ours": statistics.median(times["ours"]),
        "ref": statistics.median(times["ref"]),
        "eps_default": (chosen["ours"], chosen["ref"]),
        "eps_tight": (tight_ours.epsilon_, tight_ref.best_params_["epsilon"]),
        "split_diff": split_diff,
    }


def format_table(rows, n_repeats, tight_tol):
    lines = [
        "| case | ours (s) | GridSearchCV (s) | speed-up | chosen ε (ours, ref) "
        f"| at tol={tight_tol:g}: chosen ε | max fold-score diff |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        n, d, k = row["case"]
        lines.append(
            f"| {n:,} × {d}, K={k} | {row['ours']:.1f} | {row['ref']:.1f} | "
            f"**{row['ref'] / row['ours']:.1f}×** | "
            f"{row['eps_default'][0]:.3g}, {row['eps_default'][1]:.3g} | "
            f"{row['eps_tight'][0]:.3g}, {row['eps_tight'][1]:.3g} | "
            f"{row['split_diff']:.1e} |"
        )
    lines.append("")
    lines.append(
        f"{N_FOLDS} stratified folds, {N_EPSILONS} epsilons (the default grid), "
        "`SoftmaxRegression()` at tol=1e-4 for the times (median of "
        f"{n_repeats} interleaved runs, order alternating, both sequential, "
        "refit included); data `make_classification` with 10 % resampled labels, "
        "standardised."
    )
    return "\n".join(lines)


def write_table(table: str, path: Path) -> None:
    """Put the table between the cvspeed markers of ``path`` (or a new file)."""
    block = f"{START}\n{table}\n{END}"
    text = path.read_text() if path.exists() else ""
    if START in text:
        text = re.sub(
            re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S
        )
    else:
        text = block + "\n"
    path.write_text(text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--output", type=Path, default=None, help="file to write (default README)"
    )
    args = parser.parse_args(argv)
    n_repeats = args.repeats or (1 if args.quick else 3)
    tight_tol = TIGHT_TOL["quick" if args.quick else "full"]
    rows = []
    output = args.output or (None if args.quick else README)
    for case in QUICK_CASES if args.quick else FULL_CASES:
        rows.append(run_case(case, n_repeats, tight_tol))
        print(format_table(rows[-1:], n_repeats, tight_tol).splitlines()[2], flush=True)
        table = format_table(rows, n_repeats, tight_tol)
        if output is not None:  # after each case, so a long run shows progress
            write_table(table, output)
    print()
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
