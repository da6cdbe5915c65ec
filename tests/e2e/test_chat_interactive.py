"""``mcpctl chat`` at a real pseudo-terminal (pexpect), against the OpenAI stand-in served from this process:
a turn with a tool call, the slash commands, Ctrl-D, and no server left behind."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import SERVERS_DIR, _load_module, serve_asgi, wait_pids_gone

from e2e.helpers import DEMO, faulty, mcpctl_argv

pexpect = pytest.importorskip("pexpect")
pytest.importorskip("openai")

llm: ModuleType = _load_module("mcpctl_tests_llm_standins", str(SERVERS_DIR / "llm_standins.py"))

WAIT = 60  # generous: a loaded two-core machine
PROMPT = "chat>"  # the trailing space is drawn as a cursor move


@pytest.fixture
def standin() -> Iterator[tuple[Any, str]]:
    state = llm.StandIn()
    with serve_asgi(llm.openai_app(state)) as base:
        yield state, f"{base}/v1"


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the servers mcpctl started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def spawn(tmp_path: Path, base_url: str, server: str = DEMO, *extra: str, env: dict[str, str] | None = None) -> Any:
    """``mcpctl chat`` with ``server`` (the demo server), on a pseudo-terminal."""
    argv = mcpctl_argv(
        "chat", "--stdio", server, "--provider", "openai", "--model", "m", "--base-url", base_url, *extra
    )
    full = {
        **os.environ,
        "OPENAI_API_KEY": "sk-test-0123456789abcdef",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TERM": "xterm",
        "NO_COLOR": "1",
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "COLUMNS": "200",
        "LINES": "40",
        **(env or {}),
    }
    return pexpect.spawn(argv[0], argv[1:], env=full, encoding="utf-8", timeout=WAIT, dimensions=(40, 200))


def turn(child: Any, text: str) -> None:
    child.send(text + "\r")


def test_a_turn_runs_the_tool_the_model_asks_for_and_shows_the_answer(tmp_path: Path, standin: tuple[Any, str]) -> None:
    state, base_url = standin
    child = spawn(tmp_path, base_url)
    child.expect_exact(PROMPT)
    turn(child, "echo something")
    child.expect_exact(".echo ")  # the tool call shown: → SERVER.echo {"message": …}
    child.expect_exact(f"The tool said: {llm.MESSAGE}")
    child.expect_exact(PROMPT)
    assert len(state.requests) == 2
    assert state.requests[1]["messages"][-1]["content"] == llm.MESSAGE
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    history = tmp_path / "state" / "mcpctl" / "chat_history.jsonl"
    assert history.read_text(encoding="utf-8") == '"echo something"\n'
    assert stat.S_IMODE(history.stat().st_mode) == 0o600


def test_slash_tools_lists_the_exported_names_and_status_the_servers(tmp_path: Path, standin: tuple[Any, str]) -> None:
    _, base_url = standin
    child = spawn(tmp_path, base_url)
    child.expect_exact(PROMPT)
    turn(child, "/tools")
    child.expect(r"mcpctl_demo__echo\s+│\s+mcpctl\.demo\.echo\s")
    child.expect_exact("mcpctl_demo__add")
    child.expect_exact(PROMPT)
    turn(child, "/status")
    child.expect(r"mcpctl\.demo\s+│\s+connected\s")
    child.expect_exact(PROMPT)
    turn(child, "/quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_clear_forgets_the_conversation_before_the_next_turn(tmp_path: Path, standin: tuple[Any, str]) -> None:
    state, base_url = standin
    child = spawn(tmp_path, base_url)
    child.expect_exact(PROMPT)
    turn(child, "first")
    child.expect_exact("The tool said:")
    child.expect_exact(PROMPT)
    turn(child, "/history")
    child.expect(r"1\s+│\s+first\s+│\s+1\s+│\s+The tool said")
    child.expect_exact(PROMPT)
    turn(child, "/clear")
    child.expect_exact("conversation cleared")
    child.expect_exact(PROMPT)
    turn(child, "second")
    child.expect_exact("The tool said:")
    child.expect_exact(PROMPT)
    third = state.requests[2]["messages"]  # the first request of the turn after /clear
    assert [m["role"] for m in third] == ["user"]
    assert third[0]["content"] == "second"
    child.sendeof()
    child.expect(pexpect.EOF)


def test_model_changes_the_model_the_provider_receives(tmp_path: Path, standin: tuple[Any, str]) -> None:
    state, base_url = standin
    child = spawn(tmp_path, base_url)
    child.expect_exact(PROMPT)
    turn(child, "/model x")
    child.expect_exact("model: x")
    child.expect_exact(PROMPT)
    turn(child, "hello")
    child.expect_exact("The tool said:")
    child.expect_exact(PROMPT)
    assert [r["model"] for r in state.requests] == ["x", "x"]
    child.sendeof()
    child.expect(pexpect.EOF)


def test_ctrl_d_exits_0_and_leaves_no_server(tmp_path: Path, standin: tuple[Any, str]) -> None:
    _, base_url = standin
    child = spawn(tmp_path, base_url)
    child.expect_exact(PROMPT)
    pids = children(child.pid)
    assert pids, "the demo server should be running"
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert wait_pids_gone(pids) == []


def test_ctrl_c_stops_the_turn_not_the_chat(tmp_path: Path, standin: tuple[Any, str]) -> None:
    state, base_url = standin
    state.tool_suffix = "__none"  # no tool call: the model answers, slowly
    state.hold = 60.0
    child = spawn(tmp_path, base_url)
    child.expect_exact(PROMPT)
    turn(child, "slow one")
    deadline = time.monotonic() + WAIT
    while not state.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # the stream has begun
    child.sendintr()
    child.expect_exact("stopped")
    child.expect_exact(PROMPT)
    state.hold = 0.0
    turn(child, "again")
    child.expect_exact("No tool to call.")
    child.expect_exact(PROMPT)
    assert [m["content"] for m in state.requests[1]["messages"]] == ["again"]  # the stopped turn was forgotten
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_ctrl_c_during_a_tool_call_cancels_it_on_the_server(tmp_path: Path, standin: tuple[Any, str]) -> None:
    state, base_url = standin
    state.tool_suffix = "__slow"  # faulty cancel-spy: ``slow`` never returns
    calls = tmp_path / "calls.txt"
    child = spawn(tmp_path, base_url, faulty("cancel-spy"), "--yes", env={"FAULTY_CALLS": str(calls)})
    child.expect_exact(PROMPT)
    turn(child, "be slow")
    deadline = time.monotonic() + WAIT
    while "slow" not in (calls.read_text() if calls.exists() else ""):  # the call reached the server
        assert time.monotonic() < deadline, "the call never reached the server"
        time.sleep(0.05)
    child.sendintr()
    child.expect_exact("stopped")
    child.expect_exact(PROMPT)
    request = calls.read_text().split()[1]
    while f"cancelled {request}" not in calls.read_text():
        assert time.monotonic() < deadline, calls.read_text()
        time.sleep(0.05)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
