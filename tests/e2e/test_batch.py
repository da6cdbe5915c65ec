"""``mcpctl batch`` as a real process: the progress bar on a pseudo-terminal, and a soak against a server that is
killed at random moments (results in order, only calls in flight lost, no server left behind).

The format, exit codes and messages of ``batch`` are in-process tests (``tests/cli/test_batch.py``). The flaky
test server logs every tool call to ``$FLAKY_STATE`` and its pid to ``$FLAKY_PIDFILE`` on start (``conftest.Flaky``).
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import random
import re
import signal
import subprocess
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import Flaky, wait_pids_gone

from e2e.helpers import DEMO, assert_clean_stderr, flaky, mcpctl_argv, run_mcpctl

pytestmark = pytest.mark.e2e

SUMMARY = re.compile(r"batch: (\d+) calls, (\d+) failed, (\d+) skipped, (\d+) retried, ([\d.]+)s")


def jsonl(path: Path, lines: Sequence[dict[str, Any] | str]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8")
    return path


def results(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def summary(stderr: str) -> tuple[int, int, int, int, float]:
    found = SUMMARY.findall(stderr)
    assert len(found) == 1, stderr
    calls, failed, skipped, retried, seconds = found[0]
    return int(calls), int(failed), int(skipped), int(retried), float(seconds)


def echo(identifier: str, message: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"id": identifier, "tool": "echo", "arguments": {"message": message}, **extra}


# ------------------------------------------------------------------------------------------------ terminal


def test_progress_bar_on_a_real_terminal_while_stdout_stays_ndjson(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "b.jsonl", [echo(f"p{n}") for n in range(3)])
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            mcpctl_argv("batch", str(path), "--stdio", DEMO),
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
    assert proc.returncode == 0
    terminal = b"".join(chunks).decode(errors="replace")
    assert "3/3" in terminal and "\r" in terminal
    assert "batch: 3 calls" in terminal
    assert len(stdout.splitlines()) == 3  # stdout stays NDJSON only


# ------------------------------------------------------------------------------------------------ soak


class Killer(threading.Thread):
    """Kill the serving flaky server (SIGKILL) at random moments, once it has answered some calls."""

    def __init__(self, spy: Flaky, seed: int = 1) -> None:
        super().__init__(daemon=True)
        self.spy = spy
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.kills = 0

    def size(self) -> int:
        try:
            return self.spy.state.stat().st_size
        except FileNotFoundError:
            return 0

    def run(self) -> None:
        killed: set[int] = set()
        while not self.stop.is_set():
            pids = [p for p in self.spy.pids() if p not in killed]
            if not pids:
                self.stop.wait(0.01)
                continue
            pid, size = pids[-1], self.size()
            while not self.stop.is_set() and self.size() <= size:  # wait until it serves calls
                self.stop.wait(0.01)
            if self.stop.wait(self.rng.uniform(0.15, 0.5)):
                return
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                self.kills += 1
            killed.add(pid)


def test_soak_2000_calls_against_a_server_killed_at_random_moments(fl: Flaky, tmp_path: Path) -> None:
    total = 2000
    lines = [
        {"id": f"r{n}", "tool": "flaky_read", "arguments": {"key": str(n)}}
        if n % 2
        else {"id": f"e{n}", "tool": "echo", "arguments": {"message": str(n)}}
        for n in range(total)
    ]
    path = jsonl(tmp_path / "soak.jsonl", lines)
    killer = Killer(fl)
    killer.start()
    try:
        r = run_mcpctl("batch", str(path), "--stdio", flaky(), "-j", "8", "--retries", "6", env=fl.env, timeout=120)
    finally:
        killer.stop.set()
        killer.join(5)
    assert_clean_stderr(r)
    out = results(r.stdout)
    assert len(out) == total
    assert [x["id"] for x in out] == [x["id"] for x in lines]  # unique, in input order, one line each
    reads = [x for x in out if x["tool"] == "flaky_read"]
    assert all(x["ok"] for x in reads), [x for x in reads if not x["ok"]][:3]
    assert all(x["result"]["content"][0]["text"] == f"read {x['id'][1:]}" for x in reads)
    failures = [x for x in out if not x["ok"]]
    assert all(x["tool"] == "echo" and x["attempts"] == 1 for x in failures), failures[:3]
    assert Counter(x["error"]["type"] for x in failures).keys() <= {"connection_closed"}
    assert len(failures) <= 8 * killer.kills  # only calls in flight when the server died
    calls, failed, skipped, retried, _ = summary(r.stderr)
    assert (calls, failed, skipped) == (total, len(failures), 0)
    assert r.returncode == (1 if failures else 0)
    assert killer.kills >= 2, f"only {killer.kills} kills: the soak did not exercise restarts"
    assert retried >= 1
    assert killer.kills <= len(fl.pids()) <= killer.kills + 1  # the last kill may hit a server being closed
    assert wait_pids_gone(fl.pids(), timeout=5) == []  # no server left behind
