"""Side-by-side benchmark: SoftmaxRegression against LogisticRegression.

At epsilon = 0 both solve the same problem with the same scipy optimiser and
options, so their fit times compare equal work. Everything is measured in one
process, contenders interleaved (alternating which goes first), each case
repeated (median reported):

- fit time of ours / LogisticRegression's (same C, tol, max_iter), iterations of
  each, the largest coefficient difference;
- one loss-and-gradient evaluation of ours / the two matrix products it cannot
  avoid (``X @ W`` and ``G.T @ X``) on the same arrays: the floor;
- peak memory allocated during our fit (tracemalloc sees numpy's allocations),
  relative to ``X``'s own bytes and to ``n * K * itemsize``;
- float32 against float64 (our own fits), soft targets against hard ones.

Usage::

    python benchmarks/run.py            # full run, writes the table into README.md
    python benchmarks/run.py --quick    # tiny cases, a smoke run
    python benchmarks/run.py --output table.md

The README table is only ever this script's output.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
import tracemalloc
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from sksmooth import SoftmaxRegression, SoftMLPClassifier, smooth_labels
from sksmooth._loss import LinearSoftCrossEntropy
from sksmooth._mlp_loss import MLPSoftCrossEntropy

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


@dataclass
class Case:
    name: str
    n_samples: int
    n_features: int
    n_classes: int
    dtype: type = np.float64
    sparse: bool = False
    nnz_per_row: int = 0
    epsilon: float = 0.0


FULL_CASES = [
    Case("dense multiclass", 100_000, 100, 10),
    Case("dense multiclass", 200_000, 20, 3),
    Case("dense multiclass", 20_000, 500, 20),
    Case("dense binary", 200_000, 50, 2),
    Case("dense float32", 100_000, 100, 10, dtype=np.float32),
    Case("sparse CSR", 100_000, 50_000, 5, sparse=True, nnz_per_row=50),
    Case("soft targets eps=0.1", 100_000, 100, 10, epsilon=0.1),
]

QUICK_CASES = [
    Case("dense multiclass", 3_000, 20, 4),
    Case("dense binary", 3_000, 20, 2),
    Case("dense float32", 3_000, 20, 4, dtype=np.float32),
    Case("sparse CSR", 3_000, 2_000, 3, sparse=True, nnz_per_row=20),
    Case("soft targets eps=0.1", 3_000, 20, 4, epsilon=0.1),
]


@dataclass
class MLPCase:
    n_samples: int
    n_features: int
    n_classes: int
    hidden: tuple = (100,)
    max_iter: int = 50


FULL_MLP_CASES = [MLPCase(20_000, 50, 10)]
QUICK_MLP_CASES = [MLPCase(2_000, 20, 4, hidden=(32,), max_iter=10)]


def make_data(case: Case, seed: int = 0):
    """Seeded, standardised data with a learnable but noisy class structure."""
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


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def interleaved(contenders: dict, n_repeats: int):
    """Time each contender ``n_repeats`` times, alternating which goes first.

    Whoever runs second inherits the machine state the first leaves (BLAS
    threads still spinning, caches): alternating the order shares that between
    the contenders. Returns the times and the last result of each.
    """
    names = list(contenders)
    times = {name: [] for name in names}
    results = {}
    for repeat in range(n_repeats):
        for name in names if repeat % 2 == 0 else names[::-1]:
            elapsed, results[name] = timed(contenders[name])
            times[name].append(elapsed)
    return times, results


def fit_ours(X, target, **params):
    return SoftmaxRegression(**params).fit(X, target)


def fit_theirs(X, y, **params):
    return LogisticRegression(**params).fit(X, y)


def evaluation_ratio(X, targets, n_classes: int, n_repeats: int) -> float:
    """Median time of one loss-and-gradient call / the two products alone."""
    loss = LinearSoftCrossEntropy(
        X,
        targets,
        None,
        n_classes=n_classes,
        fit_intercept=True,
        l2_reg_strength=1e-3,
    )
    rng = np.random.default_rng(1)
    coef = rng.standard_normal(loss.n_params) * 0.1
    W, _ = loss.unpack(coef)
    W = W.astype(X.dtype)
    n, K = X.shape[0], W.shape[0]
    if K == 1:
        W = W[0]
    Z = np.empty((K, n) if W.ndim == 2 else n, dtype=X.dtype)

    def products():
        if sp.issparse(X):
            G = X @ W.T
            return X.T @ G
        np.matmul(W, X.T, out=Z) if W.ndim == 2 else np.matmul(X, W, out=Z)
        return Z @ X

    def evaluation():
        return loss.loss_gradient(coef)

    product_times, eval_times = [], []
    for _ in range(n_repeats):
        product_times.append(timed(products)[0])
        eval_times.append(timed(evaluation)[0])
    return statistics.median(eval_times) / statistics.median(product_times)


def lbfgs_workspace_bytes(n_params: int, history: int = 10) -> int:
    """What scipy's L-BFGS-B allocates for itself: ``2mn + 5n + 11m^2 + 8m``
    doubles plus ``3n`` ints (its ``wa`` and ``iwa`` arrays)."""
    m = history
    return (2 * m * n_params + 5 * n_params + 11 * m * m + 8 * m) * 8 + 3 * n_params * 4


def peak_memory(fn) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - base


def run_case(case: Case, n_repeats: int, params: dict) -> dict:
    X, y = make_data(case)
    K = case.n_classes
    target = smooth_labels(y, epsilon=case.epsilon) if case.epsilon else y
    row = {"case": case, "X_bytes": nbytes(X)}
    X64 = X.astype(np.float64) if case.dtype == np.float32 else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        contenders = {"ours": lambda: fit_ours(X, target, **params)}
        if case.epsilon:  # soft targets against our own hard-label fit
            contenders["baseline"] = lambda: fit_ours(X, y, **params)
        elif X64 is not None:  # float32 against our own float64 fit
            contenders["baseline"] = lambda: fit_ours(X64, y, **params)
        else:
            contenders["theirs"] = lambda: fit_theirs(X, y, **params)
        times, fitted = interleaved(contenders, n_repeats)
        ours, ours_t = fitted["ours"], times["ours"]
        theirs, theirs_t = fitted.get("theirs"), times.get("theirs", [])
        base, baseline_t = fitted.get("baseline"), times.get("baseline", [])
        row["ours"] = statistics.median(ours_t)
        row["ours_iter"] = ours.n_iter_
        if theirs_t:
            row["theirs"] = statistics.median(theirs_t)
            row["theirs_iter"] = int(theirs.n_iter_[0])
            row["coef_diff"] = float(np.abs(ours.coef_ - theirs.coef_).max())
        else:
            row["baseline"] = statistics.median(baseline_t)
            row["baseline_iter"] = base.n_iter_
            if case.dtype == np.float32:
                row["agreement"] = float(np.mean(ours.predict(X) == base.predict(X)))
        memory = peak_memory(lambda: fit_ours(X, target, **params))
    row["peak"] = memory
    itemsize = np.dtype(case.dtype).itemsize
    n_params = (case.n_features + 1) * (1 if K == 2 else K)
    row["lbfgs"] = lbfgs_workspace_bytes(n_params)
    row["ours_extra"] = memory - row["lbfgs"]
    row["extra_per_nK"] = row["ours_extra"] / (case.n_samples * K * itemsize)
    row["eval_ratio"] = evaluation_ratio(X, target, K, max(n_repeats, 5))
    return row


def describe(case: Case) -> str:
    shape = f"{case.n_samples:,} × {case.n_features:,}, K={case.n_classes}"
    if case.sparse:
        shape += f", {case.nnz_per_row} nnz/row"
    return f"{case.name} ({shape})"


def format_table(rows: list[dict], n_repeats: int, params: dict) -> str:
    header = (
        "| case | fit time: ours / reference | iterations (ours, ref) "
        "| max coef diff | eval / two products | peak memory of our fit "
        "(L-BFGS-B's own workspace apart) |\n"
        "|---|---:|---:|---:|---:|---:|"
    )
    lines = [header]
    for row in rows:
        case = row["case"]
        iters = (
            f"{row['ours_iter']}, {row.get('theirs_iter', row.get('baseline_iter'))}"
        )
        if "theirs" in row:
            ratio = f"**{row['ours'] / row['theirs']:.2f}×** LogisticRegression"
            diff = f"{row['coef_diff']:.1e}"
        elif case.dtype == np.float32:
            ratio = f"**{row['ours'] / row['baseline']:.2f}×** ours in float64"
            diff = f"predictions agree on {100 * row['agreement']:.2f} %"
        else:
            per_iter = (row["ours"] / row["ours_iter"]) / (
                row["baseline"] / row["baseline_iter"]
            )
            ratio = f"**{per_iter:.2f}×** ours at ε=0, per iteration"
            diff = "–"
        extra, mib = row["ours_extra"], 2**20
        memory = (
            f"{extra / mib:.1f} MiB = {extra / row['X_bytes']:.2f}·X = "
            f"{row['extra_per_nK']:.1f}·n·K·itemsize (+{row['lbfgs'] / mib:.1f} MiB)"
        )
        lines.append(
            f"| {describe(case)} | {ratio} | {iters} | {diff} | "
            f"{row['eval_ratio']:.2f}× | {memory} |"
        )
    blas = _blas_name()
    lines.append("")
    lines.append(
        f"Median of {n_repeats} interleaved runs; C={params['C']}, "
        f"tol={params['tol']}, max_iter={params['max_iter']}. Machine: "
        f"{os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}, numpy {np.__version__} ({blas}), scipy "
        f"{scipy.__version__}, scikit-learn {sklearn.__version__}."
    )
    return "\n".join(lines)


def _blas_name() -> str:
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            if info.get("user_api") == "blas":
                return f"{info.get('internal_api')} {info.get('version')}"
    except Exception:  # pragma: no cover - informational only
        pass
    return "BLAS unknown"


def run_mlp_case(case: MLPCase, n_repeats: int) -> dict:
    """SoftMLPClassifier against MLPClassifier(solver="lbfgs"): same network,
    same initial weights (same random_state), so the same iterates."""
    X, y = make_data(Case("mlp", case.n_samples, case.n_features, case.n_classes))
    params = {
        "hidden_layer_sizes": case.hidden,
        "max_iter": case.max_iter,
        "alpha": 1e-4,
        "random_state": 0,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        times, fitted = interleaved(
            {
                "ours": lambda: SoftMLPClassifier(**params).fit(X, y),
                "theirs": lambda: MLPClassifier(solver="lbfgs", **params).fit(X, y),
            },
            n_repeats,
        )
        ours, theirs = fitted["ours"], fitted["theirs"]
        ours_t, theirs_t = times["ours"], times["theirs"]
        memory = peak_memory(lambda: SoftMLPClassifier(**params).fit(X, y))
    row = {"case": case, "X_bytes": X.nbytes, "peak": memory}
    row["ours_iter"], row["theirs_iter"] = ours.n_iter_, theirs.n_iter_
    row["ours_per_iter"] = statistics.median(ours_t) / ours.n_iter_
    row["theirs_per_iter"] = statistics.median(theirs_t) / theirs.n_iter_
    row["loss_diff"] = abs(ours.loss_ - theirs.loss_)

    loss = MLPSoftCrossEntropy(
        X,
        y,
        None,
        n_classes=case.n_classes,
        hidden_layer_sizes=case.hidden,
        activation="relu",
        alpha=1e-4,
    )
    flat = loss.pack(ours.coefs_, ours.intercepts_)
    W1, W2 = ours.coefs_[0], ours.coefs_[-1]

    def products():
        # The five products of one forward and backward pass, nothing else.
        H = X @ W1
        Zt = W2.T @ H.T
        H.T @ Zt.T
        D = Zt.T @ W2.T
        return X.T @ D

    product_times, eval_times = [], []
    for _ in range(max(n_repeats, 5)):
        product_times.append(timed(products)[0])
        eval_times.append(timed(lambda: loss.loss_gradient(flat))[0])
    row["eval_ratio"] = statistics.median(eval_times) / statistics.median(product_times)
    row["eval_ms"] = 1e3 * statistics.median(eval_times)
    row["products_ms"] = 1e3 * statistics.median(product_times)
    return row


def format_mlp_table(rows: list[dict]) -> str:
    lines = [
        "| MLP case | time per L-BFGS iteration: ours / MLPClassifier "
        "| iterations (ours, ref) | loss difference | eval / its five products "
        "| peak memory of our fit |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        case = row["case"]
        ratio = row["ours_per_iter"] / row["theirs_per_iter"]
        lines.append(
            f"| {case.n_samples:,} × {case.n_features}, K={case.n_classes}, "
            f"hidden {case.hidden} | **{ratio:.2f}×** "
            f"({1e3 * row['ours_per_iter']:.0f} ms vs "
            f"{1e3 * row['theirs_per_iter']:.0f} ms) | "
            f"{row['ours_iter']}, {row['theirs_iter']} | {row['loss_diff']:.1e} | "
            f"{row['eval_ratio']:.2f}× ({row['eval_ms']:.0f} ms vs "
            f"{row['products_ms']:.0f} ms) | {row['peak'] / 2**20:.0f} MiB = "
            f"{row['peak'] / row['X_bytes']:.1f}·X |"
        )
    return "\n".join(lines)


def write_table(table: str, path: Path) -> None:
    """Put the table between the bench markers of ``path`` (or make a new file)."""
    block = f"{START}\n{table}\n{END}"
    if path.exists() and START in path.read_text():
        text = path.read_text()
        text = re.sub(
            re.escape(START) + ".*?" + re.escape(END),
            lambda _: block,
            text,
            flags=re.S,
        )
    else:
        text = block + "\n"
    path.write_text(text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--output", type=Path, default=None, help="file to write (default README)"
    )
    args = parser.parse_args(argv)
    cases = QUICK_CASES if args.quick else FULL_CASES
    n_repeats = args.repeats or (2 if args.quick else 5)
    params = {"C": 1.0, "tol": 1e-4, "max_iter": 100}
    rows = []
    for case in cases:
        row = run_case(case, n_repeats, params)
        rows.append(row)
        print(format_table([row], n_repeats, params).splitlines()[2], flush=True)
    mlp_rows = []
    for case in QUICK_MLP_CASES if args.quick else FULL_MLP_CASES:
        mlp_rows.append(run_mlp_case(case, n_repeats))
        print(format_mlp_table(mlp_rows[-1:]).splitlines()[2], flush=True)
    table = format_table(rows, n_repeats, params) + "\n\n" + format_mlp_table(mlp_rows)
    output = args.output or (None if args.quick else README)
    if output is not None:
        write_table(table, output)
    print()
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
