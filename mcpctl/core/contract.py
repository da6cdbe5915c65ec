"""The contract lock: a server's surface as a stable document, and every change between two of them, classified.

A lock (``mcpctl.lock``) holds, per server, its tools (name, title, description, inputSchema,
outputSchema, annotations), resources (uri, name, mimeType), resource templates and prompts
(name, arguments), plus serverInfo and the protocol revision for information. It is written with
sorted keys and sorted name lists, 2-space JSON and a trailing newline, so locking twice gives the
same bytes.

``compare`` lists every change with its class, from a client's point of view:

- **breaking**: something a client relies on is gone or accepts less (a tool removed, a new required
  input property, an input type narrowed, an output property removed or loosened, a hint turned
  unsafe…);
- **compatible**: something was added or accepts more;
- **info**: descriptions, titles, serverInfo.

Schemas are compared after inlining local ``$ref``s; ``anyOf``/``oneOf`` branches are compared as sets
of branches and ``allOf`` branches merged when they only add properties. What cannot be decided
(a change inside a recursive schema, a keyword this module does not know) is treated conservatively:
a changed constraint is breaking.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mcpctl.core.schema.refs import pointer

LOCK_VERSION = 1
Level = Literal["breaking", "compatible", "info"]
LEVELS: tuple[Level, ...] = ("breaking", "compatible", "info")

#: JSON Schema annotation keywords: changing them never changes what validates.
_INFO_KEYWORDS = frozenset({"title", "description", "examples", "default", "$comment", "deprecated", "readOnly"})
#: Numeric constraints: (keyword, True when a larger value accepts more).
_BOUNDS = {
    "minimum": False,
    "exclusiveMinimum": False,
    "minLength": False,
    "minItems": False,
    "minProperties": False,
    "maximum": True,
    "exclusiveMaximum": True,
    "maxLength": True,
    "maxItems": True,
    "maxProperties": True,
}
_MAX_DEPTH = 24
_TOOL_KEYS = ("name", "title", "description", "inputSchema", "outputSchema", "annotations")
#: MCP tool annotation defaults (a missing hint means this).
_HINT_DEFAULTS = {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": False, "openWorldHint": True}


@dataclass(frozen=True)
class Change:
    """One difference between the lock and the server: where, what, and how it affects clients."""

    level: Level
    server: str
    kind: str  # tool, resource, template, prompt, server
    item: str  # the tool or prompt name, the resource URI, the template
    path: str  # e.g. inputSchema.properties.limit.maximum
    message: str
    before: Any = None
    after: Any = None

    @property
    def where(self) -> str:
        """``SERVER.ITEM`` (what ``--ignore`` globs match), with the path inside the item when there is one."""
        return f"{self.server}.{self.item}" + (f".{self.path}" if self.path else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "kind": self.kind,
            "item": self.item,
            "path": self.path,
            "message": self.message,
            "before": self.before,
            "after": self.after,
        }


# ---------------------------------------------------------------------------------------------- the lock document


def surface_entry(
    *,
    tools: list[Mapping[str, Any]],
    resources: list[Mapping[str, Any]],
    templates: list[Mapping[str, Any]],
    prompts: list[Mapping[str, Any]],
    server_info: Mapping[str, Any] | None,
    protocol: str | None,
) -> dict[str, Any]:
    """One server's part of the lock, from wire-spelt lists (keys kept only where they are part of the contract)."""
    return {
        "serverInfo": dict(server_info) if server_info else None,
        "protocolVersion": protocol,
        "tools": {t["name"]: _pick(t, *_TOOL_KEYS) for t in tools},
        "resources": {r["uri"]: _pick(r, "uri", "name", "mimeType") for r in resources},
        "resourceTemplates": {t["uriTemplate"]: _pick(t, "uriTemplate", "name", "mimeType") for t in templates},
        "prompts": {p["name"]: _prompt(p) for p in prompts},
    }


def _pick(data: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: data[k] for k in keys if data.get(k) is not None}


def _prompt(prompt: Mapping[str, Any]) -> dict[str, Any]:
    arguments = sorted(
        (_pick(a, "name", "description", "required") for a in prompt.get("arguments") or []),
        key=lambda a: str(a.get("name")),
    )
    return {**_pick(prompt, "name", "title", "description"), "arguments": arguments}


def lock_text(servers: Mapping[str, Any]) -> str:
    """The lock file's text: stable (sorted keys and name lists), 2-space JSON, trailing newline."""
    document = {"lockVersion": LOCK_VERSION, "servers": _stable(dict(servers))}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _stable(value: Any, key: str | None = None) -> Any:
    """Sort the lists whose order means nothing (``required``, string ``enum``s) so locks do not churn."""
    if isinstance(value, dict):
        return {k: _stable(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_stable(v) for v in value]
        if key in ("required", "enum") and all(isinstance(v, str) for v in items):
            return sorted(items)
        return items
    return value


def parse_lock(text: str, where: str) -> dict[str, Any]:
    """A lock's ``servers`` table; a ``ValueError`` saying what is wrong otherwise."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{where}: not a lock file: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("servers"), dict):
        raise ValueError(f'{where}: not a lock file (no "servers" table)')
    if document.get("lockVersion") != LOCK_VERSION:
        raise ValueError(f"{where}: lock version {document.get('lockVersion')!r}; this mcpctl reads {LOCK_VERSION}")
    servers: dict[str, Any] = document["servers"]
    return servers


# ---------------------------------------------------------------------------------------------- comparing


def compare(old: Mapping[str, Any], new: Mapping[str, Any], servers: list[str] | None = None) -> list[Change]:
    """Every change from the ``old`` lock's servers to the ``new`` ones (only ``servers`` when given)."""
    names = servers if servers is not None else sorted(set(old) | set(new))
    changes: list[Change] = []
    for name in names:
        if name not in new:
            changes.append(Change("breaking", name, "server", name, "", "server removed from the lock"))
            continue
        if name not in old:
            changes.append(Change("compatible", name, "server", name, "", "server added (not in the lock)"))
            continue
        changes += list(_server(name, old[name], new[name]))
    return changes


def _server(server: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    for key in ("serverInfo", "protocolVersion"):
        if old.get(key) != new.get(key):
            yield Change("info", server, "server", server, key, f"{key} changed", old.get(key), new.get(key))
    kinds = (
        ("tools", "tool", _tool),
        ("resources", "resource", _resource),
        ("resourceTemplates", "template", _resource),
        ("prompts", "prompt", _prompt_change),
    )
    for table, kind, differ in kinds:
        before, after = old.get(table) or {}, new.get(table) or {}
        for item in sorted(set(before) | set(after)):
            if item not in after:
                yield Change("breaking", server, kind, item, "", f"{kind} removed")
            elif item not in before:
                yield Change("compatible", server, kind, item, "", f"{kind} added")
            else:
                for level, path, message, was, now in differ(before[item], after[item]):
                    yield Change(level, server, kind, item, path, message, was, now)


Finding = tuple[Level, str, str, Any, Any]


def _tool(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Finding]:
    for key in ("title", "description"):
        if old.get(key) != new.get(key):
            yield "info", key, f"{key} changed", old.get(key), new.get(key)
    old_in, new_in = old.get("inputSchema") or {}, new.get("inputSchema") or {}
    yield from _schema(_inline(old_in, old_in), _inline(new_in, new_in), "inputSchema", "input")
    old_out, new_out = old.get("outputSchema"), new.get("outputSchema")
    if old_out is not None and new_out is None:
        yield "breaking", "outputSchema", "outputSchema removed: structuredContent is no longer promised", None, None
    elif old_out is None and new_out is not None:
        yield "compatible", "outputSchema", "outputSchema added", None, None
    elif old_out is not None and new_out is not None:
        yield from _schema(_inline(old_out, old_out), _inline(new_out, new_out), "outputSchema", "output")
    yield from _annotations(old.get("annotations") or {}, new.get("annotations") or {})


def _annotations(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Finding]:
    for key in sorted(set(old) | set(new)):
        was, now = old.get(key, _HINT_DEFAULTS.get(key)), new.get(key, _HINT_DEFAULTS.get(key))
        if was == now:
            continue
        path = f"annotations.{key}"
        if key == "readOnlyHint" and was is True and now is not True:
            yield "breaking", path, "no longer read-only", was, now
        elif key == "destructiveHint" and was is not True and now is True:
            yield "breaking", path, "now destructive", was, now
        elif key == "idempotentHint" and was is True and now is not True:
            yield "breaking", path, "no longer idempotent (calls are not retried after a lost connection)", was, now
        elif key in ("readOnlyHint", "destructiveHint", "idempotentHint"):
            yield "compatible", path, f"{key} changed to the safer value", was, now
        else:
            yield "info", path, f"{key} changed", was, now


def _resource(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Finding]:
    if old.get("mimeType") != new.get("mimeType"):
        yield "breaking", "mimeType", "mimeType changed", old.get("mimeType"), new.get("mimeType")
    for key in ("name", "title", "description"):
        if old.get(key) != new.get(key):
            yield "info", key, f"{key} changed", old.get(key), new.get(key)


def _prompt_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Finding]:
    for key in ("title", "description"):
        if old.get(key) != new.get(key):
            yield "info", key, f"{key} changed", old.get(key), new.get(key)
    before = {a["name"]: a for a in old.get("arguments") or []}
    after = {a["name"]: a for a in new.get("arguments") or []}
    for name in sorted(set(before) | set(after)):
        path = f"arguments.{name}"
        was, now = before.get(name), after.get(name)
        if now is None:
            yield "breaking", path, "argument removed", True, None
        elif was is None:
            required = bool(now.get("required"))
            what = "required argument added" if required else "optional argument added"
            yield ("breaking" if required else "compatible"), path, what, None, True
        elif bool(was.get("required")) != bool(now.get("required")):
            made = bool(now.get("required"))
            what = "made required" if made else "made optional"
            yield ("breaking" if made else "compatible"), path, what, not made, made
        elif was.get("description") != now.get("description"):
            yield "info", f"{path}.description", "description changed", was.get("description"), now.get("description")


# ---------------------------------------------------------------------------------------------- schemas


def _inline(schema: Any, root: Any, depth: int = 0, seen: frozenset[str] = frozenset()) -> Any:
    """The schema with local ``$ref``s replaced by what they point at (a recursive one stays a ``$ref``)."""
    if depth > _MAX_DEPTH:
        return schema
    if isinstance(schema, list):
        return [_inline(v, root, depth + 1, seen) for v in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#") and ref not in seen:
        target = pointer(root, ref)
        if target is not None:
            merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            return _inline(merged, root, depth + 1, seen | {ref})
    return {k: _inline(v, root, depth + 1, seen) for k, v in schema.items() if k not in ("$defs", "definitions")}


def _types(schema: Mapping[str, Any]) -> set[str] | None:
    """The JSON types a schema admits (None: any); ``number`` includes ``integer``."""
    value = schema.get("type")
    if value is None:
        return None
    names = {value} if isinstance(value, str) else set(value)
    if "number" in names:
        names.add("integer")
    return names


def _merge_all_of(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``allOf`` branches folded in when they only add properties, required names and a type."""
    branches = schema.get("allOf")
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    if not isinstance(branches, list) or not all(isinstance(b, dict) for b in branches):
        return dict(schema)
    simple = {"type", "properties", "required", "additionalProperties", "title", "description"}
    if not all(set(b) <= simple for b in branches):
        return dict(schema)
    for branch in branches:
        merged.setdefault("type", branch.get("type"))
        merged["properties"] = {**merged.get("properties", {}), **branch.get("properties", {})}
        merged["required"] = sorted({*merged.get("required", []), *branch.get("required", [])})
        if "additionalProperties" in branch:
            merged["additionalProperties"] = branch["additionalProperties"]
    return {k: v for k, v in merged.items() if v is not None}


def _schema(old: Any, new: Any, path: str, side: Literal["input", "output"], depth: int = 0) -> Iterator[Finding]:
    """Changes between two schemas of values a client sends (``input``) or receives (``output``).

    For input, accepting less is breaking; for output, promising less (more kinds of value) is.
    """
    if old == new:
        return
    if depth > _MAX_DEPTH or not isinstance(old, dict) or not isinstance(new, dict):
        yield "breaking", path, "schema changed (not decidable: treated as breaking)", old, new
        return
    old, new = _merge_all_of(old), _merge_all_of(new)
    narrower: Level = "breaking" if side == "input" else "compatible"
    wider: Level = "compatible" if side == "input" else "breaking"
    for key in sorted(set(old) | set(new)):
        was, now = old.get(key), new.get(key)
        if was == now:
            continue
        at = f"{path}.{key}"
        if key in _INFO_KEYWORDS:
            yield "info", at, f"{key} changed", was, now
        elif key == "type":
            before, after = _types(old), _types(new)
            if before == after:
                continue
            if after is not None and (before is None or after < before):
                yield narrower, at, "type narrowed", was, now
            elif before is not None and (after is None or before < after):
                yield wider, at, "type widened", was, now
            else:
                yield "breaking", at, "type changed", was, now
        elif key in ("properties", "patternProperties"):
            yield from _properties(old, new, at, side, depth)
        elif key == "required":
            # A property added or removed together with its required name is reported once, by _properties.
            moved = set(new.get("properties") or {}) ^ set(old.get("properties") or {})
            yield from _required(set(was or []) - moved, set(now or []) - moved, at, side)
        elif key == "additionalProperties":
            yield from _additional(was, now, at, side, depth)
        elif key in ("enum", "const"):
            yield from _values(key, was, now, at, narrower, wider)
        elif key in _BOUNDS:
            yield from _bound(key, was, now, at, narrower, wider)
        elif key == "items":
            yield from _schema(was if was is not None else {}, now if now is not None else {}, at, side, depth + 1)
        elif key in ("anyOf", "oneOf"):
            yield from _branches(was, now, at, side, narrower, wider)
        elif key in ("pattern", "format", "uniqueItems", "multipleOf"):
            if was is None:
                yield narrower, at, f"{key} added", was, now
            elif now is None:
                yield wider, at, f"{key} removed", was, now
            else:
                yield "breaking", at, f"{key} changed", was, now
        else:
            yield "breaking", at, f"{key} changed (not decidable: treated as breaking)", was, now


def _properties(
    old: Mapping[str, Any], new: Mapping[str, Any], at: str, side: Literal["input", "output"], depth: int
) -> Iterator[Finding]:
    before, after = old.get("properties") or {}, new.get("properties") or {}
    required = set(new.get("required") or [])
    for name in sorted(set(before) | set(after)):
        prop = f"{at}.{name}"
        if name not in after:
            yield "breaking", prop, f"{side} property removed", before[name], None
        elif name not in before:
            if side == "input":
                level: Level = "breaking" if name in required else "compatible"
                what = "required input property added" if name in required else "optional input property added"
                yield level, prop, what, None, after[name]
            else:
                yield "compatible", prop, "output property added", None, after[name]
        else:
            yield from _schema(before[name], after[name], prop, side, depth + 1)


def _required(before: set[str], after: set[str], at: str, side: Literal["input", "output"]) -> Iterator[Finding]:
    for name in sorted(after - before):
        yield ("breaking" if side == "input" else "compatible"), f"{at}.{name}", "made required", False, True
    for name in sorted(before - after):
        yield ("compatible" if side == "input" else "breaking"), f"{at}.{name}", "made optional", True, False


def _additional(was: Any, now: Any, at: str, side: Literal["input", "output"], depth: int) -> Iterator[Finding]:
    closed_before, closed_after = was is False, now is False
    if closed_after and not closed_before:
        yield ("breaking" if side == "input" else "compatible"), at, "additionalProperties closed", was, now
    elif closed_before and not closed_after:
        yield ("compatible" if side == "input" else "breaking"), at, "additionalProperties opened", was, now
    elif isinstance(was, dict) and isinstance(now, dict):
        yield from _schema(was, now, at, side, depth + 1)
    else:
        yield "info", at, "additionalProperties changed", was, now


def _values(key: str, was: Any, now: Any, at: str, narrower: Level, wider: Level) -> Iterator[Finding]:
    before = _as_set(was if key == "enum" else [was] if was is not None else None)
    after = _as_set(now if key == "enum" else [now] if now is not None else None)
    if after is not None and (before is None or after < before):
        removed = sorted(before - after) if before is not None else None
        yield narrower, at, f"{key} values removed: {', '.join(removed)}" if removed else f"{key} added", was, now
    elif before is not None and (after is None or before < after):
        added = sorted(after - before) if after is not None else None
        yield wider, at, f"{key} values added: {', '.join(added)}" if added else f"{key} removed", was, now
    else:
        yield "breaking", at, f"{key} values changed", was, now


def _as_set(values: Any) -> set[str] | None:
    if values is None:
        return None
    return {json.dumps(v, sort_keys=True) for v in values} if isinstance(values, list) else None


def _bound(key: str, was: Any, now: Any, at: str, narrower: Level, wider: Level) -> Iterator[Finding]:
    larger_accepts_more = _BOUNDS[key]
    if was is None:
        yield narrower, at, f"{key} added", was, now
    elif now is None:
        yield wider, at, f"{key} removed", was, now
    elif not isinstance(was, int | float) or not isinstance(now, int | float):
        yield "breaking", at, f"{key} changed", was, now
    elif (now > was) == larger_accepts_more:
        yield wider, at, f"{key} loosened", was, now
    else:
        yield narrower, at, f"{key} tightened", was, now


def _branches(
    was: Any, now: Any, at: str, side: Literal["input", "output"], narrower: Level, wider: Level
) -> Iterator[Finding]:
    before = {json.dumps(b, sort_keys=True) for b in was or []}
    after = {json.dumps(b, sort_keys=True) for b in now or []}
    if was is None or now is None or not (before <= after or after <= before):
        yield "breaking", at, "branches changed (not decidable: treated as breaking)", was, now
    elif after < before:
        yield narrower, at, f"{len(before - after)} branch(es) removed", was, now
    else:
        yield wider, at, f"{len(after - before)} branch(es) added", was, now
