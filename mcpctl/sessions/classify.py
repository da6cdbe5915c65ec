"""Turn whatever the SDK, httpx2, anyio or the OS raised into one of our errors.

The SDK wraps failures in nested exception groups and hides HTTP statuses;
``classify`` flattens the groups, picks the most telling leaf, and uses what the
session recorded (HTTP statuses, the child's exit status and stderr) to say what
happened and what to try.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from mcpctl.core.errors import (
    AuthError,
    ConnectError,
    ConnectionClosedError,
    HttpStatusError,
    InvalidResultError,
    McpctlError,
    ProtocolError,
    TimeoutExpired,
)
from mcpctl.core.secrets import redact

if TYPE_CHECKING:
    from mcpctl.sessions.stdio import StdioServer

Phase = Literal["connect", "call"]
STDERR_LINES_SHOWN = 10

# SDK / JSON-RPC codes (mirrors mcp.types, kept here so this module imports nothing heavy).
CONNECTION_CLOSED = -32000
REQUEST_TIMEOUT = -32001
METHOD_NOT_FOUND = -32601
INVALID_REQUEST = -32600
INTERNAL_ERROR = -32603


@dataclass
class HttpLog:
    """HTTP statuses seen by a session (the SDK maps them all to JSON-RPC codes)."""

    last_error: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)

    def record(self, status: int, headers: Mapping[str, str]) -> None:
        """Remember a response's status (and the headers of the latest error)."""
        self.statuses.append(status)
        if status >= 400:
            self.last_error = status
            self.headers = {k.lower(): v for k, v in headers.items()}

    def retry_after(self) -> float | None:
        """The latest error's ``Retry-After`` in seconds (seconds or an HTTP date)."""
        return parse_retry_after(self.headers.get("retry-after"))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def leaves(exc: BaseException) -> list[BaseException]:
    """The non-group exceptions inside (possibly nested) exception groups."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in leaves(sub)]
    return [exc]


def classify(
    exc: BaseException,
    *,
    server: str | None = None,
    phase: Phase = "call",
    http: HttpLog | None = None,
    stdio: StdioServer | None = None,
    url: str | None = None,
) -> McpctlError:
    """One of our errors for ``exc``, with the server named and the stderr tail attached."""
    error = _classify_leaf(_primary(leaves(exc)), phase=phase, http=http, url=url)
    error.with_server(server)
    if stdio is not None and isinstance(error, (ConnectError, TimeoutExpired)):
        attach_stdio(error, stdio)
    error.message = redact(error.message)
    return error


def _primary(found: list[BaseException]) -> BaseException:
    """The leaf that best explains a failure: ours first, then SDK, HTTP, OS, timeouts."""
    order: list[type[BaseException]] = [McpctlError]
    try:
        import httpx2
        from mcp.shared.exceptions import MCPError

        order += [MCPError, httpx2.HTTPError]
    except ImportError:  # pragma: no cover - the SDK is a dependency
        pass
    order += [OSError, TimeoutError, RuntimeError]
    for kind in order:
        for leaf in found:
            if isinstance(leaf, kind):
                return leaf
    return found[0]


def _classify_leaf(leaf: BaseException, *, phase: Phase, http: HttpLog | None, url: str | None) -> McpctlError:
    if isinstance(leaf, McpctlError):
        return leaf
    if http is not None and http.last_error is not None and _looks_http(leaf):
        return from_http_status(http.last_error, http.headers, url)
    from mcp.shared.exceptions import MCPError

    if isinstance(leaf, MCPError):
        return _from_mcp_error(leaf, phase)
    import httpx2

    if isinstance(leaf, httpx2.HTTPStatusError):
        return from_http_status(leaf.response.status_code, dict(leaf.response.headers), url)
    if isinstance(leaf, httpx2.TimeoutException):
        return TimeoutExpired(f"HTTP request timed out ({type(leaf).__name__})", hint="raise --timeout")
    if isinstance(leaf, httpx2.HTTPError):
        if isinstance(leaf, httpx2.RemoteProtocolError | httpx2.ReadError):  # it answered, then went away
            where = f" to {url}" if url else ""
            during = " during the handshake" if phase == "connect" else ""
            return ConnectionClosedError(
                f"connection lost{where}{during}: {str(leaf) or type(leaf).__name__}",
                hint="the server stopped or dropped the connection; check that it is still running",
            )
        return _connect_failed(str(leaf) or type(leaf).__name__, url)
    if isinstance(leaf, TimeoutError):
        return TimeoutExpired("timed out", hint="raise --timeout or --connect-timeout")
    if isinstance(leaf, ConnectionError | EOFError):
        return ConnectionClosedError(f"connection lost: {leaf}")
    if isinstance(leaf, RuntimeError) and "structured content" in str(leaf):
        return InvalidResultError(
            f"the server's result breaks the tool's outputSchema: {_first_line(str(leaf))}",
            hint="the server is at fault: its structuredContent does not match the outputSchema it declares",
        )
    if type(leaf).__name__ == "ValidationError":
        return ProtocolError(
            f"the server sent a message that does not fit the MCP schema: {_first_line(str(leaf))}",
            hint="run with -v to see the server's output",
        )
    if isinstance(leaf, OSError):
        return ConnectError(f"{type(leaf).__name__}: {leaf}")
    return McpctlError(
        f"unexpected error: {type(leaf).__name__}: {_first_line(str(leaf))}",
        hint="run again with --debug for the traceback, and report it",
    )


def _looks_http(leaf: BaseException) -> bool:
    """Whether an exception is the SDK's generic mapping of an HTTP error status."""
    from mcp.shared.exceptions import MCPError

    if isinstance(leaf, MCPError):
        return leaf.code in (INTERNAL_ERROR, METHOD_NOT_FOUND, INVALID_REQUEST, CONNECTION_CLOSED)
    import httpx2

    return isinstance(leaf, httpx2.HTTPStatusError)


def _from_mcp_error(err: object, phase: Phase) -> McpctlError:
    code: int = getattr(err, "code", 0)
    message: str = getattr(err, "message", str(err))
    data = getattr(err, "data", None)
    if code == CONNECTION_CLOSED:
        return ConnectionClosedError(
            "the server closed the connection" + (" during the handshake" if phase == "connect" else ""),
            hint="run with -v to see the server's stderr",
        )
    if code == REQUEST_TIMEOUT:
        return TimeoutExpired(f"timed out: {message}", hint="raise --timeout (or tool_timeout_sec in the profile)")
    if phase == "connect":
        return ConnectError(f"handshake failed: {message} (JSON-RPC {code})", hint="try --protocol legacy")
    hint = {
        METHOD_NOT_FOUND: "the server does not support this method",
        -32602: "check the arguments against: mcpctl tools show SERVER.TOOL",
    }.get(code)
    return ProtocolError(f"{message} (JSON-RPC error {code})", code=code, data=data, hint=hint)


def from_http_status(status: int, headers: Mapping[str, str], url: str | None = None) -> McpctlError:
    """An error for an HTTP error status, with ``WWW-Authenticate`` and ``Retry-After`` read."""
    lowered = {k.lower(): v for k, v in headers.items()}
    where = f" from {url}" if url else ""
    if status in (401, 403):
        challenge = lowered.get("www-authenticate")
        word = "401 Unauthorized" if status == 401 else "403 Forbidden"
        hint = f"the server says: WWW-Authenticate: {challenge}" if challenge else None
        fix = "set the token: bearer_token_env_var in the profile, or -H 'Authorization: Bearer …'"
        return AuthError(f"HTTP {word}{where}", hint=f"{hint}; {fix}" if hint else fix)
    if status == 404:
        return HttpStatusError(
            f"HTTP 404 Not Found{where}",
            status=404,
            hint="check the URL path: Streamable HTTP servers usually serve /mcp, SSE servers /sse",
        )
    retry_after = parse_retry_after(lowered.get("retry-after"))
    hint = f"the server asked to retry after {retry_after:g}s" if retry_after is not None else None
    return HttpStatusError(f"HTTP {status}{where}", status=status, retry_after=retry_after, hint=hint)


def _connect_failed(reason: str, url: str | None) -> ConnectError:
    where = f" to {url}" if url else ""
    return ConnectError(f"could not connect{where}: {reason}", hint="is the server running, and is the URL right?")


def attach_stdio(error: McpctlError, stdio: StdioServer) -> None:
    """Add the child's exit status and stderr tail to a connection or timeout error.

    A timeout means the server was alive but silent; its exit status afterwards is only
    our shutdown (stdin closed, SIGTERM), so it is not reported as if it explained anything.
    """
    note = None if isinstance(error, TimeoutExpired) else stdio.exit_note()
    if note and note not in error.message:
        error.message = f"{error.message} ({note})"
    tail = [line for line in stdio.stderr_tail if line.strip()][-STDERR_LINES_SHOWN:]
    if tail and not error.details:
        error.details = [f"server stderr: {redact(line)}" for line in tail]


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
