"""A pool of long-lived sessions, one per server, reopened when they die.

Each server's session is owned by its own task (the SDK's cancel scopes must be
entered and left in one task); callers in any task borrow it. A call that fails
because the connection died marks the session dead; the next ``acquire`` reopens
it. Reopening goes through ``open_session`` (connect retries with backoff) and a
per-server circuit breaker, so a server that keeps dying fails fast.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import anyio.abc

from mcpctl.core.circuit import CircuitBreaker
from mcpctl.core.errors import ConnectError, McpctlError
from mcpctl.core.retry import Attempts, RetryPolicy, may_resend, retrying
from mcpctl.sessions.classify import attach_stdio
from mcpctl.sessions.options import SessionOptions
from mcpctl.sessions.session import Session, open_session
from mcpctl.sessions.targets import Target

T = TypeVar("T")


class ServerSlot:
    """One server's shared session and the task that owns it."""

    def __init__(self, target: Target, options: SessionOptions, breaker: CircuitBreaker) -> None:
        self.target = target
        self.options = options
        self.breaker = breaker
        self.session: Session | None = None
        self.opened = 0
        self._dead = False
        self._closing = False
        self._error: McpctlError | None = None
        self._want = anyio.Event()
        self._ready = anyio.Event()
        self._release = anyio.Event()
        self._lock = anyio.Lock()
        #: The open in progress (None once connected): closing the pool cancels it.
        self._opening: anyio.CancelScope | None = None
        #: Per session: set once its connection is closed, with the error its closing raised (if any).
        self._gone: dict[int, tuple[anyio.Event, list[McpctlError]]] = {}

    async def own(self) -> None:
        """The owner task: open on demand, hold until the session dies or the pool closes, repeat."""
        while True:
            await self._want.wait()
            self._want = anyio.Event()
            if self._closing:
                return
            # The event of the acquire that asked for this session: closing it later must not wake
            # (with no session) an acquire that asked for the next one meanwhile.
            ready = self._ready
            gone: tuple[anyio.Event, list[McpctlError]] | None = None
            try:
                # The pool, not a cancellation from outside, ends a session (``close``, ``mark_dead``): its
                # connection is then left without an exception in flight. Left by a cancellation, the
                # transports' task groups chain CancelledErrors into a cycle that anyio's task bookkeeping
                # walks forever (Python 3.11). ``close`` also cancels an open in progress (``_opening``).
                with anyio.CancelScope(shield=True), anyio.CancelScope() as self._opening:
                    async with open_session(self.target, self.options) as session:
                        self._opening = None
                        self.session, self._dead, self._error = session, False, None
                        gone = self._gone[id(session)] = (anyio.Event(), [])
                        self.opened += 1
                        ready.set()
                        await self._release.wait()
            except McpctlError as error:
                self._error = error
                if gone is not None:
                    gone[1].append(error)
            finally:
                if gone is not None:
                    gone[0].set()
                self._opening = None
                self.session = None
                self._release = anyio.Event()
                ready.set()
            if self._closing:
                return

    async def acquire(self) -> Session:
        """The live session, opening (or reopening) it first; raises the connect error or ``circuit_open``."""
        async with self._lock:
            if self.session is not None and not self._dead:
                return self.session
            self.breaker.check()
            self._ready = anyio.Event()
            self._want.set()
            await self._ready.wait()
            if self.session is None or self._error is not None:
                error = self._error or McpctlError(f"could not open a session to '{self.target.name}'")
                self.breaker.failure(error)
                raise error.with_server(self.target.name)
            return self.session

    @property
    def state(self) -> str:
        """connected, connecting, failed (the last open failed), circuit open, or disconnected."""
        if self.breaker.state == "open":
            return "circuit open"
        if self.session is not None and not self._dead:
            return "connected"
        if self._lock.locked():
            return "connecting"
        return "failed" if self._error is not None else "disconnected"

    @property
    def last_error(self) -> McpctlError | None:
        """Why the last attempt to open a session failed (None after a successful open)."""
        return self._error

    def mark_dead(self, session: Session) -> bool:
        """The connection behind ``session`` is gone: let the owner close it; the next acquire reopens.

        True for the first caller to notice (the calls in flight on a dead session all fail at once).
        """
        if session is self.session and not self._dead:
            self._dead = True
            self._release.set()
            return True
        return False

    async def closing_error(self, session: Session, timeout: float = 5.0) -> McpctlError | None:
        """What closing ``session``'s dead connection raised (the transport's own account: a dropped
        connection, an answer past the size limit…), waiting a little for the close; None if nothing."""
        gone = self._gone.get(id(session))
        if gone is None:
            return None
        with anyio.move_on_after(timeout):
            await gone[0].wait()
        self._gone.pop(id(session), None)
        return gone[1][0] if gone[1] else None

    def close(self) -> None:
        """Ask the owner task to close the session and stop."""
        self._closing = True
        if self._opening is not None:  # a server still connecting (one that never answers) is not waited for
            self._opening.cancel()
        self._release.set()
        self._want.set()


@dataclass
class CallReport:
    """A call's result (wire shape) or error, and how many attempts it took."""

    result: dict[str, Any] | None
    error: McpctlError | None
    attempts: int


class SessionPool:
    """Sessions shared by many concurrent calls, one per server."""

    def __init__(
        self,
        options: SessionOptions,
        task_group: anyio.abc.TaskGroup,
        breaker: Callable[[str], CircuitBreaker] = CircuitBreaker,
    ) -> None:
        self.options = options
        self.task_group = task_group
        self.make_breaker = breaker
        self.slots: dict[str, ServerSlot] = {}

    def slot(self, target: Target) -> ServerSlot:
        """The slot for ``target`` (its owner task started on first use)."""
        slot = self.slots.get(target.name)
        if slot is None:
            slot = ServerSlot(target, self.options, self.make_breaker(target.name))
            self.slots[target.name] = slot
            self.task_group.start_soon(slot.own)
        return slot

    async def use(
        self,
        target: Target,
        work: Callable[[Session], Awaitable[T]],
        *,
        retries: int | None = None,
        may_repeat: bool = True,
        attempts: Attempts | None = None,
    ) -> T:
        """Run ``work`` on the server's shared session, reopening it and trying again by the one rule.

        Connecting is retried by ``open_session``; once ``work`` may have reached the server it is tried
        again only when ``may_repeat`` (a listing, a read-only or idempotent tool, ``--retry-unsafe``).
        One death of the connection counts once for the circuit, however many requests were in flight.
        """
        slot = self.slot(target)
        sent = False

        async def once() -> T:
            nonlocal sent
            sent = False
            session = await slot.acquire()
            sent = True
            try:
                value = await work(session)
            except McpctlError as error:
                lost = _connection_lost(error, session)
                if not lost or slot.mark_dead(session):
                    slot.breaker.failure(error)
                if lost:  # the request only saw the stream end; the closed transport knows why
                    better = await slot.closing_error(session)
                    if better is None and session.stdio is not None:
                        attach_stdio(error, session.stdio)  # its exit status is known now
                    raise (better or error) from None
                raise
            slot.breaker.success()
            return value

        def should_retry(error: McpctlError) -> bool:
            return sent and may_resend(error, sent=sent, repeat_safe=may_repeat)

        policy = RetryPolicy(retries=target.retries if retries is None else retries)
        try:
            return await retrying(once, policy, should_retry=should_retry, attempts=attempts)
        except McpctlError as error:
            error.with_server(target.name)
            raise

    async def call(
        self,
        target: Target,
        tool: str,
        arguments: dict[str, Any],
        *,
        timeout: float | None = None,
        retries: int | None = None,
        may_repeat: bool = False,
    ) -> CallReport:
        """Call a tool on the shared session; retried (on a reopened session) only when repeating is safe."""
        counter = Attempts()

        async def call_tool(session: Session) -> dict[str, Any]:
            return session.wire(await session.call_tool(tool, arguments, timeout))

        try:
            result = await self.use(target, call_tool, retries=retries, may_repeat=may_repeat, attempts=counter)
        except McpctlError as error:
            return CallReport(None, error, counter.count)
        return CallReport(result, None, counter.count)

    def close(self) -> None:
        """Close every session (their owner tasks end)."""
        for slot in self.slots.values():
            slot.close()


def _connection_lost(error: McpctlError, session: Session) -> bool:
    """Whether the session cannot be used again after this error."""
    if session.stdio is not None and session.stdio.returncode is not None:
        return True
    return isinstance(error, ConnectError)


@contextlib.asynccontextmanager
async def session_pool(options: SessionOptions) -> AsyncIterator[SessionPool]:
    """A pool whose sessions are all closed (children shut down) when the block ends."""
    async with anyio.create_task_group() as tg:
        pool = SessionPool(options, tg)
        try:
            yield pool
        finally:
            pool.close()
