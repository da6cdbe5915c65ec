"""Long-running calls in a real process: the live progress line on a pseudo-terminal, and no server left behind."""

from __future__ import annotations

import contextlib
import os
import pty
import shlex
import subprocess
import sys
from pathlib import Path

from conftest import SERVERS_DIR, wait_pids_gone

from e2e.helpers import assert_clean_stderr, mcpctl_argv, run_mcpctl

LONG = f"{shlex.quote(sys.executable)} {shlex.quote(str(SERVERS_DIR / 'long.py'))}"


def test_progress_is_a_live_line_on_a_real_terminal_and_stdout_keeps_only_the_result() -> None:
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            mcpctl_argv("call", "--stdio", LONG, "work", "seconds=1.5", "step=0.25", "--timeout", "1"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=slave,
            env=dict(os.environ),
        )
        os.close(slave)
        chunks: list[bytes] = []
        with contextlib.suppress(OSError):  # EIO once the child closes its end
            while data := os.read(master, 4096):
                chunks.append(data)
        stdout = proc.communicate(timeout=30)[0]
    finally:
        os.close(master)
    assert proc.returncode == 0  # 1.5 s of work under --timeout 1: progress kept it alive
    assert stdout == b"done\n"
    terminal = b"".join(chunks).decode(errors="replace")
    assert "\r\x1b[2K[####################] long.work: step 6 of 6 6/6 (100%)" in terminal
    assert terminal.endswith("\r\x1b[2K")


def test_a_call_past_max_time_leaves_no_server_running(tmp_path: Path) -> None:
    calls = tmp_path / "calls.txt"
    r = run_mcpctl(
        "call", "--stdio", LONG, "work", "seconds=60", "step=0.2", "--max-time", "1",
        env={"LONG_CALLS": str(calls)},
    )  # fmt: skip
    assert r.returncode == 4, r.stderr
    assert "--max-time (1s)" in r.stderr
    assert_clean_stderr(r)
    started = [line for line in calls.read_text().splitlines() if line.startswith("call work ")]
    assert len(started) == 1
    assert wait_pids_gone([int(started[0].split()[3])]) == []
    assert any(line.startswith("cancelled ") for line in calls.read_text().splitlines())
