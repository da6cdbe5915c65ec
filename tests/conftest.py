"""Shared fixtures and helpers for the mcpctl test suite.

The three layers (``style.md`` §13): ``tests/unit/`` (pure modules), ``tests/cli/`` (the command line in-process
through ``cli.runner.mcpctl``, against real in-repo servers) and ``tests/e2e/`` (the installed ``mcpctl`` as a
subprocess through ``e2e.helpers.run_mcpctl``: signals, orphans, pipes, terminals, third-party servers, a smoke set).

Sections:
    1. Paths and commands         (REPO_ROOT, DEMO, faulty, flaky, DEMO_CMD, faulty_cmd, ...)
    2. Profiles                   (stdio_server, write_profile)
    3. Isolation                  (autouse: no MCPCTL_*/NO_COLOR, private HOME/XDG_CONFIG_HOME/cwd; no secret
                                   remembered from an earlier test)
    4. Hypothesis                 (profiles: "default" with few examples, "ci" with many)
    5. pytest-xdist and anyio     (which tests share a worker; anyio_backend)
    6. In-process HTTP servers    (free_port, serve_asgi, demo_http_url, demo_sse_url, auth_http_url, status_http_url)
    7. Processes and pid files    (pids_alive, wait_pids_gone, read_pids, marked_pids, pidfile, Flaky, fl)
    8. OAuth                      (oidc_provider[_short], protected_server[_short]: tests/oauth/harness.py)
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shlex
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import settings

# ======================================================================================================================
# 1. Paths and commands
# ======================================================================================================================

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
SERVERS_DIR = TESTS_DIR / "servers"
FAULTY = str(SERVERS_DIR / "faulty.py")
FLAKY = str(SERVERS_DIR / "flaky.py")
HTTP_AUTH = str(SERVERS_DIR / "http_auth.py")

if str(REPO_ROOT) not in sys.path:  # `import mcpctl` works even without an editable install
    sys.path.insert(0, str(REPO_ROOT))

GOOD_TOKEN = "good-token"
#: Text that only a Python traceback (ours, the SDK's or an exception group's) puts on stderr.
TRACEBACK_MARKS = ("Traceback", "Exception Group")

# As argv lists (for the SDK's stdio client) ...
DEMO_CMD: list[str] = [sys.executable, "-m", "mcpctl.demo"]


def faulty_cmd(fault: str = "none", arg: str | None = None) -> list[str]:
    """Command line for the faulty stdio server, e.g. ``faulty_cmd("paged", "repeat")``."""
    return [sys.executable, FAULTY, "--fault", fault, *(["--arg", arg] if arg is not None else [])]


# ... and as ``--stdio`` command lines (shell-split by mcpctl).
PY = shlex.quote(sys.executable)
DEMO = f"{PY} -m mcpctl.demo"


def faulty(fault: str, arg: str | None = None) -> str:
    """The ``--stdio`` command line of the faulty test server (``tests/servers/faulty.py`` lists the faults)."""
    extra = f" --arg {shlex.quote(arg)}" if arg is not None else ""
    return f"{PY} {shlex.quote(FAULTY)} --fault {shlex.quote(fault)}{extra}"


def flaky(fails: int = 0) -> str:
    """The ``--stdio`` command line of the flaky test server failing its first ``fails`` flaky calls."""
    return f"{PY} {shlex.quote(FLAKY)} --fail {fails}"


def _load_module(name: str, path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


http_auth = _load_module("mcpctl_tests_http_auth", HTTP_AUTH)
#: ``tests/servers/flaky.py`` as a module: ``flaky_server.build_app(...)`` serves it in-process.
flaky_server = _load_module("mcpctl_tests_flaky", FLAKY)


# ======================================================================================================================
# 2. Profiles
# ======================================================================================================================


def stdio_server(command_line: str, **extra: Any) -> dict[str, Any]:
    """A profile ``[servers.NAME]`` table for a ``--stdio``-style command line."""
    words = shlex.split(command_line)
    return {"command": words[0], "args": words[1:], **extra}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, Sequence):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def write_profile(
    path: Path, servers: Mapping[str, Mapping[str, Any]], defaults: Mapping[str, Any] | None = None
) -> Path:
    """Write a profile with these ``[servers.NAME]`` tables (and ``[defaults]``); returns ``path``."""
    lines: list[str] = []
    if defaults:
        lines.append("[defaults]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in defaults.items()]
        lines.append("")
    for name, table in servers.items():
        lines.append(f"[servers.{name}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# ======================================================================================================================
# 3. Isolation
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


@pytest.fixture(autouse=True)
def _fresh_redactor() -> Iterator[None]:
    """``mcpctl.core.secrets.redact`` is process-global and accumulates secret values: each test starts empty."""
    from mcpctl.core.secrets import redact

    redact.clear()
    yield
    redact.clear()


# ======================================================================================================================
# 4. Hypothesis
# ======================================================================================================================

# Few examples at a desk, many in CI (``CI=true``); ``HYPOTHESIS_PROFILE=NAME`` picks one explicitly. No deadline:
# the suite runs in parallel on a small shared machine, where a slow example is load, not a finding.
settings.register_profile("default", max_examples=25, deadline=None)
settings.register_profile("ci", max_examples=400, deadline=None, print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI", "").strip().lower() == "true" else "default")
)


# ======================================================================================================================
# 5. pytest-xdist and anyio
# ======================================================================================================================

#: The module whose tests share one worker, in file order: its module fixtures start the third-party servers once,
#: and its last test checks that nothing the whole module started is still running.
ONE_WORKER_MODULE = "tests/e2e/test_real_servers.py"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist load`` (xdist's default: each test to the next free worker), except ``ONE_WORKER_MODULE``.

    (``--dist loadgroup`` with an ``xdist_group`` mark would say the same, but with pytest 9.2 it silently stops
    grouping: pytest-xdist issue #1386.)
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerForTheRealServers(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return ONE_WORKER_MODULE if nodeid.startswith(f"{ONE_WORKER_MODULE}::") else nodeid

    return OneWorkerForTheRealServers(config, log)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# ======================================================================================================================
# 6. In-process HTTP servers (uvicorn in a background thread)
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
# 7. Processes and pid files
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


def marked_pids(marker: str) -> list[int]:
    """Live processes (other than this one) whose environment carries ``marker``: every process started with it in
    its environment, and everything those started in turn, inherits it."""
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


@dataclass
class Flaky:
    """Where the flaky server (``tests/servers/flaky.py``) logs its tool calls and pids, and the environment that
    tells it so: proof of when no call was made, how many attempts reached a server, how many sessions were opened."""

    state: Path
    pidfile: Path

    @property
    def env(self) -> dict[str, str]:
        return {"FLAKY_STATE": str(self.state), "FLAKY_PIDFILE": str(self.pidfile)}

    def calls(self) -> list[str]:
        """``TOOL ok|fail`` for every tool call that reached a server, in order."""
        return self.state.read_text().splitlines() if self.state.exists() else []

    def pids(self) -> list[int]:
        """The pid of every flaky server started, in order."""
        return read_pids(self.pidfile)

    def starts(self) -> int:
        return len(self.pids())


@pytest.fixture
def fl(tmp_path: Path) -> Iterator[Flaky]:
    """The flaky server's spy files (pass ``fl.env`` to the run); every server still alive is SIGKILLed at teardown."""
    spy = Flaky(tmp_path / "flaky.state", tmp_path / "flaky.pids")
    yield spy
    for pid in pids_alive(spy.pids()):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# ======================================================================================================================
# 8. OAuth: the real OpenID provider and a protected MCP server (tests/oauth/harness.py; need MCPCTL_OIDC)
# ======================================================================================================================

from oauth.harness import oidc_provider, oidc_provider_short, protected_server, protected_server_short  # noqa: E402,F401
