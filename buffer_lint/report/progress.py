"""Progress on long runs: ``checked 1,204/5,851 files, 12 findings`` on a terminal, erased at the end.

Shown only on a terminal (never in pipes, CI or with ``-q``), only once a run has taken more
than a second, and redrawn at most ten times a second.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TextIO

DELAY = 1.0  # seconds of silence before the first line
INTERVAL = 0.1  # seconds between redraws


class Progress:
    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.started = clock()
        self.drawn_at: float | None = None
        self.width = 0

    def __call__(self, done: int, total: int, findings: int) -> None:
        now = self.clock()
        if now - self.started < DELAY or (self.drawn_at is not None and now - self.drawn_at < INTERVAL):
            return
        line = f"checked {done:,}/{total:,} files, {findings:,} finding{'s' if findings != 1 else ''}"
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.drawn_at, self.width = now, len(line)

    def close(self) -> None:
        """Erase the line, so that what follows starts on a clean one."""
        if self.drawn_at is not None:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


def progress_for(stream: TextIO, quiet: bool) -> Progress | None:
    """A progress line for ``stream`` when a person is watching it."""
    if quiet or os.environ.get("CI") or not stream.isatty():
        return None
    return Progress(stream)
