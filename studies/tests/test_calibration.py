"""``python -m studies.calibration --quick`` writes both of its tables."""

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_calibration_study_quick_run_writes_table(tmp_path):
    output = tmp_path / "study.md"
    subprocess.run(
        [sys.executable, "-m", "studies.calibration", "--quick"]
        + ["--output", str(output)],
        cwd=ROOT,
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
    assert "CV eps+reg+T joint" in text
    skorch_rows = [row for row in rows if "skorch" in row]
    assert len(skorch_rows) == 1
    has_skorch = all(importlib.util.find_spec(n) for n in ("torch", "skorch"))
    assert ("left out" in skorch_rows[0]) == (not has_skorch)
