"""The performance page's figure, drawn from the tables the benchmarks wrote.

Each benchmark writes its table between its own markers of
``docs/performance.md``; the figure at the top of the page draws their
headline ratios (the bold number each row's script writes first): on the
left, one fit's time against scikit-learn's (``bench:linear``, ``bench:mlp``:
ours ÷ theirs, below 1 is faster), on the right, a search's cost against
``GridSearchCV``'s (the ``cvspeed`` tables: GridSearchCV's evaluations or
iterations, and CPU seconds, ÷ ours, above 1 is faster). The benchmarks that
write those tables call :func:`redraw` after writing, and ``python -m
benchmarks._figures`` redraws it from the page as it is. The figure reads
whatever rows the tables hold; a table not on the page is left out.

Shared with :mod:`studies._figures`: :func:`figure_path`, :func:`save`,
:func:`log_axis`, :func:`markdown_tables`.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

PAGE = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
# (marker name, what a row compares) of the tables drawn, in the page's order.
SINGLE_FITS = {"bench:linear": "linear", "bench:mlp": "network, per iteration"}
SEARCHES = {
    "cvspeed": "targets",
    "cvspeed-c": "targets, C grid",
    "cvspeed-fwd": "predictions",
    "cvspeed-network": "network",
}
# Ticks of a ratio axis: whichever of these fall in its range.
RATIO_TICKS = (0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 1, 1.2, 1.5, 2, 3, 5, 10, 20)
BOLD_RATIO = re.compile(r"\*\*([0-9.]+)×\*\*")


def figure_path(page: Path) -> Path:
    """Where the figure of ``page`` goes: ``figures/<page stem>.png`` beside it."""
    return page.parent / "figures" / f"{page.stem}.png"


def save(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as a PNG (no version stamp, so redrawing the same rows
    writes the same bytes with the same matplotlib)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight", metadata={"Software": None})
    return path


def log_axis(ax) -> None:
    """A log-scaled x axis with plain tick labels at :data:`RATIO_TICKS`, 1
    always in range."""
    ax.set_xscale("log")
    low, high = ax.get_xlim()
    low, high = min(low, 0.95), max(high, 1.05)
    ax.set_xlim(low, high)
    ax.xaxis.set_major_locator(
        FixedLocator([v for v in RATIO_TICKS if low <= v <= high])
    )
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.tick_params(axis="x", labelsize=9)
    ax.grid(True, axis="x", alpha=0.3)


def markdown_tables(text: str) -> list[list[dict]]:
    """Every Markdown table of ``text`` as a list of ``{header: cell}`` rows
    (a repeated header keeps its last cell: see :func:`table_cells`)."""
    return [
        [dict(zip(header, row, strict=False)) for row in body]
        for header, body in table_cells(text)
    ]


def table_cells(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every Markdown table of ``text`` as its header and its rows' cells."""
    tables, lines = [], text.splitlines()
    for i, line in enumerate(lines[:-1]):
        if not line.startswith("|"):
            continue
        if not re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip()):
            continue
        body = []
        for row in lines[i + 2 :]:
            if not row.startswith("|"):
                break
            body.append(cells(row))
        tables.append((cells(line), body))
    return tables


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def block(text: str, name: str) -> str | None:
    """The text between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    match = re.search(
        rf"<!-- {re.escape(name)}:start -->\n(.*?)<!-- {re.escape(name)}:end -->",
        text,
        flags=re.S,
    )
    return None if match is None else match.group(1)


def headline_rows(text: str, names: dict) -> list[dict]:
    """``{"group", "case", "ratios", "against"}`` of every row of the named
    tables: the bold ratios of the row, in its order, and what follows the
    first in its cell (``"LogisticRegression"``, ``"ours in float64"``)."""
    rows = []
    for name, group in names.items():
        for _, body in table_cells(block(text, name) or "")[:1]:
            for row in body:
                bold = [cell for cell in row if BOLD_RATIO.search(cell)]
                if not bold or not row[0]:
                    continue
                rows.append(
                    {
                        "group": group,
                        "case": row[0],
                        "ratios": [
                            float(r) for cell in bold for r in BOLD_RATIO.findall(cell)
                        ],
                        "against": BOLD_RATIO.sub("", bold[0]).strip(),
                    }
                )
    return rows


def performance_figure(single: list[dict], searches: list[dict]) -> Figure:
    """Left: one fit, ours ÷ scikit-learn's time; right: a search,
    GridSearchCV's evaluations (iterations) and CPU seconds ÷ ours."""
    panels = [p for p in (single, searches) if p]
    heights = [0.3 * len(p) + 0.8 for p in panels]
    fig = Figure(figsize=(9.5, sum(heights) + 1.2), layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False, height_ratios=heights)
    axes = list(axes.ravel())
    if single:
        ax = axes.pop(0)
        labels = [f"{r['case']} ({r['group']})" for r in single]
        ax.scatter(
            [r["ratios"][0] for r in single], range(len(single)), color="C0", zorder=3
        )
        finish(ax, labels, "one fit: our time ÷ scikit-learn's (left: faster)")
    if searches:
        ax = axes.pop(0)
        labels = [f"{r['case']} ({r['group']})" for r in searches]
        for k, what in enumerate(("evaluations (network: iterations)", "CPU seconds")):
            points = [
                (r["ratios"][k], i)
                for i, r in enumerate(searches)
                if len(r["ratios"]) > k
            ]
            ax.scatter(
                *zip(*points, strict=True),
                marker="os"[k],
                color=f"C{k + 1}",
                label=f"GridSearchCV's {what} ÷ ours",
                zorder=3,
            )
        finish(ax, labels, "a search of ε: GridSearchCV's cost ÷ ours (right: faster)")
        fig.legend(loc="outside lower center", ncol=1, fontsize=9, frameon=False)
    fig.suptitle("Speed against scikit-learn, from the tables below", fontsize=11)
    return fig


def finish(ax, labels: list[str], xlabel: str) -> None:
    ax.axvline(1.0, color="0.3", linewidth=1)
    log_axis(ax)
    ax.set_yticks(range(len(labels)), labels, fontsize=9)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.grid(True, axis="y", alpha=0.15)
    ax.set_xlabel(xlabel, fontsize=9)


def redraw(page: Path) -> Path | None:
    """Redraw ``page``'s figure from its tables; ``None`` (and nothing
    written) when it holds none of them."""
    text = page.read_text()
    single = [  # ours against scikit-learn, not against ourselves
        row
        for row in headline_rows(text, SINGLE_FITS)
        if not row["against"].startswith("ours")
    ]
    searches = headline_rows(text, SEARCHES)
    if not single and not searches:
        return None
    return save(performance_figure(single, searches), figure_path(page))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", type=Path, default=PAGE)
    args = parser.parse_args(argv)
    print(redraw(args.page))
    return 0


if __name__ == "__main__":
    sys.exit(main())
