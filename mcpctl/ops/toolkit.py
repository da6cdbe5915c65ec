"""The toolkit: one registry of every server's tools, callables for them, middleware, resources, prompts, health.

``connect(...)`` opens a toolkit over servers from the profile or described in code. Each
server gets one session, opened lazily on first use and concurrently with the others,
reopened when it dies, behind a circuit breaker (``SessionPool``). A call is retried only
by the one rule (``core.retry``): it never reached the server, or repeating it is safe.
Leaving the block shuts every server down, on success, on an exception and on cancellation.

The command line runs on this too: ``mcpctl call`` and ``mcpctl batch`` reach a server
through the same ``AsyncToolkit``, so a program and a command see the same behaviour.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio

from mcpctl.core.errors import McpctlError, ToolFailed, UsageError
from mcpctl.core.profile import Profile, Settings, load_profile, resolve_profile_path
from mcpctl.core.schema.validate import validate
from mcpctl.ops.fanout import gather
from mcpctl.ops.model import Health, Server, Status, Tool, ToolCall, ToolResult
from mcpctl.ops.registry import Listed, ToolRef, find_tool, pick_bare
from mcpctl.sessions.options import SessionOptions
from mcpctl.sessions.pool import SessionPool
from mcpctl.sessions.session import Session
from mcpctl.sessions.targets import AdHoc, Target, from_config, select_targets

T = TypeVar("T")

#: ``async def middleware(call, call_next) -> ToolResult``: outermost first, may rewrite, short-circuit or repeat.
CallNext = Callable[[ToolCall], Awaitable[ToolResult]]
Middleware = Callable[[ToolCall, CallNext], Awaitable[ToolResult]]


@dataclass
class _Counts:
    calls: int = 0
    failures: int = 0
    last_error: str | None = None


class AsyncToolkit:
    """Every tool of every server, callable by ``SERVER.TOOL`` or by a bare name that is unique.

    Made by ``connect(...)``; use it inside that ``async with`` block.
    """

    def __init__(
        self,
        targets: Sequence[Target],
        pool: SessionPool,
        *,
        retry_unsafe: bool = False,
        validate_arguments: bool = True,
    ) -> None:
        self._targets = {target.name: target for target in targets}
        self._pool = pool
        self._retry_unsafe = retry_unsafe
        self._validate = validate_arguments
        self._middleware: list[Middleware] = []
        self._counts = {name: _Counts() for name in self._targets}
        self._tools: dict[str, tuple[Session, list[Tool]]] = {}

    # ------------------------------------------------------------------ servers and tools

    @property
    def servers(self) -> list[str]:
        """The names of the toolkit's servers, in the order given."""
        return list(self._targets)

    def target(self, server: str) -> Target:
        """The resolved server called ``server`` (a usage error naming the known ones otherwise)."""
        try:
            return self._targets[server]
        except KeyError:
            known = ", ".join(self._targets) or "none"
            raise UsageError(f"unknown server '{server}'", hint=f"the toolkit's servers: {known}") from None

    async def session(self, server: str) -> Session:
        """The live session to ``server`` (opened, or reopened, on demand)."""
        return await self._pool.slot(self.target(server)).acquire()

    async def tools_of(self, server: str) -> list[Tool]:
        """``server``'s tools (every page; the profile's tool filters applied), listed once per session."""

        async def listing(session: Session) -> list[Tool]:
            cached = self._tools.get(server)
            if cached is not None and cached[0] is session:
                return cached[1]
            tools = [Tool.from_sdk(server, tool) for tool in await session.list_tools()]
            self._tools[server] = (session, tools)
            return tools

        return await self._pool.use(self.target(server), listing)

    async def on(self, server: str, work: Callable[[Session], Awaitable[T]]) -> T:
        """Run ``work`` on ``server``'s session; safe to repeat, so retried on a reopened session when it dies."""
        return await self._pool.use(self.target(server), work)

    async def list_tools(self, *servers: str, skip_unreachable: bool = False) -> list[Tool]:
        """Every tool of the named servers (default: all), listed concurrently.

        A server that cannot be reached raises its error, unless ``skip_unreachable``.
        """
        listed = await self._listed(servers or tuple(self._targets), self.tools_of)
        if not skip_unreachable:
            _raise_first(listed)
        return [tool for entry in listed for tool in entry.items]

    async def find(self, name: str) -> Tool:
        """The tool ``name`` names: ``SERVER.TOOL``, or a bare ``TOOL`` offered by exactly one server.

        An ambiguous bare name is a ``UsageError`` listing every candidate (``demo.echo``, ``files.echo``).
        """
        qualified = self._split(name)
        server, tool = qualified if qualified is not None else (await self._owner(name), name)
        return find_tool(await self.tools_of(server), ToolRef(server, tool), self._targets[server])

    def _split(self, name: str) -> tuple[str, str] | None:
        """``SERVER.NAME`` split at the longest server name it starts with (ad-hoc names may hold dots)."""
        for server in sorted(self._targets, key=len, reverse=True):
            if name.startswith(f"{server}.") and len(name) > len(server) + 1:
                return server, name[len(server) + 1 :]
        return None

    async def _owner(self, name: str) -> str:
        """The one server that offers the bare-named tool (every server asked concurrently)."""
        if len(self._targets) == 1:
            return next(iter(self._targets))
        return pick_bare(ToolRef(None, name), await self._listed(tuple(self._targets), self.tools_of)).name

    def tool(self, name: str) -> ToolFunction:
        """A callable for one tool: ``await tk.tool("echo")(message="hi")``."""
        return ToolFunction(self, name)

    # ------------------------------------------------------------------ calls

    def use(self, middleware: Middleware) -> Middleware:
        """Add a middleware around every call (the first added is the outermost); returns it, so it decorates."""
        self._middleware.append(middleware)
        return middleware

    async def call(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        /,
        *,
        raise_on_error: bool = True,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> ToolResult:
        """Call a tool; ``arguments`` (a mapping) and keyword arguments make its arguments object.

        The arguments are validated against the tool's inputSchema before anything is sent. A result
        with ``isError: true`` raises ``ToolFailed`` (carrying the result) unless ``raise_on_error=False``.
        """
        tool = await self.find(name)
        values = {**dict(arguments or {}), **kwargs}
        return await self.call_tool(tool, values, raise_on_error=raise_on_error, timeout=timeout)

    async def call_tool(
        self, tool: Tool, arguments: dict[str, Any], *, raise_on_error: bool = True, timeout: float | None = None
    ) -> ToolResult:
        """Call a tool already found (``find``): validation, middleware, the call, ``ToolFailed``."""
        if self._validate:
            validate(arguments, tool.input_schema or None, target=tool.qualified)
        chain: CallNext = functools.partial(self._send, tool)
        for middleware in reversed(self._middleware):
            chain = _step(middleware, chain)
        result = await chain(ToolCall(tool.server, tool.name, arguments, timeout))
        if result.is_error and raise_on_error:
            raise ToolFailed(
                f"tool '{result.tool}' reported an error" + (f": {_first_line(result.text)}" if result.text else ""),
                server=result.server,
                result=result,
            )
        return result

    async def _send(self, tool: Tool, call: ToolCall) -> ToolResult:
        """The innermost step: the call over the server's pooled session, retried by the one rule."""
        target = self.target(call.server)
        counts = self._counts[target.name]
        counts.calls += 1
        started = time.perf_counter()
        report = await self._pool.call(
            target,
            call.tool,
            call.arguments,
            timeout=call.timeout,
            may_repeat=self._retry_unsafe or (tool.name == call.tool and tool.repeat_is_safe),
        )
        if report.error is not None:
            counts.failures += 1
            counts.last_error = report.error.message
            raise report.error
        assert report.result is not None
        result = ToolResult(
            target.name, call.tool, report.result, report.attempts, (time.perf_counter() - started) * 1000
        )
        if result.is_error:
            counts.failures += 1
            counts.last_error = f"tool '{call.tool}' reported an error"
        return result

    # ------------------------------------------------------------------ resources and prompts

    async def list_resources(self, *servers: str) -> list[dict[str, Any]]:
        """Every resource of the named servers (default: all), as ``resources list -o json`` prints them."""
        from mcpctl.ops.resources import RESOURCES

        return await self._list_wire(servers, RESOURCES)

    async def list_resource_templates(self, *servers: str) -> list[dict[str, Any]]:
        """Every resource template of the named servers (default: all)."""
        from mcpctl.ops.resources import TEMPLATES

        return await self._list_wire(servers, TEMPLATES)

    async def read_resource(self, server: str, uri: str) -> dict[str, Any]:
        """``resources/read`` on ``server``: the result as it came over the wire."""
        from mcpctl.ops.resources import read_resource

        return await self.on(server, lambda session: read_resource(session, uri))

    async def list_prompts(self, *servers: str) -> list[dict[str, Any]]:
        """Every prompt of the named servers (default: all)."""
        from mcpctl.ops.prompts import PROMPTS

        return await self._list_wire(servers, PROMPTS)

    async def get_prompt(self, name: str, /, **arguments: str) -> dict[str, Any]:
        """Render a prompt (``SERVER.PROMPT`` or a unique bare name); required arguments are checked first."""
        from mcpctl.ops.prompts import PROMPTS, check_prompt_arguments, get_prompt

        qualified = self._split(name)
        server, prompt_name = qualified if qualified is not None else (await self._prompt_owner(name), name)
        prompts = await self.on(server, PROMPTS)
        prompt = find_tool(prompts, ToolRef(server, prompt_name), self._targets[server], "prompt")
        check_prompt_arguments(prompt, arguments, server)
        return await self.on(server, lambda session: get_prompt(session, prompt_name, arguments))

    async def _prompt_owner(self, name: str) -> str:
        from mcpctl.ops.prompts import PROMPTS

        if len(self._targets) == 1:
            return next(iter(self._targets))
        listed = await self._listed(tuple(self._targets), lambda server: self.on(server, PROMPTS))
        return pick_bare(ToolRef(None, name), listed, "prompt").name

    async def _listed(self, servers: Sequence[str], fetch: Callable[[str], Awaitable[Sequence[Any]]]) -> list[Listed]:
        """Each server's items, or the error that kept us from listing them (every server asked concurrently)."""

        async def one(server: str) -> Listed:
            try:
                return Listed(self.target(server), list(await fetch(server)))
            except McpctlError as error:
                return Listed(self.target(server), [], error.with_server(server))

        return await gather(list(servers), one)

    async def _list_wire(
        self, servers: Sequence[str], lister: Callable[[Session], Awaitable[list[Any]]]
    ) -> list[dict[str, Any]]:
        from mcpctl.core.wire import wire

        listed = await self._listed(servers or tuple(self._targets), lambda server: self.on(server, lister))
        _raise_first(listed)
        return [{"server": entry.target.name, **wire(item)} for entry in listed for item in entry.items]

    # ------------------------------------------------------------------ health

    async def ping(self, *servers: str, timeout: float = 10.0) -> dict[str, Health]:
        """One round trip to each named server (default: all), concurrently; never raises for a server."""
        from mcpctl.ops.ping import probe

        async def one(server: str) -> Health:
            try:
                session = await self.session(server)
                _, ms, note = await probe(session, timeout)
                return Health(True, round(ms, 2), session.protocol_version, note)
            except McpctlError as error:
                return Health(False, None, None, error.message)

        names = list(servers or self._targets)
        return dict(zip(names, await gather(names, one), strict=True))

    def status(self) -> dict[str, Status]:
        """Each server's session state, protocol, tool count, calls, failures, reconnects and circuit."""
        statuses: dict[str, Status] = {}
        for name, target in self._targets.items():
            slot = self._pool.slots.get(name)
            counts = self._counts[name]
            cached = self._tools.get(name)
            last_error = counts.last_error or (slot.last_error.message if slot and slot.last_error else None)
            statuses[name] = Status(
                state=slot.state if slot is not None else "disconnected",
                protocol=slot.session.protocol_version if slot is not None and slot.session is not None else None,
                transport=target.transport,
                tools=len(cached[1]) if cached is not None else None,
                calls=counts.calls,
                failures=counts.failures,
                reconnects=max(0, slot.opened - 1) if slot is not None else 0,
                circuit=slot.breaker.state if slot is not None else "closed",
                last_error=last_error,
            )
        return statuses


class ToolFunction:
    """One tool as an async callable: ``await fn(message="hi")`` or ``await fn({"message": "hi"})``."""

    def __init__(self, toolkit: AsyncToolkit, name: str) -> None:
        self.toolkit = toolkit
        self.name = name

    async def __call__(
        self, arguments: Mapping[str, Any] | None = None, /, *, raise_on_error: bool = True, **kwargs: Any
    ) -> ToolResult:
        return await self.toolkit.call(self.name, arguments, raise_on_error=raise_on_error, **kwargs)

    def __repr__(self) -> str:
        return f"<mcpctl tool {self.name}>"


def _step(middleware: Middleware, call_next: CallNext) -> CallNext:
    """One layer of the middleware chain."""

    async def step(call: ToolCall) -> ToolResult:
        return await middleware(call, call_next)

    return step


def _raise_first(listed: Sequence[Listed]) -> None:
    """A listing across servers fails with the first server's error (the others' are in ``details``)."""
    failed = [entry.error for entry in listed if entry.error is not None]
    if failed:
        failed[0].details = [*failed[0].details, *(f"{e.server}: {e.message}" for e in failed[1:])]
        raise failed[0]


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


# ---------------------------------------------------------------------------------------------- connect


def resolve_servers(
    servers: Sequence[str | Server],
    *,
    profile: str | None = None,
    overrides: Settings = Settings(),
) -> list[Target]:
    """Profile servers by name and servers described in code, as targets (none named: every enabled one)."""
    names = [s for s in servers if isinstance(s, str)]
    described = [s for s in servers if isinstance(s, Server)]
    loaded = _profile_for(profile, needed=bool(names) or not described)
    targets = select_targets(loaded, names, AdHoc(), overrides) if names or not described else []
    targets += [from_config(server.config, loaded.defaults, overrides) for server in described]
    seen: set[str] = set()
    for target in targets:
        if target.name in seen:
            raise UsageError(f"two servers are called '{target.name}'", hint="give one of them name=…")
        seen.add(target.name)
    return targets


def _profile_for(option: str | None, *, needed: bool) -> Profile:
    """The profile; when only servers described in code are used, a missing one is an empty one."""
    if needed or option is not None:
        return load_profile(option)
    path, _ = resolve_profile_path(None)
    return load_profile(None) if path.exists() else Profile(path=path, exists=False)


@contextlib.asynccontextmanager
async def connect(
    *servers: str | Server,
    profile: str | None = None,
    timeout: float | None = None,
    connect_timeout: float | None = None,
    retries: int | None = None,
    protocol: str | None = None,
    retry_unsafe: bool = False,
    validate: bool = True,
    options: SessionOptions | None = None,
) -> AsyncIterator[AsyncToolkit]:
    """Open a toolkit over servers from the profile (by name; none named: every enabled one) or described in code.

    ``profile`` is a path or a name, as ``--profile``; ``timeout`` (per call), ``connect_timeout`` and
    ``retries`` override the profile's settings; ``protocol`` is ``auto``, ``legacy`` or ``2026-07-28``;
    ``retry_unsafe`` lets calls to tools not marked read-only or idempotent be sent again after a lost
    connection; ``validate=False`` sends arguments without checking them. Sessions open lazily, on first
    use; every server is shut down when the block ends, also on an exception or cancellation::

        async with mcpctl.connect("demo") as tk:
            print((await tk.call("demo.echo", message="hi")).text)
    """
    overrides = Settings(startup_timeout_sec=connect_timeout, tool_timeout_sec=timeout, retries=retries)
    targets = resolve_servers(servers, profile=profile, overrides=overrides)
    chosen = options or SessionOptions(protocol=protocol)
    async with open_toolkit(targets, chosen, retry_unsafe=retry_unsafe, validate=validate) as toolkit:
        yield toolkit


@contextlib.asynccontextmanager
async def open_toolkit(
    targets: Sequence[Target], options: SessionOptions, *, retry_unsafe: bool = False, validate: bool = True
) -> AsyncIterator[AsyncToolkit]:
    """A toolkit over resolved targets (what ``connect`` and the command line both use)."""
    failure: BaseException | None = None
    async with anyio.create_task_group() as tg:
        pool = SessionPool(options, tg)
        try:
            yield AsyncToolkit(targets, pool, retry_unsafe=retry_unsafe, validate_arguments=validate)
        except BaseException as exc:
            if isinstance(exc, anyio.get_cancelled_exc_class()):
                raise
            # Re-raised after the task group, so the caller sees it unwrapped: SystemExit and
            # KeyboardInterrupt too (a task group would wrap them in a BaseExceptionGroup).
            failure = exc
        finally:
            pool.close()
    if failure is not None:
        raise failure
