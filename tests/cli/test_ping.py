"""``mcpctl ping``: the health gate for CI (``--wait``, ``--report``) and one round for people.

``ping --watch``, which runs until interrupted, is an end-to-end test (``tests/e2e/test_ping_watch.py``).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO, faulty, free_port, stdio_server, write_profile

from cli.runner import Result, mcpctl

DEAD = "mcpctl-test-no-such-command"


def ping_json(*args: str) -> tuple[Result, list[dict[str, Any]]]:
    r = mcpctl("ping", *args, "-o", "json")
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
    assert r.exit_code == 0, r.stderr
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
    assert r.exit_code == 0, r.stderr
    assert result["ok"] is True
    assert result["protocolVersion"] == "2025-06-18"
    assert result["method"] == "ping"


def test_every_server_is_pinged_and_any_unhealthy_one_is_exit_1(mixed: Path) -> None:
    r, results = ping_json("-p", str(mixed))
    assert r.exit_code == 1
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


def test_only_the_named_servers_are_pinged(mixed: Path) -> None:
    r, results = ping_json("-p", str(mixed), "demo", "legacy")
    assert r.exit_code == 0, r.stderr
    assert [x["server"] for x in results] == ["demo", "legacy"]


def test_table_is_tab_separated_when_piped_with_the_reason_and_the_stderr_tail(mixed: Path) -> None:
    r = mcpctl("ping", "-p", str(mixed))
    assert r.exit_code == 1
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
    r = mcpctl("ping", "-p", str(mixed), "demo", "dead", "-o", "ndjson")
    assert r.exit_code == 1
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(x["server"], x["ok"]) for x in lines] == [("demo", True), ("dead", False)]


def test_count_gives_min_median_max_round_trip_times() -> None:
    r, [result] = ping_json("--stdio", DEMO, "--count", "3", "--interval", "0.05")
    assert r.exit_code == 0, r.stderr
    assert result["count"] == 3
    rtt = result["rtt_ms"]
    assert 0 < rtt["min"] <= rtt["median"] <= rtt["max"]
    assert r.elapsed >= 0.1  # two intervals


def test_servers_are_pinged_concurrently(tmp_path: Path) -> None:
    slow = stdio_server(faulty("slow-start", "1"))
    profile = write_profile(tmp_path / "mcpctl.toml", {"s1": slow, "s2": slow, "s3": slow})
    r, results = ping_json("-p", str(profile))
    assert r.exit_code == 0, r.stderr
    connects = [x["connect_ms"] / 1000 for x in results]
    assert all(c >= 1.0 for c in connects)
    assert r.elapsed < sum(connects), f"{r.elapsed:.1f}s for connects of {connects}: not concurrent"


def test_timeout_bounds_a_server_that_never_answers() -> None:
    r, [result] = ping_json("--stdio", faulty("hang-at-start"), "--timeout", "1")
    assert r.exit_code == 1
    assert result["ok"] is False
    assert result["error"]["type"] == "timeout"
    assert r.elapsed < 8


# ------------------------------------------------------------------------------------------------ --wait


@contextlib.contextmanager
def serve_demo_later(delay: float) -> Iterator[str]:
    """The demo over Streamable HTTP, answering only after ``delay`` seconds; yields its URL.

    Its port is bound at once but listened on only after the delay, so until then a connection is refused (as
    with no server at all) and no other program can take the port meanwhile.
    """
    import uvicorn

    from mcpctl.demo import build_server

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(build_server().streamable_http_app(), log_level="warning", lifespan="on", ws="none")
    )
    stop = threading.Event()

    def run() -> None:
        if not stop.wait(delay):
            server.run(sockets=[sock])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        stop.set()
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def late_server() -> Iterator[str]:
    with serve_demo_later(1.5) as url:
        yield url


def test_wait_retries_until_a_server_that_starts_late_answers(late_server: str) -> None:
    r, [result] = ping_json("--url", late_server, "--wait", "8")
    assert r.exit_code == 0, r.stderr
    assert result["ok"] is True
    assert result["transport"] == "streamable-http"
    assert r.elapsed >= 1.4


def test_without_wait_a_server_that_starts_late_is_unhealthy(late_server: str) -> None:
    r, [result] = ping_json("--url", late_server)
    assert r.exit_code == 1
    assert result["error"]["exit_code"] == 3
    assert "could not connect" in result["error"]["message"]


def test_wait_gives_up_after_about_the_wait_time() -> None:
    url = f"http://127.0.0.1:{free_port()}/mcp"
    r, [result] = ping_json("--url", url, "--wait", "2")
    assert r.exit_code == 1
    assert result["ok"] is False
    assert 1.9 <= r.elapsed < 6, r.elapsed


# ------------------------------------------------------------------------------------------------ --report


def test_report_writes_junit_xml_with_one_case_a_server(mixed: Path, tmp_path: Path) -> None:
    report = tmp_path / "out" / "ping.xml"
    report.parent.mkdir()
    r = mcpctl("ping", "-p", str(mixed), "--report", str(report))
    assert r.exit_code == 1
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
    r = mcpctl("ping", "--stdio", DEMO, "--report", str(report))
    assert r.exit_code == 0, r.stderr
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("1", "0")
