"""Arguments checked against a tool's inputSchema before anything is sent, in plain words with paths."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mcpctl.core.errors import ArgumentError
from mcpctl.core.schema.refs import json_text

SCHEMA_HINT = "see the tool's schema: mcpctl tools show {target}"


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
    return _short(json_text(error.instance))


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
    shown = ", ".join(m if isinstance(m, str) else json_text(m) for m in members)
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
    "const": lambda e: f"must be {json_text(e.validator_value)}, got {_got(e)}",
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
