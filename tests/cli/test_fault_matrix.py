"""Prove it under faults: whatever the server does, mcpctl ends with the right exit code, in bounded time,
without a traceback, and leaves nothing running.

One row per fault. ``argv`` may name servers the test starts on demand:

    {noexec}    a file without the execute bit             {refused}   a 127.0.0.1 port nobody listens on
    {auth}      the demo behind a bearer gate (401/403)    {s404}      every request answered 404
    {s500}      every request answered 500                 {s429}      the first 2 requests get 429 + Retry-After: 1
    {dying}     faulty ``never-answer`` over HTTP, in its own process, SIGKILLed once ``tools/call`` is in flight

mcpctl runs in-process; the servers it starts are real child processes. Every row also checks, after the run, that
no process it started (marked by an environment variable that children inherit) is still alive, and that every pid
the faulty server wrote to ``$FAULTY_PIDFILE`` is gone. The rows about process-group cleanup (a grandchild, a
server ignoring SIGTERM) run the installed script (``tests/e2e/test_fault_matrix.py``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import (
    FAULTY,
    GOOD_TOKEN,
    faulty,
    flaky_server,
    free_port,
    http_auth,
    marked_pids,
    read_pids,
    serve_asgi,
)

from cli.runner import mcpctl

BANNER_WARNING = "warning: faulty: ignored a non-JSON-RPC line on stdout: Welcome to faulty server v1"
GARBAGE_WARNING = "warning: faulty: ignored a non-JSON-RPC line on stdout: this is not JSON-RPC"
BIG_PATTERN = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n"  # faulty.py's, 64 characters
MIB = 1024 * 1024


def equals(expected: str) -> Callable[[str], bool]:
    def check(stdout: str) -> bool:
        return stdout == expected

    check.__name__ = f"equals({expected!r})"
    return check


def empty(stdout: str) -> bool:
    return stdout == ""


def big_text_exact(stdout: str) -> bool:
    """faulty's ``big`` text, exactly 10 MiB characters (it ends in a newline, so nothing is added)."""
    return len(stdout) == 10 * MIB and stdout == BIG_PATTERN * (10 * MIB // len(BIG_PATTERN))


@dataclass(frozen=True)
class Row:
    fault: str
    argv: tuple[str, ...]
    exit_code: int
    max_seconds: float
    stderr_contains: tuple[str, ...]
    stdout_check: Callable[[str], bool] | None = None


URL_PLACEHOLDERS = {"{refused}", "{auth}", "{s404}", "{s500}", "{s429}", "{dying}"}


def call(server: str, *rest: str) -> tuple[str, ...]:
    """``call`` against a ``--stdio`` command line, or ``--url`` for an HTTP ``{placeholder}``."""
    where = ("--url", server) if server in URL_PLACEHOLDERS else ("--stdio", server)
    return ("call", *where, *rest)


# fmt: off
ROWS = [
    # --- start-up ------------------------------------------------------------------------------------------------
    Row("command not found", call("mcpctl-no-such-command-7c1e", "echo", "message=hi"), 3, 10,
        ("command not found: mcpctl-no-such-command-7c1e", "hint: check the command"), empty),
    Row("not executable", call("{noexec}", "echo", "message=hi"), 3, 10,
        ("not executable", "hint: chmod +x"), empty),
    Row("crashes at once", call(faulty("crash-at-start"), "echo", "message=hi"), 3, 10,
        ("server exited with status 3", "server stderr: fatal: config missing"), empty),
    Row("hangs before answering",
        call(faulty("hang-at-start"), "--connect-timeout", "2", "--retries", "0", "echo", "message=hi"), 4, 6,
        ("timed out after 2s connecting to", "raise --connect-timeout"), empty),
    Row("starts slowly, within the timeout", call(faulty("slow-start", "1.5"), "echo", "message=hi"), 0, 10,
        (), equals("hi\n")),
    Row("banner on stdout before JSON", call(faulty("banner"), "echo", "message=hi"), 0, 10,
        (BANNER_WARNING,), equals("hi\n")),
    Row("banner on stdout, -v", call(faulty("banner"), "-v", "echo", "message=hi"), 0, 10,
        (BANNER_WARNING, "connected in"), equals("hi\n")),
    # --- mid-call ------------------------------------------------------------------------------------------------
    Row("crashes mid-call", call(faulty("crash-on-call"), "crash"), 3, 10,
        ("the server closed the connection (server exited with status 7)", "server stderr: boom: crashed in tool"),
        empty),
    Row("non-JSON line mid-call", call(faulty("garbage-on-call"), "garbage"), 0, 10,
        (GARBAGE_WARNING,), equals("ok\n")),
    Row("invalid UTF-8 in the answer", call(faulty("bad-utf8"), "badbytes"), 0, 15,
        (), equals("bad byte: \ufffd here\n")),
    Row("never answers", call(faulty("never-answer"), "--timeout", "2", "hang"), 4, 8,
        ("timed out", "raise --timeout"), empty),
    Row("answers 10 MB", call(faulty("big"), "big"), 0, 20,
        (), big_text_exact),
    Row("tool raises (isError)", call(faulty("raise"), "boom"), 1, 10,
        ("tool 'boom' reported an error",), equals("Error executing tool boom\n")),
    Row("JSON-RPC error", call(faulty("jsonrpc-error"), "rpcfail"), 5, 10,
        ("custom failure (JSON-RPC error -32099)",), empty),
    Row("structuredContent breaks outputSchema", call(faulty("bad-structured"), "liar"), 5, 10,
        ("breaks the tool's outputSchema", "'not-int' is not of type 'integer'"), empty),
    # --- HTTP ----------------------------------------------------------------------------------------------------
    Row("HTTP connection refused", call("{refused}", "echo", "message=hi"), 3, 10,
        ("could not connect to http://127.0.0.1:", "is the server running"), empty),
    Row("HTTP 401", call("{auth}", "echo", "message=hi"), 6, 10,
        ("HTTP 401 Unauthorized", 'WWW-Authenticate: Bearer realm="mcpctl-test", error="invalid_token"'), empty),
    Row("HTTP 403", call("{auth}", "-H", "Authorization: Bearer forbidden", "echo", "message=hi"), 6, 10,
        ("HTTP 403 Forbidden", 'error="insufficient_scope"'), empty),
    Row("HTTP 404 (wrong path)", call("{s404}", "echo", "message=hi"), 3, 10,
        ("HTTP 404 Not Found", "check the URL path"), empty),
    Row("HTTP 500, after retries", call("{s500}", "--retries", "2", "echo", "message=hi"), 3, 10,
        ("HTTP 500 from", "retrying in", "(retry 1 of 2)", "(retry 2 of 2)"), empty),
    Row("HTTP 429 + Retry-After", call("{s429}", "--retries", "2", "echo", "message=hi"), 0, 10,
        ("HTTP 429 from", "retrying in 1.0s (retry 1 of 2)"), equals("hi\n")),
    Row("HTTP server dies mid-call", call("{dying}", "--timeout", "10", "hang"), 3, 10,
        ("connection lost", "Server disconnected"), empty),
]
# fmt: on


# ----------------------------------------------------------------------------------------------------------------------
# Servers started on demand (one per module; the dying one per use)
# ----------------------------------------------------------------------------------------------------------------------


class Servers:
    """Starts the in-process HTTP servers a row names: one per module, except single-use ones (fresh each time)."""

    SINGLE_USE = ("refused", "s429")

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self.stack = stack
        self.urls: dict[str, str] = {}

    def url(self, name: str) -> str:
        if name in self.SINGLE_USE:
            return self._start(name)
        if name not in self.urls:
            self.urls[name] = self._start(name)
        return self.urls[name]

    def _start(self, name: str) -> str:
        if name == "refused":
            return f"http://127.0.0.1:{free_port()}/mcp"
        if name == "auth":
            app = http_auth.build_app(GOOD_TOKEN)
        elif name in ("s404", "s500"):
            app = http_auth.build_status_app(int(name[1:]))
        elif name == "s429":  # flaky.py's --status-first option, in-process.
            # Two 429s: in --protocol auto the SDK answers a 429 to its server/discover probe by falling back to the
            # initialize handshake at once; only when that gets a 429 too does mcpctl's retry (and Retry-After) act.
            app = flaky_server.build_app(status_first=2, status=429)
        else:
            raise KeyError(name)
        return self.stack.enter_context(serve_asgi(app)) + "/mcp"


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    with contextlib.ExitStack() as stack:
        yield Servers(stack)


def wait_for_text(path: Path, text: str, timeout: float) -> bool:
    """Whether ``text`` appears in the file at ``path`` within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError):
            if text in path.read_text():
                return True
        time.sleep(0.02)
    return False


@contextlib.contextmanager
def dying_server(calls: Path, timeout: float) -> Iterator[str]:
    """faulty ``never-answer`` over Streamable HTTP in its own process, SIGKILLed (from a thread) as soon as its
    ``hang`` tool has been called, that is while the call is in flight; killed at the latest on exit."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, FAULTY, "--fault", "never-answer", "--http", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "FAULTY_CALLS": str(calls)},
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            assert proc.poll() is None, "the faulty HTTP server exited at start"
            assert time.monotonic() < deadline, "the faulty HTTP server did not start"
            time.sleep(0.05)

        def pull_the_plug() -> None:
            if wait_for_text(calls, "hang", timeout):
                proc.kill()

        killer = threading.Thread(target=pull_the_plug, daemon=True)
        killer.start()
        yield f"http://127.0.0.1:{port}/mcp"
        killer.join(timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


# ----------------------------------------------------------------------------------------------------------------------
# Running a row
# ----------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("row", ROWS, ids=[row.fault for row in ROWS])
def test_each_fault_ends_with_its_exit_code_in_bounded_time(
    row: Row, servers: Servers, tmp_path: Path, pidfile: Path
) -> None:
    marker = f"fault-matrix-{uuid.uuid4().hex}"
    with contextlib.ExitStack() as stack:
        values: dict[str, str] = {}
        for word in row.argv:
            name = word[1:-1] if word.startswith("{") and word.endswith("}") else None
            if name == "noexec":
                script = tmp_path / "server-without-x-bit"
                script.write_text("#!/bin/sh\nexit 0\n")
                script.chmod(0o644)
                values[name] = str(script)
            elif name == "dying":
                values[name] = stack.enter_context(dying_server(tmp_path / "calls", timeout=row.max_seconds))
            elif name is not None:
                values[name] = servers.url(name)
        argv = [values.get(word[1:-1], word) if word.startswith("{") else word for word in row.argv]
        r = mcpctl(*argv, env={"FAULT_MATRIX_MARKER": marker}, timeout=row.max_seconds + 30)

    assert r.exit_code == row.exit_code, r
    assert r.elapsed <= row.max_seconds, r
    for text in row.stderr_contains:
        assert text in r.stderr, f"{text!r} not on stderr\n{r}"
    if row.stdout_check is not None:
        assert row.stdout_check(r.stdout), f"stdout check {row.stdout_check.__name__} failed\n{r}"

    # Nothing left running: the faulty server's own pids, and anything at all that inherited the marker.
    pids = read_pids(pidfile)
    assert pids == [], f"expected no pids in $FAULTY_PIDFILE, got {pids}"
    deadline = time.monotonic() + 0.5
    while (left := marked_pids(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert left == [], f"processes started by mcpctl still alive: {left}"
