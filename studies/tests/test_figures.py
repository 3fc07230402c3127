"""The studies' and the performance page's figures: the ratios they draw,
by hand; the rows read back from the pages' tables; any label set or
contender drawn; every figure a PNG beside its page."""

import re
import shutil
from pathlib import Path

import pytest

from benchmarks import _figures as bench
from studies import _figures as figures

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_mean_ratios_by_hand():
    rows = [
        {"table": "a", "noise": 0.0, "contender": "base", "log_loss": 0.4},
        {"table": "a", "noise": 0.0, "contender": "base", "log_loss": 0.6},
        {"table": "a", "noise": 0.0, "contender": "new", "log_loss": 0.3},
        {"table": "a", "noise": 0.0, "contender": "new", "log_loss": 0.2},
        {"table": "b", "noise": 0.0, "contender": "new", "log_loss": 0.2},  # no base
    ]
    ratios = figures.mean_ratios(
        rows, figures.label_set, lambda r: r["table"], baseline="base"
    )
    assert ratios == {"clean labels": {"a": {"new": pytest.approx(0.25 / 0.5)}}}


def test_the_baselines_pages_means_read_back_as_written():
    text = (DOCS / "baselines.md").read_text()
    rows = figures.baselines_rows_from_page(text)
    line = re.findall(
        r"^\| pima \(held out\) \| ([^|]+) \| (.*) \|$", text, flags=re.M
    )[0]
    labels, written = line[0], [float(v) for v in line[1].split(" | ") if v]
    read = [
        r["log_loss"] for r in rows if (r["table"], r["labels"]) == ("pima", labels)
    ]
    assert read == written
    assert {r["mode"] for r in rows} <= {"labels as given", "10% verified"}


def test_any_label_set_and_contender_is_drawn():
    """Rows with label sets and contenders the module never heard of."""
    rows = [
        {"table": t, "labels": labels, "contender": c, "log_loss": loss}
        for t in ("x", "y")
        for labels in ("clean", "pair noise", "verified rows")
        for c, loss in (("LogisticRegressionCV", 1.0), ("newcomer", 0.8))
    ]
    fig = figures.ratio_dot_plot(
        rows,
        panel=figures.label_set,
        place=lambda r: r["table"],
        baseline="LogisticRegressionCV",
        title="t",
    )
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == ["clean", "pair noise", "verified rows"]
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["x", "y"]
    [legend] = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["newcomer"]
    xs = axes[1].collections[0].get_offsets()[:, 0]
    assert list(xs) == pytest.approx([0.8, 0.8])


def test_the_study_figures_redraw_from_the_pages(tmp_path):
    for name in ("baselines", "noisy_labels"):
        shutil.copy(DOCS / f"{name}.md", tmp_path)
    assert figures.main(["--docs", str(tmp_path)]) == 0
    for name in ("baselines", "noisy_labels"):
        png = (tmp_path / "figures" / f"{name}.png").read_bytes()
        assert png[:4] == b"\x89PNG"


def test_the_performance_figure_reads_each_rows_bold_ratios(tmp_path):
    text = (DOCS / "performance.md").read_text()
    rows = bench.headline_rows(text, bench.SEARCHES)
    block = bench.block(text, "cvspeed")
    first = next(line for line in block.splitlines() if line.startswith("| 20,000"))
    bold = [float(v) for v in re.findall(r"\*\*([0-9.]+)×\*\*", first)]
    assert rows[0] == {
        "group": "targets",
        "case": "20,000 × 50, K=10",
        "ratios": bold,
        "against": "",
    }
    assert {r["group"] for r in rows} == set(bench.SEARCHES.values())
    single = bench.headline_rows(text, bench.SINGLE_FITS)
    assert any(r["against"].startswith("ours") for r in single)  # left out
    page = tmp_path / "performance.md"
    shutil.copy(DOCS / "performance.md", page)
    assert bench.redraw(page) == tmp_path / "figures" / "performance.png"
    (tmp_path / "other.md").write_text("a page without the tables")
    assert bench.redraw(tmp_path / "other.md") is None
    assert not (tmp_path / "figures" / "other.png").exists()
