"""Tool definitions for LLM APIs: names those APIs accept, and schemas in the shape each one takes.

- ``anthropic``: ``[{name, description, input_schema}]`` (Messages API ``tools``);
- ``openai``: ``[{type: "function", function: {name, description, parameters}}]`` (Chat Completions);
- ``gemini``: function declarations whose ``parameters`` are reduced to the OpenAPI 3.0 subset that API
  accepts (``$ref`` inlined, no ``additionalProperties``/``$defs``/``const``/``oneOf``, a nullable union
  turned into ``nullable``…);
- ``mcp``: the tools as the servers listed them.

Names are ``SERVER__TOOL`` made valid (``^[a-zA-Z0-9_-]{1,64}$``; for Gemini, starting with a letter or
``_``): other characters become ``_``, a name over 64 characters keeps its start and gets a short stable
hash, and names that collide after that are told apart by the hash too. ``name_map`` gives the way back.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from mcpctl.core.schema.refs import pointer

FORMATS = ("anthropic", "openai", "gemini", "mcp")
MAX_NAME = 64
_INVALID = re.compile(r"[^a-zA-Z0-9_-]")
#: What a Gemini ``Schema`` may say (everything else is dropped or folded into the description).
_GEMINI_KEYS = frozenset(
    {
        "type",
        "format",
        "description",
        "nullable",
        "enum",
        "items",
        "properties",
        "required",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "anyOf",
    }
)
_MAX_DEPTH = 24


def _digest(server: str, tool: str) -> str:
    return hashlib.sha256(f"{server}.{tool}".encode()).hexdigest()[:8]


def export_name(server: str, tool: str, *, gemini: bool = False, hashed: bool = False) -> str:
    """``SERVER__TOOL``, valid for the target API (``hashed``: with the stable hash even when short)."""
    name = _INVALID.sub("_", f"{server}__{tool}")
    if gemini and not re.match(r"[a-zA-Z_]", name):
        name = "_" + name
    if hashed or len(name) > MAX_NAME:
        name = f"{name[: MAX_NAME - 9]}_{_digest(server, tool)}"
    return name


def export_names(pairs: Sequence[tuple[str, str]], *, gemini: bool = False) -> dict[tuple[str, str], str]:
    """A unique exported name for each ``(server, tool)``; colliding names get the hash."""
    first = {pair: export_name(*pair, gemini=gemini) for pair in pairs}
    counts: dict[str, int] = {}
    for name in first.values():
        counts[name] = counts.get(name, 0) + 1
    return {
        pair: name if counts[name] == 1 else export_name(*pair, gemini=gemini, hashed=True)
        for pair, name in first.items()
    }


def export_tools(tools: Sequence[Mapping[str, Any]], fmt: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The tools (wire dicts with ``server``) in format ``fmt``, and the map from exported name to ``server.tool``."""
    if fmt == "mcp":
        return [dict(t) for t in tools], {f"{t['server']}.{t['name']}": f"{t['server']}.{t['name']}" for t in tools}
    names = export_names([(t["server"], t["name"]) for t in tools], gemini=fmt == "gemini")
    exported: list[dict[str, Any]] = []
    mapping: dict[str, str] = {}
    for tool in tools:
        name = names[(tool["server"], tool["name"])]
        mapping[name] = f"{tool['server']}.{tool['name']}"
        description = tool.get("description") or tool.get("title") or ""
        schema = tool.get("inputSchema") or {"type": "object", "properties": {}}
        if fmt == "anthropic":
            exported.append({"name": name, "description": description, "input_schema": schema})
        elif fmt == "openai":
            exported.append(
                {"type": "function", "function": {"name": name, "description": description, "parameters": schema}}
            )
        else:
            exported.append({"name": name, "description": description, "parameters": gemini_schema(schema)})
    return exported, mapping


# ---------------------------------------------------------------------------------------------- Gemini's subset


def gemini_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` reduced to what Gemini's function declarations accept, ``$ref``s inlined."""
    reduced = _reduce(schema, schema, 0, frozenset({"#"}))
    reduced.setdefault("type", "object")
    return reduced


def _reduce(schema: Any, root: Mapping[str, Any], depth: int, seen: frozenset[str]) -> dict[str, Any]:
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = pointer(root, ref)
        if target is None or ref in seen:  # unresolvable or recursive: an object the model may fill freely
            return {"type": "object", "description": _note(schema.get("description"), f"see {ref}")}
        merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return _reduce(merged, root, depth + 1, seen | {ref})
    node: dict[str, Any] = {}
    notes: list[str] = []
    _reduce_type(schema, node)
    if "const" in schema:
        node["enum"] = [schema["const"]]
    for key, value in schema.items():
        if key == "properties" and isinstance(value, Mapping):
            node["properties"] = {k: _reduce(v, root, depth + 1, seen) for k, v in value.items()}
        elif key == "items" and isinstance(value, Mapping):
            node["items"] = _reduce(value, root, depth + 1, seen)
        elif key in ("anyOf", "oneOf") and isinstance(value, list):
            _reduce_union(value, root, depth, seen, node)
        elif key == "allOf" and isinstance(value, list):
            for branch in value:
                for k, v in _reduce(branch, root, depth + 1, seen).items():
                    if k == "properties":
                        node.setdefault("properties", {}).update(v)
                    elif k == "required":
                        node["required"] = sorted({*node.get("required", []), *v})
                    else:
                        node.setdefault(k, v)
        elif key in ("enum", "required", "type"):
            continue
        elif key in _GEMINI_KEYS:
            node[key] = value
    if isinstance(schema.get("enum"), list):
        node["enum"] = list(schema["enum"])
    if "enum" in node:
        if all(isinstance(v, str) for v in node["enum"]):
            node.setdefault("type", "string")
        else:  # Gemini takes string enums only: the allowed values go into the description
            notes.append("one of: " + ", ".join(map(str, node.pop("enum"))))
    if isinstance(schema.get("required"), list) and "properties" in node:
        node["required"] = [r for r in schema["required"] if r in node["properties"]]
    if notes:
        node["description"] = _note(node.get("description"), "; ".join(notes))
    return node


def _reduce_type(schema: Mapping[str, Any], node: dict[str, Any]) -> None:
    """``type: [T, "null"]`` becomes ``type: T, nullable: true``; other unions keep their first type."""
    value = schema.get("type")
    if isinstance(value, str):
        if value != "null":
            node["type"] = value
        return
    if isinstance(value, list):
        kinds = [v for v in value if v != "null"]
        if "null" in value:
            node["nullable"] = True
        if kinds:
            node["type"] = kinds[0]


def _reduce_union(
    branches: list[Any], root: Mapping[str, Any], depth: int, seen: frozenset[str], node: dict[str, Any]
) -> None:
    """A union with ``null`` becomes ``nullable``; one other branch is folded in; more stay as ``anyOf``."""
    others = [b for b in branches if not (isinstance(b, Mapping) and b.get("type") == "null")]
    if len(others) < len(branches):
        node["nullable"] = True
    reduced = [_reduce(b, root, depth + 1, seen) for b in others]
    if len(reduced) == 1:
        for key, value in reduced[0].items():
            node.setdefault(key, value)
    elif reduced:
        node["anyOf"] = reduced


def _note(description: Any, note: str) -> str:
    return f"{description} ({note})" if description else note
