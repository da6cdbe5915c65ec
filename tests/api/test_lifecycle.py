"""Lifecycle: sessions open lazily; leaving the ``async with`` shuts every server down, on success, on an
exception (which comes out as raised, never wrapped in an exception group) and on cancellation.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from conftest import marked_pids, wait_pids_gone

import mcpctl
from api.helpers import PROMPT, SLOW, assert_none_left, demo, faulty_server, server_pid

pytestmark = pytest.mark.anyio


async def wait_for_line(path: Path, line: str) -> None:
    """Until ``path`` (appended to by the faulty server) has ``line``: the call is in flight on the server."""
    while line not in (path.read_text().split() if path.exists() else []):
        await anyio.sleep(0.05)


async def test_sessions_open_lazily_and_close_at_the_end(marker: str) -> None:
    async with mcpctl.connect(demo(), demo("other")) as tk:
        assert marked_pids(marker) == []  # nothing started yet
        assert {s.state for s in tk.status().values()} == {"disconnected"}
        started = anyio.current_time()
        tools = await tk.list_tools()
        assert {t.server for t in tools} == {"demo", "other"}
        assert anyio.current_time() - started < SLOW
        pids = [await server_pid(tk, "demo"), await server_pid(tk, "other")]
        assert len(set(pids)) == 2
        assert sorted(pids) == sorted(p for p in marked_pids(marker) if p in pids)
    assert wait_pids_gone(pids, timeout=PROMPT) == []
    assert_none_left(marker)


async def test_sessions_open_concurrently_and_an_open_in_progress_is_not_waited_for_at_the_end(marker: str) -> None:
    servers = [faulty_server("hang-at-start", name=name, connect_timeout=SLOW * 2, retries=0) for name in "ab"]
    with anyio.fail_after(SLOW):
        async with mcpctl.connect(*servers) as tk:
            async with anyio.create_task_group() as tg:
                tg.start_soon(tk.list_tools)
                while len(marked_pids(marker)) < 2:  # both servers started, neither answering: both opens at once
                    await anyio.sleep(0.05)
                assert {name: s.state for name, s in tk.status().items()} == {"a": "connecting", "b": "connecting"}
                tg.cancel_scope.cancel()
            ending = anyio.current_time()
        assert anyio.current_time() - ending < PROMPT  # not the connect timeout
    assert_none_left(marker)


class Mine(Exception):
    pass


@pytest.mark.parametrize(
    "error",
    [Mine("mine"), mcpctl.ToolFailed("a tool failed"), SystemExit(3), KeyboardInterrupt()],
    ids=["exception", "mcpctl-error", "system-exit", "keyboard-interrupt"],
)
async def test_an_exception_from_user_code_comes_out_as_raised_and_the_servers_are_gone(
    marker: str, error: BaseException
) -> None:
    with anyio.fail_after(SLOW):
        with pytest.raises(type(error)) as caught:
            async with mcpctl.connect(demo(), demo("other")) as tk:
                await tk.list_tools()
                raise error
    assert caught.value is error
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert_none_left(marker)


async def test_an_uncaught_tool_failure_comes_out_unwrapped(marker: str) -> None:
    with pytest.raises(mcpctl.ToolFailed) as caught:
        async with mcpctl.connect(demo()) as tk:
            await tk.call("demo.fail")
    assert type(caught.value) is mcpctl.ToolFailed
    assert caught.value.result.is_error
    assert_none_left(marker)


async def test_a_call_cancelled_inside_the_block_stops_promptly_and_the_toolkit_stays_usable(
    marker: str, tmp_path: Path
) -> None:
    calls = tmp_path / "calls"
    async with mcpctl.connect(faulty_server("never-answer", name="f", env={"FAULTY_CALLS": str(calls)})) as tk:
        with anyio.fail_after(SLOW):
            async with anyio.create_task_group() as tg:

                async def hang() -> None:
                    await tk.call("f.hang")

                tg.start_soon(hang)
                await wait_for_line(calls, "hang")
                cancelled_at = anyio.current_time()
                tg.cancel_scope.cancel()
        assert anyio.current_time() - cancelled_at < PROMPT
        with anyio.move_on_after(1) as scope:  # move_on_after, as a program would write it
            await tk.call("f.hang")
        assert scope.cancelled_caught
        assert (await tk.call("f.echo", message="after")).text == "after"
        assert tk.status()["f"].state == "connected"
    assert_none_left(marker)


async def test_cancelling_the_whole_block_mid_call_shuts_the_server_down(marker: str, tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    with anyio.fail_after(SLOW):
        async with anyio.create_task_group() as tg:

            async def run() -> None:
                async with mcpctl.connect(
                    faulty_server("never-answer", name="f", env={"FAULTY_CALLS": str(calls)})
                ) as tk:
                    await tk.call("f.hang")
                    pytest.fail("the call returned")

            tg.start_soon(run)
            await wait_for_line(calls, "hang")
            assert len(marked_pids(marker)) == 1
            cancelled_at = anyio.current_time()
            tg.cancel_scope.cancel()
    assert anyio.current_time() - cancelled_at < PROMPT
    assert_none_left(marker)


async def test_move_on_after_around_the_block_exits_promptly(marker: str) -> None:
    with anyio.fail_after(SLOW):
        with anyio.move_on_after(3) as scope:
            async with mcpctl.connect(demo()) as tk:
                await tk.call("demo.slow", seconds=120)
        assert scope.cancelled_caught
    assert_none_left(marker)


async def test_a_server_that_cannot_start_leaves_nothing_behind(marker: str) -> None:
    async with mcpctl.connect(faulty_server("crash-at-start", name="bad", retries=1), demo()) as tk:
        with pytest.raises(mcpctl.ConnectError) as caught:
            await tk.call("bad.echo", message="x")
        assert caught.value.exit_code == 3
        assert "exited with status 3" in caught.value.message
        assert (await tk.call("demo.echo", message="fine")).text == "fine"
    assert_none_left(marker)
