"""``mcpctl tools list|show``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mcpctl.cli.context import Context, emit_listing
from mcpctl.cli.options import server_command

app = typer.Typer(help="List and describe the tools servers offer.", no_args_is_help=True)


@app.command("list")
@server_command()
def list_(
    ctx: Context,
    servers: Annotated[list[str] | None, typer.Argument(help="Servers to list (default: every enabled one).")] = None,
) -> None:
    """List tools: one row a tool (server, name, title, description, required arguments).

    Servers are queried concurrently; a server that fails is reported on stderr and
    the command exits with that failure's code after printing the rest.

    Example: mcpctl tools list

    Example: mcpctl tools list demo -o json | jq '.[].name'
    """

    async def work() -> int:
        from mcpctl.core.schema.describe import describe_required
        from mcpctl.ops.registry import list_tools
        from mcpctl.output.writer import first_line

        def row(server: str, tool: Any) -> list[str]:
            title = tool.title or (tool.annotations.title if tool.annotations and tool.annotations.title else "")
            return [
                server,
                tool.name,
                title or "",
                first_line(tool.description),
                ",".join(describe_required(tool.input_schema)),
            ]

        listed = await list_tools(ctx.targets(servers), ctx.session)
        return emit_listing(ctx, listed, ["SERVER", "TOOL", "TITLE", "DESCRIPTION", "REQUIRED"], row)

    ctx.run(work)


@app.command("show")
@server_command()
def show(
    ctx: Context,
    name: Annotated[str, typer.Argument(help="SERVER.TOOL (or TOOL with --url / --stdio, or a bare TOOL).")],
) -> None:
    """Show one tool: description, arguments, full input/output schema and annotations.

    Example: mcpctl tools show demo.weather
    """

    async def work() -> int:
        from mcpctl.core.schema.describe import schema_summary
        from mcpctl.core.wire import wire
        from mcpctl.ops.registry import choose_target, find_tool, parse_tool_ref
        from mcpctl.output.render import render_tool
        from mcpctl.sessions.session import open_session

        ref = parse_tool_ref(name, None if ctx.adhoc.given else ctx.profile(), ctx.adhoc.given)
        target = await choose_target(ref, ctx.targets([ref.server] if ref.server else []), ctx.session)
        async with open_session(target, ctx.session) as session:
            tool = find_tool(await session.list_tools(), ref, target)
        data = {"server": target.name, **wire(tool)}
        ctx.output.result(data, lambda: render_tool(target.name, data, schema_summary(tool.input_schema)))
        return 0

    ctx.run(work)
