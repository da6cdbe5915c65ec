"""Progress of calls in flight, on stderr only: a live line on a terminal, a line each with ``-v``, none with ``-q``.

The live line is redrawn in place (``\\r`` + clear line) and wiped before anything else is
written to stderr, so notes, warnings and errors never land in the middle of it.
"""

from __future__ import annotations

import time
from typing import TextIO

from mcpctl.core.progress import Progress
from mcpctl.core.secrets import redact
from mcpctl.output.sanitize import cell

#: The shortest gap between two redraws of the live line (a chatty server must not flood the terminal).
REDRAW_EVERY = 0.1
BAR_WIDTH = 20
CLEAR_LINE = "\r\x1b[2K"


class ProgressView:
    """Shows progress notifications: ``mode`` is ``bar`` (a terminal), ``lines`` (``-v``) or ``off``."""

    def __init__(self, err: TextIO, mode: str, width: int = 100) -> None:
        self.err = err
        self.mode = mode
        self.width = width
        self.drawn = False
        self._last = 0.0

    @classmethod
    def choose(cls, err: TextIO, *, tty: bool, quiet: bool, verbose: bool) -> ProgressView:
        """Nothing with ``-q``; one line per notification with ``-v``; else a live line on a terminal."""
        mode = "off" if quiet else "lines" if verbose else "bar" if tty else "off"
        return cls(err, mode)

    def __call__(self, update: Progress) -> None:
        if self.mode == "lines":
            self._write(f"mcpctl: progress: {cell(redact(update.describe()))}\n")
        elif self.mode == "bar":
            now = time.monotonic()
            if now - self._last < REDRAW_EVERY and not _finished(update):
                return
            self._last = now
            self._write(CLEAR_LINE + self.line(update))
            self.drawn = True

    def line(self, update: Progress) -> str:
        """The live line: a bar when the total is known, then what ``describe`` says, cut to the width."""
        bar = ""
        if update.total:
            filled = min(BAR_WIDTH, int(BAR_WIDTH * update.progress / update.total))
            bar = "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "] "
        text = bar + cell(redact(update.describe()))
        return text if len(text) <= self.width else text[: self.width - 1] + "…"

    def clear(self) -> None:
        """Wipe the live line (before other stderr output, and at the end)."""
        if self.drawn:
            self.drawn = False
            self._write(CLEAR_LINE)

    def _write(self, text: str) -> None:
        self.err.write(text)
        self.err.flush()


def _finished(update: Progress) -> bool:
    return bool(update.total) and update.progress >= (update.total or 0)
