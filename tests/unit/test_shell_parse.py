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
from mcpctl.ops.shell.complete import ValueQuery, complete, value_query
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


PROMPTS = {"demo": [{"server": "demo", "name": "review", "arguments": [{"name": "code"}, {"name": "language"}]}]}
LANGUAGE = ValueQuery("demo", "prompt", "review", "language", "py")


def offered(line: str, values: dict[ValueQuery, list[str]], current: str | None = None) -> list[tuple[str, int]]:
    found = complete(line, ["demo", "other"], {}, current, prompts=PROMPTS, values=values)
    return [(c.text, c.start) for c in found]


def test_completion_offers_prompt_names_then_argument_names_not_given_yet() -> None:
    assert offered("get de", {}) == [("demo.review", 2)]
    assert offered("get demo.review ", {}) == [("code=", 0), ("language=", 0)]
    assert offered("get demo.review code=x l", {}) == [("language=", 1)]
    assert offered("get review ", {}, current="demo") == [("code=", 0), ("language=", 0)]


def test_a_key_being_typed_after_get_or_a_template_is_a_completion_request() -> None:
    assert value_query("get demo.review language=py", ["demo", "other"]) == LANGUAGE
    assert value_query("get review language=py", ["demo", "other"], None, PROMPTS) == LANGUAGE
    assert value_query("read demo greet://{name} name=b", ["demo", "other"]) == ValueQuery(
        "demo", "template", "greet://{name}", "name", "b"
    )
    assert value_query("read greet://{name} name=", ["demo"]).ref == {  # type: ignore[union-attr]
        "type": "template",
        "name": "greet://{name}",
        "uri": "greet://{name}",
    }
    assert value_query("read demo demo://readme x=", ["demo"]) is None  # not a template
    assert value_query("get demo.review language", ["demo"]) is None  # no '=' yet
    assert value_query("call demo.review language=", ["demo"]) is None


def test_completion_offers_the_values_the_server_gave_for_that_prefix_only() -> None:
    assert offered("get demo.review language=py", {LANGUAGE: ["python"]}) == [("python", 2)]
    assert offered("get demo.review language=ja", {LANGUAGE: ["python"]}) == []


def test_completion_offers_template_variables_after_a_template_uri() -> None:
    assert offered("read demo greet://{name} ", {}) == [("name=", 0)]
    assert offered("read d", {}) == [("demo", 1)]


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
