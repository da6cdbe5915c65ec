"""mcpctl against real third-party MCP servers, end to end.

The servers are installed by ``tests/real/install.sh DIR`` (``.ci/run`` does it) and found through
``MCPCTL_REAL_SERVERS=DIR``. Without it the module is skipped, except under ``CI=true``, where a missing
directory or server fails ``test_real_servers_are_installed``: CI can never silently skip the matrix.

| profile name | server (pinned in install.sh)                          | SDK           | negotiated (auto) |
|--------------|--------------------------------------------------------|---------------|-------------------|
| everything   | @modelcontextprotocol/server-everything 2026.8.31      | TS            | 2025-11-25        |
| filesystem   | @modelcontextprotocol/server-filesystem 2026.8.31      | TS            | 2025-11-25        |
| memory       | @modelcontextprotocol/server-memory 2026.8.31          | TS            | 2025-11-25        |
| time         | mcp-server-time 2026.10.19                             | Python mcp 2  | 2026-07-28        |
| git          | mcp-server-git 2026.10.19                              | Python mcp 2  | 2026-07-28        |
| sqlite       | mcp-server-sqlite 2025.4.25 (with mcp<2)               | Python mcp 1  | 2025-11-25        |
| fastmcp      | tests/real/fastmcp_server.py on fastmcp 4.1.6          | fastmcp       | 2026-07-28        |

In auto mode mcpctl first probes ``server/discover`` (2026-07-28): the TypeScript servers answer
-32601 and the 1.x-SDK sqlite server -32602 (after logging ~90 lines of validation errors to its
stderr), and mcpctl falls back to the ``initialize`` handshake at 2025-11-25; the mcp-2.x servers and
fastmcp answer the probe and the session is stateless 2026-07-28.

Every run is the installed mcpctl as a subprocess (``run_mcpctl``), with exit code, stdout and stderr
checked. Independent runs go through a small thread pool to keep the module well under 90 s on 2 cores.
Every process started here carries a marker variable; the last test asserts none is left.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port, wait_pids_gone

from e2e.helpers import Run, assert_clean_stderr, run_mcpctl, write_profile

pytestmark = pytest.mark.e2e

# Read at import: the autouse fixture in tests/conftest.py removes every MCPCTL_* variable from each test's environment.
REAL_DIR = os.environ.get("MCPCTL_REAL_SERVERS") or None
IN_CI = os.environ.get("CI", "").strip().lower() == "true"
FASTMCP_SERVER = Path(__file__).resolve().parents[1] / "real" / "fastmcp_server.py"
#: Every process this module starts (mcpctl, the servers it spawns, the HTTP servers) has this in its environment.
MARKER = "MCPCTL_REAL_TEST_RUN"
MARK = uuid.uuid4().hex

#: Profile name -> the executable under MCPCTL_REAL_SERVERS.
EXECUTABLES = {
    "everything": "npm/node_modules/.bin/mcp-server-everything",
    "filesystem": "npm/node_modules/.bin/mcp-server-filesystem",
    "memory": "npm/node_modules/.bin/mcp-server-memory",
    "time": "time/bin/mcp-server-time",
    "git": "git/bin/mcp-server-git",
    "sqlite": "sqlite/bin/mcp-server-sqlite",
    "fastmcp": "fastmcp/bin/python",
}
HANDSHAKE_ERA = {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}


def _missing() -> list[str]:
    if REAL_DIR is None:
        return list(EXECUTABLES)
    return [name for name, rel in EXECUTABLES.items() if not os.access(Path(REAL_DIR, rel), os.X_OK)]


MISSING = _missing()
INSTALL_HINT = "install them with: bash tests/real/install.sh DIR && export MCPCTL_REAL_SERVERS=DIR"

if REAL_DIR is None and not IN_CI:
    pytest.skip(f"MCPCTL_REAL_SERVERS is not set; {INSTALL_HINT}", allow_module_level=True)


def test_real_servers_are_installed() -> None:
    """Fails (never skips) when the matrix cannot run in CI, or when the directory given lacks a server."""
    if REAL_DIR is None:
        pytest.fail(
            f"CI=true but MCPCTL_REAL_SERVERS is not set: the real-server matrix must run in CI; {INSTALL_HINT}"
        )
    assert not MISSING, f"missing under {REAL_DIR}: " + ", ".join(f"{n} ({EXECUTABLES[n]})" for n in MISSING)


def needs(*names: str) -> None:
    """Skip this test when one of these servers is not installed (``test_real_servers_are_installed`` fails then)."""
    absent = [n for n in names if n in MISSING]
    if absent:
        pytest.skip(f"not installed: {', '.join(absent)} (see test_real_servers_are_installed)")


# ======================================================================================================================
# The servers, the profile, running mcpctl
# ======================================================================================================================


@dataclass(frozen=True)
class Real:
    """The profile naming every installed server, and the scratch files they work on."""

    dir: Path
    profile: Path
    files: Path
    repo: Path
    db: Path
    memory: Path
    tmp: Path

    def bin(self, name: str) -> str:
        return str(self.dir / EXECUTABLES[name])


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Real]:
    if REAL_DIR is None:
        pytest.skip("MCPCTL_REAL_SERVERS is not set (see test_real_servers_are_installed)")
    base = tmp_path_factory.mktemp("real")
    files = base / "files"
    (files / "sub").mkdir(parents=True)
    (files / "hello.txt").write_text("hello from a real server\n")
    repo = base / "repo"
    repo.mkdir()
    (repo / "README").write_text("a throwaway repository\n")
    git = ["git", "-c", "user.name=mcpctl tests", "-c", "user.email=tests@mcpctl.invalid", "-C", str(repo)]
    git_env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for argv in (["init", "-q", "-b", "main"], ["add", "README"], ["commit", "-q", "-m", "first commit"]):
        subprocess.run([*git, *argv], check=True, env=git_env, capture_output=True)
    r = Real(
        dir=Path(REAL_DIR),
        profile=base / "mcpctl.toml",
        files=files,
        repo=repo,
        db=base / "db.sqlite",
        memory=base / "memory.jsonl",
        tmp=base,
    )
    servers: dict[str, dict[str, Any]] = {
        "everything": {"command": r.bin("everything")},
        "filesystem": {"command": r.bin("filesystem"), "args": [str(files)]},
        "memory": {"command": r.bin("memory"), "env": {"MEMORY_FILE_PATH": str(r.memory)}},
        "time": {"command": r.bin("time"), "args": ["--local-timezone", "UTC"]},
        "git": {"command": r.bin("git"), "args": ["--repository", str(repo)]},
        "sqlite": {"command": r.bin("sqlite"), "args": ["--db-path", str(r.db)]},
        "fastmcp": {
            "command": r.bin("fastmcp"),
            "args": [str(FASTMCP_SERVER)],
            # mcpctl's children inherit its environment; these keep fastmcp from printing a banner and from
            # asking PyPI for updates (no test may need the internet).
            "env": {"FASTMCP_SHOW_SERVER_BANNER": "false", "FASTMCP_CHECK_FOR_UPDATES": "off"},
        },
    }
    write_profile(r.profile, {name: table for name, table in servers.items() if name not in MISSING})
    yield r
    for pid in marked_pids():  # a safety net only: test_no_server_is_left_behind reports them
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def mc(real: Real, *args: str, input: str | None = None) -> Run:
    """Run the installed mcpctl with the real profile; no traceback may reach stderr."""
    result = run_mcpctl(*args, input=input, timeout=60, env={"MCPCTL_PROFILE": str(real.profile), MARKER: MARK})
    assert_clean_stderr(result)
    return result


def mc_many(real: Real, *runs: Sequence[str]) -> list[Run]:
    """Independent mcpctl runs, three at a time; results in the order given."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        return list(pool.map(lambda args: mc(real, *args), runs))


def ok(result: Run) -> str:
    """Assert exit 0 and return stdout."""
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def marked_pids() -> list[int]:
    """Pids of live processes whose environment carries this module's marker."""
    needle = f"{MARKER}={MARK}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return wait_pids_gone(found, timeout=0)  # zombies do not count


# ======================================================================================================================
# servers inspect, tools list
# ======================================================================================================================


@dataclass(frozen=True)
class Expect:
    info: tuple[str, str]  # serverInfo name, version
    protocol: str
    counts: dict[str, int | None]


EXPECTED = {
    "everything": Expect(
        ("mcp-servers/everything", "2.0.0"),
        "2025-11-25",
        {"tools": 13, "resources": 7, "resourceTemplates": 2, "prompts": 4},
    ),
    "filesystem": Expect(
        ("secure-filesystem-server", "0.2.0"),
        "2025-11-25",
        {"tools": 14, "resources": None, "resourceTemplates": None, "prompts": None},
    ),
    "memory": Expect(
        ("memory-server", "0.6.3"), "2025-11-25", {"tools": 9, "resources": 1, "resourceTemplates": 0, "prompts": None}
    ),
    # The mcp 2.x servers advertise resources and prompts although they have none.
    "time": Expect(
        ("mcp-time", "2026.10.19"), "2026-07-28", {"tools": 2, "resources": 0, "resourceTemplates": 0, "prompts": 0}
    ),
    "git": Expect(
        ("mcp-git", "2026.10.19"), "2026-07-28", {"tools": 12, "resources": 0, "resourceTemplates": 0, "prompts": 0}
    ),
    # The 1.x SDK server has no resources/templates/list handler: method not found, so no count.
    "sqlite": Expect(
        ("sqlite", "0.1.0"), "2025-11-25", {"tools": 6, "resources": 1, "resourceTemplates": None, "prompts": 1}
    ),
    "fastmcp": Expect(
        ("mcpctl-real-fastmcp", "4.1.6"),
        "2026-07-28",
        {"tools": 3, "resources": 1, "resourceTemplates": 1, "prompts": 1},
    ),
}


@pytest.fixture(scope="module")
def inspected(real: Real) -> dict[str, Run]:
    """``servers inspect NAME -o json`` for every installed server, run concurrently once."""
    names = [n for n in EXPECTED if n not in MISSING]
    return dict(zip(names, mc_many(real, *[("servers", "inspect", n, "-o", "json") for n in names]), strict=True))


@pytest.mark.parametrize("name", list(EXPECTED))
def test_servers_inspect(inspected: dict[str, Run], name: str) -> None:
    needs(name)
    result = inspected[name]
    shown = json.loads(ok(result))
    want = EXPECTED[name]
    assert (shown["serverInfo"]["name"], shown["serverInfo"]["version"]) == want.info
    assert shown["server"] == name
    assert shown["transport"] == "stdio"
    assert shown["counts"] == want.counts
    if name == "sqlite":
        # A 1.x-SDK server: the handshake era, at the newest revision both sides know (2025-11-25 with mcp 1.30).
        assert shown["protocolVersion"] in HANDSHAKE_ERA
    else:
        assert shown["protocolVersion"] == want.protocol
    assert result.stderr == ""


def test_tools_list_every_server_at_once(real: Real) -> None:
    """One ``tools list`` over the whole profile: every server concurrently, the tool counts of each."""
    result = mc(real, "tools", "list", "-o", "json")
    tools = json.loads(ok(result))
    counts: dict[str, int] = {}
    for tool in tools:
        counts[tool["server"]] = counts.get(tool["server"], 0) + 1
        assert set(tool) >= {"server", "name", "inputSchema"}
    assert counts == {n: e.counts["tools"] for n, e in EXPECTED.items() if n not in MISSING}
    names = {(t["server"], t["name"]) for t in tools}
    assert {("everything", "echo"), ("everything", "get-sum"), ("time", "get_current_time")} <= names
    assert result.stderr == ""


def test_tools_list_table_is_tab_separated(real: Real) -> None:
    needs("git")
    rows = [line.split("\t") for line in ok(mc(real, "tools", "list", "git")).splitlines()]
    assert len(rows) == 12
    assert ["git", "git_status", "", "Shows the working tree status", "repo_path"] in rows


# ======================================================================================================================
# call, with typed arguments
# ======================================================================================================================


def test_call_everything(real: Real) -> None:
    needs("everything")
    echo, total, bad = mc_many(
        real,
        ["call", "everything.echo", "message=hi"],
        ["call", "everything.get-sum", "a=2", "b=40"],  # "type": "number": coerced to 2 and 40, not "2" and "40"
        ["call", "everything.get-sum", "a=two", "b=40"],
    )
    assert ok(echo) == "Echo: hi\n"
    assert echo.stderr == ""
    assert ok(total) == "The sum of 2 and 40 is 42.\n"
    assert bad.returncode == 2, bad.stderr
    assert bad.stdout == ""
    assert "expected number for 'a'" in bad.stderr


def test_call_time(real: Real) -> None:
    needs("time")
    now, converted = mc_many(
        real,
        ["call", "time.get_current_time", "timezone=UTC", "-o", "json"],
        ["call", "time.convert_time", "source_timezone=UTC", "time=12:00", "target_timezone=Asia/Tokyo"],
    )
    doc = json.loads(ok(now))
    assert doc["server"] == "time" and doc["tool"] == "get_current_time"
    assert doc["result"]["isError"] is False
    assert doc["result"]["structuredContent"]["timezone"] == "UTC"
    assert doc["result"]["structuredContent"]["datetime"].endswith("+00:00")
    shown = json.loads(ok(converted))  # the text content is JSON
    assert shown["target"]["datetime"].endswith("T21:00:00+09:00")
    assert shown["time_difference"] == "+9.0h"
    assert now.stderr == converted.stderr == ""


def test_call_filesystem(real: Real) -> None:
    needs("filesystem")
    listing, text, outside = mc_many(
        real,
        ["call", "filesystem.list_directory", f"path={real.files}"],
        ["call", "filesystem.read_text_file", f"path={real.files / 'hello.txt'}"],
        ["call", "filesystem.read_text_file", "path=/etc/hostname"],
    )
    assert sorted(ok(listing).splitlines()) == ["[DIR] sub", "[FILE] hello.txt"]
    assert ok(text) == "hello from a real server\n"
    # A tool result with isError: true is exit 1, the server's message on stderr.
    assert outside.returncode == 1
    assert "Access denied" in outside.stdout + outside.stderr
    assert "reported an error" in outside.stderr


def test_call_memory_create_then_read(real: Real) -> None:
    needs("memory")
    entities = [{"name": "Ada", "entityType": "person", "observations": ["wrote the first program"]}]
    created = mc(real, "call", "memory.create_entities", f"entities:={json.dumps(entities)}")
    assert json.loads(ok(created)) == entities
    graph, resource = mc_many(
        real,
        ["call", "memory.read_graph", "-o", "json"],
        ["resources", "read", "memory", "memory://knowledge-graph"],
    )
    doc = json.loads(ok(graph))
    assert doc["result"]["structuredContent"]["entities"] == entities
    assert json.loads(ok(resource))["entities"] == entities
    assert json.loads(real.memory.read_text().splitlines()[0])["name"] == "Ada"  # MEMORY_FILE_PATH was honoured


def test_call_git(real: Real) -> None:
    needs("git")
    (real.repo / "new.txt").write_text("untracked\n")
    status, log = mc_many(
        real,
        ["call", "git.git_status", f"repo_path={real.repo}"],
        ["call", "git.git_log", f"repo_path={real.repo}", "max_count=1"],  # an integer, coerced
    )
    assert "On branch main" in ok(status)
    assert "new.txt" in status.stdout
    assert "Message: first commit" in ok(log)
    assert status.stderr == log.stderr == ""


def test_call_sqlite(real: Real) -> None:
    needs("sqlite")
    assert ok(mc(real, "call", "sqlite.list_tables")) == "[]\n"
    query = "CREATE TABLE langs (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"
    assert ok(mc(real, "call", "sqlite.create_table", f"query={query}")) == "Table created successfully\n"
    inserted = mc(
        real, "call", "sqlite.write_query", "query=INSERT INTO langs (name) VALUES ('python'), ('typescript')"
    )
    assert ok(inserted) == "[{'affected_rows': 2}]\n"
    rows, tables = mc_many(
        real,
        ["call", "sqlite.read_query", "query=SELECT name FROM langs ORDER BY id"],
        ["call", "sqlite.list_tables"],
    )
    assert ok(rows) == "[{'name': 'python'}, {'name': 'typescript'}]\n"
    assert ok(tables) == "[{'name': 'langs'}]\n"
    # The server's stderr (a validation-error flood in auto mode, see test_legacy_sqlite_*) is not shown without -v.
    assert rows.stderr == tables.stderr == ""


def test_fastmcp_tools_resources_prompt(real: Real) -> None:
    needs("fastmcp")
    product, stats, greet, bad, settings, greeting, prompt = mc_many(
        real,
        ["call", "fastmcp.multiply", "a=6", "b=7"],
        ["call", "fastmcp.stats", "values:=[1, 2, 3.5]", "rounding=1", "-o", "json"],
        ["call", "fastmcp.greet", "name=Ada", "style=shout", "excited=yes"],
        ["call", "fastmcp.greet", "name=Ada", "style=loud"],
        ["resources", "read", "fastmcp", "config://settings"],
        ["resources", "read", "fastmcp", "greeting://{name}", "name=Bob"],
        ["prompts", "get", "fastmcp.review", "code=x = 1"],
    )
    assert ok(product) == "42\n"
    assert json.loads(ok(stats))["result"]["structuredContent"] == {"count": 3, "sum": 6.5, "mean": 2.2}
    assert ok(greet) == "HELLO, ADA!\n"
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "'style' must be one of: plain, shout" in bad.stderr
    assert json.loads(ok(settings)) == {"units": "metric", "version": 1}
    assert ok(greeting) == "Hello, Bob.\n"
    assert "Please review this python code:" in ok(prompt)
    assert "x = 1" in prompt.stdout
    for result in (product, stats, greet, settings, greeting, prompt):
        assert result.stderr == ""  # no banner: FASTMCP_SHOW_SERVER_BANNER=false reached the server


# ======================================================================================================================
# resources and prompts (server-everything)
# ======================================================================================================================


def test_everything_resources_and_prompts(real: Real) -> None:
    needs("everything")
    saved = real.tmp / "saved"
    listed, templates, static, dynamic, blob, prompts, rendered, missing_arg = mc_many(
        real,
        ["resources", "list", "everything", "-o", "json"],
        ["resources", "templates", "everything"],
        ["resources", "read", "everything", "demo://resource/static/document/features.md"],
        ["resources", "read", "everything", "demo://resource/dynamic/text/{resourceId}", "resourceId=7"],
        [
            "resources",
            "read",
            "everything",
            "demo://resource/dynamic/blob/{resourceId}",
            "resourceId=3",
            "--save",
            str(saved),
        ],
        ["prompts", "list", "everything"],
        ["prompts", "get", "everything.args-prompt", "city=Oslo"],
        ["prompts", "get", "everything.args-prompt"],
    )
    resources = json.loads(ok(listed))
    assert len(resources) == 7
    assert all(r["uri"].startswith("demo://resource/static/document/") for r in resources)
    assert [row.split("\t")[1] for row in ok(templates).splitlines()] == [
        "demo://resource/dynamic/text/{resourceId}",
        "demo://resource/dynamic/blob/{resourceId}",
    ]
    assert ok(static).startswith("# Everything Server - Features")
    assert ok(dynamic).startswith("Resource 7: This is a plaintext resource")
    assert "saved to" in ok(blob)  # binary contents are summarised on stdout and written with --save
    [blob_file] = saved.iterdir()
    assert blob_file.read_text().startswith("Resource 3: This is a base64 blob")
    assert [row.split("\t")[1] for row in ok(prompts).splitlines()] == [
        "simple-prompt",
        "args-prompt",
        "completable-prompt",
        "resource-prompt",
    ]
    assert "What's weather in Oslo?" in ok(rendered)
    assert missing_arg.returncode == 2  # required prompt arguments are checked before anything is sent
    assert missing_arg.stdout == ""
    assert "needs argument: city" in missing_arg.stderr


# ======================================================================================================================
# ping and batch across servers
# ======================================================================================================================


def test_ping_every_server_at_once(real: Real) -> None:
    result = mc(real, "ping", "-o", "json")
    rows = {row["server"]: row for row in json.loads(ok(result))}
    assert set(rows) == {n for n in EXPECTED if n not in MISSING}
    for name, row in rows.items():
        assert row["ok"] is True, row
        # Revision 2026-07-28 has no ping method: mcpctl probes with server/discover there.
        assert row["method"] == ("server/discover" if row["protocolVersion"] == "2026-07-28" else "ping"), row
        assert row["protocolVersion"] in (EXPECTED[name].protocol, *HANDSHAKE_ERA)
    assert result.stderr == ""


def test_batch_across_servers(real: Real) -> None:
    needs("everything", "time", "memory", "sqlite", "filesystem")
    calls: list[dict[str, Any]] = [
        {"id": "echo", "server": "everything", "tool": "echo", "arguments": {"message": "hi"}},
        {"id": "sum", "tool": "everything.get-sum", "arguments": {"a": 40, "b": 2}},
        {"id": "time", "server": "time", "tool": "get_current_time", "arguments": {"timezone": "UTC"}},
        {"id": "graph", "server": "memory", "tool": "read_graph"},
        {"id": "tables", "server": "sqlite", "tool": "list_tables"},
        {"id": "denied", "server": "filesystem", "tool": "read_text_file", "arguments": {"path": "/etc/hostname"}},
        {"id": "echo2", "server": "everything", "tool": "echo", "arguments": {"message": "again"}},
    ]
    expectations: list[dict[str, Any]] = [
        {"contains": "Echo: hi"},
        {"contains": "is 42"},
        {"path": "timezone", "equals": "UTC"},
        {"isError": False},
        {"isError": False},
        {"isError": True},  # the server refuses a path outside its directory: expected, so the line passes
        {"contains": "again"},
    ]
    for call, expect in zip(calls, expectations, strict=True):
        call["expect"] = expect
    batch = real.tmp / "calls.jsonl"
    batch.write_text("".join(json.dumps(c) + "\n" for c in calls))
    result = mc(real, "batch", str(batch), "--concurrency", "4")
    lines = [json.loads(line) for line in ok(result).splitlines()]
    assert [line["id"] for line in lines] == [c["id"] for c in calls]  # input order
    assert all(line["ok"] for line in lines), lines
    assert lines[0]["result"]["content"] == [{"type": "text", "text": "Echo: hi"}]
    assert lines[2]["result"]["structuredContent"]["timezone"] == "UTC"
    assert lines[5]["result"]["isError"] is True
    assert "7 calls, 0 failed" in result.stderr


def test_batch_failed_expectation_is_exit_1(real: Real) -> None:
    needs("everything")
    line = {
        "id": "x",
        "server": "everything",
        "tool": "echo",
        "arguments": {"message": "hi"},
        "expect": {"contains": "bye"},
    }
    result = mc(real, "batch", "-", input=json.dumps(line) + "\n")
    assert result.returncode == 1
    [out] = [json.loads(x) for x in result.stdout.splitlines()]
    assert out["ok"] is False
    assert out["error"]["type"] == "expectation"
    assert "1 calls, 1 failed" in result.stderr


# ======================================================================================================================
# server-everything over Streamable HTTP and SSE
# ======================================================================================================================


@pytest.fixture
def everything_http(real: Real, request: pytest.FixtureRequest) -> Iterator[str]:
    """``mcp-server-everything streamableHttp|sse`` on a free port, in its own process group; yields its URL."""
    needs("everything")
    mode = request.param
    port = free_port()
    log = (real.tmp / f"everything-{mode}-{port}.log").open("w")
    server = subprocess.Popen(
        [real.bin("everything"), mode],
        env={**os.environ, "PORT": str(port), MARKER: MARK},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield f"http://127.0.0.1:{port}/{'mcp' if mode == 'streamableHttp' else 'sse'}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)
        log.close()


@pytest.mark.parametrize("everything_http", ["streamableHttp", "sse"], indirect=True)
def test_everything_over_http(real: Real, everything_http: str) -> None:
    url = everything_http
    transport = "sse" if url.endswith("/sse") else "streamable-http"
    ready = mc(real, "ping", "--url", url, "--wait", "20")  # the readiness gate while the server starts
    assert "\tok\t2025-11-25\tping\t" + transport in ok(ready)
    tools, echo = mc_many(real, ["tools", "list", "--url", url], ["call", "--url", url, "echo", "message=over http"])
    assert len(ok(tools).splitlines()) == 13
    assert ok(echo) == "Echo: over http\n"
    assert echo.stderr == ""


# ======================================================================================================================
# Quirks
# ======================================================================================================================


def test_everything_stderr_banner_stays_off_stdout(real: Real) -> None:
    """server-everything writes a banner line to stderr: never on our stdout; on our stderr only with -v."""
    needs("everything")
    quiet, verbose = mc_many(
        real, ["call", "everything.echo", "message=hi"], ["call", "everything.echo", "message=hi", "-v"]
    )
    assert ok(quiet) == ok(verbose) == "Echo: hi\n"
    assert quiet.stderr == ""
    assert "[everything] Starting default (STDIO) server..." in verbose.stderr.splitlines()


def test_lingering_server_call_ends_fast_and_leaves_nothing(real: Real) -> None:
    """server-everything stays up ~0.35 s after its stdin closes; a call still ends fast, with no process left."""
    needs("everything")
    # The premise: after a full session, the server is still running well after EOF on its stdin.
    server = subprocess.Popen(
        [real.bin("everything")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert server.stdin is not None and server.stdout is not None
    hello = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}
    for message in (
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ):
        server.stdin.write(json.dumps(message).encode() + b"\n")
        server.stdin.flush()
    while json.loads(server.stdout.readline()).get("id") != 2:
        pass
    server.stdin.close()
    closed = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        server.wait(0.15)  # still there
    server.wait(10)
    lingered = time.monotonic() - closed
    server.stdout.close()
    assert lingered < 2.0, f"server-everything took {lingered:.2f}s to exit after EOF"

    trace = real.tmp / "lingering.jsonl"
    result = mc(real, "call", "everything.echo", "message=fast", "--trace", str(trace))
    exited = time.time()
    assert ok(result) == "Echo: fast\n"
    # From the answer to mcpctl's exit (interpreter start-up excluded, so a loaded machine does not
    # decide it): the server's linger is cut short by the 0.25 s grace and SIGTERM.
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    answered = max(r["ts"] for r in records if r["dir"] == "in")
    assert exited - answered < 2.0, f"mcpctl took {exited - answered:.2f}s from the answer to its exit"
    assert marked_pids() == [], "a server process outlived mcpctl"


def test_legacy_sqlite_server_in_auto_mode_and_legacy_mode(real: Real) -> None:
    """mcp-server-sqlite (1.x SDK) floods stderr when probed with server/discover, then falls back fine."""
    needs("sqlite")
    auto, legacy, legacy_inspect = mc_many(
        real,
        ["call", "sqlite.list_tables", "-v"],
        ["call", "sqlite.list_tables", "-v", "--protocol", "legacy"],
        ["servers", "inspect", "sqlite", "--protocol", "legacy", "-o", "json"],
    )
    assert ok(auto).startswith("[")
    flood = [line for line in auto.stderr.splitlines() if line.startswith("[sqlite] ")]
    assert any("Failed to validate request" in line for line in flood)
    assert len(flood) > 20  # the server's pydantic validation errors, streamed under -v
    assert ok(legacy) == auto.stdout
    assert "Failed to validate" not in legacy.stderr  # no probe in legacy mode: a quiet server
    assert not [line for line in legacy.stderr.splitlines() if line.startswith("[sqlite] ")]
    assert json.loads(ok(legacy_inspect))["protocolVersion"] in HANDSHAKE_ERA


def test_protocol_pins(real: Real) -> None:
    """--protocol legacy works against an mcp 2.x server; --protocol 2026-07-28 needs a server that speaks it."""
    needs("time", "sqlite", "everything")
    time_legacy, time_modern, sqlite_modern, everything_modern = mc_many(
        real,
        ["servers", "inspect", "time", "--protocol", "legacy", "-o", "json"],
        ["servers", "inspect", "time", "--protocol", "2026-07-28", "-o", "json"],
        ["servers", "inspect", "sqlite", "--protocol", "2026-07-28"],
        ["call", "everything.echo", "message=hi", "--protocol", "2026-07-28"],
    )
    assert json.loads(ok(time_legacy))["protocolVersion"] == "2025-11-25"
    modern = json.loads(ok(time_modern))
    assert modern["protocolVersion"] == "2026-07-28"
    assert modern["serverInfo"] == {"name": "mcp-time", "version": "2026.10.19"}
    assert modern["counts"]["tools"] == 2
    # server/discover is answered with -32602 by the 1.x server: a protocol error (5), saying what to try.
    assert sqlite_modern.returncode == 5
    assert "server/discover failed" in sqlite_modern.stderr
    assert "--protocol auto" in sqlite_modern.stderr
    # server-everything answers a stateless 2026 request without a handshake, but its result lacks what 2026-07-28
    # requires: a protocol error (5), not a wrong answer.
    assert everything_modern.returncode == 5
    assert "does not fit the MCP schema" in everything_modern.stderr
    assert everything_modern.stdout == ""


def test_tool_list_depends_on_declared_client_capabilities(real: Real) -> None:
    """mcpctl declares no client capabilities, so server-everything lists 13 tools.

    The server adds tools for what the client says it can do: ``get-roots-list`` with ``roots``,
    ``trigger-elicitation-request`` with ``elicitation``, ``trigger-sampling-request`` with ``sampling``.
    Declaring ``roots`` would also keep it waiting on ``roots/list`` after stdin closes, so no declaration is
    also what keeps a call fast.
    """
    needs("everything")
    trace = real.tmp / "caps.jsonl"
    result = mc(real, "tools", "list", "everything", "-o", "json", "--trace", str(trace))
    names = {tool["name"] for tool in json.loads(ok(result))}
    assert len(names) == 13
    assert not names & {"get-roots-list", "trigger-elicitation-request", "trigger-sampling-request"}
    sent = [json.loads(line)["message"] for line in trace.read_text().splitlines()]
    initialize = next(m for m in sent if m.get("method") == "initialize")
    assert initialize["params"]["capabilities"] == {}


def test_no_server_is_left_behind(real: Real) -> None:
    """Last: no process started by this module (mcpctl, its servers, the HTTP servers) is still running."""
    assert marked_pids() == []
