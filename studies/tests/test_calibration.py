"""``python -m studies.calibration --quick`` writes both of its tables, and the
README's short table is the study page's, as the script writes it."""

import importlib.util
import subprocess
import sys
from pathlib import Path

from studies import calibration

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
    assert "CV eps+reg+T 1se" in text
    skorch_rows = [row for row in rows if "skorch" in row]
    assert len(skorch_rows) == 1
    has_skorch = all(importlib.util.find_spec(n) for n in ("torch", "skorch"))
    assert ("left out" in skorch_rows[0]) == (not has_skorch)


def test_readme_headline_is_the_study_pages_table():
    """The short table is a subset of the study's, as the script writes it."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index(calibration.HEADLINE_START)
    start += len(calibration.HEADLINE_START)
    block = readme[start : readme.index(calibration.HEADLINE_END)].strip()
    page = (ROOT / "docs" / "choosing_epsilon.md").read_text()
    assert block == calibration.headline_table(page)
    # the rows: three contenders for each of the three learners
    assert block.count("\n| ") == 9


def test_headline_table_takes_the_rows_it_names(tmp_path):
    start, end = calibration.START, calibration.END
    page = tmp_path / "page.md"
    page.write_text(
        f"{start}\n| learner | contender | a | b | c | d |\n|---|\n"
        "| softmax | eps=0 | 9 | 9 | 9 | 9 |\n"
        "| softmax | **CV eps+reg+T** | 0.5 | 0.1 | 0.9 | 1 |\n"
        "| mlp | temperature scaling | 0.7 | 0.2 | 0.8 | 1 |\n"
        f"{end}\n"
    )
    readme = tmp_path / "README.md"
    readme.write_text(
        f"top\n{calibration.HEADLINE_START}\n{calibration.HEADLINE_END}\nbottom\n"
    )
    calibration.write_headline(page, readme)
    lines = readme.read_text().splitlines()
    assert lines[0] == "top" and lines[-1] == "bottom"
    assert lines[4:6] == [
        "| linear (`SoftmaxRegression`) | `LabelSmoothingClassifierCV`: ε, "
        "regulariser, temperature | 0.5 | 0.1 | 0.9 |",
        "| network (`SoftMLPClassifier`) | temperature scaling | 0.7 | 0.2 | 0.8 |",
    ]
