"""sessions.classify (foreign exceptions → our errors and exit codes) and core.retry (backoff, retrying)."""

from __future__ import annotations

import email.utils
from collections import deque
from collections.abc import Iterator
from typing import Any, cast

import httpx2
import pytest
from mcp.shared.exceptions import MCPError

from mcpctl.core.errors import (
    AuthError,
    ConnectError,
    ConnectionClosedError,
    HttpStatusError,
    InvalidResultError,
    McpctlError,
    ProtocolError,
    TimeoutExpired,
    UsageError,
)
from mcpctl.core.retry import Attempts, RetryPolicy, retrying
from mcpctl.core.secrets import MASK, redact
from mcpctl.sessions.classify import HttpLog, classify, from_http_status, leaves, parse_retry_after

URL = "http://127.0.0.1:9/mcp"


@pytest.fixture(autouse=True)
def _fresh_redactor() -> Iterator[None]:
    redact.clear()
    yield
    redact.clear()


def http_status_error(status: int, headers: dict[str, str] | None = None) -> httpx2.HTTPStatusError:
    request = httpx2.Request("POST", URL)
    response = httpx2.Response(status, headers=headers or {}, request=request)
    return httpx2.HTTPStatusError(f"HTTP {status}", request=request, response=response)


def http_log(status: int, headers: dict[str, str] | None = None) -> HttpLog:
    log = HttpLog()
    log.record(200, {})
    log.record(status, headers or {})
    return log


# ======================================================================================================================
# leaves
# ======================================================================================================================


def test_leaves_flattens_nested_exception_groups_in_order() -> None:
    a, b, c = ValueError("a"), KeyError("b"), OSError("c")
    group = ExceptionGroup("outer", [a, ExceptionGroup("inner", [b, ExceptionGroup("deepest", [c])])])
    assert leaves(group) == [a, b, c]


def test_leaves_of_a_plain_exception_is_itself() -> None:
    error = RuntimeError("x")
    assert leaves(error) == [error]


# ======================================================================================================================
# classify: JSON-RPC errors from the SDK
# ======================================================================================================================


def test_nested_group_of_connection_closed_is_connection_closed_exit_3() -> None:
    exc = ExceptionGroup("tg", [ExceptionGroup("inner", [MCPError(-32000, "Connection closed")])])
    error = classify(exc, server="demo")
    assert type(error) is ConnectionClosedError
    assert error.exit_code == 3
    assert error.server == "demo"
    assert error.retryable


def test_connection_closed_during_connect_says_handshake() -> None:
    error = classify(MCPError(-32000, "Connection closed"), phase="connect")
    assert isinstance(error, ConnectionClosedError)
    assert "handshake" in error.message


def test_request_timeout_is_exit_4() -> None:
    error = classify(MCPError(-32001, "Timed out while waiting for response"))
    assert type(error) is TimeoutExpired
    assert error.exit_code == 4
    assert error.hint is not None and "--timeout" in error.hint


def test_json_rpc_error_in_call_phase_is_protocol_error_with_code_and_data() -> None:
    error = classify(MCPError(-32099, "server-defined failure", {"why": "because"}), server="demo")
    assert type(error) is ProtocolError
    assert error.exit_code == 5
    assert (error.code, error.data) == (-32099, {"why": "because"})
    assert "server-defined failure" in error.message and "-32099" in error.message
    body = error.to_json()["error"]
    assert (body["code"], body["data"], body["server"]) == (-32099, {"why": "because"}, "demo")


def test_unknown_tool_hint_points_at_tools_show() -> None:
    error = classify(MCPError(-32602, "Unknown tool: nope"))
    assert isinstance(error, ProtocolError) and error.code == -32602
    assert error.hint is not None and "mcpctl tools show" in error.hint


def test_json_rpc_error_during_connect_is_connect_error_exit_3() -> None:
    error = classify(MCPError(-32602, "Unsupported protocol version"), phase="connect")
    assert type(error) is ConnectError
    assert error.exit_code == 3
    assert "handshake failed" in error.message and "Unsupported protocol version" in error.message


# ======================================================================================================================
# classify: timeouts, OS and httpx2 errors
# ======================================================================================================================


def test_timeout_error_is_exit_4() -> None:
    error = classify(TimeoutError())
    assert type(error) is TimeoutExpired and error.exit_code == 4


def test_httpx_timeout_is_exit_4() -> None:
    assert classify(httpx2.ReadTimeout("read timed out")).exit_code == 4


def test_httpx_connect_error_is_exit_3_naming_the_url() -> None:
    error = classify(httpx2.ConnectError("All connection attempts failed"), url=URL, server="remote")
    assert type(error) is ConnectError
    assert error.exit_code == 3
    assert URL in error.message and "All connection attempts failed" in error.message
    assert error.server == "remote"
    assert error.retryable


def test_file_not_found_is_a_connect_error() -> None:
    error = classify(FileNotFoundError(2, "No such file or directory", "no-such-server"))
    assert isinstance(error, ConnectError) and error.exit_code == 3
    assert "no-such-server" in error.message


def test_broken_connection_is_connection_closed() -> None:
    assert type(classify(BrokenPipeError())) is ConnectionClosedError
    assert type(classify(EOFError())) is ConnectionClosedError


def test_our_own_error_inside_a_group_wins_and_is_kept() -> None:
    ours = UsageError("bad input")
    error = classify(ExceptionGroup("tg", [RuntimeError("noise"), ours]), server="s")
    assert error is ours and error.server == "s"


def test_an_sdk_error_is_preferred_over_noise_in_the_same_group() -> None:
    exc = ExceptionGroup("tg", [RuntimeError("cancelled"), MCPError(-32001, "timeout")])
    assert type(classify(exc)) is TimeoutExpired


def test_structured_content_runtime_error_is_invalid_result_exit_5() -> None:
    error = classify(RuntimeError("Invalid structured content returned by tool weather: 'x' is a required property"))
    assert type(error) is InvalidResultError
    assert error.exit_code == 5
    assert "outputSchema" in error.message


def test_unexpected_exception_is_exit_1_and_suggests_debug() -> None:
    error = classify(ZeroDivisionError("division by zero"))
    assert type(error) is McpctlError and error.exit_code == 1
    assert error.hint is not None and "--debug" in error.hint


def test_classified_messages_are_redacted() -> None:
    redact.add(["sekrit-token-1"])
    error = classify(httpx2.ConnectError("refused for sekrit-token-1"), url=URL)
    assert "sekrit-token-1" not in error.message and MASK in error.message


class _FakeStdio:
    """What classify reads from a stdio server record: its exit note and stderr tail."""

    def __init__(self, note: str | None, tail: list[str]) -> None:
        self._note = note
        self.stderr_tail = deque(tail)

    def exit_note(self) -> str | None:
        return self._note


def test_stdio_exit_note_and_stderr_tail_are_attached_to_connect_errors() -> None:
    stdio = _FakeStdio("process exited with status 1", ["", *[f"line {i}" for i in range(15)], "ImportError: nope"])
    error = classify(MCPError(-32000, "Connection closed"), phase="connect", stdio=cast(Any, stdio))
    assert "process exited with status 1" in error.message
    assert len(error.details) == 10
    assert error.details[-1] == "server stderr: ImportError: nope"


# ======================================================================================================================
# classify: HTTP statuses
# ======================================================================================================================


def test_401_with_challenge_is_auth_error_exit_6_quoting_it() -> None:
    challenge = 'Bearer realm="mcp", error="invalid_token"'
    error = classify(
        ExceptionGroup("tg", [MCPError(-32000, "Connection closed")]),
        http=http_log(401, {"WWW-Authenticate": challenge}),
        url=URL,
        server="remote",
    )
    assert type(error) is AuthError
    assert error.exit_code == 6
    assert "401" in error.message and URL in error.message
    assert error.hint is not None and f"WWW-Authenticate: {challenge}" in error.hint
    assert "bearer_token_env_var" in error.hint


def test_403_is_auth_error_exit_6() -> None:
    error = classify(MCPError(-32603, "HTTP error"), http=http_log(403))
    assert type(error) is AuthError and error.exit_code == 6
    assert "403" in error.message


def test_http_log_is_ignored_for_unrelated_errors() -> None:
    error = classify(MCPError(-32001, "timeout"), http=http_log(401))
    assert type(error) is TimeoutExpired


def test_http_log_only_keeps_error_headers() -> None:
    log = HttpLog()
    log.record(200, {"Retry-After": "1"})
    assert (log.last_error, log.retry_after()) == (None, None)
    log.record(503, {"Retry-After": "3"})
    assert (log.last_error, log.retry_after(), log.statuses) == (503, 3.0, [200, 503])


def test_404_is_http_status_error_exit_3_and_not_retryable() -> None:
    error = classify(http_status_error(404), url=URL)
    assert type(error) is HttpStatusError
    assert (error.exit_code, error.status, error.retryable) == (3, 404, False)
    assert error.hint is not None and "/mcp" in error.hint


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_5xx_and_429_are_retryable_http_status_errors(status: int) -> None:
    error = classify(http_status_error(status))
    assert type(error) is HttpStatusError
    assert (error.status, error.retryable, error.exit_code) == (status, True, 3)


@pytest.mark.parametrize("status", [400, 405, 409])
def test_other_4xx_are_not_retryable(status: int) -> None:
    error = from_http_status(status, {})
    assert isinstance(error, HttpStatusError) and not error.retryable


def test_429_with_retry_after_seconds() -> None:
    error = classify(http_status_error(429, {"Retry-After": "7"}))
    assert isinstance(error, HttpStatusError)
    assert error.retry_after == 7.0
    assert error.hint is not None and "7s" in error.hint
    assert classify(MCPError(-32603, "x"), http=http_log(429, {"retry-after": "7"})).retry_after == 7.0  # type: ignore[attr-defined]


def test_parse_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 120 ") == 120.0
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(30.0)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0  # in the past


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5e3x"])
def test_parse_retry_after_unreadable_is_none(value: str | None) -> None:
    assert parse_retry_after(value) is None


# ======================================================================================================================
# RetryPolicy.delay
# ======================================================================================================================


def test_full_jitter_delays_double_and_are_capped() -> None:
    policy = RetryPolicy(retries=8, base_delay=0.2, max_delay=5.0)
    delays = [policy.delay(n, rand=lambda: 1.0) for n in range(8)]
    assert delays == pytest.approx([0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0])


def test_full_jitter_scales_the_ceiling_by_rand() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0)
    assert policy.delay(2, rand=lambda: 0.25) == pytest.approx(1.0)
    assert policy.delay(3, rand=lambda: 0.0) == 0.0
    assert policy.delay(30, rand=lambda: 0.5) == pytest.approx(5.0)  # huge retry numbers stay capped


def test_retry_after_raises_the_delay_within_the_cap() -> None:
    policy = RetryPolicy(base_delay=0.2, max_delay=5.0)
    assert policy.delay(0, rand=lambda: 0.0, retry_after=3.0) == 3.0
    assert policy.delay(0, rand=lambda: 0.0, retry_after=100.0) == 5.0
    assert policy.delay(4, rand=lambda: 1.0, retry_after=0.5) == pytest.approx(3.2)  # never lowers it


# ======================================================================================================================
# retrying
# ======================================================================================================================


class Clock:
    """A fake async sleep that records the delays it was asked for."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)


def failing(*errors: Exception, result: str = "ok") -> Any:
    """An operation that raises ``errors`` one per call, then returns ``result``."""
    queue = list(errors)
    calls: list[int] = []

    async def operation() -> str:
        calls.append(1)
        if queue:
            raise queue.pop(0)
        return result

    operation.calls = calls  # type: ignore[attr-defined]
    return operation


@pytest.mark.anyio
async def test_retryable_errors_are_retried_policy_retries_times_then_raised() -> None:
    clock = Clock()
    attempts = Attempts()
    errors = [ConnectError(f"refused {i}") for i in range(10)]
    operation = failing(*errors)
    with pytest.raises(ConnectError) as info:
        await retrying(operation, RetryPolicy(retries=3), sleep=clock.sleep, rand=lambda: 1.0, attempts=attempts)
    assert info.value is errors[3]  # the last attempt's error
    assert attempts.count == 4 and len(operation.calls) == 4
    assert clock.delays == pytest.approx([0.2, 0.4, 0.8])


@pytest.mark.anyio
async def test_success_after_retries_returns_the_result_and_counts_attempts() -> None:
    clock = Clock()
    attempts = Attempts()
    seen: list[tuple[str, int, float]] = []
    operation = failing(ConnectError("a"), HttpStatusError("HTTP 503", status=503), result="done")
    result = await retrying(
        operation,
        RetryPolicy(retries=5),
        sleep=clock.sleep,
        rand=lambda: 0.5,
        attempts=attempts,
        on_retry=lambda e, n, d: seen.append((e.message, n, d)),
    )
    assert result == "done"
    assert attempts.count == 3
    assert clock.delays == pytest.approx([0.1, 0.2])
    assert [(message, n) for message, n, _ in seen] == [("a", 1), ("HTTP 503", 2)]
    assert [delay for _, _, delay in seen] == clock.delays


@pytest.mark.anyio
@pytest.mark.parametrize(
    "error",
    [UsageError("bad flag"), AuthError("HTTP 401"), ProtocolError("unknown tool"), TimeoutExpired("slow")],
)
async def test_non_retryable_errors_are_never_retried(error: McpctlError) -> None:
    clock = Clock()
    attempts = Attempts()
    with pytest.raises(type(error)):
        await retrying(failing(error), RetryPolicy(retries=5), sleep=clock.sleep, attempts=attempts)
    assert attempts.count == 1
    assert clock.delays == []


@pytest.mark.anyio
async def test_zero_retries_tries_once() -> None:
    clock = Clock()
    attempts = Attempts()
    with pytest.raises(ConnectError):
        await retrying(failing(ConnectError("x")), RetryPolicy(retries=0), sleep=clock.sleep, attempts=attempts)
    assert (attempts.count, clock.delays) == (1, [])


@pytest.mark.anyio
async def test_retry_after_from_a_429_sets_the_wait() -> None:
    clock = Clock()
    error = HttpStatusError("HTTP 429", status=429, retry_after=2.5)
    result = await retrying(failing(error), RetryPolicy(retries=1), sleep=clock.sleep, rand=lambda: 0.0)
    assert result == "ok"
    assert clock.delays == [2.5]


@pytest.mark.anyio
async def test_should_retry_decides_what_is_retried() -> None:
    clock = Clock()
    attempts = Attempts()
    result = await retrying(
        failing(ProtocolError("flaky")),
        RetryPolicy(retries=2),
        should_retry=lambda e: isinstance(e, ProtocolError),
        sleep=clock.sleep,
        rand=lambda: 1.0,
        attempts=attempts,
    )
    assert (result, attempts.count) == ("ok", 2)


@pytest.mark.anyio
async def test_foreign_exceptions_pass_through_without_retry() -> None:
    clock = Clock()
    attempts = Attempts()
    with pytest.raises(KeyError):
        await retrying(failing(KeyError("x")), RetryPolicy(retries=3), sleep=clock.sleep, attempts=attempts)
    assert attempts.count == 1 and clock.delays == []
