"""The circuit breaker (injected clock), the retry policy (injected randomness and sleep), and the session pool.

The pool tests replace ``open_session`` with an in-memory fake, so they are fast and deterministic; the
fake's close is slow (as a stdio child's shutdown is) to expose races between closing and reopening.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from mcp.types import CallToolResult, TextContent

from mcpctl.core.circuit import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, is_transport_failure
from mcpctl.core.errors import (
    AuthError,
    CircuitOpenError,
    ConnectError,
    ConnectionClosedError,
    HttpStatusError,
    McpctlError,
    ProtocolError,
    TimeoutExpired,
    ToolFailed,
    UsageError,
)
from mcpctl.core.profile import Settings
from mcpctl.core.retry import Attempts, RetryPolicy, retrying
from mcpctl.sessions import pool as pool_module
from mcpctl.sessions.session import SessionOptions
from mcpctl.sessions.targets import Target


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock, **kw: Any) -> CircuitBreaker:
    return CircuitBreaker("api", clock=clock, **kw)


def closed() -> ConnectionClosedError:
    return ConnectionClosedError("the server closed the connection")


# ------------------------------------------------------------------------------------------------ circuit breaker


def test_circuit_opens_after_three_consecutive_transport_failures() -> None:
    clock = Clock()
    cb = breaker(clock)
    for _ in range(2):
        cb.failure(closed())
        assert cb.state == CLOSED
        cb.check()  # still lets calls through
    cb.failure(closed())
    assert cb.state == OPEN


def test_open_circuit_fails_fast_with_type_circuit_open_naming_the_last_error() -> None:
    clock = Clock()
    cb = breaker(clock, cooldown=30.0)
    for _ in range(3):
        cb.failure(closed())
    clock.now += 10
    with pytest.raises(CircuitOpenError) as caught:
        cb.check()
    error = caught.value
    assert error.type == "circuit_open"
    assert error.exit_code == 3
    assert error.server == "api"
    assert error.retryable is False  # failing fast must not be retried into a loop
    assert "the server closed the connection" in error.message
    assert "20s" in (error.hint or "")  # the cool-down left
    assert error.to_json()["error"]["type"] == "circuit_open"


def test_circuit_half_opens_after_the_cooldown_and_lets_a_trial_through() -> None:
    clock = Clock()
    cb = breaker(clock, cooldown=30.0)
    for _ in range(3):
        cb.failure(closed())
    clock.now += 29.9
    assert cb.state == OPEN
    with pytest.raises(CircuitOpenError):
        cb.check()
    clock.now += 0.1
    assert cb.state == HALF_OPEN
    cb.check()  # the trial call goes through


def test_a_success_in_half_open_closes_the_circuit() -> None:
    clock = Clock()
    cb = breaker(clock, cooldown=5.0)
    for _ in range(3):
        cb.failure(closed())
    clock.now += 5
    cb.check()
    cb.success()
    assert cb.state == CLOSED
    assert cb.failures == 0
    cb.failure(closed())  # counting starts again from zero
    assert cb.state == CLOSED


def test_a_failed_trial_in_half_open_reopens_at_once_for_a_new_cooldown() -> None:
    clock = Clock()
    cb = breaker(clock, cooldown=5.0)
    for _ in range(3):
        cb.failure(closed())
    clock.now += 6
    cb.check()
    cb.failure(TimeoutExpired("timed out"))  # one failure is enough in half-open
    assert cb.state == OPEN
    clock.now += 4.9
    assert cb.state == OPEN
    clock.now += 0.1
    assert cb.state == HALF_OPEN


def test_a_success_between_failures_resets_the_count() -> None:
    cb = breaker(Clock())
    for _ in range(5):
        cb.failure(closed())
        cb.failure(closed())
        cb.success()
    assert cb.state == CLOSED


@pytest.mark.parametrize(
    "error",
    [
        UsageError("bad flag"),
        ProtocolError("Unknown tool (JSON-RPC error -32602)", code=-32602),
        AuthError("HTTP 401 Unauthorized"),
        ToolFailed("isError"),
    ],
    ids=["usage", "protocol", "auth", "tool-error"],
)
def test_answers_and_our_own_errors_do_not_count_as_transport_failures(error: McpctlError) -> None:
    cb = breaker(Clock())
    assert not is_transport_failure(error)
    for _ in range(10):
        cb.failure(error)
    assert cb.state == CLOSED
    assert cb.failures == 0
    cb.check()


@pytest.mark.parametrize(
    "error",
    [
        ConnectError("command not found: x"),
        ConnectionClosedError("gone"),
        TimeoutExpired("timed out"),
        HttpStatusError("HTTP 503", status=503),
        HttpStatusError("HTTP 429", status=429, retry_after=1),
    ],
    ids=["connect", "closed", "timeout", "503", "429"],
)
def test_connection_failures_and_timeouts_count(error: McpctlError) -> None:
    cb = breaker(Clock())
    assert is_transport_failure(error)
    for _ in range(3):
        cb.failure(error)
    assert cb.state == OPEN


def test_threshold_and_cooldown_are_configurable() -> None:
    clock = Clock()
    cb = breaker(clock, threshold=1, cooldown=0.5)
    cb.failure(closed())
    assert cb.state == OPEN
    clock.now += 0.5
    assert cb.state == HALF_OPEN


# ------------------------------------------------------------------------------------------------ retry policy


def test_policy_is_frozen() -> None:
    policy = RetryPolicy(retries=3)
    with pytest.raises(AttributeError):
        policy.retries = 5  # type: ignore[misc]


def test_delays_are_full_jitter_of_a_doubling_capped_ceiling() -> None:
    policy = RetryPolicy(retries=10, base_delay=0.2, max_delay=5.0)
    top = [policy.delay(n, rand=lambda: 1.0) for n in range(7)]
    assert top == pytest.approx([0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0])
    assert [policy.delay(n, rand=lambda: 0.0) for n in range(7)] == [0.0] * 7
    assert policy.delay(3, rand=lambda: 0.25) == pytest.approx(0.4)


def test_retry_after_wins_over_a_shorter_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=0.2, max_delay=5.0)
    assert policy.delay(0, rand=lambda: 0.5, retry_after=1.0) == pytest.approx(1.0)
    assert policy.delay(0, rand=lambda: 0.5, retry_after=120.0) == pytest.approx(5.0)
    assert policy.delay(5, rand=lambda: 1.0, retry_after=0.5) == pytest.approx(5.0)  # jitter larger: jitter


class Recorder:
    """An injectable sleep that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def failing(errors: list[McpctlError], result: str = "ok") -> Any:
    """An operation that raises ``errors`` in turn, then returns ``result``; ``.calls`` counts calls."""

    async def operation() -> str:
        operation.calls += 1  # type: ignore[attr-defined]
        if errors:
            raise errors.pop(0)
        return result

    operation.calls = 0  # type: ignore[attr-defined]
    return operation


@pytest.mark.anyio
async def test_retrying_waits_the_exact_jittered_delays_and_counts_attempts() -> None:
    sleep, counter = Recorder(), Attempts()
    randoms = iter([0.5, 0.25, 1.0])
    operation = failing([closed(), ConnectError("refused"), HttpStatusError("HTTP 502", status=502)])
    result = await retrying(
        operation,
        RetryPolicy(retries=3, base_delay=1.0, max_delay=10.0),
        sleep=sleep,
        rand=lambda: next(randoms),
        attempts=counter,
    )
    assert result == "ok"
    assert counter.count == 4
    assert sleep.delays == pytest.approx([0.5, 0.5, 4.0])


@pytest.mark.anyio
async def test_retrying_honours_retry_after_of_a_429() -> None:
    sleep = Recorder()
    operation = failing([HttpStatusError("HTTP 429", status=429, retry_after=1.0)])
    await retrying(operation, RetryPolicy(retries=2, base_delay=0.2), sleep=sleep, rand=lambda: 0.0)
    assert sleep.delays == pytest.approx([1.0])


@pytest.mark.anyio
async def test_retrying_gives_up_after_the_retries_with_the_last_error() -> None:
    sleep, counter = Recorder(), Attempts()
    errors: list[McpctlError] = [ConnectError(f"refused {n}") for n in range(5)]
    with pytest.raises(ConnectError, match="refused 2"):
        await retrying(failing(errors), RetryPolicy(retries=2), sleep=sleep, rand=lambda: 0.0, attempts=counter)
    assert counter.count == 3
    assert len(sleep.delays) == 2


@pytest.mark.anyio
@pytest.mark.parametrize(
    "error",
    [
        AuthError("HTTP 401 Unauthorized"),
        HttpStatusError("HTTP 404", status=404),
        HttpStatusError("HTTP 400", status=400),
        UsageError("bad"),
        ProtocolError("Method not found", code=-32601),
        TimeoutExpired("timed out"),
    ],
    ids=["401", "404", "400", "usage", "json-rpc", "timeout"],
)
async def test_answers_and_other_4xx_are_never_retried(error: McpctlError) -> None:
    sleep, counter = Recorder(), Attempts()
    with pytest.raises(type(error)):
        await retrying(failing([error]), RetryPolicy(retries=5), sleep=sleep, attempts=counter)
    assert counter.count == 1
    assert sleep.delays == []


@pytest.mark.anyio
async def test_zero_retries_means_one_attempt() -> None:
    sleep, counter = Recorder(), Attempts()
    with pytest.raises(ConnectionClosedError):
        await retrying(failing([closed()]), RetryPolicy(retries=0), sleep=sleep, attempts=counter)
    assert counter.count == 1


@pytest.mark.anyio
async def test_should_retry_overrides_the_errors_own_verdict() -> None:
    sleep = Recorder()
    notes: list[tuple[str, int, float]] = []
    with pytest.raises(ConnectionClosedError):
        await retrying(
            failing([closed(), closed()]),
            RetryPolicy(retries=5),
            should_retry=lambda e: False,
            sleep=sleep,
            on_retry=lambda e, n, d: notes.append((e.message, n, d)),
        )
    assert sleep.delays == [] and notes == []


# ------------------------------------------------------------------------------------------------ session pool


class FakeSession:
    """Answers ``TOOL via N``; raises ``connection_closed`` once killed (also for calls already in flight)."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.stdio = None
        self.killed = False
        self.calls = 0

    async def call_tool(self, name: str, arguments: dict[str, Any], timeout: float | None = None) -> CallToolResult:
        self.calls += 1
        for _ in range(5):
            if self.killed:
                raise ConnectionClosedError("the server closed the connection")
            await anyio.sleep(0.01)
        return CallToolResult(content=[TextContent(type="text", text=f"{name} via {self.number}")])

    def wire(self, result: CallToolResult) -> dict[str, Any]:
        return dict(result.model_dump(by_alias=True, mode="json", exclude_none=True))


class FakeServer:
    """Stands in for ``open_session``: counts opens, can refuse to open, closes slowly (like a stdio child)."""

    def __init__(self, *, refuse: int = 0, close_seconds: float = 0.1) -> None:
        self.sessions: list[FakeSession] = []
        self.refuse = refuse
        self.open_attempts = 0
        self.close_seconds = close_seconds

    @contextlib.asynccontextmanager
    async def open(self, target: Target, options: SessionOptions) -> AsyncIterator[FakeSession]:
        self.open_attempts += 1
        if self.refuse:
            self.refuse -= 1
            raise ConnectError(f"could not connect to {target.name}")
        session = FakeSession(len(self.sessions) + 1)
        self.sessions.append(session)
        try:
            yield session
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.sleep(self.close_seconds)


def target(retries: int = 2) -> Target:
    return Target(name="api", transport="stdio", command="fake", settings=Settings(retries=retries))


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    server = FakeServer()
    monkeypatch.setattr(pool_module, "open_session", server.open)
    return server


def text_of(report: pool_module.CallReport) -> str:
    assert report.error is None, report.error
    assert report.result is not None
    return str(report.result["content"][0]["text"])


@pytest.mark.anyio
async def test_one_session_per_server_is_reused(fake: FakeServer) -> None:
    async with pool_module.session_pool(SessionOptions()) as pool:
        reports = []

        async def one() -> None:
            reports.append(await pool.call(target(), "echo", {}, may_repeat=True))

        async with anyio.create_task_group() as tg:
            for _ in range(20):
                tg.start_soon(one)
    assert [text_of(r) for r in reports] == ["echo via 1"] * 20
    assert len(fake.sessions) == 1 and fake.sessions[0].calls == 20


@pytest.mark.anyio
async def test_a_session_that_dies_is_reopened_and_idempotent_calls_in_flight_are_retried(fake: FakeServer) -> None:
    """Eight calls in flight on one dying session are one failure for the circuit, not eight."""
    async with pool_module.session_pool(SessionOptions()) as pool:
        assert text_of(await pool.call(target(), "echo", {})) == "echo via 1"
        reports: list[pool_module.CallReport] = []

        async def one() -> None:
            reports.append(await pool.call(target(), "read", {}, may_repeat=True))

        async with anyio.create_task_group() as tg:
            for _ in range(8):
                tg.start_soon(one)
            await anyio.sleep(0.02)
            fake.sessions[0].killed = True
        assert [text_of(r) for r in reports] == ["read via 2"] * 8
        assert [r.attempts for r in reports] == [2] * 8
        assert pool.slots["api"].breaker.state == CLOSED
        assert pool.slots["api"].opened == 2


@pytest.mark.anyio
async def test_calls_not_safe_to_repeat_fail_once_and_the_next_call_reopens(fake: FakeServer) -> None:
    async with pool_module.session_pool(SessionOptions()) as pool:
        reports: list[pool_module.CallReport] = []

        async def one() -> None:
            reports.append(await pool.call(target(), "write", {}, may_repeat=False))

        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(one)
            await anyio.sleep(0.02)
            fake.sessions[0].killed = True
        assert [(r.error.type if r.error else None, r.attempts) for r in reports] == [("connection_closed", 1)] * 4
        assert all(r.error is not None and r.error.server == "api" for r in reports)
        # the owner is still closing the dead session (slowly) when the next call asks for a new one
        assert text_of(await pool.call(target(), "write", {})) == "write via 2"


@pytest.mark.anyio
async def test_a_server_that_cannot_be_opened_trips_the_circuit_then_fails_fast(fake: FakeServer) -> None:
    fake.refuse = 100
    async with pool_module.session_pool(SessionOptions()) as pool:
        for _ in range(3):
            report = await pool.call(target(retries=0), "echo", {})
            assert report.error is not None and report.error.type == "connect"
        assert fake.open_attempts == 3
        report = await pool.call(target(retries=0), "echo", {}, may_repeat=True)
        assert report.error is not None and report.error.type == "circuit_open"
        assert report.attempts == 1
        assert fake.open_attempts == 3  # failed fast: no new attempt to open


@pytest.mark.anyio
async def test_a_server_that_refuses_once_is_reached_on_the_next_call(fake: FakeServer) -> None:
    fake.refuse = 1
    async with pool_module.session_pool(SessionOptions()) as pool:
        first = await pool.call(target(retries=0), "echo", {})
        assert first.error is not None and first.error.exit_code == 3
        assert text_of(await pool.call(target(retries=0), "echo", {})) == "echo via 1"
        assert pool.slots["api"].breaker.failures == 0
