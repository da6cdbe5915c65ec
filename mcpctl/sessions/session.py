"""Sessions: one async context manager that opens any target and always cleans up.

``open_session`` spawns a stdio server *before* importing the SDK (so the server's
start-up overlaps our import), connects with a deadline and the chosen protocol
era, retries connection failures per the resilience policy, and turns every
failure into one of our errors (``classify``), with the server's stderr tail.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import logging
import math
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import anyio

from mcpctl.core.errors import McpctlError, TimeoutExpired
from mcpctl.core.progress import Progress
from mcpctl.core.retry import Attempts, RetryPolicy, retrying
from mcpctl.core.version import __version__
from mcpctl.sessions.classify import HttpLog, Phase, attach_stdio, classify, leaves
from mcpctl.sessions.clock import CallClock, holding
from mcpctl.sessions.options import LOG_LEVELS, LogSink, ProgressSink, SessionOptions, UpdatedSink
from mcpctl.sessions.provenance import WireLog, watched
from mcpctl.sessions.revision import explain_pin
from mcpctl.sessions.stdio import StdioServer, spawn
from mcpctl.sessions.stdio import transport as stdio_transport
from mcpctl.sessions.targets import Target
from mcpctl.sessions.trace import tapped

if TYPE_CHECKING:
    from mcp import Client
    from mcp.types import CallToolResult, Tool

log = logging.getLogger("mcpctl.sessions.session")
MAX_PAGES = 1000
MODERN_VERSIONS = ("2026-07-28",)
#: How long ``abandon_requests`` waits for the ``notifications/cancelled`` of abandoned requests to go out.
ABANDON_GRACE = 1.0
_POLL = 0.01
T = TypeVar("T")


@dataclass
class Session:
    """An open, negotiated connection to one server."""

    target: Target
    client: Client
    stdio: StdioServer | None
    http: HttpLog | None
    connect_ms: float
    attempts: int = 1
    _tools: list[Tool] | None = field(default=None, repr=False)
    #: What arrived over the transport (tells a server's JSON-RPC error from the SDK's own signals).
    received: WireLog | None = field(default=None, repr=False)
    #: Where the progress notifications of this session's calls go (None: dropped).
    progress: ProgressSink | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def protocol_version(self) -> str:
        return str(self.client.protocol_version)

    @property
    def modern(self) -> bool:
        """Whether the session speaks the stateless 2026-07-28 revision."""
        return self.protocol_version in MODERN_VERSIONS

    def wire(self, model: Any) -> dict[str, Any]:
        """A result as the server sent it, in this session's revision (``resultType`` exists only from 2026-07-28).

        Only the fields that came over the wire (``core.wire.wire``): the SDK's defaults are not answers.
        """
        from mcpctl.core.wire import wire

        data: dict[str, Any] = wire(model)
        if not self.modern:
            data.pop("resultType", None)
        return data

    def error(self, exc: BaseException, phase: Phase = "call") -> McpctlError:
        """Our error for an exception raised while using this session."""
        http, stdio, url, wire = self.http, self.stdio, self.target.url, self.received
        return classify(exc, server=self.name, phase=phase, http=http, stdio=stdio, url=url, wire=wire)

    async def guarded(self, operation: Awaitable[T], timeout: float | None = None) -> T:
        """Await an SDK operation under a deadline, turning failures into our errors.

        ``abandon_requests`` (SIGINT, SIGTERM) may end it early: the SDK then sends the server
        ``notifications/cancelled`` while the transport still runs, and this waits for the
        cancellation of the whole work that follows rather than carrying on.
        """
        limit = timeout if timeout is not None else self.target.tool_timeout
        try:
            with anyio.fail_after(limit + 1.0):
                with _abandonable(self):
                    return await operation
                await _wait_for_shutdown()
        except McpctlError:
            raise
        except Exception as exc:
            raise await explain_pin(self.client, self.error(exc)) from exc

    async def list_tools(self, *, include_disabled: bool = False) -> list[Tool]:
        """Every tool on every page (cached), minus those the profile disables."""
        if self._tools is None:
            self._tools = await self.paginate(lambda cursor: self.client.list_tools(cursor=cursor), "tools")
        if include_disabled:
            return list(self._tools)
        return [t for t in self._tools if self.target.tool_enabled(t.name)]

    async def paginate(self, fetch: Callable[[str | None], Awaitable[Any]], field_name: str) -> list[Any]:
        """Follow ``nextCursor`` to the end, stopping (with a warning) on a repeating or endless cursor."""
        items: list[Any] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page = await self.guarded(fetch(cursor))
            items.extend(getattr(page, field_name))
            cursor = page.next_cursor
            if cursor is None:
                return items
            if cursor in seen:
                log.warning("%s: the server repeated a pagination cursor; the list may be incomplete", self.name)
                return items
            seen.add(cursor)
        log.warning("%s: stopped after %d pages; the list may be incomplete", self.name, MAX_PAGES)
        return items

    async def call_tool(self, name: str, arguments: dict[str, Any], timeout: float | None = None) -> CallToolResult:
        """Call a tool under two deadlines; a JSON-RPC error or a dead server becomes our error.

        Every call carries a progressToken: ``timeout`` is the longest silence (each progress
        notification of the call restarts it), ``target.max_time`` bounds the whole call. A call
        that misses either is cancelled on the wire (``notifications/cancelled``) and is exit 4.
        """
        limit = timeout if timeout is not None else self.target.tool_timeout
        clock = CallClock(limit, self.target.max_time)
        number = next(_call_numbers)

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            clock.touch()
            if self.progress is not None:
                elapsed = clock.elapsed()
                self.progress(Progress(self.name, name, number, progress, total, message, elapsed))

        call = self.client.call_tool(name, arguments, read_timeout_seconds=math.inf, progress_callback=on_progress)
        return await self.guarded(clock.run(call, self.name, name), math.inf)


_call_numbers = itertools.count(1)


class _InFlight:
    """The requests in flight in this process, each with its session: what ``abandon_requests`` cancels."""

    def __init__(self) -> None:
        self.scopes: dict[anyio.CancelScope, Session] = {}
        #: While requests are being abandoned, a new one is cancelled before it is sent.
        self.abandoning = False


_in_flight = _InFlight()


@contextlib.contextmanager
def _abandonable(session: Session) -> Iterator[anyio.CancelScope]:
    with anyio.CancelScope() as scope:
        if _in_flight.abandoning:
            scope.cancel()  # the work is being given up: start nothing new
        _in_flight.scopes[scope] = session
        try:
            yield scope
        finally:
            _in_flight.scopes.pop(scope, None)


async def _wait_for_shutdown() -> NoReturn:
    await anyio.sleep_forever()
    raise AssertionError("an abandoned request outlived the work it belonged to")


async def abandon_requests(grace: float = ABANDON_GRACE) -> None:
    """Cancel every request in flight so that each tells its server, before the work is cancelled.

    Cancelling the work directly would stop the transports along with the requests, and the
    SDK's ``notifications/cancelled`` would never leave. So a signal handler calls this first:
    each request is cancelled on its own while its session still runs, and this waits (at most
    ``grace``) until the notices are out: written to a stdio server's pipe, or, over HTTP with
    the handshake-era protocol, answered by the server (a 2026-07-28 request is cancelled by
    closing its response stream, which needs no answer). The caller cancels the work next.
    """
    if not _in_flight.scopes:
        return
    sessions = _in_flight.scopes.values()
    logs = {id(s.http): s.http for s in sessions if s.http is not None and not s.modern}
    answered = [(log, len(log.statuses)) for log in logs.values()]
    _in_flight.abandoning = True
    try:
        for scope in list(_in_flight.scopes):
            scope.cancel()
        with anyio.move_on_after(grace):
            while _in_flight.scopes or any(len(log.statuses) <= seen for log, seen in answered):
                await anyio.sleep(_POLL)
            await anyio.sleep(_POLL)  # one more turn, for the stdio writers that took the last notices
    finally:
        _in_flight.abandoning = False


@contextlib.asynccontextmanager
async def open_session(target: Target, options: SessionOptions = SessionOptions()) -> AsyncIterator[Session]:
    """Open a session to ``target``; connection failures are retried per ``target.retries``.

    The connection's context manager is entered and left by hand rather than through an
    ``AsyncExitStack``: on Python 3.11 the stack's exception-context fix-up loops forever on
    the cyclic ``__context__`` chains that cancellation (SIGTERM mid-call) can leave behind.
    """
    policy = RetryPolicy(retries=target.retries)

    async def attempt() -> tuple[contextlib.AbstractAsyncContextManager[Session], Session]:
        try:
            return await _enter(target, options)
        except McpctlError as error:
            if target.transport != "streamable-http":
                raise
            from mcpctl.sessions.http import legacy_sse_may_help, suggest_sse

            if legacy_sse_may_help(target, protocol_mode(target, options), error):
                log.info("%s: %s; trying the legacy SSE transport on the same URL", target.name, error.message)
                with contextlib.suppress(McpctlError):
                    return await _enter(dataclasses.replace(target, transport="sse"), options)
            else:
                suggest_sse(error, target)
            raise

    def note(error: McpctlError, retry: int, delay: float) -> None:
        log.warning(
            "%s: %s; retrying in %.1fs (retry %d of %d)", target.name, error.message, delay, retry, policy.retries
        )

    counter = Attempts()
    connection, session = await retrying(attempt, policy, on_retry=note, attempts=counter)
    session.attempts = counter.count
    try:
        yield session
    except BaseException as exc:
        if not await connection.__aexit__(type(exc), exc, exc.__traceback__):
            if isinstance(exc, McpctlError) or _is_cancel(exc) or not isinstance(exc, Exception):
                raise
            raise session.error(exc) from exc
    else:
        await connection.__aexit__(None, None, None)


async def _enter(
    target: Target, options: SessionOptions
) -> tuple[contextlib.AbstractAsyncContextManager[Session], Session]:
    connection = _connect_once(target, options)
    return connection, await connection.__aenter__()


@contextlib.asynccontextmanager
async def _connect_once(target: Target, options: SessionOptions) -> AsyncIterator[Session]:
    """One connection attempt; every failure leaves as an ``McpctlError``.

    The connect deadline is a cancel scope around the whole session whose deadline is
    lifted once the handshake is done (the SDK's task groups must be entered and left
    inside the same scope).
    """
    started = time.perf_counter()
    stdio: StdioServer | None = None
    http: HttpLog | None = None
    wire = WireLog(answers_on_stream=target.transport == "sse")
    entered = False
    try:
        with anyio.CancelScope(deadline=anyio.current_time() + target.startup_timeout) as deadline:
            async with contextlib.AsyncExitStack() as stack:
                tg = await stack.enter_async_context(anyio.create_task_group())
                if target.transport == "stdio":
                    stdio = await spawn(target, live_stderr=options.server_stderr)
                    stack.push_async_callback(stdio.close)
                    tg.start_soon(stdio.pump_stderr)
                    transport: Any = stdio_transport(stdio)
                else:
                    from mcpctl.sessions.http import http_transport

                    http = wire.http = HttpLog()
                    transport = await http_transport(stack, target, http, options.auth)
                transport = watched(transport, wire)
                if options.tap is not None:
                    transport = tapped(transport, target.name, options.tap)
                client = _make_client(transport, target, options)

                def hold_connect(paused: bool) -> None:
                    """A login during the handshake: no connect deadline while the person is at it (once connected,
                    a request task that still holds this does nothing)."""
                    if not entered:
                        deadline.deadline = math.inf if paused else anyio.current_time() + target.startup_timeout

                with holding(hold_connect):
                    await stack.enter_async_context(client)
                    if options.server_log is not None and client.protocol_version not in MODERN_VERSIONS:
                        await _set_log_level(client, target, log_level(options))
                deadline.deadline = math.inf
                elapsed = (time.perf_counter() - started) * 1000
                log.info("%s: connected in %.0f ms, protocol %s", target.name, elapsed, client.protocol_version)
                entered = True
                yield Session(
                    target=target,
                    client=client,
                    stdio=stdio,
                    http=http,
                    connect_ms=elapsed,
                    received=wire,
                    progress=options.progress,
                )
        if deadline.cancelled_caught and not entered:
            raise _connect_timeout(target, stdio)
    except McpctlError:
        raise
    except BaseException as exc:
        if _is_cancel(exc):
            raise
        phase: Phase = "call" if entered else "connect"
        raise classify(exc, server=target.name, phase=phase, http=http, stdio=stdio, url=target.url, wire=wire) from exc


def _connect_timeout(target: Target, stdio: StdioServer | None) -> McpctlError:
    error = TimeoutExpired(
        f"timed out after {target.startup_timeout:g}s connecting to {target.describe()}",
        hint="is it a server that speaks MCP? raise --connect-timeout (or startup_timeout_sec) if it is slow to start",
        server=target.name,
    )
    if stdio is not None:
        attach_stdio(error, stdio)
    return error


def _is_cancel(exc: BaseException) -> bool:
    """Whether an exception (group) is only cancellation or an interrupt, which must propagate."""
    found = leaves(exc)
    cancelled = anyio.get_cancelled_exc_class()
    return all(isinstance(x, (cancelled, KeyboardInterrupt, SystemExit)) for x in found)


def protocol_mode(target: Target, options: SessionOptions) -> str:
    """The protocol era to connect with: ``--protocol`` when given, else the profile's for this server, else auto."""
    return options.protocol or target.protocol


def _make_client(transport: Any, target: Target, options: SessionOptions) -> Client:
    """The SDK client (imported here, after any stdio child was spawned)."""
    import mcp.client.session as sdk_session
    from mcp import Client
    from mcp.shared.exceptions import MCPDeprecationWarning
    from mcp.types import Implementation

    warnings.simplefilter("ignore", MCPDeprecationWarning)
    # The auto-mode probe has a fixed 10 s deadline in the SDK. A server that ignores unknown methods
    # never answers it, so it may use at most half of our connect deadline: the legacy fallback
    # (initialize) must still fit in the rest.
    sdk_session.DISCOVER_TIMEOUT_SECONDS = min(10.0, target.startup_timeout / 2)
    return Client(
        transport,
        mode=protocol_mode(target, options),
        read_timeout_seconds=target.startup_timeout,
        client_info=Implementation(name="mcpctl", version=__version__),
        cache=None,
        logging_callback=_logs(target, options),
        message_handler=_notifications(target, options),
        elicitation_callback=_elicitation(options, target.name),
        log_level=cast(Any, log_level(options)) if options.server_log else None,  # sent in _meta from 2026-07-28
    )


def _logs(target: Target, options: SessionOptions) -> _ServerLog | None:
    """The logging callback (None: server logs were not asked for)."""
    return _ServerLog(target.name, options.server_log, log_level(options)) if options.server_log else None


def _notifications(target: Target, options: SessionOptions) -> _ResourceUpdates | None:
    """The message handler (None: the SDK's, which drops them): only resource updates are asked for."""
    return _ResourceUpdates(target.name, options.resource_updated) if options.resource_updated else None


class _ResourceUpdates:
    """``notifications/resources/updated`` handed to the caller's sink, in both eras.

    The SDK tees every notification to the message handler, those of a ``subscriptions/listen``
    stream too, so this one path sees each update with its params exactly as the server sent them.
    """

    def __init__(self, name: str, sink: UpdatedSink) -> None:
        self.name = name
        self.sink = sink

    async def __call__(self, message: Any) -> None:
        from mcp.types import ResourceUpdatedNotification

        from mcpctl.core.wire import wire

        if isinstance(message, ResourceUpdatedNotification):
            self.sink(self.name, wire(message.params))


def log_level(options: SessionOptions) -> str:
    """The least severe server log level asked for (info unless the options say)."""
    return options.log_level or "info"


async def _set_log_level(client: Client, target: Target, level: str) -> None:
    """Handshake era: ask with ``logging/setLevel``, when the server declares logging.

    A server that refuses it still may log; ``_ServerLog`` filters what arrives all the same.
    """
    if client.server_capabilities.logging is None:
        return
    try:
        await client.set_logging_level(cast(Any, level))
    except Exception as exc:  # the server's loss: its logs are filtered here instead
        log.info("%s: logging/setLevel failed: %s", target.name, exc)


def _elicitation(options: SessionOptions, server: str) -> Any:
    """The elicitation callback for ``--elicit`` (None: the capability is not declared)."""
    if options.elicit is None:
        return None
    from mcpctl.sessions.elicit import Elicitor

    return Elicitor(options.elicit, server, options.ask)


class _ServerLog:
    """Server log notifications at ``level`` or above, handed to the caller's sink.

    Filtered here too: a handshake-era server may ignore ``logging/setLevel`` (or not offer it).
    """

    def __init__(self, name: str, sink: LogSink, level: str = "debug") -> None:
        self.name = name
        self.sink = sink
        self.least = LOG_LEVELS.index(level)

    async def __call__(self, params: Any) -> None:
        level = str(params.level)
        if level in LOG_LEVELS and LOG_LEVELS.index(level) < self.least:
            return
        self.sink(self.name, level, params.data)
