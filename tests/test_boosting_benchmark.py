"""benchmarks/boosting.py --quick runs its three contenders and writes its table
(nothing about speed)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_boosting_benchmark_quick_run_prints_and_writes_its_table(tmp_path):
    output = tmp_path / "performance.rst"
    start, end = "<!-- bench:boosting:start -->", "<!-- bench:boosting:end -->"
    output.write_text(f"intro\n{start}\nSTALE\n{end}\nend\n")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "boosting.py"),
            "--quick",
            "--output",
            str(output),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    text = output.read_text()
    assert text.startswith(f"intro\n{start}\n") and text.endswith(f"{end}\nend\n")
    assert "STALE" not in text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    # a header, one row per contender, the soft / expansion ratio
    assert len(rows) == 1 + 3 + 1
    assert "SoftLGBMClassifier" in rows[1] and "hard labels" in rows[2]
    assert "expansion" in rows[3] and "soft / expansion time" in rows[4]
    # the printed table is the one written
    assert rows[1] in done.stdout and rows[4] in done.stdout
