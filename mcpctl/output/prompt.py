"""Questions to a person at the terminal: the form ``--elicit prompt`` fills, field by field."""

from __future__ import annotations

from typing import Any

from mcpctl.output.sanitize import cell, visible
from mcpctl.output.streams import Streams


def ask_form(streams: Streams, server: str, message: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    """Ask for each field on the terminal (questions on stderr); None when the person gives up (EOF)."""
    from mcpctl.core.errors import ArgumentError
    from mcpctl.core.items import parse_item
    from mcpctl.core.schema.coerce import coerce_item

    streams.err.write(f"{cell(server)} asks: {visible(message)}\n")  # the server's words: shown, never obeyed
    content: dict[str, Any] = {}
    required = set(schema.get("required", []))
    for name, spec in schema.get("properties", {}).items():
        label = cell(str(spec.get("title") or name))
        default = spec.get("default")
        shown = cell(str(default))
        hint = f" [{shown}]" if default is not None else (" (required)" if name in required else " (optional)")
        while True:
            streams.err.write(f"  {label}{hint}: ")
            streams.err.flush()
            line = streams.inp.readline() if streams.inp is not None else ""
            if not line:
                return None
            text = line.rstrip("\n")
            if not text:
                if default is not None:
                    content[name] = default
                elif name in required:
                    continue
                break
            try:
                content[name] = coerce_item(parse_item(f"{name}={text}"), {"properties": {name: spec}})
                break
            except ArgumentError as error:
                streams.err.write(f"  {visible(error.message)}\n")
    return content


def ask_approval(streams: Streams, qualified: str, arguments: dict[str, Any], destructive: bool) -> str:
    """Ask whether the model may run a tool: "yes", "no" or "always" (for this tool); EOF is "no"."""
    from mcpctl.core.wire import dump_json

    flag = " [destructive]" if destructive else ""
    streams.err.write(f"run {cell(qualified)}{flag} {visible(dump_json(arguments))}? [y]es / [n]o / [a]lways: ")
    streams.err.flush()
    line = streams.inp.readline() if streams.inp is not None else ""
    answer = line.strip().lower()
    if answer in ("a", "always"):
        return "always"
    return "yes" if answer in ("y", "yes") else "no"
