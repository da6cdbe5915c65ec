"""The command tree: the typer root that wires the command groups of ``mcpctl.commands`` together."""

from __future__ import annotations

from typing import Annotated

import typer

from mcpctl.cli.context import emit_text
from mcpctl.commands import batch as batch_cmd
from mcpctl.commands import call as call_cmd
from mcpctl.commands import chat as chat_cmd
from mcpctl.commands import complete_arg as complete_arg_cmd
from mcpctl.commands import completion as completion_cmd
from mcpctl.commands import contract as contract_cmd
from mcpctl.commands import export as export_cmd
from mcpctl.commands import history as history_cmd
from mcpctl.commands import ping as ping_cmd
from mcpctl.commands import prompts as prompts_cmd
from mcpctl.commands import resources as resources_cmd
from mcpctl.commands import servers as servers_cmd
from mcpctl.commands import shell as shell_cmd
from mcpctl.commands import tools as tools_cmd
from mcpctl.core.version import __version__

app = typer.Typer(
    name="mcpctl",
    help="A command-line toolbox for MCP servers: list tools, call them, check health, in scripts and CI.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)
app.add_typer(servers_cmd.app, name="servers")
tools_cmd.app.command("lock")(contract_cmd.lock)
tools_cmd.app.command("check")(contract_cmd.check)
tools_cmd.app.command("diff")(contract_cmd.diff)
tools_cmd.app.command("export")(export_cmd.export)
app.add_typer(tools_cmd.app, name="tools")
app.add_typer(resources_cmd.app, name="resources")
app.add_typer(prompts_cmd.app, name="prompts")
app.command("call", context_settings={"allow_interspersed_args": True})(call_cmd.call)
app.command("batch")(batch_cmd.batch)
app.command("ping")(ping_cmd.ping)
app.command("chat")(chat_cmd.chat)
app.command("shell")(shell_cmd.shell)
app.command("history")(history_cmd.history)
app.command("completion")(completion_cmd.completion)
app.command("__complete-arg", hidden=True)(complete_arg_cmd.complete_arg)


def _version(value: bool) -> None:
    if value:
        emit_text(f"mcpctl {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", "-V", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """mcpctl: talk to MCP servers from the shell, scripts and CI."""
