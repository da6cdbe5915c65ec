"""No orphans, on every path; Ctrl-C and SIGTERM shut child servers down first (exit 130 / 143)."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import pids_alive, read_pids, wait_pids_gone

from e2e.helpers import (
    DEMO,
    assert_clean_stderr,
    faulty,
    mcpctl_argv,
    run_mcpctl,
)

pytestmark = pytest.mark.e2e

#: The demo server, started by a shell that first leaves a `sleep 300` behind in the server's process group.
DEMO_WITH_GRANDCHILD = shlex.join(["sh", "-c", f"sleep 300 </dev/null >/dev/null 2>&1 & exec {DEMO}"])


def children_of(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (scanning /proc; the server runs in its own session, so no pgrep -g)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


def wait_for_pids(path: Path, count: int, timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while len(pids := read_pids(path)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(pids) >= count, f"the server did not write {count} pids to {path}"
    return pids


def wait_for_trace(
    path: Path, proc: subprocess.Popen[str], done: Callable[[list[dict[str, Any]]], bool], timeout: float = 20.0
) -> None:
    """Wait until the ``--trace`` records written so far satisfy ``done`` (while mcpctl is still running)."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(FileNotFoundError):
            text = path.read_text()
            complete = text[: text.rfind("\n") + 1]  # not a record still being written
            if done([json.loads(line) for line in complete.splitlines()]):
                return
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"the trace never showed what was awaited: {path.read_text()!r}"
        time.sleep(0.02)


def requests_sent(records: list[dict[str, Any]], method: str | None = None) -> list[dict[str, Any]]:
    """The messages mcpctl sent (requests of ``method``, if given)."""
    out = [r["message"] for r in records if r["dir"] == "out"]
    return [m for m in out if m.get("method") == method] if method else out


def wait_for_children(pid: int, timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while not (kids := children_of(pid)):
        assert time.monotonic() < deadline, f"process {pid} started no child"
        time.sleep(0.02)
    return kids


@pytest.fixture
def spawned() -> Iterator[list[subprocess.Popen[str]]]:
    """Popen'ed mcpctl processes, killed (with their servers' groups) if a test leaves them running."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            for child in children_of(proc.pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child, signal.SIGKILL)
            proc.kill()
            proc.communicate()


def start_mcpctl(spawned: list[subprocess.Popen[str]], *args: str) -> tuple[subprocess.Popen[str], int]:
    """Start mcpctl in the background and wait for its stdio server; returns the process and the server pid."""
    proc = subprocess.Popen(
        mcpctl_argv(*args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    spawned.append(proc)
    deadline = time.monotonic() + 20
    while not (kids := children_of(proc.pid)):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "mcpctl started no server"
        time.sleep(0.02)
    assert len(kids) == 1, kids
    return proc, kids[0]


# ----------------------------------------------------------------------------------------------------------- orphans


def test_grandchildren_are_gone_after_a_successful_call(pidfile: Path) -> None:
    r = run_mcpctl("call", "--stdio", faulty("grandchild"), "echo", "message=x")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "x\n"
    assert r.stderr == ""
    pids = read_pids(pidfile)
    assert len(pids) == 2  # the server, then its `sleep 300`
    assert pids_alive(pids) == []


def test_a_server_ignoring_sigterm_is_killed(pidfile: Path, tmp_path: Path) -> None:
    trace = tmp_path / "wire.jsonl"
    r = run_mcpctl("call", "--stdio", faulty("ignore-sigterm"), "echo", "message=x", "--trace", str(trace), timeout=30)
    ended = time.time()  # the trace's clock
    assert r.returncode == 0, r.stderr
    # From the answer to mcpctl's exit: stdin closed, a short grace, SIGTERM ignored, SIGKILL after TERM_GRACE (2 s).
    # (Measured from the answer, not from the start: starting two interpreters is slow on a loaded machine.)
    answered = max(record["ts"] for record in map(json.loads, trace.read_text().splitlines()) if record["dir"] == "in")
    assert ended - answered < 5
    assert r.stdout == "x\n"
    assert_clean_stderr(r)
    pids = read_pids(pidfile)
    assert len(pids) == 1
    assert pids_alive(pids) == []


def test_grandchildren_are_gone_after_a_failed_call(pidfile: Path) -> None:
    r = run_mcpctl("call", "--stdio", faulty("grandchild"), "nosuch")
    assert r.returncode == 2
    assert r.stdout == ""
    assert "unknown tool 'nosuch'" in r.stderr
    assert_clean_stderr(r)
    pids = read_pids(pidfile)
    assert len(pids) == 2
    assert pids_alive(pids) == []


def test_grandchildren_are_gone_after_an_argument_error(pidfile: Path) -> None:
    r = run_mcpctl("call", "--stdio", faulty("grandchild"), "echo")
    assert r.returncode == 2
    assert r.stdout == ""
    assert "missing required argument 'message'" in r.stderr
    assert_clean_stderr(r)
    pids = read_pids(pidfile)
    assert len(pids) == 2
    assert pids_alive(pids) == []


def test_grandchildren_are_gone_after_tools_list(pidfile: Path) -> None:
    r = run_mcpctl("tools", "list", "--stdio", faulty("grandchild"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\t")[1] == "echo"
    assert r.stderr == ""
    pids = read_pids(pidfile)
    assert len(pids) == 2
    assert pids_alive(pids) == []


# ----------------------------------------------------------------------------------------------------------- signals


@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["SIGINT", "SIGTERM"],
)
def test_signal_during_a_call_shuts_the_server_down_first(
    spawned: list[subprocess.Popen[str]], tmp_path: Path, signum: signal.Signals, code: int, word: str
) -> None:
    trace = tmp_path / "wire.jsonl"
    proc, server = start_mcpctl(
        spawned, "call", "--stdio", DEMO_WITH_GRANDCHILD, "slow", "seconds=30", "--trace", str(trace)
    )
    grandchildren = wait_for_children(server)
    # Connected, and waiting for the tool:
    wait_for_trace(trace, proc, lambda records: bool(requests_sent(records, "tools/call")))
    assert proc.poll() is None
    sent = time.monotonic()
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=15)
    assert proc.returncode == code, stderr
    assert time.monotonic() - sent < 5
    assert stdout == ""
    assert word in stderr
    assert "Traceback" not in stderr
    assert wait_pids_gone([server, *grandchildren], timeout=1) == []


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_signal_while_connecting_shuts_the_server_down(
    spawned: list[subprocess.Popen[str]], tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    trace = tmp_path / "wire.jsonl"
    proc, server = start_mcpctl(
        spawned,
        "call",
        "--stdio",
        faulty("hang-at-start"),
        "echo",
        "message=x",
        "--connect-timeout",
        "60",
        "--trace",
        str(trace),
    )
    wait_for_trace(trace, proc, lambda records: bool(requests_sent(records)))  # connecting: the first request is out
    assert proc.poll() is None
    sent = time.monotonic()
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=15)
    assert proc.returncode == code, stderr
    assert time.monotonic() - sent < 5
    assert stdout == ""
    assert "Traceback" not in stderr
    assert wait_pids_gone([server], timeout=1) == []


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_signal_during_a_batch_flushes_finished_results_and_shuts_the_server_down(
    spawned: list[subprocess.Popen[str]], tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    lines = [f'{{"id": "e{i}", "tool": "echo", "arguments": {{"message": "m{i}"}}}}' for i in range(3)]
    lines += [f'{{"id": "s{i}", "tool": "slow", "arguments": {{"seconds": 30}}}}' for i in range(3)]
    calls = tmp_path / "calls.jsonl"
    calls.write_text("\n".join(lines) + "\n")
    trace = tmp_path / "wire.jsonl"
    proc, server = start_mcpctl(
        spawned, "batch", str(calls), "--stdio", DEMO_WITH_GRANDCHILD, "-j", "1", "--trace", str(trace)
    )
    grandchildren = wait_for_children(server)
    assert proc.stdout is not None
    first = [proc.stdout.readline() for _ in range(3)]  # streamed as they finish
    assert [line.split('"id":"')[1][:2] for line in first] == ["e0", "e1", "e2"]
    wait_for_trace(trace, proc, lambda records: len(requests_sent(records, "tools/call")) >= 4)  # s0 is in flight
    sent = time.monotonic()
    proc.send_signal(signum)
    rest, stderr = proc.communicate(timeout=15)
    assert proc.returncode == code, stderr
    assert time.monotonic() - sent < 5
    assert rest == ""  # nothing half-written, nothing reported twice
    assert "Traceback" not in stderr
    assert wait_pids_gone([server, *grandchildren], timeout=1) == []
