"""``mcpctl prompts list|get``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mcpctl.cli.context import Context, emit_listing
from mcpctl.cli.options import server_command

app = typer.Typer(help="List prompts and render them with arguments.", no_args_is_help=True)


@app.command("list")
@server_command()
def list_(
    ctx: Context,
    servers: Annotated[list[str] | None, typer.Argument(help="Servers to list (default: every enabled one).")] = None,
) -> None:
    """List prompts: one row a prompt (server, name, title, description, arguments; * = required).

    Example: mcpctl prompts list
    """

    async def work() -> int:
        from mcpctl.ops.prompts import PROMPTS
        from mcpctl.ops.registry import list_across
        from mcpctl.output.writer import first_line

        def row(server: str, item: Any) -> list[str]:
            args = ",".join(f"{a.name}{'*' if a.required else ''}" for a in item.arguments or [])
            return [server, item.name, item.title or "", first_line(item.description), args]

        listed = await list_across(ctx.targets(servers), ctx.session, PROMPTS)
        return emit_listing(ctx, listed, ["SERVER", "PROMPT", "TITLE", "DESCRIPTION", "ARGUMENTS"], row)

    ctx.run(work)


@app.command("get")
@server_command(elicit=True)
def get(
    ctx: Context,
    name: Annotated[str, typer.Argument(help="SERVER.PROMPT (or PROMPT with --url/--stdio, or a bare PROMPT).")],
    items: Annotated[list[str] | None, typer.Argument(help="Arguments: key=value or key=@file (strings).")] = None,
) -> None:
    """Render a prompt with arguments (required ones are checked before sending).

    Example: mcpctl prompts get demo.review code='print(1)'

    Example: mcpctl prompts get demo.review code=@main.py -o json
    """

    async def work() -> int:
        from mcpctl.core.errors import UsageError
        from mcpctl.core.items import string_arguments
        from mcpctl.ops.prompts import PROMPTS, check_prompt_arguments, get_prompt
        from mcpctl.ops.registry import choose_target, parse_tool_ref
        from mcpctl.output.render import render_messages
        from mcpctl.sessions.session import open_session

        ref = parse_tool_ref(name, None if ctx.adhoc.given else ctx.profile(), ctx.adhoc.given)
        values = string_arguments(items or [])
        targets = ctx.targets([ref.server] if ref.server else [])
        target = await choose_target(ref, targets, ctx.session, PROMPTS, "prompt")
        async with open_session(target, ctx.session) as session:
            prompts = await PROMPTS(session)
            prompt = next((p for p in prompts if p.name == ref.tool), None)
            if prompt is None:
                known = ", ".join(p.name for p in prompts) or "none"
                raise UsageError(f"unknown prompt '{ref.tool}' on server '{target.name}'", hint=f"its prompts: {known}")
            check_prompt_arguments(prompt, values, target.name, target.config is not None)
            result = await get_prompt(session, prompt.name, values)
        ctx.output.result(
            {"server": target.name, "prompt": prompt.name, "result": result}, lambda: render_messages(result)
        )
        return 0

    ctx.run(work)
