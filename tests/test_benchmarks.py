"""benchmarks/run.py --quick runs every study and writes its tables (nothing
about speed)."""

import subprocess
import sys
from pathlib import Path

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
