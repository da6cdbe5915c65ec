"""Shared fixtures and helpers for the mcpctl test suite.

Sections:
    1. Paths and commands         (REPO_ROOT, DEMO_CMD, FAULTY, faulty_cmd, ...)
    2. Environment isolation      (autouse: no MCPCTL_*/NO_COLOR, private HOME/XDG_CONFIG_HOME/cwd)
    3. anyio                      (anyio_backend)
    4. In-process HTTP servers    (free_port, serve_asgi, demo_http_url, demo_sse_url, auth_http_url, status_http_url)
    5. Processes and pid files    (pids_alive, read_pids, pidfile)
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

# ======================================================================================================================
# 1. Paths and commands
# ======================================================================================================================

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
SERVERS_DIR = TESTS_DIR / "servers"
FAULTY = str(SERVERS_DIR / "faulty.py")
HTTP_AUTH = str(SERVERS_DIR / "http_auth.py")

if str(REPO_ROOT) not in sys.path:  # `import mcpctl` works even without an editable install
    sys.path.insert(0, str(REPO_ROOT))

DEMO_CMD: list[str] = [sys.executable, "-m", "mcpctl.demo"]
GOOD_TOKEN = "good-token"


def faulty_cmd(fault: str = "none", arg: str | None = None) -> list[str]:
    """Command line for the faulty stdio server, e.g. ``faulty_cmd("paged", "repeat")``."""
    return [sys.executable, FAULTY, "--fault", fault, *(["--arg", arg] if arg is not None else [])]


def _load_module(name: str, path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


http_auth = _load_module("mcpctl_tests_http_auth", HTTP_AUTH)


# ======================================================================================================================
# 2. Environment isolation
# ======================================================================================================================


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No MCPCTL_* / NO_COLOR from the caller, private HOME and XDG_CONFIG_HOME, and an empty cwd.

    Yields the working directory (so no stray ``mcpctl.toml`` is ever found). ``tmp_path`` stays untouched.
    """
    for name in list(os.environ):
        if name.startswith("MCPCTL_") or name == "NO_COLOR":
            monkeypatch.delenv(name)
    base = tmp_path_factory.mktemp("env")
    for sub in ("home", "config", "cwd"):
        (base / sub).mkdir()
    monkeypatch.setenv("HOME", str(base / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))
    # Child processes that inherit the environment can `python -m mcpctl.demo` from any cwd.
    pythonpath = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO_ROOT), pythonpath])))
    monkeypatch.chdir(base / "cwd")
    yield base / "cwd"


# ======================================================================================================================
# 3. anyio
# ======================================================================================================================


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# ======================================================================================================================
# 4. In-process HTTP servers (uvicorn in a background thread)
# ======================================================================================================================


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (prefer serve_asgi, which keeps its socket bound)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_asgi(app: Any, *, startup_timeout: float = 10.0) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 (ephemeral port) in a daemon thread; yield ``http://127.0.0.1:PORT``.

    The listening socket is bound before the thread starts, so there is no port race.
    """
    import uvicorn

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=2, ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on port {port}")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def demo_http_url() -> Iterator[str]:
    """The demo server over Streamable HTTP: ``http://127.0.0.1:PORT/mcp``."""
    from mcpctl.demo import build_server

    with serve_asgi(build_server().streamable_http_app()) as base:
        yield f"{base}/mcp"


@pytest.fixture
def demo_sse_url() -> Iterator[str]:
    """The demo server over legacy SSE: ``http://127.0.0.1:PORT/sse``."""
    from mcpctl.demo import build_server

    with serve_asgi(build_server().sse_app()) as base:
        yield f"{base}/sse"


@pytest.fixture
def auth_http_url() -> Iterator[str]:
    """The demo at ``/mcp`` behind a bearer gate: ``good-token`` passes, none/other -> 401, ``forbidden`` -> 403."""
    with serve_asgi(http_auth.build_app(GOOD_TOKEN)) as base:
        yield f"{base}/mcp"


@pytest.fixture
def status_http_url() -> Iterator[Callable[[int], str]]:
    """Factory: ``status_http_url(404)`` starts a server answering every request with 404, returns ``.../mcp``."""
    with contextlib.ExitStack() as stack:

        def start(status: int) -> str:
            return stack.enter_context(serve_asgi(http_auth.build_status_app(status))) + "/mcp"

        yield start


# ======================================================================================================================
# 5. Processes and pid files
# ======================================================================================================================


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped) is not alive
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def pids_alive(pids: Iterable[int]) -> list[int]:
    """The subset of ``pids`` that are still running (zombies count as dead)."""
    return [pid for pid in pids if _pid_alive(pid)]


def wait_pids_gone(pids: Iterable[int], timeout: float = 5.0) -> list[int]:
    """Poll until all ``pids`` are gone or ``timeout`` passes; return those still alive."""
    pids = list(pids)
    deadline = time.monotonic() + timeout
    while (alive := pids_alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def read_pids(path: Path | str) -> list[int]:
    """Pids written by the faulty server (server first, then grandchildren); [] if the file does not exist."""
    try:
        return [int(line) for line in Path(path).read_text().split()]
    except FileNotFoundError:
        return []


@pytest.fixture
def pidfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A pid file path, also exported as ``FAULTY_PIDFILE``; every pid still listed in it is SIGKILLed at teardown.

    The MCP SDK's stdio client passes only an allow-list of variables to servers: when spawning through the SDK
    directly, pass ``env={"FAULTY_PIDFILE": str(pidfile)}``.
    """
    path = tmp_path / "faulty.pids"
    monkeypatch.setenv("FAULTY_PIDFILE", str(path))
    yield path
    for pid in pids_alive(read_pids(path)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
