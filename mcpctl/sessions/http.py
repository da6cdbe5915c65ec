"""The HTTP side of a session: the ``httpx2`` client under the SDK's Streamable HTTP and SSE transports.

The SDK hides HTTP statuses and reads response bodies without a limit, so the client built here
records every response (status, headers, and for a failed POST the JSON-RPC id it answered and
whether it carried a session id) in the session's ``HttpLog``, and caps response bodies at the
target's ``max_response_size``: a JSON body that goes past it fails that request (the SDK turns
the stream error into an error response for it), and so does a server-sent event (the SDK's own
per-event limit, set to the same size).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx2

from mcpctl.core.errors import HttpStatusError, McpctlError
from mcpctl.core.sizes import format_size
from mcpctl.sessions.classify import BODY_OVER_LIMIT

if TYPE_CHECKING:
    from mcpctl.sessions.classify import HttpLog
    from mcpctl.sessions.options import AuthOptions
    from mcpctl.sessions.targets import Target

SESSION_HEADER = "mcp-session-id"
#: Statuses after which the URL may still serve the legacy SSE transport (the spec's backwards-compatibility rule).
SSE_FALLBACK_STATUSES = frozenset(range(400, 500)) - {401, 403, 407, 429}


class BodyTooLarge(httpx2.StreamError):
    """A response body went past the size limit (a ``StreamError``: the SDK fails just that request)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"{BODY_OVER_LIMIT}{format_size(limit)}")
        self.limit = limit


class _CappedBody(httpx2.AsyncByteStream):
    """A response body that raises ``BodyTooLarge`` (and notes it in the log) once it passes ``limit`` bytes."""

    def __init__(self, inner: httpx2.AsyncByteStream, limit: int, http: HttpLog) -> None:
        self.inner = inner
        self.limit = limit
        self.http = http

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self.inner:
            seen += len(chunk)
            if seen > self.limit:
                self.http.too_large = self.limit
                raise BodyTooLarge(self.limit)
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


def _request_id(request: httpx2.Request) -> Any:
    """The JSON-RPC id of the message a POST carried (None when there is none)."""
    with contextlib.suppress(httpx2.RequestNotRead, ValueError, RecursionError, AttributeError):
        body = json.loads(request.content)
        return body.get("id") if isinstance(body, dict) else None
    return None


def recorder(http: HttpLog, limit: int) -> Any:
    """The response hook: record the status (a POST's error status as what may explain a failure), and cap every
    body but an event stream (capped per event)."""

    async def record(response: httpx2.Response) -> None:
        request = response.request
        if request.method != "POST":  # the side stream (GET) and the goodbye (DELETE) explain no failed request
            http.statuses.append(response.status_code)
        else:
            http.record(response.status_code, response.headers)
            if response.status_code >= 400:
                http.record_failure(_request_id(request), response.status_code, SESSION_HEADER in request.headers)
        if not response.headers.get("content-type", "").lower().startswith("text/event-stream"):
            response.stream = _CappedBody(response.stream, limit, http)  # type: ignore[arg-type]

    return record


async def http_transport(
    stack: contextlib.AsyncExitStack, target: Target, http: HttpLog, auth_options: AuthOptions
) -> Any:
    """A Streamable HTTP or SSE transport whose HTTP client records responses, caps their bodies and logs in (OAuth:
    stored tokens, refreshed; a login where the options allow one)."""
    from mcpctl.sessions.auth.oauth import build_auth

    auth = build_auth(target, auth_options, http)
    limit = target.max_response_size
    timeout = httpx2.Timeout(target.startup_timeout, read=max(300.0, target.tool_timeout))
    hooks: dict[str, list[Any]] = {"response": [recorder(http, limit)]}
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
            auth=auth,
        )
    from mcp.client.streamable_http import streamable_http_client

    client = await stack.enter_async_context(
        httpx2.AsyncClient(headers=dict(target.headers), timeout=timeout, event_hooks=hooks, auth=auth)
    )
    return streamable_http_client(target.url or "", http_client=client, max_sse_event_size=limit)


def legacy_sse_may_help(target: Target, mode: str, error: McpctlError) -> bool:
    """Whether to try the legacy SSE transport on the same URL after Streamable HTTP failed to connect.

    The spec's backwards-compatibility rule: a 4xx to the first POST (not an auth failure) may
    mean an SSE server. Only when the user chose neither the transport nor the protocol revision.
    """
    return (
        target.transport == "streamable-http"
        and not target.transport_given
        and mode == "auto"
        and isinstance(error, HttpStatusError)
        and error.status in SSE_FALLBACK_STATUSES
    )


def suggest_sse(error: McpctlError, target: Target) -> McpctlError:
    """Name ``--transport sse`` in the hint of a 4xx from a Streamable HTTP URL (it may be a legacy SSE server)."""
    if (
        target.transport == "streamable-http"
        and isinstance(error, HttpStatusError)
        and error.status in SSE_FALLBACK_STATUSES
        and "--transport sse" not in (error.hint or "")
    ):
        tip = "if it is a legacy SSE server, add --transport sse"
        error.hint = f"{error.hint}; {tip}" if error.hint else tip
    return error
