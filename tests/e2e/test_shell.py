"""``mcpctl shell`` at a real pseudo-terminal (pexpect): calls, completion, Ctrl-C, history, Ctrl-D, no orphans."""

from __future__ import annotations

import os
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import FAULTY, marked_pids, wait_pids_gone

from e2e.helpers import DEMO, mcpctl_argv, write_profile

pexpect = pytest.importorskip("pexpect")

WAIT = 60  # generous: a loaded two-core machine


def spawn(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> object:
    argv = mcpctl_argv("shell", *args)
    full = {
        **os.environ,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TERM": "xterm",
        "NO_COLOR": "1",
        # pexpect answers no cursor-position request: without this each prompt waits for one, then warns
        "PROMPT_TOOLKIT_NO_CPR": "1",
        # as wide as the pseudo-terminal (a COLUMNS=80 inherited from pytest would cut "connected" to "connec…")
        "COLUMNS": "200",
        "LINES": "40",
        **(env or {}),
    }
    return pexpect.spawn(argv[0], argv[1:], env=full, encoding="utf-8", timeout=WAIT, dimensions=(40, 200))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def server_pids(marker: str) -> list[int]:
    """Processes whose command line contains ``marker`` (the servers this test started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_history_survives_across_two_runs(tmp_path: Path) -> None:
    first = spawn(tmp_path, "--stdio", DEMO)
    first.expect_exact("mcpctl>")
    first.send("add a=40 b=2" + "\r")
    first.expect_exact("42")
    first.expect_exact("mcpctl>")
    first.send("quit" + "\r")
    first.expect(pexpect.EOF)
    second = spawn(tmp_path, "--stdio", DEMO)
    second.expect_exact("mcpctl>")
    second.send("history" + "\r")
    second.expect(r'add\s+.*\{"a":40,"b":2\}')
    second.expect_exact("mcpctl>")
    second.sendeof()
    second.expect(pexpect.EOF)
    second.close()
    assert second.exitstatus == 0


# Under a pseudo-terminal prompt_toolkit draws only what changed: a completion shows as the missing letters, the
# prompt's trailing space as a cursor move. So each step waits for the command's *result* and then the next
# prompt, and completions are checked by the line drawn in full once Enter (``\r``) accepts it.


def two_servers(tmp_path: Path, marker: str) -> dict[str, str]:
    """A profile (``demo``, and ``spy``: faulty ``cancel-spy``) whose servers carry ``marker`` in their environment;
    the environment the shell runs with."""
    calls = tmp_path / "calls.txt"
    servers: dict[str, dict[str, Any]] = {
        "demo": {"command": sys.executable, "args": ["-m", "mcpctl.demo"], "env": {"SHELL_TEST_MARK": marker}},
        "spy": {
            "command": sys.executable,
            "args": [FAULTY, "--fault", "cancel-spy"],
            "env": {"SHELL_TEST_MARK": marker, "FAULTY_CALLS": str(calls)},
        },
    }
    profile = write_profile(tmp_path / "mcpctl.toml", servers)
    return {"MCPCTL_PROFILE": str(profile)}


def run_line(sh: Any, line: str, result: str, prompt: str = "mcpctl>") -> None:
    """Type ``line``, Enter; wait for ``result`` (a regex) and then the next prompt."""
    sh.send(line + "\r")
    sh.expect(result)
    sh.expect_exact(prompt)


def tab(sh: Any, typed: str, completed: str) -> None:
    """Type ``typed`` and TAB; wait until the completion ``completed`` is drawn after it (keys typed before that
    would make prompt_toolkit drop the completion, as it does for a person typing ahead)."""
    sh.send(typed + "\t")
    drawing = r"(?:\x1b\[[0-9;?]*[A-Za-z]|[\r\n \x08])*"  # cursor moves, clears, the menu's reserved lines
    sh.expect(re.escape(typed.strip()) + drawing + re.escape(completed))


def leave(sh: Any) -> None:
    """Ctrl-D at the prompt: the shell exits 0."""
    sh.sendeof()
    sh.expect(pexpect.EOF)
    sh.close()
    assert sh.exitstatus == 0, sh.before


def test_call_and_bare_tool_shorthand_print_their_results(tmp_path: Path) -> None:
    sh = spawn(tmp_path, "--stdio", DEMO)
    sh.expect_exact("mcpctl>")
    run_line(sh, "call add a=40 b=2", r"42\r\n")
    run_line(sh, "add a=1000 b=337", r"1337\r\n")
    leave(sh)


def test_status_shows_a_row_per_server(tmp_path: Path) -> None:
    sh = spawn(tmp_path, env=two_servers(tmp_path, uuid.uuid4().hex))
    sh.expect_exact("mcpctl>")
    run_line(sh, "ping", r"spy\s.*ok")  # both servers open before status is asked
    sh.send("status\r")
    sh.expect(r"demo\s+\S\s+connected\s")
    sh.expect(r"spy\s+\S\s+connected\s")
    sh.expect_exact("mcpctl>")
    leave(sh)


def test_tab_completes_a_tool_name_right_after_start_up_and_an_argument_key(tmp_path: Path) -> None:
    sh = spawn(tmp_path, "--stdio", DEMO)
    sh.expect_exact("mcpctl>")
    tab(sh, "ech", "o")  # at once: the tool listing that completion needs may still be under way
    tab(sh, " mes", "sage=")
    sh.send("zebra42\r")
    sh.expect_exact("mcpctl> echo message=zebra42")  # the accepted line, drawn in full
    sh.expect(r"zebra42\r\n")  # the tool's answer
    sh.expect_exact("mcpctl>")
    run_line(sh, "status", r"connected")  # a command after completion still prints
    leave(sh)


def test_tab_completes_a_prompt_argument_value_the_server_offers(tmp_path: Path) -> None:
    sh = spawn(tmp_path, env=two_servers(tmp_path, uuid.uuid4().hex))
    sh.expect_exact("mcpctl>")
    tab(sh, "get demo.review code=x language=ty", "pescript")  # completion/complete: only "typescript" starts so
    sh.send("\r")
    sh.expect_exact("mcpctl> get demo.review code=x language=typescript")
    sh.expect(r"following typescript code")
    sh.expect_exact("mcpctl>")
    leave(sh)


def test_ctrl_c_cancels_a_hanging_call_and_the_shell_goes_on(tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    sh = spawn(tmp_path, env=two_servers(tmp_path, marker))
    calls = tmp_path / "calls.txt"
    sh.expect_exact("mcpctl>")
    sh.send("spy.slow\r")
    deadline = time.monotonic() + WAIT
    while "slow" not in (calls.read_text() if calls.exists() else ""):  # the call reached the server
        assert time.monotonic() < deadline, "the call never reached the server"
        time.sleep(0.05)
    sh.sendcontrol("c")
    started = time.monotonic()
    sh.expect_exact("cancelled")
    sh.expect_exact("mcpctl>")
    assert time.monotonic() - started < 5  # "within a second", with room for a loaded machine
    request = calls.read_text().split()[1]
    deadline = time.monotonic() + WAIT
    while f"cancelled {request}" not in calls.read_text():
        assert time.monotonic() < deadline, calls.read_text()
        time.sleep(0.05)
    run_line(sh, "demo.add a=1000 b=337", r"1337\r\n")
    run_line(sh, "status", r"spy\s+\S\s+connected\s")
    leave(sh)


def test_ctrl_d_exits_0_and_leaves_no_server_process(tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    sh = spawn(tmp_path, env=two_servers(tmp_path, marker))
    sh.expect_exact("mcpctl>")
    run_line(sh, "ping", r"spy\s.*ok")
    servers = marked_pids(marker)
    assert len(servers) >= 2, servers
    leave(sh)
    assert wait_pids_gone(servers, timeout=10) == []
