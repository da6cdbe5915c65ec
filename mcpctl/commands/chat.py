"""``mcpctl chat``: a model (Anthropic or an OpenAI-compatible API) uses the servers' tools, one prompt at a time."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mcpctl.cli.context import Context
from mcpctl.cli.options import server_command

if TYPE_CHECKING:
    import anyio

    from mcpctl.ops.chat.loop import Chat, ChatReport

PROMPT = "chat> "


@server_command()
def chat(
    ctx: Context,
    servers: Annotated[
        list[str] | None, typer.Argument(help="Servers whose tools the model gets (default: all).")
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="anthropic, or openai (any Chat Completions API).")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="The model, e.g. claude-sonnet-4-6 or gpt-4o.")] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="The API's base URL (a local ollama: http://localhost:11434/v1).")
    ] = None,
    prompt: Annotated[
        str | None, typer.Option("--prompt", help="Ask this, print the answer and exit (default: read stdin).")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Run every tool call the model asks for.")] = False,
    max_rounds: Annotated[
        int, typer.Option("--max-rounds", min=1, help="Model requests allowed before giving up.")
    ] = 10,
    llm_timeout: Annotated[
        float,
        typer.Option(
            "--llm-timeout",
            min=0.1,
            help="The longest the model's API may stay silent (to connect, or between streamed parts), per attempt "
            "(the provider SDK retries twice); then exit 4.",
        ),
    ] = 120.0,
) -> None:
    """Let a model use the servers' tools; print its answer. Keys: ANTHROPIC_API_KEY, OPENAI_API_KEY.

    Read-only tools run at once; others with --yes, or when you answer yes on a terminal (declined otherwise).
    On a terminal without --prompt: a conversation, with /tools /status /history /clear /model NAME /quit;
    Ctrl-C stops the answer, Ctrl-D leaves.

    Example: mcpctl chat demo --provider anthropic --model claude-sonnet-4-6 --prompt "Weather in Oslo?"

    Example: mcpctl chat --stdio 'python -m mcpctl.demo' --provider openai --model gpt-4o --prompt 'Add 2 and 3' -o json

    Example: mcpctl chat demo --provider openai --base-url http://localhost:11434/v1 --model llama3.2 --prompt hi
    """
    from mcpctl.core.errors import UsageError

    if ctx.output.format == "ndjson":
        raise UsageError("chat prints one document: use -o json or text")

    async def work() -> int:
        from mcpctl.core.secrets import redact
        from mcpctl.ops.chat.loop import Approval, Chat
        from mcpctl.ops.chat.providers import KEY_VARS, PROVIDERS, open_provider
        from mcpctl.ops.toolkit import open_toolkit
        from mcpctl.output.prompt import ask_approval

        defaults = _profile_chat(ctx)
        name = provider or defaults.get("provider")
        if name not in PROVIDERS:
            raise UsageError(
                f"unknown --provider '{name}'" if name else "no --provider given",
                hint=f"use one of: {', '.join(PROVIDERS)} (or set [chat] provider in the profile)",
            )
        chosen_model = model or defaults.get("model")
        if not chosen_model:
            raise UsageError("no --model given", hint="e.g. --model claude-sonnet-4-6 (or set [chat] model)")
        key = os.environ.get(KEY_VARS[name], "")
        if not key:
            raise UsageError(f"{KEY_VARS[name]} is not set", hint=f"export {KEY_VARS[name]}=… (the {name} API key)")
        redact.add([key])
        text = _prompt_text(ctx, prompt)
        llm = open_provider(name, chosen_model, key, base_url or defaults.get("base_url"), timeout=llm_timeout)
        streams = ctx.output.streams
        approval = Approval(
            yes=yes,
            ask=(lambda q, a, d: ask_approval(streams, q, a, d)) if streams.in_tty else None,
        )
        live = not ctx.output.machine and streams.out_tty
        events = _Events(ctx, live)
        try:
            async with open_toolkit(ctx.targets(servers), ctx.session) as tk:
                tools = await tk.list_tools()
                session = Chat(llm, tk, tools, name, approval, timeout=ctx.overrides.tool_timeout_sec)
                if text is None:
                    return await _converse(ctx, session, events, max_rounds)
                report = await session.ask(text, events, max_rounds)
        finally:
            await llm.aclose()
        _show_report(ctx, events, report)
        return 0

    ctx.run(work)


class _Events:
    """The chat's events on the terminal: the model's text live (on a TTY), tool calls and results as notes."""

    def __init__(self, ctx: Context, live: bool) -> None:
        self._ctx = ctx
        self._live = live
        self._open = False

    def text(self, delta: str) -> None:
        if self._live and delta:
            self._ctx.output.text(delta)
            self._open = not delta.endswith("\n")

    def tool_call(self, server: str, tool: str, arguments: dict[str, Any]) -> None:
        from mcpctl.core.wire import dump_json

        self.finish()
        self._ctx.output.note(f"→ {server}.{tool} {dump_json(arguments)}")

    def tool_result(self, record: Any) -> None:
        if not record.approved:
            self._ctx.output.note("← declined (run with --yes, or answer yes on a terminal)")
        elif record.ok:
            self._ctx.output.note(f"← ok ({record.duration_ms:.0f} ms)")
        else:
            self._ctx.output.note(f"← error: {record.error or 'the tool reported an error'}")

    @property
    def live(self) -> bool:
        return self._live

    def finish(self) -> None:
        """End a line of streamed text before anything else is written."""
        if self._open:
            self._ctx.output.text("\n")
            self._open = False


def _show_report(ctx: Context, events: _Events, report: ChatReport) -> None:
    """The answer: already streamed on a terminal (its line ended here), else printed (or the JSON document)."""
    answer = report.answer if report.answer.endswith("\n") or not report.answer else report.answer + "\n"
    if events.live:
        events.finish()
    else:
        ctx.output.result(report.to_json(), lambda: answer)


class _Turn:
    """The turn being answered, so that Ctrl-C stops it (provider stream and tool calls) and not the chat."""

    def __init__(self) -> None:
        self.scope: anyio.CancelScope | None = None

    async def run(self, work: Callable[[], Awaitable[ChatReport]]) -> ChatReport | None:
        """The turn's report, or None when Ctrl-C stopped it."""
        import anyio

        with anyio.CancelScope() as scope:
            self.scope = scope
            try:
                return await work()
            finally:
                self.scope = None
        return None

    async def watch(self) -> None:
        """SIGINT during a turn: tell the servers (notifications/cancelled), then cancel it; else ignore it."""
        import signal

        import anyio

        from mcpctl.sessions.session import abandon_requests

        with anyio.open_signal_receiver(signal.SIGINT) as signals:
            async for _ in signals:
                if self.scope is not None:
                    await abandon_requests()  # the notices leave while the transports still run
                    if self.scope is not None:
                        self.scope.cancel()


async def _converse(ctx: Context, chat: Chat, events: _Events, max_rounds: int) -> int:
    """The interactive chat: each line a turn (or a slash command); Ctrl-C stops a turn, Ctrl-D or /quit leave (0)."""
    import contextlib
    import functools

    import anyio

    from mcpctl.core.errors import McpctlError
    from mcpctl.ops.chat.interactive import COMMANDS, append_prompt, history_path, load_prompts, slash
    from mcpctl.output.lineedit import LineEditor

    def complete(before: str) -> list[tuple[str, int]]:
        if not before.startswith("/") or " " in before:
            return []
        return [(c, len(before)) for c in COMMANDS if c.startswith(before)]

    path = history_path()
    editor = LineEditor(load_prompts(path), complete)
    turns: list[tuple[str, ChatReport]] = []
    running = _Turn()
    async with anyio.create_task_group() as tg:
        tg.start_soon(running.watch)
        while True:
            try:
                line = await editor.read(PROMPT)
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            if not line.strip():
                continue
            with contextlib.suppress(OSError):  # a read-only state directory costs the history, not the chat
                append_prompt(path, line)
            try:
                command = slash(line)
                if command is None:
                    report = await running.run(functools.partial(chat.ask, line, events, max_rounds))
                    if report is None:
                        events.finish()
                        ctx.output.note("stopped")
                        continue
                    turns.append((line, report))
                    _show_report(ctx, events, report)
                elif command.name == "/quit":
                    break
                else:
                    await _slash(ctx, chat, command.name, command.argument, turns)
            except McpctlError as error:
                events.finish()
                ctx.output.error(error)
        tg.cancel_scope.cancel()
    return 0


async def _slash(ctx: Context, chat: Chat, name: str, argument: str, turns: list[tuple[str, ChatReport]]) -> None:
    """Run a slash command other than /quit."""
    from mcpctl.ops.chat.interactive import HELP
    from mcpctl.output.writer import Table

    if name == "/tools":
        data = [{"name": exported, **tool.to_json()} for exported, tool in chat.names.items()]
        rows = [[exported, tool.qualified, _first_line(tool.description)] for exported, tool in chat.names.items()]
        ctx.output.items(data, Table(("NAME", "TOOL", "DESCRIPTION"), rows))
    elif name == "/status":
        await _status(ctx, chat)
    elif name == "/history":
        data = [{"prompt": prompt, **report.to_json()} for prompt, report in turns]
        rows = [
            [str(i), _first_line(prompt), str(len(report.tool_calls)), _first_line(report.answer)]
            for i, (prompt, report) in enumerate(turns, 1)
        ]
        ctx.output.items(data, Table(("#", "PROMPT", "TOOL CALLS", "ANSWER"), rows))
    elif name == "/clear":
        chat.provider.clear()
        turns.clear()
        ctx.output.note("conversation cleared")
    elif name == "/model":
        chat.provider.model = argument
        ctx.output.note(f"model: {argument}")
    else:
        ctx.output.note(HELP)


async def _status(ctx: Context, chat: Chat) -> None:
    """The servers' status rows, exactly as the shell's ``status`` shows them."""
    from mcpctl.ops.shell.interp import Shell
    from mcpctl.output.writer import Table

    reply = await Shell(chat.toolkit, history_path=None).run("status")
    for piece in reply.pieces:
        if piece.view == "table":
            ctx.output.items(piece.data, Table(piece.columns, piece.rows))
        elif piece.error is not None:
            ctx.output.error(piece.error)


def _first_line(text: str | None, limit: int = 80) -> str:
    line = (text or "").strip().split("\n", 1)[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _profile_chat(ctx: Context) -> dict[str, str]:
    """The profile's ``[chat]`` defaults (none with --url/--stdio and no profile)."""
    if ctx.adhoc.given and ctx.profile_option is None:
        return {}
    return dict(ctx.profile().chat)


def _prompt_text(ctx: Context, prompt: str | None) -> str | None:
    """``--prompt``, or all of stdin when it is not a terminal; None for the interactive chat (a terminal)."""
    from mcpctl.core.errors import UsageError

    if prompt is not None:
        text = prompt
    else:
        streams = ctx.output.streams
        if ctx.output.streams.interactive:
            return None
        if streams.in_tty or streams.inp is None:
            raise UsageError(
                "the interactive chat needs a terminal", hint="pass --prompt TEXT, or pipe the prompt on stdin"
            )
        text = streams.inp.read()
    if not text.strip():
        raise UsageError("the prompt is empty", hint="pass --prompt TEXT, or pipe the prompt on stdin")
    return text
