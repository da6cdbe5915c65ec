"""``--elicit``: how mcpctl answers a server's elicitation requests.

- ``accept-defaults``: accept a form filled with the requested schema's defaults
  (decline when a required field has none);
- ``decline``: decline every request;
- ``prompt``: ask a person through the caller's ``ask`` sink (the command line gives one only when
  stdin is a terminal); decline when there is none.

URL-mode requests (open a page in a browser) are always declined, with the URL logged.
"""

from __future__ import annotations

import logging
from typing import Any

from mcpctl.core.secrets import redact
from mcpctl.sessions.options import Asker

log = logging.getLogger("mcpctl.sessions.elicit")


class Elicitor:
    """The SDK's elicitation callback for one server."""

    def __init__(self, mode: str, server: str, ask: Asker | None = None) -> None:
        self.mode = mode
        self.server = server
        self.ask = ask

    async def __call__(self, context: Any, params: Any) -> Any:
        from mcp.types import ElicitResult

        schema = getattr(params, "requested_schema", None)
        message = redact(str(getattr(params, "message", "")))
        if schema is None:
            log.warning("%s asks you to open %s (declined: mcpctl cannot)", self.server, getattr(params, "url", "?"))
            return ElicitResult(action="decline")
        schema = schema if isinstance(schema, dict) else schema.model_dump(by_alias=True, exclude_none=True)
        if self.mode == "decline":
            log.info("%s asked for input (%s); declined (--elicit decline)", self.server, message)
            return ElicitResult(action="decline")
        if self.mode == "prompt":
            if self.ask is None:
                log.warning("%s asked for input (%s); declined: stdin is not a terminal", self.server, message)
                return ElicitResult(action="decline")
            import anyio.to_thread

            content = await anyio.to_thread.run_sync(self.ask, self.server, message, schema)
            return ElicitResult(action="cancel") if content is None else ElicitResult(action="accept", content=content)
        content = defaults_of(schema)
        missing = [name for name in schema.get("required", []) if name not in content]
        if missing:
            log.warning("%s asked for %s, which have no defaults; declined", self.server, ", ".join(missing))
            return ElicitResult(action="decline")
        log.info("%s asked for input (%s); accepted with defaults %s", self.server, message, content)
        return ElicitResult(action="accept", content=content)


def defaults_of(schema: dict[str, Any]) -> dict[str, Any]:
    """Each property's ``default`` (properties without one are left out)."""
    properties = schema.get("properties", {})
    return {name: spec["default"] for name, spec in properties.items() if isinstance(spec, dict) and "default" in spec}
