"""``mcpctl shell`` piped (one command a line, exit 0/1/2) and ``mcpctl history``, against the demo server."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from conftest import DEMO, faulty

from cli.runner import mcpctl


@pytest.fixture
def state(tmp_path: Path) -> dict[str, str]:
    return {"XDG_STATE_HOME": str(tmp_path / "state")}


def test_piped_commands_print_results_on_stdout_and_exit_0(state: dict[str, str]) -> None:
    r = mcpctl("shell", "--stdio", DEMO, stdin="add a=2 b=3\ncall echo message=hi\n# a comment\n\n", env=state)
    assert r.exit_code == 0, r
    assert r.stdout.splitlines()[:2] == ["5", "hi"]
    assert r.stderr == ""


def test_a_tool_reporting_is_error_makes_the_script_exit_1_and_runs_on(state: dict[str, str]) -> None:
    r = mcpctl("shell", "--stdio", DEMO, stdin="fail message=boom\necho message=after\n", env=state)
    assert r.exit_code == 1, r
    assert "after" in r.stdout
    assert "boom" in r.stderr


def test_a_usage_error_makes_the_script_exit_2(state: dict[str, str]) -> None:
    r = mcpctl("shell", "--stdio", DEMO, stdin="add a=notanumber b=1\necho message=x\n", env=state)
    assert r.exit_code == 2, r
    assert "'a=notanumber'" in r.stderr
    assert r.stdout.strip() == "x"


def test_unknown_shell_command_words_are_usage_errors(state: dict[str, str]) -> None:
    r = mcpctl("shell", "--stdio", DEMO, stdin="set output yaml\n", env=state)
    assert r.exit_code == 2, r
    assert "usage: set output" in r.stderr


def test_status_lists_the_server_with_state_transport_and_call_counts(state: dict[str, str]) -> None:
    r = mcpctl("shell", "--stdio", DEMO, stdin="add a=1 b=1\nset output json\nstatus\n", env=state)
    assert r.exit_code == 0, r
    status = json.loads(r.stdout[r.stdout.index("[") :])
    assert status[0]["state"] == "connected"
    assert status[0]["transport"] == "stdio"
    assert (status[0]["calls"], status[0]["failures"], status[0]["tools"]) == (1, 0, 7)


def test_history_persists_with_mode_0600_and_masks_secrets(state: dict[str, str], tmp_path: Path) -> None:
    r = mcpctl("shell", "--stdio", DEMO, stdin="echo message=hi api_key=s3cr3t\n", env=state)
    assert r.exit_code == 0, r
    path = tmp_path / "state" / "mcpctl" / "history.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "s3cr3t" not in path.read_text()
    shown = mcpctl("history", "-o", "json", env=state)
    assert shown.exit_code == 0, shown
    (entry,) = shown.json()
    assert (entry["ok"], entry["tool"], entry["arguments"]) == (True, "echo", {"message": "hi", "api_key": "***"})
    assert "s3cr3t" not in shown.stdout


def test_history_n_shows_the_newest_entries(state: dict[str, str]) -> None:
    assert mcpctl("shell", "--stdio", DEMO, stdin="add a=1 b=1\nadd a=2 b=2\nadd a=3 b=3\n", env=state).exit_code == 0
    shown = mcpctl("history", "-n", "2", "-o", "json", env=state)
    assert [e["arguments"]["a"] for e in shown.json()] == [2, 3]


def test_again_reruns_a_history_entry(state: dict[str, str]) -> None:
    r = mcpctl("shell", "--stdio", DEMO, stdin="add a=20 b=22\nagain 1\n", env=state)
    assert r.exit_code == 0, r
    assert r.stdout.splitlines() == ["42", "42"]


def test_a_template_uri_takes_its_variables(state: dict[str, str]) -> None:
    r = mcpctl("shell", "--stdio", DEMO, stdin="read greet://{name} name=bob\n", env=state)
    assert r.exit_code == 0, r
    assert r.stdout.strip() == "Hello, bob!"


def test_a_server_dying_mid_call_shows_its_stderr_tail_and_the_next_call_reconnects(state: dict[str, str]) -> None:
    r = mcpctl(
        "shell",
        "--stdio",
        faulty("crash-on-call"),
        stdin="crash\necho message=after\nset output json\nstatus\n",
        env=state,
    )
    assert r.exit_code == 1, r
    assert "error: faulty: the server closed the connection (server exited with status 7)" in r.stderr
    assert "server stderr: boom: crashed in tool" in r.stderr
    assert r.stdout.startswith("after\n")
    status = json.loads(r.stdout[r.stdout.index("[") :])
    assert (status[0]["state"], status[0]["reconnects"]) == ("connected", 1)
