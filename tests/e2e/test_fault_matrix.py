"""Prove it under faults: whatever the server does, mcpctl ends with the right exit code, in bounded time,
without a traceback, and leaves nothing running.

One row per fault. ``argv`` may name servers the test starts on demand:

    {noexec}    a file without the execute bit             {refused}   a 127.0.0.1 port nobody listens on
    {auth}      the demo behind a bearer gate (401/403)    {s404}      every request answered 404
    {s500}      every request answered 500                 {s429}      the first 2 requests get 429 + Retry-After: 1
    {dying}     faulty ``never-answer`` over HTTP, in its own process, SIGKILLed once ``tools/call`` is in flight

Every row also checks, after mcpctl has exited, that no process it started (marked by an environment variable
that children inherit) is still alive, and that every pid the faulty server wrote to ``$FAULTY_PIDFILE`` is gone.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from conftest import GOOD_TOKEN, free_port, http_auth, pids_alive, read_pids, serve_asgi, wait_pids_gone

from e2e.helpers import FAULTY_PATH, REPO_ROOT, assert_clean_stderr, faulty, mcpctl_argv

pytestmark = pytest.mark.e2e

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
    pids: int = 0  # how many pids the faulty server writes to $FAULTY_PIDFILE (all must be gone afterwards)


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
    # --- process-group cleanup -----------------------------------------------------------------------------------
    Row("spawns a grandchild", call(faulty("grandchild"), "echo", "message=hi"), 0, 10,
        (), equals("hi\n"), pids=2),
    Row("ignores SIGTERM", call(faulty("ignore-sigterm"), "echo", "message=hi"), 0, 8,
        (), equals("hi\n"), pids=1),
]
# fmt: on


# ----------------------------------------------------------------------------------------------------------------------
# Servers started on demand (one per module; the dying one per use)
# ----------------------------------------------------------------------------------------------------------------------


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FLAKY = _load("mcpctl_tests_flaky_matrix", REPO_ROOT / "tests" / "servers" / "flaky.py")


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
            app = FLAKY.build_app(status_first=2, status=429)
        else:
            raise KeyError(name)
        return self.stack.enter_context(serve_asgi(app)) + "/mcp"


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    with contextlib.ExitStack() as stack:
        yield Servers(stack)


@contextlib.contextmanager
def dying_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """faulty ``never-answer`` over Streamable HTTP in its own process; killed (SIGKILL) at the latest on exit."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, FAULTY_PATH, "--fault", "never-answer", "--http", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            assert proc.poll() is None, "the faulty HTTP server exited at start"
            assert time.monotonic() < deadline, "the faulty HTTP server did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp", proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


# ----------------------------------------------------------------------------------------------------------------------
# Running a row
# ----------------------------------------------------------------------------------------------------------------------


def _marked_pids(marker: str) -> list[int]:
    """Live processes whose environment carries ``marker`` (everything mcpctl started inherits it)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in environ:
            found.append(int(entry))
    return pids_alive(found)


def _wait_for(path: Path, text: str, proc: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(FileNotFoundError):
            if text in path.read_text():
                return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


@pytest.mark.parametrize("row", ROWS, ids=[row.fault for row in ROWS])
def test_fault_matrix(row: Row, servers: Servers, tmp_path: Path, pidfile: Path) -> None:
    marker = f"fault-matrix-{uuid.uuid4().hex}"
    env = {**os.environ, "FAULT_MATRIX_MARKER": marker}
    with contextlib.ExitStack() as stack:
        values: dict[str, str] = {}
        dying: subprocess.Popen[bytes] | None = None
        trace = tmp_path / "trace.jsonl"
        for word in row.argv:
            name = word[1:-1] if word.startswith("{") and word.endswith("}") else None
            if name == "noexec":
                script = tmp_path / "server-without-x-bit"
                script.write_text("#!/bin/sh\nexit 0\n")
                script.chmod(0o644)
                values[name] = str(script)
            elif name == "dying":
                values[name], dying = stack.enter_context(dying_server())
            elif name is not None:
                values[name] = servers.url(name)
        argv = [values.get(word[1:-1], word) if word.startswith("{") else word for word in row.argv]
        if dying is not None:
            argv += ["--trace", str(trace)]

        started = time.monotonic()
        proc = subprocess.Popen(
            mcpctl_argv(*argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        if dying is not None:  # the call is in flight when its request is in the trace: pull the plug
            _wait_for(trace, '"tools/call"', proc, timeout=row.max_seconds)
            time.sleep(0.2)
            dying.send_signal(signal.SIGKILL)
        try:
            stdout, stderr = proc.communicate(timeout=row.max_seconds + 30)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
            pytest.fail(f"mcpctl still running after {row.max_seconds + 30}s\nstderr:\n{stderr}")
        elapsed = time.monotonic() - started

    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    shown = f"exit {proc.returncode} after {elapsed:.1f}s\nstdout[:500]: {stdout[:500]!r}\nstderr:\n{stderr}"
    assert proc.returncode == row.exit_code, shown
    assert elapsed <= row.max_seconds, shown
    assert_clean_stderr(done)
    for text in row.stderr_contains:
        assert text in stderr, f"{text!r} not on stderr\n{shown}"
    if row.stdout_check is not None:
        assert row.stdout_check(stdout), f"stdout check {row.stdout_check.__name__} failed\n{shown}"

    # Nothing left running: the faulty server's own pids, and anything at all that inherited the marker.
    pids = read_pids(pidfile)
    assert len(pids) == row.pids, f"expected {row.pids} pids in $FAULTY_PIDFILE, got {pids}"
    assert wait_pids_gone(pids, timeout=0.5) == [], f"still alive after mcpctl exited: {pids_alive(pids)}"
    deadline = time.monotonic() + 0.5
    while (left := _marked_pids(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert left == [], f"processes started by mcpctl still alive: {left}"
