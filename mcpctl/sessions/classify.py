"""Turn whatever the SDK, httpx2, anyio or the OS raised into one of our errors.

The SDK wraps failures in nested exception groups and hides HTTP statuses;
``classify`` flattens the groups, picks the most telling leaf, and uses what the
session recorded (HTTP statuses, the child's exit status and stderr) to say what
happened and what to try.
"""

from __future__ import annotations

import email.utils
import itertools
import re
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
    ResponseTooLarge,
    SessionExpired,
    TimeoutExpired,
)
from mcpctl.core.secrets import redact
from mcpctl.core.sizes import format_size

if TYPE_CHECKING:
    from mcpctl.sessions.provenance import Received, WireLog
    from mcpctl.sessions.stdio import StdioServer

Phase = Literal["connect", "call"]
STDERR_LINES_SHOWN = 10

# SDK / JSON-RPC codes (mirrors mcp.types, kept here so this module imports nothing heavy).
CONNECTION_CLOSED = -32000
REQUEST_TIMEOUT = -32001
METHOD_NOT_FOUND = -32601
INVALID_REQUEST = -32600
INTERNAL_ERROR = -32603
PARSE_ERROR = -32700
#: What the SDK's Streamable HTTP client says in the error responses it makes up itself.
_SDK_STAND_INS = ("Server returned an error response", "Not Found", "Session terminated")
_SDK_PARSE_FAILED = ("Failed to parse JSON response: ", "Failed to parse SSE message: ")
_SDK_STREAM_FAILED = "SSE stream "
#: How the HTTP client's capped body says it went past the limit (inside the SDK's parse failure).
BODY_OVER_LIMIT = "the response body went past the limit of "
_SSE_LIMIT = re.compile(r"exceeded the (\d+) byte limit")
#: ``data["mcpctl"]`` of the error the stdio transport answers with for a request whose answer it could not read
#: (``data["method"]``: the request's; ``data["limit"]``: the size limit the answer went past, when that was why).
UNREADABLE_ANSWER = "unreadable-answer"


@dataclass
class HttpLog:
    """HTTP statuses seen by a session (the SDK maps them all to JSON-RPC codes)."""

    last_error: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)
    #: JSON-RPC request id -> (error status of the POST that carried it, whether it carried a session id).
    failures: dict[object, tuple[int, bool]] = field(default_factory=dict)
    #: The body size limit (bytes) a response went past, once one did.
    too_large: int | None = None
    #: What the OAuth layer refused a request with (login needed, refresh refused): mid-session the SDK's transport
    #: drops that error and reports only the HTTP status, and it is the one that says what to do.
    auth_error: McpctlError | None = None

    def record(self, status: int, headers: Mapping[str, str]) -> None:
        """Remember a response's status (and the headers of the latest error)."""
        self.statuses.append(status)
        if status >= 400:
            self.last_error = status
            self.headers = {k.lower(): v for k, v in headers.items()}

    def record_failure(self, request_id: object, status: int, session: bool) -> None:
        """Remember the error status of the POST that carried request ``request_id``."""
        if isinstance(request_id, int | str):
            self.failures.pop(request_id, None)
            self.failures[request_id] = (status, session)
            while len(self.failures) > 256:
                del self.failures[next(iter(self.failures))]

    def failure(self, request_id: object) -> tuple[int | None, bool]:
        """The error status of the POST that carried ``request_id`` and whether it had a session id; (None, False)."""
        try:
            return self.failures.get(request_id, (None, False))
        except TypeError:  # an unhashable id
            return None, False

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
    wire: WireLog | None = None,
) -> McpctlError:
    """One of our errors for ``exc``, with the server named and the stderr tail attached.

    ``wire`` (what the session received) tells a JSON-RPC error the server sent from the SDK's own
    signals that share its code; without it, -32000 and -32001 are taken for the SDK's.
    """
    error = _classify_leaf(_primary(leaves(exc)), phase=phase, http=http, url=url, wire=wire)
    error.with_server(server)
    if stdio is not None and isinstance(error, (ConnectError, TimeoutExpired)):
        attach_stdio(error, stdio)
    error.message = redact(error.message)
    return error


def _primary(found: list[BaseException]) -> BaseException:
    """The leaf that best explains a failure: an event past the size limit (it is why the connection closed), ours,
    then SDK, HTTP, OS, timeouts."""
    for leaf in found:
        if type(leaf).__name__ == "SSEError" and _SSE_LIMIT.search(str(leaf)):
            return leaf
    order: list[type[BaseException]] = [McpctlError]
    try:
        import httpx2
        from mcp.client.auth.exceptions import OAuthFlowError
        from mcp.shared.exceptions import MCPError

        order += [OAuthFlowError, MCPError, httpx2.HTTPError]
    except ImportError:  # pragma: no cover - the SDK is a dependency
        pass
    order += [OSError, TimeoutError, RuntimeError]
    for kind in order:
        for leaf in found:
            if isinstance(leaf, kind):
                return leaf
    return found[0]


def _classify_leaf(
    leaf: BaseException, *, phase: Phase, http: HttpLog | None, url: str | None, wire: WireLog | None = None
) -> McpctlError:
    if isinstance(leaf, McpctlError):
        return leaf
    if http is not None and http.auth_error is not None and http.last_error in (401, 403):
        error, http.auth_error = http.auth_error, None
        return error
    if type(leaf).__module__.startswith("mcp.client.auth"):
        return AuthError(
            f"OAuth failed{f' for {url}' if url else ''}: {_first_line(str(leaf)) or type(leaf).__name__}",
            hint="run with -v for the steps; mcpctl auth status shows what is stored",
        )
    received = _received(leaf, wire)
    if received is not None:
        return _from_received(leaf, received, phase=phase, http=http, url=url)
    if http is not None and http.last_error is not None and _looks_http(leaf):
        return from_http_status(http.last_error, http.headers, url)
    from mcp.shared.exceptions import MCPError

    if isinstance(leaf, MCPError):
        return _from_mcp_error(leaf, phase)
    import httpx2

    if isinstance(leaf, httpx2.HTTPStatusError):
        return from_http_status(leaf.response.status_code, dict(leaf.response.headers), url)
    if isinstance(leaf, httpx2.SSEError) and (limit := _SSE_LIMIT.search(str(leaf))) is not None:
        # Only the legacy SSE transport lets this escape, and its limit is the SDK's own: no setting changes it.
        error = _too_large(int(limit.group(1)), None)
        error.hint = "the MCP SDK's legacy SSE client takes no larger event; ask for less (or use Streamable HTTP)"
        return error
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


def _received(leaf: BaseException, wire: WireLog | None) -> Received | None:
    """How the JSON-RPC error ``leaf`` arrived over the transport; None if it never did (or is no such error)."""
    from mcp.shared.exceptions import MCPError

    if wire is None or not isinstance(leaf, MCPError):
        return None
    return wire.lookup(leaf.code, leaf.message)


def _from_received(
    err: BaseException, received: Received, *, phase: Phase, http: HttpLog | None, url: str | None
) -> McpctlError:
    """An error response that arrived over the transport: the server's answer, or one the HTTP client made up."""
    code: int = getattr(err, "code", 0)
    message: str = getattr(err, "message", str(err))
    if received.status is not None:
        return _from_http_answer(received, message, http, url)
    if message.startswith(_SDK_STREAM_FAILED):
        return _stream_failed(message, received.method)
    if code == PARSE_ERROR and message.startswith(_SDK_PARSE_FAILED):
        if http is not None and http.too_large is not None and BODY_OVER_LIMIT in message:
            return _too_large(http.too_large, received.method)
        return ProtocolError(
            f"the server's answer to {received.method or 'a request'} could not be parsed: {_parse_detail(message)}",
            hint="the server is at fault: its answer breaks the protocol; run with -v to see the details",
        )
    # A server on the SDK answers the requests in flight so when it shuts down: that answer means what ours does.
    answered = (code, message) != (CONNECTION_CLOSED, "Connection closed")
    return _from_mcp_error(err, phase, answered=answered, method=received.method)


def _from_http_answer(received: Received, message: str, http: HttpLog | None, url: str | None) -> McpctlError:
    """An error status for one request: a lost session, or the status (with what the server said, if it said)."""
    status = received.status or 0
    where = f" from {url}" if url else ""
    if status in (400, 404) and received.session:
        return SessionExpired(
            f"session expired: the server no longer knows this session (HTTP {status}{where})",
            hint="the server restarted or expired the session; a new one is opened for the next call, and a call "
            "is repeated only when that is safe (readOnlyHint/idempotentHint, or --retry-unsafe)",
        )
    error = from_http_status(status, http.headers if http is not None else {}, url)
    if message and message not in _SDK_STAND_INS:
        error.message = f"{error.message}: {_first_line(message)}"
    return error


def _stream_failed(message: str, method: str | None) -> McpctlError:
    """The SDK's word for a response event stream that failed or ended before the answer."""
    limit = _SSE_LIMIT.search(message)
    if limit is not None:
        return _too_large(int(limit.group(1)), method)
    return ConnectionClosedError(
        f"the server's response stream ended before the answer{_to(method)}: {message}",
        hint="the server (or a proxy) closed the stream; check that it is still running",
    )


def _too_large(limit: int, method: str | None) -> ResponseTooLarge:
    return ResponseTooLarge(
        f"the server's answer{_to(method)} is larger than the limit of {format_size(limit)}",
        hint="raise --max-response-size (or max_response_size in the profile) if answers this large are expected",
    )


def _to(method: str | None) -> str:
    return f" to {method}" if method else ""


def _parse_detail(message: str) -> str:
    """The telling part of the SDK's parse failure: the JSON error, or the answer's first schema error."""
    lines = message.splitlines()
    for line in lines:
        if "Invalid JSON:" in line:
            return line[line.index("Invalid JSON:") :].split(" [type=")[0]
    for kind in ("JSONRPCResponse.", "JSONRPCError."):
        for here, after in itertools.pairwise(lines):
            if here.startswith(kind):
                return f"{here.removeprefix(kind)}: {after.strip().split(' [type=')[0]}"
    return _first_line(message.split(": ", 1)[-1])


def _from_mcp_error(err: object, phase: Phase, *, answered: bool = False, method: str | None = None) -> McpctlError:
    """Our error for a JSON-RPC error; ``answered``: it came over the wire (-32000/-32001 are then the server's)."""
    code: int = getattr(err, "code", 0)
    message: str = getattr(err, "message", str(err))
    data = getattr(err, "data", None)
    if isinstance(data, dict) and data.get("mcpctl") == UNREADABLE_ANSWER:
        if isinstance(limit := data.get("limit"), int):
            return _too_large(limit, data.get("method"))
        return ProtocolError(message, hint="the server is at fault: its answer breaks the protocol")
    if code == CONNECTION_CLOSED and not answered:
        return ConnectionClosedError(
            "the server closed the connection" + (" during the handshake" if phase == "connect" else ""),
            hint="run with -v to see the server's stderr",
        )
    if code == REQUEST_TIMEOUT and not answered:
        return TimeoutExpired(f"timed out: {message}", hint="raise --timeout (or tool_timeout_sec in the profile)")
    if phase == "connect":
        return ConnectError(f"handshake failed: {message} (JSON-RPC {code})", hint="try --protocol legacy")
    hint = {
        METHOD_NOT_FOUND: "the server does not support this method",
        -32602: "check the arguments against: mcpctl tools show SERVER.TOOL",
    }.get(code)
    if code == -32602 and method not in (None, "tools/call"):
        hint = None
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
    if status == 413:
        return HttpStatusError(
            f"HTTP 413 Content Too Large{where}",
            status=413,
            hint="the request was too large for the server: send smaller arguments (e.g. a path or URL instead of "
            "the content), or raise the server's request size limit",
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
