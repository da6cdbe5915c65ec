"""``mcpctl batch FILE|-``: many calls, one session per server, NDJSON results in input order."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpctl.cli.context import Context
from mcpctl.cli.options import NoValidateOpt, StrictArgsOpt, server_command

if TYPE_CHECKING:
    from mcpctl.core.progress import Progress
    from mcpctl.ops.batch.file import BatchLine
    from mcpctl.ops.batch.run import LineResult
    from mcpctl.sessions.targets import Target


@server_command(elicit=True, output="ndjson")
def batch(
    ctx: Context,
    file: Annotated[str, typer.Argument(help="JSON Lines or TOML ([[call]] tables) file, or - for stdin.")],
    concurrency: Annotated[int, typer.Option("--concurrency", "-j", help="Calls in flight at once.", min=1)] = 4,
    fail_fast: Annotated[
        bool, typer.Option("--fail-fast", help="Stop at the first failure (the rest: skipped).")
    ] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Write a JUnit XML report here.")] = None,
    retry_unsafe: Annotated[
        bool, typer.Option("--retry-unsafe", help="Retry calls even if the tool is not read-only/idempotent.")
    ] = False,
    no_validate: NoValidateOpt = False,
    strict_args: StrictArgsOpt = False,
) -> None:
    """Run a file of calls; one NDJSON line a call: {id, server, tool, ok, result|error, attempts, duration_ms}.

    A line: {"id": "a1", "server": "demo", "tool": "echo", "arguments": {"message": "hi"}}
    (optional: timeout, retries, fallback, expect: {"isError": false, "contains": "hi", "path": "result", "equals": 5}).
    The whole file is validated before any call; exit 1 if any call failed or any expectation did not hold.

    Example: mcpctl batch calls.jsonl --concurrency 8 > results.ndjson

    Example: mcpctl batch smoke.toml --fail-fast --report junit.xml
    """

    async def work() -> int:
        from mcpctl.ops.batch.file import read_batch
        from mcpctl.ops.batch.run import BatchOptions, run_lines, validate_lines
        from mcpctl.sessions.pool import session_pool

        lines = read_batch(_read_source(file), file if file != "-" else "<stdin>")
        resolve = _resolver(ctx)
        emitted: list[LineResult] = []
        progress = _Progress(ctx, len(lines))

        def emit(result: LineResult) -> None:
            emitted.append(result)
            progress.step(result)
            if ctx.output.format == "ndjson":
                ctx.output.line(result.to_json())
            elif ctx.output.format in ("text", "table"):
                ctx.output.text(_human(result))

        options = BatchOptions(
            concurrency=concurrency,
            fail_fast=fail_fast,
            retry_unsafe=retry_unsafe,
            timeout=ctx.overrides.tool_timeout_sec,
        )
        session = ctx.session
        if progress.enabled and session.progress is not None and not session.verbose:
            session = dataclasses.replace(session, progress=progress.call)  # calls' progress goes in the bar
        async with session_pool(session) as pool:
            tools = await validate_lines(
                lines, resolve, pool, check_arguments=not no_validate, strict_args=strict_args, warn=ctx.output.warn
            )
            try:
                summary = await run_lines(lines, resolve, pool, tools, options, emit)
            finally:
                progress.done()
                if ctx.output.format == "json":
                    ctx.output.result([r.to_json() for r in emitted])
                if report is not None:
                    _write_report(report, emitted)
        ctx.output.note(summary.text())
        return 0 if summary.failed == 0 and summary.skipped == 0 else 1

    ctx.run(work)


def _read_source(file: str) -> str:
    from mcpctl.core.errors import UsageError

    if file == "-":
        return sys.stdin.read()
    try:
        return Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read batch file {file}: {getattr(exc, 'strerror', None) or exc}") from None


def _resolver(ctx: Context) -> Callable[[BatchLine], Target]:
    """Line → target: its server from the profile, else the --url/--stdio target, else the only server."""
    from mcpctl.core.errors import UsageError

    cache: dict[str | None, Target] = {}

    def resolve(line: BatchLine) -> Target:
        key = line.server
        if key is not None and ctx.adhoc.given and key not in cache:
            # The ad-hoc target is named after its URL or command: a line (or the
            # validation pass) naming it means that target, not a profile server.
            adhoc = cache.get(None) or ctx.targets()[0]
            if key == adhoc.name:
                cache[None] = cache[key] = adhoc
        if key not in cache:
            if key is not None:
                cache[key] = ctx.profile_targets([key])[0]
            elif ctx.adhoc.given:
                cache[key] = ctx.targets()[0]
            else:
                enabled = [c for c in ctx.profile().servers.values() if c.enabled]
                if len(enabled) != 1:
                    raise UsageError(
                        "no 'server' on this line",
                        hint='add "server": "NAME" to the line, or give --url / --stdio for every line',
                    )
                cache[key] = ctx.profile_targets([enabled[0].name])[0]
        return cache[key]

    return resolve


def _human(result: LineResult) -> str:
    status = "ok" if result.ok else "SKIP" if result.skipped else "FAIL"
    where = f"{result.server}.{result.line.tool}" if result.server else result.line.tool
    detail = "" if result.ok else f"  {result.error.get('message', '') if result.error else ''}"
    return f"{status}\t{result.line.id}\t{where}\t{result.duration_ms:.0f}ms\t{result.attempts}{detail}\n"


def _write_report(path: Path, results: list[LineResult]) -> None:
    from mcpctl.output import junit

    cases = [
        junit.Case(
            name=r.line.id,
            classname=f"mcpctl.batch.{r.server or 'unknown'}.{r.line.tool}",
            seconds=r.duration_ms / 1000,
            failure=None if r.ok or r.skipped else (r.error or {}).get("message", "failed"),
            skipped=(r.error or {}).get("message") if r.skipped else None,
        )
        for r in results
    ]
    junit.write(path, "batch", cases)


class _Progress:
    """``[done/total] failed N`` on stderr, only when stderr is a terminal (and not -q).

    The last progress notification of a call in flight follows, cut to the terminal's width.
    """

    def __init__(self, ctx: Context, total: int) -> None:
        self.stream = ctx.output.streams.err
        self.enabled = ctx.output.streams.err_tty and not ctx.output.quiet
        self.total = total
        self.done_count = 0
        self.failed = 0
        self.latest: Progress | None = None
        self._drawn_at = 0.0

    def step(self, result: LineResult) -> None:
        self.done_count += 1
        self.failed += 0 if result.ok else 1
        self.latest = None
        self._draw()

    def call(self, update: Progress) -> None:
        """A call in flight reported progress: shown after the counts (redrawn at most ten times a second)."""
        self.latest = update
        if time.monotonic() - self._drawn_at >= 0.1:
            self._draw()

    def _draw(self) -> None:
        if self.enabled:
            import shutil

            from mcpctl.output.sanitize import cell

            self._drawn_at = time.monotonic()
            width = 30
            filled = width * self.done_count // max(1, self.total)
            bar = "#" * filled + "-" * (width - filled)
            text = f"[{bar}] {self.done_count}/{self.total} failed {self.failed}"
            if self.latest is not None:
                text += f"  {cell(self.latest.describe())}"
            text = text[: max(40, shutil.get_terminal_size().columns - 1)]
            self.stream.write(f"\r\x1b[2K{text}")
            self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
