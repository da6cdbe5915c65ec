"""Sessions: one async context manager that opens any target and always cleans up.

``open_session`` spawns a stdio server *before* importing the SDK (so the server's
start-up overlaps our import), connects with a deadline and the chosen protocol
era, retries connection failures per the resilience policy, and turns every
failure into one of our errors (``classify``), with the server's stderr tail.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from mcpctl import __version__
from mcpctl.core.errors import McpctlError, TimeoutExpired
from mcpctl.core.retry import Attempts, RetryPolicy, retrying
from mcpctl.sessions.classify import HttpLog, Phase, attach_stdio, classify, leaves
from mcpctl.sessions.options import LogSink, SessionOptions
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
        """A result as this session's revision spells it (``resultType`` exists only from 2026-07-28)."""
        from mcpctl.core.wire import wire

        data: dict[str, Any] = wire(model)
        if not self.modern:
            data.pop("resultType", None)
        return data

    def error(self, exc: BaseException, phase: Phase = "call") -> McpctlError:
        """Our error for an exception raised while using this session."""
        return classify(exc, server=self.name, phase=phase, http=self.http, stdio=self.stdio, url=self.target.url)

    async def guarded(self, operation: Awaitable[T], timeout: float | None = None) -> T:
        """Await an SDK operation under a deadline, turning failures into our errors."""
        limit = timeout if timeout is not None else self.target.tool_timeout
        try:
            with anyio.fail_after(limit + 1.0):
                return await operation
        except McpctlError:
            raise
        except Exception as exc:
            raise self.error(exc) from exc

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
        """Call a tool with a deadline; a JSON-RPC error or a dead server becomes our error."""
        limit = timeout if timeout is not None else self.target.tool_timeout
        return await self.guarded(self.client.call_tool(name, arguments, read_timeout_seconds=limit), limit)


@contextlib.asynccontextmanager
async def open_session(target: Target, options: SessionOptions = SessionOptions()) -> AsyncIterator[Session]:
    """Open a session to ``target``; connection failures are retried per ``target.retries``.

    The connection's context manager is entered and left by hand rather than through an
    ``AsyncExitStack``: on Python 3.11 the stack's exception-context fix-up loops forever on
    the cyclic ``__context__`` chains that cancellation (SIGTERM mid-call) can leave behind.
    """
    policy = RetryPolicy(retries=target.retries)

    async def attempt() -> tuple[contextlib.AbstractAsyncContextManager[Session], Session]:
        connection = _connect_once(target, options)
        return connection, await connection.__aenter__()

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
                    http = HttpLog()
                    transport = await _http_transport(stack, target, http)
                if options.tap is not None:
                    transport = tapped(transport, target.name, options.tap)
                client = _make_client(transport, target, options)
                await stack.enter_async_context(client)
                deadline.deadline = math.inf
                elapsed = (time.perf_counter() - started) * 1000
                log.info("%s: connected in %.0f ms, protocol %s", target.name, elapsed, client.protocol_version)
                entered = True
                yield Session(target=target, client=client, stdio=stdio, http=http, connect_ms=elapsed)
        if deadline.cancelled_caught and not entered:
            raise _connect_timeout(target, stdio)
    except McpctlError:
        raise
    except BaseException as exc:
        if _is_cancel(exc):
            raise
        phase: Phase = "call" if entered else "connect"
        raise classify(exc, server=target.name, phase=phase, http=http, stdio=stdio, url=target.url) from exc


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
        mode=options.protocol,
        read_timeout_seconds=target.startup_timeout,
        client_info=Implementation(name="mcpctl", version=__version__),
        cache=None,
        logging_callback=_ServerLog(target.name, options.server_log) if options.server_log else None,
        elicitation_callback=_elicitation(options, target.name),
        log_level="info" if options.server_log else None,
    )


def _elicitation(options: SessionOptions, server: str) -> Any:
    """The elicitation callback for ``--elicit`` (None: the capability is not declared)."""
    if options.elicit is None:
        return None
    from mcpctl.sessions.elicit import Elicitor

    return Elicitor(options.elicit, server, options.ask)


class _ServerLog:
    """Server log notifications, handed to the caller's sink."""

    def __init__(self, name: str, sink: LogSink) -> None:
        self.name = name
        self.sink = sink

    async def __call__(self, params: Any) -> None:
        self.sink(self.name, str(params.level), params.data)


async def _http_transport(stack: contextlib.AsyncExitStack, target: Target, http: HttpLog) -> Any:
    """A Streamable HTTP or SSE transport whose HTTP client records response statuses."""
    import httpx2

    async def record(response: httpx2.Response) -> None:
        http.record(response.status_code, response.headers)

    timeout = httpx2.Timeout(target.startup_timeout, read=max(300.0, target.tool_timeout))
    hooks: dict[str, list[Any]] = {"response": [record]}
    if target.transport == "sse":
        from mcp.client.sse import sse_client

        def factory(
            headers: dict[str, str] | None = None,
            timeout: httpx2.Timeout | None = None,
            auth: httpx2.Auth | None = None,
        ) -> httpx2.AsyncClient:
            return httpx2.AsyncClient(headers=headers, timeout=timeout, auth=auth, event_hooks=hooks)

        return sse_client(
            target.url or "",
            headers=dict(target.headers),
            timeout=target.startup_timeout,
            sse_read_timeout=max(300.0, target.tool_timeout),
            httpx_client_factory=factory,
        )
    from mcp.client.streamable_http import streamable_http_client

    client = await stack.enter_async_context(
        httpx2.AsyncClient(headers=dict(target.headers), timeout=timeout, event_hooks=hooks)
    )
    return streamable_http_client(target.url or "", http_client=client)
