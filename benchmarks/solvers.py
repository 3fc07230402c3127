"""Solvers: time to the optimum, SoftmaxRegression(newton-cg) against every
LogisticRegression solver.

For each problem, the reference optimum is the lowest objective of very tight
fits (ours with Newton at ``tol=1e-11`` and ``LogisticRegression(newton-cg)``
at ``tol=1e-11``). Each contender then searches ``TOLS`` from the loosest and
keeps the loosest ``tol`` whose fit reaches a relative objective gap of at
most ``GAP`` (a contender that never reaches it is reported as such); those
fits are then timed interleaved, alternating the order, and medians reported.
The objective (``C * sum_i H_i + ||W||^2 / 2``, scaled by ``1 / (C n)``) is
evaluated for every contender by the same function. Also reported: the gap
ours leaves at its default settings (``solver="newton-cg"``, ``tol=1e-4``)
and its time against our own default L-BFGS fit.

Usage: ``python -m benchmarks.solvers [--quick] [--output FILE]`` (writes its
table between the ``bench:solvers`` markers of docs/performance.md);
``--paths-only`` re-runs only the epsilon-path rows and keeps the time-to-optimum
table already on the page.
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from benchmarks._harness import (
    interleaved,
    machine,
    markers,
    median,
    output_path,
    parse_args,
    write_block,
)
from sksmooth import SoftmaxRegression
from sksmooth._loss import LinearSoftCrossEntropy

STUDY = "solvers"
GAP = 1e-10
TOLS = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10)
THEIR_SOLVERS = ("lbfgs", "newton-cg", "newton-cholesky")
OUR_SOLVERS = ("newton-cg", "lbfgs")
MAX_ITER = 300


@dataclass
class Problem:
    n_samples: int
    n_features: int
    n_classes: int
    C: float = 1.0
    scale_spread: float = 0.0  # feature scales exp(uniform(-s, s))
    sparse: bool = False
    digits: bool = False  # scikit-learn's digits, standardised, instead

    def describe(self) -> str:
        if self.digits:
            return f"digits (1,797 × 64, K=10), C={self.C:g}"
        text = (
            f"{self.n_samples:,} × {self.n_features}, K={self.n_classes}, C={self.C:g}"
        )
        if self.scale_spread:
            text += f", scales e^±{self.scale_spread:g}"
        return text + (", sparse" if self.sparse else "")


def full_problems() -> list[Problem]:
    # The sizes with n divided by 10: the machine is shared and
    # newton-cholesky alone takes tens of seconds at full size.
    base = [
        Problem(10_000, 100, 10, C=1.0),
        Problem(10_000, 100, 10, C=100.0, scale_spread=2.0),
        Problem(5_000, 300, 5, C=10.0),
        Problem(20_000, 20, 3),
        Problem(20_000, 50, 2),
    ]
    # Sparse: only the binary problem, to keep a full run under half an hour
    # on the shared machine (the quick run covers sparse input too).
    sparse = [Problem(20_000, 50, 2, sparse=True)]
    return base + sparse


QUICK_PROBLEMS = [
    Problem(2_000, 20, 4, C=10.0, scale_spread=1.0),
    Problem(2_000, 10, 2),
]


def make_problem(problem: Problem, seed: int = 0):
    """Standard normal features (sparse: entries below 1 in size zeroed, about
    a third kept), a noisy linear class structure, optional scale spread."""
    if problem.digits:
        X, y = load_digits(return_X_y=True)
        return StandardScaler().fit_transform(X), y
    rng = np.random.default_rng(seed)
    n, d, K = problem.n_samples, problem.n_features, problem.n_classes
    X = rng.standard_normal((n, d))
    if problem.sparse:
        X[np.abs(X) < 1.0] = 0.0
    logits = X @ (rng.standard_normal((d, K)) / np.sqrt(d) * 3)
    y = np.argmax(logits + rng.gumbel(size=(n, K)), axis=1)
    if problem.scale_spread:
        X *= np.exp(rng.uniform(-problem.scale_spread, problem.scale_spread, size=d))
    return (sp.csr_matrix(X) if problem.sparse else X), y


def objective(X, y, problem: Problem, coef, intercept) -> float:
    """The scaled objective at ``(coef, intercept)``, the same for everyone."""
    loss = LinearSoftCrossEntropy(
        X,
        y,
        None,
        n_classes=problem.n_classes,
        fit_intercept=True,
        l2_reg_strength=1.0 / (problem.C * X.shape[0]),
    )
    return loss.loss_gradient(np.r_[np.ravel(coef), np.ravel(intercept)])[0]


def contenders(X, y, problem: Problem) -> dict:
    """name -> (tol -> fitted model)."""

    def ours(solver):
        return lambda tol: SoftmaxRegression(
            C=problem.C, solver=solver, tol=tol, max_iter=MAX_ITER
        ).fit(X, y)

    def theirs(solver):
        return lambda tol: LogisticRegression(
            C=problem.C, solver=solver, tol=tol, max_iter=MAX_ITER
        ).fit(X, y)

    fits = {f"ours {solver}": ours(solver) for solver in OUR_SOLVERS}
    for solver in THEIR_SOLVERS:
        fits[f"LR {solver}"] = theirs(solver)
    return fits


def run_problem(problem: Problem, n_repeats: int) -> dict:
    X, y = make_problem(problem)
    fits = contenders(X, y, problem)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        references = [fits["ours newton-cg"](1e-11), fits["LR newton-cg"](1e-11)]
        best = min(objective(X, y, problem, m.coef_, m.intercept_) for m in references)

        def gap(model):
            value = objective(X, y, problem, model.coef_, model.intercept_)
            return (value - best) / abs(best)

        chosen, row = {}, {"problem": problem}
        for name, fit in fits.items():
            for tol in TOLS:
                if gap(fit(tol)) <= GAP:
                    chosen[name] = tol
                    break
        row["tols"] = chosen
        runs = {
            name: (lambda f=fits[name], t=tol: f(t)) for name, tol in chosen.items()
        }
        times, _ = interleaved(runs, n_repeats)
        row["times"] = {name: median(t) for name, t in times.items()}

        defaults = {
            "newton": lambda: SoftmaxRegression(C=problem.C, solver="newton-cg").fit(
                X, y
            ),
            "lbfgs": lambda: SoftmaxRegression(C=problem.C).fit(X, y),
        }
        times, fitted = interleaved(defaults, n_repeats)
        row["default_gap"] = gap(fitted["newton"])
        row["default_iter"] = fitted["newton"].n_iter_
        row["lbfgs_gap"] = gap(fitted["lbfgs"])
        row["default_ratio"] = median(times["newton"]) / median(times["lbfgs"])
    return row


PATH_EPSILONS = np.linspace(0.0, 0.3, 10)


def run_path(problem: Problem, n_repeats: int) -> dict:
    """A 10-epsilon fit_path against one cold fit at the middle epsilon and
    against 10 cold fits, for each solver (default tol), in time and in
    objective evaluations (as each reports them): where the time ratio
    exceeds the evaluations', the path's own steps cost the difference."""
    from sksmooth import smooth_labels

    X, y = make_problem(problem)
    middle = PATH_EPSILONS[len(PATH_EPSILONS) // 2]
    row = {"problem": problem}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for solver in ("newton-cg", "lbfgs"):

            def model(solver=solver):
                return SoftmaxRegression(C=problem.C, solver=solver)

            runs = {
                "path": lambda m=model: m().fit_path(X, y, PATH_EPSILONS),
                "middle": lambda m=model: m().fit(X, smooth_labels(y, epsilon=middle)),
                "cold": lambda m=model: [
                    m().fit(X, smooth_labels(y, epsilon=e)) for e in PATH_EPSILONS
                ],
            }
            times, _ = interleaved(runs, n_repeats)
            row[solver] = {name: median(t) for name, t in times.items()}
            _, info = model().fit_path(X, y, PATH_EPSILONS, return_info=True)
            cold = model().fit(X, smooth_labels(y, epsilon=middle))
            row[solver]["evaluations"] = (
                int(info.n_evaluations.sum()),
                cold.n_evaluations_,
            )
    return row


def format_path_table(rows: list[dict], n_repeats: int) -> str:
    lines = [
        "| ε path (10 values, 0 to 0.3) | solver | path time | path / one cold fit "
        "at the middle ε | the same in evaluations | path / 10 cold fits |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        for solver in ("newton-cg", "lbfgs"):
            t = row[solver]
            path_evals, cold_evals = t["evaluations"]
            lines.append(
                f"| {row['problem'].describe()} | {solver} | {t['path']:.2f} s "
                f"| **{t['path'] / t['middle']:.1f}×** "
                f"| {path_evals} / {cold_evals} = {path_evals / cold_evals:.1f}× "
                f"| {t['path'] / t['cold']:.2f}× |"
            )
    lines.append("")
    lines.append(
        f"Median of {n_repeats} interleaved runs; newton-cg paths start each "
        "ε from the homotopy predictor; L-BFGS paths carry one curvature memory "
        "down the grid from the largest ε (`_paths.softmax_path`). Evaluations: "
        "of the objective, as `fit_path(return_info=True)` and `n_evaluations_` "
        "report them; on digits an evaluation is cheap, so the time ratio above "
        "the evaluations' is the path's own steps. "
        f"Machine: {machine()}; load average {os.getloadavg()[0]:.1f} when "
        "the path rows started."
    )
    return "\n".join(lines)


def format_table(rows: list[dict], n_repeats: int) -> str:
    lines = [
        f"| problem | ours to gap ≤ {GAP:g}: newton-cg, lbfgs: time (tol) "
        "| fastest LogisticRegression: solver, time (tol) "
        "| **fastest ours / fastest LR** | LR solvers that never reach it "
        "| ours newton-cg at defaults: gap (iterations), time / our L-BFGS "
        "(its gap) |",
        "|---|---:|---:|---:|---|---:|",
    ]

    def cell(name, times, tols):
        return f"{times[name]:.2f} s ({tols[name]:g})" if name in times else "never"

    for row in rows:
        tols, times = row["tols"], row["times"]
        ours = {n: t for n, t in times.items() if n.startswith("ours")}
        theirs = {n: t for n, t in times.items() if n.startswith("LR")}
        ours_cell = ", ".join(cell(f"ours {s}", times, tols) for s in OUR_SOLVERS)
        if theirs:
            fastest = min(theirs, key=theirs.get)
            their_cell = f"{fastest[3:]}, {theirs[fastest]:.2f} s ({tols[fastest]:g})"
        else:
            their_cell = "none reach it"
        if ours and theirs:
            best = min(ours, key=ours.get)
            ratio = f"**{ours[best] / theirs[fastest]:.2f}×** ({best[5:]})"
        else:
            ratio = "–"
        missing = [s for s in THEIR_SOLVERS if f"LR {s}" not in times]
        lines.append(
            f"| {row['problem'].describe()} | {ours_cell} | {their_cell} | {ratio} "
            f"| {', '.join(missing) or '–'} | {row['default_gap']:.0e} "
            f"({row['default_iter']}), {row['default_ratio']:.2f}× "
            f"({row['lbfgs_gap']:.0e}) |"
        )
    lines.append("")
    lines.append(
        f"Median of {n_repeats} interleaved runs; each contender at the loosest "
        f"tol of {', '.join(f'{t:g}' for t in TOLS)} that reaches a relative "
        f"objective gap ≤ {GAP:g} (max_iter={MAX_ITER}). Machine: {machine()}."
    )
    return "\n".join(lines)


def main(argv=None) -> str:
    """Run the study; write (see ``_harness.output_path``) and return its table."""
    argv = list(sys.argv[1:] if argv is None else argv)
    paths_only = "--paths-only" in argv
    args = parse_args(__doc__.splitlines()[0], [a for a in argv if a != "--paths-only"])
    path = output_path(args)
    if paths_only and path is None:
        raise SystemExit("error: --paths-only rewrites a page: give --output.")
    problems = QUICK_PROBLEMS if args.quick else full_problems()
    n_repeats = args.repeats or 1
    rows = []
    for problem in [] if paths_only else problems:
        rows.append(run_problem(problem, n_repeats))
        print(format_table(rows[-1:], n_repeats).splitlines()[2], flush=True)
    path_problems = (
        [Problem(2_000, 20, 4)]
        if args.quick
        else [Problem(10_000, 100, 10), Problem(0, 0, 10, digits=True)]
    )
    path_table = format_path_table(
        [run_path(p, n_repeats) for p in path_problems], n_repeats
    )
    if paths_only:  # the time-to-optimum table as the page has it
        start, end = markers(STUDY)
        text = path.read_text()
        block = text[text.index(start) + len(start) : text.index(end)]
        table = block[: block.index("| ε path")].strip() + "\n\n" + path_table
    else:
        table = format_table(rows, n_repeats) + "\n\n" + path_table
    if path is not None:
        write_block(STUDY, table, path)
    print(table)
    return table


if __name__ == "__main__":
    main()
