"""The search's progress bar on a terminal: one line on standard error.

``fit`` listens to the search (:func:`sksmooth.model_selection._report.search_progress`)
and, on a terminal and without ``--quiet``, redraws one line as the fold paths
finish, once the search has run :data:`DELAY` seconds (short searches stay
silent), and clears it when the search ends. No dependency: a carriage return
and the line.
"""

import time
from typing import TextIO

# Seconds a search runs before the bar appears.
DELAY = 2.0
WIDTH = 24


class ProgressBar:
    """``search [#######-----]  12/50 fold paths, 8 s, about 25 s left``.

    A listener of ``search_progress``: called with the finished fold paths
    ``done`` of ``total`` and the ``seconds`` since the round started.

    Examples
    --------
    >>> import io
    >>> stream = io.StringIO()
    >>> bar = ProgressBar(stream, delay=0)
    >>> bar(1, 4, 2.0)
    >>> stream.getvalue()
    '\\rsearch [######------------------] 1/4 fold paths, 2 s, about 6 s left'
    """

    def __init__(self, stream: TextIO, delay: float | None = None):
        self.stream = stream
        self.delay = DELAY if delay is None else delay
        self.started = time.perf_counter()
        self.width = 0  # of the line on screen, 0 when none is

    def __call__(self, done: int, total: int, seconds: float) -> None:
        if time.perf_counter() - self.started < self.delay:
            return
        filled = round(WIDTH * done / total)
        left = seconds / done * (total - done)
        line = (
            f"search [{'#' * filled}{'-' * (WIDTH - filled)}] {done}/{total} fold "
            f"paths, {seconds:.0f} s"
            + (f", about {left:.0f} s left" if done < total else "")
        )
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def close(self) -> None:
        """Clear the line, if one was drawn."""
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def progress_bar(stream: TextIO, quiet: bool) -> ProgressBar | None:
    """A bar on ``stream`` if it is a terminal and ``quiet`` is not set."""
    isatty = getattr(stream, "isatty", None)
    if quiet or isatty is None or not isatty():
        return None
    return ProgressBar(stream)
