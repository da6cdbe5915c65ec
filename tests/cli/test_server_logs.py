"""Server logs (issue 18): shown on stderr with ``-v``, filtered by ``--log-level``, asked for per revision.

The test server is ``tests/servers/long.py``: its ``chatty`` tool logs one line at each of debug, info,
notice, warning and error. A handshake-era server may send every level whatever ``logging/setLevel`` said,
so the filter is checked on both revisions.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from conftest import PY, SERVERS_DIR

from cli.runner import mcpctl

LONG = f"{PY} {shlex.quote(str(SERVERS_DIR / 'long.py'))}"
LOG_LINE = re.compile(r"^\[long\] (\w+): an? \w+ line$", re.MULTILINE)
REVISIONS = [pytest.param(("--protocol", "legacy"), id="legacy"), pytest.param((), id="2026-07-28")]
LOG_LEVEL_META = "io.modelcontextprotocol/logLevel"


def shown_levels(*flags: str) -> list[str]:
    """The levels of the server log lines ``call chatty`` shows on stderr with these flags."""
    r = mcpctl("call", "--stdio", LONG, "chatty", *flags)
    assert r.exit_code == 0, r
    assert r.stdout == "logged\n"
    return LOG_LINE.findall(r.stderr)


@pytest.mark.parametrize("revision", REVISIONS)
def test_v_shows_server_logs_at_warning_and_above(revision: tuple[str, ...]) -> None:
    assert shown_levels("-v", *revision) == ["warning", "error"]


@pytest.mark.parametrize("revision", REVISIONS)
def test_vv_shows_server_logs_at_info_and_above(revision: tuple[str, ...]) -> None:
    assert shown_levels("-vv", *revision) == ["info", "notice", "warning", "error"]


@pytest.mark.parametrize("revision", REVISIONS)
def test_log_level_debug_shows_every_server_log(revision: tuple[str, ...]) -> None:
    assert shown_levels("-v", "--log-level", "debug", *revision) == ["debug", "info", "notice", "warning", "error"]


def test_log_level_overrides_vv_and_long_verbose_counts() -> None:
    assert shown_levels("--verbose", "--verbose", "--log-level", "error") == ["error"]


@pytest.mark.parametrize("revision", REVISIONS)
def test_without_v_no_server_logs_are_shown(revision: tuple[str, ...]) -> None:
    assert shown_levels(*revision) == []


def test_unknown_log_level_is_a_usage_error() -> None:
    r = mcpctl("call", "--stdio", LONG, "chatty", "-v", "--log-level", "loud")
    assert r.exit_code == 2, r
    assert "unknown --log-level 'loud'" in r.stderr
    assert "emergency" in r.stderr


def traced(trace: Path, *flags: str) -> list[dict[str, Any]]:
    """The JSON-RPC messages ``call chatty -v`` with these flags traced, each with its direction in ``dir``."""
    r = mcpctl("call", "--stdio", LONG, "chatty", "-v", "--trace", str(trace), *flags)
    assert r.exit_code == 0, r
    return [{"dir": e["dir"], **e["message"]} for e in map(json.loads, trace.read_text().splitlines())]


def logged(messages: list[dict[str, Any]]) -> list[str]:
    return [m["params"]["level"] for m in messages if m["dir"] == "in" and m.get("method") == "notifications/message"]


def test_handshake_era_asks_with_logging_set_level_and_trace_records_the_logs(tmp_path: Path) -> None:
    messages = traced(tmp_path / "trace.jsonl", "--protocol", "legacy")
    set_level = [m for m in messages if m["dir"] == "out" and m.get("method") == "logging/setLevel"]
    assert [m["params"] for m in set_level] == [{"level": "warning"}]
    assert messages.index(set_level[0]) < next(i for i, m in enumerate(messages) if m.get("method") == "tools/call")
    calls = [m for m in messages if m.get("method") == "tools/call"]
    assert all(LOG_LEVEL_META not in m["params"].get("_meta", {}) for m in calls)
    # this server sends every level whatever it was asked; the trace records them all, -v shows warning and above
    assert logged(messages) == ["debug", "info", "notice", "warning", "error"]


def test_2026_07_28_asks_in_the_request_meta_and_trace_records_the_logs(tmp_path: Path) -> None:
    messages = traced(tmp_path / "trace.jsonl", "--log-level", "notice")
    assert not [m for m in messages if m.get("method") == "logging/setLevel"]
    calls = [m for m in messages if m["dir"] == "out" and m.get("method") == "tools/call"]
    assert calls and all(m["params"]["_meta"][LOG_LEVEL_META] == "notice" for m in calls)
    assert logged(messages) == ["notice", "warning", "error"]


def test_completion_knows_v_is_a_repeatable_flag_and_log_level_takes_a_value() -> None:
    r = mcpctl("completion", "bash")
    assert r.exit_code == 0, r
    takes_value = next(line for line in r.stdout.splitlines() if "compopt -o default" in line and "--timeout" in line)
    names = takes_value.strip().split(")")[0].split("|")
    assert "--log-level" in names
    assert "--verbose" not in names and "-v" not in names
