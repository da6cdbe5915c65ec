"""``mcpctl shell`` at a real pseudo-terminal (pexpect): calls, completion, Ctrl-C, history, Ctrl-D, no orphans."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from e2e.helpers import DEMO, mcpctl_argv

pexpect = pytest.importorskip("pexpect")

WAIT = 60  # generous: a loaded two-core machine


def spawn(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> object:
    argv = mcpctl_argv("shell", *args)
    full = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm", "NO_COLOR": "1", **(env or {})}
    return pexpect.spawn(argv[0], argv[1:], env=full, encoding="utf-8", timeout=WAIT, dimensions=(40, 200))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def server_pids(marker: str) -> list[int]:
    """Processes whose command line contains ``marker`` (the servers this test started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_history_survives_across_two_runs(tmp_path: Path) -> None:
    first = spawn(tmp_path, "--stdio", DEMO)
    first.expect_exact("mcpctl>")
    first.send("add a=40 b=2" + "\r")
    first.expect_exact("42")
    first.expect_exact("mcpctl>")
    first.send("quit" + "\r")
    first.expect(pexpect.EOF)
    second = spawn(tmp_path, "--stdio", DEMO)
    second.expect_exact("mcpctl>")
    second.send("history" + "\r")
    second.expect(r'add\s+.*\{"a":40,"b":2\}')
    second.expect_exact("mcpctl>")
    second.sendeof()
    second.expect(pexpect.EOF)
    second.close()
    assert second.exitstatus == 0
