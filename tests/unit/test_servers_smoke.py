"""The test servers themselves work (checked with the MCP SDK client directly, not with mcpctl)."""

from __future__ import annotations

import base64
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
from conftest import DEMO_CMD, GOOD_TOKEN, faulty_cmd, pids_alive, read_pids, wait_pids_gone
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextContent

pytestmark = pytest.mark.anyio

DEMO_TOOLS = {"echo", "add", "weather", "image", "fail", "slow", "count"}


def params(cmd: list[str], **env: str) -> StdioServerParameters:
    """Stdio parameters for ``cmd``; the SDK passes only an allow-list of variables, so forward PYTHONPATH."""
    env.setdefault("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    return StdioServerParameters(command=cmd[0], args=cmd[1:], env=env, encoding_error_handler="replace")


def leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in leaves(sub)]
    return [exc]


def text_of(result: Any) -> str:
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


# --- demo ---------------------------------------------------------------------------------------------------------


async def test_demo_stdio_lists_tools_and_echoes() -> None:
    async with Client(params(DEMO_CMD), read_timeout_seconds=20) as client:
        assert client.server_info is not None and client.server_info.name == "mcpctl-demo"
        assert client.server_info.version == "1.0.0"
        assert client.instructions
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == DEMO_TOOLS
        assert tools["echo"].annotations is not None and tools["echo"].annotations.read_only_hint is True
        assert tools["weather"].output_schema is not None
        assert set(tools["weather"].output_schema["properties"]) == {"city", "temperature", "units", "conditions"}
        result = await client.call_tool("echo", {"message": "héllo"})
        assert text_of(result) == "héllo" and not result.is_error


async def test_demo_streamable_http(demo_http_url: str) -> None:
    async with Client(demo_http_url) as client:
        assert {t.name for t in (await client.list_tools()).tools} == DEMO_TOOLS
        add = await client.call_tool("add", {"a": 2, "b": 3})
        assert add.structured_content == {"result": 5}
        weather = await client.call_tool("weather", {"city": "Paris", "units": "imperial"})
        assert weather.structured_content is not None and weather.structured_content["units"] == "imperial"
        assert weather == await client.call_tool("weather", {"city": "Paris", "units": "imperial"})  # deterministic
        image = await client.call_tool("image", {"color": "#00ff00", "size": 4})
        assert image.content[0].type == "image" and image.content[0].mime_type == "image/png"
        assert base64.b64decode(image.content[0].data).startswith(b"\x89PNG\r\n\x1a\n")
        failed = await client.call_tool("fail", {"message": "nope"})
        assert failed.is_error and "nope" in text_of(failed)


async def test_demo_sse(demo_sse_url: str) -> None:
    async with Client(sse_client(demo_sse_url)) as client:
        assert text_of(await client.call_tool("echo", {"message": "over sse"})) == "over sse"


async def test_demo_in_memory_resources_prompts_progress() -> None:
    from mcpctl.demo import build_server

    seen: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total))

    async with Client(build_server()) as client:
        readme = await client.read_resource("demo://readme")
        assert "mcpctl" in readme.contents[0].text  # type: ignore[union-attr]
        templates = (await client.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["greet://{name}"]
        greeting = await client.read_resource("greet://bob")
        assert greeting.contents[0].text == "Hello, bob!"  # type: ignore[union-attr]
        prompt = await client.get_prompt("review", {"code": "x = 1"})
        assert "x = 1" in prompt.messages[0].content.text  # type: ignore[union-attr]
        counted = await client.call_tool("count", {"n": 3}, progress_callback=on_progress)
        assert text_of(counted) == "1\n2\n3" and counted.structured_content == {"result": [1, 2, 3]}
        assert seen == [(1, 3), (2, 3), (3, 3)]
        assert text_of(await client.call_tool("slow", {"seconds": 0.01})) == "done after 0.01s"


# --- faulty -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("arg", [None, "repeat"])
async def test_faulty_paged(arg: str | None) -> None:
    async with Client(params(faulty_cmd("paged", arg)), read_timeout_seconds=20) as client:
        pages, cursor = [], None
        for _ in range(4):
            page = await client.list_tools(cursor=cursor)
            pages.append(([t.name for t in page.tools], page.next_cursor))
            cursor = page.next_cursor
            if cursor is None:
                break
    if arg is None:
        assert [names for names, _ in pages] == [["t1", "t2"], ["t3", "t4"], ["t5"]]
    else:  # broken pagination: the cursor never changes and never ends
        assert len(pages) == 4 and len({c for _, c in pages}) == 1


async def test_faulty_legacy_negotiates_handshake_era() -> None:
    async with Client(params(faulty_cmd("legacy")), read_timeout_seconds=20) as client:  # mode="auto"
        assert client.protocol_version == "2025-06-18"
        assert {t.name for t in (await client.list_tools()).tools} == {"echo", "add"}
        assert (await client.call_tool("add", {"a": 2, "b": 40})).structured_content == {"result": 42}


async def test_faulty_jsonrpc_error() -> None:
    async with Client(params(faulty_cmd("jsonrpc-error")), read_timeout_seconds=20) as client:
        with pytest.raises(MCPError) as info:
            await client.call_tool("rpcfail", {})
        assert (info.value.code, info.value.message, info.value.data) == (-32099, "custom failure", {"why": "because"})
        assert text_of(await client.call_tool("echo", {"message": "still up"})) == "still up"


async def test_faulty_bad_structured_fails_client_validation() -> None:
    async with Client(params(faulty_cmd("bad-structured")), read_timeout_seconds=20) as client:
        await client.list_tools()
        with pytest.raises(RuntimeError, match="Invalid structured content"):
            await client.call_tool("liar", {})


async def test_faulty_crash_at_start() -> None:
    with tempfile.TemporaryFile("w+") as errlog:
        with pytest.raises(BaseExceptionGroup) as info:
            async with Client(stdio_client(params(faulty_cmd("crash-at-start")), errlog=errlog)):
                pass
        errlog.seek(0)
        assert "fatal: config missing" in errlog.read()
    assert any(isinstance(e, MCPError) and e.code == -32000 for e in leaves(info.value))


async def test_faulty_big_and_bad_utf8() -> None:
    async with Client(params(faulty_cmd("big")), read_timeout_seconds=20) as client:
        assert len(text_of(await client.call_tool("big", {"mb": 1}))) == 1024 * 1024
    async with Client(params(faulty_cmd("bad-utf8")), read_timeout_seconds=20) as client:
        assert "\ufffd" in text_of(await client.call_tool("badbytes", {}))  # with encoding_error_handler="replace"


async def test_faulty_grandchild_is_orphaned(pidfile: Path) -> None:
    async with Client(params(faulty_cmd("grandchild"), FAULTY_PIDFILE=str(pidfile)), read_timeout_seconds=20) as c:
        assert text_of(await c.call_tool("echo", {"message": "x"})) == "x"
    server_pid, grandchild_pid = read_pids(pidfile)
    assert wait_pids_gone([server_pid]) == []
    assert pids_alive([grandchild_pid]) == [grandchild_pid]  # the fault; the pidfile fixture kills it


# --- http_auth ----------------------------------------------------------------------------------------------------


async def _statuses(url: str, headers: dict[str, str] | None = None) -> tuple[list[int], list[str], list[str]]:
    """Connect (legacy mode, one request) and return HTTP statuses, WWW-Authenticate headers and error texts."""
    codes: list[int] = []
    challenges: list[str] = []

    async def hook(response: httpx2.Response) -> None:
        codes.append(response.status_code)
        if "www-authenticate" in response.headers:
            challenges.append(response.headers["www-authenticate"])

    errors: list[str] = []
    async with httpx2.AsyncClient(headers=headers, event_hooks={"response": [hook]}, timeout=10) as http:
        try:
            async with Client(streamable_http_client(url, http_client=http), mode="legacy") as client:
                await client.list_tools()
        except BaseExceptionGroup as group:
            errors = [str(e) for e in leaves(group)]
    return codes, challenges, errors


async def test_auth_gate(auth_http_url: str) -> None:
    codes, challenges, errors = await _statuses(auth_http_url)
    assert codes[0] == 401 and errors
    assert challenges[0] == 'Bearer realm="mcpctl-test", error="invalid_token"'

    codes, challenges, _ = await _statuses(auth_http_url, {"Authorization": "Bearer forbidden"})
    assert codes[0] == 403 and challenges[0] == 'Bearer error="insufficient_scope", scope="admin"'

    codes, _, errors = await _statuses(auth_http_url, {"Authorization": f"Bearer {GOOD_TOKEN}"})
    assert errors == [] and set(codes) <= {200, 202, 204}


@pytest.mark.parametrize("status", [404, 500])
async def test_status_app(status_http_url: Callable[[int], str], status: int) -> None:
    codes, _, errors = await _statuses(status_http_url(status))
    assert codes[0] == status and errors


def test_faulty_cli_rejects_unknown_fault() -> None:
    proc = subprocess.run(faulty_cmd("no-such-fault"), capture_output=True, text=True, timeout=20)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
