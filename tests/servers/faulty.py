"""A misbehaving MCP server for mcpctl's tests.

Usage::

    python tests/servers/faulty.py --fault NAME [--arg X]            # stdio
    python tests/servers/faulty.py --fault NAME [--arg X] --http PORT  # Streamable HTTP on 127.0.0.1:PORT/mcp

Faults (every server also has a working ``echo(message)`` tool unless the fault prevents it):

=================  =====================================================================================
none               healthy (MCPServer)
crash-at-start     "fatal: config missing" on stderr, exit status 3, before reading anything
hang-at-start      reads stdin until EOF, never writes anything
slow-start         sleeps ``--arg`` seconds (default 2) before serving, then healthy
banner             prints "Welcome to faulty server v1" on stdout before serving
crash-on-call      tool ``crash`` writes "boom: crashed in tool" to stderr, then ``os._exit(7)``
garbage-on-call    tool ``garbage`` writes a non-JSON line to the real stdout, then returns "ok"
bad-utf8           tool ``badbytes`` answers with a response line containing the raw byte 0xff (stdlib)
never-answer       tool ``hang`` never returns (first appending "hang" to $FAULTY_CALLS, if set)
big                tool ``big(mb=10)`` returns a text of exactly mb*1024*1024 characters
raise              tool ``boom`` raises a plain exception (isError result)
jsonrpc-error      tool ``rpcfail`` answers JSON-RPC error -32099 "custom failure" data {"why": "because"}
answer-error       tool ``lookup`` (readOnlyHint) answers JSON-RPC error ``--arg`` (default -32000) "lookup failed
                   on the server (code N)"; each call appends "lookup" to $FAULTY_CALLS, if set
bad-structured     tool ``liar`` declares an outputSchema (n: integer) but returns {"n": "not-int"}
grandchild         spawns ``sleep 300`` in its process group; pids (own, then grandchild) -> $FAULTY_PIDFILE;
                   ``--arg setpgid``: the ``sleep`` leaves the group (setpgid(0, 0)) but stays in the session
ignore-sigterm     ignores SIGTERM and keeps running after stdin EOF; pid -> $FAULTY_PIDFILE
legacy             stdlib, handshake era only (initialize -> 2025-06-18, server/discover -> -32601);
                   ``--arg ignore`` silently ignores unknown methods instead; ``--arg noisy`` logs a 40-line
                   dump to stderr for each unknown method (as fastmcp 2.x does) and adds tool ``crash``
paged              tools/list pages t1..t5 two at a time; ``--arg repeat`` repeats the same nextCursor forever
args               stdlib: tool ``show`` (``title: null``; unions, arrays, extra properties allowed) and tool
                   ``strict`` (additionalProperties false) answer their arguments as JSON text; answers carry only
                   the keys the spec requires (no isError)
escapes            stdlib: ``HOSTILE`` terminal controls in serverInfo, instructions, the stderr banner, tool
                   ``evil…`` (name, title, description, argument name); ``shout`` logs {"msg": …, "extra": null}
                   and answers text with them; ``rpcfail`` answers JSON-RPC error -32099 with them
many-tools         stdlib: ``--arg N`` (default 2000) tools ``tool00000``… with 70-character descriptions
echo-args          stdlib: tool ``login(user, password, db: object)`` answers its arguments as JSON text
long-lines         stdlib: tool ``big(mb)`` answers a text of exactly mb MiB on one line; tool ``noise(mb)`` writes
                   mb MiB to stderr without a newline, then answers "ok"
unparsable         stdlib: tools ``array`` (result is an array), ``deep`` (result nested 100,000 deep) and
                   ``surrogate`` (text with a lone surrogate escape) answer lines the SDK cannot parse
cancel-spy         tool ``slow`` appends "slow <request id>" to $FAULTY_CALLS and never returns ("ended <id>" when
                   its handler is cancelled); each notifications/cancelled appends "cancelled <requestId>"
media              stdlib: tool ``media(fail=false)`` (readOnlyHint) answers ``MEDIA_CONTENT``: text, a PNG, a BMP,
                   audio, text and blob resources, a resource link, a PNG that is not base64 (isError when ``fail``)
=================  =====================================================================================

Stdlib-only faults (crash-at-start, hang-at-start, bad-utf8, legacy, long-lines, unparsable) never import the SDK, so
they start fast.
Servers exit promptly on stdin EOF unless the fault says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

FAULTS = (
    "none",
    "crash-at-start",
    "hang-at-start",
    "slow-start",
    "banner",
    "crash-on-call",
    "garbage-on-call",
    "bad-utf8",
    "never-answer",
    "big",
    "raise",
    "jsonrpc-error",
    "answer-error",
    "bad-structured",
    "grandchild",
    "ignore-sigterm",
    "legacy",
    "paged",
    "args",
    "escapes",
    "many-tools",
    "echo-args",
    "long-lines",
    "unparsable",
    "cancel-spy",
    "media",
)
STDIO_ONLY = (
    "hang-at-start",
    "bad-utf8",
    "legacy",
    "args",
    "escapes",
    "many-tools",
    "echo-args",
    "long-lines",
    "unparsable",
    "media",
)

BANNER = "Welcome to faulty server v1"
NOISE = "probe-noise"
GARBAGE = "this is not JSON-RPC, just garbage on stdout"
BIG_PATTERN = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n"  # 64 characters
HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18")
LIAR_SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
MESSAGE_SCHEMA = {
    "type": "object",
    "properties": {"message": {"type": "string", "description": "Text to echo back"}},
    "required": ["message"],
}
PAGE_SIZE = 2

# The original stdout, duplicated before the SDK's stdio transport diverts fd 1 to stderr.
REAL_STDOUT_FD = os.dup(1)


def write_pids(*pids: int) -> None:
    """Append pids (one per line) to $FAULTY_PIDFILE, if set, in a single flushed write."""
    path = os.environ.get("FAULTY_PIDFILE")
    if not path:
        return
    with open(path, "a", encoding="ascii") as f:
        f.write("".join(f"{pid}\n" for pid in pids))
        f.flush()
        os.fsync(f.fileno())


def note_call(tool: str) -> None:
    """Append the tool's name to $FAULTY_CALLS, if set: a test can wait until a call is in flight."""
    path = os.environ.get("FAULTY_CALLS")
    if path:
        with open(path, "a", encoding="ascii") as f:
            f.write(f"{tool}\n")


def big_text(mb: int) -> str:
    """Deterministic text of exactly ``mb`` MiB characters."""
    n = mb * 1024 * 1024
    return (BIG_PATTERN * (n // len(BIG_PATTERN) + 1))[:n]


# --------------------------------------------------------------------------------------------------------------------
# Stdlib-only JSON-RPC server (handshake era)
# --------------------------------------------------------------------------------------------------------------------


class RawServer:
    """A minimal newline-delimited JSON-RPC MCP server that speaks only the ``initialize`` handshake era."""

    def __init__(self, name: str, *, ignore_unknown: bool = False, noisy: bool = False) -> None:
        self.name = name
        self.ignore_unknown = ignore_unknown
        self.noisy = noisy
        self.version = HANDSHAKE_VERSIONS[-1]
        self.tools: dict[str, tuple[dict[str, Any], Callable[[dict[str, Any]], dict[str, Any] | bytes]]] = {}
        self.add_tool(
            {"name": "echo", "description": "Return the message unchanged.", "inputSchema": MESSAGE_SCHEMA},
            lambda a: self.text(str(a["message"])),
        )

    def add_tool(self, spec: dict[str, Any], fn: Callable[[dict[str, Any]], dict[str, Any] | bytes]) -> None:
        """Register a tool; ``fn`` returns a result dict, or raw bytes to send as the whole response line."""
        self.tools[spec["name"]] = (spec, fn)

    @staticmethod
    def text(text: str, *, is_error: bool = False) -> dict[str, Any]:
        return {"content": [{"type": "text", "text": text}], "isError": is_error}

    def send(self, payload: dict[str, Any] | bytes) -> None:
        line = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
        sys.stdout.buffer.write(line + b"\n")
        sys.stdout.buffer.flush()

    def handle(self, msg: dict[str, Any]) -> dict[str, Any] | bytes | None:
        """Answer one message; None means no response (notification or ignored)."""
        method, msg_id, params = msg.get("method"), msg.get("id"), msg.get("params") or {}
        if "id" not in msg:  # notification (or a response to us): nothing to say
            return None

        def ok(result: dict[str, Any]) -> dict[str, Any]:
            return {"jsonrpc": "2.0", "id": msg_id, "result": result}

        def err(code: int, message: str, data: Any = None) -> dict[str, Any]:
            error: dict[str, Any] = {"code": code, "message": message}
            if data is not None:
                error["data"] = data
            return {"jsonrpc": "2.0", "id": msg_id, "error": error}

        if method == "initialize":
            asked = params.get("protocolVersion")
            self.version = asked if asked in HANDSHAKE_VERSIONS else HANDSHAKE_VERSIONS[-1]
            return ok(
                {
                    "protocolVersion": self.version,
                    "capabilities": {"tools": {"listChanged": False}},
                    "serverInfo": {"name": self.name, "version": "1.0.0"},
                    "instructions": f"{self.name}: a handshake-era test server.",
                }
            )
        if method == "ping":
            return ok({})
        if method == "tools/list":
            return ok({"tools": [spec for spec, _ in self.tools.values()]})
        if method == "tools/call":
            name, arguments = params.get("name"), params.get("arguments") or {}
            if name not in self.tools:
                return ok(self.text(f"Unknown tool: {name}", is_error=True))
            try:
                result = self.tools[name][1](arguments)
            except (KeyError, TypeError, ValueError) as exc:
                return ok(self.text(f"Error executing tool {name}: {exc!r}", is_error=True))
            if isinstance(result, bytes):
                return result.replace(b'"@ID@"', json.dumps(msg_id).encode())
            return ok(result)
        if self.noisy:
            log_noise(msg)
        if self.ignore_unknown:
            return None
        return err(-32601, "Method not found", method)

    def serve(self) -> None:
        """Serve until stdin EOF."""
        for raw in sys.stdin.buffer:
            if not raw.strip():
                continue
            try:
                msg = json.loads(raw)
                if not isinstance(msg, dict):
                    raise ValueError("not an object")
            except ValueError:
                self.send({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}})
                continue
            reply = self.handle(msg)
            if reply is not None:
                self.send(reply)


def run_legacy(arg: str | None) -> None:
    srv = RawServer("faulty-legacy", ignore_unknown=arg == "ignore", noisy=arg == "noisy")
    if arg == "noisy":
        srv.add_tool(
            {"name": "crash", "description": "Crash (exit status 7).", "inputSchema": {"type": "object"}},
            lambda _: crash_now(),
        )

    def add(a: dict[str, Any]) -> dict[str, Any]:
        total = int(a["a"]) + int(a["b"])
        result = srv.text(str(total))
        if srv.version >= "2025-06-18":
            result["structuredContent"] = {"result": total}
        return result

    srv.add_tool(
        {
            "name": "add",
            "description": "Add two integers.",
            "inputSchema": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
            },
        },
        add,
    )
    srv.serve()


def crash_now() -> dict[str, Any]:
    sys.stderr.write("boom: crashed in tool\n")
    sys.stderr.flush()
    os._exit(7)


def log_noise(msg: dict[str, Any]) -> None:
    """What fastmcp 2.x / mcp 1.x servers log for an unknown method: a pydantic dump, one line per union member."""
    lines = [f"{NOISE}: {len(msg)} validation errors for ClientRequest"]
    lines += [f"{NOISE} {i}: Input tag {msg.get('method')!r} does not match any expected tag" for i in range(40)]
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()


def run_long_lines() -> None:
    srv = RawServer("faulty-long-lines")
    mb_schema = {"type": "object", "properties": {"mb": {"type": "integer"}}, "required": ["mb"]}

    def noise(a: dict[str, Any]) -> dict[str, Any]:
        chunk = b"x" * (1024 * 1024)
        for _ in range(int(a["mb"])):
            sys.stderr.buffer.write(chunk)
        sys.stderr.buffer.flush()
        return srv.text("ok")

    srv.add_tool(
        {"name": "big", "description": "A text of mb MiB.", "inputSchema": mb_schema},
        lambda a: srv.text(big_text(int(a["mb"]))),
    )
    srv.add_tool({"name": "noise", "description": "mb MiB of stderr, no newline.", "inputSchema": mb_schema}, noise)
    srv.serve()


def run_unparsable() -> None:
    srv = RawServer("faulty-unparsable")
    depth = 100_000
    answers = {
        "array": b'{"jsonrpc":"2.0","id":"@ID@","result":[1,2,3]}',
        "deep": b'{"jsonrpc":"2.0","id":"@ID@","result":{"deep":' + b"[" * depth + b"]" * depth + b"}}",
        "surrogate": b'{"jsonrpc":"2.0","id":"@ID@","result":{"content":[{"type":"text","text":"\\ud800"}]}}',
    }
    for name, line in answers.items():
        spec = {
            "name": name,
            "description": f"An answer the SDK cannot parse ({name}).",
            "inputSchema": {"type": "object"},
        }
        srv.add_tool(spec, lambda _, line=line: line)
    srv.serve()


ARGS_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": ["integer", "string"]},
        "ratio": {"anyOf": [{"type": "number"}, {"type": "string"}]},
        "max_length": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "integer"}},
        "names": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]},
    },
}


def run_args() -> None:
    srv = RawServer("faulty-args")

    def show(a: dict[str, Any]) -> dict[str, Any]:
        return {"content": [{"type": "text", "text": json.dumps(a, sort_keys=True)}]}

    strict = {"type": "object", "properties": {"max_length": {"type": "integer"}}, "additionalProperties": False}
    srv.add_tool(
        {"name": "show", "title": None, "description": "Answer the arguments.", "inputSchema": ARGS_SCHEMA}, show
    )
    srv.add_tool({"name": "strict", "description": "Answer the arguments.", "inputSchema": strict}, show)
    srv.serve()


def run_bad_utf8() -> None:
    srv = RawServer("faulty-bad-utf8")

    def badbytes(_: dict[str, Any]) -> bytes:
        # A syntactically valid JSON-RPC response whose text carries the raw (invalid UTF-8) byte 0xff.
        template = {"jsonrpc": "2.0", "id": "@ID@", "result": srv.text("bad byte: @BAD@ here")}
        return json.dumps(template, separators=(",", ":")).encode().replace(b"@BAD@", b"\xff")

    srv.add_tool(
        {
            "name": "badbytes",
            "description": "Answer with a response containing an invalid UTF-8 byte.",
            "inputSchema": {"type": "object", "properties": {}},
        },
        badbytes,
    )
    srv.serve()


#: Terminal controls a hostile server hides in what it sends: OSC 52 (write the clipboard), clear the screen,
#: retitle the window, BEL, backspaces over text, and a one-byte C1 CSI (``\x9b``).
HOSTILE = "\x1b]52;c;aGVsbG8=\x07\x1b[2J\x1b]0;pwned\x07\x08\x08\x9b31m"


class HostileServer(RawServer):
    """A RawServer whose serverInfo and instructions carry ``HOSTILE``, with logging (``escapes``)."""

    def handle(self, msg: dict[str, Any]) -> dict[str, Any] | bytes | None:
        if msg.get("method") == "logging/setLevel" and "id" in msg:
            return {"jsonrpc": "2.0", "id": msg["id"], "result": {}}
        reply = super().handle(msg)
        if msg.get("method") == "initialize" and isinstance(reply, dict):
            info = {"name": f"evil{HOSTILE}", "version": f"6{HOSTILE}", "title": f"title{HOSTILE}"}
            reply["result"] |= {"serverInfo": info, "instructions": f"first{HOSTILE}\nsecond{HOSTILE}"}
            reply["result"]["capabilities"]["logging"] = {}
        return reply


def run_escapes() -> None:
    srv = HostileServer("faulty-escapes")
    sys.stderr.write(f"starting{HOSTILE}\n")
    sys.stderr.flush()
    arg = {"type": "string", "description": f"argdesc{HOSTILE}"}
    evil = {"type": "object", "properties": {f"arg{HOSTILE}": arg}, "required": [f"arg{HOSTILE}"]}
    srv.add_tool(
        {"name": f"evil{HOSTILE}", "title": f"title{HOSTILE}", "description": f"desc{HOSTILE}", "inputSchema": evil},
        lambda _: srv.text("ok"),
    )

    def shout(_: dict[str, Any]) -> dict[str, Any]:
        data = {"msg": f"working{HOSTILE}", "extra": None}
        srv.send({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": data}})
        return srv.text(f"answer{HOSTILE}")

    def rpcfail(_: dict[str, Any]) -> bytes:
        error = {"code": -32099, "message": f"failed{HOSTILE}"}
        return json.dumps({"jsonrpc": "2.0", "id": "@ID@", "error": error}).encode()

    srv.add_tool({"name": "shout", "description": "Log, then answer.", "inputSchema": {"type": "object"}}, shout)
    srv.add_tool({"name": "rpcfail", "description": "Fail.", "inputSchema": {"type": "object"}}, rpcfail)
    srv.serve()


def run_echo_args() -> None:
    srv = RawServer("faulty-echo-args")
    props = {"user": {"type": "string"}, "password": {"type": "string"}, "db": {"type": "object"}}
    schema = {"type": "object", "properties": props, "required": ["password"]}
    login = {"name": "login", "description": "Answer the arguments as JSON.", "inputSchema": schema}
    srv.add_tool(login, lambda a: srv.text(json.dumps(a, sort_keys=True)))
    srv.serve()


PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
MEDIA_CONTENT = [
    {"type": "text", "text": "two images follow"},
    {"type": "image", "mimeType": "image/png", "data": PNG_1X1},
    {"type": "image", "mimeType": "image/bmp", "data": "Qk0AAAAAAAA="},  # 8 bytes
    {"type": "audio", "mimeType": "audio/wav", "data": "UklGRgAAAAA="},  # 8 bytes
    {"type": "resource", "resource": {"uri": "file:///notes.txt", "mimeType": "text/plain", "text": "embedded notes"}},
    {"type": "resource", "resource": {"uri": "file:///data.bin", "mimeType": "application/x-data", "blob": "AAECAw=="}},
    {"type": "resource_link", "uri": "file:///big.csv", "name": "big.csv"},
    {"type": "image", "mimeType": "image/png", "data": "not base64!"},
]


def run_media() -> None:
    srv = RawServer("faulty-media")
    schema = {"type": "object", "properties": {"fail": {"type": "boolean"}}}
    spec = {"name": "media", "description": "Answer every kind of content.", "inputSchema": schema}
    spec["annotations"] = {"readOnlyHint": True}
    srv.add_tool(spec, lambda a: {"content": MEDIA_CONTENT, "isError": bool(a.get("fail"))})
    srv.serve()


def run_many_tools(arg: str | None) -> None:
    srv = RawServer("faulty-many-tools")
    for i in range(int(arg or 2000)):
        spec = {"name": f"tool{i:05d}", "description": f"Tool {i:05d}: " + "x" * 58, "inputSchema": MESSAGE_SCHEMA}
        srv.add_tool(spec, lambda a: srv.text(str(a["message"])))
    srv.serve()


# --------------------------------------------------------------------------------------------------------------------
# SDK servers
# --------------------------------------------------------------------------------------------------------------------


def build_mcpserver(fault: str, arg: str | None = None) -> Any:
    """An MCPServer with echo plus the tool for ``fault``."""
    import anyio
    from mcp.server.mcpserver import MCPServer
    from mcp.shared.exceptions import MCPError
    from mcp.types import ToolAnnotations

    mcp = MCPServer("faulty", version="1.0.0", instructions=f"Test server with fault {fault!r}.", log_level="WARNING")

    @mcp.tool(description="Return the message unchanged.")
    def echo(message: str) -> str:
        return message

    if fault == "crash-on-call":

        @mcp.tool(description="Crash the server process (exit status 7).")
        def crash() -> str:
            sys.stderr.write("boom: crashed in tool\n")
            sys.stderr.flush()
            os._exit(7)

    elif fault == "garbage-on-call":

        @mcp.tool(description="Write a non-JSON line to the real stdout, then return 'ok'.")
        def garbage() -> str:
            os.write(REAL_STDOUT_FD, (GARBAGE + "\n").encode())
            return "ok"

    elif fault == "never-answer":

        @mcp.tool(description="Never return.")
        async def hang() -> str:
            note_call("hang")
            await anyio.sleep_forever()
            return "unreachable"

    elif fault == "big":

        @mcp.tool(description="Return a text of exactly mb MiB characters.", structured_output=False)
        def big(mb: int = 10) -> str:
            return big_text(mb)

    elif fault == "raise":

        @mcp.tool(description="Raise a plain exception.")
        def boom() -> str:
            raise RuntimeError("kaboom: plain exception in tool")

    elif fault == "jsonrpc-error":

        @mcp.tool(description="Fail with JSON-RPC error -32099.")
        def rpcfail() -> str:
            raise MCPError(-32099, "custom failure", data={"why": "because"})

    elif fault == "cancel-spy":
        add_cancel_spy(mcp)
    elif fault == "answer-error":
        code = int(arg or "-32000")

        @mcp.tool(description="Look something up; fails.", annotations=ToolAnnotations(read_only_hint=True))
        def lookup() -> str:
            note_call("lookup")
            raise MCPError(code, f"lookup failed on the server (code {code})")

    return mcp


def add_cancel_spy(mcp: Any) -> None:
    """Tool ``slow`` (never returns) and a ``notifications/cancelled`` handler, both noted in $FAULTY_CALLS."""
    import anyio
    from mcp.server.mcpserver import Context
    from mcp.types import CancelledNotificationParams

    async def slow(ctx: Context) -> str:
        note_call(f"slow {ctx.request_id}")
        try:
            await anyio.sleep_forever()
        finally:  # cancelled: by notifications/cancelled, or (2026-07-28) by the client closing the request's stream
            note_call(f"ended {ctx.request_id}")
        return "unreachable"

    slow.__annotations__ = {"ctx": Context, "return": str}  # resolved here: Context is imported locally
    mcp.tool(description="Never return (until cancelled).")(slow)

    async def cancelled(ctx: Any, params: CancelledNotificationParams) -> None:
        note_call(f"cancelled {params.request_id}")

    mcp._lowlevel_server.add_notification_handler("notifications/cancelled", CancelledNotificationParams, cancelled)


def build_lowlevel(fault: str, arg: str | None) -> Any:
    """A low-level Server for faults MCPServer cannot produce (lying outputSchema, pagination)."""
    from mcp.server.lowlevel import Server
    from mcp.types import CallToolResult, ListToolsResult, TextContent, Tool

    echo = Tool(name="echo", description="Return the message unchanged.", input_schema=MESSAGE_SCHEMA)
    if fault == "bad-structured":
        liar = Tool(
            name="liar",
            description="Declares n: integer, returns a string.",
            input_schema={"type": "object", "properties": {}},
            output_schema=LIAR_SCHEMA,
        )
        pages: list[list[Tool]] = [[echo, liar]]
    else:  # paged: five echo-like tools, two per page ("echo" itself stays callable but is not listed)
        tools = [
            Tool(name=f"t{i}", description=f"Echo-like tool number {i}.", input_schema=MESSAGE_SCHEMA)
            for i in range(1, 6)
        ]
        pages = [tools[i : i + PAGE_SIZE] for i in range(0, len(tools), PAGE_SIZE)]

    async def list_tools(ctx: Any, params: Any) -> ListToolsResult:
        cursor = params.cursor if params is not None else None
        if fault == "paged" and arg == "repeat":
            # Broken pagination: every page (after the first) is page 2, and the cursor never changes.
            return ListToolsResult(tools=pages[0 if cursor is None else 1], next_cursor="again")
        index = 0 if cursor is None else int(cursor.removeprefix("page-"))
        next_cursor = f"page-{index + 1}" if index + 1 < len(pages) else None
        return ListToolsResult(tools=pages[index], next_cursor=next_cursor)

    async def call_tool(ctx: Any, params: Any) -> CallToolResult:
        args = params.arguments or {}
        if params.name == "liar" and fault == "bad-structured":
            return CallToolResult(
                content=[TextContent(type="text", text='{"n": "not-int"}')], structured_content={"n": "not-int"}
            )
        if params.name == "echo" or (fault == "paged" and params.name in {f"t{i}" for i in range(1, 6)}):
            return CallToolResult(content=[TextContent(type="text", text=str(args.get("message", "")))])
        return CallToolResult(content=[TextContent(type="text", text=f"Unknown tool: {params.name}")], is_error=True)

    return Server(
        "faulty",
        version="1.0.0",
        instructions=f"Test server with fault {fault!r}.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def serve_sdk(server: Any, http_port: int | None) -> None:
    """Serve an MCPServer or low-level Server on stdio or Streamable HTTP (127.0.0.1)."""
    import anyio
    from mcp.server.lowlevel import Server

    if http_port is not None:
        import uvicorn

        app = server.streamable_http_app(host="127.0.0.1")
        print(f"faulty: serving on http://127.0.0.1:{http_port}/mcp", file=sys.stderr, flush=True)
        uvicorn.run(app, host="127.0.0.1", port=http_port, log_level="warning", access_log=False)
    elif isinstance(server, Server):

        async def run() -> None:
            from mcp.server.stdio import stdio_server

            async with stdio_server() as (read, write):
                await server.run(read, write, server.create_initialization_options())

        anyio.run(run)
    else:
        server.run()


# --------------------------------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="An MCP server with switchable faults (for tests).")
    parser.add_argument("--fault", choices=FAULTS, default="none")
    parser.add_argument(
        "--arg", default=None, help="fault parameter (slow-start: seconds; legacy: ignore; paged: repeat)"
    )
    parser.add_argument(
        "--http", type=int, metavar="PORT", default=None, help="serve Streamable HTTP on 127.0.0.1:PORT"
    )
    args = parser.parse_args(argv)
    fault: str = args.fault

    # Faults that act before (or instead of) the SDK.
    if fault == "crash-at-start":
        sys.stderr.write("fatal: config missing\n")
        sys.stderr.flush()
        return 3
    if args.http is not None and fault in STDIO_ONLY:
        parser.error(f"fault {fault!r} is stdio-only")
    if fault == "hang-at-start":
        for _ in sys.stdin.buffer:  # read (and ignore) everything, answer nothing
            pass
        return 0
    if fault == "legacy":
        run_legacy(args.arg)
        return 0
    if fault == "bad-utf8":
        run_bad_utf8()
        return 0
    if fault == "args":
        run_args()
        return 0
    if fault == "escapes":
        run_escapes()
        return 0
    if fault == "many-tools":
        run_many_tools(args.arg)
        return 0
    if fault == "echo-args":
        run_echo_args()
        return 0
    if fault == "long-lines":
        run_long_lines()
        return 0
    if fault == "unparsable":
        run_unparsable()
        return 0
    if fault == "media":
        run_media()
        return 0

    server = (
        build_lowlevel(fault, args.arg) if fault in ("bad-structured", "paged") else build_mcpserver(fault, args.arg)
    )

    if fault == "slow-start":
        time.sleep(float(args.arg) if args.arg else 2.0)
    elif fault == "banner":
        os.write(REAL_STDOUT_FD, (BANNER + "\n").encode())
    elif fault == "grandchild":
        child = subprocess.Popen(
            ["sleep", "300"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            process_group=0 if args.arg == "setpgid" else None,
        )
        write_pids(os.getpid(), child.pid)
    elif fault == "ignore-sigterm":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        write_pids(os.getpid())

    serve_sdk(server, args.http)

    if fault == "ignore-sigterm":
        while True:  # stdin is closed; linger until SIGKILL
            time.sleep(3600)
    # Exit without waiting for anything else (e.g. the orphaned grandchild, or stuck worker threads).
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
