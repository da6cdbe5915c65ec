"""``mcpctl tools lock|check|diff``: lock the servers' contract, and tell CI when it changes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpctl.cli.context import Context, make_context
from mcpctl.cli.options import OutputOpt, QuietOpt, server_command

if TYPE_CHECKING:
    from mcpctl.ops.contract import Report

LockFileOpt = Annotated[
    Path | None, typer.Option("--file", "-f", help="The lock file (default: mcpctl.lock beside the profile).")
]
IgnoreOpt = Annotated[
    list[str] | None,
    typer.Option("--ignore", help="Leave out changes to SERVER.ITEM[.PATH] matching this glob (repeatable)."),
]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Exit 1 on any change, not only breaking ones.")]


@server_command()
def lock(
    ctx: Context,
    servers: Annotated[list[str] | None, typer.Argument(help="Servers to lock (default: every enabled one).")] = None,
    file: LockFileOpt = None,
    update: Annotated[bool, typer.Option("--update", help="Rewrite an existing lock file.")] = False,
) -> None:
    """Write each server's surface (tools, resources, templates, prompts) to a stable, diff-friendly lock file.

    Example: mcpctl tools lock

    Example: mcpctl tools lock api --update -f contracts/api.lock
    """

    async def work() -> int:
        from mcpctl.ops.contract import capture, write_lock
        from mcpctl.ops.toolkit import open_toolkit

        targets = ctx.targets(servers)
        path = file or _default_lock(ctx)
        async with open_toolkit(targets, ctx.session) as tk:
            entries, errors = await capture(tk, tk.servers)
        for error in errors:
            ctx.output.error(error)
        if errors:
            ctx.output.note("nothing written: every server must answer to be locked")
            return max(error.exit_code for error in errors)
        done = write_lock(path, entries, update=update)
        verb = "unchanged" if done.unchanged else "wrote"
        ctx.output.result(done.to_json(), lambda: f"{verb} {path} ({', '.join(done.servers)})\n")
        return 0

    ctx.run(work)


@server_command()
def check(
    ctx: Context,
    servers: Annotated[list[str] | None, typer.Argument(help="Servers to check (default: those in the lock).")] = None,
    file: LockFileOpt = None,
    strict: StrictOpt = False,
    ignore: IgnoreOpt = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write a JUnit XML report here.")] = None,
) -> None:
    """Compare the live servers with the lock: every change, classed breaking, compatible or info.

    Exit 1 on a breaking change (any change with --strict); a server that cannot be reached is its own exit code.

    Example: mcpctl tools check

    Example: mcpctl tools check --report contract.xml --ignore 'api.debug_*'
    """

    async def work() -> int:
        from mcpctl.ops.contract import capture, classify_changes, read_lock
        from mcpctl.ops.toolkit import open_toolkit

        path = file or _default_lock(ctx)
        locked = read_lock(path)
        names = servers or sorted(locked)
        targets = ctx.targets(names)
        async with open_toolkit(targets, ctx.session) as tk:
            live, errors = await capture(tk, tk.servers)
        checked = [t.name for t in targets if t.name in live]
        found = classify_changes({n: locked[n] for n in checked if n in locked}, live, checked, ignore or [])
        _render(ctx, found)
        if report is not None:
            _junit(report, checked, found, strict, [(e.server or "?", e.message) for e in errors])
        for error in errors:
            ctx.output.error(error)
        return max([_verdict(found, strict), *(error.exit_code for error in errors)])

    ctx.run(work)


def diff(
    old: Annotated[Path, typer.Argument(help="The lock before (e.g. from the main branch).")],
    new: Annotated[Path, typer.Argument(help="The lock after.")],
    strict: StrictOpt = False,
    ignore: IgnoreOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Compare two lock files offline, with the same rules as check (for reviewing a change to the lock).

    Example: mcpctl tools diff main.lock mcpctl.lock
    """
    from mcpctl.ops.contract import classify_changes, read_lock

    ctx = make_context(output=output, quiet=quiet)
    found = classify_changes(read_lock(old), read_lock(new), None, ignore or [])
    _render(ctx, found)
    raise typer.Exit(_verdict(found, strict))


def _default_lock(ctx: Context) -> Path:
    from mcpctl.core.profile import resolve_profile_path
    from mcpctl.ops.contract import default_lock_path

    return default_lock_path(resolve_profile_path(ctx.profile_option)[0])


def _verdict(found: Report, strict: bool) -> int:
    return 1 if found.of("breaking") or (strict and found.changes) else 0


def _render(ctx: Context, found: Report) -> None:
    from mcpctl.output.contract import render_changes

    ctx.output.result(found.to_json(), lambda: render_changes(found.changes, found.ignored))


def _junit(path: Path, servers: list[str], found: Report, strict: bool, unreachable: list[tuple[str, str]]) -> None:
    from mcpctl.output import junit

    cases = []
    for server in servers:
        mine = [c for c in found.changes if c.server == server]
        failing = [c for c in mine if c.level == "breaking" or strict]
        text = "\n".join(f"{c.level}: {c.kind} {c.item} {c.path}: {c.message}".replace("  ", " ") for c in failing)
        cases.append(junit.Case(name=server, classname="mcpctl.contract", failure=text or None))
    cases += [junit.Case(name=s, classname="mcpctl.contract", failure=f"unreachable: {m}") for s, m in unreachable]
    junit.write(path, "contract", cases)
