"""Arguments checked against a tool's inputSchema before anything is sent, in plain words with paths."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mcpctl.core.errors import ArgumentError
from mcpctl.core.schema.describe import type_text
from mcpctl.core.schema.refs import json_text, object_node

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
    problems = [_describe_error(error, schema) for error in errors]
    raise ArgumentError(problems[0], hint=SCHEMA_HINT.format(target=target or "SERVER.TOOL"), details=problems)


def undeclared_arguments(arguments: Mapping[str, Any], schema: Mapping[str, Any] | None, target: str) -> list[str]:
    """One sentence per top-level argument the schema does not declare though it lets it through.

    Most servers do not forbid extra properties, so a misspelt ``max_lenght=10`` would be sent and
    ignored. Only a schema that lists its ``properties`` and says nothing of others counts: with
    ``additionalProperties: false`` validation rejects the key; ``true`` or a schema invites any key.
    """
    node = object_node(schema) if isinstance(schema, Mapping) else None
    props = node.get("properties") if node is not None else None
    if node is None or not isinstance(props, Mapping) or {"additionalProperties", "unevaluatedProperties"} & set(node):
        return []
    patterns = node.get("patternProperties")
    patterns = patterns if isinstance(patterns, Mapping) else {}
    names = [str(name) for name in props]
    return [
        _undeclared(key, names, target)
        for key in arguments
        if key not in props and not any(_search(p, key) for p in patterns)
    ]


def _undeclared(key: str, names: list[str], target: str) -> str:
    text = f"{key!r} is not an argument of {target}"
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    if close:
        return f"{text}; did you mean {close[0]}?"
    if not names:
        return f"{text} (it takes none)"
    shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
    return f"{text} (its arguments: {shown})"


def _schema_errors(arguments: Mapping[str, Any], schema: Any) -> list[Any]:
    import jsonschema  # type: ignore[import-untyped]  # lazily: only `call` needs it

    try:
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        cls.check_schema(schema)
        errors = list(cls(schema).iter_errors(dict(arguments)))
    except Exception:  # a broken schema of any sort (SchemaError, Unresolvable, bad regex…): skip
        return []
    return sorted(errors, key=lambda e: ([str(p) for p in e.absolute_path], str(e.message)))


def _describe_error(error: Any, root: Mapping[str, Any]) -> str:
    """A sentence in plain words for one jsonschema ValidationError: values as JSON, never Python reprs."""
    path = list(error.absolute_path)
    if error.validator == "required" and (name := _required_name(error)) is not None:
        return f"missing required argument {_path_text([*path, name])!r}"
    if error.validator in ("dependentRequired", "dependencies") and (pair := _dependency(error)) is not None:
        return f"argument {_path_text([*path, pair[1]])!r} is required when {_path_text([*path, pair[0]])!r} is given"
    if error.validator in ("additionalProperties", "unevaluatedProperties") and (extras := _additional_names(error)):
        names = ", ".join(repr(k) for k in extras)
        plural = "s" if len(extras) > 1 else ""
        if not path:
            return f"unknown argument{plural} {names}"
        return f"argument {_path_text(path)!r}: unknown propert{'ies' if plural else 'y'} {names}"
    if error.validator in ("anyOf", "oneOf") and (near := _nearest_branch_error(error)) is not None:
        return _describe_error(near, root)
    phrase = _PHRASES.get(error.validator)
    text = phrase(error, root) if phrase else _fallback(error)
    if list(error.absolute_schema_path)[-2:-1] == ["propertyNames"]:
        text = f"{'property' if path else 'argument'} name {text}"
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
    """The keys the error is about (undeclared by ``properties``/``patternProperties``; named in its message)."""
    instance, schema = error.instance, error.schema
    if not isinstance(instance, Mapping) or not isinstance(schema, Mapping):
        return []
    props = schema.get("properties") or {}
    patterns = schema.get("patternProperties") or {}
    extras = [str(k) for k in instance if k not in props and not any(_search(p, str(k)) for p in patterns)]
    if error.validator == "unevaluatedProperties":  # others (allOf, $ref…) may have evaluated some of them
        extras = [k for k in extras if repr(k) in str(error.message)]
    return extras


def _dependency(error: Any) -> tuple[str, str] | None:
    """(given, missing) for a ``dependentRequired`` (or draft 4-7 ``dependencies``) error."""
    instance, rules = error.instance, error.validator_value
    if not isinstance(instance, Mapping) or not isinstance(rules, Mapping):
        return None
    for given, needs in rules.items():
        if given in instance and isinstance(needs, list):
            missing = next((n for n in needs if isinstance(n, str) and n not in instance), None)
            if missing is not None and str(error.message) == f"{missing!r} is a dependency of {given!r}":
                return str(given), missing
    return None


def _nearest_branch_error(error: Any) -> Any:
    """For anyOf/oneOf: the first problem of the one branch whose type fits the value, if only one does.

    ``"b"`` against ``integer | string matching ^a`` is better told "must match the pattern" than "must be
    integer or string". None when no branch or several fit, or when several branches match (oneOf).
    """
    fitting: dict[Any, list[Any]] = {}
    misfit: set[Any] = set()
    for sub in error.context or []:
        branch = sub.relative_schema_path[0] if sub.relative_schema_path else None
        if not sub.relative_path and sub.validator in ("type", "const", "enum", None):
            misfit.add(branch)
        else:
            fitting.setdefault(branch, []).append(sub)
    near = [errors for branch, errors in fitting.items() if branch not in misfit]
    if len(near) != 1:
        return None
    return min(near[0], key=lambda e: ([str(p) for p in e.absolute_path], str(e.message)))


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except (re.error, TypeError):
        return False


Phrase = Callable[[Any, Mapping[str, Any]], str]


def _type_phrase(error: Any, root: Mapping[str, Any]) -> str:
    value = error.validator_value
    expected = " or ".join(map(str, value)) if isinstance(value, list) else str(value)
    return f"expected {expected}, got {_got(error)}"


def _enum_phrase(error: Any, root: Mapping[str, Any]) -> str:
    members = error.validator_value if isinstance(error.validator_value, list) else []
    shown = ", ".join(m if isinstance(m, str) else json_text(m) for m in members)
    return f"must be one of: {shown}, got {_got(error)}"


def _bound(op: str, draft4_flag: str | None = None) -> Phrase:
    """minimum & co.; in drafts 3/4 a boolean ``exclusiveMinimum`` beside ``minimum`` makes it strict."""

    def phrase(error: Any, root: Mapping[str, Any]) -> str:
        strict = draft4_flag is not None and isinstance(error.schema, Mapping) and error.schema.get(draft4_flag) is True
        return f"must be {op.rstrip('=') if strict else op} {json_text(error.validator_value)}, got {_got(error)}"

    return phrase


def _count(one: str, many: str, at: str) -> Phrase:
    return lambda error, root: f"must have at {at} {_counted(error.validator_value, one, many)}"


def _counted(number: Any, one: str, many: str) -> str:
    return f"{json_text(number)} {one if number == 1 else many}"


def _branches_text(branches: Any, root: Mapping[str, Any]) -> str:
    """``integer or "auto"``: each branch as a type, a constant or its members."""
    texts = [_branch_text(b, root) for b in branches] if isinstance(branches, list) else []
    return " or ".join(dict.fromkeys(texts)) or "one of the allowed forms"


def _branch_text(schema: Any, root: Mapping[str, Any]) -> str:
    if isinstance(schema, Mapping) and "const" in schema:
        return json_text(schema["const"])
    if isinstance(schema, Mapping) and isinstance(schema.get("enum"), list):
        return "one of " + ", ".join(json_text(m) for m in schema["enum"])
    return type_text(schema, root)


def _one_of_phrase(error: Any, root: Mapping[str, Any]) -> str:
    alternatives = _branches_text(error.validator_value, root)
    if error.context:  # no branch fits
        return f"must be {alternatives}, got {_got(error)}"
    return f"must fit exactly one of: {alternatives}; it fits more than one, got {_got(error)}"


def _contains_count(at: str) -> Phrase:
    def phrase(error: Any, root: Mapping[str, Any]) -> str:
        contains = error.schema.get("contains") if isinstance(error.schema, Mapping) else None
        counted = _counted(error.validator_value, "item", "items")
        return f"must contain at {at} {counted} that {'is' if error.validator_value == 1 else 'are'} " + (
            _branch_text(contains, root)
        )

    return phrase


def _extra_items(error: Any, root: Mapping[str, Any]) -> str:
    """``items: false`` after ``prefixItems`` (or draft 4-7 ``additionalItems: false`` after an ``items`` list)."""
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    fixed = schema.get("prefixItems") if error.validator == "items" else schema.get("items")
    size = len(error.instance) if isinstance(error.instance, list) else "more"
    if isinstance(fixed, list):
        return f"must have at most {_counted(len(fixed), 'item', 'items')}, got {size}"
    return f"has more items than the schema allows, got {size}"


def _fallback(error: Any) -> str:
    """A validator without a phrase of its own: named, with its value as JSON (never jsonschema's repr)."""
    if error.validator is None:  # the schema ``false``
        return f"a value is not allowed here (its schema is false), got {_got(error)}"
    return f"does not satisfy '{error.validator}': {_short(json_text(error.validator_value))}, got {_got(error)}"


_PHRASES: dict[str, Phrase] = {
    "type": _type_phrase,
    "enum": _enum_phrase,
    "const": lambda e, r: f"must be {json_text(e.validator_value)}, got {_got(e)}",
    "minimum": _bound(">=", "exclusiveMinimum"),
    "maximum": _bound("<=", "exclusiveMaximum"),
    "exclusiveMinimum": _bound(">"),
    "exclusiveMaximum": _bound("<"),
    "multipleOf": lambda e, r: f"must be a multiple of {json_text(e.validator_value)}, got {_got(e)}",
    "minLength": _count("character", "characters", "least"),
    "maxLength": _count("character", "characters", "most"),
    "minItems": _count("item", "items", "least"),
    "maxItems": _count("item", "items", "most"),
    "minProperties": _count("property", "properties", "least"),
    "maxProperties": _count("property", "properties", "most"),
    "uniqueItems": lambda e, r: "must not repeat items",
    "pattern": lambda e, r: f"must match the pattern {json_text(e.validator_value)}, got {_got(e)}",
    "format": lambda e, r: f"must be a valid {e.validator_value}, got {_got(e)}",
    "not": lambda e, r: f"must not be {_branch_text(e.validator_value, r)}, got {_got(e)}",
    "anyOf": lambda e, r: f"must be {_branches_text(e.validator_value, r)}, got {_got(e)}",
    "oneOf": _one_of_phrase,
    "contains": lambda e, r: f"must contain an item that is {_branch_text(e.validator_value, r)}, got {_got(e)}",
    "minContains": _contains_count("least"),
    "maxContains": _contains_count("most"),
    "items": _extra_items,
    "additionalItems": _extra_items,
    "unevaluatedItems": lambda e, r: f"has more items than the schema allows, got {_got(e)}",
    "additionalProperties": lambda e, r: f"has properties the schema does not allow, got {_got(e)}",
    "unevaluatedProperties": lambda e, r: f"has properties the schema does not allow, got {_got(e)}",
}
