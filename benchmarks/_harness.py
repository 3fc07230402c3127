"""What every benchmark study shares: timing, interleaving, memory, tables.

- :func:`interleaved` times contenders side by side, alternating which goes
  first, so that whoever runs second does not always inherit the state the
  other leaves (BLAS threads still spinning, warm caches); report medians.
- :func:`peak_memory` is the peak of numpy's allocations during a call
  (tracemalloc sees them).
- :func:`write_block` puts a study's table between its own markers in its
  docs page (or in the file given with ``--output``), leaving the rest alone
  (:func:`devtools.pages.write_between`).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp
import sklearn

from devtools.pages import write_between

DOCS = Path(__file__).resolve().parent.parent / "docs"
# Where linear.py, mlp.py, solvers.py (and cv_speed.py, concurrency.py) write.
PERFORMANCE_PAGE = DOCS / "performance.md"


def timed(fn: Callable):
    """``(seconds, fn())``."""
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def interleaved(contenders: dict, n_repeats: int):
    """Time each contender ``n_repeats`` times, alternating the order.

    Returns ``(times, results)``: the list of times of each contender and the
    result of its last call.
    """
    names = list(contenders)
    times = {name: [] for name in names}
    results = {}
    for repeat in range(n_repeats):
        for name in names if repeat % 2 == 0 else names[::-1]:
            elapsed, results[name] = timed(contenders[name])
            times[name].append(elapsed)
    return times, results


def median(values) -> float:
    return float(statistics.median(values))


def peak_memory(fn: Callable) -> int:
    """Peak bytes numpy (and Python) allocated during ``fn()``, above the start."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - base


def make_data(case, seed: int = 0):
    """Seeded, standardised data with a learnable but noisy class structure.

    ``case`` needs ``n_samples``, ``n_features``, ``n_classes``, ``dtype``,
    ``sparse`` and ``nnz_per_row``.
    """
    rng = np.random.default_rng(seed)
    n, d, K = case.n_samples, case.n_features, case.n_classes
    if case.sparse:
        # CSR built directly (scipy.sparse.random samples all n*d positions).
        nnz = n * case.nnz_per_row
        X = sp.csr_matrix(
            (
                rng.standard_normal(nnz),
                rng.integers(0, d, size=nnz).astype(np.int32),
                np.arange(0, nnz + 1, case.nnz_per_row),
            ),
            shape=(n, d),
        )
        X.sum_duplicates()
        informative = rng.standard_normal((d, K)) * 2
        logits = X @ informative
    else:
        X = rng.standard_normal((n, d))
        logits = X @ (rng.standard_normal((d, K)) / np.sqrt(d) * 3)
    y = np.argmax(logits + rng.gumbel(size=(n, K)), axis=1)
    if case.dtype == np.float32:
        X = X.astype(np.float32)
    return X, y


def nbytes(X) -> int:
    if sp.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


def blas_name() -> str:
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            if info.get("user_api") == "blas":
                return (
                    f"{info.get('internal_api')} {info.get('version')}, "
                    f"{info.get('num_threads')} threads"
                )
    except Exception:  # pragma: no cover - informational only
        pass
    return "BLAS unknown"


def machine() -> str:
    """One line naming the machine and the library versions."""
    return (
        f"{os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}, numpy {np.__version__} ({blas_name()}), "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}"
    )


def markers(study: str) -> tuple[str, str]:
    return f"<!-- bench:{study}:start -->", f"<!-- bench:{study}:end -->"


def write_block(study: str, table: str, path: Path) -> None:
    """Put ``table`` between the markers of ``study`` in ``path``."""
    write_between(*markers(study), table, path)


def parse_args(description: str, argv=None):
    """The options every study takes: ``--quick``, ``--repeats``, ``--output``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="file to write the table into (default: docs/performance.md; none "
        "if --quick)",
    )
    return parser.parse_args(argv)


def output_path(args) -> Path | None:
    """Where a study writes: ``--output``, else its docs page unless ``--quick``."""
    if args.output is not None:
        return args.output
    return None if args.quick else PERFORMANCE_PAGE
