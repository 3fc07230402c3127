"""The README is a landing page whose numbers come from scripts; the usage page's
example runs as written."""

import re
from pathlib import Path

from benchmarks import calibration_study

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
USAGE = ROOT / "docs" / "usage.md"


def test_usage_example_runs(capsys):
    text = USAGE.read_text()
    usage = text[text.index("# Usage") :]
    code = re.search(r"```python\n(.*?)```", usage, flags=re.S).group(1)
    exec(compile(code, "docs/usage.md (Usage)", "exec"), {})
    out = capsys.readouterr().out
    assert "clf__epsilon" in out
    assert "[0 1 2]" in out


def test_readme_is_a_landing_page():
    assert len(README.read_text()) <= 20_000


def test_readme_headline_is_the_study_pages_table():
    """The short table is a subset of the study's, as the script writes it."""
    readme = README.read_text()
    start = readme.index(calibration_study.HEADLINE_START)
    start += len(calibration_study.HEADLINE_START)
    block = readme[start : readme.index(calibration_study.HEADLINE_END)].strip()
    page = (ROOT / "docs" / "choosing_epsilon.md").read_text()
    assert block == calibration_study.headline_table(page)
    # the rows: three contenders for each of the three learners
    assert block.count("\n| ") == 9


def test_headline_table_takes_the_rows_it_names(tmp_path):
    start, end = calibration_study.START, calibration_study.END
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
        f"top\n{calibration_study.HEADLINE_START}\n"
        f"{calibration_study.HEADLINE_END}\nbottom\n"
    )
    calibration_study.write_headline(page, readme)
    lines = readme.read_text().splitlines()
    assert lines[0] == "top" and lines[-1] == "bottom"
    assert lines[4:6] == [
        "| linear (`SoftmaxRegression`) | `LabelSmoothingClassifierCV`: ε, "
        "regulariser, temperature | 0.5 | 0.1 | 0.9 |",
        "| network (`SoftMLPClassifier`) | temperature scaling | 0.7 | 0.2 | 0.8 |",
    ]
