"""benchmarks/run.py --quick runs and writes its table (nothing about speed)."""

import importlib.util
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

    # --write-readme replaces exactly the text between the markers
    spec = importlib.util.spec_from_file_location(
        "concurrency_benchmark", ROOT / "benchmarks" / "concurrency.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{module.START}\nold\n{module.END}\nafter\n")
    monkeypatch.setattr(module, "README", readme)
    module.write_readme(text)
    assert readme.read_text() == f"before\n{text}\nafter\n"
