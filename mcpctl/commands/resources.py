"""``mcpctl resources list|templates|read``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mcpctl.cli.context import Context, emit_listing
from mcpctl.cli.options import server_command

app = typer.Typer(help="List and read the resources servers offer.", no_args_is_help=True)


@app.command("list")
@server_command()
def list_(
    ctx: Context,
    servers: Annotated[list[str] | None, typer.Argument(help="Servers to list (default: every enabled one).")] = None,
) -> None:
    """List resources: one row a resource (server, URI, name, MIME type, description).

    Example: mcpctl resources list

    Example: mcpctl resources list demo -o json
    """

    async def work() -> int:
        from mcpctl.ops.registry import list_across
        from mcpctl.ops.resources import RESOURCES
        from mcpctl.output.writer import first_line

        def row(server: str, item: Any) -> list[str]:
            return [server, str(item.uri), item.name or "", item.mime_type or "", first_line(item.description)]

        listed = await list_across(ctx.targets(servers), ctx.session, RESOURCES)
        return emit_listing(ctx, listed, ["SERVER", "URI", "NAME", "MIME", "DESCRIPTION"], row)

    ctx.run(work)


@app.command("templates")
@server_command()
def templates(
    ctx: Context,
    servers: Annotated[list[str] | None, typer.Argument(help="Servers to list (default: every enabled one).")] = None,
) -> None:
    """List resource templates: one row a template (server, URI template, name, MIME type, description).

    Example: mcpctl resources templates demo
    """

    async def work() -> int:
        from mcpctl.ops.registry import list_across
        from mcpctl.ops.resources import TEMPLATES
        from mcpctl.output.writer import first_line

        def row(server: str, item: Any) -> list[str]:
            return [server, item.uri_template, item.name or "", item.mime_type or "", first_line(item.description)]

        listed = await list_across(ctx.targets(servers), ctx.session, TEMPLATES)
        return emit_listing(ctx, listed, ["SERVER", "URI TEMPLATE", "NAME", "MIME", "DESCRIPTION"], row)

    ctx.run(work)


@app.command("read")
@server_command(elicit=True)
def read(
    ctx: Context,
    words: Annotated[
        list[str],
        typer.Argument(
            help="SERVER URI [NAME=VALUE…] (URI alone with --url/--stdio); a URI template takes its variables."
        ),
    ],
    save: Annotated[Path | None, typer.Option("--save", help="Write binary contents into this folder.")] = None,
) -> None:
    """Read a resource: text printed as it is, binary summarised (or written with --save DIR).

    Example: mcpctl resources read demo demo://readme

    Example: mcpctl resources read demo 'greet://{name}' name=bob
    """

    async def work() -> int:
        from mcpctl.core.errors import UsageError
        from mcpctl.core.items import string_arguments
        from mcpctl.ops.call import save_binaries, strip_marks
        from mcpctl.ops.resources import expand_template, read_resource
        from mcpctl.output.render import render_contents
        from mcpctl.sessions.session import open_session

        server, rest = (None, words) if ctx.adhoc.given else (words[0], words[1:])
        if not rest:
            raise UsageError("name the resource URI", hint="mcpctl resources read SERVER URI")
        uri = rest[0]
        values = string_arguments(rest[1:])
        if "{" in uri:
            uri = expand_template(uri, values)
        elif values:
            raise UsageError(f"{uri} is not a URI template; it takes no NAME=VALUE arguments")
        (target,) = ctx.targets([server] if server else [])
        async with open_session(target, ctx.session) as session:
            result = await read_resource(session, uri)
        contents = result.get("contents", [])
        if save is not None:
            save_binaries(contents, save, "resource")
        text = render_contents(result)
        strip_marks(contents)
        ctx.output.result({"server": target.name, "uri": uri, "result": result}, lambda: text)
        return 0

    ctx.run(work)
