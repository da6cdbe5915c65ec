"""``mcpctl ping --watch``: a health-check loop that prints only state changes and ends on Ctrl-C with 130.

One round of ``ping``, ``--wait`` and ``--report`` are in-process tests (``tests/cli/test_ping.py``).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from e2e.helpers import DEMO, mcpctl_argv

pytestmark = pytest.mark.e2e


def wait_for_line(stream: Any, needle: str, timeout: float, seen: list[str]) -> None:
    """Read lines from ``stream`` (in a thread) until one contains ``needle``."""
    found = threading.Event()

    def read() -> None:
        for line in stream:
            seen.append(line)
            if needle in line:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(timeout), f"no line with {needle!r} in {timeout}s; got {seen!r}"


def test_watch_prints_state_changes_until_interrupted(tmp_path: Path) -> None:
    """The server is up while a flag file exists, down once it is removed; SIGINT ends the loop with 130."""
    flag = tmp_path / "up"
    flag.touch()
    script = f"test -f {shlex.quote(str(flag))} || exit 3; exec {DEMO}"
    argv = mcpctl_argv(
        "ping", "--watch", "--interval", "0.2", "--timeout", "10", "--stdio", f"sh -c {shlex.quote(script)}"
    )
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    seen: list[str] = []
    try:
        wait_for_line(proc.stdout, "new -> up", 20, seen)
        flag.unlink()
        wait_for_line(proc.stdout, "up -> down", 20, seen)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = [*seen, *out.splitlines(keepends=True)]
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted" in err
    changes = [line for line in lines if "->" in line]
    assert len(changes) == 2, lines  # only changes are printed, not every round
    assert "(2026-07-28," in changes[0]
    assert "status 3" in changes[1]
