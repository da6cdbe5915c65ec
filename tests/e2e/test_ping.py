"""``mcpctl ping`` end to end: the health gate for CI and the health-check loop for people."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port

from e2e.helpers import DEMO, assert_clean_stderr, faulty, mcpctl_argv, run_mcpctl, stdio_server, write_profile

pytestmark = pytest.mark.e2e

DEAD = "mcpctl-test-no-such-command"


def ping_json(*args: str) -> tuple[Any, list[dict[str, Any]]]:
    r = run_mcpctl("ping", *args, "-o", "json")
    assert_clean_stderr(r)
    return r, json.loads(r.stdout)


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """A profile: a healthy demo, a handshake-era server, a missing command and a server that exits at start."""
    return write_profile(
        tmp_path / "mcpctl.toml",
        {
            "demo": stdio_server(DEMO),
            "legacy": stdio_server(faulty("legacy")),
            "dead": {"command": DEAD},
            "crash": stdio_server(faulty("crash-at-start")),
        },
    )


# ------------------------------------------------------------------------------------------------ one round


def test_healthy_2026_server_is_probed_with_server_discover_and_says_so() -> None:
    r, results = ping_json("--stdio", DEMO)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    [result] = results
    assert result["ok"] is True
    assert result["protocolVersion"] == "2026-07-28"
    assert result["method"] == "server/discover"
    assert result["transport"] == "stdio"
    assert result["count"] == 1
    assert set(result["rtt_ms"]) == {"min", "median", "max"}
    assert "error" not in result


def test_handshake_era_server_is_probed_with_ping() -> None:
    r, [result] = ping_json("--stdio", faulty("legacy"))
    assert r.returncode == 0, r.stderr
    assert result["ok"] is True
    assert result["protocolVersion"] == "2025-06-18"
    assert result["method"] == "ping"


def test_every_server_is_pinged_and_any_unhealthy_one_is_exit_1(mixed: Path) -> None:
    r, results = ping_json("-p", str(mixed))
    assert r.returncode == 1
    by_name = {x["server"]: x for x in results}
    assert [x["server"] for x in results] == ["demo", "legacy", "dead", "crash"]  # the profile's order
    assert by_name["demo"]["ok"] and by_name["legacy"]["ok"]
    assert by_name["demo"]["method"] == "server/discover" and by_name["legacy"]["method"] == "ping"
    dead = by_name["dead"]
    assert dead["ok"] is False and dead["rtt_ms"] is None and dead["protocolVersion"] is None
    assert dead["error"]["exit_code"] == 3
    assert f"command not found: {DEAD}" in dead["error"]["message"]
    crash = by_name["crash"]
    assert crash["ok"] is False
    assert "status 3" in crash["error"]["message"]
    assert "server stderr: fatal: config missing" in crash["error"]["details"]


def test_named_servers_only(mixed: Path) -> None:
    r, results = ping_json("-p", str(mixed), "demo", "legacy")
    assert r.returncode == 0, r.stderr
    assert [x["server"] for x in results] == ["demo", "legacy"]


def test_table_is_tab_separated_when_piped_with_the_reason_and_the_stderr_tail(mixed: Path) -> None:
    r = run_mcpctl("ping", "-p", str(mixed))
    assert r.returncode == 1
    assert_clean_stderr(r)
    lines = r.stdout.splitlines()
    rows = {line.split("\t")[0]: line.split("\t") for line in lines}
    assert list(rows) == ["demo", "legacy", "dead", "crash"]  # no header when piped, as gh's tables
    assert {len(row) for row in rows.values()} == {8}
    assert rows["demo"][1] == "ok" and "server/discover" in rows["demo"] and "2026-07-28" in rows["demo"]
    assert rows["legacy"][1] == "ok" and "ping" in rows["legacy"]
    assert rows["dead"][1] == "FAIL" and f"command not found: {DEAD}" in rows["dead"][-1]
    assert rows["crash"][1] == "FAIL" and "fatal: config missing" in rows["crash"][-1]
    assert not any(ch in r.stdout for ch in "│─┃━"), "no box drawing when piped"


def test_ndjson_is_one_line_a_server(mixed: Path) -> None:
    r = run_mcpctl("ping", "-p", str(mixed), "demo", "dead", "-o", "ndjson")
    assert r.returncode == 1
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(x["server"], x["ok"]) for x in lines] == [("demo", True), ("dead", False)]


def test_count_gives_min_median_max_round_trip_times() -> None:
    r, [result] = ping_json("--stdio", DEMO, "--count", "3", "--interval", "0.05")
    assert r.returncode == 0, r.stderr
    assert result["count"] == 3
    rtt = result["rtt_ms"]
    assert 0 < rtt["min"] <= rtt["median"] <= rtt["max"]
    assert r.elapsed >= 0.1  # two intervals


def test_servers_are_pinged_concurrently(tmp_path: Path) -> None:
    slow = stdio_server(faulty("slow-start", "1"))
    profile = write_profile(tmp_path / "mcpctl.toml", {"s1": slow, "s2": slow, "s3": slow})
    r, results = ping_json("-p", str(profile))
    assert r.returncode == 0, r.stderr
    connects = [x["connect_ms"] / 1000 for x in results]
    assert all(c >= 1.0 for c in connects)
    assert r.elapsed < sum(connects), f"{r.elapsed:.1f}s for connects of {connects}: not concurrent"


def test_timeout_bounds_a_server_that_never_answers() -> None:
    r, [result] = ping_json("--stdio", faulty("hang-at-start"), "--timeout", "1")
    assert r.returncode == 1
    assert result["ok"] is False
    assert result["error"]["type"] == "timeout"
    assert r.elapsed < 8


# ------------------------------------------------------------------------------------------------ --wait


@contextlib.contextmanager
def serve_demo_later(port: int, delay: float) -> Iterator[None]:
    """Start the demo over Streamable HTTP on ``port`` after ``delay`` seconds (in a thread); stop it after."""
    import uvicorn

    from mcpctl.demo import build_server

    server = uvicorn.Server(
        uvicorn.Config(build_server().streamable_http_app(), log_level="warning", lifespan="on", ws="none")
    )
    stop = threading.Event()

    def run() -> None:
        if stop.wait(delay):
            return
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        try:
            server.run(sockets=[sock])
        finally:
            sock.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def late_server() -> Iterator[str]:
    port = free_port()
    with serve_demo_later(port, 1.5):
        yield f"http://127.0.0.1:{port}/mcp"


def test_wait_retries_until_a_server_that_starts_late_answers(late_server: str) -> None:
    r, [result] = ping_json("--url", late_server, "--wait", "8")
    assert r.returncode == 0, r.stderr
    assert result["ok"] is True
    assert result["transport"] == "streamable-http"
    assert r.elapsed >= 1.4


def test_without_wait_a_server_that_starts_late_is_unhealthy(late_server: str) -> None:
    r, [result] = ping_json("--url", late_server)
    assert r.returncode == 1
    assert result["error"]["exit_code"] == 3
    assert "could not connect" in result["error"]["message"]


def test_wait_gives_up_after_about_the_wait_time() -> None:
    url = f"http://127.0.0.1:{free_port()}/mcp"
    r, [result] = ping_json("--url", url, "--wait", "2")
    assert r.returncode == 1
    assert result["ok"] is False
    assert 1.9 <= r.elapsed < 6, r.elapsed


# ------------------------------------------------------------------------------------------------ --report


def test_report_writes_junit_xml_with_one_case_a_server(mixed: Path, tmp_path: Path) -> None:
    report = tmp_path / "out" / "ping.xml"
    report.parent.mkdir()
    r = run_mcpctl("ping", "-p", str(mixed), "--report", str(report))
    assert r.returncode == 1
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "2", "0")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"demo", "legacy", "dead", "crash"}
    assert cases["demo"].find("failure") is None and cases["legacy"].find("failure") is None
    dead_failure = cases["dead"].find("failure")
    assert dead_failure is not None and DEAD in (dead_failure.get("message") or "")
    crash_failure = cases["crash"].find("failure")
    assert crash_failure is not None and "fatal: config missing" in (crash_failure.text or "")


def test_report_of_healthy_servers_has_no_failures(tmp_path: Path) -> None:
    report = tmp_path / "ping.xml"
    r = run_mcpctl("ping", "--stdio", DEMO, "--report", str(report))
    assert r.returncode == 0, r.stderr
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("1", "0")


# ------------------------------------------------------------------------------------------------ --watch


def wait_for_line(stream: Any, needle: str, timeout: float, seen: list[str]) -> None:
    """Read lines from ``stream`` (in a thread) until one contains ``needle``."""
    found = threading.Event()

    def read() -> None:
        for line in stream:
            seen.append(line)
            if needle in line:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(timeout), f"no line with {needle!r} in {timeout}s; got {seen!r}"


def test_watch_prints_state_changes_until_interrupted(tmp_path: Path) -> None:
    """The server is up while a flag file exists, down once it is removed; SIGINT ends the loop with 130."""
    flag = tmp_path / "up"
    flag.touch()
    script = f"test -f {shlex.quote(str(flag))} || exit 3; exec {DEMO}"
    argv = mcpctl_argv(
        "ping", "--watch", "--interval", "0.2", "--timeout", "10", "--stdio", f"sh -c {shlex.quote(script)}"
    )
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    seen: list[str] = []
    try:
        wait_for_line(proc.stdout, "new -> up", 20, seen)
        flag.unlink()
        wait_for_line(proc.stdout, "up -> down", 20, seen)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = [*seen, *out.splitlines(keepends=True)]
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted" in err
    changes = [line for line in lines if "->" in line]
    assert len(changes) == 2, lines  # only changes are printed, not every round
    assert "(2026-07-28," in changes[0]
    assert "status 3" in changes[1]
