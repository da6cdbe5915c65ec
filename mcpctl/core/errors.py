"""One exception hierarchy; each class carries its exit code and a stable ``type``.

Only the command line's boundary (``mcpctl.cli.main.run``) turns these into an exit status.
The core raises them; ``classify`` (in ``mcpctl.sessions.classify``) turns foreign
exceptions (SDK, httpx2, OSError, timeouts) into them.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "ArgumentError",
    "AuthError",
    "CircuitOpenError",
    "ConnectError",
    "ConnectionClosedError",
    "HttpStatusError",
    "Interrupted",
    "InvalidResultError",
    "McpctlError",
    "OutputError",
    "ProfileError",
    "ProtocolError",
    "ResponseTooLarge",
    "SessionExpired",
    "StdoutClosed",
    "Terminated",
    "Timeout",
    "TimeoutExpired",
    "ToolFailed",
    "UnknownTool",
    "UnsupportedRevision",
    "UsageError",
]


class McpctlError(Exception):
    """Base of every error mcpctl reports; ``exit_code`` and ``type`` are per class."""

    exit_code: ClassVar[int] = 1
    type: ClassVar[str] = "error"
    #: Whether the server could not be reached or did not answer in time (a fallback server may do better).
    unreachable: ClassVar[bool] = False
    #: Whether trying again may help (connection-level failures); instances may override.
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        server: str | None = None,
        details: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.server = server
        self.details: list[str] = list(details or [])

    def with_server(self, server: str | None) -> McpctlError:
        """Name the server this error concerns, unless one is named already."""
        if self.server is None:
            self.server = server
        return self

    def to_json(self) -> dict[str, Any]:
        """The ``{"error": {...}}`` line written to stderr under ``-o json|ndjson``."""
        body: dict[str, Any] = {
            "type": self.type,
            "message": self.message,
            "server": self.server,
            "exit_code": self.exit_code,
        }
        if self.hint:
            body["hint"] = self.hint
        if self.details:
            body["details"] = self.details
        return {"error": body}


class ToolFailed(McpctlError):
    """The work ran but failed (``isError: true``, a failed batch line, an unhealthy server).

    Raised by the Python API for a result with ``isError: true``; ``result`` is that result.
    """

    exit_code = 1
    type = "tool_error"

    def __init__(self, message: str, *, result: Any = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.result = result


class OutputError(McpctlError):
    """The results could not be written (stdout on a full disk, a closed file): never a connection failure."""

    exit_code = 1
    type = "output"

    def with_server(self, server: str | None) -> McpctlError:
        """Stdout is ours, not a server's: raised inside a session, the error still names none."""
        return self


class StdoutClosed(OutputError):
    """The reader of stdout went away (``mcpctl … | head``): stop quietly with 141, as SIGPIPE would."""

    exit_code = 141
    type = "stdout_closed"


class UsageError(McpctlError):
    """Bad flags or input."""

    exit_code = 2
    type = "usage"


class ProfileError(UsageError):
    """The profile cannot be read, parsed or validated."""

    type = "profile"


class ArgumentError(UsageError):
    """Tool arguments that do not parse or do not fit the tool's inputSchema."""

    type = "arguments"


class UnknownTool(UsageError):
    """The server has no tool (or prompt) of that name; another server may have it (``type`` stays ``usage``)."""


class ConnectError(McpctlError):
    """Could not reach the server (spawn failure, refused, handshake failed)."""

    exit_code = 3
    type = "connect"
    unreachable = True
    retryable = True


class ConnectionClosedError(ConnectError):
    """The server went away: its process exited or the connection dropped."""

    type = "connection_closed"


class SessionExpired(ConnectionClosedError):
    """The HTTP server no longer knows our session (it restarted or expired it): a new session may do."""

    type = "session_expired"


class CircuitOpenError(ConnectError):
    """Calls to this server fail fast until its circuit's cool-down passes."""

    type = "circuit_open"


class TimeoutExpired(McpctlError):
    """A connect or call deadline passed."""

    exit_code = 4
    type = "timeout"
    unreachable = True


class HttpStatusError(ConnectError):
    """The HTTP server answered with an error status (5xx, 404, 429…)."""

    type = "http_status"

    def __init__(self, message: str, *, status: int, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.status = status
        self.retry_after = retry_after
        self.retryable = status == 429 or status >= 500

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out["error"]["status"] = self.status
        return out


class ProtocolError(McpctlError):
    """The server answered with a JSON-RPC error (or an answer that breaks the protocol)."""

    exit_code = 5
    type = "protocol"

    def __init__(self, message: str, *, code: int | None = None, data: Any = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.code = code
        self.data = data

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        if self.code is not None:
            out["error"]["code"] = self.code
        if self.data is not None:
            out["error"]["data"] = self.data
        return out


class InvalidResultError(ProtocolError):
    """The server's answer breaks its own declared contract (e.g. its outputSchema)."""

    type = "invalid_result"


class ResponseTooLarge(ProtocolError):
    """The server's answer went past the response size limit (``--max-response-size``)."""

    type = "response_too_large"


class UnsupportedRevision(ProtocolError):
    """The server does not speak the protocol revision ``--protocol`` pinned."""

    type = "unsupported_revision"


class AuthError(McpctlError):
    """Authentication required or refused (HTTP 401/403, OAuth failure)."""

    exit_code = 6
    type = "auth"


#: The Python API's name for a passed deadline.
Timeout = TimeoutExpired


class Interrupted(McpctlError):
    """Ctrl-C: child servers were shut down first."""

    exit_code = 130
    type = "interrupted"


class Terminated(McpctlError):
    """SIGTERM: child servers were shut down first."""

    exit_code = 143
    type = "terminated"
