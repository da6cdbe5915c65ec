"""The tool registry across servers: ``SERVER.TOOL`` names, bare-name lookup, concurrent listing."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

import anyio

from mcpctl.core.errors import McpctlError, ProtocolError, TimeoutExpired, UnknownTool, UsageError
from mcpctl.core.profile import Profile
from mcpctl.ops.fanout import gather
from mcpctl.sessions.options import SessionOptions
from mcpctl.sessions.session import Session, open_session
from mcpctl.sessions.targets import Target

T = TypeVar("T")


class Named(Protocol):
    """Anything with a ``name``: an SDK tool or prompt, or the API's ``Tool``."""

    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=Named)


@dataclass(frozen=True)
class ToolRef:
    """What the user named: a server (or None for a bare name) and a tool."""

    server: str | None
    tool: str

    def __str__(self) -> str:
        return f"{self.server}.{self.tool}" if self.server else self.tool


def parse_tool_ref(text: str, profile: Profile | None, adhoc: bool) -> ToolRef:
    """``SERVER.TOOL`` (SERVER a profile name), or a bare ``TOOL`` (always bare with --url/--stdio).

    With a profile, what comes before the first dot is always a server: an unknown one is exit 2 at
    once, before any server is started (a bare lookup would start them all). A tool whose own name has
    a dot (``a.b``) is therefore named with its server, ``SERVER.a.b`` (server names have no dots).
    """
    if not text:
        raise UsageError("name a tool: SERVER.TOOL, or TOOL")
    if adhoc or profile is None:
        return ToolRef(None, text)
    server, dot, tool = text.partition(".")
    if not dot:
        return ToolRef(None, text)
    if server in profile.servers:
        if not tool:
            raise UsageError(f"'{text}': no tool name after the dot", hint="write SERVER.TOOL")
        return ToolRef(server, tool)
    raise _unknown_server(server, text, profile)


def _unknown_server(server: str, text: str, profile: Profile) -> UsageError:
    dotted = f"a name with a dot is SERVER.TOOL: a tool named '{text}' is called as SERVER.{text}"
    if not profile.servers:
        return UsageError(f"unknown server '{server}' in '{text}': the profile has no servers", hint=dotted)
    known = sorted(profile.servers)
    close = difflib.get_close_matches(server, known, n=1, cutoff=0.6)
    guess = f"did you mean {close[0]}? " if close else ""
    what = f"unknown server '{server}' in '{text}'" if server else f"no server name before the dot in '{text}'"
    return UsageError(what, hint=f"{guess}known servers: {', '.join(known)}; {dotted}")


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

    return await list_across(targets, options, _tools_of)


def find_tool(tools: Sequence[N], ref: ToolRef, target: Target, kind: str = "tool") -> N:
    """The named tool (or prompt) among a server's, or exit 2 with close matches."""
    for tool in tools:
        if tool.name == ref.tool:
            return tool
    if kind == "tool" and not target.tool_enabled(ref.tool):
        raise UsageError(f"tool '{ref.tool}' is disabled for server '{target.name}' in the profile", server=target.name)
    names = [t.name for t in tools]
    raise UnknownTool(
        f"unknown {kind} '{ref.tool}' on server '{target.name}'",
        hint=_suggest(ref.tool, names, target.name if target.config is not None else None, kind),
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
    failed = [e for e in listed if e.error is not None]
    everything = [f"{e.target.name}.{t.name}" for e in listed for t in e.items]
    unasked = ", ".join(e.target.name for e in failed)
    details = [f"{e.target.name}: {e.error.message}" for e in failed if e.error is not None]
    first = failed[0].error if failed else None
    if first is not None and len(failed) == len(listed):  # nobody could be asked: that failure's exit code
        first.message = f"could not look up {kind} '{ref.tool}': no server could be asked ({unasked})"
        first.server, first.details = None, details
        first.hint = f"name its server (SERVER.{ref.tool}), or see which servers answer: mcpctl ping"
        raise first
    raise UnknownTool(
        f"unknown {kind} '{ref.tool}'" + (f"; could not ask {unasked}" if failed else ""),
        hint=_suggest(ref.tool, everything, None, kind, qualified=True),
        details=details,
    )


async def choose_target(
    ref: ToolRef,
    targets: Sequence[Target],
    options: SessionOptions,
    lister: Callable[[Session], Awaitable[list[Any]]] | None = None,
    kind: str = "tool",
) -> Target:
    """The server to use: the named one, the only one, or the one whose list (tools by default) has the bare name.

    A bare-name lookup asks each server once, without retries, within its connect deadline (for connecting,
    then for listing): a server that is down costs no more than that, and the error names it.
    """
    if ref.server is not None:
        return next(t for t in targets if t.name == ref.server)
    if len(targets) == 1:
        return targets[0]
    once = [replace(t, settings=replace(t.settings, retries=0)) for t in targets]
    listed = await list_across(once, options, _within_connect_deadline(lister or _tools_of))
    chosen = pick_bare(ref, listed, kind)
    return next(t for t in targets if t.name == chosen.name)


async def _tools_of(session: Session) -> list[Any]:
    return list(await session.list_tools())


def _within_connect_deadline(lister: Lister) -> Lister:
    async def bounded(session: Session) -> list[Any]:
        limit = session.target.startup_timeout
        try:
            with anyio.fail_after(limit):
                return await lister(session)
        except TimeoutError:
            raise TimeoutExpired(f"no list within {limit:g}s (its connect deadline)", server=session.name) from None

    return bounded


def _suggest(
    name: str, candidates: list[str], server: str | None, kind: str = "tool", *, qualified: bool = False
) -> str:
    # SERVER.NAME candidates are compared by NAME: a long server name must not hide a close name.
    names = {c: c.partition(".")[2] if qualified else c for c in candidates}
    near = difflib.get_close_matches(name, list(dict.fromkeys(names.values())), n=5, cutoff=0.5)
    close = [c for n in near for c, bare in names.items() if bare == n]
    close += [c for c in candidates if c.endswith(f".{name}") and c not in close]
    listing = f"mcpctl {kind}s list {server}" if server else f"mcpctl {kind}s list"
    if close:
        return f"did you mean: {', '.join(close)}? ({listing} shows them all)"
    return f"{listing} shows the available {kind}s"
