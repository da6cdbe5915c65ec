"""``mcpctl shell [SERVER…]``: an interactive session (or, piped, a script of shell commands)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from mcpctl.cli.context import Context
from mcpctl.cli.options import server_command

if TYPE_CHECKING:
    import anyio

    from mcpctl.ops.shell.interp import Piece, Reply, Shell
    from mcpctl.output.writer import Output


@server_command()
def shell(
    ctx: Context,
    servers: Annotated[list[str] | None, typer.Argument(help="Servers to open (default: every enabled one).")] = None,
) -> None:
    """Open servers once, then list, call, retry and watch them: tab completion, history, status.

    On a terminal: line editing, Ctrl-R, tab completion; Ctrl-C cancels the running call, Ctrl-D leaves.
    Piped, each line is one command and the exit status is 0 (all succeeded), 1 (a call failed) or 2 (a usage error).

    Example: mcpctl shell demo

    Example: mcpctl shell --stdio 'python -m mcpctl.demo' < checks.txt
    """

    async def work() -> int:
        from mcpctl.core.history import default_path
        from mcpctl.ops.shell.interp import Shell
        from mcpctl.ops.toolkit import open_toolkit

        targets = ctx.targets(servers)
        fmt = ctx.output.format or "text"
        if not ctx.output.streams.interactive:
            async with open_toolkit(targets, ctx.session) as tk:
                return await _script(ctx, Shell(tk, history_path=default_path(), output=fmt))
        from dataclasses import replace

        from mcpctl.output.lineedit import patched
        from mcpctl.output.writer import Output

        async with patched() as above_prompt:
            notes = Output(fmt, streams=replace(ctx.output.streams, err=above_prompt))
            options = replace(ctx.session, server_log=notes.server_log)
            async with open_toolkit(targets, options) as tk:
                return await _terminal(ctx, Shell(tk, history_path=default_path(), output=fmt))

    ctx.run(work)


class _Running:
    """The line being run, so that Ctrl-C cancels it (after telling its servers) and not the shell."""

    def __init__(self) -> None:
        self.scope: anyio.CancelScope | None = None
        self.interrupted = False

    async def run(self, shell: Shell, line: str) -> Reply | None:
        """The line's reply, or None when Ctrl-C cancelled it."""
        import anyio

        with anyio.CancelScope() as scope:
            self.scope = scope
            try:
                return await shell.run(line)
            finally:
                self.scope = None
        return None

    async def watch(self, everything: anyio.CancelScope) -> None:
        """SIGINT: cancel the running line; with none running, end the shell (a script: exit 130)."""
        import signal

        import anyio

        from mcpctl.sessions.session import abandon_requests

        with anyio.open_signal_receiver(signal.SIGINT) as signals:
            async for _ in signals:
                if self.scope is not None:
                    await abandon_requests()  # notifications/cancelled leave while the transports still run
                    if self.scope is not None:
                        self.scope.cancel()
                    continue
                self.interrupted = True
                everything.cancel()
                return


async def _script(ctx: Context, shell: Shell) -> int:
    """One command a line from stdin; the status is the worst line's (0, 1 a failed call, 2 a usage error)."""
    import anyio

    from mcpctl.core.errors import Interrupted

    stream = ctx.output.streams.inp
    worst = 0
    running = _Running()
    async with anyio.create_task_group() as tg:
        tg.start_soon(running.watch, tg.cancel_scope)
        while stream is not None:
            text = await anyio.to_thread.run_sync(stream.readline, abandon_on_cancel=True)
            if not text:
                break
            reply = await running.run(shell, text)
            if reply is None:
                worst = max(worst, 1)
                continue
            _show(ctx, shell, reply)
            worst = max(worst, reply.code)
            if reply.quit:
                break
        tg.cancel_scope.cancel()
    if running.interrupted:
        raise Interrupted("interrupted; servers were shut down")
    return worst


async def _terminal(ctx: Context, shell: Shell) -> int:
    """The interactive loop: Ctrl-C at the prompt clears the line, during a call cancels it; Ctrl-D leaves (0)."""
    import contextlib

    import anyio

    from mcpctl.core.errors import McpctlError
    from mcpctl.output.lineedit import LineEditor

    def complete(before: str) -> list[tuple[str, int]]:
        from mcpctl.ops.shell.complete import complete as candidates

        found = candidates(
            before,
            shell.tk.servers,
            shell.known_tools,
            shell.current,
            prompts=shell.known_prompts,
            values=shell.offered,
        )
        return [(c.text, c.start) for c in found]

    listed = anyio.Event()

    async def prefetch() -> None:
        try:
            with contextlib.suppress(McpctlError):
                await shell.prefetch()
        finally:
            listed.set()
        with contextlib.suppress(McpctlError):
            await shell.prefetch_prompts()

    async def prepare(before: str) -> None:
        """Ask the server for the values of the ``key=`` being typed; a slow answer lands in the cache later."""
        from mcpctl.ops.shell.complete import value_query

        query = value_query(before, shell.tk.servers, shell.current, shell.known_prompts)
        if query is None or query in shell.offered:
            return
        done = anyio.Event()

        async def ask() -> None:
            try:
                await shell.offer(query)
            finally:
                done.set()

        tg.start_soon(ask)
        await done.wait()

    editor = LineEditor([e.line for e in shell.entries if e.line], complete, ready=listed.wait, prepare=prepare)
    running = _Running()
    async with anyio.create_task_group() as tg:
        tg.start_soon(running.watch, tg.cancel_scope)
        tg.start_soon(prefetch)
        while True:
            try:
                text = await editor.read(shell.prompt)
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            reply = await running.run(shell, text)
            if reply is None:
                ctx.output.note("cancelled")
                continue
            _show(ctx, shell, reply)
            if reply.quit:
                break
        tg.cancel_scope.cancel()
    return 0


def _show(ctx: Context, shell: Shell, reply: Reply) -> None:
    """Render each piece of a reply in the shell's current output format."""
    from mcpctl.output.writer import Output

    out = ctx.output if shell.output == ctx.output.format else Output(shell.output, streams=ctx.output.streams)
    for piece in reply.pieces:
        _render(out, piece)


def _render(out: Output, piece: Piece) -> None:
    from mcpctl.core.schema.describe import schema_summary
    from mcpctl.output import render
    from mcpctl.output.writer import Table

    data: Any = piece.data
    if piece.view == "table":
        out.items(data, Table(piece.columns, piece.rows))
    elif piece.view == "result":
        out.result(data, lambda: render.render_result(data["result"] or {}))
    elif piece.view == "tool":
        summary = schema_summary(data.get("inputSchema"))
        out.result(data, lambda: render.render_tool(data["server"], data, summary))
    elif piece.view == "contents":
        out.result(data, lambda: render.render_contents(data))
    elif piece.view == "messages":
        out.result(data, lambda: render.render_messages(data))
    elif piece.view == "text":
        out.text(piece.text)
    elif piece.view == "note":
        out.note(piece.text)
    elif piece.view == "warning":
        out.warn(piece.text)
    elif piece.error is not None:
        out.error(piece.error)
