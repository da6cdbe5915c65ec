"""``key=value`` text coerced by a tool's inputSchema: integers, numbers, booleans, null, enums, unions, ``$ref``.

A value is coerced only as far as the schema says; every mismatch quotes the token the user typed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from mcpctl.core.errors import ArgumentError
from mcpctl.core.items import Item, escape_key, parse_item, reject_constant
from mcpctl.core.schema.refs import (
    MAX_DEPTH,
    first_typed_branch,
    json_text,
    member_text,
    object_node,
    resolve,
)


class _Mismatch(Exception):
    """Internal: text that does not fit a schema; ``expected`` says what would have.

    ``values`` is true when every expectation is a value (enum members, a const), not a type.
    """

    def __init__(self, *expected: str, json_hint: bool = False, values: bool = False) -> None:
        super().__init__(*expected)
        self.expected = expected
        self.json_hint = json_hint
        self.values = values


def build_arguments(
    items: Sequence[str], schema: Mapping[str, Any] | None, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Parse request items and build the arguments object: ``base`` (``--args``), then the items."""
    return coerce([parse_item(token) for token in items], schema, base)


def coerce(
    items: Iterable[Item], schema: Mapping[str, Any] | None, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Build the arguments object: items override the ``base`` object.

    A key given twice is an error, unless its schema is an array: then each item is one element,
    coerced by the ``items`` schema (``tag=a tag=b`` is ``["a", "b"]``, as httpie does).
    """
    grouped: dict[str, list[Item]] = {}
    for item in items:
        grouped.setdefault(item.key, []).append(item)
    arguments: dict[str, Any] = dict(base or {})
    for key, given in grouped.items():
        if len(given) == 1:
            arguments[key] = coerce_item(given[0], schema)
        else:
            arguments[key] = _repeated(given, schema)
    return arguments


def _repeated(items: Sequence[Item], schema: Mapping[str, Any] | None) -> list[Any]:
    """The elements of an array argument given as repeated items; any other repeated key is an error."""
    root = schema if isinstance(schema, Mapping) else {}
    array = _array_schema(root, items[0].key)
    if array is None:
        first, again = items[0], items[1]
        raise ArgumentError(
            f"{again.token!r}: argument {again.key!r} is given more than once (first as {first.token!r})",
            hint="give each argument once; only an array argument repeats, one element an item: tags=a tags=b",
        )
    return [_element(item, _element_schema(array, index), root) for index, item in enumerate(items)]


def _element(item: Item, element_schema: Any, root: Mapping[str, Any]) -> Any:
    if item.kind == "json" or element_schema is None:
        return item.value
    try:
        return _coerce_text(item.raw, element_schema, root, 0)
    except _Mismatch as exc:
        raise _coercion_error(item, exc) from None


def _array_schema(root: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """The property's array schema: itself or its array branch (``anyOf``/``oneOf``/``allOf``); None if none."""
    return _array_node(_property_schema(root, key), root, 0)


def _array_node(schema: Any, root: Mapping[str, Any], depth: int) -> Mapping[str, Any] | None:
    schema = resolve(schema, root, depth)
    if not isinstance(schema, Mapping) or depth > MAX_DEPTH:
        return None
    kinds = schema.get("type")
    if kinds == "array" or (isinstance(kinds, list) and "array" in kinds):
        return schema
    if kinds is not None:
        return None
    for combinator in ("anyOf", "oneOf", "allOf"):
        branches = schema.get(combinator)
        for branch in branches if isinstance(branches, list) else []:
            found = _array_node(branch, root, depth + 1)
            if found is not None:
                return found
    return None


def _element_schema(array: Mapping[str, Any], index: int) -> Any:
    """The schema of element ``index``: ``prefixItems[index]``, else ``items`` (None: kept as given)."""
    prefix = array.get("prefixItems")
    if isinstance(prefix, list) and index < len(prefix):
        return prefix[index]
    items = array.get("items")
    if isinstance(items, list):  # draft 4-7 tuple form
        return items[index] if index < len(items) else array.get("additionalItems")
    return items if isinstance(items, Mapping) else None


def coerce_item(item: Item, schema: Mapping[str, Any] | None) -> Any:
    """The item's value: JSON items as given; string items coerced by their property's schema.

    A property the schema does not describe (and no ``additionalProperties`` schema) stays a string.
    """
    if item.kind == "json" or not isinstance(schema, Mapping):
        return item.value
    prop = _property_schema(schema, item.key)
    if prop is None:
        return item.value
    try:
        return _coerce_text(item.raw, prop, schema, 0)
    except _Mismatch as exc:
        raise _coercion_error(item, exc) from None


def _property_schema(root: Mapping[str, Any], key: str) -> Any:
    """The schema of top-level property ``key`` (``$ref``/``allOf`` at the root followed), or None."""
    node = object_node(root)
    if node is None:
        return None
    props = node.get("properties")
    if isinstance(props, Mapping) and key in props:
        return props[key]
    extra = node.get("additionalProperties")
    return extra if isinstance(extra, Mapping) else None


def _coerce_text(text: str, schema: Any, root: Mapping[str, Any], depth: int) -> Any:
    """Coerce ``text`` by one (sub)schema; raises _Mismatch when it cannot fit."""
    schema = resolve(schema, root, depth)
    if not isinstance(schema, Mapping) or depth > MAX_DEPTH:
        return text
    if "const" in schema:
        return _match_members(text, [schema["const"]], const=True)
    if isinstance(schema.get("enum"), list):
        return _match_members(text, schema["enum"], const=False)
    if "type" in schema:
        return _coerce_by_types(text, schema)
    for combinator in ("anyOf", "oneOf"):
        if isinstance(schema.get(combinator), list):
            return _coerce_first_branch(text, schema[combinator], root, depth + 1)
    branch = first_typed_branch(schema.get("allOf"), root, depth + 1)
    return text if branch is None else _coerce_text(text, branch, root, depth + 1)


def _coerce_by_types(text: str, schema: Mapping[str, Any]) -> Any:
    """``"type"``: one name or a union; the string type (which takes anything) is tried last.

    When the union's string type accepts the text, the text stays a string unless another type
    spells it exactly (``150`` may be an integer; ``0150``, ``+7``, ``1e3``, `` 42`` stay strings).
    """
    types = schema["type"]
    names = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    coercers = [_TYPE_COERCERS.get(name, _as_string) for name in names if isinstance(name, str)]
    if not coercers:
        return text
    typed = [coercer for coercer in coercers if coercer is not _as_string]
    if len(typed) < len(coercers) and _string_accepts(text, schema):
        return _exact_or_text(text, typed)
    return _first_fit(text, sorted(coercers, key=lambda coercer: coercer is _as_string))


def _coerce_first_branch(text: str, branches: list[Any], root: Mapping[str, Any], depth: int) -> Any:
    """Try each branch in order, except that branches taking any text as a string go last.

    When a string branch accepts the text, the other branches may only give a value spelt exactly as the text.
    """
    takers: list[Any] = []
    others: list[Any] = []
    for branch in branches:
        (takers if _takes_any_text(branch, root, depth) else others).append(branch)
    typed = [partial(_coerce_text, schema=b, root=root, depth=depth) for b in others]
    if any(_string_accepts(text, resolve(b, root, depth)) for b in takers):
        return _exact_or_text(text, typed)
    return _first_fit(text, typed + [partial(_coerce_text, schema=b, root=root, depth=depth) for b in takers])


def _exact_or_text(text: str, coercers: Sequence[Callable[[str], Any]]) -> Any:
    """The first value that a coercer makes of the text and whose JSON spelling is the text; else the text."""
    for coercer in coercers:
        try:
            value = coercer(text)
        except _Mismatch:
            continue
        if isinstance(value, str) or canonical_json(value) == text:
            return value
    return text


def canonical_json(value: Any) -> str:
    """The one JSON spelling a value round-trips through: compact, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _string_accepts(text: str, schema: Any) -> bool:
    """Whether a string schema takes this text (its length and ``pattern``; ``format`` is not asserted)."""
    if not isinstance(schema, Mapping):
        return True
    low, high, pattern = schema.get("minLength"), schema.get("maxLength"), schema.get("pattern")
    if isinstance(low, int) and not isinstance(low, bool) and len(text) < low:
        return False
    if isinstance(high, int) and not isinstance(high, bool) and len(text) > high:
        return False
    if isinstance(pattern, str):
        try:
            return re.search(pattern, text) is not None
        except (re.error, RecursionError):
            return True
    return True


def _first_fit(text: str, coercers: Sequence[Callable[[str], Any]]) -> Any:
    misses: list[_Mismatch] = []
    for coercer in coercers:
        try:
            return coercer(text)
        except _Mismatch as exc:
            misses.append(exc)
    expected = dict.fromkeys(e for miss in misses for e in miss.expected)
    json_hint = any(miss.json_hint for miss in misses)
    raise _Mismatch(*expected, json_hint=json_hint, values=all(miss.values for miss in misses))


def _takes_any_text(schema: Any, root: Mapping[str, Any], depth: int) -> bool:
    """True when coercing by this schema keeps any text as it is (a plain string, or no constraint)."""
    schema = resolve(schema, root, depth)
    if not isinstance(schema, Mapping):
        return True
    if "const" in schema or "enum" in schema:
        return False
    kinds = schema.get("type")
    if kinds is None:
        return not any(k in schema for k in ("anyOf", "oneOf", "allOf"))
    return kinds in ("string", ["string"])


def _match_members(text: str, members: list[Any], *, const: bool) -> Any:
    """The enum member (or const) that the text names: itself if a string, else its JSON/str form."""
    for member in members:
        if isinstance(member, str) and member == text:
            return member
    for member in members:
        if not isinstance(member, str) and text in (json_text(member), str(member)):
            return member
    shown = [member_text(m) for m in members]
    raise _Mismatch(shown[0] if const and shown else "one of: " + (", ".join(shown) or "(none)"), values=True)


def _as_string(text: str) -> str:
    return text


_INTEGER = re.compile(r"[+-]?[0-9]+")


_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


_BOOLEANS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def _as_integer(text: str) -> int:
    stripped = text.strip()
    if not _INTEGER.fullmatch(stripped):
        raise _Mismatch("integer")
    try:
        return int(stripped)
    except ValueError:  # more digits than Python converts
        raise _Mismatch("integer") from None


def _as_number(text: str) -> int | float:
    stripped = text.strip()
    if _INTEGER.fullmatch(stripped):
        return _as_integer(stripped)
    if not _NUMBER.fullmatch(stripped):
        raise _Mismatch("number")
    number = float(stripped)
    if math.isinf(number):
        raise _Mismatch("number")
    return number


def _as_boolean(text: str) -> bool:
    try:
        return _BOOLEANS[text.strip().lower()]
    except KeyError:
        raise _Mismatch("boolean") from None


def _as_null(text: str) -> None:
    if text.strip().lower() != "null":
        raise _Mismatch("null")


def _as_json_of(kind: type, name: str) -> Callable[[str], Any]:
    def coerce_json(text: str) -> Any:
        try:
            value = json.loads(text, parse_constant=reject_constant)
        except (ValueError, RecursionError):
            raise _Mismatch(name, json_hint=True) from None
        if not isinstance(value, kind):
            raise _Mismatch(name, json_hint=True)
        return value

    return coerce_json


_TYPE_COERCERS: dict[str, Callable[[str], Any]] = {
    "string": _as_string,
    "integer": _as_integer,
    "number": _as_number,
    "boolean": _as_boolean,
    "null": _as_null,
    "array": _as_json_of(list, "array"),
    "object": _as_json_of(dict, "object"),
}


def _coercion_error(item: Item, exc: _Mismatch) -> ArgumentError:
    expected = exc.expected or ("another value",)
    if exc.values:
        message = f"{item.token!r}: {item.key!r} must be {' or '.join(expected)}"
    else:
        message = f"{item.token!r}: expected {' or '.join(expected)} for {item.key!r}"
    hint = None
    if exc.json_hint:
        key = escape_key(item.key)
        example = "[…]" if "array" in expected else "{…}"
        hint = f"to pass JSON, use ':=': {key}:='{example}'"
        if "array" in expected:
            hint += f", or give one element an item: {key}=a {key}=b"
    return ArgumentError(message, hint=hint)
