"""A server's text never drives the terminal: control characters in what it says are shown (``\\x1b``), not obeyed.

The ``escapes`` fault (``tests/servers/faulty.py``) hides OSC 52 (clipboard), clear-screen, a window title, BEL,
backspaces and a one-byte C1 CSI in its serverInfo, instructions, stderr, a tool's name, title, description and
argument name, a log notification and a JSON-RPC error message. JSON output keeps every string exact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import faulty, serve_asgi

from cli.runner import Result, mcpctl

ESCAPES = faulty("escapes")
#: tests/servers/faulty.py HOSTILE, and how it reads once made visible.
HOSTILE = "\x1b]52;c;aGVsbG8=\x07\x1b[2J\x1b]0;pwned\x07\x08\x08\x9b31m"
SHOWN = "\\x1b]52;c;aGVsbG8=\\x07\\x1b[2J\\x1b]0;pwned\\x07\\x08\\x08\\x9b31m"
EVIL = f"evil{HOSTILE}"
#: Any control character but tab and newline (what a terminal would obey).
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def assert_nothing_raw(r: Result) -> None:
    assert not RAW_CONTROL.search(r.stdout), repr(r.stdout)
    assert not RAW_CONTROL.search(r.stderr), repr(r.stderr)


@pytest.mark.parametrize("tty", [False, True], ids=["piped", "tty"])
def test_tools_list_shows_control_characters_in_names_and_descriptions(tty: bool) -> None:
    r = mcpctl("tools", "list", "--stdio", ESCAPES, tty=tty, env={"COLUMNS": "400"})  # a box table's cells unwrapped
    assert r.exit_code == 0, r
    assert_nothing_raw(r)
    assert f"evil{SHOWN}" in r.stdout and f"desc{SHOWN}" in r.stdout
    if not tty:  # still one row a tool, five cells each
        assert all(len(line.split("\t")) == 5 for line in r.stdout.splitlines())


def test_tools_list_as_json_keeps_the_exact_strings() -> None:
    r = mcpctl("tools", "list", "--stdio", ESCAPES, "-o", "json")
    assert r.exit_code == 0, r
    evil = next(t for t in json.loads(r.stdout) if t["name"] == EVIL)
    assert (evil["title"], evil["description"]) == (f"title{HOSTILE}", f"desc{HOSTILE}")
    assert list(evil["inputSchema"]["properties"]) == [f"arg{HOSTILE}"]
    assert not RAW_CONTROL.search(r.stdout)  # DEL and C1 are spelt \u00NN, as JSON allows


def test_tools_show_shows_the_name_description_and_argument_names() -> None:
    r = mcpctl("tools", "show", "--stdio", ESCAPES, EVIL)
    assert r.exit_code == 0, r
    assert_nothing_raw(r)
    assert r.stdout.startswith(f"faulty.evil{SHOWN} — title{SHOWN}\n")
    assert f"desc{SHOWN}" in r.stdout
    assert f"  arg{SHOWN}: string (required) — argdesc{SHOWN}" in r.stdout


def test_servers_inspect_shows_server_info_and_instructions() -> None:
    r = mcpctl("servers", "inspect", "--stdio", ESCAPES)
    assert r.exit_code == 0, r
    assert_nothing_raw(r)
    assert f"serverInfo: evil{SHOWN} 6{SHOWN} (title{SHOWN})\n" in r.stdout
    assert f"  first{SHOWN}\n  second{SHOWN}\n" in r.stdout
    exact = mcpctl("servers", "inspect", "--stdio", ESCAPES, "-o", "json").json()
    assert exact["serverInfo"]["name"] == EVIL
    assert exact["instructions"] == f"first{HOSTILE}\nsecond{HOSTILE}"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_json_rpc_error_message_is_shown_not_obeyed(fmt: str) -> None:
    r = mcpctl("call", "--stdio", ESCAPES, "rpcfail", "-o", fmt)
    assert r.exit_code == 5, r
    assert_nothing_raw(r)
    if fmt == "text":
        assert f"failed{SHOWN}" in r.stderr
    else:
        assert json.loads(r.stderr)["error"]["message"].startswith(f"failed{HOSTILE}")


def test_a_tool_answer_is_exact_when_piped_and_shown_on_a_terminal() -> None:
    piped = mcpctl("call", "--stdio", ESCAPES, "shout")
    assert piped.exit_code == 0, piped
    assert piped.stdout == f"answer{HOSTILE}\n"  # a script (or a file) gets the bytes the server sent
    tty = mcpctl("call", "--stdio", ESCAPES, "shout", tty=True)
    assert tty.exit_code == 0, tty
    assert tty.stdout == f"answer{SHOWN}\n"
    assert_nothing_raw(tty)


def test_verbose_server_stderr_and_logs_are_shown_and_log_data_is_json() -> None:
    r = mcpctl("call", "--stdio", ESCAPES, "shout", "-vv", tty=True)  # the log is at info: -v shows warning and up
    assert r.exit_code == 0, r
    assert_nothing_raw(r)
    assert f"[faulty] starting{SHOWN}\n" in r.stderr
    log = next(line for line in r.stderr.splitlines() if line.startswith("[faulty] info: "))
    data = json.loads(log.removeprefix("[faulty] info: ").replace("\\x9b", "\\u009b"))
    assert data == {"msg": f"working{HOSTILE}", "extra": None}  # JSON, not a Python repr


@pytest.fixture
def challenging_url() -> Iterator[str]:
    """Every request: HTTP 401 whose WWW-Authenticate carries a C1 CSI (a byte HTTP allows) and a DEL."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        challenge = b'Bearer realm="x\x9b2J\x7f", error="invalid_token"'
        headers = [(b"www-authenticate", challenge), (b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": b"no"})

    with serve_asgi(app) as base:
        yield f"{base}/mcp"


def test_a_www_authenticate_value_quoted_in_the_hint_is_shown_not_obeyed(challenging_url: str) -> None:
    r = mcpctl("tools", "list", "--url", challenging_url, "--retries", "0")
    assert r.exit_code == 6, r
    assert_nothing_raw(r)
    assert 'realm="x\\x9b2J\\x7f"' in r.stderr
