"""The tool registry across servers: ``SERVER.TOOL`` names, bare-name lookup, concurrent listing."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from mcpctl.core.errors import McpctlError, ProtocolError, UnknownTool, UsageError
from mcpctl.core.profile import Profile
from mcpctl.ops.fanout import gather
from mcpctl.sessions.options import SessionOptions
from mcpctl.sessions.session import Session, open_session
from mcpctl.sessions.targets import Target

if TYPE_CHECKING:
    from mcp.types import Tool

T = TypeVar("T")


@dataclass(frozen=True)
class ToolRef:
    """What the user named: a server (or None for a bare name) and a tool."""

    server: str | None
    tool: str

    def __str__(self) -> str:
        return f"{self.server}.{self.tool}" if self.server else self.tool


def parse_tool_ref(text: str, profile: Profile | None, adhoc: bool) -> ToolRef:
    """``SERVER.TOOL`` (SERVER a profile name), or a bare ``TOOL`` (always bare with --url/--stdio)."""
    if not text:
        raise UsageError("name a tool: SERVER.TOOL, or TOOL")
    if adhoc:
        return ToolRef(None, text)
    server, dot, tool = text.partition(".")
    if dot and profile is not None and server in profile.servers:
        if not tool:
            raise UsageError(f"'{text}': no tool name after the dot", hint="write SERVER.TOOL")
        return ToolRef(server, tool)
    if dot and profile is not None and server and not profile.servers:
        raise UsageError(f"unknown server '{server}' in '{text}': the profile has no servers")
    return ToolRef(None, text)


Lister = Callable[[Session], Awaitable[list[Any]]]


def lister(method: str, field: str, capability: str) -> Lister:
    """A lister for ``resources/list``, ``resources/templates/list`` or ``prompts/list``.

    A server that does not advertise the capability has none (not an error).
    """

    async def run(session: Session) -> list[Any]:
        if getattr(session.client.server_capabilities, capability, None) is None:
            return []
        fetch = getattr(session.client, method)
        try:
            return await session.paginate(lambda cursor: fetch(cursor=cursor), field)
        except ProtocolError as error:
            if error.code == -32601:
                return []
            raise

    return run


@dataclass
class Listed:
    """One server's listed items (tools, resources, prompts…), or the error that kept us from listing them."""

    target: Target
    items: list[Any]
    error: McpctlError | None = None


async def for_each_server(
    targets: Sequence[Target], options: SessionOptions, work: Callable[[Session], Awaitable[T]]
) -> list[tuple[Target, T | McpctlError]]:
    """Open a session to every target concurrently and run ``work`` in each; errors are collected."""

    async def one(target: Target) -> tuple[Target, T | McpctlError]:
        try:
            async with open_session(target, options) as session:
                return target, await work(session)
        except McpctlError as error:
            return target, error.with_server(target.name)

    return await gather(targets, one)


async def list_across(
    targets: Sequence[Target], options: SessionOptions, lister: Callable[[Session], Awaitable[list[Any]]]
) -> list[Listed]:
    """Run one list verb on every target concurrently; errors are collected per server."""
    listed = []
    for target, outcome in await for_each_server(targets, options, lister):
        if isinstance(outcome, McpctlError):
            listed.append(Listed(target, [], outcome))
        else:
            listed.append(Listed(target, outcome))
    return listed


async def list_tools(targets: Sequence[Target], options: SessionOptions) -> list[Listed]:
    """Every enabled tool of every target, listed concurrently."""

    async def tools_of(session: Session) -> list[Any]:
        return list(await session.list_tools())

    return await list_across(targets, options, tools_of)


def find_tool(tools: Sequence[Tool], ref: ToolRef, target: Target) -> Tool:
    """The named tool among a server's tools, or exit 2 with close matches."""
    for tool in tools:
        if tool.name == ref.tool:
            return tool
    if not target.tool_enabled(ref.tool):
        raise UsageError(f"tool '{ref.tool}' is disabled for server '{target.name}' in the profile", server=target.name)
    names = [t.name for t in tools]
    raise UnknownTool(
        f"unknown tool '{ref.tool}' on server '{target.name}'",
        hint=_suggest(ref.tool, names, target.name if target.config is not None else None),
        server=target.name,
    )


def pick_bare(ref: ToolRef, listed: Sequence[Listed], kind: str = "tool") -> Target:
    """The one server that offers a bare-named tool (or prompt); exit 2 listing candidates otherwise."""
    owners = [entry.target for entry in listed if any(t.name == ref.tool for t in entry.items)]
    if len(owners) == 1:
        return owners[0]
    if owners:
        candidates = ", ".join(f"{t.name}.{ref.tool}" for t in owners)
        raise UsageError(f"{kind} '{ref.tool}' is ambiguous: {candidates}", hint=f"name it as SERVER.{kind.upper()}")
    failed = [e.error for e in listed if e.error is not None]
    everything = [f"{e.target.name}.{t.name}" for e in listed for t in e.items]
    details = [f"{e.server}: {e.message}" for e in failed]
    if failed and not everything:
        raise failed[0]
    raise UnknownTool(
        f"unknown {kind} '{ref.tool}'" + (" (some servers could not be reached)" if failed else ""),
        hint=_suggest(ref.tool, everything, None, kind),
        details=details,
    )


async def choose_target(
    ref: ToolRef,
    targets: Sequence[Target],
    options: SessionOptions,
    lister: Callable[[Session], Awaitable[list[Any]]] | None = None,
    kind: str = "tool",
) -> Target:
    """The server to use: the named one, the only one, or the one whose list (tools by default) has the bare name."""
    if ref.server is not None:
        return next(t for t in targets if t.name == ref.server)
    if len(targets) == 1:
        return targets[0]
    listed = await (list_tools(targets, options) if lister is None else list_across(targets, options, lister))
    return pick_bare(ref, listed, kind)


def _suggest(name: str, candidates: list[str], server: str | None, kind: str = "tool") -> str:
    close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.5)
    close += [c for c in candidates if c.endswith(f".{name}") and c not in close]
    listing = f"mcpctl {kind}s list {server}" if server else f"mcpctl {kind}s list"
    if close:
        return f"did you mean: {', '.join(close)}? ({listing} shows them all)"
    return f"{listing} shows the available {kind}s"
