"""``mcpctl resources watch`` in a real process: Ctrl-C, SIGTERM and ``| head -n1`` end it cleanly, no server left."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SERVERS_DIR, wait_pids_gone

from e2e.helpers import mcpctl_argv

pytestmark = pytest.mark.e2e

WATCH = f"{shlex.quote(sys.executable)} {shlex.quote(str(SERVERS_DIR / 'watch.py'))} --every 0.2"
#: What the server noted when the watch ended, per era: the handshake era unsubscribes, 2026-07-28 ends the stream.
ENDED = {"legacy": "unsubscribe watch://counter", "auto": "listen-end"}


def server_pid(calls: Path) -> int:
    (line,) = [line for line in calls.read_text().splitlines() if line.startswith("pid ")]
    return int(line.split()[1])


def wait_for_line(path: Path, line: str, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and line in path.read_text().splitlines():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    ("sig", "code", "protocol"),
    [(signal.SIGINT, 130, "legacy"), (signal.SIGINT, 130, "auto"), (signal.SIGTERM, 143, "legacy")],
)
def test_a_signal_mid_watch_ends_it_with_its_exit_status_and_leaves_no_server(
    tmp_path: Path, sig: signal.Signals, code: int, protocol: str
) -> None:
    calls = tmp_path / "calls.txt"
    proc = subprocess.Popen(
        mcpctl_argv("resources", "watch", "--stdio", WATCH, "watch://counter", "--protocol", protocol),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "WATCH_CALLS": str(calls)},
    )
    assert proc.stdout is not None
    first = json.loads(proc.stdout.readline())  # a line as soon as the first update came: flushed, not buffered
    assert first["uri"] == "watch://counter"
    proc.send_signal(sig)
    rest, stderr = proc.communicate(timeout=30)
    assert proc.returncode == code, stderr
    assert all(json.loads(line)["uri"] == "watch://counter" for line in rest.splitlines())
    assert "Traceback" not in stderr
    assert json.loads(stderr.strip().splitlines()[-1])["error"]["exit_code"] == code
    assert wait_pids_gone([server_pid(calls)]) == []
    assert wait_for_line(calls, ENDED[protocol], timeout=1.0), calls.read_text()  # told the server on the way out


@pytest.mark.parametrize("protocol", ["legacy", "auto"])
def test_piped_into_head_n1_it_prints_one_line_and_exits_141_promptly(tmp_path: Path, protocol: str) -> None:
    calls = tmp_path / "calls.txt"
    argv = shlex.join(mcpctl_argv("resources", "watch", "--stdio", WATCH, "watch://counter", "--protocol", protocol))
    started = time.monotonic()
    done = subprocess.run(
        ["bash", "-c", f'{argv} | head -n1; echo "status ${{PIPESTATUS[0]}}" >&2'],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "WATCH_CALLS": str(calls)},
    )
    elapsed = time.monotonic() - started
    (line,) = done.stdout.splitlines()
    assert json.loads(line)["uri"] == "watch://counter"
    assert done.stderr.strip().splitlines()[-1] == "status 141", done.stderr
    assert "Traceback" not in done.stderr and "Broken pipe" not in done.stderr
    assert elapsed < 15  # the next update finds the pipe closed: no waiting for a deadline
    assert wait_pids_gone([server_pid(calls)]) == []
