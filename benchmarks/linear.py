"""Linear fits: SoftmaxRegression against LogisticRegression(solver="lbfgs").

At epsilon = 0 both solve the same problem with the same scipy optimiser and
options, so their fit times compare equal work. Contenders interleaved
(alternating which goes first), each case repeated (median reported):

- fit time of ours / LogisticRegression's (same C, tol, max_iter), iterations of
  each, the largest coefficient difference;
- one loss-and-gradient evaluation of ours / the two matrix products it cannot
  avoid (``X @ W`` and ``G.T @ X``) on the same arrays: the floor;
- peak memory allocated during our fit (tracemalloc sees numpy's allocations),
  relative to ``X``'s own bytes and to ``n * K * itemsize``;
- float32 against float64 (our own fits), soft targets against hard ones.

Usage: ``python -m benchmarks.linear [--quick] [--output FILE]`` (writes its
table between the ``bench:linear`` markers of docs/performance.md).
"""

from __future__ import annotations

import statistics
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from benchmarks._figures import redraw
from benchmarks._harness import (
    interleaved,
    machine,
    make_data,
    nbytes,
    output_path,
    parse_args,
    peak_memory,
    timed,
    write_block,
)
from sksmooth import SoftmaxRegression, smooth_labels
from sksmooth._loss import LinearSoftCrossEntropy

STUDY = "linear"


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
    lines.append("")
    lines.append(
        f"Median of {n_repeats} interleaved runs; C={params['C']}, "
        f"tol={params['tol']}, max_iter={params['max_iter']}. Machine: "
        f"{machine()}."
    )
    return "\n".join(lines)


def main(argv=None) -> str:
    """Run the study; write (see ``_harness.output_path``) and return its table."""
    args = parse_args(__doc__.splitlines()[0], argv)
    cases = QUICK_CASES if args.quick else FULL_CASES
    n_repeats = args.repeats or (2 if args.quick else 5)
    params = {"C": 1.0, "tol": 1e-4, "max_iter": 100}
    rows = []
    for case in cases:
        rows.append(run_case(case, n_repeats, params))
        print(format_table(rows[-1:], n_repeats, params).splitlines()[2], flush=True)
    table = format_table(rows, n_repeats, params)
    path = output_path(args)
    if path is not None:
        write_block(STUDY, table, path)
        redraw(path)  # the page's figure, from its tables
    print(table)
    return table


if __name__ == "__main__":
    main()
