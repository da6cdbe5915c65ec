"""Retries, fallback and HTTP status handling, against the flaky test server.

The flaky server logs every tool call (``TOOL ok`` / ``TOOL fail``) to ``$FLAKY_STATE`` and appends its pid to
``$FLAKY_PIDFILE`` on start (``conftest.Flaky``), so a test can count exactly how many attempts reached a server.
HTTP variants serve the flaky app in this process (``serve_asgi``) so the test can read what the server saw.
"""

from __future__ import annotations

import contextlib
import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO, Flaky, faulty, flaky, flaky_server, serve_asgi, write_profile

from cli.runner import Result, mcpctl


def call_json(*args: str, env: dict[str, str] | None = None) -> tuple[Result, dict[str, Any] | None, Any]:
    """Run ``mcpctl call … -o json``: (result, stdout JSON or None, stderr error body or None)."""
    r = mcpctl("call", *args, "-o", "json", env=env)
    out = json.loads(r.stdout) if r.stdout.strip() else None
    errors = [json.loads(line) for line in r.stderr.splitlines() if line.startswith("{")]
    return r, out, errors[-1]["error"] if errors else None


# ----------------------------------------------------------------------------------------------- stdio: idempotency


def test_read_only_tool_is_retried_on_a_new_connection_until_it_answers(fl: Flaky) -> None:
    r, out, _ = call_json("--stdio", flaky(2), "flaky_read", "key=a", "--retries", "3", env=fl.env)
    assert r.exit_code == 0, r.stderr
    assert out is not None
    assert out["attempts"] == 3
    assert out["result"]["content"][0]["text"] == "read a"
    assert fl.calls() == ["flaky_read fail", "flaky_read fail", "flaky_read ok"]
    assert fl.starts() == 3


def test_read_only_tool_gives_up_after_the_retries_with_exit_3(fl: Flaky) -> None:
    r, out, error = call_json("--stdio", flaky(5), "flaky_read", "--retries", "2", env=fl.env)
    assert r.exit_code == 3
    assert out is None and r.stdout == ""
    assert error is not None and error["type"] == "connection_closed"
    assert "flaky: dropping out on purpose" in " ".join(error.get("details", []))  # the server's stderr tail
    assert fl.calls() == ["flaky_read fail"] * 3


def test_tool_not_safe_to_repeat_is_not_retried_after_it_reached_the_server(fl: Flaky) -> None:
    r, _, error = call_json("--stdio", flaky(1), "flaky_write", "key=w", "--retries", "3", env=fl.env)
    assert r.exit_code == 3
    assert r.stdout == ""
    assert error is not None and error["type"] == "connection_closed" and error["exit_code"] == 3
    assert fl.calls() == ["flaky_write fail"]  # one attempt
    assert fl.starts() == 1


def test_retry_unsafe_retries_a_tool_not_safe_to_repeat(fl: Flaky) -> None:
    r, out, _ = call_json("--stdio", flaky(1), "flaky_write", "key=w", "--retries", "3", "--retry-unsafe", env=fl.env)
    assert r.exit_code == 0, r.stderr
    assert out is not None and out["attempts"] == 2
    assert out["result"]["content"][0]["text"] == "wrote w"
    assert fl.calls() == ["flaky_write fail", "flaky_write ok"]


def test_retries_0_disables_retries(fl: Flaky) -> None:
    r, _, error = call_json("--stdio", flaky(1), "flaky_read", "--retries", "0", env=fl.env)
    assert r.exit_code == 3
    assert error is not None and error["type"] == "connection_closed"
    assert fl.calls() == ["flaky_read fail"]


def test_profile_retries_apply_and_the_flag_overrides_them(fl: Flaky, tmp_path: Path) -> None:
    words = shlex.split(flaky(1))
    profile = write_profile(
        tmp_path / "mcpctl.toml", {"fl": {"command": words[0], "args": words[1:], "retries": 0}}, {"retries": 5}
    )
    r, _, error = call_json("--profile", str(profile), "fl.flaky_read", env=fl.env)
    assert r.exit_code == 3, r.stderr  # the server's own key (0) beats [defaults] (5)
    assert error is not None and error["type"] == "connection_closed"
    assert fl.calls() == ["flaky_read fail"]
    fl.state.unlink()
    r, out, _ = call_json("--profile", str(profile), "fl.flaky_read", "--retries", "1", env=fl.env)
    assert r.exit_code == 0, r.stderr
    assert out is not None and out["attempts"] == 2


# ----------------------------------------------------------------------------------------------- HTTP statuses


@contextlib.contextmanager
def flaky_http(fails: int = 0, **options: Any) -> Iterator[tuple[str, Any]]:
    """The flaky app in-process: yields (URL, app); ``app.seen`` lists (time, method, outcome) per request."""
    app = flaky_server.build_app(fails, **options)
    with serve_asgi(app) as base:
        yield f"{base}/mcp", app


def outcomes(app: Any) -> list[str]:
    return [outcome for _, _, outcome in app.seen]


def test_http_503_is_retried_until_the_server_answers() -> None:
    with flaky_http(status_first=2, status=503) as (url, app):
        r, out, _ = call_json("--url", url, "echo", "message=hi", "--retries", "3")
    assert r.exit_code == 0, r.stderr
    assert out is not None and out["result"]["content"][0]["text"] == "hi"
    assert outcomes(app)[:2] == ["503", "503"]
    assert set(outcomes(app)[2:]) == {"pass"}
    assert "HTTP 503" in r.stderr and "retrying" in r.stderr


def test_http_503_with_retries_0_fails_with_exit_3_and_the_status() -> None:
    with flaky_http(status_first=100, status=503) as (url, app):
        r, _, error = call_json("--url", url, "echo", "message=hi", "--retries", "0", "--protocol", "2026-07-28")
    assert r.exit_code == 3
    assert error is not None and error["type"] == "http_status" and error["status"] == 503
    assert outcomes(app) == ["503"]


@pytest.mark.parametrize(
    ("protocol", "first"),
    [
        ("auto", 2),  # the 2026-07-28 probe and the fallback handshake both get 429
        ("2026-07-28", 1),  # stateless: the first request (tools/list) gets 429
    ],
)
def test_http_429_waits_for_retry_after_then_succeeds(protocol: str, first: int) -> None:
    with flaky_http(status_first=first, status=429) as (url, app):
        r, out, _ = call_json("--url", url, "echo", "message=hi", "--protocol", protocol, "--retries", "2")
    assert r.exit_code == 0, r.stderr
    assert out is not None and out["result"]["content"][0]["text"] == "hi"
    seen = app.seen
    assert [o for _, _, o in seen[:first]] == ["429"] * first
    waited = seen[first][0] - seen[first - 1][0]
    assert 0.95 <= waited < 3.0, f"waited {waited:.2f}s after a 429 with Retry-After: 1"


@pytest.mark.parametrize("protocol", ["legacy", "2026-07-28"])
def test_http_401_is_never_retried(protocol: str) -> None:
    with flaky_http(status_first=100, status=401) as (url, app):
        r, _, error = call_json("--url", url, "echo", "message=hi", "--protocol", protocol, "--retries", "3")
    assert r.exit_code == 6
    assert error is not None and error["type"] == "auth"
    assert outcomes(app) == ["401"]  # exactly one request
    assert "retrying" not in r.stderr


def test_http_401_in_auto_mode_is_one_attempt() -> None:
    """Auto mode probes 2026-07-28 and falls back to the handshake inside one attempt: two requests, no retry."""
    with flaky_http(status_first=100, status=401) as (url, app):
        r, _, error = call_json("--url", url, "echo", "message=hi", "--retries", "3")
    assert r.exit_code == 6
    assert error is not None and error["type"] == "auth"
    assert 1 <= len(app.seen) <= 2
    assert "retrying" not in r.stderr


def test_http_connection_dropped_mid_stream_is_retried_for_a_read_only_tool() -> None:
    with flaky_http(2, drop=True) as (url, app):
        r, out, _ = call_json("--url", url, "flaky_read", "key=z", "--retries", "3")
    assert r.exit_code == 0, r.stderr
    assert out is not None and out["attempts"] == 3
    assert out["result"]["content"][0]["text"] == "read z"
    assert outcomes(app).count("drop") == 2


def test_http_connection_dropped_mid_stream_is_not_retried_for_a_write() -> None:
    with flaky_http(1, drop=True) as (url, app):
        r, _, error = call_json("--url", url, "flaky_write", "--retries", "3")
    assert r.exit_code == 3
    assert error is not None and error["exit_code"] == 3
    assert outcomes(app).count("drop") == 1
    assert app.state.lines().count("flaky_write fail") == 1


# ----------------------------------------------------------------------------------------------- fallback


@pytest.fixture
def fallback_profile(tmp_path: Path, fl: Flaky) -> Path:
    words, slow = shlex.split(flaky(0)), shlex.split(faulty("slow-start", "30"))
    return write_profile(
        tmp_path / "mcpctl.toml",
        {
            "dead": {"command": "mcpctl-test-no-such-command"},
            "dead2": {"command": "mcpctl-test-no-such-command-either"},
            "slow": {"command": slow[0], "args": slow[1:], "startup_timeout_sec": 1},
            "demo": {"command": shlex.split(DEMO)[0], "args": shlex.split(DEMO)[1:]},
            "spare": {"command": words[0], "args": words[1:]},
        },
        {"retries": 0},
    )


def test_fallback_moves_on_from_a_server_that_cannot_start(fallback_profile: Path) -> None:
    r, out, _ = call_json("-p", str(fallback_profile), "dead.echo", "message=hi", "--fallback", "dead2,demo")
    assert r.exit_code == 0, r.stderr
    assert out is not None
    assert out["server"] == "demo"
    assert out["result"]["content"][0]["text"] == "hi"


def test_fallback_moves_on_from_a_server_that_times_out(fallback_profile: Path) -> None:
    r, out, _ = call_json("-p", str(fallback_profile), "slow.echo", "message=hi", "--fallback", "demo")
    assert r.exit_code == 0, r.stderr
    assert out is not None and out["server"] == "demo"
    assert r.elapsed < 15


def test_fallback_failure_lists_every_attempt(fallback_profile: Path) -> None:
    r, _, error = call_json("-p", str(fallback_profile), "dead.echo", "message=hi", "--fallback", "dead2")
    assert r.exit_code == 3
    assert error is not None
    assert "dead" in error["message"] and "dead2" in error["message"]
    details = " | ".join(error.get("details", []))
    assert "dead: command not found: mcpctl-test-no-such-command" in details
    assert "dead2: command not found: mcpctl-test-no-such-command-either" in details


def test_an_is_error_answer_does_not_fall_back(fallback_profile: Path, fl: Flaky) -> None:
    r, out, error = call_json(
        "-p", str(fallback_profile), "demo.fail", "message=nope", "--fallback", "spare", env=fl.env
    )
    assert r.exit_code == 1
    assert out is not None and out["server"] == "demo"
    assert out["result"]["isError"] is True
    assert error is not None and error["type"] == "tool_error"
    assert fl.starts() == 0  # the spare was never started


def test_a_json_rpc_error_does_not_fall_back(tmp_path: Path, fl: Flaky) -> None:
    words, spare = shlex.split(faulty("jsonrpc-error")), shlex.split(flaky(0))
    profile = write_profile(
        tmp_path / "rpc.toml",
        {"rpc": {"command": words[0], "args": words[1:]}, "spare": {"command": spare[0], "args": spare[1:]}},
    )
    r, _, error = call_json("-p", str(profile), "rpc.rpcfail", "--fallback", "spare", env=fl.env)
    assert r.exit_code == 5
    assert error is not None and error["type"] == "protocol" and error["server"] == "rpc"
    assert fl.starts() == 0
