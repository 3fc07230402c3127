"""Run every benchmark that writes docs/performance.md, each into its own block.

Usage::

    python -m benchmarks.run              # every benchmark, full size, into the page
    python -m benchmarks.run --quick      # tiny cases, a smoke run (the tests)
    python -m benchmarks.run --output tables.md
    python -m benchmarks.run --only solvers --only mlp

The benchmarks are the modules in ``BENCHMARKS`` below: ``linear``, ``mlp``,
``solvers``, ``concurrency``, ``cv_speed`` and ``boosting`` (which needs
lightgbm). Each also runs alone (``python -m benchmarks.linear``) and writes
only its own table, between its own markers, into ``--output`` (default
docs/performance.md; nothing with ``--quick`` unless ``--output`` is given).
The page's tables are only ever these scripts' output. A new benchmark: a
module with ``main(argv)`` taking ``--quick``, ``--repeats`` and ``--output``
(``_harness.parse_args``), added to ``BENCHMARKS``. The other pages have their
own scripts: ``benchmarks.dask_scaling`` writes docs/scaling_out.md, and the
studies in ``studies/`` write theirs.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from benchmarks import boosting, concurrency, cv_speed, linear, mlp, solvers

BENCHMARKS = {
    "linear": linear,
    "mlp": mlp,
    "solvers": solvers,
    "concurrency": concurrency,
    "cv_speed": cv_speed,
    "boosting": boosting,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="file to write the tables into (default: docs/performance.md; none "
        "if --quick)",
    )
    parser.add_argument(
        "--only", choices=list(BENCHMARKS), action="append", help="run only these"
    )
    args = parser.parse_args(argv)
    forwarded = ["--quick"] if args.quick else []
    if args.repeats is not None:
        forwarded += ["--repeats", str(args.repeats)]
    if args.output is not None:
        forwarded += ["--output", str(args.output)]
    for name in args.only or BENCHMARKS:
        if name == "boosting" and importlib.util.find_spec("lightgbm") is None:
            print("== boosting: not run, lightgbm is not installed", flush=True)
            continue
        print(f"== {name}", flush=True)
        BENCHMARKS[name].main(forwarded)
    return 0


if __name__ == "__main__":
    sys.exit(main())
