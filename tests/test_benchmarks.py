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
