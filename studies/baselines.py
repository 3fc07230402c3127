"""The recipes against what a user would run instead, on small real tables,
with clean, symmetric-noise and pair-noise training labels, with and without
rows someone checked.

Usage::

    python -m studies.baselines        # full run: docs/baselines.md and the README
    python -m studies.baselines --quick --output table.md      # smoke run
    python -m studies.baselines --tables iris wine --splits 2 --rows rows.jsonl
    python -m studies.baselines --from-rows rows.jsonl         # tabulate a run

Cells: the small real tables of ``studies/_real_tables.py`` (``SMALL_DEV``,
on which the recipes were developed; ``SMALL_HELD_OUT`` and ``SMALL_FRESH``,
looked at by earlier rounds; ``SMALL_UNSEEN``, picked before any model was
fitted on them) x 5 stratified 75/25 splits x three label sets for the
training part (:data:`LABEL_SETS`: clean; 20 % symmetric noise, a label
replaced by a uniformly drawn other class; 30 % pair noise, a label moved to
the next class, ``sksmooth.datasets.flip_labels``). The test labels are
always clean: they are what the model should predict. A ``StandardScaler`` is
fitted on the training part.

Two modes (:data:`MODES`):

- ``labels as given``: every contender fits the noisy labels. The
  baselines, each as a user would call it: ``LogisticRegressionCV(Cs=10,
  scoring="neg_log_loss")``, scikit-learn's own answer, and the same inside
  ``CalibratedClassifierCV(method="temperature")``. Against them, the
  README's first recipe (``recipe``: the search's defaults with a
  temperature, safe on labels of unknown quality) and the recipe for labels
  known to be noisy (``declared``: forward smoothing, the noise learned from
  the out-of-fold confusions);
- ``10% verified``: a tenth of the training rows (stratified by the label
  as given) is checked: their true class is known. The baselines fit the
  labels with those rows corrected, as a user who checked them would;
  ``verified`` is the README's recipe for checked rows (forward smoothing by
  the transition counted on them).

The score is the log-loss on the clean test labels. The summary (between
``<!-- study:start -->`` and ``<!-- study:end -->`` of ``--output``, default
``docs/baselines.md``) gives, per mode, label set and contender: the mean
log-loss; the cells in which it beats each baseline (strictly lower
log-loss); the worst table (its mean log-loss over the splits divided by the
better of the two baselines' means); the worst cell (its log-loss divided by
the better of the two baselines' in that cell). A second table has every
table's means. The full run also writes the README's short table (between
``<!-- headline:start -->`` and ``<!-- headline:end -->``) and the page's
figure. Table packages: ``pip install -r studies/requirements.txt``.
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

from devtools.pages import write_between
from sksmooth import LabelSmoothingClassifierCV
from sksmooth.datasets import flip_labels
from studies._figures import draw_baselines, figure_path
from studies._real_tables import (
    SMALL_DEV,
    SMALL_FRESH,
    SMALL_HELD_OUT,
    SMALL_UNSEEN,
    load_table,
)

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "baselines.md"
README = ROOT / "README.md"
START, END = "<!-- study:start -->", "<!-- study:end -->"
HEADLINE_START, HEADLINE_END = "<!-- headline:start -->", "<!-- headline:end -->"
# label set -> (kind of noise, rate); None: clean
LABEL_SETS = {
    "clean": None,
    "20% symmetric": ("symmetric", 0.2),
    "30% pair": ("pair", 0.3),
}
AS_GIVEN, VERIFIED = "labels as given", "10% verified"
MODES = (AS_GIVEN, VERIFIED)
CHECKED_SHARE = 0.1
ALL_TABLES = SMALL_DEV + SMALL_HELD_OUT + SMALL_FRESH + SMALL_UNSEEN
BASELINE, CALIBRATED = "LogisticRegressionCV", "+ temperature"
BASELINES = (BASELINE, CALIBRATED)


def logistic_cv():
    return LogisticRegressionCV(Cs=10, scoring="neg_log_loss")


# name -> (builder, the mode it runs in, whether it is given the checked rows)
CONTENDERS = {
    BASELINE: (logistic_cv, None, False),
    CALIBRATED: (
        lambda: CalibratedClassifierCV(logistic_cv(), method="temperature"),
        None,
        False,
    ),
    "recipe": (
        lambda: LabelSmoothingClassifierCV(calibration="temperature"),
        AS_GIVEN,
        False,
    ),
    "declared": (
        lambda: LabelSmoothingClassifierCV(
            smooth="predictions", method="confusion", calibration="temperature"
        ),
        AS_GIVEN,
        False,
    ),
    "verified": (
        lambda: LabelSmoothingClassifierCV(
            smooth="predictions", method="counted", calibration="temperature"
        ),
        VERIFIED,
        True,
    ),
    # measured beside the recipes when asked for (--contenders)
    "forward, uniform": (
        lambda: LabelSmoothingClassifierCV(
            smooth="predictions", calibration="temperature"
        ),
        AS_GIVEN,
        False,
    ),
    "unsmoothed": (
        lambda: LabelSmoothingClassifierCV(epsilons=[0.0], calibration="temperature"),
        AS_GIVEN,
        False,
    ),
}
DEFAULT = (BASELINE, CALIBRATED, "recipe", "declared", "verified")
QUICK = DEFAULT
# the README's short table: its rows, per mode
HEADLINE = {AS_GIVEN: ("recipe", "declared"), VERIFIED: ("verified",)}


def training_labels(y_train, labels: str, n_classes: int, split: int):
    """The training labels of a label set (the same rows corrupted for both
    kinds of noise, for a split)."""
    noise = LABEL_SETS[labels]
    if noise is None:
        return y_train.copy()
    kind, rate = noise
    return flip_labels(y_train, rate, n_classes, random_state=1000 + split, kind=kind)


def checked_rows(given, split: int) -> np.ndarray:
    """The mask of the checked training rows: a tenth of each given label's
    rows (rounded), drawn with the split's seed."""
    rng = np.random.default_rng(2000 + split)
    mask = np.zeros(given.shape[0], dtype=bool)
    for label in np.unique(given):
        rows = np.flatnonzero(given == label)
        mask[rng.choice(rows, int(round(CHECKED_SHARE * len(rows))), replace=False)] = 1
    return mask


def run_cell(table: str, split: int, labels: str, contenders) -> list[dict]:
    """Every contender on one (table, split, label set) cell, in both modes:
    one row each."""
    X, y = load_table(table)
    y = LabelEncoder().fit_transform(y)
    n_classes = int(y.max()) + 1
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=split
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    given = training_labels(y_train, labels, n_classes, split)
    checked = checked_rows(given, split)
    corrected = np.where(checked, y_train, given)
    y_verified = np.where(checked, y_train, None)
    rows = []
    for mode in MODES:
        for name in contenders:
            build, own_mode, takes_checked = CONTENDERS[name]
            if own_mode not in (None, mode):
                continue
            fit_params = {"y_verified": y_verified} if takes_checked else {}
            y_fit = corrected if mode == VERIFIED and not takes_checked else given
            tic = time.process_time()
            # A study script's own process (a joblib worker, or the script
            # itself with --n-jobs 1): no library code changes warnings filters.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                warnings.simplefilter("ignore", FutureWarning)  # scikit-learn's
                warnings.simplefilter("ignore", UserWarning)  # few checked rows
                model = build().fit(X_train, y_fit, **fit_params)
            proba = model.predict_proba(X_test)
            rows.append(
                {
                    "table": table,
                    "split": split,
                    "labels": labels,
                    "mode": mode,
                    "contender": name,
                    "log_loss": log_loss(y_test, proba, labels=range(n_classes)),
                    "cpu_seconds": time.process_time() - tic,
                    "epsilon": float(getattr(model, "epsilon_", np.nan)),
                }
            )
    return rows


def cell_task(table, split, labels, contenders):
    with threadpool_limits(1):
        return run_cell(table, split, labels, contenders)


def _cells(rows, mode, labels, contender):
    return {
        (r["table"], r["split"]): r["log_loss"]
        for r in rows
        if (r["mode"], r["labels"], r["contender"]) == (mode, labels, contender)
    }


def _table_means(cells) -> dict:
    tables = sorted({t for t, _ in cells})
    return {t: np.mean([v for (u, _), v in cells.items() if u == t]) for t in tables}


def summary_rows(rows) -> list[list[str]]:
    """Per mode, label set and contender: the summary's cells as text."""
    out = []
    for mode in MODES:
        for labels in LABEL_SETS:
            base = _cells(rows, mode, labels, BASELINE)
            calibrated = _cells(rows, mode, labels, CALIBRATED)
            if not base or set(base) != set(calibrated):
                continue
            better = {c: min(base[c], calibrated[c]) for c in base}
            better_table = {
                t: min(a, b)
                for (t, a), b in zip(
                    _table_means(base).items(),
                    _table_means(calibrated).values(),
                    strict=True,
                )
            }
            for name in dict.fromkeys(r["contender"] for r in rows):
                cells = _cells(rows, mode, labels, name)
                if not cells or set(cells) != set(base):
                    continue
                means = _table_means(cells)
                ratios = {t: means[t] / better_table[t] for t in means}
                worst = max(ratios, key=ratios.get)
                worst_cell = max(cells, key=lambda c: cells[c] / better[c])
                beats = [
                    sum(cells[c] < ref[c] for c in cells) for ref in (base, calibrated)
                ]
                out.append(
                    [
                        mode,
                        labels,
                        name,
                        f"{np.mean(list(cells.values())):.3f}",
                        f"{beats[0]}/{len(cells)}",
                        f"{beats[1]}/{len(cells)}",
                        f"{worst} {ratios[worst]:.2f}×",
                        f"{worst_cell[0]} "
                        f"{cells[worst_cell] / better[worst_cell]:.2f}×",
                    ]
                )
    return out


def markdown(header, rows, text_columns: int = 3) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * text_columns + "---:|" * (len(header) - text_columns),
    ]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


SUMMARY_HEADER = [
    "mode",
    "labels",
    "contender",
    "mean log-loss",
    "beats LogisticRegressionCV",
    "beats + temperature",
    "worst table (÷ better baseline)",
    "worst cell (÷ better baseline)",
]


def table_group(table: str) -> str:
    """Which set a table belongs to, as the per-table means name it."""
    for group, names in (
        (" (held out)", SMALL_HELD_OUT),
        (" (fresh)", SMALL_FRESH),
        (" (unseen)", SMALL_UNSEEN),
    ):
        if table in names:
            return group
    return ""


def per_table(rows) -> str:
    """Every table's mean log-loss per mode, label set and contender."""
    tables = list(dict.fromkeys(r["table"] for r in rows))
    columns = [
        (mode, name)
        for mode in MODES
        for name in dict.fromkeys(r["contender"] for r in rows if r["mode"] == mode)
    ]
    body = []
    for labels in LABEL_SETS:
        for table in tables:
            means = []
            for mode, name in columns:
                values = [
                    r["log_loss"]
                    for r in rows
                    if (r["table"], r["labels"], r["mode"], r["contender"])
                    == (table, labels, mode, name)
                ]
                means.append(f"{np.mean(values):.3f}" if values else "")
            if any(means):
                body.append([f"{table}{table_group(table)}", labels, *means])
    header = [
        "table",
        "labels",
        *(name if mode == AS_GIVEN else f"{name} ({mode})" for mode, name in columns),
    ]
    return markdown(header, body, text_columns=2)


def tables_text(rows, seconds: float | None, n_jobs: int = 2) -> str:
    n_cells = len({(r["table"], r["split"]) for r in rows})
    note = (
        f"{n_cells} cells per mode and label set"
        + (f"; {seconds / 60:.1f} min on {n_jobs} processes" if seconds else "")
        + ". Log-loss on the clean test labels; a contender beats a baseline "
        "in a cell where its log-loss is strictly lower."
    )
    unseen = [r for r in rows if r["table"] in SMALL_UNSEEN]
    unseen_text = (
        "\n\nOn the unseen tables alone (picked before any model was fitted on "
        "them):\n\n" + markdown(SUMMARY_HEADER, summary_rows(unseen))
        if unseen and len(unseen) < len(rows)
        else ""
    )
    return (
        markdown(SUMMARY_HEADER, summary_rows(rows))
        + "\n\n"
        + note
        + unseen_text
        + "\n\nMean log-loss per table:\n\n"
        + per_table(rows)
    )


def headline(page: str) -> str:
    """The README's short table: the page's summary rows of the README's
    recipes (the header and those rows, as the script wrote them)."""
    block = page[page.index(START) + len(START) : page.index(END)].strip()
    summary = block.split("\n\n")[0].splitlines()
    kept = [
        line
        for line in summary[2:]
        if line.split(" | ")[2] in HEADLINE.get(line.split(" | ")[0].lstrip("| "), ())
    ]
    return "\n".join(summary[:2] + kept)


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


def run(args) -> tuple[list[dict], float]:
    """Run the cells not yet in ``args.rows``; every row and the seconds."""
    tables = args.tables or (["iris"] if args.quick else ALL_TABLES)
    splits = args.splits or (1 if args.quick else 5)
    contenders = args.contenders or (QUICK if args.quick else DEFAULT)
    rows = []
    if args.rows is not None and args.rows.exists():
        rows = [json.loads(line) for line in args.rows.read_text().splitlines()]
    done = {(r["table"], r["split"], r["labels"]) for r in rows}
    tasks = [
        (t, s, labels)
        for t in tables
        for s in range(splits)
        for labels in LABEL_SETS
        if (t, s, labels) not in done
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
    return rows, time.perf_counter() - tic


def main(argv=None) -> int:
    args = parse_args(argv)
    seconds = None
    if args.from_rows is not None:
        rows = [json.loads(line) for line in args.from_rows.read_text().splitlines()]
    else:
        rows, seconds = run(args)
    text = tables_text(rows, seconds, args.n_jobs)
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
