"""Where an error came from (``sessions.provenance``), how ``classify`` reads that, and the response size setting.

A JSON-RPC error that arrived over the transport is the server's answer (or, over HTTP, stands for the status of
the response that carried it); one that never arrived is the SDK's own signal, whatever its code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage
from mcp.types import ErrorData, JSONRPCError, JSONRPCRequest

from mcpctl.core.errors import (
    ConnectionClosedError,
    HttpStatusError,
    ProfileError,
    ProtocolError,
    ResponseTooLarge,
    SessionExpired,
    TimeoutExpired,
)
from mcpctl.core.profile import Settings, parse_profile
from mcpctl.core.sizes import format_size, parse_size
from mcpctl.sessions.classify import HttpLog, classify, from_http_status
from mcpctl.sessions.provenance import WireLog
from mcpctl.sessions.targets import from_config, from_url

URL = "http://127.0.0.1:9/mcp"


def exchange(wire: WireLog, code: int, message: str, *, request_id: int = 1, method: str = "tools/call") -> MCPError:
    """A request sent and its error answer received over ``wire``; returns the error the SDK then raises."""
    wire.sent(SessionMessage(JSONRPCRequest(jsonrpc="2.0", id=request_id, method=method, params={})))
    error = ErrorData(code=code, message=message)
    wire.received(SessionMessage(JSONRPCError(jsonrpc="2.0", id=request_id, error=error)))
    return MCPError(code, message)


# ----------------------------------------------------------------------------------------------- -32000 / -32001


@pytest.mark.parametrize("code", [-32000, -32001])
def test_an_answered_error_with_an_sdk_code_is_the_servers_protocol_error(code: int) -> None:
    wire = WireLog()
    error = classify(exchange(wire, code, "the server's own failure"), wire=wire)
    assert type(error) is ProtocolError
    assert error.exit_code == 5 and not error.retryable
    assert error.message == f"the server's own failure (JSON-RPC error {code})"


def test_the_sdks_own_connection_closed_and_timeout_stay_exit_3_and_4() -> None:
    wire = WireLog()
    exchange(wire, -32000, "the server's own failure")
    assert type(classify(MCPError(-32000, "Connection closed"), wire=wire)) is ConnectionClosedError
    assert type(classify(MCPError(-32001, "Request 'tools/call' timed out"), wire=wire)) is TimeoutExpired


def test_a_server_shutting_down_answers_connection_closed_which_stays_connection_closed() -> None:
    wire = WireLog()
    error = classify(exchange(wire, -32000, "Connection closed"), wire=wire)
    assert type(error) is ConnectionClosedError and error.retryable


def test_an_answered_error_during_the_handshake_is_a_failed_handshake() -> None:
    wire = WireLog()
    error = classify(exchange(wire, -32000, "not today", method="initialize"), phase="connect", wire=wire)
    assert error.exit_code == 3
    assert error.message == "handshake failed: not today (JSON-RPC -32000)"


def test_argument_hint_only_for_tools_call() -> None:
    wire = WireLog()
    listed = classify(exchange(wire, -32602, "bad cursor", method="tools/list"), wire=wire)
    called = classify(exchange(wire, -32602, "bad arguments", request_id=2), wire=wire)
    assert listed.hint is None
    assert called.hint is not None and "tools show" in called.hint


# --------------------------------------------------------------------------------------------------------- HTTP


def http_exchange(status: int, code: int, message: str, *, session: bool) -> tuple[MCPError, HttpLog, WireLog]:
    http = HttpLog()
    http.record(status, {})
    http.record_failure(1, status, session)
    wire = WireLog(http)
    return exchange(wire, code, message), http, wire


@pytest.mark.parametrize(("status", "code", "message"), [(404, -32600, "Session not found"), (400, -32000, "Bad")])
def test_404_or_400_to_a_request_with_a_session_id_is_session_expired(status: int, code: int, message: str) -> None:
    exc, http, wire = http_exchange(status, code, message, session=True)
    error = classify(exc, http=http, wire=wire, url=URL)
    assert isinstance(error, SessionExpired) and isinstance(error, ConnectionClosedError)
    assert error.retryable and error.exit_code == 3
    assert error.message == f"session expired: the server no longer knows this session (HTTP {status} from {URL})"
    assert "URL" not in (error.hint or "")


def test_an_error_status_without_a_session_id_shows_what_the_server_said() -> None:
    exc, http, wire = http_exchange(400, -32600, "Bad Request: Missing session ID", session=False)
    error = classify(exc, http=http, wire=wire, url=URL)
    assert isinstance(error, HttpStatusError) and error.status == 400
    assert error.message == f"HTTP 400 from {URL}: Bad Request: Missing session ID"


def test_the_sdks_stand_in_for_a_bare_status_is_not_repeated() -> None:
    exc, http, wire = http_exchange(500, -32603, "Server returned an error response", session=False)
    error = classify(exc, http=http, wire=wire, url=URL)
    assert error.message == f"HTTP 500 from {URL}"
    assert error.retryable


def test_an_event_past_the_size_limit_is_response_too_large_naming_it() -> None:
    wire = WireLog(HttpLog())
    message = "SSE stream failed: Server-sent event exceeded the 2097152 byte limit."
    error = classify(exchange(wire, -32000, message), wire=wire, http=wire.http)
    assert isinstance(error, ResponseTooLarge) and error.exit_code == 5
    assert error.message == "the server's answer to tools/call is larger than the limit of 2 MiB"


def test_a_stream_that_ends_before_the_answer_is_connection_closed() -> None:
    wire = WireLog(HttpLog())
    error = classify(exchange(wire, -32000, "SSE stream ended without a response"), wire=wire, http=wire.http)
    assert isinstance(error, ConnectionClosedError) and error.retryable


def test_a_body_past_the_limit_is_response_too_large() -> None:
    http = HttpLog(too_large=1024)
    wire = WireLog(http)
    sdk = "Failed to parse JSON response: the response body went past the limit of 1 KiB"
    error = classify(exchange(wire, -32700, sdk), wire=wire, http=http)
    assert isinstance(error, ResponseTooLarge)
    assert "larger than the limit of 1 KiB" in error.message


def test_an_unparsable_answer_names_the_method_and_the_problem() -> None:
    wire = WireLog(HttpLog())
    sdk = (
        "Failed to parse JSON response: 4 validation errors for union[...]\n"
        "JSONRPCRequest.method\n  Field required [type=missing, input_value=..., input_type=dict]\n"
        "JSONRPCResponse.result\n  Input should be an object [type=dict_type, input_value=[1], input_type=list]\n"
    )
    error = classify(exchange(wire, -32700, sdk), wire=wire, http=wire.http)
    assert type(error) is ProtocolError
    assert error.message == "the server's answer to tools/call could not be parsed: result: Input should be an object"


def test_http_413_has_a_hint() -> None:
    error = from_http_status(413, {}, URL)
    assert isinstance(error, HttpStatusError) and not error.retryable
    assert error.message == f"HTTP 413 Content Too Large from {URL}"
    assert error.hint is not None and "too large" in error.hint


def test_wire_log_forgets_old_entries() -> None:
    wire = WireLog()
    for i in range(1000):
        exchange(wire, -32000, f"failure {i}", request_id=i)
    assert wire.lookup(-32000, "failure 999") is not None
    assert wire.lookup(-32000, "failure 0") is None


# ------------------------------------------------------------------------------------------- the size setting


@pytest.mark.parametrize(
    ("text", "size"),
    [("1024", 1024), (1024, 1024), ("64M", 64 * 1024**2), ("512k", 512 * 1024), ("1G", 1024**3), ("2MiB", 2 * 1024**2)],
)
def test_parse_size_takes_bytes_or_a_k_m_g_suffix(text: str | int, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "0", "-1", "1.5M", "64T", "lots", 0, True])
def test_parse_size_rejects_what_is_not_a_positive_size(text: str | int) -> None:
    with pytest.raises(ValueError, match="size"):
        parse_size(text)


def test_format_size_uses_the_largest_exact_unit() -> None:
    sizes = (64 * 1024**2, 1536, 1000, 2 * 1024**3)
    assert [format_size(n) for n in sizes] == ["64 MiB", "1536 bytes", "1000 bytes", "2 GiB"]


def test_max_response_size_in_the_profile_per_server_over_defaults(tmp_path: Path) -> None:
    text = (
        '[defaults]\nmax_response_size = "8M"\n[servers.a]\nurl = "http://h/mcp"\n[servers.b]\nurl = "http://h/mcp"\n'
    )
    text += "max_response_size = 4096\n"
    profile = parse_profile(text, tmp_path / "p.toml")
    a = from_config(profile.servers["a"], profile.defaults)
    b = from_config(profile.servers["b"], profile.defaults)
    flagged = from_config(profile.servers["b"], profile.defaults, Settings(max_response_size=1024))
    assert (a.max_response_size, b.max_response_size, flagged.max_response_size) == (8 * 1024**2, 4096, 1024)


def test_the_default_response_limit_is_64_mib() -> None:
    assert from_url(URL).max_response_size == 64 * 1024**2


@pytest.mark.parametrize("value", ['"lots"', "0", "true", "1.5"])
def test_a_bad_max_response_size_in_the_profile_names_the_key(tmp_path: Path, value: str) -> None:
    with pytest.raises(ProfileError, match=r"defaults\.max_response_size"):
        parse_profile(f"[defaults]\nmax_response_size = {value}\n", tmp_path / "p.toml")
