"""Docs pages that scripts write: a generated table put between its own
markers, the rest of the page left alone (every benchmark and study)."""

from __future__ import annotations

import re
from pathlib import Path


def write_between(start: str, end: str, table: str, path: Path) -> None:
    """Put ``table`` between the lines ``start`` and ``end`` in ``path``.

    The rest of the file is kept; a file without the markers gets the block
    appended (a new file holds only the block).
    """
    block = f"{start}\n{table}\n{end}"
    text = path.read_text() if path.exists() else ""
    if start in text and end in text:
        text = re.sub(
            re.escape(start) + ".*?" + re.escape(end),
            lambda _: block,
            text,
            flags=re.S,
        )
    else:
        text = (
            (text + "\n" if text and not text.endswith("\n") else text) + block + "\n"
        )
    path.write_text(text)
