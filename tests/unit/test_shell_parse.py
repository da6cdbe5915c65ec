"""The shell's command-line parsing, completion and the history log model (pure)."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mcpctl.core import history
from mcpctl.core.errors import UsageError
from mcpctl.ops.model import Tool
from mcpctl.ops.shell.complete import complete
from mcpctl.ops.shell.parse import Line, parse_line


def test_a_known_command_is_parsed_with_its_words() -> None:
    assert parse_line("tools demo 'a b'") == Line("tools", ("demo", "a b"), "tools demo 'a b'")


def test_an_unknown_first_word_is_the_bare_tool_shorthand() -> None:
    assert parse_line("add a=1 b:=2").command == "call"
    assert parse_line("add a=1 b:=2").words == ("add", "a=1", "b:=2")


def test_blank_lines_and_comments_are_nothing() -> None:
    assert parse_line("  # note").command == ""


def test_unbalanced_quotes_are_a_usage_error_quoting_the_line() -> None:
    with pytest.raises(UsageError, match="echo message='hi"):
        parse_line("echo message='hi")


TOOL = Tool(
    "demo",
    "weather",
    None,
    None,
    {"properties": {"city": {"type": "string"}, "units": {"enum": ["metric", "imperial"]}, "raw": {"type": "boolean"}}},
    None,
    None,
)


def texts(line: str) -> list[str]:
    return [c.text for c in complete(line, ["demo"], {"demo": [TOOL]})]


def test_completion_offers_commands_and_tool_names_first() -> None:
    assert texts("wea") == ["weather"]
    assert "demo.weather" in texts("de")
    assert texts("sta") == ["status"]


def test_completion_offers_argument_keys_not_given_yet_then_enum_and_boolean_values() -> None:
    assert texts("call demo.weather city=Oslo ") == ["units=", "raw="]
    assert texts("weather units=") == ["metric", "imperial"]
    assert texts("weather raw=t") == ["true"]


def test_completion_offers_server_names_after_use() -> None:
    assert texts("use d") == ["demo"]


def test_history_entry_masks_secret_arguments_and_line_items() -> None:
    entry = history.record(
        "s",
        "login",
        {"user": "u", "password": "p"},
        ok=True,
        duration_ms=1,
        line="login user=u password=p",
        now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert entry.arguments == {"user": "u", "password": "***"}
    assert entry.line == "login user=u password=***"
    assert entry.time == "2026-01-02T03:04:05Z"
    assert entry.masked


def test_history_log_is_0600_bounded_and_skips_torn_lines(tmp_path: Path) -> None:
    path = tmp_path / "mcpctl" / "history.jsonl"
    for n in range(7):
        history.append(path, history.record("s", "t", {"n": n}, ok=True, duration_ms=0), limit=3)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with path.open("a") as f:
        f.write('{"torn\n')
    entries = history.load(path)
    assert 3 <= len(entries) <= 6
    assert entries[-1].arguments == {"n": 6}


def test_history_path_follows_xdg_state_home() -> None:
    assert history.default_path({"XDG_STATE_HOME": "/x"}) == Path("/x/mcpctl/history.jsonl")
    assert history.default_path({"HOME": "/h"}) == Path("/h/.local/state/mcpctl/history.jsonl")
