"""``mcpctl completion bash|zsh|fish``: print the shell completion script."""

from __future__ import annotations

from typing import Annotated

import typer

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_MCPCTL_COMPLETE"


def completion_script(shell: str) -> str:
    """The completion script for ``shell`` (the same text as ``completions/mcpctl.SHELL``)."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name="mcpctl", complete_var=COMPLETE_VAR, shell=shell) + "\n"


def completion(shell: Annotated[str, typer.Argument(help="bash, zsh or fish.")]) -> None:
    """Print a shell completion script.

    Example: mcpctl completion bash > ~/.local/share/bash-completion/completions/mcpctl
    Example: mcpctl completion zsh > "${fpath[1]}/_mcpctl"
    Example: mcpctl completion fish > ~/.config/fish/completions/mcpctl.fish
    """
    if shell not in SHELLS:
        from mcpctl.errors import UsageError
        from mcpctl.output import Output

        error = UsageError(f"unsupported shell '{shell}'", hint=f"use one of: {', '.join(SHELLS)}")
        Output("text").error(error)
        raise typer.Exit(error.exit_code)
    typer.echo(completion_script(shell), nl=False)
