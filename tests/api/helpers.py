"""Helpers for the Python API tests: servers described in code, a wire tap, and "nothing left running".

Servers are real child processes. The ``marker`` fixture (``conftest.py``) tags every process a test starts
through the inherited environment, so ``assert_none_left`` checks exactly that test's processes; ``Wire``
records the JSON-RPC methods a toolkit sends: the proof that something was (or was not) sent.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from conftest import FAULTY, marked_pids, wait_pids_gone

import mcpctl
from mcpctl.sessions.options import SessionOptions

#: Generous bounds for a loaded 2-core machine, where a demo server takes seconds to start.
SLOW = 90.0
#: What "promptly" means for a shutdown or a cancellation there.
PROMPT = 15.0
MARK_VAR = "API_TEST_MARK"


def demo(name: str = "demo", **kw: Any) -> mcpctl.Server:
    """The demo server (``python -m mcpctl.demo``), described in code."""
    return mcpctl.Server.stdio(f"{sys.executable} -m mcpctl.demo", name=name, **kw)


def faulty_server(fault: str, name: str = "faulty", arg: str | None = None, **kw: Any) -> mcpctl.Server:
    """``tests/servers/faulty.py --fault FAULT [--arg ARG]``, described in code."""
    argv = [sys.executable, FAULTY, "--fault", fault, *(["--arg", arg] if arg is not None else [])]
    return mcpctl.Server.stdio(argv, name=name, **kw)


@dataclass
class Wire:
    """A toolkit's JSON-RPC traffic, seen through ``SessionOptions(tap=wire)`` (``wire.options``)."""

    messages: list[tuple[str, str, Any]] = field(default_factory=list)

    def __call__(self, server: str, direction: str, message: Any) -> None:
        self.messages.append((server, direction, getattr(message, "message", message)))

    def sent(self, server: str | None = None) -> list[str]:
        """The methods of the requests and notifications sent (to ``server``, or to any server), in order."""
        return [
            str(m.method)
            for s, d, m in self.messages
            if d == "out" and getattr(m, "method", None) and server in (None, s)
        ]

    @property
    def options(self) -> SessionOptions:
        return SessionOptions(tap=self)


def assert_none_left(marker: str, timeout: float = PROMPT) -> None:
    """No process started under ``marker`` is still running (shutdown gets ``timeout`` seconds)."""
    alive = wait_pids_gone(marked_pids(marker), timeout=timeout)
    assert alive == [], f"still running: {alive}"


async def server_pid(tk: mcpctl.AsyncToolkit, server: str) -> int:
    """The pid of ``server``'s stdio child (its session is opened if it is not)."""
    session = await tk.session(server)
    assert session.stdio is not None
    return session.stdio.process.pid
