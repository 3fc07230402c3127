"""Every example runs in quick mode and writes its figure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def test_there_are_four_examples():
    assert [p.stem for p in SCRIPTS] == [
        "calibration",
        "grid_search_epsilon",
        "label_noise",
        "tabular_pipeline",
    ]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_example_runs_quickly_and_saves_figure(script, tmp_path):
    env = {**os.environ, "SKSMOOTH_QUICK": "1"}
    result = subprocess.run(
        [sys.executable, str(script), "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    figures = list(tmp_path.glob("*.png"))
    assert [f.name for f in figures] == [f"{script.stem}.png"]
    assert figures[0].stat().st_size > 1000
    assert result.stdout.strip()
