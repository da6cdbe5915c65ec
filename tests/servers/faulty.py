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
never-answer       tool ``hang`` never returns
big                tool ``big(mb=10)`` returns a text of exactly mb*1024*1024 characters
raise              tool ``boom`` raises a plain exception (isError result)
jsonrpc-error      tool ``rpcfail`` answers JSON-RPC error -32099 "custom failure" data {"why": "because"}
bad-structured     tool ``liar`` declares an outputSchema (n: integer) but returns {"n": "not-int"}
grandchild         spawns ``sleep 300`` in its process group; pids (own, then grandchild) -> $FAULTY_PIDFILE
ignore-sigterm     ignores SIGTERM and keeps running after stdin EOF; pid -> $FAULTY_PIDFILE
legacy             stdlib, handshake era only (initialize -> 2025-06-18, server/discover -> -32601);
                   ``--arg ignore`` silently ignores unknown methods instead
paged              tools/list pages t1..t5 two at a time; ``--arg repeat`` repeats the same nextCursor forever
=================  =====================================================================================

Stdlib-only faults (crash-at-start, hang-at-start, bad-utf8, legacy) never import the SDK, so they start fast.
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
    "bad-structured",
    "grandchild",
    "ignore-sigterm",
    "legacy",
    "paged",
)
STDIO_ONLY = ("hang-at-start", "bad-utf8", "legacy")

BANNER = "Welcome to faulty server v1"
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


def big_text(mb: int) -> str:
    """Deterministic text of exactly ``mb`` MiB characters."""
    n = mb * 1024 * 1024
    return (BIG_PATTERN * (n // len(BIG_PATTERN) + 1))[:n]


# --------------------------------------------------------------------------------------------------------------------
# Stdlib-only JSON-RPC server (handshake era)
# --------------------------------------------------------------------------------------------------------------------


class RawServer:
    """A minimal newline-delimited JSON-RPC MCP server that speaks only the ``initialize`` handshake era."""

    def __init__(self, name: str, *, ignore_unknown: bool = False) -> None:
        self.name = name
        self.ignore_unknown = ignore_unknown
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
    srv = RawServer("faulty-legacy", ignore_unknown=arg == "ignore")

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


# --------------------------------------------------------------------------------------------------------------------
# SDK servers
# --------------------------------------------------------------------------------------------------------------------


def build_mcpserver(fault: str) -> Any:
    """An MCPServer with echo plus the tool for ``fault``."""
    import anyio
    from mcp.server.mcpserver import MCPServer
    from mcp.shared.exceptions import MCPError

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

    return mcp


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

    server = build_lowlevel(fault, args.arg) if fault in ("bad-structured", "paged") else build_mcpserver(fault)

    if fault == "slow-start":
        time.sleep(float(args.arg) if args.arg else 2.0)
    elif fault == "banner":
        os.write(REAL_STDOUT_FD, (BANNER + "\n").encode())
    elif fault == "grandchild":
        child = subprocess.Popen(
            ["sleep", "300"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
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
