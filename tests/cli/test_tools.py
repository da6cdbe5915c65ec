"""``mcpctl tools list|show``: piped rows, JSON and NDJSON lists, several servers, filters, pagination, schemas."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import DEMO, faulty, stdio_server, write_profile

from cli.runner import mcpctl

DEMO_TOOLS = ["echo", "add", "weather", "image", "fail", "slow", "count"]


def rows(stdout: str) -> list[list[str]]:
    return [line.split("\t") for line in stdout.splitlines()]


def test_piped_list_is_tab_separated_rows_without_a_header() -> None:
    r = mcpctl("tools", "list", "--stdio", DEMO)
    assert r.exit_code == 0, r.stderr
    table = rows(r.stdout)
    assert all(len(row) == 5 for row in table), r.stdout
    assert [row[1] for row in table] == DEMO_TOOLS
    assert {row[0] for row in table} == {"mcpctl.demo"}
    by_name = {row[1]: row for row in table}
    assert by_name["echo"] == ["mcpctl.demo", "echo", "Echo", "Return the message unchanged.", "message"]
    assert by_name["add"][4] == "a,b"
    assert by_name["image"][4] == ""
    assert "│" not in r.stdout and "SERVER" not in r.stdout
    assert r.stderr == ""


def test_json_list_is_an_array_of_wire_tools() -> None:
    r = mcpctl("tools", "list", "--stdio", DEMO, "-o", "json")
    assert r.exit_code == 0, r.stderr
    tools = json.loads(r.stdout)
    assert isinstance(tools, list)
    assert [t["name"] for t in tools] == DEMO_TOOLS
    for tool in tools:
        assert tool["server"] == "mcpctl.demo"
        assert tool["inputSchema"]["type"] == "object"
        assert "input_schema" not in tool and "output_schema" not in tool
    weather = next(t for t in tools if t["name"] == "weather")
    assert "outputSchema" in weather
    assert weather["annotations"]["readOnlyHint"] is True
    assert r.stderr == ""


def test_ndjson_list_is_one_tool_a_line() -> None:
    r = mcpctl("tools", "list", "--stdio", DEMO, "-o", "ndjson")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == len(DEMO_TOOLS)
    tools = [json.loads(line) for line in lines]
    assert [t["name"] for t in tools] == DEMO_TOOLS
    assert all("inputSchema" in t and t["server"] == "mcpctl.demo" for t in tools)
    assert r.stderr == ""


def test_every_enabled_server_is_listed_concurrently(tmp_path: Path) -> None:
    # Two servers that each sleep 4 s before serving: one after the other could not take less than 8 s.
    slow = stdio_server(faulty("slow-start", "4"))
    profile = write_profile(tmp_path / "mcpctl.toml", {"one": slow, "two": slow})
    r = mcpctl("tools", "list", "--profile", str(profile), timeout=60)
    assert r.exit_code == 0, r.stderr
    assert r.elapsed < 8
    assert [(row[0], row[1]) for row in rows(r.stdout)] == [("one", "echo"), ("two", "echo")]
    assert r.stderr == ""


def test_a_two_server_profile_lists_the_tools_of_both_in_profile_order(tmp_path: Path) -> None:
    profile = write_profile(tmp_path / "mcpctl.toml", {"a": stdio_server(DEMO), "b": stdio_server(faulty("legacy"))})
    r = mcpctl("tools", "list", "--profile", str(profile), "-o", "json")
    assert r.exit_code == 0, r.stderr
    names = [(t["server"], t["name"]) for t in json.loads(r.stdout)]
    assert names == [("a", n) for n in DEMO_TOOLS] + [("b", "echo"), ("b", "add")]
    assert r.stderr == ""


def test_a_broken_server_is_reported_on_stderr_after_the_healthy_rows(tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path / "mcpctl.toml",
        {"good": stdio_server(DEMO), "broken": stdio_server(faulty("crash-at-start"), startup_timeout_sec=5)},
        defaults={"retries": 0},
    )
    r = mcpctl("tools", "list", "--profile", str(profile), timeout=30)
    assert r.exit_code == 3
    assert [row[1] for row in rows(r.stdout)] == DEMO_TOOLS
    assert {row[0] for row in rows(r.stdout)} == {"good"}
    assert "mcpctl: error: " in r.stderr
    assert "fatal: config missing" in r.stderr
    assert "broken" not in r.stdout


def test_a_broken_server_with_json_output_keeps_stdout_valid(tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path / "mcpctl.toml",
        {"good": stdio_server(DEMO), "broken": stdio_server(faulty("crash-at-start"))},
        defaults={"retries": 0},
    )
    r = mcpctl("tools", "list", "--profile", str(profile), "-o", "json", timeout=30)
    assert r.exit_code == 3
    assert {t["server"] for t in json.loads(r.stdout)} == {"good"}
    errors = [json.loads(line) for line in r.stderr.splitlines()]
    assert len(errors) == 1
    assert errors[0]["error"]["server"] == "broken"
    assert errors[0]["error"]["exit_code"] == 3


def test_with_several_servers_the_error_line_names_the_server_it_came_from(tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path / "mcpctl.toml",
        {"good": stdio_server(DEMO), "broken": stdio_server(faulty("crash-at-start"))},
        defaults={"retries": 0},
    )
    r = mcpctl("tools", "list", "--profile", str(profile), timeout=30)
    assert r.exit_code == 3
    error = next(line for line in r.stderr.splitlines() if line.startswith("mcpctl: error: "))
    assert error.startswith("mcpctl: error: broken: the server closed the connection"), r.stderr


def test_disabled_and_enabled_tools_filter_the_list(tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path / "mcpctl.toml",
        {
            "most": stdio_server(DEMO, disabled_tools=["fail", "slow"]),
            "few": stdio_server(DEMO, enabled_tools=["echo", "add"]),
        },
    )
    r = mcpctl("tools", "list", "--profile", str(profile))
    assert r.exit_code == 0, r.stderr
    listed = [(row[0], row[1]) for row in rows(r.stdout)]
    assert listed == [("most", n) for n in DEMO_TOOLS if n not in ("fail", "slow")] + [("few", "echo"), ("few", "add")]
    assert r.stderr == ""


def test_calling_a_disabled_tool_is_exit_2(tmp_path: Path) -> None:
    profile = write_profile(tmp_path / "mcpctl.toml", {"most": stdio_server(DEMO, disabled_tools=["fail"])})
    r = mcpctl("call", "--profile", str(profile), "most.fail")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert "disabled" in r.stderr
    assert "'fail'" in r.stderr


def test_lists_follow_next_cursor_to_the_end() -> None:
    r = mcpctl("tools", "list", "--stdio", faulty("paged"), "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert [t["name"] for t in json.loads(r.stdout)] == ["t1", "t2", "t3", "t4", "t5"]
    assert r.stderr == ""


def test_a_repeating_cursor_ends_with_a_warning() -> None:
    r = mcpctl("tools", "list", "--stdio", faulty("paged", "repeat"), timeout=30)
    assert r.elapsed < 15
    assert r.exit_code == 0, r.stderr
    names = [row[1] for row in rows(r.stdout)]
    assert names[:2] == ["t1", "t2"]
    assert "warning" in r.stderr
    assert "cursor" in r.stderr


def test_show_prints_the_schemas_and_annotations(tmp_path: Path) -> None:
    profile = write_profile(tmp_path / "mcpctl.toml", {"demo": stdio_server(DEMO)})
    r = mcpctl("tools", "show", "--profile", str(profile), "demo.weather")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("demo.weather")
    assert "city: string (required)" in r.stdout
    assert "inputSchema:" in r.stdout
    assert "outputSchema:" in r.stdout
    assert '"temperature"' in r.stdout
    assert "annotations:" in r.stdout
    assert "readOnlyHint: true" in r.stdout
    assert r.stderr == ""


def test_show_json_keeps_the_wire_spelling(tmp_path: Path) -> None:
    profile = write_profile(tmp_path / "mcpctl.toml", {"demo": stdio_server(DEMO)})
    r = mcpctl("tools", "show", "--profile", str(profile), "demo.weather", "-o", "json")
    assert r.exit_code == 0, r.stderr
    tool = json.loads(r.stdout)
    assert tool["server"] == "demo"
    assert tool["name"] == "weather"
    assert tool["inputSchema"]["required"] == ["city"]
    assert tool["outputSchema"]["properties"]["units"]["enum"] == ["metric", "imperial"]
    assert tool["annotations"] == {
        "readOnlyHint": True,
        "destructiveHint": False,
        "idempotentHint": True,
        "openWorldHint": False,
    }
    assert not {"input_schema", "output_schema"} & set(tool)
    assert r.stderr == ""


def test_show_unknown_tool_is_exit_2(tmp_path: Path) -> None:
    profile = write_profile(tmp_path / "mcpctl.toml", {"demo": stdio_server(DEMO)})
    r = mcpctl("tools", "show", "--profile", str(profile), "demo.wether")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert "unknown tool 'wether'" in r.stderr
    assert "weather" in r.stderr
