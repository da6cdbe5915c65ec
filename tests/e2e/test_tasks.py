"""Tasks in real processes: one process starts a task, another waits for it, and Ctrl-C there cancels it."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SERVERS_DIR

from e2e.helpers import mcpctl_argv, run_mcpctl

TASKS = f"{shlex.quote(sys.executable)} {shlex.quote(str(SERVERS_DIR / 'tasks.py'))}"


def lines_of(log: Path, prefix: str, timeout: float = 10.0) -> list[str]:
    """The server's notes starting with ``prefix``, waiting for the first one."""
    deadline = time.monotonic() + timeout
    while True:
        found = [line for line in (log.read_text().splitlines() if log.exists() else []) if line.startswith(prefix)]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.fixture
def http_tasks(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "log.txt"
    proc = subprocess.Popen(
        [sys.executable, str(SERVERS_DIR / "tasks.py"), "--http", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "TASKS_LOG": str(log)},
    )
    assert proc.stderr is not None
    found = re.search(r"(http://127\.0\.0\.1:\d+/mcp)", proc.stderr.readline())
    assert found
    try:
        yield found.group(1), log
    finally:
        proc.terminate()
        proc.wait(10)


def interrupt_when_polling(argv: list[str], log: Path, prefix: str, env: dict[str, str] | None = None) -> str:
    """Run ``argv``, press Ctrl-C (SIGINT) once the server sees ``prefix``; return stderr (exit 130 asserted)."""
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert lines_of(log, prefix), "the server never saw the wait"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert stdout == ""
    assert "Traceback" not in stderr
    return stderr


def test_ctrl_c_during_tasks_wait_in_a_second_process_sends_tasks_cancel(http_tasks: tuple[str, Path]) -> None:
    url, log = http_tasks
    r = run_mcpctl("call", "--url", url, "slow", "seconds=60", "steps=1", "--task")
    assert r.returncode == 0, r.stderr
    task_id = r.stdout.strip()
    stderr = interrupt_when_polling(mcpctl_argv("tasks", "wait", "--url", url, task_id), log, f"get {task_id}")
    assert "interrupted" in stderr
    assert lines_of(log, f"cancel {task_id}") == [f"cancel {task_id}"]
    assert lines_of(log, f"stopped {task_id}")


def test_ctrl_c_during_a_required_task_call_on_stdio_sends_tasks_cancel(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    argv = mcpctl_argv("call", "--stdio", TASKS, "batch", "seconds=60", "--protocol", "legacy")
    interrupt_when_polling(argv, log, "get ", env={**os.environ, "TASKS_LOG": str(log)})
    created = lines_of(log, "create ")
    assert len(created) == 1
    assert lines_of(log, "cancel ") == [f"cancel {created[0].split()[1]}"]
