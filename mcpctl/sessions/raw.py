"""Requests the SDK has no method for (the tasks extension's ``tasks/*``, a task-augmented ``tools/call``), sent
over a session exactly as its other requests are stamped, and answered exactly as the server sent them.

This is the one place that reaches into the SDK's client session (its stamp and its dispatcher): the SDK's typed
``send_request`` would validate a task-shaped ``tools/call`` answer against ``CallToolResult`` and fail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp.shared.dispatcher import CallOptions

    from mcpctl.sessions.session import Session

#: The 2026-07-28 tasks extension's identifier (declared per request in the client capabilities).
EXTENSION = "io.modelcontextprotocol/tasks"
_CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities"


async def raw_request(
    session: Session,
    method: str,
    params: dict[str, Any],
    *,
    tasks: bool = False,
    name: str | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """A request the SDK has no method for, stamped like the session's others; the answer exactly as sent.

    ``tasks`` declares the tasks extension in this request's capabilities (2026-07-28); ``name`` is the
    ``Mcp-Name`` header (the task id, for routing ``tasks/*`` over HTTP). This reaches into the SDK's client
    session (its stamp and dispatcher): its typed ``send_request`` would validate a task-shaped ``tools/call``
    answer against ``CallToolResult`` and fail.
    """
    sdk = session.client.session
    data: dict[str, Any] = {"method": method, "params": dict(params)}
    opts: CallOptions = {}
    sdk._stamp(data, opts)  # the SDK's per-revision envelope: _meta, headers
    if session.modern:
        meta = data["params"].setdefault("_meta", {})
        if tasks:
            capabilities = dict(meta.get(_CAPABILITIES_KEY) or {})
            capabilities["extensions"] = {**(capabilities.get("extensions") or {}), EXTENSION: {}}
            meta[_CAPABILITIES_KEY] = capabilities
        if name is not None:
            opts.setdefault("headers", {})["Mcp-Name"] = name
    opts["timeout"] = timeout if timeout is not None else session.target.tool_timeout
    answer: dict[str, Any] = await sdk._dispatcher.send_raw_request(method, data["params"], opts)
    return answer
