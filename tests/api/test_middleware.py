"""Middleware: the first ``use``d is the outermost; a middleware may rewrite ``call.arguments``, answer without
calling ``call_next`` (short-circuit) or call it twice (retry).

The unit tests need no server: the innermost middleware plays the server, so the toolkit (whose sessions open
lazily) never starts one; one test runs the chain against the real demo server.
"""

from __future__ import annotations

from typing import Any

import pytest

import mcpctl
from api.helpers import Wire, assert_none_left, demo

pytestmark = pytest.mark.anyio

ECHO = mcpctl.Tool(
    "demo",
    "echo",
    "Echo",
    None,
    {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]},
    None,
    {"readOnlyHint": True},
)


def answer(text: str, *, is_error: bool = False) -> mcpctl.ToolResult:
    return mcpctl.ToolResult("demo", "echo", {"content": [{"type": "text", "text": text}], "isError": is_error})


def fake_server(seen: list[dict[str, Any]], *replies: mcpctl.ToolResult) -> mcpctl.Middleware:
    """An innermost middleware that answers in place of the server (the replies in turn, then the last)."""

    async def server(call: mcpctl.ToolCall, call_next: mcpctl.CallNext) -> mcpctl.ToolResult:
        seen.append(dict(call.arguments))
        return replies[min(len(seen), len(replies)) - 1]

    return server


async def test_first_used_is_outermost_and_each_sees_the_call(marker: str) -> None:
    log: list[str] = []

    def layer(name: str) -> mcpctl.Middleware:
        async def middleware(call: mcpctl.ToolCall, call_next: mcpctl.CallNext) -> mcpctl.ToolResult:
            log.append(f"{name} in {call.qualified} {call.arguments}")
            result = await call_next(call)
            log.append(f"{name} out {result.text}")
            return result

        return middleware

    seen: list[dict[str, Any]] = []
    async with mcpctl.connect(demo()) as tk:
        for name in ("outer", "middle", "inner"):
            assert tk.use(layer(name)) is not None
        tk.use(fake_server(seen, answer("pong")))
        result = await tk.call_tool(ECHO, {"message": "ping"})
        assert result.text == "pong"
        assert tk.status()["demo"].state == "disconnected"  # no session was needed
    assert log == [
        "outer in demo.echo {'message': 'ping'}",
        "middle in demo.echo {'message': 'ping'}",
        "inner in demo.echo {'message': 'ping'}",
        "inner out pong",
        "middle out pong",
        "outer out pong",
    ]
    assert seen == [{"message": "ping"}]
    assert_none_left(marker, timeout=0)


async def test_use_works_as_a_decorator_and_returns_the_middleware() -> None:
    async with mcpctl.connect(demo()) as tk:

        @tk.use
        async def short(call: mcpctl.ToolCall, call_next: mcpctl.CallNext) -> mcpctl.ToolResult:
            return answer("decorated")

        assert callable(short)
        assert (await tk.call_tool(ECHO, {"message": "x"})).text == "decorated"


async def test_a_middleware_may_rewrite_the_arguments() -> None:
    async def shout(call: mcpctl.ToolCall, call_next: mcpctl.CallNext) -> mcpctl.ToolResult:
        call.arguments = {**call.arguments, "message": str(call.arguments["message"]).upper()}
        return await call_next(call)

    seen: list[dict[str, Any]] = []
    async with mcpctl.connect(demo()) as tk:
        tk.use(shout)
        tk.use(fake_server(seen, answer("ok")))
        await tk.call_tool(ECHO, {"message": "quiet"})
    assert seen == [{"message": "QUIET"}]


async def test_a_middleware_may_answer_without_calling_the_server(marker: str) -> None:
    cache = {"hi": answer("cached hi")}

    async def cached(call: mcpctl.ToolCall, call_next: mcpctl.CallNext) -> mcpctl.ToolResult:
        hit = cache.get(str(call.arguments.get("message")))
        return hit if hit is not None else await call_next(call)

    seen: list[dict[str, Any]] = []
    async with mcpctl.connect(demo()) as tk:
        tk.use(cached)
        tk.use(fake_server(seen, answer("fresh")))
        assert (await tk.call_tool(ECHO, {"message": "hi"})).text == "cached hi"
        assert (await tk.call_tool(ECHO, {"message": "other"})).text == "fresh"
        assert tk.status()["demo"].calls == 0
    assert seen == [{"message": "other"}]
    assert_none_left(marker, timeout=0)


async def test_a_middleware_may_call_next_twice_to_retry() -> None:
    async def retry_once(call: mcpctl.ToolCall, call_next: mcpctl.CallNext) -> mcpctl.ToolResult:
        result = await call_next(call)
        return await call_next(call) if result.is_error else result

    seen: list[dict[str, Any]] = []
    async with mcpctl.connect(demo()) as tk:
        tk.use(retry_once)
        tk.use(fake_server(seen, answer("busy", is_error=True), answer("done")))
        result = await tk.call_tool(ECHO, {"message": "m"})
    assert result.text == "done"
    assert seen == [{"message": "m"}, {"message": "m"}]


async def test_an_error_result_from_a_middleware_still_raises_tool_failed_unless_asked_not_to() -> None:
    failure = answer("nope", is_error=True)
    async with mcpctl.connect(demo()) as tk:
        tk.use(fake_server([], failure))
        with pytest.raises(mcpctl.ToolFailed) as caught:
            await tk.call_tool(ECHO, {"message": "m"})
        assert caught.value.result is failure
        assert caught.value.exit_code == 1
        assert await tk.call_tool(ECHO, {"message": "m"}, raise_on_error=False) is failure


async def test_arguments_are_validated_before_any_middleware_runs() -> None:
    seen: list[dict[str, Any]] = []
    async with mcpctl.connect(demo()) as tk:
        tk.use(fake_server(seen, answer("unreachable")))
        with pytest.raises(mcpctl.UsageError, match="message"):
            await tk.call_tool(ECHO, {"message": 5})
        with pytest.raises(mcpctl.UsageError, match="message"):
            await tk.call_tool(ECHO, {})
    assert seen == []


async def test_middleware_around_the_real_server_sees_rewrites_and_results(wire: Wire) -> None:
    log: list[tuple[str, Any]] = []

    async def trace(call: mcpctl.ToolCall, call_next: mcpctl.CallNext) -> mcpctl.ToolResult:
        log.append(("->", (call.server, call.tool, call.qualified, dict(call.arguments))))
        result = await call_next(call)
        log.append(("<-", (result.server, result.tool, result.text, result.is_error)))
        return result

    async def prefix(call: mcpctl.ToolCall, call_next: mcpctl.CallNext) -> mcpctl.ToolResult:
        call.arguments["message"] = "re:" + str(call.arguments["message"])
        return await call_next(call)

    async with mcpctl.connect(demo(), options=wire.options) as tk:
        tk.use(trace)
        tk.use(prefix)
        result = await tk.call("echo", message="hi")
        assert result.text == "re:hi"
        failed = await tk.call("demo.fail", message="bad", raise_on_error=False)
    assert log == [
        ("->", ("demo", "echo", "demo.echo", {"message": "hi"})),
        ("<-", ("demo", "echo", "re:hi", False)),
        ("->", ("demo", "fail", "demo.fail", {"message": "bad"})),
        ("<-", ("demo", "fail", "Error executing tool fail: re:bad", True)),
    ]
    assert failed.is_error
    assert wire.sent().count("tools/call") == 2
