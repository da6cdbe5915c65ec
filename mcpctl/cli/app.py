"""The command tree: the typer root that wires the command groups of ``mcpctl.commands`` together."""

from __future__ import annotations

import functools
from typing import Annotated, Any

import typer

from mcpctl.cli.lazy import Lazy, lazy_group
from mcpctl.core.version import __version__


@functools.cache
def _tools(app: Any) -> Any:
    """The ``tools`` group with the contract and export commands (their own modules) added, once."""
    from mcpctl.commands import contract as contract_cmd
    from mcpctl.commands import export as export_cmd

    app.command("lock")(contract_cmd.lock)
    app.command("check")(contract_cmd.check)
    app.command("diff")(contract_cmd.diff)
    app.command("export")(export_cmd.export)
    return app


#: The top-level commands, in ``--help`` order; each module is imported when its command is used. A summary is
#: the first paragraph of the command's help (tests/cli/test_startup.py fails when one drifts).
COMMANDS: dict[str, Lazy] = {
    "call": Lazy(
        "mcpctl.commands.call",
        "call",
        "Call a tool and print its result; exit 1 when the tool reports isError.",
        context_settings={"allow_interspersed_args": True},
    ),
    "batch": Lazy(
        "mcpctl.commands.batch",
        "batch",
        "Run a file of calls; one NDJSON line a call: {id, server, tool, ok, result|error, attempts, duration_ms}.",
    ),
    "ping": Lazy(
        "mcpctl.commands.ping",
        "ping",
        "Check that servers answer: round trips, protocol version, the reason when not; exit 1 if any is unhealthy.",
    ),
    "chat": Lazy(
        "mcpctl.commands.chat",
        "chat",
        "Let a model use the servers' tools; print its answer. Keys: ANTHROPIC_API_KEY, OPENAI_API_KEY.",
    ),
    "shell": Lazy(
        "mcpctl.commands.shell",
        "shell",
        "Open servers once, then list, call, retry and watch them: tab completion, history, status.",
    ),
    "history": Lazy(
        "mcpctl.commands.history",
        "history",
        "Show the calls made in `mcpctl shell` (newest last; secrets masked), kept in $XDG_STATE_HOME/mcpctl.",
    ),
    "completion": Lazy("mcpctl.commands.completion", "completion", "Print a shell completion script."),
    "__complete-arg": Lazy(
        "mcpctl.commands.complete_arg",
        "complete_arg",
        "Print completion values for the argument being typed (used by the completion scripts).",
        hidden=True,
    ),
    "servers": Lazy(
        "mcpctl.commands.servers", "app", "Manage the servers in the profile and inspect them.", group=True
    ),
    "tools": Lazy(
        "mcpctl.commands.tools", "app", "List and describe the tools servers offer.", group=True, prepare=_tools
    ),
    "resources": Lazy("mcpctl.commands.resources", "app", "List and read the resources servers offer.", group=True),
    "prompts": Lazy("mcpctl.commands.prompts", "app", "List prompts and render them with arguments.", group=True),
    "tasks": Lazy(
        "mcpctl.commands.tasks",
        "app",
        "Follow tool calls started as tasks (call --task): status, wait for the result, cancel. A stdio server's "
        "tasks end with its process, so these are for HTTP servers (--url or a profile url).",
        group=True,
    ),
    "auth": Lazy(
        "mcpctl.commands.auth",
        "app",
        "Log in to OAuth-protected HTTP servers; see and remove stored tokens.",
        group=True,
    ),
}

app = typer.Typer(
    name="mcpctl",
    help="A command-line toolbox for MCP servers: list tools, call them, check health, in scripts and CI.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    cls=lazy_group(COMMANDS),
)


def _version(value: bool) -> None:
    if value:
        from mcpctl.cli.context import emit_text

        emit_text(f"mcpctl {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", "-V", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """mcpctl: talk to MCP servers from the shell, scripts and CI."""
