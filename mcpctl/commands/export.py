"""``mcpctl tools export``: the servers' tools as definitions for an LLM API (Anthropic, OpenAI, Gemini, MCP)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mcpctl.cli.context import Context
from mcpctl.cli.options import server_command


@server_command(output="json")
def export(
    ctx: Context,
    servers: Annotated[list[str] | None, typer.Argument(help="Servers to export (default: every enabled one).")] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="anthropic, openai, gemini, or mcp (the tools as listed).")
    ] = "anthropic",
    map_file: Annotated[
        Path | None, typer.Option("--map", help="Write the map from exported names back to SERVER.TOOL here (JSON).")
    ] = None,
) -> None:
    """Print the tools as an LLM API takes them, named SERVER__TOOL (valid, unique, at most 64 characters).

    Example: mcpctl tools export --format openai > tools.json

    Example: mcpctl tools export demo --format gemini --map names.json
    """
    from mcpctl.core.errors import UsageError
    from mcpctl.core.export import FORMATS

    if fmt not in FORMATS:
        raise UsageError(f"unknown --format '{fmt}'", hint=f"use one of: {', '.join(FORMATS)}")

    async def work() -> int:
        from mcpctl.core.export import export_tools
        from mcpctl.core.files import atomic_write
        from mcpctl.core.wire import dump_json
        from mcpctl.ops.toolkit import open_toolkit

        async with open_toolkit(ctx.targets(servers), ctx.session) as tk:
            tools = await tk.list_tools()
        exported, mapping = export_tools([t.to_json() for t in tools], fmt)
        if map_file is not None:
            atomic_write(map_file, dump_json(mapping, indent=2) + "\n", mode=0o644)
        ctx.output.result(exported, lambda: dump_json(exported, indent=2) + "\n")
        return 0

    ctx.run(work)
