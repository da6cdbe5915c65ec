"""Reading a batch file: JSON Lines or TOML ``[[call]]`` tables, validated whole, every bad line named."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcpctl.core.errors import UsageError
from mcpctl.core.files import ParseError, load_json, load_toml

if TYPE_CHECKING:
    pass


LINE_KEYS = {"id", "server", "tool", "arguments", "timeout", "retries", "expect", "fallback"}


EXPECT_KEYS = {"isError", "contains", "text", "path", "equals"}


@dataclass
class BatchLine:
    """One call of the batch, as read (``where`` names its line for messages)."""

    index: int
    where: str
    id: str
    tool: str
    server: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    timeout: float | None = None
    retries: int | None = None
    expect: dict[str, Any] | None = None
    fallback: list[str] = field(default_factory=list)


def read_batch(text: str, source: str) -> list[BatchLine]:
    """Parse a batch file (TOML when it has ``[[call]]`` tables, JSON Lines otherwise); all problems at once."""
    is_toml = source.endswith(".toml") or "[[call]]" in text
    raw = _toml_calls(text, source) if is_toml else _jsonl_calls(text, source)
    problems: list[str] = []
    lines: list[BatchLine] = []
    for index, (where, value) in enumerate(raw):
        try:
            lines.append(_line(index, where, value))
        except UsageError as error:
            problems.append(error.message)
    seen: dict[str, str] = {}
    for line in lines:
        if line.id in seen:
            problems.append(f"{line.where}: duplicate id '{line.id}' (first at {seen[line.id]})")
        seen.setdefault(line.id, line.where)
    if problems:
        raise bad_batch(problems)
    if not lines:
        raise UsageError(f"{source}: no calls in the batch", hint="one JSON object a line, or [[call]] tables in TOML")
    return lines


def bad_batch(problems: Sequence[str]) -> UsageError:
    """One usage error listing every bad line."""
    count = len(problems)
    return UsageError(
        problems[0] if count == 1 else f"{count} bad lines in the batch; the first: {problems[0]}",
        details=list(problems[1:]) if count > 1 else [],
        hint='each line: {"id": "a1", "server": "NAME", "tool": "TOOL", "arguments": {...}}; nothing was called',
    )


class _Unparsed(str):
    """A JSON Lines line that is not JSON (the problem), reported with the other bad lines."""


def _jsonl_calls(text: str, source: str) -> list[tuple[str, Any]]:
    calls: list[tuple[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            calls.append((f"{source}:{number}", load_json(stripped)))
        except ParseError as exc:
            where = f" at column {exc.column}" if exc.column is not None else ""
            calls.append((f"{source}:{number}", _Unparsed(f"invalid JSON: {exc.reason}{where}")))
    return calls


def _toml_calls(text: str, source: str) -> list[tuple[str, Any]]:
    try:
        data = load_toml(text)
    except ParseError as exc:
        raise UsageError(f"{source}: invalid TOML: {exc}") from None
    extra = set(data) - {"call"}
    if extra:
        raise UsageError(f"{source}: unknown top-level key '{sorted(extra)[0]}'", hint="use [[call]] tables")
    calls = data.get("call", [])
    if not isinstance(calls, list):
        raise UsageError(f"{source}: 'call' must be an array of tables ([[call]])")
    return [(f"{source}: call #{n}", value) for n, value in enumerate(calls, start=1)]


def _line(index: int, where: str, value: Any) -> BatchLine:
    if isinstance(value, _Unparsed):
        raise UsageError(f"{where}: {value}")
    if not isinstance(value, dict):
        raise UsageError(f"{where}: expected a JSON object, got {type(value).__name__}")
    unknown = set(value) - LINE_KEYS
    if unknown:
        raise UsageError(f"{where}: unknown key '{sorted(unknown)[0]}' (known: {', '.join(sorted(LINE_KEYS))})")
    tool = value.get("tool")
    if not isinstance(tool, str) or not tool:
        raise UsageError(f"{where}: 'tool' must be a non-empty string")
    server = value.get("server")
    if server is not None and (not isinstance(server, str) or not server):
        raise UsageError(f"{where}: 'server' must be a non-empty string")
    if server is None and "." in tool:
        server, _, tool = tool.partition(".")
    arguments = value.get("arguments", {})
    if not isinstance(arguments, dict):
        raise UsageError(f"{where}: 'arguments' must be an object")
    identifier = value.get("id", str(index + 1))
    if not isinstance(identifier, str | int) or isinstance(identifier, bool):
        raise UsageError(f"{where}: 'id' must be a string or a number")
    return BatchLine(
        index=index,
        where=where,
        id=str(identifier),
        tool=tool,
        server=server,
        arguments=arguments,
        timeout=_positive(value, "timeout", where, float),
        retries=_positive(value, "retries", where, int),
        expect=_expect(value.get("expect"), where),
        fallback=_fallback(value.get("fallback"), where),
    )


def _positive(value: dict[str, Any], key: str, where: str, kind: type) -> Any:
    item = value.get(key)
    if item is None:
        return None
    if isinstance(item, bool) or not isinstance(item, int | float) or (kind is int and not isinstance(item, int)):
        raise UsageError(f"{where}: '{key}' must be {'an integer' if kind is int else 'a number'}")
    if not item >= 0:  # NaN too
        raise UsageError(f"{where}: '{key}' must be >= 0")
    try:
        return kind(item)
    except OverflowError:  # an integer too big for a float: as 1e400, no limit
        return math.inf


def _expect(value: Any, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"contains": value}
    if not isinstance(value, dict):
        raise UsageError(f"{where}: 'expect' must be an object or a text the result must contain")
    unknown = set(value) - EXPECT_KEYS
    if unknown:
        raise UsageError(
            f"{where}: unknown expect key '{sorted(unknown)[0]}' (known: {', '.join(sorted(EXPECT_KEYS))})"
        )
    if "isError" in value and not isinstance(value["isError"], bool):
        raise UsageError(f"{where}: expect.isError must be true or false")
    for key in ("contains", "text", "path"):
        if key in value and not isinstance(value[key], str):
            raise UsageError(f"{where}: expect.{key} must be a string")
    if ("path" in value) != ("equals" in value):
        raise UsageError(f"{where}: expect.path and expect.equals go together")
    return dict(value)


def _fallback(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise UsageError(f"{where}: 'fallback' must be a list of server names")
    return list(value)
