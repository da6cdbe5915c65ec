"""stdout and stderr plus what we know of them (TTY, colour): the one injectable streams object."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TextIO


@dataclass
class Streams:
    """stdout and stderr plus what we know of them; injectable for tests."""

    out: TextIO
    err: TextIO
    out_tty: bool = False
    err_tty: bool = False
    color: bool = False
    #: Where a person's answers come from (elicitation prompts); None: nobody can answer.
    inp: TextIO | None = None
    in_tty: bool = False

    @classmethod
    def from_env(cls) -> Streams:
        """The process's real streams; colour on a TTY unless ``NO_COLOR`` is set."""
        out_tty = _isatty(sys.stdout)
        err_tty = _isatty(sys.stderr)
        no_color = bool(os.environ.get("NO_COLOR"))
        color = (out_tty or err_tty) and not no_color
        return cls(sys.stdout, sys.stderr, out_tty, err_tty, color, inp=sys.stdin, in_tty=_isatty(sys.stdin))

    @property
    def interactive(self) -> bool:
        """A person at a terminal: stdin and stdout are real TTYs (a shell or a chat may prompt)."""
        inp = self.inp
        try:
            return bool(self.in_tty and self.out_tty and inp is not None and inp.isatty() and inp.fileno() >= 0)
        except (OSError, ValueError, AttributeError):
            return False

    @classmethod
    def for_test(cls, *, tty: bool = False, color: bool = False, stdin: str = "") -> Streams:
        """In-memory streams that pretend to be (or not be) a terminal; ``stdin`` is what a person types."""
        import io

        return cls(io.StringIO(), io.StringIO(), tty, tty, color, inp=io.StringIO(stdin), in_tty=tty)


def write_all(stream: TextIO, text: str) -> None:
    """Write ``text`` to ``stream`` and flush; on a real file every byte is written, or an ``OSError`` says why.

    ``TextIOWrapper.write`` drops what the kernel did not take of one large write (unbuffered
    stdout, ``PYTHONUNBUFFERED``, a reader gone mid-write), so a file's bytes go out through
    ``os.write`` until none is left: a closed reader raises ``BrokenPipeError``, a full disk ``OSError``.
    """
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # in-memory streams (tests)
        stream.write(text)
        stream.flush()
        return
    stream.flush()
    data = memoryview(text.encode(stream.encoding or "utf-8", stream.errors or "strict"))
    while data:
        try:
            data = data[os.write(fd, data) :]
        except BlockingIOError:  # an inherited non-blocking descriptor: wait until it takes more
            import select

            select.select([], [fd], [])


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
