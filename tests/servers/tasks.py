"""A server that runs tools as tasks, for mcpctl's tests of ``call --task`` and ``tasks get|wait|cancel``.

Usage::

    python tests/servers/tasks.py              # stdio
    python tests/servers/tasks.py --http PORT  # Streamable HTTP (plain JSON answers) on 127.0.0.1:PORT/mcp

Stdlib only, a raw JSON-RPC loop: the SDK's server routes no task methods in the handshake era and would
validate a task-shaped ``tools/call`` answer away. It speaks both revisions that have tasks:

- 2025-11-25 (``initialize``): ``capabilities.tasks`` (list, cancel, requests.tools.call), tools carry
  ``execution.taskSupport``; a task is asked for with ``params.task`` and answered ``{"task": {...}}``; then
  ``tasks/get``, ``tasks/result`` (blocks until the task ends), ``tasks/cancel``, ``tasks/list``; on stdio, every
  status change is also sent as ``notifications/tasks/status``. A tool result with ``isError`` fails the task.
- 2026-07-28 (``server/discover``, the ``io.modelcontextprotocol/tasks`` extension): a ``tools/call`` from a
  client that declares the extension (in ``_meta``'s clientCapabilities) becomes a task, answered
  ``{"resultType": "task", "taskId", ...}``; ``tasks/get`` carries the ``result`` (or JSON-RPC ``error``) inline;
  ``tasks/cancel`` is an empty acknowledgement; ``required`` tools refuse other clients with -32021.

Tools (each status change runs on the server's own clock, so tasks outlive the client that started them):

==========  ==========================================================================================
slow        ``slow(seconds=2, steps=4)`` taskSupport optional: "step i of n" status messages, then "slow done"
batch       ``batch(seconds=1)`` taskSupport required: answers "batch done"
quick       ``quick(message)`` no taskSupport (forbidden): answers the message, never as a task
broken      ``broken(mode="error")`` optional: after 0.2 s, "error" answers a tool error (isError), "rpc" fails
            with JSON-RPC error -32603 "the batch system is down"
==========  ==========================================================================================

Each event is appended to $TASKS_LOG, if set: "create ID TOOL ERA", "get ID", "result ID", "cancel ID",
"stopped ID" (the work saw the cancellation and stopped) and "done ID STATUS".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
EXTENSION = "io.modelcontextprotocol/tasks"
VERSION_KEY = "io.modelcontextprotocol/protocolVersion"
CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities"
POLL_MS = 100
TTL_MS = 600_000
TERMINAL = ("completed", "failed", "cancelled")

TOOLS: list[dict[str, Any]] = [
    {
        "name": "slow",
        "description": "Work for a while in steps, then answer.",
        "inputSchema": {
            "type": "object",
            "properties": {"seconds": {"type": "number"}, "steps": {"type": "integer"}},
        },
        "execution": {"taskSupport": "optional"},
    },
    {
        "name": "batch",
        "description": "A batch job: only ever runs as a task.",
        "inputSchema": {"type": "object", "properties": {"seconds": {"type": "number"}}},
        "execution": {"taskSupport": "required"},
    },
    {
        "name": "quick",
        "description": "Answer the message at once.",
        "inputSchema": {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]},
    },
    {
        "name": "broken",
        "description": "Fail: a tool error (mode=error) or a JSON-RPC error (mode=rpc).",
        "inputSchema": {"type": "object", "properties": {"mode": {"type": "string", "enum": ["error", "rpc"]}}},
        "execution": {"taskSupport": "optional"},
    },
]
SUPPORT = {tool["name"]: tool.get("execution", {}).get("taskSupport", "forbidden") for tool in TOOLS}
_log_lock = threading.Lock()


def note(line: str) -> None:
    """Append ``line`` to $TASKS_LOG, if set (a test reads what the server saw)."""
    path = os.environ.get("TASKS_LOG")
    if path:
        with _log_lock, open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def text(value: str, *, is_error: bool = False) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": value}], "isError": is_error}


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


class Task:
    """One task: its status, and the answer (a result or a JSON-RPC error) once it ends."""

    def __init__(self, tool: str, era: str, notify: Callable[[Task], None] | None) -> None:
        self.id = uuid.uuid4().hex
        self.tool = tool
        self.era = era
        self.status = "working"
        self.message: str | None = "started"
        self.created = self.updated = now()
        self.result: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None
        self.done = threading.Event()
        self.stop = threading.Event()
        self.notify = notify
        self.lock = threading.Lock()

    def move(self, status: str, message: str | None) -> None:
        with self.lock:
            if self.status in TERMINAL:
                return  # a cancelled task stays cancelled
            self.status, self.message, self.updated = status, message, now()
        if status in TERMINAL:
            note(f"done {self.id} {status}")
            self.done.set()
        if self.notify is not None:
            self.notify(self)

    def wire(self) -> dict[str, Any]:
        """The task as its revision spells it (2026-07-28: ``ttlMs``/``pollIntervalMs`` and the answer inline)."""
        out: dict[str, Any] = {"taskId": self.id, "status": self.status}
        if self.message is not None:
            out["statusMessage"] = self.message
        out |= {"createdAt": self.created, "lastUpdatedAt": self.updated}
        if self.era == LEGACY:
            return out | {"ttl": TTL_MS, "pollInterval": POLL_MS}
        out |= {"ttlMs": TTL_MS, "pollIntervalMs": POLL_MS}
        if self.status == "completed" and self.result is not None:
            out["result"] = self.result
        if self.status == "failed" and self.error is not None:
            out["error"] = self.error
        return out


class TaskServer:
    """The protocol: ``handle`` answers one request (or notification) whatever the transport."""

    def __init__(self, send: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.tasks: dict[str, Task] = {}
        self.send = send  # stdio: status notifications (handshake era)

    # -------------------------------------------------------------- dispatch

    def handle(self, msg: dict[str, Any]) -> dict[str, Any] | None:
        if "id" not in msg or "method" not in msg:
            return None  # a notification or a response: nothing to say
        params = msg.get("params") or {}
        try:
            result = self.dispatch(str(msg["method"]), params)
        except RpcError as exc:
            return {"jsonrpc": "2.0", "id": msg["id"], "error": exc.body()}
        if self.era_of(params) == MODERN:
            result.setdefault("resultType", "complete")
        return {"jsonrpc": "2.0", "id": msg["id"], "result": result}

    @staticmethod
    def era_of(params: dict[str, Any]) -> str:
        meta = params.get("_meta") or {}
        return MODERN if meta.get(VERSION_KEY) == MODERN else LEGACY

    def dispatch(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        era = self.era_of(params)
        if method == "initialize":
            return {
                "protocolVersion": LEGACY,
                "capabilities": {
                    "tools": {"listChanged": False},
                    "tasks": {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}},
                },
                "serverInfo": {"name": "tasks", "version": "1.0.0"},
            }
        if method == "server/discover":
            return {
                "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "tasks", "version": "1.0.0"}},
                "ttlMs": 0,
                "cacheScope": "private",
                "supportedVersions": [MODERN],
                "capabilities": {"tools": {"listChanged": False}, "extensions": {EXTENSION: {}}},
            }
        if method == "ping":
            return {}
        if method == "tools/list":
            return {"tools": TOOLS} | ({"ttlMs": 0, "cacheScope": "private"} if era == MODERN else {})
        if method == "tools/call":
            return self.call(params, era)
        if method == "tasks/get":
            task = self.find(params)
            note(f"get {task.id}")
            return task.wire()
        if method == "tasks/result" and era == LEGACY:
            return self.payload(self.find(params))
        if method == "tasks/cancel":
            return self.cancel(self.find(params), era)
        if method == "tasks/list" and era == LEGACY:
            return {"tasks": [task.wire() for task in self.tasks.values()]}
        raise RpcError(-32601, "Method not found", method)

    # -------------------------------------------------------------- tools/call

    def call(self, params: dict[str, Any], era: str) -> dict[str, Any]:
        name, arguments = params.get("name"), params.get("arguments") or {}
        if name not in SUPPORT:
            return text(f"Unknown tool: {name}", is_error=True)
        support = SUPPORT[name]
        if era == LEGACY:
            as_task = "task" in params
            if as_task and support == "forbidden":
                raise RpcError(-32601, f"tool '{name}' does not support task-augmented execution")
            if not as_task and support == "required":
                raise RpcError(-32601, f"tool '{name}' must be called as a task")
        else:
            declared = EXTENSION in (((params.get("_meta") or {}).get(CAPABILITIES_KEY) or {}).get("extensions") or {})
            as_task = declared and support != "forbidden"
            if not as_task and support == "required":
                raise RpcError(
                    -32021,
                    "Missing required client capability",
                    {"requiredCapabilities": {"extensions": {EXTENSION: {}}}},
                )
        if not as_task:
            return self.run_now(str(name), arguments)
        task = Task(str(name), era, self.status_notice if era == LEGACY and self.send else None)
        self.tasks[task.id] = task
        note(f"create {task.id} {name} {era}")
        threading.Thread(target=self.work, args=(task, arguments), daemon=True).start()
        if era == LEGACY:
            return {"task": task.wire()}
        return task.wire() | {"resultType": "task"}

    @staticmethod
    def run_now(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        if name == "quick":
            return text(str(arguments.get("message", "")))
        if name == "broken" and arguments.get("mode") == "rpc":
            raise RpcError(-32603, "the batch system is down")
        if name == "broken":
            return text("the batch failed", is_error=True)
        return text(f"{name} done")

    def work(self, task: Task, arguments: dict[str, Any]) -> None:
        """The task's work, in steps; it stops at the next step once cancelled."""
        if task.tool == "broken":
            if task.stop.wait(0.2):
                note(f"stopped {task.id}")
                return
            if arguments.get("mode") == "rpc":
                task.error = RpcError(-32603, "the batch system is down").body()
                task.move("failed", "the batch system is down")
            else:
                task.result = text("the batch failed", is_error=True)
                task.move("failed" if task.era == LEGACY else "completed", "the batch failed")
            return
        seconds = float(arguments.get("seconds", 2.0 if task.tool == "slow" else 1.0))
        steps = max(1, int(arguments.get("steps", 4)))
        for i in range(1, steps + 1):
            if task.stop.wait(seconds / steps):
                note(f"stopped {task.id}")
                return
            if i < steps:
                task.move("working", f"step {i} of {steps}")
        task.result = text(f"{task.tool} done")
        task.move("completed", "finished")

    # -------------------------------------------------------------- tasks/*

    def find(self, params: dict[str, Any]) -> Task:
        task = self.tasks.get(str(params.get("taskId")))
        if task is None:
            raise RpcError(-32602, f"Failed to retrieve task: Task not found: {params.get('taskId')}")
        return task

    def payload(self, task: Task) -> dict[str, Any]:
        """``tasks/result``: what the call would have answered, once the task has ended."""
        note(f"result {task.id}")
        task.done.wait()
        if task.error is not None:
            raise RpcError(task.error["code"], task.error["message"])
        if task.result is None:
            raise RpcError(-32602, f"task {task.id} was cancelled")
        return task.result | {"_meta": {"io.modelcontextprotocol/related-task": {"taskId": task.id}}}

    def cancel(self, task: Task, era: str) -> dict[str, Any]:
        note(f"cancel {task.id}")
        if task.status in TERMINAL:
            if era == LEGACY:
                raise RpcError(-32602, f"Cannot cancel task: already in terminal status '{task.status}'")
            return {}
        task.stop.set()
        task.move("cancelled", "cancelled at the client's request")
        return task.wire() if era == LEGACY else {}

    def status_notice(self, task: Task) -> None:
        if self.send is not None:
            self.send({"jsonrpc": "2.0", "method": "notifications/tasks/status", "params": task.wire()})


# ------------------------------------------------------------------------------------------ transports


def serve_stdio() -> None:
    """Newline-delimited JSON-RPC on stdin/stdout; each request answered on its own thread."""
    lock = threading.Lock()

    def send(message: dict[str, Any]) -> None:
        line = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        with lock:
            sys.stdout.buffer.write(line)
            sys.stdout.buffer.flush()

    server = TaskServer(send)

    def answer(msg: dict[str, Any]) -> None:
        reply = server.handle(msg)
        if reply is not None:
            send(reply)

    for raw in sys.stdin.buffer:
        if raw.strip():
            threading.Thread(target=answer, args=(json.loads(raw),), daemon=True).start()


def serve_http(port: int) -> None:
    """Streamable HTTP, stateless: each POST answered with one JSON body; no GET stream."""
    server = TaskServer()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def reply(self, status: int, body: dict[str, Any] | None = None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            msg = json.loads(self.rfile.read(length) or b"{}")
            reply = server.handle(msg)
            self.reply(202) if reply is None else self.reply(200, reply)

        def do_GET(self) -> None:
            self.reply(405)

        def do_DELETE(self) -> None:
            self.reply(200)

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    httpd.daemon_threads = True
    print(f"tasks: serving on http://127.0.0.1:{httpd.server_port}/mcp", file=sys.stderr, flush=True)
    httpd.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--http", type=int, default=None, metavar="PORT", help="0: any free port (printed)")
    args = parser.parse_args(argv)
    if args.http is None:
        serve_stdio()
    else:
        serve_http(args.http)
    return 0


if __name__ == "__main__":
    sys.exit(main())
