"""The benchmark scripts' --quick runs write their tables (nothing about speed)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_quick_run_writes_table(tmp_path):
    output = tmp_path / "table.md"
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
    assert text.startswith("<!-- bench:start -->")
    assert text.rstrip().endswith("<!-- bench:end -->")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    # a header and one row per quick case: five linear, one MLP
    assert len(rows) == (1 + 5) + (1 + 1)
    assert "LogisticRegression" in text and "MLPClassifier" in text


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
