"""``python -m benchmarks.run --quick`` runs every benchmark that writes the
performance page and writes each one's table between its markers (nothing about
speed); ``benchmarks.dask_scaling`` runs on a 2-process cluster."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import run
from devtools.pages import write_between

ROOT = Path(__file__).resolve().parents[2]
MARKERS = {
    "linear": ("<!-- bench:linear:start -->", "<!-- bench:linear:end -->"),
    "mlp": ("<!-- bench:mlp:start -->", "<!-- bench:mlp:end -->"),
    "solvers": ("<!-- bench:solvers:start -->", "<!-- bench:solvers:end -->"),
    "concurrency": ("<!-- concurrency:start -->", "<!-- concurrency:end -->"),
    "cv_speed": ("<!-- cvspeed:start -->", "<!-- cvspeed:end -->"),
    "boosting": ("<!-- bench:boosting:start -->", "<!-- bench:boosting:end -->"),
}
HAS_LIGHTGBM = importlib.util.find_spec("lightgbm") is not None


def python_module(module, *args, timeout=900):
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """The quick run's page (one stale block to replace) and its printout."""
    output = tmp_path_factory.mktemp("bench") / "performance.md"
    start, end = MARKERS["mlp"]
    output.write_text(f"intro\n{start}\nSTALE-TABLE\n{end}\nend\n")
    done = python_module("benchmarks.run", "--quick", "--output", str(output))
    # the page's figure, redrawn from the tables the run wrote
    assert (output.parent / "figures" / "performance.png").read_bytes()[:4] == (
        b"\x89PNG"
    )
    return output.read_text(), done.stdout


def block_rows(text, name):
    start, end = MARKERS[name]
    assert text.count(start) == 1 and text.count(end) == 1
    block = text[text.index(start) : text.index(end)]
    return block, [line for line in block.splitlines() if line.startswith("| ")]


def test_run_names_every_benchmark_that_writes_the_performance_page():
    assert set(run.BENCHMARKS) == set(MARKERS)


def test_quick_run_replaces_the_stale_block_and_keeps_the_rest(quick_run):
    text, _ = quick_run
    assert text.startswith("intro\n<!-- bench:mlp:start -->")
    assert "STALE-TABLE" not in text and "\nend\n" in text


def test_quick_run_writes_the_linear_mlp_and_solver_tables(quick_run):
    text, _ = quick_run
    block, rows = block_rows(text, "linear")
    # a header and one row per quick case
    assert len(rows) == 1 + 5 and "LogisticRegression" in block
    block, rows = block_rows(text, "mlp")
    assert len(rows) == 1 + 1 and "MLPClassifier" in block
    block, rows = block_rows(text, "solvers")
    # the time-to-optimum table (two problems), then the epsilon path (two solvers)
    assert len(rows) == (1 + 2) + (1 + 2)
    assert "newton-cg" in block and "ε path" in block


def test_quick_run_writes_the_concurrency_table(quick_run):
    text, _ = quick_run
    block, rows = block_rows(text, "concurrency")
    assert len(rows) == 1 + 4  # header and four measurements
    assert "(unchanged)" in block and "CHANGED" not in block


def test_quick_run_cv_speed_searches_agree(quick_run):
    """Both searches agree at the tight tolerance (nothing about speed)."""
    text, _ = quick_run
    _, rows = block_rows(text, "cv_speed")
    assert len(rows) == 1 + 2  # a header and the two quick cases
    for row in rows[1:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        ours_eps, ref_eps = cells[8].split(", ")
        assert ours_eps == ref_eps  # the same epsilon at the tight tolerance
        assert float(cells[9]) < 1e-6  # fold scores agree


@pytest.mark.skipif(not HAS_LIGHTGBM, reason="the boosting benchmark needs lightgbm")
def test_quick_run_writes_and_prints_the_boosting_table(quick_run):
    text, stdout = quick_run
    _, rows = block_rows(text, "boosting")
    # a header, one row per contender, the soft / expansion ratio
    assert len(rows) == 1 + 3 + 1
    assert "SoftLGBMClassifier" in rows[1] and "hard labels" in rows[2]
    assert "expansion" in rows[3] and "soft / expansion time" in rows[4]
    # the printed table is the one written
    assert rows[1] in stdout and rows[4] in stdout


def test_write_between_replaces_the_block_or_appends_it(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("my notes\n")
    write_between("<!-- a -->", "<!-- b -->", "table 1", page)
    assert page.read_text() == "my notes\n<!-- a -->\ntable 1\n<!-- b -->\n"
    page.write_text("top\n<!-- a -->\nold\n<!-- b -->\nbottom\n")
    write_between("<!-- a -->", "<!-- b -->", "table 2", page)
    assert page.read_text() == "top\n<!-- a -->\ntable 2\n<!-- b -->\nbottom\n"


def test_dask_scaling_quick_run_writes_table(tmp_path):
    """benchmarks.dask_scaling --quick runs on a 2-process cluster."""
    pytest.importorskip("distributed")
    output = tmp_path / "table.md"
    python_module(
        "benchmarks.dask_scaling", "--quick", "--sizes", "2000", "--output", str(output)
    )
    text = output.read_text()
    assert text.startswith("<!-- dask:start -->")
    assert text.rstrip().endswith("<!-- dask:end -->")
    rows = [line for line in text.splitlines() if line.startswith("| 2,000 |")]
    # one distributed-against-memory row, one dask-ml row (or its reason)
    assert len(rows) == 2
    cells = rows[0].split("|")
    iterations = cells[8].split("/")
    assert iterations[0].strip() == iterations[1].strip()  # same iterates
