"""A pinned protocol revision the server does not speak: ask the server, and say so.

With ``--protocol 2026-07-28`` the SDK sends nothing while connecting, so a server of an older
revision first fails on a real request, in words that point elsewhere: a bare HTTP 400, a result
that "does not fit the MCP schema", an unknown method. When a request fails that way under a pin,
one ``server/discover`` settles it: a server that speaks the revision lists it there.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio

from mcpctl.core.errors import (
    HttpStatusError,
    InvalidResultError,
    McpctlError,
    ProtocolError,
    ResponseTooLarge,
    SessionExpired,
    UnsupportedRevision,
)

log = logging.getLogger("mcpctl.sessions.revision")

#: The revisions a pin may name that are negotiated with ``server/discover`` (the SDK's modern ones).
DISCOVERED_REVISIONS = ("2026-07-28",)
#: How long the question may take.
PROBE_SECONDS = 5.0


async def explain_pin(client: Any, error: McpctlError) -> McpctlError:
    """``error``, or an ``UnsupportedRevision`` when the pinned revision is what the server does not speak."""
    revision = getattr(client, "mode", None)
    if revision not in DISCOVERED_REVISIONS or not _may_be_the_revision(error):
        return error
    if await _speaks(client, revision):
        return error
    answered = error.message.splitlines()[0] if error.message else type(error).__name__
    return UnsupportedRevision(
        f"the server does not speak protocol revision {revision}; it answered: {answered}",
        hint="use --protocol auto (find a revision both sides speak) or --protocol legacy",
        server=error.server,
        code=getattr(error, "code", None),
    )


def _may_be_the_revision(error: McpctlError) -> bool:
    """Failures an older server gives to a request of a newer revision (not timeouts, auth or size)."""
    if isinstance(error, InvalidResultError | ResponseTooLarge | SessionExpired | UnsupportedRevision):
        return False
    if isinstance(error, HttpStatusError):
        return 400 <= error.status < 500 and error.status not in (401, 403, 407, 408, 429)
    return isinstance(error, ProtocolError)


async def _speaks(client: Any, revision: str) -> bool:
    """Whether the server lists ``revision`` in its answer to ``server/discover``."""
    try:
        with anyio.fail_after(PROBE_SECONDS):
            raw = await client.session.send_discover(revision)
    except Exception as exc:  # any failure to answer the question is an answer: it does not speak it
        log.debug("server/discover at %s failed: %r", revision, exc)
        return False
    supported = raw.get("supportedVersions") if isinstance(raw, dict) else None
    return isinstance(supported, list) and revision in supported
