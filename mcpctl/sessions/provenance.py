"""Where a JSON-RPC error came from: an answer that arrived over the transport, or the SDK's own signal.

The SDK reports its own failures as JSON-RPC errors with the codes servers use too: -32000 when
the connection closed, -32001 when our read timeout passed. So the code cannot say who failed.
``watched`` wraps a transport and notes every error response that arrives over it, with the
method of the request it answers and, over HTTP, the status of the response that carried it.
An error the SDK raises that never arrived is the SDK's own signal.

Over the legacy SSE transport every answer comes on the one event stream, and the SDK drops an
event it cannot parse, leaving the request to wait out its timeout; ``watched`` turns such an
event into an error answer for the request it was meant to answer, when that can be told.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from mcpctl.sessions.framing import Outstanding, top_level

if TYPE_CHECKING:
    from mcpctl.sessions.classify import HttpLog

#: How many requests and received errors are remembered (a long batch must not grow them forever).
REMEMBERED = 256
#: JSON-RPC "parse error", and what the SDK says when it cannot parse an event (``classify`` reads both).
PARSE_ERROR = -32700
UNPARSABLE_EVENT = "Failed to parse SSE message: "


@dataclass(frozen=True)
class Received:
    """An error response as it arrived over the transport."""

    #: The method of the request it answers (None when unknown).
    method: str | None = None
    #: The HTTP status of the response that carried it (None over stdio, and for a 2xx).
    status: int | None = None
    #: Whether that HTTP request carried an ``Mcp-Session-Id``.
    session: bool = False


class WireLog:
    """What came over one session's transport: the requests sent, and the error responses received."""

    def __init__(self, http: HttpLog | None = None, *, answers_on_stream: bool = False) -> None:
        self.http = http
        self._methods: dict[Hashable, str] = {}
        self._errors: dict[tuple[int, str], Received] = {}
        #: The requests still waiting, kept when every answer comes on the read stream (legacy SSE).
        self._waiting = Outstanding() if answers_on_stream else None

    def sent(self, item: Any) -> None:
        """Note an outgoing request's method by its id."""
        message = getattr(item, "message", None)
        if self._waiting is not None and message is not None:
            self._waiting.sent(message)
        method, request_id = getattr(message, "method", None), getattr(message, "id", None)
        if isinstance(method, str) and isinstance(request_id, Hashable) and request_id is not None:
            _remember(self._methods, request_id, method)

    def received(self, item: Any) -> None:
        """Note an incoming error response (code and message), with where it came from."""
        message = getattr(item, "message", None)
        request_id = getattr(message, "id", None)
        if self._waiting is not None and (hasattr(message, "result") or hasattr(message, "error")):
            self._waiting.answered(request_id)
        error = getattr(message, "error", None)
        if error is None or not isinstance(getattr(error, "code", None), int):
            return
        method = self._methods.get(request_id) if isinstance(request_id, Hashable) else None
        status, session = self.http.failure(request_id) if self.http is not None else (None, False)
        _remember(self._errors, (error.code, str(error.message)), Received(method, status, session))

    def unparsable(self, exc: Exception) -> Any:
        """An error answer in place of an event the SDK could not parse, for the request it was meant to answer
        (its id, or the only request waiting); the exception itself when that cannot be told."""
        fields = _fields(exc)
        request = self._waiting.waiting_for(fields) if self._waiting is not None and fields is not None else None
        if request is None:
            return exc
        import mcp_types
        from mcp.shared.message import SessionMessage

        error = mcp_types.ErrorData(code=PARSE_ERROR, message=f"{UNPARSABLE_EVENT}{exc}")
        return SessionMessage(mcp_types.JSONRPCError(jsonrpc="2.0", id=request[0], error=error))

    def lookup(self, code: int, message: str) -> Received | None:
        """How an error with this code and message arrived; None when it never did (the SDK's own signal)."""
        return self._errors.get((code, message))


def _fields(exc: Exception) -> dict[str, Any] | None:
    """The top-level members of the message a parse failure was about (from pydantic's errors), if it says."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return None
    for found in errors(include_url=False):
        value = found.get("input")
        if isinstance(value, dict):
            return value
        if isinstance(value, str | bytes):
            return top_level(value.encode("utf-8", "replace") if isinstance(value, str) else value)
    return None


def _remember(table: dict[Any, Any], key: Any, value: Any) -> None:
    table.pop(key, None)
    table[key] = value
    while len(table) > REMEMBERED:
        del table[next(iter(table))]


class _WatchedReceive:
    """A transport's read stream that shows every message to a ``WireLog`` on the way in."""

    def __init__(self, inner: Any, log: WireLog) -> None:
        self._inner = inner
        self._log = log

    def __getattr__(self, name: str) -> Any:  # e.g. the SDK's ``last_context``
        return getattr(self._inner, name)

    async def receive(self) -> Any:
        item = await self._inner.receive()
        if isinstance(item, Exception):
            item = self._log.unparsable(item)
        self._log.received(item)
        return item

    def __aiter__(self) -> _WatchedReceive:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    def close(self) -> None:
        self._inner.close()

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _WatchedReceive:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _WatchedSend:
    """A transport's write stream that shows every request to a ``WireLog`` on the way out."""

    def __init__(self, inner: Any, log: WireLog) -> None:
        self._inner = inner
        self._log = log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def send(self, item: Any) -> None:
        self._log.sent(item)
        await self._inner.send(item)

    def close(self) -> None:
        self._inner.close()

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _WatchedSend:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


@contextlib.asynccontextmanager
async def watched(transport: Any, log: WireLog) -> AsyncIterator[tuple[Any, Any]]:
    """The same transport, with what goes over it noted in ``log``."""
    async with transport as (read, write):
        yield _WatchedReceive(read, log), _WatchedSend(write, log)
