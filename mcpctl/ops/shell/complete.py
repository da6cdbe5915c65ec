"""Tab completion for the shell: commands, servers, tools, argument keys and values.

Pure over what the shell already knows (the tools listed so far): completing never waits for a
server. Values offered by a server's ``completion/complete`` are not asked for here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mcpctl.ops.model import Tool
from mcpctl.ops.shell.parse import COMMANDS, FORMATS

SERVER_COMMANDS = ("tools", "use", "ping", "resources", "prompts", "read")
TOOL_COMMANDS = ("call", "show")


@dataclass(frozen=True)
class Candidate:
    """A completion: the text that replaces the last ``-start`` characters before the cursor."""

    text: str
    start: int


def complete(
    before: str, servers: Sequence[str], tools: Mapping[str, Sequence[Tool]], current: str | None = None
) -> list[Candidate]:
    """The completions of the word before the cursor in ``before`` (the line up to the cursor)."""
    words = before.split()
    partial = "" if not words or before[-1:].isspace() else words.pop()
    if not words:
        names = [*COMMANDS, *_tool_names(tools, current)]
        return _matching(names, partial)
    head = words[0]
    if head == "help" and len(words) == 1:
        return _matching(COMMANDS, partial)
    if head == "set":
        return _matching(["output"] if len(words) == 1 else FORMATS if len(words) == 2 else [], partial)
    if head in SERVER_COMMANDS:
        return _matching(servers, partial) if len(words) == 1 or head == "ping" else []
    if head in TOOL_COMMANDS and len(words) == 1:
        return _matching(_tool_names(tools, current), partial)
    tool_word, given = (words[1], words[2:]) if head == "call" and len(words) > 1 else (head, words[1:])
    if head in COMMANDS and head != "call":
        return []
    tool = _lookup(tool_word, tools, current)
    if tool is None:
        return []
    return _argument_candidates(tool, given, partial)


def _tool_names(tools: Mapping[str, Sequence[Tool]], current: str | None) -> list[str]:
    """Qualified names always; bare names of the current server's tools and of tools only one server has."""
    bare: dict[str, int] = {}
    for listed in tools.values():
        for tool in listed:
            bare[tool.name] = bare.get(tool.name, 0) + 1
    names = [tool.qualified for listed in tools.values() for tool in listed]
    names += [name for name, n in bare.items() if n == 1]
    if current:
        names += [tool.name for tool in tools.get(current, ()) if bare.get(tool.name, 0) > 1]
    return names


def _lookup(name: str, tools: Mapping[str, Sequence[Tool]], current: str | None) -> Tool | None:
    qualified = [t for listed in tools.values() for t in listed if t.qualified == name]
    if qualified:
        return qualified[0]
    if current and current in tools:
        found = next((t for t in tools[current] if t.name == name), None)
        if found is not None:
            return found
    matches = [t for listed in tools.values() for t in listed if t.name == name]
    return matches[0] if len(matches) == 1 else None


def _argument_candidates(tool: Tool, given: Sequence[str], partial: str) -> list[Candidate]:
    """``key=`` for the properties not given yet; after ``key=``, the enum or boolean values."""
    properties: dict[str, Any] = (tool.input_schema or {}).get("properties") or {}
    if "=" in partial:
        key, _, value = partial.partition("=")
        key = key.rstrip(":")
        values = _values(properties.get(key))
        return [Candidate(v, len(value)) for v in values if v.startswith(value)]
    taken = {word.split("=", 1)[0].rstrip(":") for word in given}
    return _matching([f"{key}=" for key in properties if key not in taken], partial)


def _values(schema: Any) -> list[str]:
    if not isinstance(schema, Mapping):
        return []
    if isinstance(schema.get("enum"), list):
        return [str(v) for v in schema["enum"]]
    if schema.get("type") == "boolean":
        return ["true", "false"]
    return []


def _matching(names: Iterable[str], partial: str) -> list[Candidate]:
    seen: dict[str, None] = {}
    for name in names:
        if name.startswith(partial):
            seen.setdefault(name, None)
    return [Candidate(name, len(partial)) for name in seen]
