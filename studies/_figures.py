"""The studies' figures: each table's log-loss against a baseline, as a dot plot.

The study scripts draw them from the rows they already produce (a list of
dicts with ``contender`` and ``log_loss`` and the keys that place a row:
``table`` and ``noise`` for :mod:`studies.baselines`, ``learner`` and
``noise`` for :mod:`studies.noisy_labels`), next to the page they write:
``docs/baselines.md`` gets ``docs/figures/baselines.png``
(:func:`figure_path`). The functions know no label set, table or contender by
name: whatever the rows hold is drawn, the baseline is the contender named.

``python -m studies._figures`` redraws the committed figures from the tables
already on the pages (the per-table means of the baselines page, the summary
of the noisy-labels page), without running a study: the figures draw means,
and those tables hold them.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from matplotlib.figure import Figure

from benchmarks._figures import figure_path, log_axis, markdown_tables, save

DOCS = Path(__file__).resolve().parent.parent / "docs"
MARKERS = "osD^vP*X"


def label_set(row: dict) -> str:
    """A row's training labels, for a panel's title: its ``labels`` if it has
    them, else its ``noise`` (0 is clean, a rate is symmetric noise, a string
    names itself)."""
    if "labels" in row:
        return str(row["labels"])
    noise = row["noise"]
    if isinstance(noise, str):
        return noise
    return "clean labels" if noise == 0 else f"{noise:.0%} noisy labels"


def mean_ratios(rows, panel: Callable, place: Callable, baseline: str):
    """``{panel: {place: {contender: mean log-loss / baseline's mean}}}``,
    in the order the rows give them; places without the baseline left out."""
    sums: dict = {}
    for row in rows:
        key = (panel(row), place(row), row["contender"])
        total, count = sums.get(key, (0.0, 0))
        sums[key] = (total + float(row["log_loss"]), count + 1)
    means = {key: total / count for key, (total, count) in sums.items()}
    ratios: dict = {}
    for (p, q, contender), mean in means.items():
        reference = means.get((p, q, baseline))
        if reference is None or contender == baseline:
            continue
        ratios.setdefault(p, {}).setdefault(q, {})[contender] = mean / reference
    return ratios


def ratio_dot_plot(
    rows,
    *,
    panel: Callable,
    place: Callable,
    baseline: str,
    title: str,
    stacked: bool = False,
) -> Figure:
    """One panel per ``panel(row)`` (side by side, or ``stacked``), one line
    per ``place(row)``, one dot per contender: its mean log-loss divided by
    ``baseline``'s (log scale, 1 marked; left of it is better)."""
    ratios = mean_ratios(rows, panel, place, baseline)
    panels = list(ratios) or [""]
    places = list(dict.fromkeys(q for p in ratios for q in ratios[p]))
    contenders = list(
        dict.fromkeys(c for p in ratios for q in ratios[p] for c in ratios[p][q])
    )
    height = 0.26 * len(places) + 0.9
    fig = Figure(
        figsize=(7.5, len(panels) * height + 1.4)
        if stacked
        else (3.6 * len(panels) + 1.6, height + 1.4),
        layout="constrained",
    )
    grid = (len(panels), 1) if stacked else (1, len(panels))
    axes = fig.subplots(*grid, sharey=True, squeeze=False).ravel()
    for ax, p in zip(axes, panels, strict=True):
        ax.axvline(1.0, color="0.3", linewidth=1)
        for k, contender in enumerate(contenders):
            ys = [i for i, q in enumerate(places) if contender in ratios[p].get(q, {})]
            ax.scatter(
                [ratios[p][places[i]][contender] for i in ys],
                ys,
                marker=MARKERS[k % len(MARKERS)],
                s=28,
                alpha=0.85,
                label=contender,
                color=f"C{k}",
                zorder=3,
            )
        log_axis(ax)
        ax.grid(True, axis="y", alpha=0.15)
        ax.set_title(p, fontsize=10)
        ax.set_yticks(range(len(places)), places, fontsize=9)
        ax.set_ylim(len(places) - 0.5, -0.5)
    axes[-1].set_xlabel(f"mean log-loss ÷ {baseline}'s (left: better)", fontsize=9)
    if not stacked:
        for ax in axes[:-1]:
            ax.set_xlabel(axes[-1].get_xlabel(), fontsize=9)
    handles = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(
        handles.values(),
        handles.keys(),
        loc="outside lower center",
        ncol=min(len(handles), 3),
        fontsize=10,
        frameon=False,
    )
    fig.suptitle(title, fontsize=11)
    return fig


def ratios_to_own_baseline(rows, baseline: str) -> list[dict]:
    """Each (table, label set, mode, contender)'s mean log-loss divided by
    the ``baseline``'s mean in the same mode (each mode has baselines of its
    own), as rows whose ``log_loss`` is that ratio (the baseline's are 1).
    The baselines of a mode other than the first are left out (each mode's
    recipe is already divided by its own); rows without a mode pass as they
    are."""
    if not any("mode" in row for row in rows):
        return list(rows)
    sums: dict = {}
    for row in rows:
        key = (row["table"], label_set(row), row["mode"], row["contender"])
        total, count = sums.get(key, (0.0, 0))
        sums[key] = (total + float(row["log_loss"]), count + 1)
    means = {key: total / count for key, (total, count) in sums.items()}
    modes = list(dict.fromkeys(row["mode"] for row in rows))
    out = []
    for (table, labels, mode, contender), mean in means.items():
        reference = means.get((table, labels, mode, baseline))
        if reference is None or (mode != modes[0] and contender in BASELINE_NAMES):
            continue
        ratio = mean / reference
        out.append(
            {"table": table, "labels": labels, "contender": contender}
            | {"log_loss": ratio}
        )
    return out


# The baselines of studies.baselines, drawn once (for the first mode).
BASELINE_NAMES = ("LogisticRegressionCV", "+ temperature")


def draw_baselines(rows, path: Path, baseline: str = "LogisticRegressionCV") -> Path:
    """The baselines study's figure: every table's mean log-loss over its
    splits, each contender's divided by ``baseline``'s in the same mode (the
    checked-rows recipe by the baseline fitted on the corrected labels), a
    panel per label set."""
    fig = ratio_dot_plot(
        ratios_to_own_baseline([r for r in rows if "contender" in r], baseline),
        panel=label_set,
        place=lambda row: row["table"],
        baseline=baseline,
        title="Each table's mean test log-loss against "
        + baseline
        + " (the checked-rows recipe: against it on the corrected labels)",
    )
    return save(fig, path)


def draw_noisy_labels(rows, path: Path, baseline: str = "eps=0, reg CV") -> Path:
    """The noisy-labels study's figure: each contender's mean log-loss over the
    cells of a noise setting, divided by ``baseline``'s, a panel per learner."""
    fig = ratio_dot_plot(
        [r for r in rows if "contender" in r],
        panel=lambda row: f"learner: {row['learner']}",
        place=lambda row: label_set(row),
        baseline=baseline,
        title=f"Mean test log-loss on clean labels against {baseline}",
        stacked=True,
    )
    return save(fig, path)


# ------------------------------------------------- rows from a page's tables
def noise_value(text: str):
    """``clean`` -> 0.0, ``20%`` -> 0.2, anything else as written."""
    if text == "clean":
        return 0.0
    match = re.fullmatch(r"(\d+(?:\.\d+)?)%", text)
    return float(match.group(1)) / 100 if match else text


def baselines_rows_from_page(text: str) -> list[dict]:
    """The per-table means of the baselines page, one row per (table, label
    set, contender)."""
    for table in markdown_tables(text):
        if table and list(table[0])[:2] == ["table", "labels"]:
            rows = []
            for row in table:
                for column, value in list(row.items())[2:]:
                    if not value:
                        continue
                    # "name (mode)" for a mode's own column, else labels as given
                    named = re.fullmatch(r"(.+) \((\d+% verified)\)", column)
                    contender, mode = named.groups() if named else (column, None)
                    rows.append(
                        {
                            "table": re.sub(
                                r" \((held out|fresh|unseen)\)$", "", row["table"]
                            ),
                            "labels": row["labels"],
                            "mode": mode or "labels as given",
                            "split": 0,
                            "contender": contender,
                            "log_loss": float(value),
                        }
                    )
            return rows
    raise ValueError("the page has no table of per-table means")


def noisy_labels_rows_from_page(text: str) -> list[dict]:
    """The summary of the noisy-labels page, one row per (learner, noise,
    contender): the mean over the noise setting's cells."""
    for table in markdown_tables(text):
        if table and list(table[0])[:3] == ["learner", "noise", "contender"]:
            return [
                {
                    "learner": row["learner"],
                    "noise": row["noise"],
                    "contender": row["contender"],
                    "log_loss": float(row["log-loss"]),
                }
                for row in table
                if not row["noise"].startswith("**")  # the "all" rows
            ]
    raise ValueError("the page has no summary table")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=DOCS, help="the docs folder")
    args = parser.parse_args(argv)
    for name, read, draw in (
        ("baselines", baselines_rows_from_page, draw_baselines),
        ("noisy_labels", noisy_labels_rows_from_page, draw_noisy_labels),
    ):
        page = args.docs / f"{name}.md"
        print(draw(read(page.read_text()), figure_path(page)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
