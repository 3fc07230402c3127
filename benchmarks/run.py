"""Run every benchmark study and write each one's table into docs/performance.md.

Usage::

    python benchmarks/run.py          # every study, full size, into docs/performance.md
    python benchmarks/run.py --quick    # tiny cases, a smoke run (the tests)
    python benchmarks/run.py --output tables.md
    python benchmarks/run.py --only solvers

Each study (``linear.py``, ``mlp.py``, ``solvers.py``) also runs alone and
writes only its own table, between its own ``<!-- bench:NAME:start -->`` /
``<!-- bench:NAME:end -->`` markers. The page's tables are only ever these
scripts' output. A new study: a module with ``STUDY`` and ``main(args=...)``
built on ``_harness``, added to ``STUDIES`` below.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import linear, mlp, solvers

STUDIES = {module.STUDY: module for module in (linear, mlp, solvers)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument(
        "--only", choices=list(STUDIES), action="append", help="run only these"
    )
    args = parser.parse_args(argv)
    for name in args.only or STUDIES:
        print(f"== {name}", flush=True)
        STUDIES[name].main(args=args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
