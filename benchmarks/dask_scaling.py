"""Distributed fits on a dask cluster against the in-memory fit.

On a ``distributed.LocalCluster`` of 2 single-threaded worker processes, for
growing ``n`` (d = 100 features, K = 10 classes, float64):

- one loss-and-gradient evaluation, distributed (one graph submission: the
  parameters out, a tree of block sums back) against in memory
  (``LinearSoftCrossEntropy`` on the same data in this process), interleaved
  with the order alternating, medians;
- a whole ``SoftmaxRegression`` fit, both ways, same options (medians), and the
  iterations each made;
- graph submissions the distributed fit sent to the scheduler (counted by a
  scheduler plugin);
- the coordination overhead of one distributed evaluation: its wall time minus
  the compute time of the busiest worker's block tasks (from dask's task
  stream), medians;
- peak memory the client allocated during a distributed fit (tracemalloc, which
  sees numpy's allocations) and, per worker, its share of ``X``, its resident
  memory before any data arrived and its peak resident memory during the
  evaluations and fits (the kernel's high-water mark, reset before them);
- on binary data, ``dask_ml.linear_model.LogisticRegression(solver="lbfgs")`` on
  the same cluster, if dask-ml is installed, and the largest coefficient
  difference of each to scikit-learn's ``LogisticRegression`` (unpenalised
  intercept) on the same data.

``X`` is generated on the workers and persisted there before any timing; the
in-memory contender gets a copy gathered block by block (``dask.compute(X)``
would concatenate all of ``X`` on one worker first, and dask would then keep
every block on that worker).

Usage::

    python -m benchmarks.dask_scaling           # full run, writes docs/scaling_out.md
    python -m benchmarks.dask_scaling --quick   # tiny sizes, a smoke run
    python -m benchmarks.dask_scaling --output table.md
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import dask
import dask.array as da
import distributed
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from devtools.dask_counts import CountSubmissions, submissions
from devtools.pages import write_between
from sksmooth import SoftmaxRegression
from sksmooth._dask._blocks import as_row_blocks, prepare_targets
from sksmooth._dask._objective import DaskObjective
from sksmooth._loss import LinearSoftCrossEntropy

PAGE = Path(__file__).resolve().parent.parent / "docs" / "scaling_out.md"
START, END = "<!-- dask:start -->", "<!-- dask:end -->"

FULL_SIZES = [100_000, 300_000, 1_000_000, 2_000_000, 4_000_000]
QUICK_SIZES = [2_000, 4_000]
N_FEATURES, N_CLASSES = 100, 10


def make_data(n_samples: int, n_classes: int, chunk_rows: int, seed: int = 0):
    """Lazy X and labels, generated block by block on the workers."""
    state = da.random.RandomState(seed)
    X = state.standard_normal((n_samples, N_FEATURES), chunks=(chunk_rows, -1))
    W = np.random.default_rng(seed).normal(size=(N_FEATURES, n_classes)) / 4

    def labels(block):
        scores = block @ W
        if n_classes == 2:
            scores = np.column_stack([np.zeros(len(block)), scores[:, 1]])
        noise = np.random.default_rng(len(block)).gumbel(size=scores.shape)
        return np.argmax(scores + noise, axis=1)

    y = X.map_blocks(labels, drop_axis=1, dtype=np.intp)
    return X, y


def interleaved(contenders: dict, n_repeats: int):
    """Times of each contender, alternating which goes first; last results."""
    names = list(contenders)
    times = {name: [] for name in names}
    results = {}
    for repeat in range(n_repeats):
        for name in names if repeat % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            results[name] = contenders[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}, results


def peak_client_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _worker_memory(dask_worker, reset: bool) -> dict:
    """This worker's resident and peak resident bytes (Linux ``/proc``).

    With ``reset``, the peak is reset afterwards (``clear_refs``), so that the
    next call sees the peak since this one. Elsewhere, the peak is the
    process's lifetime maximum.
    """
    import gc
    import resource

    gc.collect()
    status = {}
    try:
        with open("/proc/self/status") as lines:
            for line in lines:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    status[key] = int(value.split()[0]) * 1024
        if reset:
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")
    except OSError:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        status = {"VmRSS": rss, "VmHWM": rss}
    return {"rss": status["VmRSS"], "peak": status["VmHWM"]}


def worker_memory(client, *, reset: bool = False) -> dict:
    """``{worker address: {"rss": bytes, "peak": bytes}}``."""
    return client.run(_worker_memory, reset=reset)


def worker_shares(client, array) -> dict:
    """Bytes of ``array``'s blocks held by each worker."""
    futures = distributed.futures_of(array)
    sizes = client.nbytes([future.key for future in futures], summary=False)
    shares = dict.fromkeys(client.scheduler_info()["workers"], 0)
    for key, holders in client.who_has(futures).items():
        for address in holders:
            shares[address] += sizes[key]
    return shares


def data_free_footprint(client) -> dict:
    """Each worker's resident bytes after a tiny fit: code imported, no data."""
    X, y = make_data(2_000, N_CLASSES, 500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        SoftmaxRegression(max_iter=5).fit(X, y)
    del X, y
    time.sleep(0.5)  # the workers release the tiny blocks
    return {
        address: memory["rss"]
        for address, memory in sorted(worker_memory(client).items())
    }


def gather_to_client(array) -> np.ndarray:
    """A persisted dask array as one NumPy array, fetched block by block."""
    return np.concatenate(dask.compute(*array.to_delayed().ravel()))


def coordination_overheads(objective, coef, n_repeats: int) -> list:
    """Wall time of ``objective(coef)`` minus its busiest worker's compute."""
    overheads = []
    for _ in range(n_repeats):
        with distributed.get_task_stream() as stream:
            start = time.perf_counter()
            objective(coef)
            wall = time.perf_counter() - start
        busy = {}
        for task in stream.data:
            for part in task["startstops"]:
                if part["action"] == "compute":
                    busy[task["worker"]] = (
                        busy.get(task["worker"], 0.0) + part["stop"] - part["start"]
                    )
        overheads.append(wall - max(busy.values()))
    return overheads


def one_blas_thread(fn, *args):
    """``fn(*args)`` with BLAS on one thread, as each worker process runs it."""
    with threadpool_limits(1, user_api="blas"):
        return fn(*args)


def evaluation_times(X, y, X_mem, y_mem, n_repeats: int):
    """Median seconds of one evaluation: distributed, in memory (BLAS's own
    threads, then one thread)."""
    X_blocks = as_row_blocks(X)
    targets, _, classes, _ = prepare_targets(X_blocks, y, None, "benchmark")
    n_classes = len(classes)

    def make_loss(X_block, codes, weights):
        return LinearSoftCrossEntropy(
            X_block,
            codes,
            weights,
            n_classes=n_classes,
            fit_intercept=True,
            l2_reg_strength=0.0,
        )

    memory = make_loss(X_mem, np.searchsorted(classes, y_mem), None)
    spread = DaskObjective(
        X_blocks,
        targets,
        None,
        make_loss=make_loss,
        dtype=X.dtype,
        n_params=memory.n_params,
    )
    coef = np.random.default_rng(0).normal(size=memory.n_params) / 10
    spread(coef)  # warm up: the first call ships the function to the workers
    memory.loss_gradient(coef)
    overhead = statistics.median(coordination_overheads(spread, coef, n_repeats))
    times, results = interleaved(
        {
            "distributed": lambda: spread(coef),
            "memory": lambda: memory.loss_gradient(coef),
            "memory 1 thread": lambda: one_blas_thread(memory.loss_gradient, coef),
        },
        n_repeats,
    )
    # Same objective: the distributed sum, scaled, is the in-memory value.
    value = results["distributed"][0] / spread.weight_sum
    assert np.isclose(value, results["memory"][0], rtol=1e-10), value
    spread.release()
    return {**times, "overhead": overhead}


def run_size(client, n_samples: int, chunk_rows: int, n_repeats: int, params):
    X, y = make_data(n_samples, N_CLASSES, chunk_rows)
    X, y = dask.persist(X, y)
    distributed.wait([X, y])
    X_mem, y_mem = gather_to_client(X), gather_to_client(y)
    shares = worker_shares(client, X)
    worker_memory(client, reset=True)  # the peaks below are the fits' own
    evals = evaluation_times(X, y, X_mem, y_mem, 3 * n_repeats)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        before = submissions(client)
        SoftmaxRegression(**params).fit(X, y)
        fit_submissions = submissions(client) - before
        fit_times, fits = interleaved(
            {
                "distributed": lambda: SoftmaxRegression(**params).fit(X, y),
                "memory": lambda: one_blas_thread(
                    SoftmaxRegression(**params).fit, X_mem, y_mem
                ),
            },
            n_repeats,
        )
        client_peak = peak_client_bytes(lambda: SoftmaxRegression(**params).fit(X, y))
    peaks = worker_memory(client)
    difference = float(np.abs(fits["distributed"].coef_ - fits["memory"].coef_).max())
    return {
        "n": n_samples,
        "blocks": X.numblocks[0],
        "X MB": X.nbytes / 1e6,
        "eval dist": evals["distributed"],
        "eval mem": evals["memory"],
        "eval mem 1": evals["memory 1 thread"],
        "fit dist": fit_times["distributed"],
        "fit mem": fit_times["memory"],
        "iters": (fits["distributed"].n_iter_, fits["memory"].n_iter_),
        "submissions": fit_submissions,
        "client peak": client_peak,
        "workers": [
            (shares[address], peaks[address]["peak"]) for address in sorted(shares)
        ],
        "overhead": evals["overhead"],
        "coef diff": difference,
    }


def run_dask_ml(client, n_samples: int, chunk_rows: int, n_repeats: int, params):
    """Binary data: ours, dask-ml's, both against scikit-learn's solution."""
    try:
        from dask_ml.linear_model import LogisticRegression as DaskMLLogistic
    except ImportError as error:
        return {"n": n_samples, "skipped": f"dask-ml not importable ({error})"}
    X, y = make_data(n_samples, 2, chunk_rows, seed=1)
    X, y = dask.persist(X, y)
    distributed.wait([X, y])
    X_mem, y_mem = gather_to_client(X), gather_to_client(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = LogisticRegression(C=params["C"], tol=1e-10, max_iter=1000).fit(
            X_mem, y_mem
        )
        params = {**params, "tol": 1e-6, "max_iter": 300}  # near the optimum
        times, fits = interleaved(
            {
                "sksmooth": lambda: SoftmaxRegression(**params).fit(X, y),
                "dask-ml": lambda: DaskMLLogistic(
                    solver="lbfgs",
                    C=params["C"],
                    tol=params["tol"],
                    max_iter=params["max_iter"],
                ).fit(X, y),
            },
            n_repeats,
        )
    ref = np.append(reference.coef_.ravel(), reference.intercept_)

    def difference(model):
        coef = np.append(np.ravel(model.coef_), model.intercept_)
        return float(np.abs(coef - ref).max())

    return {
        "n": n_samples,
        "ours": times["sksmooth"],
        "dask-ml": times["dask-ml"],
        "ours diff": difference(fits["sksmooth"]),
        "dask-ml diff": difference(fits["dask-ml"]),
    }


def format_table(rows, ml_rows, n_repeats: int, params: dict, footprint: dict):
    lines = [
        f"Distributed against in-memory `SoftmaxRegression` (d = {N_FEATURES}, "
        f"K = {N_CLASSES}, float64; C={params['C']}, tol={params['tol']}, "
        f"max_iter={params['max_iter']}): a LocalCluster of 2 single-threaded worker "
        "processes on the same machine as the in-memory fit; medians of "
        f"{n_repeats} interleaved fits and {3 * n_repeats} evaluations. The "
        "in-memory fit is timed with BLAS on one thread, as each worker runs it "
        "(the workers' nanny sets that); the evaluation column also shows it "
        "with BLAS's own threads. Coordination overhead: an evaluation's wall "
        "time minus the compute time of its busiest worker's block tasks. Per "
        "worker: the share of `X` it holds, then its peak resident memory during "
        "the evaluations and fits, after a footprint of "
        + " and ".join(f"{value / 1e6:.0f}" for value in footprint.values())
        + " MB without data (after a tiny fit, with everything imported).",
        "",
        "| n | X (MB) | blocks | one evaluation (ms): dist / memory, 1 BLAS "
        "thread / memory, BLAS threads | dist / memory 1 thread "
        "| fit (s): dist / memory, 1 BLAS thread | ratio | iterations dist / memory "
        "| graph submissions per fit | coordination overhead per evaluation (ms) "
        "| client peak (MB) | per worker: X share / peak RSS (MB) "
        "| max coef diff |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['X MB']:.0f} | {r['blocks']} "
            f"| {1e3 * r['eval dist']:.1f} / {1e3 * r['eval mem 1']:.1f} / "
            f"{1e3 * r['eval mem']:.1f} "
            f"| {r['eval dist'] / r['eval mem 1']:.2f}x "
            f"| {r['fit dist']:.2f} / {r['fit mem']:.2f} "
            f"| {r['fit dist'] / r['fit mem']:.2f}x "
            f"| {r['iters'][0]} / {r['iters'][1]} | {r['submissions']} "
            f"| {1e3 * r['overhead']:.1f} "
            f"| {r['client peak'] / 1e6:.1f} | "
            + "; ".join(
                f"{share / 1e6:.0f} / {peak / 1e6:.0f}" for share, peak in r["workers"]
            )
            + f" | {r['coef diff']:.1e} |"
        )
    lines += [
        "",
        "Binary data on the same cluster: our fit against "
        '`dask_ml.linear_model.LogisticRegression(solver="lbfgs")` (same C, tol, '
        "max_iter; tol=1e-6, max_iter=300 here), and each one's largest coefficient "
        "difference to scikit-learn's "
        "`LogisticRegression` (intercept not penalised) on the computed data.",
        "",
        "| n | ours (s) | dask-ml (s) | ours / dask-ml | ours: diff to sklearn "
        "| dask-ml: diff to sklearn |",
        "|---|---|---|---|---|---|",
    ]
    for r in ml_rows:
        if "skipped" in r:
            lines.append(f"| {r['n']:,} | {r['skipped']} | | | | |")
            continue
        lines.append(
            f"| {r['n']:,} | {r['ours']:.2f} | {r['dask-ml']:.2f} "
            f"| {r['ours'] / r['dask-ml']:.2f}x | {r['ours diff']:.1e} "
            f"| {r['dask-ml diff']:.1e} |"
        )
    lines += [
        "",
        f"Python {platform.python_version()}, dask {dask.__version__}, "
        f"distributed {distributed.__version__}, numpy {np.__version__}; "
        f"{platform.machine()}.",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--sizes", type=int, nargs="*", default=None)
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="file to write (default docs/scaling_out.md)",
    )
    args = parser.parse_args(argv)
    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    n_repeats = args.repeats or (1 if args.quick else 3)
    params = {"C": 1.0, "tol": 1e-4, "max_iter": 100}
    rows, ml_rows = [], []
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.register_plugin(CountSubmissions())
        footprint = data_free_footprint(client)
        for n_samples in sizes:
            chunk_rows = max(1_000, n_samples // 8)
            rows.append(run_size(client, n_samples, chunk_rows, n_repeats, params))
            print(rows[-1], flush=True)
        for n_samples in sizes[:1]:
            chunk_rows = max(1_000, n_samples // 8)
            ml_rows.append(
                run_dask_ml(client, n_samples, chunk_rows, n_repeats, params)
            )
            print(ml_rows[-1], flush=True)
    table = format_table(rows, ml_rows, n_repeats, params, footprint)
    output = args.output or (None if args.quick else PAGE)
    if output is not None:
        write_between(START, END, table, output)
    print()
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
