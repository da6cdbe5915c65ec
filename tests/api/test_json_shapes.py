"""Results serialise to what the command line prints with ``-o json``: the same keys, the same wire ``result``.

Each test makes the same request through the in-process command line and through the API (its synchronous
facade) against the same profile server, and compares.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli.runner import mcpctl as cli
from conftest import DEMO, stdio_server, write_profile

import mcpctl


@pytest.fixture
def profile(tmp_path: Path) -> str:
    return str(write_profile(tmp_path / "mcpctl.toml", {"demo": stdio_server(DEMO)}))


def cli_json(profile: str, *args: str, code: int = 0) -> object:
    run = cli(*args, "--profile", profile, "-o", "json")
    assert run.exit_code == code, run
    return json.loads(run.stdout)


@pytest.mark.parametrize(
    ("tool", "items", "arguments"),
    [
        ("demo.add", ["a=2", "b=3"], {"a": 2, "b": 3}),
        ("demo.weather", ["city=Oslo", "units=imperial"], {"city": "Oslo", "units": "imperial"}),
        ("demo.image", ["color=blue", "size=2"], {"color": "blue", "size": 2}),
    ],
    ids=["structured", "model", "image"],
)
def test_tool_result_json_is_call_dash_o_json(
    profile: str, tool: str, items: list[str], arguments: dict[str, object]
) -> None:
    expected = cli_json(profile, "call", tool, *items)
    with mcpctl.Toolkit.open("demo", profile=profile) as tk:
        got = tk.call(tool, arguments).to_json()
    assert isinstance(expected, dict)
    assert list(got) == list(expected)  # same keys, same order
    assert {k: v for k, v in got.items() if k != "duration_ms"} == {
        k: v for k, v in expected.items() if k != "duration_ms"
    }
    assert isinstance(got["duration_ms"], float) and got["duration_ms"] >= 0


def test_an_error_result_and_tool_failed_serialise_as_the_command_line_prints_them(profile: str) -> None:
    run = cli("call", "demo.fail", "message=broken", "--profile", profile, "-o", "json")
    assert run.exit_code == 1, run
    expected, (error_line,) = json.loads(run.stdout), run.stderr.splitlines()
    with mcpctl.Toolkit.open("demo", profile=profile) as tk:
        result = tk.call("demo.fail", message="broken", raise_on_error=False)
        with pytest.raises(mcpctl.ToolFailed) as caught:
            tk.call("demo.fail", message="broken")
    got = result.to_json()
    assert got["result"] == expected["result"] and got["result"]["isError"] is True
    assert set(got) == set(expected)
    assert caught.value.to_json() == json.loads(error_line)
    assert caught.value.exit_code == 1 and caught.value.type == "tool_error"
    assert caught.value.result.to_json()["result"] == expected["result"]


def test_tool_json_is_a_tools_list_item(profile: str) -> None:
    expected = cli_json(profile, "tools", "list")
    with mcpctl.Toolkit.open("demo", profile=profile) as tk:
        tools = tk.list_tools()
    assert [t.to_json() for t in tools] == expected
    first = tools[0]
    assert first.to_json()["inputSchema"] == first.input_schema
    assert first.to_json()["name"] == first.name and first.server == "demo"


def test_resource_and_prompt_listings_and_answers_are_the_command_lines(profile: str) -> None:
    resources = cli_json(profile, "resources", "list")
    templates = cli_json(profile, "resources", "templates")
    prompts = cli_json(profile, "prompts", "list")
    read = cli_json(profile, "resources", "read", "demo", "demo://readme")
    prompt = cli_json(profile, "prompts", "get", "demo.review", "code=x = 1")
    with mcpctl.Toolkit.open("demo", profile=profile) as tk:
        assert tk.list_resources() == resources
        assert tk.list_resource_templates() == templates
        assert tk.list_prompts() == prompts
        assert isinstance(read, dict) and tk.read_resource("demo", "demo://readme") == read["result"]
        assert isinstance(prompt, dict) and tk.get_prompt("demo.review", code="x = 1") == prompt["result"]


def test_health_and_status_json_shapes(profile: str) -> None:
    (pinged,) = cli_json(profile, "ping", "demo")  # type: ignore[misc]
    with mcpctl.Toolkit.open("demo", profile=profile) as tk:
        before = tk.status()["demo"].to_json()
        health = tk.ping()["demo"]
        after = tk.status()["demo"].to_json()
    assert list(health.to_json()) == ["ok", "rtt_ms", "protocolVersion", "reason"]
    # What ping -o json and Health share means the same thing (ping adds connect_ms, a min/median/max rtt...).
    assert health.to_json()["ok"] is pinged["ok"] is True
    assert health.to_json()["protocolVersion"] == pinged["protocolVersion"]
    assert isinstance(health.rtt_ms, float) and health.rtt_ms > 0
    keys = [
        "state",
        "protocolVersion",
        "transport",
        "tools",
        "calls",
        "failures",
        "reconnects",
        "circuit",
        "last_error",
    ]
    assert list(before) == keys
    assert before == {
        "state": "disconnected",
        "protocolVersion": None,
        "transport": "stdio",
        "tools": None,
        "calls": 0,
        "failures": 0,
        "reconnects": 0,
        "circuit": "closed",
        "last_error": None,
    }
    assert after["state"] == "connected" and after["protocolVersion"] == pinged["protocolVersion"]
    json.dumps([before, after, health.to_json()])  # plain JSON all the way down
