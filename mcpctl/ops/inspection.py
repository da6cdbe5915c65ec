"""``servers inspect``: connect and describe what a server offers."""

from __future__ import annotations

from typing import Any

from mcpctl.core.errors import ProtocolError
from mcpctl.core.wire import wire
from mcpctl.sessions.options import SessionOptions
from mcpctl.sessions.session import Session, open_session, protocol_mode
from mcpctl.sessions.targets import Target


async def inspect_server(target: Target, options: SessionOptions) -> dict[str, Any]:
    """serverInfo, negotiated protocol version, capabilities, instructions and counts."""
    async with open_session(target, options) as session:
        if protocol_mode(target, options) not in ("auto", "legacy"):
            await _discover(session)
        caps = session.client.server_capabilities
        counts = {
            "tools": await _count(session, caps.tools, lambda c: session.client.list_tools(cursor=c), "tools"),
            "resources": await _count(
                session, caps.resources, lambda c: session.client.list_resources(cursor=c), "resources"
            ),
            "resourceTemplates": await _count(
                session,
                caps.resources,
                lambda c: session.client.list_resource_templates(cursor=c),
                "resource_templates",
            ),
            "prompts": await _count(session, caps.prompts, lambda c: session.client.list_prompts(cursor=c), "prompts"),
        }
        info = session.client.server_info
        return {
            "server": target.name,
            "transport": target.transport,
            "target": target.describe(),
            "protocolVersion": session.protocol_version,
            "serverInfo": wire(info) if info is not None else None,
            "capabilities": wire(caps),
            "instructions": session.client.instructions,
            "counts": counts,
            "connect_ms": round(session.connect_ms, 1),
        }


async def _discover(session: Session) -> None:
    """Ask a server pinned to a 2026-era revision what it is and offers.

    With a version pin the SDK connects without a word on the wire and assumes empty capabilities,
    so without this inspect would report nothing at all (and succeed against any server).
    """
    from mcp.types import DiscoverResult

    raw_session = session.client.session
    try:
        raw = await session.guarded(raw_session.send_discover(session.protocol_version), session.target.startup_timeout)
    except ProtocolError as error:
        error.message = f"server/discover failed: {error.message}"
        error.hint = f"the server may not speak {session.protocol_version}: try --protocol auto"
        raise
    try:
        raw_session.adopt(DiscoverResult.model_validate(raw))
    except Exception as exc:
        raise session.error(exc, "connect") from exc


async def _count(session: Session, capability: Any, fetch: Any, field: str) -> int | None:
    """How many items a list verb returns (all pages), or None when not offered."""
    if capability is None:
        return None
    try:
        return len(await session.paginate(fetch, field))
    except ProtocolError:
        return None
