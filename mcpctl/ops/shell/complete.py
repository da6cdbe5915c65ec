"""Tab completion for the shell: commands, servers, tools, argument keys and values.

Pure over what the shell already knows (the tools and prompts listed so far, and the values the
servers' ``completion/complete`` gave): completing never waits for a server. ``value_query`` says
which ``completion/complete`` request a line needs (the caller asks, with a bounded wait, and
passes the answers back in as ``values``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mcpctl.ops.model import Tool
from mcpctl.ops.resources import template_variables
from mcpctl.ops.shell.parse import COMMANDS, FORMATS

SERVER_COMMANDS = ("tools", "use", "ping", "resources", "prompts")
TOOL_COMMANDS = ("call", "show")


@dataclass(frozen=True)
class Candidate:
    """A completion: the text that replaces the last ``-start`` characters before the cursor."""

    text: str
    start: int


@dataclass(frozen=True)
class ValueQuery:
    """One ``completion/complete`` request: ``kind`` is ``prompt`` (``name`` a prompt) or ``template`` (a URI)."""

    server: str
    kind: str
    name: str
    argument: str
    prefix: str

    @property
    def ref(self) -> dict[str, str]:
        """The reference as ``ops.prompts.complete_argument`` takes it."""
        return {"type": self.kind, "name": self.name, "uri": self.name}


def complete(
    before: str,
    servers: Sequence[str],
    tools: Mapping[str, Sequence[Tool]],
    current: str | None = None,
    *,
    prompts: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    values: Mapping[ValueQuery, Sequence[str]] | None = None,
) -> list[Candidate]:
    """The completions of the word before the cursor in ``before`` (the line up to the cursor).

    ``prompts`` are the prompts listed so far by server (wire form); ``values`` the server-offered
    argument values known so far (see ``value_query``).
    """
    words = before.split()
    partial = "" if not words or before[-1:].isspace() else words.pop()
    if not words:
        names = [*COMMANDS, *_tool_names(tools, current)]
        return _matching(names, partial)
    head = words[0]
    if head in ("get", "read"):
        return _value_candidates(before, servers, current, prompts or {}, values or {})
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


def value_query(
    before: str,
    servers: Sequence[str],
    current: str | None = None,
    prompts: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> ValueQuery | None:
    """The ``completion/complete`` request for a ``key=`` word being typed after ``get PROMPT`` or
    ``read [SERVER] TEMPLATE_URI`` (None otherwise, or when the server is not known)."""
    words = before.split()
    if not words or before[-1:].isspace() or "=" not in words[-1] or len(words) < 3:
        return None
    argument, _, prefix = words[-1].partition("=")
    target = _target(words[:-1], servers, current, prompts or {})
    if target is None or not argument:
        return None
    kind, server, name = target
    return ValueQuery(server, kind, name, argument, prefix)


def _target(
    words: Sequence[str],
    servers: Sequence[str],
    current: str | None,
    prompts: Mapping[str, Sequence[Mapping[str, Any]]],
) -> tuple[str, str, str] | None:
    """(kind, server, prompt name or URI template) named by ``get PROMPT …`` / ``read [SERVER] URI …``."""
    head = words[0]
    if head == "get":
        return _prompt_target(words[1], servers, current, prompts)
    if head != "read":
        return None
    if len(words) >= 3 and words[1] in servers:
        server, uri = words[1], words[2]
    else:
        one = current or (servers[0] if len(servers) == 1 else None)
        if one is None:
            return None
        server, uri = one, words[1]
    return ("template", server, uri) if "{" in uri else None


def _prompt_target(
    name: str, servers: Sequence[str], current: str | None, prompts: Mapping[str, Sequence[Mapping[str, Any]]]
) -> tuple[str, str, str] | None:
    for server in sorted(servers, key=len, reverse=True):
        if name.startswith(server + "."):
            return "prompt", server, name[len(server) + 1 :]
    if current:
        return "prompt", current, name
    owners = [s for s, listed in prompts.items() if any(p.get("name") == name for p in listed)]
    if len(owners) == 1:
        return "prompt", owners[0], name
    return ("prompt", servers[0], name) if len(servers) == 1 else None


def _value_candidates(
    before: str,
    servers: Sequence[str],
    current: str | None,
    prompts: Mapping[str, Sequence[Mapping[str, Any]]],
    values: Mapping[ValueQuery, Sequence[str]],
) -> list[Candidate]:
    """``get``: prompt names, then ``arg=`` names, then server values; ``read``: servers, template variables, values."""
    words = before.split()
    partial = "" if before[-1:].isspace() else words.pop()
    head = words[0]
    if len(words) == 1:
        if head == "read":
            return _matching(servers, partial)
        names = [f"{s}.{p.get('name', '')}" for s, listed in prompts.items() for p in listed]
        names += [str(p.get("name", "")) for p in prompts.get(current or "", ())]
        return _matching(names, partial)
    if "=" in partial:
        query = value_query(before, servers, current, prompts)
        offered = values.get(query, ()) if query is not None else ()
        return [Candidate(v, len(query.prefix)) for v in offered] if query is not None else []
    target = _target(words, servers, current, prompts)
    if target is None:
        return []
    kind, server, name = target
    if kind == "prompt":
        listed = next((p for p in prompts.get(server, ()) if p.get("name") == name), {})
        names = [str(a.get("name", "")) for a in listed.get("arguments") or []]
    else:
        names = template_variables(name)
    taken = {word.split("=", 1)[0] for word in words[2:]}
    return _matching([f"{n}=" for n in names if n not in taken], partial)


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
