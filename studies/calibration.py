"""Does choosing epsilon by cross-validation pay, under label noise? A study.

Usage::

    python -m studies.calibration   # full run, into docs/choosing_epsilon.md
    python -m studies.calibration --quick --output table.md   # smoke run

Cells: datasets (wine, K=3; a subsample of digits, K=10; a synthetic K=6
problem) x training-label noise (symmetric 20 % and 40 %: a label is replaced
by a uniformly drawn other class; confusable pairs 30 %: class k flips to
class (k + 1) mod K) x seeds. In each cell, a stratified 60/40 split; the
training labels get the noise; the test labels are scored twice, with an
independent draw of the same noise ("noisy test", what a user's own split
shows) and clean. Inner learners: SoftmaxRegression, SoftMLPClassifier((32,))
and HistGradientBoostingClassifier (expansion path). Contenders:

- ``eps=0``: the learner at its default regulariser, no smoothing;
- ``eps=0, reg CV``: the regulariser tuned by 3-fold GridSearchCV (log-loss):
  the fair baseline;
- ``GridSearchCV eps``: GridSearchCV over the same epsilon grid, default
  regulariser;
- ``CV eps+reg``: LabelSmoothingClassifierCV, epsilon and regulariser jointly;
- ``CV eps+reg+T``: the same with ``calibration="temperature"``;
- ``CV eps+reg+T ens``: and ``ensemble=True``;
- ``CV eps+reg+T joint``: the same with ``selection="best"`` (epsilon and
  the regulariser chosen jointly, not the regulariser first);
- ``CV confusion+reg+T``: ``method="confusion"``, with temperature;
- ``temperature scaling``: ``CalibratedClassifierCV(learner, method="temperature")``
  at the default regulariser (scikit-learn's answer to over-confidence);
- ``skorch eps=0.1 (ref)`` (mlp only, when torch and skorch import): a skorch
  ``NeuralNetClassifier`` of the network's shape (one hidden layer of 32 ReLU
  units), ``torch.nn.CrossEntropyLoss(label_smoothing=0.1)``, Adam (lr 0.01,
  no weight decay), 100 epochs of batches of 64: what a PyTorch user would
  reach for, with the customary epsilon. A reference row, not a contender in
  the goals.

Every search uses the same 3 stratified folds of the training split, 5
epsilons (the default grid) and the same regulariser grid.

Sizes are small so that a full run (3 seeds, 27 cells) stays near 10 minutes
on an idle 2-core machine (BLAS, OpenMP and torch limited to one thread per
process, cells on two processes). The boosted trees dominate the time (each
smoothed fit goes through the expansion path, on ``K`` copies of the data), so
they get 20 boosting iterations at learning rate 0.2 instead of scikit-learn's
100 at 0.1; its docs page says so.
"""

import argparse
import importlib.util
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_digits, load_wine, make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from devtools.pages import write_between
from sksmooth import (
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftmaxRegression,
    SoftMLPClassifier,
)
from sksmooth.metrics import expected_calibration_error

PAGE = Path(__file__).resolve().parent.parent / "docs" / "choosing_epsilon.md"
START, END = "<!-- study:start -->", "<!-- study:end -->"
NOISES = [("symmetric", 0.2), ("symmetric", 0.4), ("pairs", 0.3)]
N_EPSILONS = 5
CONTENDERS = [
    "eps=0",
    "eps=0, reg CV",
    "GridSearchCV eps",
    "CV eps+reg",
    "CV eps+reg+T",
    "CV eps+reg+T ens",
    "CV eps+reg+T joint",
    "CV confusion+reg+T",
    "temperature scaling",
]
SELECTED = "CV eps+reg+T"
JOINT = "CV eps+reg+T joint"
SKORCH = "skorch eps=0.1 (ref)"
SKORCH_EPSILON = 0.1
MLP_WIDTH = 32


def skorch_available() -> bool:
    return all(importlib.util.find_spec(name) for name in ("torch", "skorch"))


# Relative log-loss and absolute ECE differences that count as a tie.
LOG_LOSS_TIE, ECE_TIE = 0.01, 0.005


def datasets(quick: bool):
    """(name, X, y) triples; small so that the full study stays short."""
    wine = load_wine(return_X_y=True)
    digits_X, digits_y = load_digits(return_X_y=True)
    rows = np.random.default_rng(0).permutation(len(digits_y))[: 300 if quick else 450]
    synthetic = make_classification(
        n_samples=300 if quick else 450,
        n_features=20,
        n_informative=8,
        n_classes=6,
        n_clusters_per_class=1,
        class_sep=1.0,
        random_state=0,
    )
    return [
        ("wine", *wine),
        ("digits", digits_X[rows], digits_y[rows]),
        ("synthetic K=6", *synthetic),
    ]


def learners(seed: int, quick: bool):
    """(name, estimator, regulariser grid)."""
    return [
        ("softmax", SoftmaxRegression(max_iter=300), {"C": [0.03, 1.0, 30.0]}),
        (
            "mlp",
            SoftMLPClassifier(
                (MLP_WIDTH,), max_iter=50 if quick else 150, random_state=seed
            ),
            {"alpha": [1e-4, 1.0, 10.0]},
        ),
        (
            "hgb",
            HistGradientBoostingClassifier(
                max_iter=10 if quick else 20,
                learning_rate=0.2,
                early_stopping=False,
                random_state=seed,
            ),
            {"max_leaf_nodes": [5, 31]},
        ),
    ]


def add_noise(y, n_classes, kind, rate, rng):
    """Replace a share ``rate`` of labels: uniformly by another class
    (symmetric) or by the fixed partner ``(k + 1) mod K`` (pairs)."""
    flip = rng.random(len(y)) < rate
    noisy = y.copy()
    if kind == "symmetric":
        shift = rng.integers(1, n_classes, size=flip.sum())
    else:
        shift = np.ones(flip.sum(), dtype=int)
    noisy[flip] = (y[flip] + shift) % n_classes
    return noisy


def contenders(learner, grid, folds):
    """The models to compare, unfitted."""
    searched = {f"estimator__{k}": v for k, v in grid.items()}
    cv_common = {"epsilons": N_EPSILONS, "cv": folds, "param_grid": grid}
    epsilon_grid = [float(e) for e in 0.9 * np.linspace(0, 1, N_EPSILONS) ** 2]
    return {
        "eps=0": clone(learner),
        "eps=0, reg CV": GridSearchCV(
            clone(learner), grid, cv=folds, scoring="neg_log_loss"
        ),
        "GridSearchCV eps": GridSearchCV(
            LabelSmoothingClassifier(clone(learner)),
            {"epsilon": epsilon_grid},
            cv=folds,
            scoring="neg_log_loss",
        ),
        "CV eps+reg": LabelSmoothingClassifierCV(clone(learner), **cv_common),
        "CV eps+reg+T": LabelSmoothingClassifierCV(
            clone(learner), calibration="temperature", **cv_common
        ),
        "CV eps+reg+T ens": LabelSmoothingClassifierCV(
            clone(learner), calibration="temperature", ensemble=True, **cv_common
        ),
        "CV eps+reg+T joint": LabelSmoothingClassifierCV(
            clone(learner), calibration="temperature", selection="best", **cv_common
        ),
        "CV confusion+reg+T": LabelSmoothingClassifierCV(
            clone(learner), method="confusion", calibration="temperature", **cv_common
        ),
        "temperature scaling": CalibratedClassifierCV(
            clone(learner), method="temperature", cv=folds
        ),
    }, searched


def _as_float32(X):
    return np.asarray(X, dtype=np.float32)


def skorch_network(n_features: int, n_classes: int, quick: bool):
    """The skorch reference: the MLP's shape, PyTorch's label smoothing."""
    import torch
    from skorch import NeuralNetClassifier

    module = torch.nn.Sequential(
        torch.nn.Linear(n_features, MLP_WIDTH),
        torch.nn.ReLU(),
        torch.nn.Linear(MLP_WIDTH, n_classes),
    )
    network = NeuralNetClassifier(
        module,
        criterion=torch.nn.CrossEntropyLoss,
        criterion__label_smoothing=SKORCH_EPSILON,
        optimizer=torch.optim.Adam,
        lr=0.01,
        max_epochs=20 if quick else 100,
        batch_size=64,
        train_split=None,
        verbose=0,
    )
    return make_pipeline(FunctionTransformer(_as_float32), network)


def chosen_epsilon(model):
    if hasattr(model, "epsilon_"):
        return model.epsilon_
    if hasattr(model, "best_params_") and "epsilon" in model.best_params_:
        return model.best_params_["epsilon"]
    return 0.0


class torch_seed_and_threads:
    """Seed torch and run it on one thread; restore both afterwards."""

    def __init__(self, seed):
        self.seed = seed

    def __enter__(self):
        import torch

        self.threads = torch.get_num_threads()
        self.state = torch.random.get_rng_state()
        torch.set_num_threads(1)
        torch.manual_seed(self.seed)

    def __exit__(self, *exc):
        import torch

        torch.set_num_threads(self.threads)
        torch.random.set_rng_state(self.state)


def run_cell(dataset, noise, seed, quick):
    name, X, y = dataset
    kind, rate = noise
    n_classes = len(np.unique(y))
    rng = np.random.default_rng(seed)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    y_noisy = add_noise(y_train, n_classes, kind, rate, rng)
    y_test_noisy = add_noise(y_test, n_classes, kind, rate, rng)
    folds = list(
        StratifiedKFold(3, shuffle=True, random_state=seed).split(X_train, y_noisy)
    )
    labels = np.arange(n_classes)
    rows = []
    with threadpool_limits(limits=1):
        for learner_name, learner, grid in learners(seed, quick):
            models, _ = contenders(learner, grid, folds)
            if learner_name == "mlp" and skorch_available():
                models[SKORCH] = None  # built under the seed: its weights are drawn
            for contender, model in models.items():
                tic = time.perf_counter()
                if contender == SKORCH:
                    with torch_seed_and_threads(seed):
                        model = skorch_network(X.shape[1], n_classes, quick)
                        model.fit(X_train, y_noisy)
                        proba = model.predict_proba(X_test)
                else:
                    model.fit(X_train, y_noisy)
                    proba = model.predict_proba(X_test)
                seconds = time.perf_counter() - tic
                row = {
                    "dataset": name,
                    "noise": f"{kind} {rate:.0%}",
                    "seed": seed,
                    "learner": learner_name,
                    "contender": contender,
                    "time": seconds,
                    "epsilon": SKORCH_EPSILON
                    if contender == SKORCH
                    else chosen_epsilon(model),
                }
                for split, truth in (("clean", y_test), ("noisy", y_test_noisy)):
                    row[f"{split}_log_loss"] = log_loss(truth, proba, labels=labels)
                    row[f"{split}_ece"] = expected_calibration_error(
                        truth, proba, labels=labels
                    )
                    row[f"{split}_accuracy"] = accuracy_score(
                        truth, labels[np.argmax(proba, axis=1)]
                    )
                rows.append(row)
    return rows


def summary_table(rows, n_cells):
    lines = [
        "| learner | contender | clean log-loss | clean ECE | clean accuracy "
        "| noisy-test log-loss | fit time (s) | mean ε |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for learner in ("softmax", "mlp", "hgb"):
        for contender in [*CONTENDERS, SKORCH]:
            sel = [
                r
                for r in rows
                if r["learner"] == learner and r["contender"] == contender
            ]
            if not sel:
                continue

            def mean(key, sel=sel):
                return np.mean([r[key] for r in sel])

            noisy = mean("noisy_log_loss")
            noisy = "–" if np.isnan(noisy) else f"{noisy:.3f}"

            bold = "**" if contender in (SELECTED, JOINT) else ""
            lines.append(
                f"| {learner} | {bold}{contender}{bold} | "
                f"{mean('clean_log_loss'):.3f} | "
                f"{mean('clean_ece'):.3f} | {mean('clean_accuracy'):.3f} | "
                f"{noisy} | {mean('time'):.2f} | "
                f"{mean('epsilon'):.2f} |"
            )
    if not any(r["contender"] == SKORCH for r in rows):
        lines.append(
            f"| mlp | {SKORCH} | left out: torch and skorch are not installed "
            "| | | | | |"
        )
    return "\n".join(lines)


def _pairs(rows, learner, a, b, cells=None):
    """Per cell, the rows of contenders a and b for one learner."""
    index = {
        (r["dataset"], r["noise"], r["seed"], r["contender"]): r
        for r in rows
        if r["learner"] == learner
    }
    keys = sorted({k[:3] for k in index})
    if cells is not None:
        keys = [k for k in keys if cells(k)]
    return [(index[(*k, a)], index[(*k, b)]) for k in keys]


def share(pairs, test):
    if not pairs:
        return "–"
    hits = sum(bool(test(x, y)) for x, y in pairs)
    return f"{hits}/{len(pairs)}"


def goals_table(rows):
    def ll_better(x, y):
        return x["clean_log_loss"] < y["clean_log_loss"]

    def ll_tie_or_better(x, y):
        return x["clean_log_loss"] <= y["clean_log_loss"] * (1 + LOG_LOSS_TIE)

    def ece_tie_or_better(x, y):
        return x["clean_ece"] <= y["clean_ece"] + ECE_TIE

    def acc_better(x, y):
        return x["clean_accuracy"] > y["clean_accuracy"]

    def within_2pc(x, y):
        return x["clean_log_loss"] <= 1.02 * y["clean_log_loss"]

    def pairs_noise(key):
        return key[1].startswith("pairs")

    lines = [
        "| goal (clean held-out labels; cells won / cells) | goal share "
        "| softmax | mlp | hgb |",
        "|---|---:|---:|---:|---:|",
    ]
    goals = [
        (
            "selected (CV eps+reg+T) beats eps=0 on log-loss",
            "all",
            SELECTED,
            "eps=0",
            ll_better,
            None,
        ),
        (
            "selected ties or beats temperature scaling on log-loss",
            "2/3",
            SELECTED,
            "temperature scaling",
            ll_tie_or_better,
            None,
        ),
        (
            "selected ties or beats temperature scaling on ECE",
            "80 %",
            SELECTED,
            "temperature scaling",
            ece_tie_or_better,
            None,
        ),
        (
            "selected wins accuracy against eps=0, reg CV",
            "2/3",
            SELECTED,
            "eps=0, reg CV",
            acc_better,
            None,
        ),
        (
            "selected within 2 % of the log-loss of eps=0, reg CV",
            "–",
            SELECTED,
            "eps=0, reg CV",
            within_2pc,
            None,
        ),
        (
            "selected within 2 % of the log-loss of eps=0",
            "all (softmax)",
            SELECTED,
            "eps=0",
            within_2pc,
            None,
        ),
        (
            "joint selection (CV eps+reg+T joint) beats eps=0 on log-loss",
            "–",
            JOINT,
            "eps=0",
            ll_better,
            None,
        ),
        (
            "joint selection within 2 % of the log-loss of eps=0",
            "all (softmax)",
            JOINT,
            "eps=0",
            within_2pc,
            None,
        ),
        (
            "joint selection within 2 % of the log-loss of eps=0, reg CV",
            "–",
            JOINT,
            "eps=0, reg CV",
            within_2pc,
            None,
        ),
        (
            "pairs noise: confusion beats uniform (both +reg+T) on log-loss",
            "–",
            "CV confusion+reg+T",
            SELECTED,
            ll_better,
            pairs_noise,
        ),
        (
            "pairs noise: confusion ties or beats temperature scaling on log-loss",
            "1/2",
            "CV confusion+reg+T",
            "temperature scaling",
            ll_tie_or_better,
            pairs_noise,
        ),
    ]
    for text, target, a, b, test, cells in goals:
        counts = [
            share(_pairs(rows, learner, a, b, cells), test)
            for learner in ("softmax", "mlp", "hgb")
        ]
        lines.append(f"| {text} | {target} | " + " | ".join(counts) + " |")
    return "\n".join(lines)


LOG_LINE = re.compile(
    r"^(?P<dataset>.+?)\s{2,}(?P<noise>(?:symmetric|pairs) \d+%)\s+seed "
    r"(?P<seed>\d+) (?P<learner>\S+)\s+(?P<contender>.+?)\s+clean ll "
    r"(?P<clean_log_loss>\S+) ece (?P<clean_ece>\S+) acc (?P<clean_accuracy>\S+)"
    r"(?: noisy ll (?P<noisy_log_loss>\S+))? \| eps (?P<epsilon>\S+) "
    r"(?P<time>\S+)s$"
)


def rows_from_log(path: Path):
    """The cell rows a run printed (to tabulate a run that was cut short).

    Runs that printed no noisy-test log-loss get NaN there."""
    rows = []
    for line in path.read_text().splitlines():
        match = LOG_LINE.match(line)
        if match:
            row = match.groupdict()
            for key in row:
                if key not in ("dataset", "noise", "learner", "contender"):
                    row[key] = float("nan") if row[key] is None else float(row[key])
            rows.append(row)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="file to write (default docs/choosing_epsilon.md)",
    )
    parser.add_argument(
        "--from-log",
        type=Path,
        default=None,
        help="tabulate the cells printed by an earlier (possibly cut) run",
    )
    args = parser.parse_args(argv)
    if args.from_log is not None:
        rows = rows_from_log(args.from_log)
        n_cells = len({(r["dataset"], r["noise"], r["seed"]) for r in rows})
        table = (
            summary_table(rows, n_cells)
            + "\n\n"
            + goals_table(rows)
            + "\n\n"
            + f"Means over the {n_cells} cells per learner that a cut-short run "
            f"finished ({sorted({r['dataset'] for r in rows})}, "
            f"{len({r['noise'] for r in rows})} noise settings, "
            f"{len({r['seed'] for r in rows})} seed(s)). A tie: log-loss within "
            f"{LOG_LOSS_TIE:.0%}, ECE within {ECE_TIE}."
        )
        write_between(START, END, table, args.output or PAGE)
        print(table)
        return 0
    n_seeds = args.seeds or (1 if args.quick else 3)
    data = datasets(args.quick)
    noises = NOISES[1:2] if args.quick else NOISES
    if args.quick:
        data = data[:1]
    load_before = os.getloadavg()[0]
    tic = time.perf_counter()
    jobs = Parallel(n_jobs=args.n_jobs, return_as="generator_unordered")(
        delayed(run_cell)(dataset, noise, seed, args.quick)
        for dataset in data
        for noise in noises
        for seed in range(n_seeds)
    )
    cells = []
    for cell in jobs:  # print each cell as it arrives
        cells.append(cell)
        for row in cell:
            print(
                f"{row['dataset']:14s} {row['noise']:14s} seed {row['seed']} "
                f"{row['learner']:8s} {row['contender']:20s} "
                f"clean ll {row['clean_log_loss']:.3f} ece {row['clean_ece']:.3f} "
                f"acc {row['clean_accuracy']:.3f} noisy ll "
                f"{row['noisy_log_loss']:.3f} | eps {row['epsilon']:.2f} "
                f"{row['time']:.2f}s",
                flush=True,
            )
    rows = [row for cell in cells for row in cell]
    n_cells = len(cells)
    elapsed = time.perf_counter() - tic
    load_after = os.getloadavg()[0]
    table = (
        summary_table(rows, n_cells)
        + "\n\n"
        + goals_table(rows)
        + "\n\n"
        + f"Means over {n_cells} cells per learner ({len(data)} datasets × "
        f"{len(noises)} noise settings × {n_seeds} seeds); {elapsed / 60:.1f} min "
        f"on {os.cpu_count()} cores (1-minute load average {load_before:.1f} at "
        f"the start, {load_after:.1f} at the end: fit times depend on the load, "
        "the statistics do not). A tie: log-loss within "
        f"{LOG_LOSS_TIE:.0%}, ECE within {ECE_TIE}."
    )
    output = args.output or (None if args.quick else PAGE)
    if output is not None:
        write_between(START, END, table, output)
    print()
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
