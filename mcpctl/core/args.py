"""Tool arguments from the command line: httpie-style request items, coerced and validated.

``mcpctl call TARGET [ARG…]`` takes its arguments as request items, the way httpie does::

    key=value          a string, coerced by the tool's inputSchema (integer, number, boolean, null, enum…)
    key:=json          a raw JSON value: n:=5  tags:='["a","b"]'  opts:='{"x":1}'
    key=@file          the file's text, as a string (coerced like key=value)
    key:=@file.json    the file's parsed JSON

The separator is the earliest ``=`` or ``:=`` in the token; a backslash escapes ``=``, ``:`` or ``\\``
in the key (``a\\=b=c`` sets ``a=b``); a value starting with ``\\@`` is a literal ``@…`` string.
``--args JSON|@file.json|-`` gives a base object that the items override.

Everything here is pure (no I/O but the files named by ``@`` and stdin for ``--args -``), and every
problem with the user's input is an :class:`~mcpctl.core.errors.ArgumentError`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal, TextIO

from mcpctl.core.errors import ArgumentError

__all__ = [
    "ITEM_FORMS_HINT",
    "SEPARATORS",
    "Item",
    "Kind",
    "Separator",
    "build_arguments",
    "coerce",
    "coerce_item",
    "describe_required",
    "load_args_option",
    "parse_item",
    "schema_summary",
    "type_text",
    "validate",
]

Kind = Literal["string", "json"]

ITEM_FORMS_HINT = (
    "use key=value (text), key:=json (a JSON value), key=@file (a file's text) or key:=@file.json (a file's JSON)"
)
SCHEMA_HINT = "see the tool's schema: mcpctl tools show {target}"

_ESCAPABLE = frozenset(":=\\")
_JSON_ITEM_HINT = 'quote JSON for the shell: tags:=\'["a", "b"]\'  opts:=\'{"x": 1}\'; for text use key=value'
_MAX_DEPTH = 32  # $ref chains and nested combinators deeper than this are not followed


# --------------------------------------------------------------------------- request items


@dataclass(frozen=True)
class Separator:
    """One request-item separator: its text, the kind of value it makes, whether it reads a file."""

    text: str
    kind: Kind
    from_file: bool


# Longest first: at a given position the first separator that matches wins (httpie's rule).
SEPARATORS: tuple[Separator, ...] = (
    Separator(":=@", "json", from_file=True),
    Separator(":=", "json", from_file=False),
    Separator("=@", "string", from_file=True),
    Separator("=", "string", from_file=False),
)


@dataclass(frozen=True)
class Item:
    """One parsed request item.

    ``raw`` is the value's text (inline, or the file's contents); ``value`` is that text for
    ``string`` items (coerced later, by schema) and the parsed JSON for ``json`` items; ``file`` is
    the path named after ``@``, if any; ``token`` is the item exactly as the user typed it.
    """

    key: str
    raw: str
    kind: Kind
    value: Any
    token: str
    file: str | None = None


def parse_item(token: str) -> Item:
    """Parse one ``key=value`` / ``key:=json`` / ``key=@file`` / ``key:=@file.json`` item."""
    key, sep, rest = _split_item(token)
    if not key:
        raise ArgumentError(f"{token!r}: the argument name is empty", hint=ITEM_FORMS_HINT)
    file: str | None = None
    if sep.from_file:
        file = rest
        raw = _read_item_file(token, rest, sep.kind)
    elif sep.kind == "string" and rest.startswith("\\@"):
        raw = rest[1:]
    else:
        raw = rest
    value: Any = raw if sep.kind == "string" else _parse_json(raw, f"{token!r}", _JSON_ITEM_HINT)
    return Item(key=key, raw=raw, kind=sep.kind, value=value, token=token, file=file)


def _split_item(token: str) -> tuple[str, Separator, str]:
    """Split at the earliest separator, unescaping the key; no separator is an error."""
    key: list[str] = []
    i = 0
    while i < len(token):
        char = token[i]
        if char == "\\" and i + 1 < len(token) and token[i + 1] in _ESCAPABLE:
            key.append(token[i + 1])
            i += 2
            continue
        sep = _separator_at(token, i)
        if sep is not None:
            return "".join(key), sep, token[i + len(sep.text) :]
        key.append(char)
        i += 1
    raise ArgumentError(f"{token!r}: not an argument (no '=' or ':=')", hint=ITEM_FORMS_HINT)


def _separator_at(token: str, index: int) -> Separator | None:
    return next((sep for sep in SEPARATORS if token.startswith(sep.text, index)), None)


def _read_item_file(token: str, path: str, kind: Kind) -> str:
    """The text of the file an ``@`` item names; a JSON file may start with a UTF-8 BOM."""
    if not path:
        raise ArgumentError(f"{token!r}: no file name after '@'", hint=ITEM_FORMS_HINT)
    return _read_text(path, f"{token!r}", encoding="utf-8-sig" if kind == "json" else "utf-8")


def _read_text(path: str, where: str, encoding: str = "utf-8") -> str:
    """Read a UTF-8 text file exactly (``~`` expanded, newlines kept); failures name the file."""
    try:
        return Path(path).expanduser().read_bytes().decode(encoding)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ArgumentError(f"{where}: cannot read file {path!r}: {reason}") from exc
    except UnicodeDecodeError as exc:
        raise ArgumentError(f"{where}: file {path!r} is not UTF-8 text") from exc
    except (ValueError, RuntimeError) as exc:  # embedded NUL byte, unresolvable ~user
        raise ArgumentError(f"{where}: cannot read file {path!r}: {exc}") from exc


def _parse_json(text: str, where: str, hint: str | None = None) -> Any:
    """Parse JSON text strictly (no NaN/Infinity); errors quote ``where``."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        message = f"{where}: invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise ArgumentError(message, hint=hint) from exc
    except ValueError as exc:  # NaN/Infinity, or an integer too long to convert
        raise ArgumentError(f"{where}: invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise ArgumentError(f"{where}: invalid JSON: nested too deeply") from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# --------------------------------------------------------------------------- --args


def load_args_option(value: str | None, stdin: TextIO) -> dict[str, Any]:
    """The ``--args`` base object: inline JSON, ``@file.json``, or ``-`` for stdin; must be an object."""
    if value is None:
        return {}
    if value == "-":
        where = "--args -"
        text = _read_stdin(stdin)
    elif value.startswith("@"):
        where = f"--args {value}"
        if len(value) == 1:
            raise ArgumentError(f"{where}: no file name after '@'")
        text = _read_text(value[1:], where, encoding="utf-8-sig")
    else:
        where = "--args"
        text = value
    parsed = _parse_json(text, where)
    if not isinstance(parsed, dict):
        raise ArgumentError(
            f"{where}: must be a JSON object, got {_json_type(parsed)}",
            hint='e.g. --args \'{"name": "value"}\'',
        )
    return parsed


def _read_stdin(stdin: TextIO) -> str:
    try:
        return stdin.read()
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ArgumentError(f"--args -: cannot read stdin: {exc}") from exc


# --------------------------------------------------------------------------- coercion


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
    """Build the arguments object; later items override earlier ones and the ``base`` object."""
    arguments: dict[str, Any] = dict(base or {})
    for item in items:
        arguments[item.key] = coerce_item(item, schema)
    return arguments


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
    node = _object_node(root)
    if node is None:
        return None
    props = node.get("properties")
    if isinstance(props, Mapping) and key in props:
        return props[key]
    extra = node.get("additionalProperties")
    return extra if isinstance(extra, Mapping) else None


def _object_node(root: Mapping[str, Any]) -> Mapping[str, Any] | None:
    node = _resolve(root, root, 0)
    if isinstance(node, Mapping) and "properties" not in node:
        node = _first_typed_branch(node.get("allOf"), root, 0, keys=("properties",)) or node
    return node if isinstance(node, Mapping) else None


def _coerce_text(text: str, schema: Any, root: Mapping[str, Any], depth: int) -> Any:
    """Coerce ``text`` by one (sub)schema; raises _Mismatch when it cannot fit."""
    schema = _resolve(schema, root, depth)
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return text
    if "const" in schema:
        return _match_members(text, [schema["const"]], const=True)
    if isinstance(schema.get("enum"), list):
        return _match_members(text, schema["enum"], const=False)
    if "type" in schema:
        return _coerce_by_types(text, schema["type"])
    for combinator in ("anyOf", "oneOf"):
        if isinstance(schema.get(combinator), list):
            return _coerce_first_branch(text, schema[combinator], root, depth + 1)
    branch = _first_typed_branch(schema.get("allOf"), root, depth + 1)
    return text if branch is None else _coerce_text(text, branch, root, depth + 1)


def _coerce_by_types(text: str, types: Any) -> Any:
    """``"type"``: one name or a union; the string type (which takes anything) is tried last."""
    names = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    coercers = [_TYPE_COERCERS.get(name, _as_string) for name in names if isinstance(name, str)]
    if not coercers:
        return text
    return _first_fit(text, sorted(coercers, key=lambda coercer: coercer is _as_string))


def _coerce_first_branch(text: str, branches: list[Any], root: Mapping[str, Any], depth: int) -> Any:
    """Try each branch in order, except that branches taking any text as a string go last."""
    ordered = sorted(branches, key=lambda b: _takes_any_text(b, root, depth))
    return _first_fit(text, [partial(_coerce_text, schema=b, root=root, depth=depth) for b in ordered])


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
    schema = _resolve(schema, root, depth)
    if not isinstance(schema, Mapping):
        return True
    if "const" in schema or "enum" in schema:
        return False
    kinds = schema.get("type")
    if kinds is None:
        return not any(k in schema for k in ("anyOf", "oneOf", "allOf"))
    return kinds in ("string", ["string"])


_TYPED_KEYS = ("type", "enum", "const", "anyOf", "oneOf")


def _first_typed_branch(
    branches: Any, root: Mapping[str, Any], depth: int, keys: Sequence[str] = _TYPED_KEYS
) -> Mapping[str, Any] | None:
    """allOf: the first branch (``$ref`` followed) that says what type its value has (has one of ``keys``)."""
    if not isinstance(branches, list) or depth > _MAX_DEPTH:
        return None
    for branch in branches:
        resolved = _resolve(branch, root, depth)
        if isinstance(resolved, Mapping) and any(k in resolved for k in keys):
            return resolved
    return None


def _resolve(schema: Any, root: Mapping[str, Any], depth: int) -> Any:
    """Follow local ``$ref`` pointers (``#/$defs/X``, ``#/definitions/X``, any ``#/…``); others stay."""
    while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and depth <= _MAX_DEPTH:
        if any(k in schema for k in ("type", "enum", "const")):
            return schema
        target = _pointer(root, schema["$ref"])
        if target is None:
            return schema
        schema, depth = target, depth + 1
    return schema


def _pointer(root: Mapping[str, Any], ref: str) -> Any:
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


def _match_members(text: str, members: list[Any], *, const: bool) -> Any:
    """The enum member (or const) that the text names: itself if a string, else its JSON/str form."""
    for member in members:
        if isinstance(member, str) and member == text:
            return member
    for member in members:
        if not isinstance(member, str) and text in (_json_text(member), str(member)):
            return member
    shown = [_member_text(m) for m in members]
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
            value = json.loads(text, parse_constant=_reject_constant)
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
        example = "[…]" if "array" in expected else "{…}"
        hint = f"to pass JSON, use ':=': {_escape_key(item.key)}:='{example}'"
    return ArgumentError(message, hint=hint)


def _escape_key(key: str) -> str:
    return "".join("\\" + c if c in _ESCAPABLE else c for c in key)


# --------------------------------------------------------------------------- validation


def validate(arguments: Mapping[str, Any], schema: Mapping[str, Any] | None, *, target: str | None = None) -> None:
    """Validate the arguments against the tool's inputSchema; every problem goes in one ArgumentError.

    The validator class follows ``$schema`` (Draft 2020-12 when absent or unknown). The message
    names the first problem (sorted by path), ``details`` lists them all. A schema that is itself
    broken (not a valid schema, unresolvable ``$ref``…) validates nothing: the server will decide.
    ``target`` (``SERVER.TOOL``) completes the hint.
    """
    if schema is None:
        return
    errors = _schema_errors(arguments, schema)
    if not errors:
        return
    problems = [_describe_error(error) for error in errors]
    raise ArgumentError(problems[0], hint=SCHEMA_HINT.format(target=target or "SERVER.TOOL"), details=problems)


def _schema_errors(arguments: Mapping[str, Any], schema: Any) -> list[Any]:
    import jsonschema  # type: ignore[import-untyped]  # lazily: only `call` needs it

    try:
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        cls.check_schema(schema)
        errors = list(cls(schema).iter_errors(dict(arguments)))
    except Exception:  # a broken schema of any sort (SchemaError, Unresolvable, bad regex…): skip
        return []
    return sorted(errors, key=lambda e: ([str(p) for p in e.absolute_path], str(e.message)))


def _describe_error(error: Any) -> str:
    """A readable sentence for one jsonschema ValidationError (its own message when no phrase fits)."""
    path = list(error.absolute_path)
    if error.validator == "required" and (name := _required_name(error)) is not None:
        return f"missing required argument {_path_text([*path, name])!r}"
    if error.validator == "additionalProperties" and (extras := _additional_names(error)):
        names = ", ".join(repr(k) for k in extras)
        plural = "s" if len(extras) > 1 else ""
        if not path:
            return f"unknown argument{plural} {names}"
        return f"argument {_path_text(path)!r}: unknown propert{'ies' if plural else 'y'} {names}"
    phrase = _PHRASES.get(error.validator)
    text = phrase(error) if phrase else str(error.message)
    return f"argument {_path_text(path)!r}: {text}" if path else text


def _path_text(path: Sequence[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _got(error: Any) -> str:
    return _short(_json_text(error.instance))


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _required_name(error: Any) -> str | None:
    names = error.validator_value if isinstance(error.validator_value, list) else []
    return next((n for n in names if isinstance(n, str) and error.message == f"{n!r} is a required property"), None)


def _additional_names(error: Any) -> list[str]:
    instance, schema = error.instance, error.schema
    if not isinstance(instance, Mapping) or not isinstance(schema, Mapping):
        return []
    props = schema.get("properties") or {}
    patterns = schema.get("patternProperties") or {}
    return [str(k) for k in instance if k not in props and not any(_search(p, str(k)) for p in patterns)]


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except (re.error, TypeError):
        return False


def _type_phrase(error: Any) -> str:
    value = error.validator_value
    expected = " or ".join(value) if isinstance(value, list) else str(value)
    return f"expected {expected}, got {_got(error)}"


def _enum_phrase(error: Any) -> str:
    members = error.validator_value if isinstance(error.validator_value, list) else []
    shown = ", ".join(m if isinstance(m, str) else _json_text(m) for m in members)
    return f"must be one of: {shown}, got {_got(error)}"


def _bound(op: str, draft4_flag: str | None = None) -> Callable[[Any], str]:
    """minimum & co.; in drafts 3/4 a boolean ``exclusiveMinimum`` beside ``minimum`` makes it strict."""

    def phrase(error: Any) -> str:
        strict = draft4_flag is not None and isinstance(error.schema, Mapping) and error.schema.get(draft4_flag) is True
        return f"must be {op.rstrip('=') if strict else op} {error.validator_value}, got {_got(error)}"

    return phrase


def _count(what: str, at: str) -> Callable[[Any], str]:
    return lambda error: f"must have at {at} {error.validator_value} {what}"


_PHRASES: dict[str, Callable[[Any], str]] = {
    "type": _type_phrase,
    "enum": _enum_phrase,
    "const": lambda e: f"must be {_json_text(e.validator_value)}, got {_got(e)}",
    "minimum": _bound(">=", "exclusiveMinimum"),
    "maximum": _bound("<=", "exclusiveMaximum"),
    "exclusiveMinimum": _bound(">"),
    "exclusiveMaximum": _bound("<"),
    "multipleOf": lambda e: f"must be a multiple of {e.validator_value}, got {_got(e)}",
    "minLength": _count("characters", "least"),
    "maxLength": _count("characters", "most"),
    "minItems": _count("items", "least"),
    "maxItems": _count("items", "most"),
    "minProperties": _count("properties", "least"),
    "maxProperties": _count("properties", "most"),
    "uniqueItems": lambda e: "must not repeat items",
    "pattern": lambda e: f"must match the pattern {e.validator_value!r}, got {_got(e)}",
    "format": lambda e: f"must be a valid {e.validator_value}, got {_got(e)}",
}


# --------------------------------------------------------------------------- describing schemas


def describe_required(schema: Mapping[str, Any] | None) -> list[str]:
    """Names of the required arguments, in the schema's order (for ``tools list``)."""
    node = _object_node(schema) if isinstance(schema, Mapping) else None
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
    node = _object_node(schema) or {}
    props = node.get("properties")
    props = props if isinstance(props, Mapping) else {}
    required = describe_required(schema)
    rows: list[tuple[str, str, bool, str]] = []
    for name, prop in props.items():
        resolved = _resolve(prop, schema, 0)
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
    schema = _resolve(schema, root, depth)
    if schema is False:
        return "never"
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
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
    branch = _first_typed_branch(schema.get("allOf"), root, depth + 1)
    if branch is not None:
        return _type_text(branch, root, depth + 1)
    members = [schema["const"]] if "const" in schema else schema.get("enum")
    if isinstance(members, list) and members:
        kinds_seen = {_json_type(m) for m in members}
        return kinds_seen.pop() if len(kinds_seen) == 1 else "any"
    return "object" if "properties" in schema else "any"


def _type_notes(schema: Mapping[str, Any]) -> list[str]:
    notes = []
    if "const" in schema:
        notes.append(f"const: {_member_text(schema['const'])}")
    elif isinstance(schema.get("enum"), list):
        notes.append("enum: " + "|".join(_member_text(m) for m in schema["enum"]))
    if isinstance(schema.get("format"), str):
        notes.append(f"format: {schema['format']}")
    return notes


# --------------------------------------------------------------------------- helpers


def _member_text(value: Any) -> str:
    return value if isinstance(value, str) else _json_text(value)


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _json_type(value: Any) -> str:
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
