"""Every public name of ``mcpctl`` (``mcpctl.__all__``) used as a typed program would use it.

``test_surface.py`` runs ``mypy --strict`` on this file (the public surface must type-check as documented)
and runs it against the demo server (and it must do what it says). Run by hand::

    python tests/api/typed_usage.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable

import anyio

import mcpctl
from mcpctl import (
    AsyncToolkit,
    AuthError,
    CallNext,
    ConnectError,
    Health,
    McpctlError,
    Middleware,
    ProtocolError,
    Server,
    Status,
    Timeout,
    Tool,
    ToolCall,
    ToolFailed,
    ToolFunction,
    Toolkit,
    ToolResult,
    UsageError,
    __version__,
    connect,
)

DEMO_ARGV = [sys.executable, "-m", "mcpctl.demo"]
#: Servers described in code: two copies of the demo (both have ``echo``), and remote ones never contacted here.
DEMO: Server = Server.stdio(DEMO_ARGV, name="demo", env={"LANG": "C.UTF-8"}, timeout=30.0, retries=1)
FILES: Server = Server.stdio(" ".join(DEMO_ARGV), name="files", connect_timeout=60.0)
WEB: Server = Server.http("https://example.test/mcp", name="web", headers={"X-Team": "a"}, bearer_token_env_var="TOKEN")
LEGACY: Server = Server.sse("https://example.test/sse", name="legacy")


def timing(log: list[str]) -> Middleware:
    """A middleware that notes each call and how long it took."""

    async def middleware(call: ToolCall, call_next: CallNext) -> ToolResult:
        started = time.perf_counter()
        result = await call_next(call)
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.append(f"{call.qualified} {sorted(call.arguments)} error={result.is_error} {elapsed_ms >= 0}")
        return result

    return middleware


def caching() -> Middleware:
    """A middleware that answers repeated calls of read-only tools from memory."""
    cache: dict[tuple[str, str], ToolResult] = {}

    async def middleware(call: ToolCall, call_next: CallNext) -> ToolResult:
        key = (call.qualified, repr(sorted(call.arguments.items())))
        hit = cache.get(key)
        if hit is not None:
            return hit
        result = await call_next(call)
        if not result.is_error:
            cache[key] = result
        return result

    return middleware


def advice(error: McpctlError) -> str:
    """What to tell a person, by error class (each carries the command line's exit code)."""
    if isinstance(error, ToolFailed):
        failed: ToolResult | None = error.result if isinstance(error.result, ToolResult) else None
        return f"the tool failed: {failed.text if failed else error.message}"
    if isinstance(error, UsageError):
        return f"fix the call: {error.message}"
    if isinstance(error, AuthError):
        return "check the token"
    if isinstance(error, Timeout):
        return "try again later, or raise the timeout"
    if isinstance(error, ConnectError):
        return f"is the server running? ({error.type})"
    if isinstance(error, ProtocolError):
        return f"the server answered with an error (exit {error.exit_code})"
    return error.message


def by_server(tools: Iterable[Tool]) -> dict[str, list[str]]:
    """The registry as an agent framework would want it: tool names per server, with their schemas' fields."""
    grouped: dict[str, list[str]] = {}
    for tool in tools:
        fields = sorted((tool.input_schema.get("properties") or {}).keys())
        grouped.setdefault(tool.server, []).append(f"{tool.name}({', '.join(fields)})")
    return grouped


def report(health: dict[str, Health], status: dict[str, Status]) -> list[str]:
    lines = []
    for name, h in health.items():
        s = status[name]
        lines.append(f"{name}: ok={h.ok} protocol={h.protocol == s.protocol} state={s.state} calls={s.calls}")
    return lines


async def explore(tk: AsyncToolkit, log: list[str]) -> list[str]:
    lines: list[str] = []
    tk.use(timing(log))
    tk.use(caching())
    catalogue = by_server(await tk.list_tools())
    lines.append(f"servers: {sorted(catalogue)}")
    echo: ToolFunction = tk.tool("demo.echo")
    first: ToolResult = await echo(message="hi")
    again: ToolResult = await echo({"message": "hi"})
    lines.append(f"echo: {first.text} cached={again is first}")
    total = await tk.call("demo.add", {"a": 2}, b=3)
    lines.append(f"add: {total.structured} attempts={total.attempts} json={sorted(total.to_json())}")
    failed = await tk.call("demo.fail", message="nope", raise_on_error=False)
    lines.append(f"fail: is_error={failed.is_error}")
    for bad in ("echo", "demo.add"):
        try:
            await tk.call(bad, {"a": "x"})
        except McpctlError as error:
            lines.append(f"{bad}: exit {error.exit_code}: {advice(error)}")
    try:
        await tk.call("demo.fail")
    except ToolFailed as error:
        lines.append(advice(error))
    prompt = await tk.get_prompt("demo.review", code="x = 1")
    readme = await tk.read_resource("demo", "demo://readme")
    lines.append(f"prompt: {len(prompt['messages'])} message, readme: {readme['contents'][0]['uri']}")
    lines.extend(report(await tk.ping(), tk.status()))
    return lines


async def run_async(log: list[str]) -> list[str]:
    async with connect(DEMO, FILES, retries=1, timeout=30, retry_unsafe=False) as tk:
        return await explore(tk, log)


def run_sync() -> list[str]:
    with Toolkit.open(DEMO) as tk:
        result: ToolResult = tk.call("demo.echo", message="sync")
        tools: list[Tool] = tk.list_tools()
        return [f"sync: {result.text} {len(tools)} tools {tk.status()['demo'].state}"]


def main() -> int:
    log: list[str] = []
    lines = [f"mcpctl {__version__}: {len(mcpctl.__all__)} public names"]
    lines += anyio.run(run_async, log)
    lines += run_sync()
    lines += [f"remote, not contacted: {WEB.name} {LEGACY.name}", *log]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
