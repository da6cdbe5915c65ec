"""``mcpctl servers add|import|list|show|remove|inspect``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from mcpctl.cli.context import Context, make_context
from mcpctl.cli.options import EnvOpt, HeaderOpt, OutputOpt, ProfileOpt, QuietOpt, TransportOpt, server_command
from mcpctl.core.errors import UsageError
from mcpctl.core.profile import add_server, parse_profile, read_text, remove_server, resolve_profile_path, server_table
from mcpctl.output.render import config_view, render_config, render_inspect
from mcpctl.output.writer import Table
from mcpctl.sessions.targets import parse_env, parse_header

app = typer.Typer(help="Manage the servers in the profile and inspect them.", no_args_is_help=True)


class _CommandAfterDashes(TyperCommand):
    """``servers add NAME -- COMMAND ARGS…``: a word before ``--`` other than NAME is a mistake, not the command.

    click hands every positional word after NAME to ``command``, whether it came before ``--``
    or after; only the words after ``--`` (counted here, before click parses) are the command.
    So ``servers add bad name -- cmd`` is exit 2, not a server ``bad`` running ``name cmd``.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # ctx: typer's vendored click.Context
        after = len(args) - args.index("--") - 1 if "--" in args else 0
        rest = super().parse_args(ctx, args)
        given = ctx.params.get("command") or []
        stray = given[: len(given) - after]
        if stray and not ctx.resilient_parsing:
            name = ctx.params.get("name")
            raise UsageError(
                f"unexpected {' '.join(repr(w) for w in stray)} after the server name '{name}'",
                hint="a NAME is one word ([A-Za-z0-9_-]+), and the command goes after --: "
                "mcpctl servers add NAME -- COMMAND ARGS…",
            )
        return rest


@app.command("add", cls=_CommandAfterDashes)
def add(
    name: Annotated[str, typer.Argument(help="Server name ([A-Za-z0-9_-]+).")],
    command: Annotated[
        list[str] | None, typer.Argument(help="After --: the stdio server's command and arguments.")
    ] = None,
    url: Annotated[str | None, typer.Option("--url", help="The server's Streamable HTTP (or SSE) URL.")] = None,
    env: EnvOpt = None,
    header: HeaderOpt = None,
    transport: TransportOpt = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Replace a server of the same name.")] = False,
    profile: ProfileOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Add a server to the profile (created when absent); the rest of the file is kept byte for byte.

    Example: mcpctl servers add demo -- python -m mcpctl.demo

    Example: mcpctl servers add remote --url https://example.test/mcp -H 'X-Team: platform'
    """
    ctx = make_context(output=output, profile=profile, quiet=quiet)
    table = _table_for(command, url, env, header, transport)
    path, _ = resolve_profile_path(profile)
    replaced = add_server(path, name, table, force=force)
    verb = "replaced" if replaced else "added"
    ctx.output.result(
        {"server": name, "profile": str(path), "action": verb}, lambda: f"{verb} server '{name}' in {path}\n"
    )


def _table_for(
    command: list[str] | None, url: str | None, env: list[str] | None, header: list[str] | None, transport: str | None
) -> dict[str, Any]:
    if bool(command) == bool(url):
        raise UsageError(
            "give either --url URL or -- COMMAND ARGS…",
            hint="e.g. mcpctl servers add demo -- python -m mcpctl.demo",
        )
    if command and (header or transport):
        raise UsageError("-H and --transport go with --url")
    if url and env:
        raise UsageError("-e goes with a stdio command (after --)")
    from mcpctl.core.profile import normalize_transport

    chosen = None
    if transport:
        chosen = normalize_transport(transport)
        if chosen in (None, "stdio"):
            raise UsageError(f"unknown transport '{transport}' for --url", hint="use streamable-http or sse")
    return server_table(
        command=command,
        url=url,
        transport=chosen,
        env=dict(parse_env(e) for e in env or ()),
        headers=dict(parse_header(h) for h in header or ()),
    )


@app.command("import")
def import_(
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="claude, claude-code, cursor, vscode, codex, or a configuration file (default: every known place).",
        ),
    ] = None,
    prefix: Annotated[
        str | None, typer.Option("--prefix", help="Import a server whose name is taken as PREFIX<name>.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Replace servers of the same name.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the TOML that would be appended; write nothing.")
    ] = False,
    profile: ProfileOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Import the servers configured in Claude Desktop, Claude Code, Cursor, VS Code or Codex.

    ${VAR} references are kept, never expanded; inline secrets, VS Code ${input:…} prompts and keys
    mcpctl has no meaning for are reported on stderr. Existing servers are kept unless --force.

    Example: mcpctl servers import --dry-run

    Example: mcpctl servers import --from vscode --prefix vscode-

    Example: mcpctl servers import --from ~/.codex/config.toml --profile ./mcpctl.toml
    """
    from mcpctl.core.secrets import redact
    from mcpctl.ops.imports.plan import ImportRequest, apply_plan, plan_import

    ctx = make_context(output=output, profile=profile, quiet=quiet)
    path, _ = resolve_profile_path(profile)
    existing = parse_profile(read_text(path), path).servers if path.exists() else {}
    plan = plan_import(ImportRequest(source=source, prefix=prefix, force=force), existing, path)
    redact.add(plan.secret_values)
    for message in plan.messages:
        if message.level == "warning":
            ctx.output.warn(str(message))
        elif not ctx.output.machine:
            ctx.output.note(str(message))
    if not dry_run:
        apply_plan(plan)
    if dry_run and not ctx.output.machine:
        count = len(plan.servers)
        ctx.output.note(
            f"dry run: {count} server{'' if count == 1 else 's'} would be imported into {path}; nothing written"
        )
    ctx.output.result(plan.to_json(dry_run=dry_run), plan.toml if dry_run else plan.summary)


@app.command("list")
def list_(profile: ProfileOpt = None, output: OutputOpt = None) -> None:
    """List the profile's servers (secrets shown as ***).

    Example: mcpctl servers list -o json
    """
    ctx = make_context(output=output, profile=profile)
    prof = ctx.profile()
    views = [config_view(c) for c in prof.servers.values()]
    rows = [[v["name"], v["transport"], v["target"], "yes" if v["enabled"] else "no"] for v in views]
    if not views and not ctx.output.machine:
        ctx.output.note(f"no servers in {prof.path}; add one with: mcpctl servers add NAME -- COMMAND ARGS…")
    ctx.output.items(views, Table(["NAME", "TRANSPORT", "TARGET", "ENABLED"], rows))


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Server name.")],
    profile: ProfileOpt = None,
    output: OutputOpt = None,
) -> None:
    """Show one server's configuration (secrets shown as ***).

    Example: mcpctl servers show demo
    """
    ctx = make_context(output=output, profile=profile)
    view = config_view(ctx.profile().server(name))
    ctx.output.result(view, lambda: render_config(view))


@app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="Server name.")],
    profile: ProfileOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Remove a server from the profile (the old file is kept as PROFILE.bak).

    Example: mcpctl servers remove demo
    """
    ctx = make_context(output=output, profile=profile, quiet=quiet)
    prof = ctx.profile()
    if name not in prof.servers:
        known = ", ".join(sorted(prof.servers))
        raise UsageError(
            f"no server '{name}' in {prof.path}",
            hint=f"known servers: {known}" if known else "the profile has no servers; see: mcpctl servers list",
            server=name,
        )
    path = prof.path
    remove_server(path, name)
    ctx.output.result(
        {"server": name, "profile": str(path), "action": "removed"}, lambda: f"removed server '{name}' from {path}\n"
    )


@app.command("inspect")
@server_command()
def inspect(
    ctx: Context,
    name: Annotated[str | None, typer.Argument(help="Server name (or use --url / --stdio).")] = None,
) -> None:
    """Connect and show serverInfo, protocol version, capabilities, instructions and counts.

    Example: mcpctl servers inspect demo

    Example: mcpctl servers inspect --stdio 'python -m mcpctl.demo' -o json
    """

    async def work() -> int:
        from mcpctl.ops.inspection import inspect_server

        if name is None and not ctx.adhoc.given:
            raise UsageError("name a server, or use --url / --stdio", hint="mcpctl servers list shows the names")
        (target,) = ctx.targets([name] if name else [])
        info = await inspect_server(target, ctx.session)
        ctx.output.result(info, lambda: render_inspect(info))
        return 0

    ctx.run(work)
