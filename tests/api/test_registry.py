"""The toolkit's registry: ``SERVER.TOOL`` always names a tool, a bare name must be unique, and a name that names
nothing says what was meant and which servers could not be asked.

First the lookup rules on their own (``find_tool``, ``pick_bare``: no servers), then the same rules end to end
against two real servers that both have ``echo``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEMO, stdio_server, write_profile

import mcpctl
from api.helpers import Wire, demo, faulty_server
from mcpctl.core.errors import ConnectError, UnknownTool
from mcpctl.ops.registry import Listed, ToolRef, find_tool, pick_bare
from mcpctl.sessions.targets import Target


def tool(server: str, name: str) -> mcpctl.Tool:
    return mcpctl.Tool(server, name, None, None, {"type": "object"}, None, None)


def target(name: str) -> Target:
    return Target(name=name, transport="stdio")


def listed(server: str, *names: str) -> Listed:
    return Listed(target(server), [tool(server, n) for n in names])


def down(server: str = "down") -> Listed:
    return Listed(target(server), [], ConnectError("command not found: nope").with_server(server))


DEMO_TOOLS = listed("demo", "echo", "add", "weather")
FILES_TOOLS = listed("files", "echo", "read_file", "write_file")


def bare(name: str, *servers: Listed) -> str:
    """The server a bare name resolves to."""
    return pick_bare(ToolRef(None, name), servers).name


# ------------------------------------------------------------------------------------------------ the rules, unit


def test_a_qualified_name_finds_the_tool_of_that_name_on_that_server() -> None:
    assert find_tool(DEMO_TOOLS.items, ToolRef("demo", "add"), target("demo")) is DEMO_TOOLS.items[1]


def test_an_unknown_name_on_a_server_is_unknown_tool_suggesting_close_names() -> None:
    with pytest.raises(UnknownTool) as caught:
        find_tool(DEMO_TOOLS.items, ToolRef("demo", "ech"), target("demo"))
    error = caught.value
    assert error.message == "unknown tool 'ech' on server 'demo'"
    assert error.hint is not None and "did you mean: echo?" in error.hint
    assert error.server == "demo"
    assert error.exit_code == 2
    assert isinstance(error, mcpctl.UsageError)


def test_a_name_like_nothing_suggests_nothing() -> None:
    with pytest.raises(UnknownTool) as caught:
        find_tool(DEMO_TOOLS.items, ToolRef("demo", "zzzzzz"), target("demo"))
    assert "did you mean" not in (caught.value.hint or "")


def test_bare_name_offered_by_one_server_is_that_server() -> None:
    assert bare("read_file", DEMO_TOOLS, FILES_TOOLS) == "files"
    assert bare("add", DEMO_TOOLS, FILES_TOOLS) == "demo"


def test_ambiguous_bare_name_is_a_usage_error_listing_every_candidate() -> None:
    with pytest.raises(mcpctl.UsageError) as caught:
        bare("echo", DEMO_TOOLS, FILES_TOOLS)
    error = caught.value
    assert type(error) is mcpctl.UsageError
    assert error.message == "tool 'echo' is ambiguous: demo.echo, files.echo"
    assert error.hint == "name it as SERVER.TOOL"
    assert error.exit_code == 2


def test_ambiguity_lists_candidates_of_three_servers_in_server_order() -> None:
    with pytest.raises(mcpctl.UsageError, match=r"ambiguous: demo\.echo, files\.echo, zeta\.echo$"):
        bare("echo", DEMO_TOOLS, FILES_TOOLS, listed("zeta", "echo"))


def test_a_unique_bare_name_resolves_even_when_another_server_is_unreachable() -> None:
    assert bare("weather", DEMO_TOOLS, down()) == "demo"


def test_an_ambiguous_name_stays_ambiguous_when_another_server_is_unreachable() -> None:
    with pytest.raises(mcpctl.UsageError, match=r"ambiguous: demo\.echo, files\.echo$"):
        bare("echo", DEMO_TOOLS, down(), FILES_TOOLS)


def test_unknown_bare_name_suggests_every_server_offering_a_close_name_qualified() -> None:
    with pytest.raises(UnknownTool) as caught:
        bare("ech", DEMO_TOOLS, FILES_TOOLS)
    error = caught.value
    assert error.message == "unknown tool 'ech'"
    assert error.hint is not None and "did you mean: demo.echo, files.echo?" in error.hint
    assert error.details == []


def test_unknown_bare_name_suggestion_does_not_depend_on_the_server_names_length() -> None:
    """The typo is compared with tool names, not with ``SERVER.TOOL``: a long server name must not hide it."""
    with pytest.raises(UnknownTool) as caught:
        bare("ech", listed("my-company-filesystem", "echo"), listed("x", "echo", "add"))
    assert caught.value.hint is not None
    assert "did you mean: my-company-filesystem.echo, x.echo?" in caught.value.hint


def test_unknown_bare_name_lists_the_servers_that_could_not_be_reached() -> None:
    with pytest.raises(UnknownTool) as caught:
        bare("read_fil", DEMO_TOOLS, down())
    error = caught.value
    assert error.message.startswith("unknown tool 'read_fil'") and "down" in error.message
    assert error.details == ["down: command not found: nope"]
    assert error.exit_code == 2


def test_when_no_server_could_be_asked_the_error_is_theirs_naming_every_one() -> None:
    with pytest.raises(ConnectError) as caught:
        bare("echo", down("a"), down("b"))
    error = caught.value
    assert error.exit_code == 3
    assert "'echo'" in error.message and "a, b" in error.message
    assert error.details == ["a: command not found: nope", "b: command not found: nope"]


def test_tool_objects_say_where_they_come_from_and_how_to_name_them() -> None:
    t = mcpctl.Tool("demo", "echo", "Echo", "Return it.", {"type": "object"}, None, {"readOnlyHint": True})
    assert t.qualified == "demo.echo"
    assert t.read_only and t.repeat_is_safe
    assert not tool("demo", "x").repeat_is_safe


# ------------------------------------------------------------------------------------------- end to end, two servers


@pytest.mark.anyio
async def test_lookup_by_qualified_and_unique_bare_names_across_two_servers(two_servers: Path) -> None:
    async with mcpctl.connect("demo", "files", profile=str(two_servers)) as tk:
        assert tk.servers == ["demo", "files"]
        tools = await tk.list_tools()
        names = {t.qualified for t in tools}
        assert {"demo.echo", "demo.add", "files.echo"} <= names
        assert (await tk.find("add")).qualified == "demo.add"
        assert (await tk.find("files.echo")).server == "files"
        assert (await tk.find("demo.echo")).server == "demo"
        result = await tk.call("files.echo", message="from files")
        assert (result.server, result.tool, result.text) == ("files", "echo", "from files")
        result = await tk.tool("add")(a=2, b=3)
        assert (result.server, result.structured) == ("demo", {"result": 5})


@pytest.mark.anyio
async def test_ambiguous_bare_name_end_to_end_lists_both_and_sends_nothing(two_servers: Path) -> None:
    wire = Wire()
    async with mcpctl.connect(profile=str(two_servers), options=wire.options) as tk:
        with pytest.raises(mcpctl.UsageError) as caught:
            await tk.call("echo", message="x")
        assert caught.value.message == "tool 'echo' is ambiguous: demo.echo, files.echo"
        with pytest.raises(mcpctl.UsageError, match=r"ambiguous: demo\.echo, files\.echo"):
            await tk.tool("echo")(message="x")
    assert "tools/call" not in wire.sent()


@pytest.mark.anyio
async def test_unknown_name_end_to_end_names_the_unreachable_server(tmp_path: Path) -> None:
    async with mcpctl.connect(demo(), faulty_server("crash-at-start", name="broken", retries=0)) as tk:
        with pytest.raises(UnknownTool) as caught:
            await tk.call("ech", message="x")
        error = caught.value
        assert error.message.startswith("unknown tool 'ech'") and "broken" in error.message
        assert len(error.details) == 1 and error.details[0].startswith("broken: ")
        assert error.hint is not None and "demo.echo" in error.hint
        # A tool only the reachable server has is still found by its bare name.
        assert (await tk.call("add", a=1, b=1)).structured == {"result": 2}
        with pytest.raises(ConnectError):
            await tk.list_tools()
        assert {t.server for t in await tk.list_tools(skip_unreachable=True)} == {"demo"}


@pytest.mark.anyio
async def test_unknown_server_or_tool_on_a_named_server(two_servers: Path) -> None:
    async with mcpctl.connect("demo", "files", profile=str(two_servers)) as tk:
        with pytest.raises(UnknownTool, match="unknown tool 'ech' on server 'demo'") as caught:
            await tk.call("demo.ech", message="x")
        assert caught.value.hint is not None and "did you mean: echo?" in caught.value.hint
        with pytest.raises(mcpctl.UsageError, match="unknown server 'nope'"):
            tk.target("nope")


@pytest.mark.anyio
async def test_every_enabled_profile_server_when_none_is_named_and_tool_filters_apply(tmp_path: Path) -> None:
    path = write_profile(
        tmp_path / "p.toml",
        {
            "demo": stdio_server(DEMO, disabled_tools=["fail"]),
            "off": {"command": "no-such-command", "enabled": False},
        },
    )
    async with mcpctl.connect(profile=str(path)) as tk:
        assert tk.servers == ["demo"]
        assert (await tk.call("echo", message="only one")).text == "only one"
        assert "fail" not in {t.name for t in await tk.list_tools()}
        with pytest.raises(mcpctl.UsageError, match="'fail' is disabled for server 'demo'"):
            await tk.call("demo.fail")
