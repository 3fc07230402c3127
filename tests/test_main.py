"""The main job: ``python -m sksmooth`` prints its table."""

import subprocess
import sys


def test_python_m_sksmooth_prints_table():
    result = subprocess.run(
        [sys.executable, "-m", "sksmooth"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("| 0.")]
    assert [line.split("|")[1].strip() for line in lines] == [
        "0.00",
        "0.05",
        "0.10",
        "0.20",
    ]
    for line in lines:
        accuracy = float(line.split("|")[2])
        assert 0.9 < accuracy <= 1.0
