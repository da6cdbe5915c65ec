"""The public result types of the Python API: servers described in code, tools, calls, results, health.

Each is a small dataclass whose ``to_json()`` is what the command line prints with ``-o json``,
so a program and a shell script see the same data.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mcpctl.core.profile import NAME_RE, ServerConfig, Settings
from mcpctl.core.wire import wire


@dataclass(frozen=True)
class Server:
    """A server described in code, with no profile: ``Server.stdio(…)``, ``Server.http(…)``, ``Server.sse(…)``.

    It is exactly what a ``[servers.NAME]`` table of the profile says, so ``${VAR}`` references,
    ``bearer_token_env_var`` and the per-server timeouts mean the same thing here.
    """

    config: ServerConfig

    @property
    def name(self) -> str:
        return self.config.name

    @classmethod
    def stdio(
        cls,
        command: str | Sequence[str],
        *,
        name: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        retries: int | None = None,
    ) -> Server:
        """A stdio server: ``command`` is a command line (split like a shell would) or an argv list."""
        words = shlex.split(command) if isinstance(command, str) else list(command)
        if not words:
            from mcpctl.core.errors import UsageError

            raise UsageError("Server.stdio needs a command", hint="e.g. Server.stdio('python -m mcpctl.demo')")
        from mcpctl.sessions.targets import stdio_label

        config = ServerConfig(
            name=_name(name or stdio_label(words)),
            command=words[0],
            args=tuple(words[1:]),
            env=dict(env or {}),
            cwd=cwd,
            transport="stdio",
            settings=Settings(connect_timeout, timeout, retries),
        )
        return cls(config)

    @classmethod
    def http(
        cls,
        url: str,
        *,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        bearer_token_env_var: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        retries: int | None = None,
    ) -> Server:
        """A Streamable HTTP server."""
        return cls._remote(
            "streamable-http", url, name, headers, bearer_token_env_var, timeout, connect_timeout, retries
        )

    @classmethod
    def sse(
        cls,
        url: str,
        *,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        bearer_token_env_var: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        retries: int | None = None,
    ) -> Server:
        """A legacy HTTP+SSE server."""
        return cls._remote("sse", url, name, headers, bearer_token_env_var, timeout, connect_timeout, retries)

    @classmethod
    def _remote(
        cls,
        transport: str,
        url: str,
        name: str | None,
        headers: Mapping[str, str] | None,
        bearer_token_env_var: str | None,
        timeout: float | None,
        connect_timeout: float | None,
        retries: int | None,
    ) -> Server:
        from urllib.parse import urlsplit

        from mcpctl.core.errors import UsageError

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"bad URL '{url}': expected http:// or https:// with a host")
        config = ServerConfig(
            name=_name(name or parts.hostname or "server"),
            url=url,
            transport=transport,
            http_headers=dict(headers or {}),
            bearer_token_env_var=bearer_token_env_var,
            settings=Settings(connect_timeout, timeout, retries),
        )
        return cls(config)


def _name(name: str) -> str:
    """A server name as the profile allows it ([A-Za-z0-9_-]), so ``SERVER.TOOL`` stays unambiguous."""
    cleaned = "".join(c if NAME_RE.match(c) else "-" for c in name).strip("-") or "server"
    return cleaned


@dataclass(frozen=True)
class Tool:
    """One tool of one server; ``qualified`` is ``SERVER.TOOL``, which always names it."""

    server: str
    name: str
    title: str | None
    description: str | None
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None
    annotations: dict[str, Any] | None
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def qualified(self) -> str:
        return f"{self.server}.{self.name}"

    @property
    def read_only(self) -> bool:
        """``readOnlyHint``: calling it changes nothing."""
        return bool((self.annotations or {}).get("readOnlyHint"))

    @property
    def repeat_is_safe(self) -> bool:
        """``readOnlyHint`` or ``idempotentHint``: a call may be sent again after a lost connection."""
        hints = self.annotations or {}
        return bool(hints.get("readOnlyHint") or hints.get("idempotentHint"))

    @classmethod
    def from_sdk(cls, server: str, tool: Any) -> Tool:
        """Our view of an SDK ``Tool`` (its wire form kept in ``raw``)."""
        data: dict[str, Any] = wire(tool)
        return cls(
            server=server,
            name=tool.name,
            title=data.get("title"),
            description=data.get("description"),
            input_schema=data.get("inputSchema") or {},
            output_schema=data.get("outputSchema"),
            annotations=data.get("annotations"),
            raw=data,
        )

    def to_json(self) -> dict[str, Any]:
        """``tools list -o json``'s item: the tool as the server spelt it, plus ``server``."""
        return {"server": self.server, **self.raw}


@dataclass
class ToolCall:
    """A call on its way through the middleware: a middleware may rewrite ``arguments``."""

    server: str
    tool: str
    arguments: dict[str, Any]
    timeout: float | None = None

    @property
    def qualified(self) -> str:
        return f"{self.server}.{self.tool}"


@dataclass(frozen=True)
class ToolResult:
    """A tool's answer as it came over the wire (``result``), with what mcpctl adds."""

    server: str
    tool: str
    result: dict[str, Any]
    attempts: int = 1
    duration_ms: float = 0.0

    @property
    def content(self) -> list[dict[str, Any]]:
        """The content blocks, in their wire form."""
        return list(self.result.get("content") or [])

    @property
    def structured(self) -> Any:
        """``structuredContent`` (None when the tool sent none)."""
        return self.result.get("structuredContent")

    @property
    def is_error(self) -> bool:
        """Whether the tool answered ``isError: true``."""
        return bool(self.result.get("isError"))

    @property
    def text(self) -> str:
        """The text contents joined by newlines (what ``mcpctl call`` prints for them)."""
        return "\n".join(str(b.get("text", "")) for b in self.content if b.get("type") == "text")

    def to_json(self) -> dict[str, Any]:
        """``call -o json``: ``{"server", "tool", "result", "attempts", "duration_ms"}``."""
        return {
            "server": self.server,
            "tool": self.tool,
            "result": self.result,
            "attempts": self.attempts,
            "duration_ms": round(self.duration_ms, 1),
        }


@dataclass(frozen=True)
class Health:
    """One server's health: reachable or not, the round trip, the protocol revision, why not."""

    ok: bool
    rtt_ms: float | None
    protocol: str | None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "rtt_ms": self.rtt_ms, "protocolVersion": self.protocol, "reason": self.reason}


@dataclass(frozen=True)
class Status:
    """One server's session as the toolkit sees it (the shell's ``status`` shows the same)."""

    state: str
    protocol: str | None
    transport: str
    tools: int | None
    calls: int
    failures: int
    reconnects: int
    circuit: str
    last_error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "protocolVersion": self.protocol,
            "transport": self.transport,
            "tools": self.tools,
            "calls": self.calls,
            "failures": self.failures,
            "reconnects": self.reconnects,
            "circuit": self.circuit,
            "last_error": self.last_error,
        }
