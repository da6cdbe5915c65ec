"""Long-running calls (issue 18): progress on stderr, the two deadlines, cancellation on the wire.

The test server is ``tests/servers/long.py``: ``work`` reports progress, ``hang`` never answers; every
call and every ``notifications/cancelled`` it receives is noted in ``$LONG_CALLS``.
"""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path

from conftest import PY, SERVERS_DIR

from cli.runner import mcpctl

LONG = f"{PY} {shlex.quote(str(SERVERS_DIR / 'long.py'))}"


def seen(calls: Path, prefix: str, timeout: float = 3.0) -> list[str]:
    """The server's notes starting with ``prefix``, waiting a little for the first one."""
    deadline = time.monotonic() + timeout
    while True:
        lines = calls.read_text().splitlines() if calls.exists() else []
        found = [line for line in lines if line.startswith(prefix)]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def assert_cancelled_on_the_wire(calls: Path, tool: str) -> None:
    """The server saw the call, then a ``notifications/cancelled`` for that very request, and never finished it."""
    started = seen(calls, f"call {tool} ")
    assert len(started) == 1, started
    request_id = started[0].split()[2]
    assert seen(calls, "cancelled ") == [f"cancelled {request_id}"]
    assert seen(calls, f"done {tool}", timeout=0) == []


# ------------------------------------------------------------------------------------------------ deadlines


def test_a_call_that_keeps_reporting_progress_outlives_its_timeout() -> None:
    r = mcpctl("call", "--stdio", LONG, "work", "seconds=2.5", "step=0.2", "--timeout", "1")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "done\n"
    assert r.stderr == ""  # not a terminal, no -v: no progress shown


def test_a_call_with_no_progress_ends_at_timeout_with_exit_4_and_is_cancelled(tmp_path: Path) -> None:
    calls = tmp_path / "calls.txt"
    started = time.monotonic()
    r = mcpctl("call", "--stdio", LONG, "hang", "--timeout", "1", env={"LONG_CALLS": str(calls)})
    assert r.exit_code == 4, r.stderr
    assert time.monotonic() - started < 10
    assert r.stdout == ""
    assert "timed out" in r.stderr and "for 1s" in r.stderr and "raise --timeout" in r.stderr
    assert_cancelled_on_the_wire(calls, "hang")


def test_max_time_ends_a_call_that_keeps_reporting_with_exit_4_naming_max_time(tmp_path: Path) -> None:
    calls = tmp_path / "calls.txt"
    started = time.monotonic()
    r = mcpctl(
        "call", "--stdio", LONG, "work", "seconds=30", "step=0.2", "--timeout", "5", "--max-time", "1.5",
        env={"LONG_CALLS": str(calls)},
    )  # fmt: skip
    assert r.exit_code == 4, r.stderr
    assert time.monotonic() - started < 10
    assert "--max-time (1.5s)" in r.stderr and "raise --max-time" in r.stderr
    assert_cancelled_on_the_wire(calls, "work")


def test_profile_key_max_time_sec_bounds_the_call_and_json_names_max_time(tmp_path: Path) -> None:
    profile = tmp_path / "mcpctl.toml"
    command = json.dumps(PY)
    script = json.dumps(str(SERVERS_DIR / "long.py"))
    profile.write_text(f"[servers.long]\ncommand = {command}\nargs = [{script}]\nmax_time_sec = 1\n")
    r = mcpctl("call", "-p", str(profile), "long.work", "seconds=30", "step=0.2", "-o", "json")
    assert r.exit_code == 4, r.stderr
    error = json.loads(r.stderr)["error"]
    assert error["type"] == "timeout" and "--max-time (1s)" in error["message"], error


def test_a_negative_max_time_sec_in_the_profile_is_a_profile_error(tmp_path: Path) -> None:
    profile = tmp_path / "mcpctl.toml"
    profile.write_text('[servers.long]\ncommand = "x"\nmax_time_sec = -1\n')
    r = mcpctl("call", "-p", str(profile), "long.work")
    assert r.exit_code == 2, r.stderr
    assert "max_time_sec" in r.stderr


# ------------------------------------------------------------------------------------------------ progress


def test_progress_shows_as_lines_on_stderr_with_verbose_never_on_stdout() -> None:
    r = mcpctl("call", "--stdio", LONG, "work", "seconds=0.8", "step=0.2", "-v")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "done\n"
    progress = [line for line in r.stderr.splitlines() if line.startswith("mcpctl: progress: ")]
    assert progress[0].startswith("mcpctl: progress: long.work: step 1 of 4 1/4 (25%) "), progress
    assert progress[-1].startswith("mcpctl: progress: long.work: step 4 of 4 4/4 (100%) "), progress
    assert progress[-1].endswith("/s")  # the rate


def test_progress_is_a_live_line_on_a_terminal_wiped_before_the_result() -> None:
    r = mcpctl("call", "--stdio", LONG, "work", "seconds=0.8", "step=0.2", tty=True)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "done\n"
    assert "\r\x1b[2K[####################] long.work: step 4 of 4 4/4 (100%)" in r.stderr
    assert r.stderr.endswith("\r\x1b[2K")  # wiped: nothing is left on the terminal's line
    assert "\n" not in r.stderr


def test_quiet_shows_no_progress_even_on_a_terminal() -> None:
    r = mcpctl("call", "--stdio", LONG, "work", "seconds=0.6", "step=0.2", "-q", tty=True)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "done\n"
    assert r.stderr == ""


def test_progress_never_reaches_stdout_under_json() -> None:
    r = mcpctl("call", "--stdio", LONG, "work", "seconds=0.6", "step=0.2", "-o", "json", "-v", tty=True)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["result"]["content"][0]["text"] == "done"
    assert "mcpctl: progress: long.work" in r.stderr


# ------------------------------------------------------------------------------------------------ batch


def _batch(tmp_path: Path, *lines: dict[str, object]) -> Path:
    path = tmp_path / "b.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_batch_shows_the_progress_of_calls_in_flight_in_its_bar(tmp_path: Path) -> None:
    path = _batch(tmp_path, {"id": "w", "tool": "work", "arguments": {"seconds": 0.8, "step": 0.2}})
    r = mcpctl("batch", str(path), "--stdio", LONG, tty=True)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["ok"] is True
    assert "] 0/1 failed 0  long.work: step " in r.stderr
    assert "1/1 failed 0" in r.stderr


def test_batch_fail_fast_cancels_the_calls_in_flight_on_the_wire(tmp_path: Path) -> None:
    calls = tmp_path / "calls.txt"
    path = _batch(
        tmp_path,
        {"id": "h", "tool": "hang"},
        {"id": "f", "tool": "work", "arguments": {"seconds": 0.5, "step": 0.1}, "expect": {"contains": "nope"}},
    )
    started = time.monotonic()
    r = mcpctl("batch", str(path), "--stdio", LONG, "--fail-fast", "--timeout", "30", env={"LONG_CALLS": str(calls)})
    assert r.exit_code == 1, r.stderr
    assert time.monotonic() - started < 15  # not the 30 s of --timeout
    hang, failed = (json.loads(line) for line in r.stdout.splitlines())
    assert hang["error"]["message"] == "cancelled: an earlier call failed (--fail-fast)"
    assert failed["error"]["type"] == "expectation"
    assert_cancelled_on_the_wire(calls, "hang")
