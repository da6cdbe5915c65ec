"""Nothing a stdio server started survives mcpctl, even outside its process group; a request abandoned on Ctrl-C or
SIGTERM is cancelled on the server; reading a flood of stderr keeps mcpctl's memory bounded (issue 12: D, 10, E).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from conftest import FAULTY, read_pids, serve_asgi, wait_pids_gone

from e2e.helpers import assert_clean_stderr, faulty, mcpctl_argv, run_mcpctl

pytestmark = pytest.mark.e2e

SIGNALS = pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)


def with_setpgid_grandchild(command_line: str) -> str:
    """``command_line``, run by a Python that first leaves a ``sleep 300`` in a process group of its own (but in the
    same session); both pids (the server's, then the sleep's) are appended to $FAULTY_PIDFILE."""
    code = (
        "import os, shlex, subprocess, sys\n"
        "kid = subprocess.Popen(['sleep', '300'], process_group=0, stdin=subprocess.DEVNULL,\n"
        "                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "with open(os.environ['FAULTY_PIDFILE'], 'a') as f:\n"
        "    f.write(f'{os.getpid()}\\n{kid.pid}\\n')\n"
        f"argv = shlex.split({command_line!r})\n"
        "os.execvp(argv[0], argv)\n"
    )
    return shlex.join([sys.executable, "-c", code])


def wait_for_line(path: Path, prefix: str, timeout: float = 20.0) -> str:
    """The first line of the file at ``path`` that starts with ``prefix``, once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError):
            for line in path.read_text().splitlines():
                if line.startswith(prefix):
                    return line
        time.sleep(0.02)
    raise AssertionError(f"no line starting with {prefix!r} in {path}")


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Popen'ed mcpctl processes, killed if a test leaves them running."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def start(procs: list[subprocess.Popen[str]], *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        mcpctl_argv(*args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    procs.append(proc)
    return proc


# ----------------------------------------------------------------------------------- grandchildren (issue 12 D)


@pytest.mark.parametrize(
    ("args", "code"),
    [(("echo", "message=x"), 0), (("nosuch",), 2), (("echo",), 2)],
    ids=["success", "unknown-tool", "missing-argument"],
)
def test_a_grandchild_that_left_the_process_group_is_gone_after_mcpctl_exits(
    pidfile: Path, args: tuple[str, ...], code: int
) -> None:
    r = run_mcpctl("call", "--stdio", faulty("grandchild", "setpgid"), *args)
    assert r.returncode == code, r.stderr
    assert r.stdout == ("x\n" if code == 0 else "")
    assert_clean_stderr(r)
    pids = read_pids(pidfile)
    assert len(pids) == 2  # the server, then its `sleep 300` in a process group of its own
    assert wait_pids_gone(pids, timeout=1) == []


@SIGNALS
def test_a_signal_mid_call_leaves_no_grandchild_outside_the_process_group(
    started: list[subprocess.Popen[str]], pidfile: Path, tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    calls = tmp_path / "calls.txt"
    server = with_setpgid_grandchild(faulty("cancel-spy"))
    proc = start(started, "call", "--stdio", server, "slow", env={"FAULTY_CALLS": str(calls)})
    wait_for_line(calls, "slow ")  # the call is in flight
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=15)
    assert proc.returncode == code, stderr
    assert stdout == ""
    assert "Traceback" not in stderr
    pids = read_pids(pidfile)
    assert len(pids) == 2
    assert wait_pids_gone(pids, timeout=1) == []


# ---------------------------------------------------------------------------- abandoned requests (issue 12 item 10)


@SIGNALS
def test_a_signal_mid_call_sends_notifications_cancelled_to_a_stdio_server(
    started: list[subprocess.Popen[str]], tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    calls = tmp_path / "calls.txt"
    proc = start(started, "call", "--stdio", faulty("cancel-spy"), "slow", env={"FAULTY_CALLS": str(calls)})
    request_id = wait_for_line(calls, "slow ").split()[1]
    sent = time.monotonic()
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=15)
    assert proc.returncode == code, stderr
    assert time.monotonic() - sent < 5
    assert stdout == ""
    assert "Traceback" not in stderr
    assert wait_for_line(calls, "cancelled ", timeout=2) == f"cancelled {request_id}"


def test_ctrl_c_during_a_batch_cancels_every_request_in_flight(
    started: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    calls = tmp_path / "calls.txt"
    calls.touch()
    batch = tmp_path / "calls.jsonl"
    batch.write_text("".join(f'{{"id": "s{i}", "tool": "slow"}}\n' for i in range(4)))
    server = faulty("cancel-spy")
    proc = start(started, "batch", str(batch), "--stdio", server, "-j", "2", env={"FAULTY_CALLS": str(calls)})
    deadline = time.monotonic() + 20
    while len(slow := [line for line in calls.read_text().splitlines() if line.startswith("slow ")]) < 2:
        assert time.monotonic() < deadline, "two calls never were in flight"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 130, stderr
    time.sleep(0.5)
    lines = calls.read_text().splitlines()
    assert sorted(line for line in lines if line.startswith("cancelled ")) == sorted(
        f"cancelled {line.split()[1]}" for line in slow
    )
    assert len([line for line in lines if line.startswith("slow ")]) == 2  # no new call started meanwhile


def test_a_call_that_times_out_sends_notifications_cancelled(tmp_path: Path) -> None:
    calls = tmp_path / "calls.txt"
    r = run_mcpctl("call", "--stdio", faulty("cancel-spy"), "slow", "--timeout", "1", env={"FAULTY_CALLS": str(calls)})
    assert r.returncode == 4, r.stderr
    assert r.stdout == ""
    assert_clean_stderr(r)
    request_id = wait_for_line(calls, "slow ").split()[1]
    assert wait_for_line(calls, "cancelled ", timeout=2) == f"cancelled {request_id}"


def _faulty_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mcpctl_tests_faulty", FAULTY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@SIGNALS
@pytest.mark.parametrize(
    ("protocol", "seen", "wait"),
    [
        # The handshake era: the server gets notifications/cancelled for the request.
        ("legacy", "cancelled ", 2),
        # 2026-07-28 has no notifications/cancelled for this: closing the request's response stream cancels it.
        ("2026-07-28", "ended ", 5),
    ],
    ids=["legacy", "2026-07-28"],
)
def test_a_signal_mid_call_over_streamable_http_stops_the_request_on_the_server(
    started: list[subprocess.Popen[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    signum: signal.Signals,
    code: int,
    protocol: str,
    seen: str,
    wait: float,
) -> None:
    calls = tmp_path / "calls.txt"
    monkeypatch.setenv("FAULTY_CALLS", str(calls))  # the server runs in this process
    app = _faulty_module().build_mcpserver("cancel-spy").streamable_http_app(host="127.0.0.1")
    with serve_asgi(app) as base:
        proc = start(started, "call", "--url", f"{base}/mcp", "--protocol", protocol, "slow")
        request_id = wait_for_line(calls, "slow ").split()[1]
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=15)
        assert proc.returncode == code, stderr
        assert stdout == ""
        assert "Traceback" not in stderr
        assert wait_for_line(calls, seen, timeout=wait) == f"{seen}{request_id}"


# ------------------------------------------------------------------------------------ bounded memory (issue 12 E)


def test_60_mib_of_stderr_without_a_newline_keeps_mcpctl_memory_bounded() -> None:
    """Peak RSS of mcpctl (and its server) measured by a fresh parent, so no earlier child counts."""
    argv = mcpctl_argv("call", "--stdio", faulty("long-lines"), "noise", "mb=60", "--timeout", "60")
    probe = (
        "import resource, subprocess, sys\n"
        f"done = subprocess.run({argv!r}, capture_output=True, text=True)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stderr.write(done.stdout + done.stderr)\n"
    )
    measured = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    status, peak_kib = map(int, measured.stdout.split())
    assert status == 0, measured.stderr
    assert measured.stderr == "ok\n"
    # A call costs about 70 MiB; holding the line took mcpctl past 300 MiB.
    assert peak_kib < 150 * 1024, peak_kib
