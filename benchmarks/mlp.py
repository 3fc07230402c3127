"""The MLP: SoftMLPClassifier against MLPClassifier(solver="lbfgs").

Same network, same initial weights (same ``random_state``), so the same
iterates; reported per L-BFGS iteration, with one evaluation against the five
matrix products of a forward and backward pass.

Usage: ``python -m benchmarks.mlp [--quick] [--output FILE]`` (writes its table
between the ``bench:mlp`` markers of docs/performance.md).
"""

from __future__ import annotations

import statistics
import warnings
from dataclasses import dataclass

from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from benchmarks._figures import redraw
from benchmarks._harness import (
    interleaved,
    make_data,
    output_path,
    parse_args,
    peak_memory,
    timed,
    write_block,
)
from benchmarks.linear import Case
from sksmooth import SoftMLPClassifier
from sksmooth._mlp_loss import MLPSoftCrossEntropy

STUDY = "mlp"


@dataclass
class MLPCase:
    n_samples: int
    n_features: int
    n_classes: int
    hidden: tuple = (100,)
    max_iter: int = 50


FULL_MLP_CASES = [MLPCase(20_000, 50, 10)]
QUICK_MLP_CASES = [MLPCase(2_000, 20, 4, hidden=(32,), max_iter=10)]


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


def main(argv=None) -> str:
    """Run the study; write (see ``_harness.output_path``) and return its table."""
    args = parse_args(__doc__.splitlines()[0], argv)
    n_repeats = args.repeats or (2 if args.quick else 5)
    rows = []
    for case in QUICK_MLP_CASES if args.quick else FULL_MLP_CASES:
        rows.append(run_mlp_case(case, n_repeats))
        print(format_mlp_table(rows[-1:]).splitlines()[2], flush=True)
    table = format_mlp_table(rows)
    path = output_path(args)
    if path is not None:
        write_block(STUDY, table, path)
        redraw(path)  # the page's figure, from its tables
    print(table)
    return table


if __name__ == "__main__":
    main()
