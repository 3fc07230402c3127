"""The README's Usage example runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_usage_example_runs(capsys):
    text = README.read_text()
    usage = text[text.index("## Usage") :]
    code = re.search(r"```python\n(.*?)```", usage, flags=re.S).group(1)
    exec(compile(code, "README.md (Usage)", "exec"), {})
    out = capsys.readouterr().out
    assert "clf__epsilon" in out
    assert "[0 1 2]" in out
