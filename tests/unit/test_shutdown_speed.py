"""Shutdown stays safe and gets faster (issue 19): an idle child is signalled early, a busy one is let finish,
and the console script leaves without the interpreter's teardown (atexit handlers and streams still done).

Real processes throughout; the time bounds are generous (the machine is shared) and only separate
"waited for ``limit``" from "did not".
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from mcpctl.sessions import stdio
from mcpctl.sessions.targets import Target

#: Far longer than any test waits: reaching it means the idle rule did not fire.
LIMIT = 20.0


async def _spawned(*argv: str) -> stdio.StdioServer:
    return await stdio.spawn(Target(name="child", transport="stdio", command=argv[0], args=tuple(argv[1:])))


@pytest.mark.anyio
async def test_a_child_idle_after_its_stdin_closed_is_not_waited_for_the_whole_grace() -> None:
    server = await _spawned(sys.executable, "-c", "import sys, time; sys.stdin.read(); time.sleep(60)")
    try:
        assert server.process.stdin is not None
        await server.process.stdin.aclose()
        started = time.monotonic()
        exited = await server.wait_exit_or_idle(LIMIT, stdio.IDLE_GRACE)
        assert not exited
        assert time.monotonic() - started < LIMIT / 4
    finally:
        await server.close()
    assert server.returncode is not None  # SIGTERM came next, as before


@pytest.mark.anyio
async def test_a_child_working_its_way_out_after_eof_is_let_exit_by_itself() -> None:
    busy = "import sys, time; sys.stdin.read(); end = time.monotonic() + 0.6\nwhile time.monotonic() < end: pass"
    server = await _spawned(sys.executable, "-c", busy)
    try:
        assert server.process.stdin is not None
        await server.process.stdin.aclose()
        assert await server.wait_exit_or_idle(LIMIT, stdio.IDLE_GRACE)
        assert server.returncode == 0  # its own exit, not a signal
    finally:
        await server.close()


@pytest.mark.anyio
async def test_the_grace_is_still_bounded_for_a_child_that_keeps_working() -> None:
    server = await _spawned(sys.executable, "-c", "import sys; sys.stdin.read()\nwhile True: pass")
    try:
        assert server.process.stdin is not None
        await server.process.stdin.aclose()
        assert not await server.wait_exit_or_idle(0.3, LIMIT)
    finally:
        await server.close()
    assert server.returncode is not None and server.returncode < 0  # stopped by a signal


def test_the_usage_of_a_session_counts_only_its_live_processes() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
    try:
        members = [str(pid) for pid in stdio._session_members(child.pid)]
        assert members == [str(child.pid)]
        usage = stdio._session_usage(child.pid, members)
        assert usage is not None
        assert usage[0] >= 0
        assert stdio._session_usage(child.pid + 1, members) == (0, False)  # not of that session
        child.kill()
        child.wait()
        assert stdio._session_usage(child.pid, members) == (0, False)  # gone
    finally:
        child.kill()
        child.wait()


EXIT_PROBE = """
import atexit, sys
from mcpctl.cli import main as entry

class Teardown:
    def __del__(self):
        sys.stdout.write("teardown ran\\n")

KEEP = Teardown()
sys.stdout.write("result\\n")  # buffered: must still reach the pipe
atexit.register(entry._exit_without_teardown, [3])
atexit.register(lambda: sys.stderr.write("later handler ran\\n"))
sys.exit(3)
"""


def test_the_exit_skips_the_teardown_but_runs_atexit_handlers_and_flushes_with_the_status() -> None:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(EXIT_PROBE)], capture_output=True, text=True)
    assert done.returncode == 3
    assert done.stdout == "result\n"  # no "teardown ran": module teardown was skipped
    assert done.stderr == "later handler ran\n"
