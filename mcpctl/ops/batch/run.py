"""Running a batch: many calls over one session per server, results streamed in input order.

The file (JSON Lines, or TOML with ``[[call]]`` tables) is read and validated whole
before any call is made: every bad line is reported with its line number (exit 2).
Calls then run ``concurrency`` at a time through a ``SessionPool``; a session that
dies is reopened and idempotent calls in flight are retried. Every input line gets
exactly one output line.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from mcpctl.core.errors import McpctlError, ToolFailed, UnknownTool, UsageError
from mcpctl.core.retry import repeat_is_safe
from mcpctl.ops.batch.expect import check_expectation
from mcpctl.ops.batch.file import BatchLine, bad_batch
from mcpctl.ops.fanout import first_answer, gather
from mcpctl.sessions.pool import SessionPool

if TYPE_CHECKING:
    from mcp.types import Tool

    from mcpctl.sessions.targets import Target


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
    lines: Sequence[BatchLine],
    resolve: Callable[[BatchLine], Target],
    pool: SessionPool,
    check_arguments: bool = True,
    *,
    strict_args: bool = False,
    warn: Callable[[str], None] | None = None,
) -> dict[str, list[Tool]]:
    """Resolve every line's server, list each server's tools once, and validate every line's arguments.

    Servers that cannot be reached are not a problem of the file: their lines fail when run. An argument
    the tool does not declare is a warning (through ``warn``), or a problem of the file under ``strict_args``.
    """
    from mcpctl.core.schema.validate import undeclared_arguments, validate

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
                for message in undeclared_arguments(line.arguments, tool.input_schema or None, f"{server}.{line.tool}"):
                    if strict_args or resolve(line).settings.strict_args:
                        problems.append(f"{line.where}: {message}")
                    elif warn is not None:
                        warn(f"{line.where}: {message}")
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

    #: The calls in flight; ``--fail-fast`` cancels them (each server is told: ``notifications/cancelled``).
    in_flight: set[anyio.CancelScope] = set()

    async def run_one(line: BatchLine) -> None:
        nonlocal stop
        async with limiter:
            outcome = LineResult(line, line.server, ok=False, skipped=True, error=_skipped_error())
            if not stop:
                with anyio.CancelScope() as scope:
                    in_flight.add(scope)
                    try:
                        outcome = await _call_line(line, resolve, pool, tools, options)
                    finally:
                        in_flight.discard(scope)
                if scope.cancelled_caught:
                    outcome = LineResult(line, line.server, ok=False, skipped=True, error=_cancelled_error())
        if outcome.skipped:
            summary.skipped += 1
        elif not outcome.ok:
            summary.failed += 1
            if options.fail_fast and not stop:
                stop = True
                for scope in list(in_flight):
                    scope.cancel()
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


def _cancelled_error() -> dict[str, Any]:
    return {"type": "skipped", "message": "cancelled: an earlier call failed (--fail-fast)", "exit_code": 1}


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
