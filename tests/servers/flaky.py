"""A flaky MCP server for mcpctl's resilience tests.

Usage::

    python tests/servers/flaky.py [--fail K]                              # stdio
    python tests/servers/flaky.py [--fail K] --http PORT [--drop]         # Streamable HTTP, 127.0.0.1:PORT/mcp
    python tests/servers/flaky.py --http PORT --status-first 2:503        # the first 2 HTTP requests get 503
    python tests/servers/flaky.py --http PORT --status-first 1:429        # 429 comes with ``Retry-After: 1``

Tools:

* ``flaky_read(key)`` (readOnlyHint, idempotentHint): fails at the transport level while fewer than K failures
  have happened, then answers ``read KEY``;
* ``flaky_write(key)`` (no hint: not safe to repeat): the same behaviour, answers ``wrote KEY``;
* ``echo(message)`` (no hint): answers the message.

A transport failure is, on stdio (and on HTTP without ``--drop``), the process exiting abruptly
(``os._exit(1)``); on HTTP with ``--drop``, the connection dropped mid-stream (response headers sent,
body cut off). The failure count persists across restarts in the file ``$FLAKY_STATE``: one line per tool
call, ``TOOL ok`` or ``TOOL fail`` (without ``FLAKY_STATE`` it is kept in memory, per process).
On start the server appends its pid to ``$FLAKY_PIDFILE`` (if set).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from typing import Any

FLAKY_TOOLS = ("flaky_read", "flaky_write")


class State:
    """The call log: ``TOOL ok|fail`` lines in ``$FLAKY_STATE`` (appended atomically), or in memory."""

    def __init__(self, fails: int, path: str | None = None) -> None:
        self.fails = fails
        self.path = path if path is not None else os.environ.get("FLAKY_STATE")
        self.memory: list[str] = []
        self.lock = threading.Lock()

    def lines(self) -> list[str]:
        if not self.path:
            return list(self.memory)
        try:
            with open(self.path, encoding="ascii") as f:
                return f.read().split("\n")
        except FileNotFoundError:
            return []

    def failures(self) -> int:
        return sum(line.endswith(" fail") for line in self.lines())

    def record(self, tool: str, outcome: str) -> None:
        line = f"{tool} {outcome}"
        if not self.path:
            self.memory.append(line)
            return
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode("ascii"))
        finally:
            os.close(fd)

    def should_fail(self, tool: str) -> bool:
        """Record this call; True when it must fail (fewer than K failures so far)."""
        with self.lock:
            failing = tool in FLAKY_TOOLS and self.fails > 0 and self.failures() < self.fails
            self.record(tool, "fail" if failing else "ok")
            return failing


def die() -> None:
    sys.stderr.write("flaky: dropping out on purpose\n")
    sys.stderr.flush()
    os._exit(1)


def build_server(state: State, *, fail_in_tool: bool = True) -> Any:
    """The MCPServer; ``fail_in_tool=False`` leaves the failing to the HTTP middleware (``--drop``)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.types import ToolAnnotations

    mcp = MCPServer("flaky", version="1.0.0", instructions="Fails the first K flaky calls.", log_level="WARNING")

    def check(tool: str) -> None:
        if fail_in_tool and state.should_fail(tool):
            die()

    @mcp.tool(
        description="Read a key (fails at the transport level for the first K calls).",
        annotations=ToolAnnotations(read_only_hint=True, idempotent_hint=True),
    )
    def flaky_read(key: str = "k") -> str:
        check("flaky_read")
        return f"read {key}"

    @mcp.tool(
        description="Write a key (not safe to repeat; fails like flaky_read).",
        annotations=ToolAnnotations(read_only_hint=False, idempotent_hint=False, destructive_hint=False),
    )
    def flaky_write(key: str = "k") -> str:
        check("flaky_write")
        return f"wrote {key}"

    @mcp.tool(description="Return the message unchanged.")
    def echo(message: str) -> str:
        check("echo")
        return message

    return mcp


class Dropped(Exception):
    """Raised by the middleware after the response started: the server closes the connection mid-stream."""


class Faults:
    """Pure ASGI middleware: the first N requests get ``status``; flaky tool calls may be dropped mid-stream.

    ``seen`` records ``(monotonic time, method, status or "drop" or "pass")`` for every HTTP request.
    """

    def __init__(self, app: Any, state: State, status_first: int = 0, status: int = 503, drop: bool = False) -> None:
        self.app, self.state, self.status_first, self.status, self.drop = app, state, status_first, status, drop
        self.seen: list[tuple[float, str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        now, method = time.monotonic(), scope["method"]
        if len([s for s in self.seen if s[2] not in ("pass", "drop")]) < self.status_first:
            self.seen.append((now, method, str(self.status)))
            headers = [(b"content-type", b"text/plain")]
            if self.status == 429:
                headers.append((b"retry-after", b"1"))
            await send({"type": "http.response.start", "status": self.status, "headers": headers})
            await send({"type": "http.response.body", "body": f"HTTP {self.status} from flaky\n".encode()})
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        tool = _tool_of(body) if self.drop and method == "POST" else ""
        if tool and self.state.should_fail(tool):
            self.seen.append((now, method, "drop"))
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]}
            )
            await send({"type": "http.response.body", "body": b'event: message\ndata: {"jsonrpc"', "more_body": True})
            raise Dropped("flaky: connection dropped mid-stream on purpose")
        self.seen.append((now, method, "pass"))
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _tool_of(body: bytes) -> str:
    """The tool a ``tools/call`` request names ("" for anything else)."""
    try:
        message = json.loads(body)
    except ValueError:
        return ""
    if isinstance(message, dict) and message.get("method") == "tools/call":
        return str((message.get("params") or {}).get("name", ""))
    return ""


def build_app(
    fails: int = 0, *, status_first: int = 0, status: int = 503, drop: bool = False, state: State | None = None
) -> Faults:
    """The Streamable HTTP app (path ``/mcp``) wrapped in the fault middleware (for in-process tests too)."""
    state = state or State(fails)
    server = build_server(state, fail_in_tool=not drop)
    return Faults(server.streamable_http_app(host="127.0.0.1"), state, status_first, status, drop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A flaky MCP server (for tests).")
    parser.add_argument(
        "--fail", type=int, default=0, metavar="K", help="fail the first K flaky_read/flaky_write calls"
    )
    parser.add_argument("--http", type=int, metavar="PORT", help="serve Streamable HTTP on 127.0.0.1:PORT/mcp")
    parser.add_argument("--status-first", metavar="N:CODE", help="HTTP: answer the first N requests with CODE")
    parser.add_argument("--drop", action="store_true", help="HTTP: fail by dropping the connection mid-stream")
    args = parser.parse_args(argv)
    pidfile = os.environ.get("FLAKY_PIDFILE")
    if pidfile:
        with open(pidfile, "a", encoding="ascii") as f:
            f.write(f"{os.getpid()}\n")
    state = State(args.fail)
    if args.http is None:
        if args.status_first or args.drop:
            parser.error("--status-first and --drop need --http")
        build_server(state).run()
        return 0
    import uvicorn

    count, _, code = (args.status_first or "0:503").partition(":")
    app = build_app(args.fail, status_first=int(count), status=int(code or 503), drop=args.drop, state=state)
    print(f"flaky: serving on http://127.0.0.1:{args.http}/mcp", file=sys.stderr, flush=True)
    uvicorn.run(app, host="127.0.0.1", port=args.http, log_level="critical", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
