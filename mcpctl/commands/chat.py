"""``mcpctl chat``: a model (Anthropic or an OpenAI-compatible API) uses the servers' tools, one prompt at a time."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from mcpctl.cli.context import Context
from mcpctl.cli.options import server_command


@server_command()
def chat(
    ctx: Context,
    servers: Annotated[
        list[str] | None, typer.Argument(help="Servers whose tools the model gets (default: all).")
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="anthropic, or openai (any Chat Completions API).")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="The model, e.g. claude-sonnet-4-5 or gpt-4o.")] = None,
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
) -> None:
    """Let a model use the servers' tools; print its answer. Keys: ANTHROPIC_API_KEY, OPENAI_API_KEY.

    Read-only tools run at once; others with --yes, or when you answer yes on a terminal (declined otherwise).

    Example: mcpctl chat demo --provider anthropic --model claude-sonnet-4-5 --prompt "Weather in Oslo?"

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
            raise UsageError("no --model given", hint="e.g. --model claude-sonnet-4-5 (or set [chat] model)")
        key = os.environ.get(KEY_VARS[name], "")
        if not key:
            raise UsageError(f"{KEY_VARS[name]} is not set", hint=f"export {KEY_VARS[name]}=… (the {name} API key)")
        redact.add([key])
        text = _prompt_text(ctx, prompt)
        llm = open_provider(name, chosen_model, key, base_url or defaults.get("base_url"))
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
                report = await session.ask(text, events, max_rounds)
        finally:
            await llm.aclose()
        answer = report.answer if report.answer.endswith("\n") or not report.answer else report.answer + "\n"
        if live:
            events.finish()
        else:
            ctx.output.result(report.to_json(), lambda: answer)
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

    def finish(self) -> None:
        """End a line of streamed text before anything else is written."""
        if self._open:
            self._ctx.output.text("\n")
            self._open = False


def _profile_chat(ctx: Context) -> dict[str, str]:
    """The profile's ``[chat]`` defaults (none with --url/--stdio and no profile)."""
    if ctx.adhoc.given and ctx.profile_option is None:
        return {}
    return dict(ctx.profile().chat)


def _prompt_text(ctx: Context, prompt: str | None) -> str:
    """``--prompt``, or all of stdin when it is not a terminal."""
    from mcpctl.core.errors import UsageError

    if prompt is not None:
        text = prompt
    else:
        streams = ctx.output.streams
        if streams.in_tty or streams.inp is None:
            raise UsageError(
                "the interactive chat is not available yet", hint="pass --prompt TEXT, or pipe the prompt on stdin"
            )
        text = streams.inp.read()
    if not text.strip():
        raise UsageError("the prompt is empty", hint="pass --prompt TEXT, or pipe the prompt on stdin")
    return text
