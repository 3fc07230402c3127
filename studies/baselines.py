"""The recommended recipe against what a user would run instead, on small real
tables, with clean and with noisy training labels.

Usage::

    python -m studies.baselines        # full run: docs/baselines.md and the README
    python -m studies.baselines --quick --output table.md      # smoke run
    python -m studies.baselines --tables iris wine --splits 2 --rows rows.jsonl
    python -m studies.baselines --from-rows rows.jsonl         # tabulate a run

Cells: 24 small real tables (``studies/_real_tables.py``: ``SMALL_DEV``, on
which the recipe was developed; ``SMALL_HELD_OUT``, kept for checking it;
``SMALL_FRESH``, added after its second revision was chosen; 120 to 1,070
rows, K from 2 to 9) x 5 stratified 75/25 splits x training labels
clean or with 20 % symmetric noise (``sksmooth.datasets.flip_labels``: a
label replaced by a uniformly drawn other class). The test labels are always
clean: they are what the model should predict. A ``StandardScaler`` is
fitted on the training part.

Contenders (:data:`CONTENDERS`), each as a user would call it:

- ``LogisticRegressionCV``: ``LogisticRegressionCV(Cs=10,
  scoring="neg_log_loss")``, scikit-learn's own answer;
- ``+ temperature``: the same inside ``CalibratedClassifierCV(method=
  "temperature")``;
- ``recipe``: the README's recipe, ``LabelSmoothingClassifierCV(smooth=
  "predictions", calibration="temperature")`` (forward smoothing; ``C``
  over ``LogisticRegressionCV``'s ten values, then epsilon, then the
  temperature);
- ``targets``: ``LabelSmoothingClassifierCV(calibration="temperature")``,
  the labels' targets smoothed instead;
- ``recipe, joint``: the recipe with ``selection="best"`` (``C`` and epsilon
  chosen jointly), to measure the selection rule; only when asked for
  (``--contenders``), as it costs as much as the recipe.

The score is the log-loss on the clean test labels. The summary (between
``<!-- study:start -->`` and ``<!-- study:end -->`` of ``--output``, default
``docs/baselines.md``) gives, per label noise and contender: the mean
log-loss; the cells in which it beats each baseline (strictly lower
log-loss); the worst table (its mean log-loss over the splits divided by the
better of the two baselines' means); the worst cell (log-loss divided by the
calibrated baseline's). A second table has every table's means. The full run
also writes the README's short table (between ``<!-- headline:start -->``
and ``<!-- headline:end -->``). Table packages: ``pip install -r
studies/requirements.txt``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from benchmarks._harness import write_between
from sksmooth import LabelSmoothingClassifierCV
from sksmooth.datasets import flip_labels
from studies._figures import draw_baselines, figure_path
from studies._real_tables import SMALL_DEV, SMALL_FRESH, SMALL_HELD_OUT, load_table

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "baselines.md"
README = ROOT / "README.md"
START, END = "<!-- study:start -->", "<!-- study:end -->"
HEADLINE_START, HEADLINE_END = "<!-- headline:start -->", "<!-- headline:end -->"
NOISES = (0.0, 0.2)
ALL_TABLES = SMALL_DEV + SMALL_HELD_OUT + SMALL_FRESH
BASELINE, CALIBRATED = "LogisticRegressionCV", "+ temperature"


def logistic_cv():
    return LogisticRegressionCV(Cs=10, scoring="neg_log_loss")


CONTENDERS = {
    BASELINE: logistic_cv,
    CALIBRATED: lambda: CalibratedClassifierCV(logistic_cv(), method="temperature"),
    "recipe": lambda: LabelSmoothingClassifierCV(
        smooth="predictions", calibration="temperature"
    ),
    "targets": lambda: LabelSmoothingClassifierCV(calibration="temperature"),
    "recipe, joint": lambda: LabelSmoothingClassifierCV(
        smooth="predictions", calibration="temperature", selection="best"
    ),
}
DEFAULT = (BASELINE, CALIBRATED, "recipe", "targets")
QUICK = (BASELINE, CALIBRATED, "recipe")


def run_cell(table: str, split: int, noise: float, contenders) -> list[dict]:
    """Every contender on one (table, split, noise) cell: one row each."""
    X, y = load_table(table)
    y = LabelEncoder().fit_transform(y)
    n_classes = int(y.max()) + 1
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=split
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    if noise:
        y_train = flip_labels(y_train, noise, n_classes, random_state=1000 + split)
    rows = []
    for name in contenders:
        tic = time.process_time()
        # A study script's own process (a joblib worker, or the script itself
        # with --n-jobs 1): no library code changes warnings filters.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", FutureWarning)  # scikit-learn's notices
            model = CONTENDERS[name]().fit(X_train, y_train)
        proba = model.predict_proba(X_test)
        rows.append(
            {
                "table": table,
                "split": split,
                "noise": noise,
                "contender": name,
                "log_loss": log_loss(y_test, proba, labels=range(n_classes)),
                "cpu_seconds": time.process_time() - tic,
                "epsilon": float(getattr(model, "epsilon_", np.nan)),
            }
        )
    return rows


def cell_task(table, split, noise, contenders):
    with threadpool_limits(1):
        return run_cell(table, split, noise, contenders)


def _means(rows, noise, contender, tables):
    return {
        t: np.mean(
            [
                r["log_loss"]
                for r in rows
                if (r["table"], r["noise"], r["contender"]) == (t, noise, contender)
            ]
        )
        for t in tables
    }


def _cells(rows, noise, contender):
    return {
        (r["table"], r["split"]): r["log_loss"]
        for r in rows
        if r["noise"] == noise and r["contender"] == contender
    }


def summary_rows(rows) -> list[list[str]]:
    """Per noise and contender: the summary's cells as text."""
    out = []
    for noise in NOISES:
        base, calibrated = (
            _cells(rows, noise, BASELINE),
            _cells(rows, noise, CALIBRATED),
        )
        tables = sorted({t for t, _ in base})
        better = {
            t: min(a, b)
            for (t, a), b in zip(
                _means(rows, noise, BASELINE, tables).items(),
                _means(rows, noise, CALIBRATED, tables).values(),
                strict=True,
            )
        }
        for name in dict.fromkeys(r["contender"] for r in rows):
            cells = _cells(rows, noise, name)
            if not cells or set(cells) != set(base):
                continue
            means = _means(rows, noise, name, tables)
            ratios = {t: means[t] / better[t] for t in tables}
            worst = max(ratios, key=ratios.get)
            worst_cell = max(cells[c] / calibrated[c] for c in cells)
            beats = [
                sum(cells[c] < ref[c] for c in cells) for ref in (base, calibrated)
            ]
            out.append(
                [
                    "clean" if noise == 0 else f"{noise:.0%} noise",
                    name,
                    f"{np.mean(list(cells.values())):.3f}",
                    f"{beats[0]}/{len(cells)}",
                    f"{beats[1]}/{len(cells)}",
                    f"{worst} {ratios[worst]:.2f}×",
                    f"{worst_cell:.2f}×",
                ]
            )
    return out


def markdown(header, rows) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|---|---|" + "---:|" * (len(header) - 2),
    ]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


SUMMARY_HEADER = [
    "labels",
    "contender",
    "mean log-loss",
    "beats LogisticRegressionCV",
    "beats + temperature",
    "worst table (÷ better baseline)",
    "worst cell (÷ + temperature)",
]


def per_table(rows) -> str:
    """Every table's mean log-loss per noise and contender."""
    tables = list(dict.fromkeys(r["table"] for r in rows))
    cells = {(r["table"], r["split"], r["noise"]) for r in rows}
    contenders = [  # those run on every cell
        name
        for name in dict.fromkeys(r["contender"] for r in rows)
        if len([r for r in rows if r["contender"] == name]) == len(cells)
    ]
    body = []
    for noise in NOISES:
        for table in tables:
            held = (
                " (held out)"
                if table in SMALL_HELD_OUT
                else " (fresh)"
                if table in SMALL_FRESH
                else ""
            )
            cells = [_means(rows, noise, name, [table])[table] for name in contenders]
            body.append(
                [f"{table}{held}", "clean" if noise == 0 else f"{noise:.0%}"]
                + [f"{c:.3f}" for c in cells]
            )
    return markdown(["table", "labels", *contenders], body)


def tables_text(rows, seconds: float | None) -> str:
    n_cells = len({(r["table"], r["split"]) for r in rows})
    note = (
        f"{n_cells} cells per label noise"
        + (f"; {seconds / 60:.1f} min on 2 processes" if seconds else "")
        + ". Log-loss on the clean test labels; a contender beats a baseline "
        "in a cell where its log-loss is strictly lower."
    )
    fresh = [r for r in rows if r["table"] in SMALL_FRESH]
    fresh_text = (
        "\n\nOn the fresh tables alone (added after the recipe was chosen):\n\n"
        + markdown(SUMMARY_HEADER, summary_rows(fresh))
        if fresh and len(fresh) < len(rows)
        else ""
    )
    return (
        markdown(SUMMARY_HEADER, summary_rows(rows))
        + "\n\n"
        + note
        + fresh_text
        + "\n\nMean log-loss per table:\n\n"
        + per_table(rows)
    )


def headline(page: str) -> str:
    """The README's short table: the page's summary rows of the two baselines
    and the recipe (the header and those rows, as the script wrote them)."""
    block = page[page.index(START) + len(START) : page.index(END)].strip()
    summary = block.split("\n\n")[0].splitlines()
    keep = (BASELINE, CALIBRATED, "recipe")
    rows = [line for line in summary[2:] if line.split(" | ")[1] in keep]
    return "\n".join(summary[:2] + rows)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--tables", nargs="+", default=None)
    parser.add_argument("--splits", type=int, default=None)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--contenders", nargs="+", choices=list(CONTENDERS))
    parser.add_argument(
        "--rows",
        type=Path,
        default=None,
        help="append rows here; cells already in it are not run again",
    )
    parser.add_argument("--from-rows", type=Path, default=None)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    seconds = None
    if args.from_rows is not None:
        rows = [json.loads(line) for line in args.from_rows.read_text().splitlines()]
    else:
        tables = args.tables or (["iris"] if args.quick else ALL_TABLES)
        splits = args.splits or (1 if args.quick else 5)
        contenders = args.contenders or (QUICK if args.quick else DEFAULT)
        rows = []
        if args.rows is not None and args.rows.exists():
            rows = [json.loads(line) for line in args.rows.read_text().splitlines()]
        done = {(r["table"], r["split"], r["noise"]) for r in rows}
        tasks = [
            (t, s, z)
            for t in tables
            for s in range(splits)
            for z in NOISES
            if (t, s, z) not in done
        ]
        tic = time.perf_counter()
        for cell in Parallel(n_jobs=args.n_jobs, return_as="generator")(
            delayed(cell_task)(*task, contenders) for task in tasks
        ):
            rows += cell
            for row in cell:
                print(json.dumps(row), flush=True)
            if args.rows is not None:
                with args.rows.open("a") as f:
                    f.writelines(json.dumps(row) + "\n" for row in cell)
        seconds = time.perf_counter() - tic
    text = tables_text(rows, seconds)
    output = args.output or (None if args.quick else PAGE)
    if output is not None:
        write_between(START, END, text, output)
        draw_baselines(rows, figure_path(output))
        if output == PAGE:
            text = headline(PAGE.read_text())
            write_between(HEADLINE_START, HEADLINE_END, text, README)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
