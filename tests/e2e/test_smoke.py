"""A smoke set for the installed ``mcpctl`` console script: it starts, talks to real servers, and keeps the contract
of streams and exit codes as a real process (the full contract is tested in-process under ``tests/cli/``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import free_port

from e2e.helpers import DEMO, assert_clean_stderr, faulty, run_mcpctl, stdio_server, write_profile
from mcpctl import __version__

pytestmark = pytest.mark.e2e


def test_version_is_answered_at_once() -> None:
    r = run_mcpctl("--version")
    assert r.returncode == 0
    assert r.stdout == f"mcpctl {__version__}\n"
    assert r.stderr == ""


def test_help_prints_the_usage_on_stdout() -> None:
    r = run_mcpctl("--help")
    assert r.returncode == 0
    assert r.stdout.startswith("Usage: mcpctl")
    assert r.stderr == ""


def test_call_prints_the_text_contents_as_they_are() -> None:
    r = run_mcpctl("call", "--stdio", DEMO, "echo", "message=hi")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hi\n"
    assert r.stderr == ""


def test_call_json_has_the_wire_result() -> None:
    r = run_mcpctl("call", "--stdio", DEMO, "add", "--args", "-", "-o", "json", input='{"a": 20, "b": 22}\n')
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["result"]["structuredContent"] == {"result": 42}
    assert r.stderr == ""


def test_argument_error_is_exit_2_with_nothing_on_stdout() -> None:
    r = run_mcpctl("call", "--stdio", DEMO, "add", "a=x", "b=3")
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.startswith("mcpctl: error: ")
    assert "'a=x'" in r.stderr
    assert_clean_stderr(r)


def test_server_dying_mid_call_is_exit_3_with_its_stderr_tail() -> None:
    r = run_mcpctl("call", "--stdio", faulty("crash-on-call"), "crash")
    assert r.returncode == 3
    assert r.stdout == ""
    assert "boom: crashed in tool" in r.stderr
    assert_clean_stderr(r)


def test_connection_refused_is_exit_3() -> None:
    r = run_mcpctl("call", "--url", f"http://127.0.0.1:{free_port()}/mcp", "echo", "message=x", timeout=30)
    assert r.returncode == 3
    assert r.stdout == ""
    assert "could not connect" in r.stderr
    assert_clean_stderr(r)


def test_tools_list_piped_is_tab_separated_rows(tmp_path: Path) -> None:
    profile = write_profile(tmp_path / "mcpctl.toml", {"demo": stdio_server(DEMO)})
    r = run_mcpctl("tools", "list", "--profile", str(profile))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].split("\t")[:2] == ["demo", "echo"]
    assert r.stderr == ""


def test_ping_json_and_batch_ndjson() -> None:
    ping = run_mcpctl("ping", "--stdio", DEMO, "-o", "json")
    assert ping.returncode == 0, ping.stderr
    assert json.loads(ping.stdout)[0]["ok"] is True
    calls = "".join(json.dumps({"id": f"i{n}", "tool": "echo", "arguments": {"message": "m"}}) + "\n" for n in range(3))
    batch = run_mcpctl("batch", "-", "--stdio", DEMO, input=calls)
    assert batch.returncode == 0, batch.stderr
    assert [json.loads(line)["id"] for line in batch.stdout.splitlines()] == ["i0", "i1", "i2"]
    assert "batch: 3 calls, 0 failed" in batch.stderr
