"""Boosting: a smoothed SoftLGBMClassifier fit against LightGBM's hard-label fit
and against the expansion path.

Three contenders on the same data and trees:

- ``soft``: ``LabelSmoothingClassifier(SoftLGBMClassifier(), epsilon=0.1)``,
  the soft targets handed to LightGBM's custom objective (no copy of ``X``);
- ``hard``: ``lightgbm.LGBMClassifier()`` on the labels (no smoothing): the
  floor, LightGBM's built-in multiclass objective;
- ``expansion``: ``LabelSmoothingClassifier(LGBMClassifier(), epsilon=0.1)``,
  every row repeated once per class with weight ``Y_ik``.

LightGBM allocates outside Python (tracemalloc does not see it), so each fit
runs in a fresh subprocess that reports the fit's wall time and the process's
peak resident memory (``VmHWM`` of ``/proc/self/status``) before and after the
fit. Contenders alternate their order from one repeat to the next; the table
gives medians. Goals: ``soft`` within 1.3x the time and 1.2x the peak memory
of ``hard``, and at most 0.25x the time of ``expansion``.

Usage: ``python -m benchmarks.boosting [--quick] [--repeats N] [--output FILE]``
(prints its table and writes it between the ``bench:boosting`` markers of
FILE, default docs/performance.md; nothing with ``--quick`` unless ``--output``
is given).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import log_loss

from benchmarks._harness import machine, make_data, output_path, write_block
from benchmarks.linear import Case
from sksmooth import LabelSmoothingClassifier
from sksmooth.boosting import SoftLGBMClassifier

STUDY = "boosting"
ROOT = Path(__file__).resolve().parent.parent
CONTENDERS = ("soft", "hard", "expansion")
EPSILON = 0.1


@dataclass
class BoostingCase:
    n_samples: int
    n_features: int
    n_classes: int
    n_estimators: int


FULL_CASES = [BoostingCase(100_000, 20, 10, 200)]
QUICK_CASES = [BoostingCase(2_000, 5, 3, 10)]


def peak_rss_bytes() -> int:
    """The process's peak resident set size so far (``VmHWM``), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")  # pragma: no cover


def make_estimator(name: str, case: BoostingCase):
    """The contender ``name``, every one with LightGBM's defaults but the trees."""
    from lightgbm import LGBMClassifier  # every worker imports the same modules

    trees = {"n_estimators": case.n_estimators, "verbose": -1}
    if name == "soft":
        inner = SoftLGBMClassifier(early_stopping=False, **trees)
        return LabelSmoothingClassifier(inner, epsilon=EPSILON)
    if name == "hard":
        return LGBMClassifier(**trees)
    if name == "expansion":
        return LabelSmoothingClassifier(
            LGBMClassifier(**trees), epsilon=EPSILON, max_expansion_mib=None
        )
    raise ValueError(f"unknown contender {name!r}")


def worker(name: str, case: BoostingCase) -> dict:
    """Fit one contender in this (fresh) process; time and peak memory."""
    X, y = make_data(Case(STUDY, case.n_samples, case.n_features, case.n_classes))
    estimator = make_estimator(name, case)
    before = peak_rss_bytes()
    start = time.perf_counter()
    estimator.fit(X, y)
    seconds = time.perf_counter() - start
    after = peak_rss_bytes()
    proba = estimator.predict_proba(X[:1000])
    loss = log_loss(y[:1000], proba, labels=np.arange(case.n_classes))
    return {
        "seconds": seconds,
        "peak_before": before,
        "peak": after,
        "train_log_loss": loss,
    }


def run_worker(name: str, case: BoostingCase) -> dict:
    """One fit of contender ``name`` in a fresh interpreter."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.boosting",
        "--worker",
        name,
        "--case",
        json.dumps(asdict(case)),
    ]
    done = subprocess.run(
        command, cwd=ROOT, check=True, capture_output=True, text=True, timeout=3600
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_case(case: BoostingCase, n_repeats: int) -> dict:
    """Every contender ``n_repeats`` times, alternating the order; medians."""
    runs = {name: [] for name in CONTENDERS}
    for repeat in range(n_repeats):
        order = CONTENDERS if repeat % 2 == 0 else CONTENDERS[::-1]
        for name in order:
            runs[name].append(run_worker(name, case))
    row = {"case": case, "n_repeats": n_repeats}
    for name, results in runs.items():
        for key in ("seconds", "peak", "peak_before", "train_log_loss"):
            row[f"{name}_{key}"] = statistics.median(r[key] for r in results)
    return row


def format_table(rows: list[dict]) -> str:
    mib = 2**20
    lines = [
        "| boosting case | contender | fit time | peak RSS (before fit) "
        "| time / hard | peak / hard | log-loss on 1,000 training rows |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "soft": f"SoftLGBMClassifier, ε={EPSILON} (native)",
        "hard": "LGBMClassifier, hard labels",
        "expansion": f"LGBMClassifier, ε={EPSILON} by expansion",
    }
    for row in rows:
        case = row["case"]
        title = (
            f"{case.n_samples:,} × {case.n_features}, K={case.n_classes}, "
            f"{case.n_estimators} trees"
        )
        for name in CONTENDERS:
            seconds, peak = row[f"{name}_seconds"], row[f"{name}_peak"]
            lines.append(
                f"| {title} | {labels[name]} | {seconds:.2f} s | "
                f"{peak / mib:.0f} MiB ({row[f'{name}_peak_before'] / mib:.0f}) | "
                f"{seconds / row['hard_seconds']:.2f}× | "
                f"{peak / row['hard_peak']:.2f}× | "
                f"{row[f'{name}_train_log_loss']:.3f} |"
            )
            title = ""
        soft_vs_expansion = row["soft_seconds"] / row["expansion_seconds"]
        lines.append(
            f"| | soft / expansion time | **{soft_vs_expansion:.2f}×** | | | | |"
        )
    lines.append("")
    lines.append(
        f"Medians of {rows[0]['n_repeats']} fresh-process fits per contender, "
        f"alternating order; {machine()}."
    )
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="file to write the table into, between its markers (default: "
        "docs/performance.md; none if --quick)",
    )
    parser.add_argument("--worker", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> str:
    """Run the study; print, write (see :func:`output_path`) and return its table."""
    args = parse_args(argv)
    if args.worker:
        result = worker(args.worker, BoostingCase(**json.loads(args.case)))
        print(json.dumps(result), flush=True)
        return ""
    n_repeats = args.repeats or (1 if args.quick else 3)
    rows = [
        run_case(case, n_repeats)
        for case in (QUICK_CASES if args.quick else FULL_CASES)
    ]
    table = format_table(rows)
    path = output_path(args)
    if path is not None:
        write_block(STUDY, table, path)
    print(table)
    return table


if __name__ == "__main__":
    main()
