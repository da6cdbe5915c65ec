"""``mcpctl completion bash|zsh|fish``: print the completion script generated from the command tree.

The scripts list every command and option, so a tab costs no Python start-up;
only profile server names are asked of ``mcpctl servers list`` (which never
imports the SDK). ``completions/`` holds the same text; a test fails on drift.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mcpctl.cli.context import emit_text
from mcpctl.core.errors import UsageError
from mcpctl.output.completion import SHELLS, completion_script


def completion(ctx: typer.Context, shell: Annotated[str, typer.Argument(help="bash, zsh or fish.")]) -> None:
    """Print a shell completion script.

    Example: mcpctl completion bash > ~/.local/share/bash-completion/completions/mcpctl

    Example: mcpctl completion zsh > "${fpath[1]}/_mcpctl"

    Example: mcpctl completion fish > ~/.config/fish/completions/mcpctl.fish
    """
    if shell not in SHELLS:
        raise UsageError(f"unsupported shell '{shell}'", hint=f"use one of: {', '.join(SHELLS)}")
    emit_text(completion_script(shell, ctx.find_root().command))
