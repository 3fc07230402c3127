"""The README is a landing page; the usage page's example runs as written.

(That the README's short table is the baselines study's output is checked
beside the study, in ``studies/tests/test_baselines.py``.)"""

import re
from pathlib import Path

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
