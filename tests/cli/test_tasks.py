"""Tasks (issue 18): ``call --task``, ``tasks get|wait|cancel``, required tools run as tasks, abandoned tasks cancelled.

The test server is ``tests/servers/tasks.py`` (stdlib, both revisions with tasks): ``slow`` (optional), ``batch``
(required), ``quick`` (no taskSupport) and ``broken`` (optional; fails). It notes what it sees in ``$TASKS_LOG``:
"create ID TOOL ERA", "get ID", "result ID", "cancel ID", "stopped ID", "done ID STATUS". Over HTTP its tasks
outlive the mcpctl run that started them, so one run starts a task and the next ones follow it.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DEMO, PY, SERVERS_DIR

from cli.runner import mcpctl

TASKS = f"{PY} {shlex.quote(str(SERVERS_DIR / 'tasks.py'))}"
ERAS = ("auto", "legacy")  # auto lands on 2026-07-28 (the extension); legacy is 2025-11-25 (experimental tasks)


class HttpTasks:
    """A running ``tasks.py --http`` server and its log."""

    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log

    def seen(self, prefix: str, timeout: float = 3.0) -> list[str]:
        """The server's notes starting with ``prefix``, waiting a little for the first one."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.log.read_text().splitlines() if self.log.exists() else []
            found = [line for line in lines if line.startswith(prefix)]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


@pytest.fixture(scope="module")
def http_tasks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpTasks]:
    log = tmp_path_factory.mktemp("tasks") / "log.txt"
    env = {**os.environ, "TASKS_LOG": str(log)}
    proc = subprocess.Popen(
        [sys.executable, str(SERVERS_DIR / "tasks.py"), "--http", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    found = re.search(r"(http://127\.0\.0\.1:\d+/mcp)", line)
    assert found, line
    try:
        yield HttpTasks(found.group(1), log)
    finally:
        proc.terminate()
        proc.wait(10)


def started(server: HttpTasks, *args: str) -> str:
    """Start a task with ``call --task`` on the HTTP server; its id (the whole stdout)."""
    r = mcpctl("call", "--url", server.url, *args, "--task")
    assert r.exit_code == 0, r
    task_id = r.stdout.strip()
    assert r.stdout == task_id + "\n" and re.fullmatch(r"[0-9a-f]{32}", task_id), r
    return task_id


# ------------------------------------------------------------------------------------------------ call --task


@pytest.mark.parametrize("era", ERAS)
def test_call_task_prints_only_the_task_id_and_tasks_wait_prints_the_result(http_tasks: HttpTasks, era: str) -> None:
    task_id = started(http_tasks, "slow", "seconds=0.6", "--protocol", era)
    assert http_tasks.seen(f"create {task_id} slow ")
    r = mcpctl("tasks", "wait", "--url", http_tasks.url, task_id, "--protocol", era)
    assert r.exit_code == 0, r
    assert r.stdout == "slow done\n"
    assert http_tasks.seen(f"done {task_id} completed")


def test_call_task_json_is_the_created_task_exactly_as_sent_2026(http_tasks: HttpTasks) -> None:
    r = mcpctl("call", "--url", http_tasks.url, "slow", "seconds=0.3", "--task", "-o", "json")
    assert r.exit_code == 0, r
    out = r.json()
    assert (out["server"], out["tool"]) == ("127.0.0.1:" + http_tasks.url.split(":")[2].split("/")[0], "slow")
    task = out["task"]
    assert set(task) == {
        "taskId", "status", "statusMessage", "createdAt", "lastUpdatedAt", "ttlMs", "pollIntervalMs", "resultType"
    }  # fmt: skip
    assert (task["resultType"], task["status"], task["pollIntervalMs"]) == ("task", "working", 100)


def test_call_task_json_is_the_created_task_exactly_as_sent_2025(http_tasks: HttpTasks) -> None:
    r = mcpctl("call", "--url", http_tasks.url, "slow", "seconds=0.3", "--task", "-o", "json", "--protocol", "legacy")
    assert r.exit_code == 0, r
    task = r.json()["task"]
    assert set(task) == {"taskId", "status", "statusMessage", "createdAt", "lastUpdatedAt", "ttl", "pollInterval"}
    assert (task["status"], task["pollInterval"], task["ttl"]) == ("working", 100, 600000)


def test_task_on_a_tool_without_task_support_is_exit_2_and_nothing_is_sent(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    r = mcpctl(
        "call", "--stdio", TASKS, "quick", "message=hi", "--task", "--protocol", "legacy", env={"TASKS_LOG": str(log)}
    )
    assert r.exit_code == 2, r
    assert r.stdout == ""
    assert "tool 'tasks.quick' does not run as a task" in r.stderr and "taskSupport is absent" in r.stderr
    assert "without --task" in r.stderr
    assert not log.exists() or "create" not in log.read_text()


def test_task_on_a_server_without_tasks_is_exit_2() -> None:
    r = mcpctl("call", "--stdio", DEMO, "echo", "message=hi", "--task")
    assert r.exit_code == 2, r
    assert "does not offer the io.modelcontextprotocol/tasks extension" in r.stderr
    r = mcpctl("call", "--stdio", DEMO, "echo", "message=hi", "--task", "--protocol", "legacy")
    assert r.exit_code == 2, r
    assert "does not offer task-augmented tools/call" in r.stderr


def test_task_that_the_2026_server_answers_at_once_prints_the_result_with_a_warning() -> None:
    r = mcpctl("call", "--stdio", TASKS, "quick", "message=hi", "--task")
    assert r.exit_code == 0, r
    assert r.stdout == "hi\n"
    assert "the server answered at once; no task was made" in r.stderr


# ------------------------------------------------------------------------------------------------ required


@pytest.mark.parametrize("era", ERAS)
def test_required_tool_is_started_as_a_task_and_waited_for_by_a_plain_call(tmp_path: Path, era: str) -> None:
    log = tmp_path / "log.txt"
    r = mcpctl("call", "--stdio", TASKS, "batch", "seconds=0.4", "--protocol", era, env={"TASKS_LOG": str(log)})
    assert r.exit_code == 0, r
    assert r.stdout == "batch done\n"
    assert r.stderr == ""
    lines = log.read_text().splitlines()
    assert [line.split()[0] for line in lines if line.startswith("create")] == ["create"]
    assert any(line.startswith("get ") for line in lines)


def test_required_tool_as_json_is_a_plain_call_result() -> None:
    r = mcpctl("call", "--stdio", TASKS, "batch", "seconds=0.2", "-o", "json", "--protocol", "legacy")
    assert r.exit_code == 0, r
    out = r.json()
    assert out["result"]["content"] == [{"type": "text", "text": "batch done"}]
    assert out["result"]["_meta"]["io.modelcontextprotocol/related-task"]["taskId"]  # tasks/result, as sent


def test_required_task_past_max_time_is_exit_4_and_the_server_saw_tasks_cancel(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    r = mcpctl("call", "--stdio", TASKS, "batch", "seconds=30", "--max-time", "1", env={"TASKS_LOG": str(log)})
    assert r.exit_code == 4, r
    assert "--max-time (1s)" in r.stderr and "tasks/cancel" in r.stderr
    created = [line.split()[1] for line in log.read_text().splitlines() if line.startswith("create")]
    assert len(created) == 1
    assert f"cancel {created[0]}" in log.read_text().splitlines()


# ------------------------------------------------------------------------------------------------ tasks get/wait/cancel


@pytest.mark.parametrize("era", ERAS)
def test_tasks_get_prints_the_status_and_json_is_the_task_as_sent(http_tasks: HttpTasks, era: str) -> None:
    task_id = started(http_tasks, "slow", "seconds=5", "steps=1", "--protocol", era)
    r = mcpctl("tasks", "get", "--url", http_tasks.url, task_id, "--protocol", era)
    assert r.exit_code == 0, r
    assert f"taskId: {task_id}\nstatus: working\n" in r.stdout
    r = mcpctl("tasks", "get", "--url", http_tasks.url, task_id, "-o", "json", "--protocol", era)
    assert r.exit_code == 0, r
    task = r.json()["task"]
    assert (task["taskId"], task["status"]) == (task_id, "working")
    assert ("pollIntervalMs" in task) == (era == "auto") and ("pollInterval" in task) == (era == "legacy")
    assert http_tasks.seen(f"get {task_id}")
    mcpctl("tasks", "cancel", "--url", http_tasks.url, task_id)


@pytest.mark.parametrize("era", ERAS)
def test_tasks_cancel_stops_the_work_and_a_later_wait_is_exit_1(http_tasks: HttpTasks, era: str) -> None:
    task_id = started(http_tasks, "slow", "seconds=5", "steps=1", "--protocol", era)
    r = mcpctl("tasks", "cancel", "--url", http_tasks.url, task_id, "--protocol", era)
    assert r.exit_code == 0, r
    assert http_tasks.seen(f"cancel {task_id}") and http_tasks.seen(f"stopped {task_id}")
    r = mcpctl("tasks", "wait", "--url", http_tasks.url, task_id)
    assert r.exit_code == 1, r
    assert r.stdout == ""
    assert f"task {task_id} was cancelled" in r.stderr


@pytest.mark.parametrize(("era", "mode"), [("auto", "rpc"), ("auto", "error"), ("legacy", "rpc"), ("legacy", "error")])
def test_failed_task_or_tool_error_is_exit_1(http_tasks: HttpTasks, era: str, mode: str) -> None:
    task_id = started(http_tasks, "broken", f"mode={mode}", "--protocol", era)
    r = mcpctl("tasks", "wait", "--url", http_tasks.url, task_id, "--protocol", era)
    assert r.exit_code == 1, r
    if mode == "error":
        assert r.stdout == "the batch failed\n"  # the tool's answer, printed as call prints it
        assert "reported an error: the batch failed" in r.stderr
    else:
        assert r.stdout == ""
        assert f"task {task_id} failed: the batch system is down" in r.stderr


def test_wait_json_is_the_result_as_sent_with_the_task_id(http_tasks: HttpTasks) -> None:
    task_id = started(http_tasks, "slow", "seconds=0.3")
    r = mcpctl("tasks", "wait", "--url", http_tasks.url, task_id, "-o", "json")
    assert r.exit_code == 0, r
    out = r.json()
    assert (out["taskId"], out["result"]) == (
        task_id,
        {"content": [{"type": "text", "text": "slow done"}], "isError": False},
    )


def test_timeout_on_wait_is_exit_4_and_the_server_saw_tasks_cancel(http_tasks: HttpTasks) -> None:
    task_id = started(http_tasks, "slow", "seconds=30", "steps=1")
    begun = time.monotonic()
    r = mcpctl("tasks", "wait", "--url", http_tasks.url, task_id, "--timeout", "1")
    assert r.exit_code == 4, r
    assert time.monotonic() - begun < 10
    assert "reported no new status for 1s" in r.stderr and "raise --timeout" in r.stderr
    assert http_tasks.seen(f"cancel {task_id}") and http_tasks.seen(f"stopped {task_id}")


def test_a_task_whose_status_keeps_changing_outlives_its_timeout(http_tasks: HttpTasks) -> None:
    task_id = started(http_tasks, "slow", "seconds=2", "steps=8")
    r = mcpctl("tasks", "wait", "--url", http_tasks.url, task_id, "--timeout", "1")
    assert r.exit_code == 0, r
    assert r.stdout == "slow done\n"


def test_wait_shows_status_messages_as_progress_with_v(http_tasks: HttpTasks) -> None:
    task_id = started(http_tasks, "slow", "seconds=1.2", "steps=4")
    r = mcpctl("tasks", "wait", "--url", http_tasks.url, task_id, "-v")
    assert r.exit_code == 0, r
    assert re.search(r"progress: .*task " + task_id + r": step \d of 4", r.stderr), r.stderr


def test_unknown_task_is_the_servers_error_exit_5(http_tasks: HttpTasks) -> None:
    r = mcpctl("tasks", "get", "--url", http_tasks.url, "no-such-task")
    assert r.exit_code == 5, r
    assert "Task not found" in r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("tasks", "get", "--url", "http://127.0.0.1:9/mcp", "a", "b"),
            "expected TASK_ID (the server is --url/--stdio)",
        ),
        (("tasks", "wait", "onlyone"), "expected SERVER TASK_ID"),
    ],
)
def test_wrong_number_of_arguments_is_exit_2(args: tuple[str, ...], message: str) -> None:
    r = mcpctl(*args)
    assert r.exit_code == 2, r
    assert message in r.stderr


def test_tasks_help_says_stdio_tasks_end_with_the_server() -> None:
    r = mcpctl("tasks", "--help")
    assert r.exit_code == 0
    assert "stdio server's tasks end with its process" in " ".join(r.stdout.split())
