"""``mcpctl history``: the shell's call log, from outside the shell."""

from __future__ import annotations

from typing import Annotated

import typer

from mcpctl.cli.context import Context, make_context
from mcpctl.cli.options import OutputOpt


def history(
    count: Annotated[int, typer.Option("-n", "--count", help="Show the last N calls.", min=1)] = 20,
    output: OutputOpt = None,
) -> None:
    """Show the calls made in `mcpctl shell` (newest last; secrets masked), kept in $XDG_STATE_HOME/mcpctl.

    Example: mcpctl history -n 5

    Example: mcpctl history -o json | jq '.[] | select(.ok | not)'
    """
    ctx: Context = make_context(output=output)

    async def work() -> int:
        from mcpctl.core.history import default_path, load
        from mcpctl.ops.shell.interp import history_piece
        from mcpctl.output.writer import Table

        piece = history_piece(load(default_path()), count)
        ctx.output.items(piece.data, Table(piece.columns, piece.rows))
        return 0

    ctx.run(work)
