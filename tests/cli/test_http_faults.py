"""Servers that misbehave over HTTP (and the same faults over stdio): answered errors whose codes clash with the
SDK's own signals, endless or unreadable answers, lost sessions, SSE servers on another path, revision mismatch.

HTTP servers run in this process (``serve_asgi``): the hand-written ``tests/servers/rogue_http.py`` for faults at
the HTTP level, and SDK servers (``faulty.py``'s ``build_mcpserver``, ``flaky.py``'s app) for the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import FAULTY, SERVERS_DIR, _load_module, faulty, flaky_server, serve_asgi

from cli.runner import Result, mcpctl

faulty_server: ModuleType = _load_module("mcpctl_tests_faulty", FAULTY)
rogue: ModuleType = _load_module("mcpctl_tests_rogue_http", str(SERVERS_DIR / "rogue_http.py"))


def error_of(r: Result) -> dict[str, Any]:
    """The ``{"error": …}`` body on stderr (``-o json``)."""
    lines = [line for line in r.stderr.splitlines() if line.startswith("{")]
    assert lines, r.stderr
    return json.loads(lines[-1])["error"]  # type: ignore[no-any-return]


def hint_of(r: Result) -> str:
    return next((line for line in r.stderr.splitlines() if line.startswith("hint: ")), "")


@pytest.fixture
def rogue_url() -> Iterator[Callable[[str], str]]:
    """Factory: ``rogue_url("endless-json")`` serves that fault of ``rogue_http.py``, returns ``…/mcp``."""
    import contextlib

    with contextlib.ExitStack() as stack:
        yield lambda fault: stack.enter_context(serve_asgi(rogue.build_app(fault))) + "/mcp"


@pytest.fixture
def calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``$FAULTY_CALLS``: the faulty server notes each tool call there (also in this process, for HTTP)."""
    path = tmp_path / "calls"
    monkeypatch.setenv("FAULTY_CALLS", str(path))
    return path


def noted(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


# ------------------------------------------------------------------------- answered -32000 / -32001 (issue 12 B)


@pytest.mark.parametrize("code", ["-32000", "-32001"])
def test_answered_error_with_an_sdk_code_over_stdio_is_exit_5_and_not_retried(code: str, calls: Path) -> None:
    r = mcpctl("call", "--stdio", faulty("answer-error", code), "lookup", "--retries", "2", "-o", "json")
    assert r.exit_code == 5, r
    error = error_of(r)
    assert error["type"] == "protocol"
    assert error["code"] == int(code)
    assert f"lookup failed on the server (code {code})" in error["message"]
    assert noted(calls) == ["lookup"]  # one attempt, although the tool is readOnlyHint


@pytest.mark.parametrize("protocol", ["auto", "legacy"])
@pytest.mark.parametrize("code", ["-32000", "-32001"])
def test_answered_error_with_an_sdk_code_over_http_is_exit_5_and_not_retried(
    code: str, protocol: str, calls: Path
) -> None:
    app = faulty_server.build_mcpserver("answer-error", code).streamable_http_app(host="127.0.0.1")
    with serve_asgi(app) as base:
        r = mcpctl("call", "--url", f"{base}/mcp", "lookup", "--retries", "2", "--protocol", protocol, "-o", "json")
    assert r.exit_code == 5, r
    error = error_of(r)
    assert (error["type"], error["code"]) == ("protocol", int(code))
    assert f"lookup failed on the server (code {code})" in error["message"]
    assert noted(calls) == ["lookup"]


# ------------------------------------------------------------------------------- response size and deadline (C)


def test_endless_json_body_is_exit_5_naming_the_limit_long_before_the_timeout(rogue_url: Callable[[str], str]) -> None:
    url = rogue_url("endless-json")
    r = mcpctl("call", "--url", url, "work", "--max-response-size", "2M", "--timeout", "60", timeout=50)
    assert r.exit_code == 5, r
    assert "larger than the limit of 2 MiB" in r.stderr
    assert "--max-response-size" in hint_of(r)
    assert r.elapsed < 30


def test_endless_server_sent_event_is_exit_5_naming_the_profile_limit(
    rogue_url: Callable[[str], str], tmp_path: Path
) -> None:
    profile = tmp_path / "mcpctl.toml"
    profile.write_text(f'[servers.rogue]\nurl = "{rogue_url("endless-sse")}"\nmax_response_size = "3M"\n')
    r = mcpctl("call", "-p", str(profile), "rogue.work", "--timeout", "60", "-o", "json", timeout=50)
    assert r.exit_code == 5, r
    error = error_of(r)
    assert error["type"] == "response_too_large"
    assert "larger than the limit of 3 MiB" in error["message"]
    assert r.elapsed < 30


def test_endless_event_in_the_handshake_is_exit_5_naming_the_limit(rogue_url: Callable[[str], str]) -> None:
    url = rogue_url("endless-handshake")
    r = mcpctl("tools", "list", "--url", url, "--protocol", "legacy", "--max-response-size", "1M", timeout=50)
    assert r.exit_code == 5, r
    assert "the server's answer to initialize is larger than the limit of 1 MiB" in r.stderr
    assert "closed the connection" not in r.stderr


def test_default_response_limit_is_64_mib(rogue_url: Callable[[str], str]) -> None:
    r = mcpctl("call", "--url", rogue_url("endless-json"), "work", "--timeout", "60", timeout=50)
    assert r.exit_code == 5, r
    assert "larger than the limit of 64 MiB" in r.stderr


def test_trickling_body_is_exit_4_at_the_timeout(rogue_url: Callable[[str], str]) -> None:
    url = rogue_url("trickle")
    baseline = mcpctl("tools", "list", "--url", url).elapsed  # connecting and listing, on this machine now
    r = mcpctl("call", "--url", url, "work", "--timeout", "2", timeout=40)
    assert r.exit_code == 4, r
    assert "timed out" in r.stderr
    assert r.elapsed < baseline + 2 + 4


@pytest.mark.parametrize("value", ["0", "lots", "-1M", "1T"])
def test_bad_max_response_size_is_exit_2(value: str) -> None:
    r = mcpctl("call", "--stdio", faulty("none"), "echo", "message=x", "--max-response-size", value)
    assert r.exit_code == 2, r
    assert "--max-response-size" in r.stderr


# ------------------------------------------------------------------------------------- unparsable answers (F)


@pytest.mark.parametrize(
    ("fault", "detail"),
    [
        ("array", "result: Input should be an object"),
        ("deep", "recursion limit exceeded"),
        ("surrogate", "Invalid JSON"),
        ("array-sse", "result: Input should be an object"),
        ("deep-sse", "recursion limit exceeded"),
        ("surrogate-sse", "Invalid JSON"),
    ],
)
def test_unparsable_answer_over_http_is_exit_5_at_once(
    rogue_url: Callable[[str], str], fault: str, detail: str
) -> None:
    r = mcpctl("call", "--url", rogue_url(fault), "work", "--timeout", "60", timeout=50)
    assert r.exit_code == 5, r
    first = r.stderr.splitlines()[0]
    assert "the server's answer to tools/call could not be parsed: " in first
    assert detail in first
    assert r.elapsed < 30


@pytest.mark.parametrize(
    ("fault", "detail"),
    [
        ("array", "result: Input should be an object"),
        ("deep", "recursion limit exceeded"),
        ("surrogate", "Invalid JSON"),
    ],
)
def test_unparsable_answer_over_legacy_sse_is_exit_5_at_once(fault: str, detail: str) -> None:
    with serve_asgi(rogue.build_sse_app(fault)) as base:
        r = mcpctl("call", "--url", f"{base}/sse", "work", "--timeout", "60", timeout=50)
    assert r.exit_code == 5, r
    first = r.stderr.splitlines()[0]
    assert "the server's answer to tools/call could not be parsed: " in first
    assert detail in first
    assert r.elapsed < 30


def test_event_past_the_legacy_sse_clients_limit_is_exit_5_naming_it() -> None:
    with serve_asgi(rogue.build_sse_app("big")) as base:
        r = mcpctl("call", "--url", f"{base}/sse", "work", "--timeout", "60", timeout=50)
    assert r.exit_code == 5, r
    assert "larger than the limit of 1 MiB" in r.stderr
    assert "closed the connection" not in r.stderr


def test_legacy_sse_server_that_answers_well_still_works() -> None:
    with serve_asgi(rogue.build_sse_app("none")) as base:
        r = mcpctl("call", "--url", f"{base}/sse", "work")
    assert r.exit_code == 0, r
    assert r.stdout == "worked\n"


# ------------------------------------------------------------------------------------------ lost sessions (6)


def batch_file(tmp_path: Path, tool: str, n: int = 3) -> Path:
    path = tmp_path / "calls.jsonl"
    path.write_text(
        "".join(json.dumps({"id": str(i), "tool": tool, "arguments": {"key": str(i)}}) + "\n" for i in range(n))
    )
    return path


@pytest.mark.parametrize("status", [404, 400])
def test_batch_reopens_a_lost_session_and_retries_read_only_calls(tmp_path: Path, status: int) -> None:
    state = flaky_server.State(0)
    app = rogue.Forgetful(flaky_server.build_app(0, state=state), status=status)
    with serve_asgi(app) as base:
        r = mcpctl(
            "batch", str(batch_file(tmp_path, "flaky_read")), "--url", f"{base}/mcp", "--protocol", "legacy", "-j", "1"
        )
    assert r.exit_code == 0, r
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [line["ok"] for line in lines] == [True, True, True]
    assert [line["attempts"] for line in lines] == [1, 2, 2]
    assert "2 retried" in r.stderr
    assert state.lines() == ["flaky_read ok"] * 3  # each call reached a live session once


def test_batch_does_not_repeat_a_call_unsafe_to_repeat_on_a_lost_session(tmp_path: Path) -> None:
    state = flaky_server.State(0)
    app = rogue.Forgetful(flaky_server.build_app(0, state=state))
    with serve_asgi(app) as base:
        r = mcpctl(
            "batch", str(batch_file(tmp_path, "flaky_write", 2)), "--url", f"{base}/mcp", "--protocol", "legacy",
            "-j", "1",
        )  # fmt: skip
    assert r.exit_code == 1, r
    first, second = (json.loads(line) for line in r.stdout.splitlines())
    assert first["ok"] is True
    assert second["ok"] is False
    assert second["error"]["type"] == "session_expired"
    assert "session expired" in second["error"]["message"]
    assert "check the URL" not in json.dumps(second["error"])
    assert "retry-unsafe" in second["error"]["hint"]
    assert state.lines() == ["flaky_write ok"]


def test_call_with_retries_reopens_a_lost_session() -> None:
    state = flaky_server.State(0)
    app = rogue.Forgetful(flaky_server.build_app(0, state=state), served=0, times=1)
    with serve_asgi(app) as base:
        r = mcpctl("call", "--url", f"{base}/mcp", "--protocol", "legacy", "flaky_read", "key=k", "-o", "json")
    assert r.exit_code == 0, r
    assert json.loads(r.stdout)["attempts"] == 2
    assert state.lines() == ["flaky_read ok"]


def test_call_unsafe_to_repeat_on_a_lost_session_is_exit_3_saying_so() -> None:
    state = flaky_server.State(0)
    app = rogue.Forgetful(flaky_server.build_app(0, state=state), served=0, times=1)
    with serve_asgi(app) as base:
        r = mcpctl("call", "--url", f"{base}/mcp", "--protocol", "legacy", "flaky_write", "key=k")
    assert r.exit_code == 3, r
    assert "session expired" in r.stderr
    assert "check the URL" not in r.stderr
    assert state.lines() == []  # the session was gone before the call reached the tool


# ---------------------------------------------------------------------------------- SSE on another path (7)


@pytest.fixture
def sse_events_url() -> Iterator[str]:
    """The demo as a legacy SSE server whose stream is at ``/events`` (not ``/sse``)."""
    from mcpctl.demo import build_server

    with serve_asgi(build_server().sse_app(sse_path="/events")) as base:
        yield f"{base}/events"


def test_url_of_an_sse_server_on_another_path_falls_back_to_sse(sse_events_url: str) -> None:
    r = mcpctl("tools", "list", "--url", sse_events_url, "-v")
    assert r.exit_code == 0, r
    assert "echo" in r.stdout
    assert "trying the legacy SSE transport" in r.stderr


def test_explicit_streamable_http_does_not_fall_back_and_names_transport_sse(sse_events_url: str) -> None:
    r = mcpctl("tools", "list", "--url", sse_events_url, "--transport", "streamable-http")
    assert r.exit_code == 3, r
    assert "--transport sse" in hint_of(r)


def test_pinned_protocol_does_not_fall_back_to_sse(sse_events_url: str) -> None:
    r = mcpctl("tools", "list", "--url", sse_events_url, "--protocol", "legacy")
    assert r.exit_code == 3, r
    assert "--transport sse" in hint_of(r)


# ------------------------------------------------------------------------------- a pinned revision (9)


@pytest.mark.parametrize("command", [("tools", "list"), ("call", "add", "a=1", "b=2")])
def test_pinned_revision_an_older_stdio_server_does_not_speak_is_named(command: tuple[str, ...]) -> None:
    r = mcpctl(*command, "--stdio", faulty("legacy"), "--protocol", "2026-07-28", "-o", "json")
    assert r.exit_code == 5, r
    error = error_of(r)
    assert error["type"] == "unsupported_revision"
    assert error["message"].startswith("the server does not speak protocol revision 2026-07-28; it answered: ")
    assert "validation errors" in error["message"]  # what it answered
    assert "--protocol auto" in error["hint"]


def test_pinned_revision_an_older_http_server_does_not_speak_is_named(rogue_url: Callable[[str], str]) -> None:
    r = mcpctl("tools", "list", "--url", rogue_url("legacy"), "--protocol", "2026-07-28")
    assert r.exit_code == 5, r
    assert "does not speak protocol revision 2026-07-28" in r.stderr
    assert "Bad Request: Missing session ID" in r.stderr
    assert "--protocol auto" in hint_of(r)


def test_pinned_revision_keeps_the_answered_error_of_a_server_that_speaks_it() -> None:
    r = mcpctl("call", "--stdio", faulty("jsonrpc-error"), "rpcfail", "--protocol", "2026-07-28")
    assert r.exit_code == 5, r
    assert "custom failure (JSON-RPC error -32099)" in r.stderr
    assert "does not speak" not in r.stderr


# ----------------------------------------------------------------------------------------- HTTP 413 (14)


def test_http_413_has_a_hint(status_http_url: Callable[[int], str]) -> None:
    r = mcpctl("call", "--url", status_http_url(413), "echo", "message=x", "--transport", "streamable-http")
    assert r.exit_code == 3, r
    assert "HTTP 413" in r.stderr
    assert "too large" in hint_of(r)
