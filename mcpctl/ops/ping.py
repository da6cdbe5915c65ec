"""``ping``: is each server reachable and answering, and how fast?

Against a handshake-era server the probe is ``ping``; revision 2026-07-28 has no
``ping`` method, so the probe is ``server/discover``. A JSON-RPC error answer still
proves the server alive (it is noted). ``wait`` repeats rounds for the unhealthy
servers until all answer or the time is up (a CI readiness gate).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from mcpctl.core.errors import McpctlError, ProtocolError
from mcpctl.ops.fanout import gather
from mcpctl.sessions.options import SessionOptions
from mcpctl.sessions.session import Session, open_session
from mcpctl.sessions.targets import Target


@dataclass
class PingResult:
    """One server's health."""

    target: Target
    ok: bool = False
    protocol: str | None = None
    method: str | None = None
    connect_ms: float | None = None
    rtts_ms: list[float] = field(default_factory=list)
    note: str | None = None
    error: McpctlError | None = None

    @property
    def server(self) -> str:
        return self.target.name

    def rtt(self) -> dict[str, float] | None:
        """min / median / max round-trip time in ms."""
        if not self.rtts_ms:
            return None
        return {
            "min": round(min(self.rtts_ms), 2),
            "median": round(statistics.median(self.rtts_ms), 2),
            "max": round(max(self.rtts_ms), 2),
        }

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "server": self.server,
            "ok": self.ok,
            "transport": self.target.transport,
            "protocolVersion": self.protocol,
            "method": self.method,
            "connect_ms": None if self.connect_ms is None else round(self.connect_ms, 1),
            "rtt_ms": self.rtt(),
            "count": len(self.rtts_ms),
        }
        if self.note:
            out["note"] = self.note
        if self.error is not None:
            out["error"] = self.error.to_json()["error"]
        return out

    def reason(self) -> str:
        """Why the server is unhealthy (with its stderr tail), or a note."""
        if self.error is None:
            return self.note or ""
        return "; ".join([self.error.message, *self.error.details[-3:]])


async def probe(session: Session, timeout: float) -> tuple[str, float, str | None]:
    """One round trip: (method, ms, note)."""
    modern = session.modern
    method = "server/discover" if modern else "ping"
    raw = session.client.session
    started = time.perf_counter()
    note = None
    try:
        await session.guarded(raw.send_discover(session.protocol_version) if modern else raw.send_ping(), timeout)
    except ProtocolError as error:
        note = f"{method} answered with an error ({error.message}); the server is alive"
    return method, (time.perf_counter() - started) * 1000, note


async def ping_one(target: Target, options: SessionOptions, count: int, interval: float, timeout: float) -> PingResult:
    """Connect and probe ``count`` times, ``interval`` seconds apart."""
    result = PingResult(target)
    try:
        async with open_session(target, options) as session:
            result.connect_ms = session.connect_ms
            result.protocol = session.protocol_version
            for index in range(count):
                if index:
                    await anyio.sleep(interval)
                result.method, ms, note = await probe(session, timeout)
                result.rtts_ms.append(ms)
                result.note = result.note or note
            result.ok = True
    except McpctlError as error:
        result.error = error.with_server(target.name)
    return result


async def ping_all(
    targets: Sequence[Target], options: SessionOptions, count: int = 1, interval: float = 1.0, timeout: float = 10.0
) -> list[PingResult]:
    """Ping every target concurrently, results in the targets' order."""
    return await gather(targets, lambda target: ping_one(target, options, count, interval, timeout))


async def ping_wait(
    targets: Sequence[Target],
    options: SessionOptions,
    wait: float,
    count: int = 1,
    interval: float = 1.0,
    timeout: float = 10.0,
    retry_every: float = 0.5,
) -> list[PingResult]:
    """Repeat rounds for the unhealthy servers until all answer or ``wait`` seconds pass."""
    deadline = anyio.current_time() + wait
    results = await ping_all(targets, options, count, interval, timeout)
    while not all(r.ok for r in results):
        remaining = deadline - anyio.current_time()
        if remaining <= 0:
            break
        await anyio.sleep(min(retry_every, remaining))
        pending = [i for i, r in enumerate(results) if not r.ok]
        again = await ping_all([targets[i] for i in pending], options, count, interval, min(timeout, remaining + 1))
        for index, fresh in zip(pending, again, strict=True):
            results[index] = fresh
    return results
