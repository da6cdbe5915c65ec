"""Calls end to end: arguments checked before anything is sent, ``isError`` as ``ToolFailed`` or as a result,
prompts and resources, and every failure an ``mcpctl.McpctlError`` with its exit code (no SDK, httpx or anyio
exception escapes).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from conftest import GOOD_TOKEN, free_port

import mcpctl
from api.helpers import PROMPT, SLOW, Wire, demo, faulty_server
from mcpctl.core.errors import ArgumentError

pytestmark = pytest.mark.anyio


# ------------------------------------------------------------------------------------------- validation before sending


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"a": "x", "b": 1}, "argument 'a': expected integer"),
        ({"a": 1}, "b"),
        ({"a": 1.5, "b": 2}, "argument 'a'"),
    ],
    ids=["wrong-type", "missing", "not-an-integer"],
)
async def test_bad_arguments_are_a_usage_error_and_no_tools_call_is_sent(
    wire: Wire, arguments: dict[str, object], message: str
) -> None:
    async with mcpctl.connect(demo(), options=wire.options) as tk:
        with pytest.raises(mcpctl.UsageError, match=message) as caught:
            await tk.call("demo.add", arguments)
        assert caught.value.exit_code == 2
        assert tk.status()["demo"].calls == 0
    assert "tools/list" in wire.sent()  # the schema came from the server...
    assert "tools/call" not in wire.sent()  # ...and nothing was called


async def test_validate_false_sends_what_it_is_given_and_the_server_judges(wire: Wire) -> None:
    async with mcpctl.connect(demo(), validate=False, options=wire.options) as tk:
        result = await tk.call("demo.add", {"a": "x", "b": 1}, raise_on_error=False)
    assert result.is_error
    assert wire.sent().count("tools/call") == 1


async def test_tool_function_validates_too(wire: Wire) -> None:
    async with mcpctl.connect(demo(), options=wire.options) as tk:
        add = tk.tool("add")
        assert "add" in repr(add)
        with pytest.raises(ArgumentError):
            await add(a=1, b="two")
        assert (await add({"a": 1}, b=2)).structured == {"result": 3}
    assert wire.sent().count("tools/call") == 1


# ----------------------------------------------------------------------------------------------- results and errors


async def test_result_fields() -> None:
    async with mcpctl.connect(demo(), timeout=30) as tk:
        r = await tk.call("demo.add", {"a": 2}, b=3)
        assert (r.server, r.tool, r.text, r.structured, r.is_error, r.attempts) == (
            "demo",
            "add",
            "5",
            {"result": 5},
            False,
            1,
        )
        assert r.content == [{"type": "text", "text": "5"}]
        assert r.duration_ms > 0
        image = await tk.call("demo.image", size=1)
        assert image.text == "" and image.content[0]["type"] == "image"


async def test_is_error_raises_tool_failed_carrying_the_result_unless_raise_on_error_is_false() -> None:
    async with mcpctl.connect(demo()) as tk:
        with pytest.raises(mcpctl.ToolFailed) as caught:
            await tk.call("demo.fail", message="disk full")
        error = caught.value
        assert error.exit_code == 1 and error.server == "demo"
        assert error.message == "tool 'fail' reported an error: Error executing tool fail: disk full"
        assert isinstance(error.result, mcpctl.ToolResult) and error.result.is_error
        assert error.result.text == "Error executing tool fail: disk full"
        result = await tk.call("demo.fail", message="disk full", raise_on_error=False)
        assert result.is_error and result.text == error.result.text
        assert await tk.tool("fail")(raise_on_error=False) is not None
        status = tk.status()["demo"]
        assert (status.calls, status.failures, status.last_error) == (3, 3, "tool 'fail' reported an error")


async def test_per_call_timeout_is_mcpctl_timeout_exit_4() -> None:
    async with mcpctl.connect(demo()) as tk:
        await tk.find("slow")
        started = anyio.current_time()
        with pytest.raises(mcpctl.Timeout) as caught:
            await tk.call("demo.slow", seconds=60, timeout=1)
        assert anyio.current_time() - started < PROMPT
        assert caught.value.exit_code == 4 and caught.value.server == "demo"
        assert (await tk.call("echo", message="still fine")).text == "still fine"


def _free_url() -> str:
    return f"http://127.0.0.1:{free_port()}/mcp"


@pytest.mark.parametrize(
    ("server", "call", "error", "code"),
    [
        (lambda: mcpctl.Server.stdio(["/nonexistent/server"], name="s", retries=0), "echo", mcpctl.ConnectError, 3),
        (lambda: faulty_server("crash-at-start", name="s", retries=0), "echo", mcpctl.ConnectError, 3),
        (lambda: mcpctl.Server.http(_free_url(), name="s", retries=0), "echo", mcpctl.ConnectError, 3),
        (lambda: faulty_server("hang-at-start", name="s", retries=0, connect_timeout=1), "echo", mcpctl.Timeout, 4),
        (lambda: faulty_server("jsonrpc-error", name="s"), "rpcfail", mcpctl.ProtocolError, 5),
        (lambda: faulty_server("crash-on-call", name="s", retries=0), "crash", mcpctl.ConnectError, 3),
    ],
    ids=["not-found", "crash-at-start", "http-refused", "hang-at-start", "jsonrpc-error", "crash-on-call"],
)
async def test_failures_are_mcpctl_errors_with_their_exit_code(
    server: Callable[[], mcpctl.Server], call: str, error: type[mcpctl.McpctlError], code: int
) -> None:
    with anyio.fail_after(SLOW):
        async with mcpctl.connect(server()) as tk:
            with pytest.raises(mcpctl.McpctlError) as caught:
                await tk.call(f"s.{call}")
    assert isinstance(caught.value, error), repr(caught.value)
    assert caught.value.exit_code == code
    assert caught.value.server == "s"


async def test_auth_failure_is_auth_error_exit_6_and_the_token_comes_from_the_environment(
    auth_http_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with mcpctl.connect(mcpctl.Server.http(auth_http_url, name="web", retries=0)) as tk:
        with pytest.raises(mcpctl.AuthError) as caught:
            await tk.list_tools()
        assert caught.value.exit_code == 6
    monkeypatch.setenv("WEB_TOKEN", GOOD_TOKEN)
    async with mcpctl.connect(mcpctl.Server.http(auth_http_url, name="web", bearer_token_env_var="WEB_TOKEN")) as tk:
        assert (await tk.call("web.echo", message="over http")).text == "over http"


async def test_sse_server_described_in_code(demo_sse_url: str) -> None:
    async with mcpctl.connect(mcpctl.Server.sse(demo_sse_url, name="old")) as tk:
        assert (await tk.call("echo", message="over sse")).server == "old"
        assert tk.status()["old"].transport == "sse"


# ----------------------------------------------------------------------------------------- prompts and resources


async def test_prompt_missing_a_required_argument_is_a_usage_error_before_prompts_get(wire: Wire) -> None:
    async with mcpctl.connect(demo(), options=wire.options) as tk:
        with pytest.raises(mcpctl.UsageError, match="prompt 'review' needs argument: code") as caught:
            await tk.get_prompt("demo.review", language="go")
        assert caught.value.exit_code == 2
        with pytest.raises(mcpctl.UsageError, match="has no argument: colour"):
            await tk.get_prompt("review", code="x", colour="red")
        assert "prompts/get" not in wire.sent()
        rendered = await tk.get_prompt("review", code="fmt.Println()", language="go")
    assert wire.sent().count("prompts/get") == 1
    assert "```go\nfmt.Println()\n```" in rendered["messages"][0]["content"]["text"]


async def test_unknown_and_ambiguous_prompts() -> None:
    async with mcpctl.connect(demo(), demo("other")) as tk:
        with pytest.raises(mcpctl.UsageError, match=r"prompt 'review' is ambiguous: demo\.review, other\.review"):
            await tk.get_prompt("review", code="x")
        with pytest.raises(mcpctl.UsageError, match="unknown prompt 'nope'"):
            await tk.get_prompt("demo.nope")
        assert "review" in (await tk.get_prompt("other.review", code="x"))["description"].lower()


async def test_resources_are_listed_and_read() -> None:
    async with mcpctl.connect(demo()) as tk:
        (readme,) = await tk.list_resources()
        assert (readme["server"], readme["uri"]) == ("demo", "demo://readme")
        (template,) = await tk.list_resource_templates("demo")
        assert template["uriTemplate"] == "greet://{name}"
        read = await tk.read_resource("demo", "demo://readme")
        assert read["contents"][0]["text"].startswith("# mcpctl demo server")
        greeting = await tk.read_resource("demo", "greet://ada")
        assert greeting["contents"][0]["text"] == "Hello, ada!"
        with pytest.raises(mcpctl.ProtocolError, match="demo://nope"):
            await tk.read_resource("demo", "demo://nope")
        with pytest.raises(mcpctl.UsageError, match="unknown server 'nope'"):
            await tk.read_resource("nope", "demo://readme")


async def test_servers_from_a_profile_file_and_from_code_together(two_servers: Path) -> None:
    async with mcpctl.connect("files", demo("code"), profile=str(two_servers)) as tk:
        assert tk.servers == ["files", "code"]
        assert (await tk.call("files.echo", message="a")).server == "files"
        assert (await tk.call("add", a=1, b=2)).server == "code"
    with pytest.raises(mcpctl.UsageError, match="two servers are called 'demo'"):
        async with mcpctl.connect("demo", demo(), profile=str(two_servers)):
            pass


async def test_a_name_missing_from_the_profile_is_a_usage_error(two_servers: Path) -> None:
    with pytest.raises(mcpctl.UsageError, match="nope"):
        async with mcpctl.connect("nope", profile=str(two_servers)):
            pass


async def test_server_descriptions_are_checked() -> None:
    with pytest.raises(mcpctl.UsageError):
        mcpctl.Server.stdio("")
    with pytest.raises(mcpctl.UsageError, match="bad URL"):
        mcpctl.Server.http("ftp://example.test/mcp")
    assert mcpctl.Server.stdio(f"{sys.executable} -m mcpctl.demo").name == "mcpctl-demo"
    assert mcpctl.Server.http("https://example.test/mcp").name == "example-test"
    assert mcpctl.Server.stdio(["x"], name="a.b").name == "a-b"
