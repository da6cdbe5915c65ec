"""``mcpctl ping [SERVER…]``: a health gate for CI and a health-check loop for people."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpctl.cli.context import Context
from mcpctl.cli.options import server_command
from mcpctl.core.profile import Settings

if TYPE_CHECKING:
    from mcpctl.ops.ping import PingResult
    from mcpctl.sessions.targets import Target


@server_command()
def ping(
    ctx: Context,
    servers: Annotated[list[str] | None, typer.Argument(help="Servers to ping (default: every enabled one).")] = None,
    count: Annotated[int, typer.Option("--count", "-c", help="Round trips per server.", min=1)] = 1,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between round trips.", min=0.0)] = 1.0,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to connect and for each round trip.", min=0.1)
    ] = 10.0,
    wait: Annotated[
        float | None,
        typer.Option("--wait", help="Retry until every server answers or this many seconds pass.", min=0.0),
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Repeat every --interval until interrupted; print changes.")
    ] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Write a JUnit XML report here.")] = None,
) -> None:
    """Check that servers answer: round trips, protocol version, the reason when not; exit 1 if any is unhealthy.

    Against a 2026-07-28 server (no ping method) the probe is server/discover.

    Example: mcpctl ping

    Example: mcpctl ping api --wait 30            # CI readiness gate

    Example: mcpctl ping --count 5 --interval 0.2 -o json
    """
    # --timeout bounds the connect too (unless --connect-timeout says otherwise); no connect retries unless asked.
    shared = ctx.overrides
    ctx.overrides = Settings(
        startup_timeout_sec=shared.startup_timeout_sec if shared.startup_timeout_sec is not None else timeout,
        retries=shared.retries if shared.retries is not None else 0,
    )

    async def work() -> int:
        from mcpctl.ops.ping import ping_all, ping_wait

        targets = ctx.targets(servers)
        if watch:
            return await _watch(ctx, targets, interval, timeout)
        if wait is not None:
            results = await ping_wait(targets, ctx.session, wait, count, interval, timeout)
        else:
            results = await ping_all(targets, ctx.session, count, interval, timeout)
        _render(ctx, results)
        if report is not None:
            _write_report(report, results)
        return 0 if all(r.ok for r in results) else 1

    ctx.run(work)


def _render(ctx: Context, results: Sequence[PingResult]) -> None:
    from mcpctl.output.writer import Table

    rows = []
    for r in results:
        rtt = r.rtt()
        rows.append(
            [
                r.server,
                "ok" if r.ok else "FAIL",
                r.protocol or "-",
                r.method or "-",
                r.target.transport,
                f"{r.connect_ms:.0f}ms" if r.connect_ms is not None else "-",
                f"{rtt['min']:.1f}/{rtt['median']:.1f}/{rtt['max']:.1f}ms" if rtt else "-",
                r.reason(),
            ]
        )
    columns = ["SERVER", "STATUS", "PROTOCOL", "PROBE", "TRANSPORT", "CONNECT", "RTT MIN/MED/MAX", "REASON"]
    ctx.output.items([r.to_json() for r in results], Table(columns, rows))


def _write_report(path: Path, results: Sequence[PingResult]) -> None:
    from mcpctl.output import junit

    cases = [
        junit.Case(
            name=r.server,
            classname="mcpctl.ping",
            seconds=((r.connect_ms or 0) + sum(r.rtts_ms)) / 1000,
            failure=None if r.ok else r.reason(),
        )
        for r in results
    ]
    junit.write(path, "ping", cases)


async def _watch(ctx: Context, targets: Sequence[Target], interval: float, timeout: float) -> int:
    """Ping every ``interval`` seconds until interrupted, printing each server's state changes."""
    import datetime

    import anyio

    from mcpctl.ops.ping import ping_all

    last: dict[str, bool] = {}
    while True:
        results = await ping_all(targets, ctx.session, 1, interval, timeout)
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for r in results:
            if last.get(r.server) == r.ok:
                continue
            before = {True: "up", False: "down", None: "new"}[last.get(r.server)]
            now = "up" if r.ok else "down"
            last[r.server] = r.ok
            if ctx.output.machine:
                ctx.output.line({"time": stamp, "server": r.server, "from": before, "to": now, **r.to_json()})
            else:
                rtt = r.rtt()
                detail = r.reason() if not r.ok else f"{r.protocol}, {rtt['median']:.1f}ms" if rtt else ""
                ctx.output.text(f"{stamp} {r.server}: {before} -> {now}" + (f" ({detail})" if detail else "") + "\n")
        await anyio.sleep(interval)
