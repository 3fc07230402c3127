"""BLAS threads and concurrent fits: the solver guard's speed-up, and no leak.

Two measurements, in one process:

(a) One large fit (dense ``SoftmaxRegression``) with ``solver_blas_threads``
    active, as shipped, against the same fit with the guard replaced by a no-op
    (scipy's OpenBLAS then keeps its threads during L-BFGS-B's steps).
    Interleaved, order alternating, median of the repeats.
(b) 8 threads x N small fits (``SoftmaxRegression`` and ``SoftMLPClassifier``
    alternately) run concurrently, the same concurrently inside the user's
    ``threadpool_limits(1)``, and the same fits one after the other in one
    thread: total wall time of each (interleaved, order alternating, medians),
    and whether every BLAS library's thread count afterwards equals what it
    was before.

Usage::

    python -m benchmarks.concurrency          # full run, into docs/performance.md
    python -m benchmarks.concurrency --quick  # tiny cases, a smoke run (prints only)
    python -m benchmarks.concurrency --quick --output table.md
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import scipy
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

import sksmooth._solvers._lbfgs as optimize
from benchmarks._harness import output_path, parse_args
from devtools.pages import write_between
from sksmooth import SoftmaxRegression, SoftMLPClassifier

START, END = "<!-- concurrency:start -->", "<!-- concurrency:end -->"
N_THREADS = 8


def blas_threads() -> dict[str, int]:
    """{library file: thread count} of every loaded BLAS library."""
    return {
        info["filepath"]: info["num_threads"]
        for info in threadpool_info()
        if info["user_api"] == "blas"
    }


def make_data(n_samples: int, n_features: int, n_classes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    W = rng.standard_normal((n_features, n_classes)) / np.sqrt(n_features) * 3
    y = np.argmax(X @ W + rng.gumbel(size=(n_samples, n_classes)), axis=1)
    return X, y


@contextlib.contextmanager
def guard_disabled():
    """lbfgs with ``solver_blas_threads`` replaced by a no-op."""
    original = optimize.solver_blas_threads
    optimize.solver_blas_threads = contextlib.nullcontext
    try:
        yield
    finally:
        optimize.solver_blas_threads = original


def interleaved(contenders: dict, n_repeats: int) -> dict[str, float]:
    """Median seconds of each contender, alternating which one goes first."""
    times = {name: [] for name in contenders}
    names = list(contenders)
    for repeat in range(n_repeats):
        for name in names if repeat % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def single_fit(n_samples, n_features, n_classes, n_repeats):
    X, y = make_data(n_samples, n_features, n_classes)

    def with_guard():
        SoftmaxRegression().fit(X, y)

    def without_guard():
        with guard_disabled():
            SoftmaxRegression().fit(X, y)

    with_guard()  # warm-up: first-call costs out of the timings
    medians = interleaved({"guard": with_guard, "no guard": without_guard}, n_repeats)
    return medians["guard"], medians["no guard"]


def concurrent_fits(n_fits_per_thread, n_samples, n_features, n_classes, n_repeats):
    X, y = make_data(n_samples, n_features, n_classes, seed=1)

    def fits(_=None):
        for i in range(n_fits_per_thread):
            if i % 2 == 0:
                SoftmaxRegression(max_iter=50).fit(X, y)
            else:
                SoftMLPClassifier(
                    hidden_layer_sizes=(16,), max_iter=30, random_state=i
                ).fit(X, y)

    def concurrently():
        with ThreadPoolExecutor(N_THREADS) as pool:
            list(pool.map(fits, range(N_THREADS)))

    def concurrently_one_blas_thread():
        with threadpool_limits(limits=1, user_api="blas"):
            concurrently()

    def sequentially():
        for _ in range(N_THREADS):
            fits()

    before = blas_threads()
    medians = interleaved(
        {
            "concurrent": concurrently,
            "concurrent, BLAS 1 thread": concurrently_one_blas_thread,
            "sequential": sequentially,
        },
        n_repeats,
    )
    after = blas_threads()
    return medians, before, after


def describe(threads: dict[str, int]) -> str:
    return ", ".join(
        f"{Path(path).parent.name}: {count}" for path, count in sorted(threads.items())
    )


def table(quick: bool, n_repeats: int | None = None) -> str:
    """The study's table (without its markers); ``n_repeats`` overrides the
    repeats of both measurements."""
    if quick:
        single = (5_000, 20, 4, 3)
        multi = (2, 500, 10, 3, 3)
    else:
        single = (100_000, 100, 10, 5)
        multi = (4, 5_000, 20, 5, 3)
    if n_repeats is not None:
        single, multi = (*single[:-1], n_repeats), (*multi[:-1], n_repeats)
    guard, no_guard = single_fit(*single)
    medians, before, after = concurrent_fits(*multi)
    concurrent, sequential = medians["concurrent"], medians["sequential"]
    limited = medians["concurrent, BLAS 1 thread"]
    n, d, K, repeats = single
    per_thread, n2, d2, K2, repeats2 = multi
    lines = [
        "| measurement | result |",
        "|---|---:|",
        f"| one fit, {n:,} × {d}, K={K}: with the guard / without | "
        f"**{guard / no_guard:.2f}×** ({guard:.2f} s vs {no_guard:.2f} s) |",
        f"| {N_THREADS} threads × {per_thread} fits ({n2:,} × {d2}, K={K2}): "
        f"concurrent / sequential wall time | **{concurrent / sequential:.2f}×** "
        f"({concurrent:.2f} s vs {sequential:.2f} s) |",
        f"| the same, concurrent inside `threadpool_limits(1)` / sequential | "
        f"**{limited / sequential:.2f}×** ({limited:.2f} s vs {sequential:.2f} s) |",
        f"| BLAS threads before → after the concurrent fits | "
        f"{describe(before)} → {describe(after)} "
        f"({'unchanged' if before == after else 'CHANGED'}) |",
        "",
        f"Medians of {repeats} (one fit) and {repeats2} (concurrent) interleaved "
        f"runs, order alternating. Machine: {os.cpu_count()} cores, "
        f"{platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}.",
    ]
    return "\n".join(lines)


def main(argv=None) -> str:
    """Run the study; print, write (see ``_harness.output_path``) and return its
    table."""
    args = parse_args(__doc__.splitlines()[0], argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        text = table(args.quick, args.repeats)
    print(text)
    path = output_path(args)
    if path is not None:
        write_between(START, END, text, path)
    return text


if __name__ == "__main__":
    main()
