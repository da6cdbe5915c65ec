"""A call's deadlines, and a person at work (an OAuth login in the browser) stopping the deadline they hold up.

The connect (``session._connect_once``) and each call (``CallClock.run``) put their ``hold`` in ``CALL_HOLD`` while
they await requests; the SDK runs a request's HTTP exchange (and so the OAuth flow) in the sender's context, where
the login finds it (``person_at_work``).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import TypeVar

import anyio

from mcpctl.core.errors import TimeoutExpired

T = TypeVar("T")

#: ``hold(True)`` stops the deadlines of the call this task works for, ``hold(False)`` restarts them.
CALL_HOLD: ContextVar[Callable[[bool], None] | None] = ContextVar("mcpctl_call_hold", default=None)


@contextlib.contextmanager
def holding(hold: Callable[[bool], None]) -> Iterator[None]:
    """Make ``hold`` the deadline a person at work stops, for the requests sent inside the block."""
    token = CALL_HOLD.set(hold)
    try:
        yield
    finally:
        CALL_HOLD.reset(token)


@contextlib.contextmanager
def person_at_work() -> Iterator[None]:
    """No call deadline runs out while a person does what the call waits for."""
    hold = CALL_HOLD.get()
    if hold is None:
        yield
        return
    hold(True)
    try:
        yield
    finally:
        hold(False)


class CallClock:
    """A call's two deadlines: ``idle`` seconds of silence (restarted by progress) and ``bound`` in all."""

    def __init__(self, idle: float, bound: float | None) -> None:
        self.idle = idle
        self.bound = bound
        self.started = anyio.current_time()
        self.scope = anyio.CancelScope(deadline=self._deadline())

    def _deadline(self) -> float:
        hard = math.inf if self.bound is None else self.started + self.bound
        return min(anyio.current_time() + self.idle, hard)

    def touch(self) -> None:
        """A progress notification arrived: the call is alive, its silence deadline starts again."""
        self.scope.deadline = self._deadline()

    def elapsed(self) -> float:
        return anyio.current_time() - self.started

    def over_bound(self) -> bool:
        return self.bound is not None and self.elapsed() >= self.bound

    def hold(self, paused: bool) -> None:
        """A person logs in for this call (``person_at_work``): no deadline meanwhile; silence counts anew after."""
        self.scope.deadline = math.inf if paused else self._deadline()

    async def run(self, operation: Awaitable[T], server: str, tool: str) -> T:
        """Await ``operation`` until a deadline; cancelling it sends the server ``notifications/cancelled``."""
        with holding(self.hold), self.scope:
            return await operation
        raise self.expired(server, f"tool '{tool}'")

    def expired(
        self,
        server: str,
        what: str,
        silent: str = "sent neither an answer nor progress",
        cancelled: str = "it was cancelled",
    ) -> TimeoutExpired:
        """The error for a missed deadline, naming the flag that set it (``what``: the call or task that missed it)."""
        if self.over_bound():
            return TimeoutExpired(
                f"timed out: {what} was still running at --max-time ({self.bound:g}s); {cancelled}",
                hint="raise --max-time (or max_time_sec in the profile)",
                server=server,
            )
        return TimeoutExpired(
            f"timed out: {what} {silent} for {self.idle:g}s; {cancelled}",
            hint="raise --timeout (or tool_timeout_sec in the profile)",
            server=server,
        )
