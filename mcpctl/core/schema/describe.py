"""A tool's arguments described for people: required names, one line per argument, readable types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcpctl.core.schema.refs import MAX_DEPTH, first_typed_branch, json_type, member_text, object_node, resolve


def describe_required(schema: Mapping[str, Any] | None) -> list[str]:
    """Names of the required arguments, in the schema's order (for ``tools list``)."""
    node = object_node(schema) if isinstance(schema, Mapping) else None
    required = node.get("required") if node is not None else None
    if not isinstance(required, list):
        return []
    return list(dict.fromkeys(name for name in required if isinstance(name, str)))


def schema_summary(schema: Mapping[str, Any] | None) -> list[tuple[str, str, bool, str]]:
    """One ``(name, type_text, required, description)`` row per argument (for ``tools show``).

    Properties come in the schema's order, then required names the schema does not describe.
    """
    if not isinstance(schema, Mapping):
        return []
    node = object_node(schema) or {}
    props = node.get("properties")
    props = props if isinstance(props, Mapping) else {}
    required = describe_required(schema)
    rows: list[tuple[str, str, bool, str]] = []
    for name, prop in props.items():
        resolved = resolve(prop, schema, 0)
        description = resolved.get("description") if isinstance(resolved, Mapping) else None
        if isinstance(prop, Mapping) and isinstance(prop.get("description"), str):
            description = prop["description"]
        text = description if isinstance(description, str) else ""
        rows.append((str(name), type_text(prop, schema), name in required, text))
    rows += [(name, "any", True, "") for name in required if name not in props]
    return rows


def type_text(schema: Any, root: Mapping[str, Any] | None = None) -> str:
    """A short type for people: ``integer``, ``string (enum: a|b)``, ``array of string``, ``integer|null``.

    ``root`` is the whole inputSchema, against which local ``$ref`` pointers resolve.
    """
    return _type_text(schema, root if root is not None else (schema if isinstance(schema, Mapping) else {}), 0)


def _type_text(schema: Any, root: Mapping[str, Any], depth: int) -> str:
    schema = resolve(schema, root, depth)
    if schema is False:
        return "never"
    if not isinstance(schema, Mapping) or depth > MAX_DEPTH:
        return "any"
    base = _base_type_text(schema, root, depth)
    notes = _type_notes(schema)
    return f"{base} ({', '.join(notes)})" if notes else base


def _base_type_text(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> str:
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return "|".join(str(k) for k in kinds) or "any"
    if kinds == "array" or (kinds is None and "items" in schema):
        items = schema.get("items")
        return f"array of {_type_text(items, root, depth + 1)}" if isinstance(items, Mapping) else "array"
    if isinstance(kinds, str):
        return kinds
    for combinator in ("anyOf", "oneOf"):
        branches = schema.get(combinator)
        if isinstance(branches, list) and branches:
            texts = [_type_text(b, root, depth + 1) for b in branches]
            return "|".join(dict.fromkeys(texts))
    branch = first_typed_branch(schema.get("allOf"), root, depth + 1)
    if branch is not None:
        return _type_text(branch, root, depth + 1)
    members = [schema["const"]] if "const" in schema else schema.get("enum")
    if isinstance(members, list) and members:
        kinds_seen = {json_type(m) for m in members}
        return kinds_seen.pop() if len(kinds_seen) == 1 else "any"
    return "object" if "properties" in schema else "any"


def _type_notes(schema: Mapping[str, Any]) -> list[str]:
    notes = []
    if "const" in schema:
        notes.append(f"const: {member_text(schema['const'])}")
    elif isinstance(schema.get("enum"), list):
        notes.append("enum: " + "|".join(member_text(m) for m in schema["enum"]))
    if isinstance(schema.get("format"), str):
        notes.append(f"format: {schema['format']}")
    return notes
