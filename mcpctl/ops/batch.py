"""``batch``: many calls over one session per server, results streamed in input order.

The file (JSON Lines, or TOML with ``[[call]]`` tables) is read and validated whole
before any call is made: every bad line is reported with its line number (exit 2).
Calls then run ``concurrency`` at a time through a ``SessionPool``; a session that
dies is reopened and idempotent calls in flight are retried. Every input line gets
exactly one output line.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio

from mcpctl.core.errors import McpctlError, ToolFailed, UnknownTool, UsageError
from mcpctl.core.files import ParseError, load_json, load_toml
from mcpctl.core.retry import repeat_is_safe
from mcpctl.ops.fanout import first_answer, gather
from mcpctl.sessions.pool import SessionPool

if TYPE_CHECKING:
    from mcp.types import Tool

    from mcpctl.sessions.targets import Target

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


@dataclass
class LineResult:
    """The output line for one call."""

    line: BatchLine
    server: str | None
    ok: bool
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    attempts: int = 0
    duration_ms: float = 0.0
    skipped: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.line.id, "server": self.server, "tool": self.line.tool, "ok": self.ok}
        if self.result is not None:
            out["result"] = self.result
        if self.error is not None:
            out["error"] = self.error
        out["attempts"] = self.attempts
        out["duration_ms"] = round(self.duration_ms, 1)
        return out


# --------------------------------------------------------------------------- reading


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


# --------------------------------------------------------------------------- expectations


def check_expectation(expect: dict[str, Any], result: dict[str, Any]) -> str | None:
    """Why ``result`` does not meet ``expect``, or None when it does."""
    if "isError" in expect and bool(result.get("isError")) != expect["isError"]:
        return f"expected isError {str(expect['isError']).lower()}, got {str(bool(result.get('isError'))).lower()}"
    text = "\n".join(b.get("text", "") for b in result.get("content", []) if b.get("type") == "text")
    if "contains" in expect and expect["contains"] not in text:
        return f"expected the text to contain {expect['contains']!r}, got {_short(text)!r}"
    if "text" in expect and text != expect["text"]:
        return f"expected the text {expect['text']!r}, got {_short(text)!r}"
    if "path" in expect:
        found, value = _at_path(result.get("structuredContent"), expect["path"])
        if not found:
            return f"expected structuredContent.{expect['path']} to exist"
        if value != expect["equals"]:
            wanted = json.dumps(expect["equals"])
            return f"expected structuredContent.{expect['path']} == {wanted}, got {json.dumps(value)}"
    return None


def _at_path(data: Any, path: str) -> tuple[bool, Any]:
    for part in [p for p in path.replace("[", ".").replace("]", "").split(".") if p]:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return False, None
    return True, data


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- running


@dataclass
class BatchOptions:
    """How to run a batch."""

    concurrency: int = 4
    fail_fast: bool = False
    retry_unsafe: bool = False
    timeout: float | None = None


@dataclass
class Summary:
    """What the summary line on stderr says."""

    calls: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    seconds: float = 0.0

    def text(self) -> str:
        rate = self.calls / self.seconds if self.seconds > 0 else 0.0
        return (
            f"batch: {self.calls} calls, {self.failed} failed, {self.skipped} skipped, {self.retried} retried, "
            f"{self.seconds:.2f}s, {rate:.1f} calls/s"
        )


async def validate_lines(
    lines: Sequence[BatchLine], resolve: Callable[[BatchLine], Target], pool: SessionPool, check_arguments: bool = True
) -> dict[str, list[Tool]]:
    """Resolve every line's server, list each server's tools once, and validate every line's arguments.

    Servers that cannot be reached are not a problem of the file: their lines fail when run.
    """
    from mcpctl.core.args import validate

    problems: list[str] = []
    targets: dict[str, Target] = {}
    for line in lines:
        try:
            for name in [resolve(line).name, *line.fallback]:
                targets.setdefault(name, resolve(_with_server(line, name)))
        except UsageError as error:
            problems.append(f"{line.where}: {error.message}")

    async def list_one(target: Target) -> list[Tool] | None:
        try:
            session = await pool.slot(target).acquire()
            return await session.list_tools()
        except McpctlError:
            return None

    listed = await gather(list(targets.values()), list_one)
    tools = {name: found for name, found in zip(targets, listed, strict=True) if found is not None}
    for line in lines:
        if problems and any(p.startswith(f"{line.where}:") for p in problems):
            continue
        server = resolve(line).name
        if server not in tools:
            continue
        tool = next((t for t in tools[server] if t.name == line.tool), None)
        if tool is None:
            problems.append(f"{line.where}: unknown tool '{line.tool}' on server '{server}'")
            continue
        try:
            if check_arguments:
                validate(line.arguments, tool.input_schema or None, target=f"{server}.{line.tool}")
        except UsageError as error:
            problems.append(f"{line.where}: {error.message}")
    if problems:
        problems.sort(key=lambda p: next((ln.index for ln in lines if p.startswith(f"{ln.where}:")), 0))
        raise bad_batch(problems)
    return tools


def _with_server(line: BatchLine, server: str) -> BatchLine:
    return BatchLine(index=line.index, where=line.where, id=line.id, tool=line.tool, server=server)


async def run_lines(
    lines: Sequence[BatchLine],
    resolve: Callable[[BatchLine], Target],
    pool: SessionPool,
    tools: dict[str, list[Tool]],
    options: BatchOptions,
    emit: Callable[[LineResult], Awaitable[None] | None],
) -> Summary:
    """Run every line, ``concurrency`` at a time; ``emit`` gets results in input order, one per line."""
    summary = Summary(calls=len(lines))
    started = time.perf_counter()
    results: dict[int, LineResult] = {}
    next_out = 0
    stop = False
    limiter = anyio.CapacityLimiter(max(1, options.concurrency))

    async def flush() -> None:
        nonlocal next_out
        while next_out in results:
            outcome = emit(results.pop(next_out))
            if outcome is not None:
                await outcome
            next_out += 1

    async def run_one(line: BatchLine) -> None:
        nonlocal stop
        async with limiter:
            if stop:
                outcome = LineResult(line, line.server, ok=False, skipped=True, error=_skipped_error())
            else:
                outcome = await _call_line(line, resolve, pool, tools, options)
        if outcome.skipped:
            summary.skipped += 1
        elif not outcome.ok:
            summary.failed += 1
            stop = stop or options.fail_fast
        if outcome.attempts > 1:
            summary.retried += 1
        results[line.index] = outcome
        await flush()

    try:
        async with anyio.create_task_group() as tg:
            for line in lines:
                tg.start_soon(run_one, line)
    finally:
        with anyio.CancelScope(shield=True):
            for index in sorted(results):  # interrupted: flush what has finished
                outcome = emit(results.pop(index))
                if outcome is not None:
                    await outcome
    summary.seconds = time.perf_counter() - started
    return summary


def _skipped_error() -> dict[str, Any]:
    return {"type": "skipped", "message": "not run: an earlier call failed (--fail-fast)", "exit_code": 1}


async def _call_line(
    line: BatchLine,
    resolve: Callable[[BatchLine], Target],
    pool: SessionPool,
    tools: dict[str, list[Tool]],
    options: BatchOptions,
) -> LineResult:
    """One line: the call (with its fallbacks), then its expectation."""
    started = time.perf_counter()
    attempts = 0
    primary = resolve(line).name

    async def on(server: str) -> tuple[str, dict[str, Any]]:
        nonlocal attempts
        target = resolve(_with_server(line, server))
        listed = tools.get(target.name)
        tool = next((t for t in listed or [] if t.name == line.tool), None)
        if tool is None and listed is not None and server != primary:
            raise UnknownTool(f"unknown tool '{line.tool}' on server '{target.name}'", server=target.name)
        report = await pool.call(
            target,
            line.tool,
            line.arguments,
            timeout=line.timeout if line.timeout is not None else options.timeout,
            retries=line.retries,
            may_repeat=options.retry_unsafe or (tool is not None and repeat_is_safe(tool)),
        )
        attempts += report.attempts
        if report.error is not None:
            raise report.error
        assert report.result is not None
        return target.name, report.result

    try:
        server, result = await first_answer([primary, *line.fallback], on, summarize=False)
    except McpctlError as error:
        elapsed = (time.perf_counter() - started) * 1000
        return LineResult(line, error.server or primary, False, None, error.to_json()["error"], attempts, elapsed)
    ok, failure = True, None
    missed = check_expectation(line.expect, result) if line.expect else None
    if missed is not None:
        ok, failure = False, {"type": "expectation", "message": missed, "server": server, "exit_code": 1}
    elif result.get("isError") and not (line.expect and line.expect.get("isError") is True):
        ok = False
        failure = ToolFailed("the tool reported an error (isError: true)", server=server).to_json()["error"]
    return LineResult(line, server, ok, result, failure, attempts, (time.perf_counter() - started) * 1000)
