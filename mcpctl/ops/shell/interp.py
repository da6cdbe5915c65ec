"""The shell's interpreter: one line in, one ``Reply`` out; it never prints.

Everything reaches servers through the toolkit (``AsyncToolkit``), and ``call`` goes through
``ops.call.call_on``, so the shell has exactly the one-shot command's argument syntax, coercion,
validation and warnings. A reply is data for the output layer: pieces naming their view
(``result``, ``tool``, ``contents``, ``messages``, ``table``, ``note``, ``error``) and the
status a script would exit with (0, 1 a failed call, 2 a usage error).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcpctl.core import history
from mcpctl.core.errors import McpctlError, UsageError
from mcpctl.ops.call import CallOutcome, CallRequest, call_on, tool_failed
from mcpctl.ops.model import Tool
from mcpctl.ops.registry import ToolRef
from mcpctl.ops.shell.complete import ValueQuery
from mcpctl.ops.shell.parse import COMMANDS, FORMATS, Line, count_word, need, parse_line, usage
from mcpctl.ops.toolkit import AsyncToolkit


@dataclass
class Piece:
    """One thing to show: ``view`` says how; ``data`` is what JSON output prints."""

    view: str
    data: Any = None
    text: str = ""
    columns: tuple[str, ...] = ()
    rows: list[list[str]] = field(default_factory=list)
    error: McpctlError | None = None


@dataclass
class Reply:
    """What one line did: the pieces to show, its script status, and whether the shell ends."""

    pieces: list[Piece] = field(default_factory=list)
    code: int = 0
    quit: bool = False

    def add(self, piece: Piece) -> Reply:
        self.pieces.append(piece)
        return self


def script_status(error: McpctlError) -> int:
    """A failed line's status in a script: 2 for a usage error, 1 for any other failure."""
    return 2 if error.exit_code == 2 else 1


class Shell:
    """The state of one shell: the toolkit, the current server, the output format and the history."""

    def __init__(self, tk: AsyncToolkit, *, history_path: Path | None, output: str = "text") -> None:
        self.tk = tk
        self.current: str | None = None
        self.output = output
        self.history_path = history_path
        self.entries: list[history.Entry] = history.load(history_path) if history_path else []
        #: Arguments as sent, by history number, for ``again`` of entries made in this session (unmasked).
        self._sent: dict[int, tuple[str, str, dict[str, Any]]] = {}
        #: Tools listed so far, by server (tab completion reads this; it never waits for a server).
        self.known_tools: dict[str, list[Tool]] = {}
        #: Prompts listed so far, by server (wire form), for completing prompt and argument names.
        self.known_prompts: dict[str, list[dict[str, Any]]] = {}
        #: Values servers offered (``completion/complete``), cached per (ref, argument, prefix).
        self.offered: dict[ValueQuery, list[str]] = {}
        self._handlers: dict[str, Callable[[Line], Awaitable[Reply]]] = {
            "tools": self._tools,
            "show": self._show,
            "call": self._call,
            "resources": self._resources,
            "read": self._read,
            "prompts": self._prompts,
            "get": self._get,
            "ping": self._ping,
            "use": self._use,
            "set": self._set,
            "status": self._status,
            "history": self._history,
            "again": self._again,
            "help": self._help,
            "quit": self._quit,
            "exit": self._quit,
        }

    @property
    def prompt(self) -> str:
        """``demo> `` with a current server, ``mcpctl> `` without."""
        return f"{self.current or 'mcpctl'}> "

    async def run(self, text: str) -> Reply:
        """Run one line; every failure becomes an error piece (the shell goes on)."""
        try:
            line = parse_line(text)
            if not line.command:
                return Reply()
            return await self._handlers[line.command](line)
        except McpctlError as error:
            return Reply([Piece("error", error=error)], script_status(error))

    async def prefetch(self) -> None:
        """List every server's tools (for completion), concurrently; a server that fails is skipped."""
        listed: dict[str, list[Tool]] = {}
        for tool in await self.tk.list_tools(skip_unreachable=True):
            listed.setdefault(tool.server, []).append(tool)
        self.known_tools.update(listed)

    async def prefetch_prompts(self) -> None:
        """List the prompts of the servers whose tools were listed (for completing prompt and argument names)."""
        for server in list(self.known_tools):
            with contextlib.suppress(McpctlError):  # a server without prompts just offers none
                self._remember_prompts(await self.tk.list_prompts(server))

    async def offer(self, query: ValueQuery) -> list[str]:
        """The values ``query``'s server offers (``completion/complete``), asked once per query; [] on failure."""
        from mcpctl.ops.prompts import complete_argument

        if query not in self.offered:
            try:
                values = await self.tk.on(
                    query.server, lambda session: complete_argument(session, query.ref, query.argument, query.prefix)
                )
            except McpctlError:
                values = []
            self.offered[query] = values
        return self.offered[query]

    def _remember_prompts(self, items: list[dict[str, Any]]) -> None:
        for server in {p["server"] for p in items}:
            self.known_prompts[server] = [p for p in items if p["server"] == server]

    # ------------------------------------------------------------------ servers

    def _servers(self, names: tuple[str, ...] = ()) -> list[str]:
        """The named servers, else the current one, else all."""
        for name in names:
            self.tk.target(name)
        if names:
            return list(names)
        return [self.current] if self.current else self.tk.servers

    def _one_server(self, what: str) -> str:
        if self.current:
            return self.current
        if len(self.tk.servers) == 1:
            return self.tk.servers[0]
        raise UsageError(f"{what}: which server?", hint="name it, or pick one with: use SERVER")

    async def _tool(self, name: str) -> Tool:
        """The tool a name names: ``SERVER.TOOL``, a tool of the current server, or a unique bare name."""
        from mcpctl.ops.registry import find_tool

        server, rest = self._split(name)
        if server is None and self.current:
            server, rest = self.current, name
        if server is None:
            tool = await self.tk.find(name)
            server, rest = tool.server, tool.name
        tools = await self.tk.tools_of(server)
        self.known_tools[server] = tools
        return find_tool(tools, ToolRef(server, rest), self.tk.target(server))

    def _split(self, name: str) -> tuple[str | None, str]:
        """``SERVER.NAME`` → (SERVER, NAME) for a known server (whose name may hold dots); else (None, name)."""
        for server in sorted(self.tk.servers, key=len, reverse=True):
            if name.startswith(server + "."):
                return server, name[len(server) + 1 :]
        return None, name

    # ------------------------------------------------------------------ commands

    async def _tools(self, line: Line) -> Reply:
        need(line, 0, 2)
        words = list(line.words)
        servers = [words.pop(0)] if words and words[0] in self.tk.servers else self._servers()
        if len(words) > 1:
            raise UsageError("tools: wrong number of arguments", hint=usage("tools"))
        needle = words[0].lower() if words else ""
        reply = Reply()
        rows: list[list[str]] = []
        data: list[dict[str, Any]] = []
        for server in servers:
            try:
                tools = await self.tk.tools_of(server)
            except McpctlError as error:
                reply.add(Piece("error", error=error.with_server(server))).code = 1
                continue
            self.known_tools[server] = tools
            for tool in tools:
                if needle and needle not in f"{tool.name} {tool.description or ''}".lower():
                    continue
                data.append(tool.to_json())
                rows.append([server, tool.name, _first_line(tool.description)])
        reply.pieces.insert(0, Piece("table", data, columns=("SERVER", "TOOL", "DESCRIPTION"), rows=rows))
        return reply

    async def _show(self, line: Line) -> Reply:
        need(line, 1, 1)
        tool = await self._tool(line.words[0])
        return Reply([Piece("tool", tool.to_json())])

    async def _call(self, line: Line) -> Reply:
        need(line, 1, None)
        tool = await self._tool(line.words[0])
        return await self._send(tool, line.words[1:], None, line.text)

    async def _send(self, tool: Tool, items: tuple[str, ...], base: dict[str, Any] | None, text: str) -> Reply:
        """Call ``tool`` as ``mcpctl call`` would, and log it in the history."""
        warnings: list[str] = []
        request = CallRequest(ref=ToolRef(tool.server, tool.name), items=items, base=base, warn=warnings.append)
        try:
            outcome = await call_on(self.tk, request, self.tk.target(tool.server))
        except McpctlError as error:
            if error.exit_code != 2:  # a call that was made and failed is history; a typo is not
                self._log(CallOutcome(tool.server, tool.name, {}), ok=False, text=text)
            raise
        reply = Reply([Piece("warning", text=w) for w in warnings])
        self._log(outcome, ok=not outcome.is_error, text=text)
        reply.add(Piece("result", outcome.to_json()))
        if outcome.is_error:
            reply.add(Piece("error", error=tool_failed(outcome))).code = 1
        return reply

    def _log(self, outcome: CallOutcome, *, ok: bool, text: str) -> None:
        entry = history.record(
            outcome.server, outcome.tool, outcome.arguments, ok=ok, duration_ms=outcome.duration_ms, line=text.strip()
        )
        self.entries.append(entry)
        self._sent[len(self.entries)] = (outcome.server, outcome.tool, dict(outcome.arguments))
        if self.history_path is not None:
            try:
                history.append(self.history_path, entry)
            except OSError:
                self.history_path = None  # an unwritable state directory must not break the shell

    async def _resources(self, line: Line) -> Reply:
        items = await self.tk.list_resources(*self._servers(line.words))
        rows = [[r["server"], r.get("uri", ""), r.get("name", ""), r.get("mimeType", "")] for r in items]
        return Reply([Piece("table", items, columns=("SERVER", "URI", "NAME", "MIME"), rows=rows)])

    async def _read(self, line: Line) -> Reply:
        from mcpctl.core.items import string_arguments
        from mcpctl.ops.resources import expand_template

        need(line, 1, None)
        words = line.words
        server, uri, items = (
            (words[0], words[1], words[2:])
            if len(words) >= 2 and words[0] in self.tk.servers
            else (self._one_server("read"), words[0], words[1:])
        )
        self.tk.target(server)
        values = string_arguments(items)
        if "{" in uri:
            uri = expand_template(uri, values)
        elif values:
            raise UsageError(f"{uri} is not a URI template; it takes no NAME=VALUE arguments", hint=usage("read"))
        return Reply([Piece("contents", {"server": server, **await self.tk.read_resource(server, uri)})])

    async def _prompts(self, line: Line) -> Reply:
        items = await self.tk.list_prompts(*self._servers(line.words))
        self._remember_prompts(items)
        rows = [[p["server"], p.get("name", ""), _first_line(p.get("description")), _argument_names(p)] for p in items]
        return Reply([Piece("table", items, columns=("SERVER", "PROMPT", "DESCRIPTION", "ARGUMENTS"), rows=rows)])

    async def _get(self, line: Line) -> Reply:
        from mcpctl.core.items import string_arguments

        need(line, 1, None)
        name = line.words[0]
        if self._split(name)[0] is None and self.current:
            name = f"{self.current}.{name}"
        result = await self.tk.get_prompt(name, **string_arguments(line.words[1:]))
        return Reply([Piece("messages", result)])

    async def _ping(self, line: Line) -> Reply:
        health = await self.tk.ping(*self._servers(line.words))
        rows = [
            [
                name,
                "ok" if h.ok else "failed",
                "" if h.rtt_ms is None else f"{h.rtt_ms:.1f} ms",
                h.protocol or "",
                h.reason or "",
            ]
            for name, h in health.items()
        ]
        data = [{"server": name, **h.to_json()} for name, h in health.items()]
        reply = Reply([Piece("table", data, columns=("SERVER", "STATUS", "TIME", "PROTOCOL", "NOTE"), rows=rows)])
        reply.code = 0 if all(h.ok for h in health.values()) else 1
        return reply

    async def _use(self, line: Line) -> Reply:
        need(line, 0, 1)
        if not line.words:
            self.current = None
            return Reply([Piece("note", text="no current server")])
        self.tk.target(line.words[0])
        self.current = line.words[0]
        return Reply([Piece("note", text=f"current server: {self.current}")])

    async def _set(self, line: Line) -> Reply:
        need(line, 2, 2)
        if line.words[0] != "output" or line.words[1] not in FORMATS:
            raise UsageError(f"set: cannot set {' '.join(line.words)!r}", hint=usage("set"))
        self.output = line.words[1]
        return Reply([Piece("note", text=f"output: {self.output}")])

    async def _status(self, line: Line) -> Reply:
        need(line, 0, 0)
        statuses = self.tk.status()
        rows = [
            [
                name,
                "circuit open" if s.circuit == "open" else s.state,
                s.protocol or "",
                s.transport,
                "" if s.tools is None else str(s.tools),
                f"{s.calls - s.failures}/{s.failures}",
                str(s.reconnects),
                s.last_error or "",
            ]
            for name, s in statuses.items()
        ]
        columns = ("SERVER", "STATE", "PROTOCOL", "TRANSPORT", "TOOLS", "OK/FAILED", "RECONNECTS", "LAST ERROR")
        data = [{"server": name, **s.to_json()} for name, s in statuses.items()]
        return Reply([Piece("table", data, columns=columns, rows=rows)])

    async def _history(self, line: Line) -> Reply:
        need(line, 0, 1)
        count = count_word(line.words[0], "history") if line.words else 20
        return Reply([history_piece(self.entries, count)])

    async def _again(self, line: Line) -> Reply:
        need(line, 1, 1)
        number = count_word(line.words[0], "again")
        if number > len(self.entries):
            raise UsageError(f"again: there is no history entry {number}", hint="see: history")
        entry = self.entries[number - 1]
        server, tool_name, arguments = self._sent.get(number, (entry.server, entry.tool, entry.arguments))
        if number not in self._sent and entry.masked:
            raise UsageError(
                f"again: entry {number} has masked secrets", hint="type the call again with its secret values"
            )
        tool = await self._tool(f"{server}.{tool_name}")
        reply = await self._send(tool, (), dict(arguments), entry.line or f"call {server}.{tool_name}")
        reply.pieces.insert(0, Piece("note", text=f"again: {server}.{tool_name}"))
        return reply

    async def _help(self, line: Line) -> Reply:
        need(line, 0, 1)
        if line.words:
            name = line.words[0]
            if name not in COMMANDS:
                raise UsageError(f"help: unknown command {name!r}", hint="see: help")
            return Reply([Piece("text", text=f"{usage(name)}\n  {COMMANDS[name][1]}\n")])
        width = max(len(u) for u, _ in COMMANDS.values())
        text = "".join(f"  {u.ljust(width)}  {h}\n" for u, h in COMMANDS.values())
        return Reply([Piece("text", text="commands:\n" + text)])

    async def _quit(self, line: Line) -> Reply:
        return Reply(quit=True)


def history_piece(entries: list[history.Entry], count: int | None) -> Piece:
    """The history as a table: number, time, ok/failed, ``server.tool``, masked arguments, duration."""
    from mcpctl.core.wire import dump_json

    start = len(entries) - len(history.last(entries, count))
    shown = list(enumerate(entries, start=1))[start:]
    rows = [
        [
            str(n),
            e.time,
            "ok" if e.ok else "failed",
            f"{e.server}.{e.tool}",
            dump_json(e.arguments),
            f"{e.duration_ms:.0f} ms",
        ]
        for n, e in shown
    ]
    data = [{"n": n, **e.to_json()} for n, e in shown]
    return Piece("table", data, columns=("#", "TIME", "STATUS", "TOOL", "ARGUMENTS", "DURATION"), rows=rows)


def _first_line(text: str | None, limit: int = 80) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _argument_names(prompt: dict[str, Any]) -> str:
    return ",".join(a.get("name", "") for a in prompt.get("arguments") or [])
