"""Resilience as ``batch`` has it: a dead session is reopened; a call that may have reached the server is sent
again only for read-only/idempotent tools or with ``retry_unsafe=True``; a server that keeps failing trips its
circuit; ``status()`` and ``ping()`` say so.

The flaky server (``tests/servers/flaky.py``) dies on its first K flaky calls and logs every call that reached
it (``fl.calls()``) and every start (``fl.starts()``): the proof of what was sent, and how often.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
from pathlib import Path

import anyio
import pytest
from conftest import FAULTY, FLAKY, Flaky, wait_pids_gone

import mcpctl
from api.helpers import PROMPT, SLOW, assert_none_left, demo, server_pid

pytestmark = pytest.mark.anyio


def flaky_server(fl: Flaky, fails: int) -> mcpctl.Server:
    return mcpctl.Server.stdio([sys.executable, FLAKY, "--fail", str(fails)], name="fl", env=fl.env)


async def test_read_only_call_is_sent_again_on_a_new_session_when_the_server_dies(fl: Flaky, marker: str) -> None:
    async with mcpctl.connect(flaky_server(fl, 1)) as tk:
        result = await tk.call("flaky_read", key="k1")
        assert (result.text, result.attempts) == ("read k1", 2)
        status = tk.status()["fl"]
        assert (status.state, status.reconnects, status.calls, status.failures) == ("connected", 1, 1, 0)
    assert fl.calls() == ["flaky_read fail", "flaky_read ok"]
    assert fl.starts() == 2
    assert_none_left(marker)


async def test_unsafe_call_is_not_sent_again_and_fails_as_a_connect_error(fl: Flaky) -> None:
    async with mcpctl.connect(flaky_server(fl, 1)) as tk:
        with pytest.raises(mcpctl.ConnectError) as caught:
            await tk.call("flaky_write", key="k1")
        assert caught.value.exit_code == 3 and caught.value.server == "fl"
        status = tk.status()["fl"]
        assert (status.calls, status.failures, status.reconnects) == (1, 1, 0)
        assert status.last_error == caught.value.message
        assert fl.calls() == ["flaky_write fail"]
        # The next call opens a new session.
        result = await tk.call("flaky_write", key="k2")
        assert (result.text, result.attempts) == ("wrote k2", 1)
        assert tk.status()["fl"].reconnects == 1
    assert fl.calls() == ["flaky_write fail", "flaky_write ok"]


async def test_retry_unsafe_sends_an_unsafe_call_again(fl: Flaky) -> None:
    async with mcpctl.connect(flaky_server(fl, 1), retry_unsafe=True) as tk:
        result = await tk.call("flaky_write", key="k1")
    assert (result.text, result.attempts) == ("wrote k1", 2)
    assert fl.calls() == ["flaky_write fail", "flaky_write ok"]


async def test_retries_zero_sends_nothing_again(fl: Flaky) -> None:
    async with mcpctl.connect(flaky_server(fl, 1), retries=0) as tk:
        with pytest.raises(mcpctl.ConnectError):
            await tk.call("flaky_read", key="k1")
    assert fl.calls() == ["flaky_read fail"]


async def test_a_killed_server_is_reopened_for_the_next_call(marker: str) -> None:
    async with mcpctl.connect(demo()) as tk:
        assert (await tk.call("echo", message="one")).attempts == 1
        first = await server_pid(tk, "demo")
        os.kill(first, signal.SIGKILL)
        assert wait_pids_gone([first], timeout=PROMPT) == []
        result = await tk.call("echo", message="two")  # demo tools are read-only: safe to send again
        assert (result.text, result.attempts) == ("two", 2)
        assert await server_pid(tk, "demo") != first
        status = tk.status()["demo"]
        assert (status.state, status.reconnects, status.tools) == ("connected", 1, 7)
    assert_none_left(marker)


async def test_status_states_and_ping_health(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    # A server that cannot start, counting its starts: sh appends a line, then runs the crashing server.
    crashing = mcpctl.Server.stdio(
        [
            "sh",
            "-c",
            f"echo start >> {shlex.quote(str(starts))}; exec {shlex.quote(sys.executable)} "
            f"{shlex.quote(FAULTY)} --fault crash-at-start",
        ],
        name="bad",
        retries=0,
    )
    async with mcpctl.connect(demo(), crashing) as tk:
        assert {n: s.state for n, s in tk.status().items()} == {"demo": "disconnected", "bad": "disconnected"}
        health = await tk.ping()
        assert list(health) == ["demo", "bad"]
        ok, bad = health["demo"], health["bad"]
        assert ok.ok and ok.rtt_ms is not None and ok.rtt_ms > 0 and ok.protocol and ok.reason is None
        assert not bad.ok and bad.rtt_ms is None and bad.protocol is None
        assert bad.reason is not None and "exited with status 3" in bad.reason
        status = tk.status()
        assert (status["demo"].state, status["demo"].protocol) == ("connected", ok.protocol)
        assert (status["bad"].state, status["bad"].circuit) == ("failed", "closed")
        assert status["bad"].last_error == bad.reason
        for _ in range(2):
            with pytest.raises(mcpctl.ConnectError):
                await tk.call("bad.echo", message="x")
        assert (tk.status()["bad"].state, tk.status()["bad"].circuit) == ("circuit open", "open")
        assert len(starts.read_text().split()) == 3
        with anyio.fail_after(PROMPT):
            with pytest.raises(mcpctl.ConnectError, match="circuit open for server 'bad'") as caught:
                await tk.call("bad.echo", message="x")
        assert caught.value.exit_code == 3
        assert len(starts.read_text().split()) == 3  # failed fast: not started again
        assert (await tk.ping("bad"))["bad"].reason == caught.value.message
        assert tk.status()["demo"].circuit == "closed"


async def test_ping_of_one_server_opens_only_that_one(marker: str) -> None:
    async with mcpctl.connect(demo(), demo("other")) as tk:
        assert list(await tk.ping("other", timeout=SLOW)) == ["other"]
        assert tk.status()["demo"].state == "disconnected"
        assert tk.status()["other"].state == "connected"
