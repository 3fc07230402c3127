"""The network rows of ``benchmarks/cv_speed.py`` (``--network``).

``LabelSmoothingClassifierCV(SoftMLPClassifier((64,), random_state=0))`` with
its default ``path_budget=0.2`` (each fold's first epsilon trains for all of
``max_iter``, each later one for a fifth of it from the previous epsilon's
weights; the refit gets all of it) against ``GridSearchCV(
LabelSmoothingClassifier(SoftMLPClassifier(...)), {"epsilon": grid})``, one
cold fit per (epsilon, fold), every one from the same seed. Reported: L-BFGS
iterations and objective evaluations of each whole search (the sum of its
fits' own ``n_iter_`` and ``n_evaluations_``, independent of the machine's
load), CPU and wall seconds (medians of interleaved repeats, the order
alternating), both choices, and how
``GridSearchCV``'s own mean score rates our choice against its best (issue 28's
goal: within 1 %). Then the joint search over epsilon and four values of
``alpha`` (``param_grid``) against ``GridSearchCV`` over ``alpha`` alone
(``SoftMLPClassifier`` on the labels), one run each.
"""

import statistics
import time

from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sksmooth import (
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftMLPClassifier,
)
from sksmooth.model_selection import default_epsilon_grid

START, END = "<!-- cvspeed-network:start -->", "<!-- cvspeed-network:end -->"
# (label, make_data arguments, hidden layer sizes)
FULL_CASES = [
    ("digits (1,797 × 64, K=10)", (None, None, None, None), (64,)),
    ("20,000 × 50, K=10", (20_000, 50, 10, None), (64,)),
]
QUICK_CASES = [("600 × 10, K=4", (600, 10, 4, None), (8,))]
ALPHAS = [1e-3, 1e-2, 1e-1, 1.0]
N_FOLDS = 5
N_EPSILONS = 10


class CountedMLP(SoftMLPClassifier):
    """``SoftMLPClassifier`` that adds each fit's own counts (``n_iter_``,
    ``n_evaluations_``) to :attr:`counts`."""

    counts = {"iterations": 0, "evaluations": 0}

    def fit(self, X, y, sample_weight=None, transition=None):
        super().fit(X, y, sample_weight=sample_weight, transition=transition)
        CountedMLP.counts["iterations"] += self.n_iter_
        CountedMLP.counts["evaluations"] += self.n_evaluations_
        return self


def network(hidden, quick):
    return CountedMLP(hidden, max_iter=30 if quick else 200, random_state=0)


def ours(net, folds, grid, alphas=None):
    return LabelSmoothingClassifierCV(
        net,
        epsilons=grid,
        cv=folds,
        param_grid=None if alphas is None else {"alpha": alphas},
        selection="best",  # GridSearchCV's rule: the best mean score
    )


def reference(net, folds, grid):
    return GridSearchCV(
        LabelSmoothingClassifier(net),
        {"epsilon": grid},
        cv=folds,
        scoring="neg_log_loss",
    )


def alpha_alone(net, folds):
    return GridSearchCV(net, {"alpha": ALPHAS}, cv=folds, scoring="neg_log_loss")


def counted_fit(search, X, y):
    """Fit ``search`` (its learner a :class:`CountedMLP`); return ``(wall s,
    CPU s, iterations, evaluations)``, the counts those of its fits."""
    counts = CountedMLP.counts
    counts.update(iterations=0, evaluations=0)
    wall, cpu = time.perf_counter(), time.process_time()
    search.fit(X, y)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, counts["iterations"], counts["evaluations"]


def run_case(case, make_data, n_repeats, quick):
    label, data_args, hidden = case
    X, y = make_data(*data_args)
    folds = list(StratifiedKFold(N_FOLDS).split(X, y))
    grid = [float(e) for e in default_epsilon_grid(N_EPSILONS, 1.0)]
    net = network(hidden, quick)
    makers = {
        "ours": lambda: ours(net, folds, grid),
        "ref": lambda: reference(net, folds, grid),
    }
    runs = {name: [] for name in makers}
    fitted = {}
    for repeat in range(n_repeats):
        for name in list(makers)[:: 1 if repeat % 2 == 0 else -1]:
            search = makers[name]()
            runs[name].append(counted_fit(search, X, y))
            fitted[name] = search
    ref_scores = fitted["ref"].cv_results_["mean_test_score"]
    ours_eps = fitted["ours"].epsilon_
    ref_eps = fitted["ref"].best_params_["epsilon"]
    ours_score = ref_scores[grid.index(ours_eps)]
    joint = {
        "joint": ours(net, folds, grid, ALPHAS),
        "alpha": alpha_alone(net, folds),
    }
    joint_runs = {name: counted_fit(search, X, y) for name, search in joint.items()}
    return {
        "case": label,
        "wall": {n: statistics.median(r[0] for r in v) for n, v in runs.items()},
        "cpu": {n: statistics.median(r[1] for r in v) for n, v in runs.items()},
        "iterations": {n: v[0][2] for n, v in runs.items()},
        "evaluations": {n: v[0][3] for n, v in runs.items()},
        "epsilons": (ours_eps, ref_eps),
        "gap": (ref_scores.max() - ours_score) / abs(ref_scores.max()),
        "joint": joint_runs,
        "joint_choice": (
            joint["joint"].best_params_,
            joint["alpha"].best_params_["alpha"],
        ),
    }


def format_table(rows, n_repeats, max_iter=200):
    lines = [
        "| network case | L-BFGS iterations: ours, GridSearchCV | ratio | "
        "evaluations: ours, GridSearchCV | CPU s: ours, GridSearchCV | ratio | "
        "wall s: ours, GridSearchCV | chosen ε: ours, GridSearchCV | "
        "GridSearchCV's score of our ε below its best | joint (ε, α) / α alone: "
        "iterations | CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        its, evals, cpu, wall = (
            row[key] for key in ("iterations", "evaluations", "cpu", "wall")
        )
        joint = row["joint"]
        lines.append(
            f"| {row['case']} | {its['ours']}, {its['ref']} | "
            f"**{its['ref'] / its['ours']:.1f}×** | "
            f"{evals['ours']}, {evals['ref']} | "
            f"{cpu['ours']:.1f}, {cpu['ref']:.1f} | "
            f"**{cpu['ref'] / cpu['ours']:.1f}×** | "
            f"{wall['ours']:.1f}, {wall['ref']:.1f} | "
            f"{row['epsilons'][0]:.3g}, {row['epsilons'][1]:.3g} | "
            f"{100 * row['gap']:.2f} % | "
            f"{joint['joint'][2] / joint['alpha'][2]:.1f}× | "
            f"{joint['joint'][1] / joint['alpha'][1]:.1f}× |"
        )
    lines.append("")
    lines.append(
        f"`SoftMLPClassifier(random_state=0)`, max_iter={max_iter}, {N_FOLDS} "
        "stratified "
        f"folds, {N_EPSILONS} epsilons (the default grid); ours at the default "
        "`path_budget=0.2`, both searches sequential with one BLAS thread, "
        "refit included. Iterations and evaluations: of one whole search, "
        "each fit's own counts summed. CPU and wall seconds: medians of "
        f"{n_repeats} interleaved runs, the order alternating. The score "
        "column: `GridSearchCV`'s mean fold score (negative log-loss) at our "
        "choice, below its best, relative. The joint search: ours over ε and "
        f"α ∈ {{{', '.join(f'{a:g}' for a in ALPHAS)}}} (`param_grid`) against "
        "`GridSearchCV` over α alone on the labels, one run each."
    )
    return "\n".join(lines)
