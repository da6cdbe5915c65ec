"""JSON Schema plumbing shared by coercion, validation and description: ``$ref``s, branches, JSON text."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

MAX_DEPTH = 32  # $ref chains and nested combinators deeper than this are not followed


TYPED_KEYS = ("type", "enum", "const", "anyOf", "oneOf")


def object_node(root: Mapping[str, Any]) -> Mapping[str, Any] | None:
    node = resolve(root, root, 0)
    if isinstance(node, Mapping) and "properties" not in node:
        node = first_typed_branch(node.get("allOf"), root, 0, keys=("properties",)) or node
    return node if isinstance(node, Mapping) else None


def first_typed_branch(
    branches: Any, root: Mapping[str, Any], depth: int, keys: Sequence[str] = TYPED_KEYS
) -> Mapping[str, Any] | None:
    """allOf: the first branch (``$ref`` followed) that says what type its value has (has one of ``keys``)."""
    if not isinstance(branches, list) or depth > MAX_DEPTH:
        return None
    for branch in branches:
        resolved = resolve(branch, root, depth)
        if isinstance(resolved, Mapping) and any(k in resolved for k in keys):
            return resolved
    return None


def resolve(schema: Any, root: Mapping[str, Any], depth: int) -> Any:
    """Follow local ``$ref`` pointers (``#/$defs/X``, ``#/definitions/X``, any ``#/…``); others stay."""
    while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and depth <= MAX_DEPTH:
        if any(k in schema for k in ("type", "enum", "const")):
            return schema
        target = pointer(root, schema["$ref"])
        if target is None:
            return schema
        schema, depth = target, depth + 1
    return schema


def pointer(root: Mapping[str, Any], ref: str) -> Any:
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def member_text(value: Any) -> str:
    return value if isinstance(value, str) else json_text(value)


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def json_type(value: Any) -> str:
    """The JSON type name of a parsed JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
