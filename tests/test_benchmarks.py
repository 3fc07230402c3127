"""benchmarks/run.py --quick runs and writes its table (nothing about speed)."""

import subprocess
import sys
from pathlib import Path

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


def test_cv_speed_quick_run_writes_table(tmp_path):
    """benchmarks/cv_speed.py --quick: both searches agree (nothing about speed)."""
    output = tmp_path / "cvspeed.md"
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
    assert text.startswith("<!-- cvspeed:start -->")
    assert text.rstrip().endswith("<!-- cvspeed:end -->")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 2  # a header and the two quick cases
    for row in rows[1:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        ours_eps, ref_eps = cells[5].split(", ")
        assert ours_eps == ref_eps  # the same epsilon at the tight tolerance
        assert float(cells[6]) < 1e-6  # fold scores agree


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
    # summary: a header and 3 learners x 8 contenders; goals: a header and 8
    assert len(rows) == (1 + 3 * 8) + (1 + 8)
    assert "temperature scaling" in text and "CV confusion+reg+T" in text
