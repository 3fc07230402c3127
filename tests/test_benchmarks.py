"""benchmarks/run.py --quick runs every study and writes its tables (nothing
about speed)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_quick_run_writes_every_table_between_its_markers(tmp_path):
    output = tmp_path / "table.md"
    output.write_text(
        "intro\n<!-- bench:mlp:start -->\nSTALE-TABLE\n<!-- bench:mlp:end -->\nend\n"
    )
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--output",
            str(output),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    text = output.read_text()
    assert text.startswith("intro\n<!-- bench:mlp:start -->")
    assert "STALE-TABLE" not in text and "\nend\n" in text
    blocks = {}
    for study in ("linear", "mlp", "solvers"):
        start, end = f"<!-- bench:{study}:start -->", f"<!-- bench:{study}:end -->"
        assert text.count(start) == 1 and text.count(end) == 1
        blocks[study] = text[text.index(start) : text.index(end)]
    rows = {
        s: [ln for ln in b.splitlines() if ln.startswith("| ")]
        for s, b in blocks.items()
    }
    # a header and one row per quick case
    assert len(rows["linear"]) == 1 + 5 and "LogisticRegression" in blocks["linear"]
    assert len(rows["mlp"]) == 1 + 1 and "MLPClassifier" in blocks["mlp"]
    # the time-to-optimum table (two problems), then the epsilon path (two solvers)
    assert len(rows["solvers"]) == (1 + 2) + (1 + 2)
    assert "newton-cg" in blocks["solvers"] and "ε path" in blocks["solvers"]


def test_cv_speed_quick_run_writes_table(tmp_path):
    """benchmarks/cv_speed.py --quick: both searches agree (nothing about speed);
    an output file without the markers keeps its text, the table is appended."""
    output = tmp_path / "cvspeed.md"
    output.write_text("my notes\n")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "cv_speed.py"),
            "--quick",
            "--output",
            str(output),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    text = output.read_text()
    assert text.startswith("my notes\n<!-- cvspeed:start -->")
    assert text.rstrip().endswith("<!-- cvspeed:end -->")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 2  # a header and the two quick cases
    for row in rows[1:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        ours_eps, ref_eps = cells[8].split(", ")
        assert ours_eps == ref_eps  # the same epsilon at the tight tolerance
        assert float(cells[9]) < 1e-6  # fold scores agree


def test_calibration_study_quick_run_writes_table(tmp_path):
    """benchmarks/calibration_study.py --quick writes both of its tables."""
    output = tmp_path / "study.md"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "calibration_study.py"),
            "--quick",
            "--output",
            str(output),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    text = output.read_text()
    assert text.startswith("<!-- study:start -->")
    assert text.rstrip().endswith("<!-- study:end -->")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    # summary: a header, 3 learners x 9 contenders and the skorch row (its
    # numbers, or a note that it was left out); goals: a header and 11
    assert len(rows) == (1 + 3 * 9 + 1) + (1 + 11)
    assert "temperature scaling" in text and "CV confusion+reg+T" in text
    assert "CV eps+reg+T 1se" in text
    skorch_rows = [row for row in rows if "skorch" in row]
    assert len(skorch_rows) == 1
    has_skorch = all(importlib.util.find_spec(n) for n in ("torch", "skorch"))
    assert ("left out" in skorch_rows[0]) == (not has_skorch)


def test_concurrency_benchmark_quick_run(tmp_path, monkeypatch):
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "concurrency.py"), "--quick"],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    text = result.stdout.strip()
    assert text.startswith("<!-- concurrency:start -->")
    assert text.endswith("<!-- concurrency:end -->")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 4  # header and four measurements
    assert "(unchanged)" in text and "CHANGED" not in text

    # --write replaces exactly the text between the markers
    spec = importlib.util.spec_from_file_location(
        "concurrency_benchmark", ROOT / "benchmarks" / "concurrency.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{module.START}\nold\n{module.END}\nafter\n")
    monkeypatch.setattr(module, "PAGE", readme)
    module.write_page(text)
    assert readme.read_text() == f"before\n{text}\nafter\n"


def test_dask_scaling_quick_run_writes_table(tmp_path):
    """benchmarks/dask_scaling.py --quick runs on a 2-process cluster."""
    pytest.importorskip("distributed")
    output = tmp_path / "table.md"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "dask_scaling.py"),
            "--quick",
            "--sizes",
            "2000",
            "--output",
            str(output),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
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
