"""What shutdown costs while it waits (issue 19, ``tools list`` over five servers): the sweep scans ``/proc`` only
once the child has exited, and the idle rule measures the quiet time from the child's last CPU use.

Real processes; the time bound is generous (the machine is shared) and only separates "the quiet time was
measured from when the child stopped" from "from the next half-grace sample".
"""

from __future__ import annotations

import sys
import time

import pytest

from mcpctl.sessions import stdio
from mcpctl.sessions.targets import Target

LIMIT = 20.0

#: Exits 0.3 s after SIGTERM (a server that cleans up on the signal).
SLOW_TO_DIE = """
import signal, sys, time
def leave(*_):
    time.sleep(0.3)
    sys.exit(0)
signal.signal(signal.SIGTERM, leave)
print("ready", flush=True)
sys.stdin.read()
time.sleep(60)
"""

#: Works 0.6 s after EOF, then sleeps (lingers) without using CPU.
WORKS_THEN_LINGERS = """
import sys, time
print("ready", flush=True)
sys.stdin.read()
end = time.monotonic() + 0.6
while time.monotonic() < end:
    pass
time.sleep(60)
"""


async def _ready(code: str) -> stdio.StdioServer:
    """The child, once it has said it is ready (its start-up is not part of what is timed)."""
    server = await stdio.spawn(Target(name="child", transport="stdio", command=sys.executable, args=("-c", code)))
    assert server.process.stdout is not None and server.process.stdin is not None
    said = b""
    while b"\n" not in said:
        said += await server.process.stdout.receive()
    assert said == b"ready\n"
    return server


@pytest.mark.anyio
async def test_the_sweep_scans_proc_only_once_the_child_has_exited(monkeypatch: pytest.MonkeyPatch) -> None:
    scans = 0
    members = stdio._session_members

    def counted(sid: int) -> list[int]:
        nonlocal scans
        scans += 1
        return members(sid)

    server = await _ready(SLOW_TO_DIE)
    try:
        assert server.process.stdin is not None
        await server.process.stdin.aclose()
        monkeypatch.setattr(stdio, "_session_members", counted)
        await server.sweep()
        during_sweep = scans
    finally:
        await server.close()
    assert server.returncode == 0  # it left through its handler, within the grace
    assert during_sweep <= 3  # the signal's scan and one after the exit; polled every 10 ms it was ≈ 30


@pytest.mark.anyio
async def test_the_idle_grace_counts_from_the_childs_last_cpu_use() -> None:
    server = await _ready(WORKS_THEN_LINGERS)
    try:
        assert server.process.stdin is not None
        await server.process.stdin.aclose()
        started = time.monotonic()
        exited = await server.wait_exit_or_idle(LIMIT, 1.0)
        waited = time.monotonic() - started
    finally:
        await server.close()
    assert not exited
    # quiet from ≈ 0.6 s on, so SIGTERM is due at ≈ 1.6 s; sampled every half grace it came at 2.0 s
    assert 1.5 < waited < 1.85
