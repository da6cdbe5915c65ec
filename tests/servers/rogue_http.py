"""A hand-written Streamable HTTP MCP server whose answers misbehave at the HTTP level, for mcpctl's tests.

``build_app(fault)`` is a Starlette app serving ``POST /mcp`` (JSON-RPC over HTTP, handshake era by default):
``initialize`` opens a session (``Mcp-Session-Id``), notifications get 202, ``tools/list`` lists one tool
``work`` (readOnlyHint), ``server/discover`` is -32601 (so ``--protocol auto`` falls back), GET is 405 and DELETE 200.
``tools/call`` answers as the fault says:

================  ======================================================================================
none              a normal answer: text "worked"
endless-json      200 application/json whose body never ends (a text growing as fast as the socket takes it)
endless-sse       200 text/event-stream whose one event never ends (``data:`` lines, no blank line)
endless-handshake as ``endless-sse``, but already the answer to ``initialize``
trickle           200 application/json, one byte every 0.1 s, forever
array             200 application/json: ``"result"`` is an array
deep              200 application/json: a result nested 100,000 deep
surrogate         200 application/json: a text with a lone surrogate escape (``\\ud800``)
array-sse         as ``array``, sent as one server-sent event (likewise ``deep-sse`` and ``surrogate-sse``)
legacy            as a Python SDK 1.x server: any request but ``initialize`` without ``Mcp-Session-Id`` is
                  HTTP 400 ``{"error": {"code": -32600, "message": "Bad Request: Missing session ID"}}``
================  ======================================================================================

``build_sse_app(fault)`` is the same server over the legacy SSE transport (``GET /sse``, ``POST /messages``), for the
faults ``none``, ``array``, ``deep``, ``surrogate`` and ``big`` (a 2 MiB text): every answer comes on the one event
stream.

``Forgetful(app)`` puts a stateful SDK server behind a middleware that forgets a session (as a restarted server
would) when its second ``tools/call`` arrives: from then on requests with that ``Mcp-Session-Id`` get 404 with the
SDK's ``Session not found`` body, or 400 with the TypeScript SDK's ``-32000 Bad Request: No valid session ID
provided``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FAULTS = (
    "none",
    "endless-json",
    "endless-sse",
    "endless-handshake",
    "trickle",
    "array",
    "deep",
    "surrogate",
    "array-sse",
    "deep-sse",
    "surrogate-sse",
    "legacy",
)
DEPTH = 100_000
TOOL = {
    "name": "work",
    "description": "Do some work (the answer misbehaves).",
    "inputSchema": {"type": "object", "properties": {}},
    "annotations": {"readOnlyHint": True},
}


def _bad_answer(kind: str, request_id: Any) -> bytes:
    """A JSON-RPC response line the SDK cannot parse."""
    rid = json.dumps(request_id).encode()
    head = b'{"jsonrpc":"2.0","id":' + rid + b',"result":'
    if kind == "array":
        return head + b"[1,2,3]}"
    if kind == "deep":
        return head + b'{"deep":' + b"[" * DEPTH + b"]" * DEPTH + b"}}"
    return head + b'{"content":[{"type":"text","text":"\\ud800"}]}}'  # surrogate


async def _endless_json(request_id: Any) -> AsyncIterator[bytes]:
    yield b'{"jsonrpc":"2.0","id":' + json.dumps(request_id).encode() + b',"result":{"content":[{"type":"text","text":"'
    chunk = b"x" * 65536
    while True:
        await anyio.sleep(0)  # let the server's loop notice a client that went away
        yield chunk


async def _endless_sse(request_id: Any) -> AsyncIterator[bytes]:
    yield b'event: message\ndata: {"jsonrpc":"2.0","id":' + json.dumps(request_id).encode() + b',"result":\n'
    line = b"data: " + b"x" * 65536 + b"\n"
    while True:
        await anyio.sleep(0)
        yield line


async def _trickle(request_id: Any) -> AsyncIterator[bytes]:
    yield b'{"jsonrpc":"2.0","id":' + json.dumps(request_id).encode() + b',"result":{"content":[{"type":"text","text":"'
    while True:
        await anyio.sleep(0.1)
        yield b"x"


def _sse(body: bytes) -> bytes:
    return b"event: message\ndata: " + body + b"\n\n"


def build_app(fault: str = "none") -> Starlette:
    """The app for ``fault`` (see the module docstring); ``POST /mcp`` only."""
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}")
    sessions: set[str] = set()

    def result(request_id: Any, value: dict[str, Any]) -> JSONResponse:
        return JSONResponse({"jsonrpc": "2.0", "id": request_id, "result": value})

    def error(request_id: Any, code: int, message: str, status: int = 200) -> JSONResponse:
        body = {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}
        return JSONResponse(body, status_code=status)

    def call(request_id: Any) -> Response:
        if fault == "endless-json":
            return StreamingResponse(_endless_json(request_id), media_type="application/json")
        if fault == "endless-sse":
            return StreamingResponse(_endless_sse(request_id), media_type="text/event-stream")
        if fault == "trickle":
            return StreamingResponse(_trickle(request_id), media_type="application/json")
        kind, _, sse = fault.partition("-")
        if kind in ("array", "deep", "surrogate"):
            body = _bad_answer(kind, request_id)
            if sse:
                return Response(_sse(body), media_type="text/event-stream")
            return Response(body, media_type="application/json")
        return result(request_id, {"content": [{"type": "text", "text": "worked"}], "isError": False})

    async def endpoint(request: Request) -> Response:
        if request.method == "GET":
            return Response(status_code=405)
        if request.method == "DELETE":
            sessions.discard(request.headers.get("mcp-session-id", ""))
            return Response(status_code=200)
        message = json.loads(await request.body())
        method, request_id = message.get("method"), message.get("id")
        if "id" not in message:
            return Response(status_code=202)
        if method == "initialize" and fault == "endless-handshake":
            return StreamingResponse(_endless_sse(request_id), media_type="text/event-stream")
        if method == "initialize":
            session = uuid.uuid4().hex
            sessions.add(session)
            response = result(
                request_id,
                {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {"tools": {"listChanged": False}},
                    "serverInfo": {"name": f"rogue-{fault}", "version": "1.0.0"},
                },
            )
            response.headers["mcp-session-id"] = session
            return response
        if fault == "legacy" and request.headers.get("mcp-session-id") not in sessions:
            return error("server-error", -32600, "Bad Request: Missing session ID", status=400)
        if method == "tools/list":
            return result(request_id, {"tools": [TOOL]})
        if method == "tools/call":
            return call(request_id)
        return error(request_id, -32601, "Method not found")

    return Starlette(routes=[Route("/mcp", endpoint, methods=["GET", "POST", "DELETE"])])


def _answer(fault: str, message: dict[str, Any]) -> bytes | None:
    """The handshake-era answer to one message, as a JSON line (None for a notification)."""
    method, request_id = message.get("method"), message.get("id")
    if "id" not in message:
        return None
    if method == "initialize":
        info = {"name": f"rogue-{fault}", "version": "1.0.0"}
        value: dict[str, Any] = {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}}, "serverInfo": info}
    elif method == "tools/list":
        value = {"tools": [TOOL]}
    elif method == "tools/call" and fault in ("array", "deep", "surrogate"):
        return _bad_answer(fault, request_id)
    elif method == "tools/call":
        text = "x" * 2 * 1024 * 1024 if fault == "big" else "worked"
        value = {"content": [{"type": "text", "text": text}], "isError": False}
    else:
        error = {"code": -32601, "message": "Method not found"}
        return json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}).encode()
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "result": value}).encode()


def build_sse_app(fault: str = "none") -> Starlette:
    """The handshake-era server over the legacy SSE transport: answers go out as events on ``GET /sse``."""
    streams: dict[str, Any] = {}

    async def events(request: Request) -> Response:
        session = uuid.uuid4().hex
        send, receive = anyio.create_memory_object_stream[bytes](100)
        streams[session] = send

        async def stream() -> AsyncIterator[bytes]:
            yield f"event: endpoint\ndata: /messages?session_id={session}\n\n".encode()
            async with receive:
                async for line in receive:
                    yield _sse(line)

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def messages(request: Request) -> Response:
        send = streams.get(request.query_params.get("session_id", ""))
        if send is None:
            return Response(status_code=404)
        answer = _answer(fault, json.loads(await request.body()))
        if answer is not None:
            await send.send(answer)
        return Response(status_code=202)

    return Starlette(routes=[Route("/sse", events), Route("/messages", messages, methods=["POST"])])


class Forgetful:
    """Pure ASGI middleware: a session that already served ``served`` requests for ``method`` is forgotten when the
    next one arrives (as if the server restarted just before it), for at most ``times`` sessions."""

    def __init__(
        self, app: ASGIApp, *, status: int = 404, method: str = "tools/call", served: int = 1, times: int | None = None
    ) -> None:
        self.app = app
        self.status = status
        self.method = method
        self.served = served
        self.times = times
        self.counts: dict[str, int] = {}
        self.forgotten: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = dict(scope["headers"]).get(b"mcp-session-id", b"").decode("latin-1")
        body, replay = await _buffered(receive)
        if session and f'"method":"{self.method}"'.encode() in body.replace(b" ", b""):
            count = self.counts[session] = self.counts.get(session, 0) + 1
            if count > self.served and (self.times is None or len(self.forgotten) < self.times):
                self.forgotten.add(session)
        if session in self.forgotten:
            await self._unknown_session(scope, receive, send)
            return
        await self.app(scope, replay, send)

    async def _unknown_session(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.status == 400:  # the TypeScript SDK's answer
            error = {"code": -32000, "message": "Bad Request: No valid session ID provided"}
        else:
            error = {"code": -32600, "message": "Session not found"}
        body = {"jsonrpc": "2.0", "id": None, "error": error}
        await JSONResponse(body, status_code=self.status)(scope, receive, send)


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a ``receive`` that hands it to the app again."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay
