"""The in-process CLI runner: ``mcpctl("call", "--stdio", DEMO, "echo", "message=hi")`` → exit code, stdout, stderr.

Like httpie's ``tests/utils::http()`` and gh's ``iostreams.Test()``: the command tree runs in this process through
the one boundary (``mcpctl.cli.main.run``) with in-memory streams (``Streams.for_test``), so a test pays no
interpreter start-up, while the servers it talks to stay real (stdio servers are real child processes). For the
length of the run ``sys.stdout``, ``sys.stderr`` and ``sys.stdin`` are the same ``StringIO`` objects (click writes
usage errors and ``--help`` there directly; ``--args -`` and ``batch -`` read ``sys.stdin``); the extra environment,
the logging handlers the run installs and the three ``sys`` streams are put back afterwards. Each run starts, as
a new process would, with no secret remembered by the process-global redactor.

A result asserts nothing: tests assert. Two guards only, which fail the test at once: a Python traceback on
stderr unless ``--debug`` was passed (``--debug`` prints tracebacks on purpose), and a run still going after
``timeout`` seconds (it is interrupted as Ctrl-C would, so its servers are shut down, like a subprocess killed
by ``subprocess.run(timeout=…)``).
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO, cast

import pytest
from conftest import TRACEBACK_MARKS

from mcpctl.cli.main import run
from mcpctl.core.secrets import redact
from mcpctl.output.streams import Streams


@dataclass(frozen=True)
class Result:
    """One finished ``mcpctl`` run: its exit code, what it wrote to stdout and stderr, and how long it took."""

    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    elapsed: float

    def json(self) -> Any:
        """stdout as one JSON document."""
        return json.loads(self.stdout)

    def __str__(self) -> str:  # shown by pytest when an assertion on the result fails
        return (
            f"mcpctl {' '.join(self.args)}\nexit {self.exit_code} after {self.elapsed:.2f}s\n"
            f"stdout[:2000]: {self.stdout[:2000]!r}\nstderr:\n{self.stderr[-4000:]}"
        )


def mcpctl(
    *args: str,
    tty: bool = False,
    color: bool = False,
    stdin: str = "",
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> Result:
    """Run ``mcpctl ARGS`` in this process and return what it did.

    ``tty``: stdout, stderr and stdin pretend to be a terminal (``color``: one that shows colour).
    ``stdin``: what is read from standard input. ``env``: variables set on top of the test's isolated environment,
    for the run and the servers it starts. ``timeout``: seconds before the run is interrupted and the test fails.
    """
    streams = Streams.for_test(tty=tty, color=color, stdin=stdin)
    watchdog = _Watchdog(timeout)
    redact.clear()  # as in a new process: no secret remembered from an earlier run can mask a leak in this one
    with _environment(env or {}), _logging_restored(streams), _sys_streams(streams):
        started = time.monotonic()
        try:
            try:
                watchdog.start()
                code = run(list(args), streams)
            finally:
                watchdog.stop()
        except KeyboardInterrupt:  # the watchdog's SIGINT, arriving just after the run had finished
            if not watchdog.fired:
                raise
            code = 128 + signal.SIGINT
        elapsed = time.monotonic() - started
    result = Result(tuple(args), code, _text(streams.out), _text(streams.err), elapsed)
    if watchdog.fired:
        pytest.fail(f"still running after {timeout}s: interrupted\n{result}", pytrace=False)
    if "--debug" not in args and any(mark in result.stderr for mark in TRACEBACK_MARKS):
        pytest.fail(f"a Python traceback reached stderr (without --debug)\n{result}", pytrace=False)
    return result


class _Watchdog:
    """Sends this process SIGINT (what Ctrl-C sends) once ``seconds`` pass, unless stopped first."""

    def __init__(self, seconds: float) -> None:
        self.timer = threading.Timer(seconds, self._fire)
        self.timer.daemon = True
        self.lock = threading.Lock()
        self.armed = True
        self.fired = False

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        with self.lock:
            self.armed = False
        self.timer.cancel()

    def _fire(self) -> None:
        with self.lock:
            if self.armed:
                self.fired = True
                os.kill(os.getpid(), signal.SIGINT)


def _text(stream: TextIO) -> str:
    """What was written to one of ``Streams.for_test``'s in-memory streams."""
    return cast(io.StringIO, stream).getvalue()


@contextmanager
def _sys_streams(streams: Streams) -> Iterator[None]:
    saved = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr, sys.stdin = streams.out, streams.err, cast(TextIO, streams.inp)
    try:
        yield
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved


@contextmanager
def _environment(extra: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _logging_restored(streams: Streams) -> Iterator[None]:
    """A run points loggers (ours, the SDK's) at its stderr; afterwards the loggers that existed are as they were,
    and those made during the run no longer write to its streams."""
    manager = logging.Logger.manager

    def loggers() -> list[logging.Logger]:
        return [logging.getLogger(), *(x for x in manager.loggerDict.values() if isinstance(x, logging.Logger))]

    saved = [(logger, logger.handlers[:], logger.propagate, logger.level) for logger in loggers()]
    try:
        yield
    finally:
        for logger, handlers, propagate, level in saved:
            logger.handlers[:] = handlers
            logger.propagate = propagate
            logger.setLevel(level)
        ours = (streams.out, streams.err)
        for logger in loggers():
            logger.handlers[:] = [h for h in logger.handlers if getattr(h, "stream", None) not in ours]
