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


@app.command("watch")
@server_command(output="ndjson")
def watch(
    ctx: Context,
    words: Annotated[
        list[str], typer.Argument(metavar="[SERVER] URI", help="SERVER URI… (URI… alone with --url/--stdio).")
    ],
    count: Annotated[
        int | None, typer.Option("--count", "-n", min=1, help="Stop after N updates (default: until Ctrl-C).")
    ] = None,
    read: Annotated[bool, typer.Option("--read", help="Read each updated resource and add its contents.")] = False,
) -> None:
    """Watch resources: one line per update, flushed as it arrives, until Ctrl-C or --count updates.

    Each NDJSON line is {"uri", "server", "time", …}: the updated URI (it may be a sub-resource of
    a watched one), the server, when the update arrived (ISO-8601 UTC), and any other params of the
    server's notifications/resources/updated as sent (e.g. _meta). With --read it adds "result", the
    resources/read answer as sent, or "error" when that read failed. -o text prints "TIME SERVER URI"
    (and the contents with --read).

    The server must offer resource subscriptions (else exit 5): resources/subscribe per URI, or a
    subscriptions/listen stream from protocol 2026-07-28. --timeout bounds each request, never the
    wait between updates; --max-time bounds the whole watch (exit 4 when it passes). The server going
    away is exit 3; a 2026-07-28 server closing the stream gracefully ends the watch (exit 0, a note).

    Example: mcpctl resources watch files file:///etc/app.toml --count 1

    Example: mcpctl resources watch files file:///var/log/app.log --read | jq -r '.result.contents[0].text'
    """

    async def work() -> int:
        from mcpctl.core.errors import UsageError
        from mcpctl.ops.watch import watch_resources
        from mcpctl.output.render import render_contents

        server, uris = (None, words) if ctx.adhoc.given else (words[0], words[1:])
        if not uris:
            raise UsageError("name the resource URI(s) to watch", hint="mcpctl resources watch SERVER URI…")
        (target,) = ctx.targets([server] if server else [])

        def emit(line: dict[str, Any]) -> None:
            if ctx.output.machine:
                ctx.output.line(line)
                return
            human = f"{line['time']} {line['server']} {line['uri']}\n"
            if "result" in line:
                human += render_contents(line["result"])
            elif "error" in line:
                human += f"(could not read it: {line['error']['message']})\n"
            ctx.output.result(line, lambda: human)

        watched = await watch_resources(target, ctx.session, uris, emit, count=count, read=read)
        if watched.closed_by_server:
            ctx.output.note(f"{target.name} closed the subscription after {watched.updates} update(s)")
        return 0

    ctx.run(work)
