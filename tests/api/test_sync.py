"""The synchronous facade, ``mcpctl.Toolkit.open(...)``: its own event loop in a thread of its own, so it works
from a plain script and from inside a running event loop; leaving the ``with`` (also by Ctrl-C) leaves nothing
running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import anyio
import pytest
from conftest import FAULTY, marked_pids

import mcpctl
from api.helpers import PROMPT, SLOW, assert_none_left, demo, faulty_server

SCRIPT_HEAD = """\
import signal, sys
import mcpctl

signal.signal(signal.SIGINT, signal.default_int_handler)  # as in any script (a test runner may ignore SIGINT)
DEMO = mcpctl.Server.stdio([sys.executable, "-m", "mcpctl.demo"], name="demo")
"""
#: The faulty test server's argv, as Python source for the scripts.
FAULTY_ARGV = f"[sys.executable, {FAULTY!r}]"


def run_script(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(SCRIPT_HEAD + textwrap.dedent(body))
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=SLOW,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )


def test_from_a_plain_script_it_calls_tools_and_exits_leaving_nothing_running(tmp_path: Path, marker: str) -> None:
    done = run_script(
        tmp_path,
        """
        with mcpctl.Toolkit.open(DEMO, timeout=30) as tk:
            print(tk.call("echo", message="hi").text)
            print(tk.call("demo.add", {"a": 2}, b=3).structured)
            print(tk.tool("weather")(city="Oslo").structured["city"])
            print(tk.find("echo").qualified, len(tk.list_tools()), tk.servers)
            print(tk.status()["demo"].state)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["hi", "{'result': 5}", "Oslo", "demo.echo 7 ['demo']", "connected"]
    assert done.stderr == ""
    assert_none_left(marker)


def test_a_script_that_forgets_close_still_leaves_nothing_running(tmp_path: Path, marker: str) -> None:
    done = run_script(
        tmp_path,
        """
        tk = mcpctl.Toolkit.open(DEMO)
        print(tk.call("echo", message="no with").text)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "no with\n"
    assert_none_left(marker)


def start_script(tmp_path: Path, body: str) -> subprocess.Popen[str]:
    script = tmp_path / "script.py"
    script.write_text(SCRIPT_HEAD + textwrap.dedent(body))
    return subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
    )


def finish(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """The script's stdout and stderr once it ends; if it hangs, the test fails showing where each thread is."""
    try:
        return proc.communicate(timeout=SLOW)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # faulthandler dumps every thread's stack on SIGABRT
        _, stderr = proc.communicate(timeout=PROMPT)
        pytest.fail(f"the script was still running after {SLOW:g}s; its threads:\n{stderr[-8000:]}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_ctrl_c_mid_call_interrupts_the_call_and_shuts_the_server_down(tmp_path: Path, marker: str) -> None:
    calls = tmp_path / "calls"
    proc = start_script(
        tmp_path,
        f"""
        HANG = mcpctl.Server.stdio(
            {FAULTY_ARGV} + ["--fault", "never-answer"], name="f", env={{"FAULTY_CALLS": {str(calls)!r}}}
        )
        try:
            with mcpctl.Toolkit.open(HANG) as tk:
                tk.call("f.hang")
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(130)
        """,
    )
    deadline = time.monotonic() + SLOW
    while "hang" not in (calls.read_text() if calls.exists() else ""):  # the call is in flight on the server
        assert proc.poll() is None, finish(proc)
        assert time.monotonic() < deadline, "the call never reached the server"
        time.sleep(0.05)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = finish(proc)
    took = time.monotonic() - sent
    assert (proc.returncode, stdout) == (130, "interrupted\n"), stderr
    assert "Traceback" not in stderr
    assert took < PROMPT, f"took {took:.1f}s to stop after Ctrl-C"
    assert_none_left(marker)


def test_ctrl_c_while_connecting_stops_the_connect_and_leaves_nothing_running(tmp_path: Path, marker: str) -> None:
    proc = start_script(
        tmp_path,
        f"""
        HANG = mcpctl.Server.stdio({FAULTY_ARGV} + ["--fault", "hang-at-start"], name="h", connect_timeout=120)
        try:
            with mcpctl.Toolkit.open(HANG) as tk:
                tk.call("h.echo", message="never")
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(130)
        """,
    )
    deadline = time.monotonic() + SLOW
    while len(marked_pids(marker)) < 2:  # the script and the server it is connecting to
        assert proc.poll() is None, finish(proc)
        assert time.monotonic() < deadline, "the server was never started"
        time.sleep(0.05)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = finish(proc)
    took = time.monotonic() - sent
    assert (proc.returncode, stdout) == (130, "interrupted\n"), stderr
    assert took < PROMPT, f"took {took:.1f}s to stop after Ctrl-C"
    assert_none_left(marker)


def test_ctrl_c_while_waiting_cancels_the_call_and_the_toolkit_stays_usable(tmp_path: Path, marker: str) -> None:
    """As in a notebook: an interrupted cell must not leave its call running, and the next cell works."""
    calls = tmp_path / "calls"
    proc = start_script(
        tmp_path,
        f"""
        import os, threading, time
        import anyio

        events = []

        async def watch(call, call_next):
            events.append("start " + call.tool)
            try:
                return await call_next(call)
            except anyio.get_cancelled_exc_class():
                events.append("cancelled " + call.tool)
                raise

        def ctrl_c_once_in_flight():
            while "hang" not in (open({str(calls)!r}).read() if os.path.exists({str(calls)!r}) else ""):
                time.sleep(0.05)
            os.kill(os.getpid(), signal.SIGINT)

        HANG = mcpctl.Server.stdio(
            {FAULTY_ARGV} + ["--fault", "never-answer"], name="f", env={{"FAULTY_CALLS": {str(calls)!r}}}
        )
        with mcpctl.Toolkit.open(HANG) as tk:
            tk.use(watch)
            threading.Thread(target=ctrl_c_once_in_flight, daemon=True).start()
            try:
                tk.call("f.hang")
            except KeyboardInterrupt:
                print("interrupted", flush=True)
            deadline = time.monotonic() + 10
            while "cancelled hang" not in events and time.monotonic() < deadline:
                time.sleep(0.05)
            print(events, flush=True)
            print(tk.call("f.echo", message="next cell").text, flush=True)
        """,
    )
    stdout, stderr = finish(proc)
    assert proc.returncode == 0, stderr
    assert stdout.splitlines() == ["interrupted", "['start hang', 'cancelled hang']", "next cell"]
    assert_none_left(marker)


def test_ctrl_c_reaches_the_waiting_caller_even_when_the_kernel_hands_it_to_another_thread(
    tmp_path: Path, marker: str
) -> None:
    """A process-wide SIGINT may land on any thread; here it is sent to a helper thread on purpose."""
    calls = tmp_path / "calls"
    proc = start_script(
        tmp_path,
        f"""
        import os, threading, time

        sent = []

        def ctrl_c_on_this_thread_once_in_flight():
            while "hang" not in (open({str(calls)!r}).read() if os.path.exists({str(calls)!r}) else ""):
                time.sleep(0.05)
            sent.append(time.monotonic())
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)

        HANG = mcpctl.Server.stdio(
            {FAULTY_ARGV} + ["--fault", "never-answer"], name="f", env={{"FAULTY_CALLS": {str(calls)!r}}}
        )
        with mcpctl.Toolkit.open(HANG) as tk:
            threading.Thread(target=ctrl_c_on_this_thread_once_in_flight, daemon=True).start()
            try:
                tk.call("f.hang")
            except KeyboardInterrupt:
                print("interrupted after", time.monotonic() - sent[0], flush=True)
        """,
    )
    stdout, stderr = finish(proc)
    assert proc.returncode == 0, stderr
    word, after, took = stdout.split(maxsplit=2)
    assert (word, after) == ("interrupted", "after"), stdout
    assert float(took) < PROMPT, f"the Ctrl-C was seen only after {float(took):.1f}s"
    assert_none_left(marker)


@pytest.mark.anyio
async def test_inside_a_running_event_loop_it_works_on_its_own_loop(marker: str) -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    async def where(call: mcpctl.ToolCall, call_next: mcpctl.CallNext) -> mcpctl.ToolResult:
        seen.append(threading.get_ident())
        return await call_next(call)

    with mcpctl.Toolkit.open(demo()) as tk:  # synchronous, from a coroutine: it blocks this loop, and works
        tk.use(where)
        assert tk.call("echo", message="nested").text == "nested"
        assert tk.ping()["demo"].ok
    assert seen and seen[0] != loop_thread
    await anyio.sleep(0)  # this loop still runs
    assert_none_left(marker)


def test_errors_are_the_same_classes_in_the_callers_thread(marker: str) -> None:
    with mcpctl.Toolkit.open(demo(), faulty_server("crash-at-start", name="bad", retries=0)) as tk:
        with pytest.raises(mcpctl.ToolFailed) as failed:
            tk.call("demo.fail", message="sync failure")
        assert failed.value.result.text == "Error executing tool fail: sync failure"
        assert tk.call("demo.fail", raise_on_error=False).is_error
        with pytest.raises(mcpctl.UsageError, match="expected integer"):
            tk.call("demo.add", a="x", b=1)
        with pytest.raises(mcpctl.ConnectError) as connect:
            tk.call("bad.echo", message="x")
        assert connect.value.exit_code == 3
        with pytest.raises(mcpctl.UsageError, match="needs argument: code"):
            tk.get_prompt("demo.review")
        assert tk.read_resource("demo", "demo://readme")["contents"][0]["uri"] == "demo://readme"
        assert [r["uri"] for r in tk.list_resources("demo")] == ["demo://readme"]
        assert tk.list_resource_templates("demo")[0]["uriTemplate"] == "greet://{name}"
        assert [p["name"] for p in tk.list_prompts("demo")] == ["review"]
        assert tk.status()["bad"].state == "failed"
    assert_none_left(marker)


def test_open_with_an_unknown_profile_server_is_a_usage_error_and_leaves_no_thread(tmp_path: Path) -> None:
    before = threading.active_count()
    with pytest.raises(mcpctl.UsageError):
        mcpctl.Toolkit.open("nope", profile=str(tmp_path / "missing.toml"))
    assert threading.active_count() == before


def test_close_is_idempotent_and_stops_the_loop_thread(marker: str) -> None:
    before = threading.active_count()
    tk = mcpctl.Toolkit.open(demo())
    assert threading.active_count() == before + 1
    assert tk.call("echo", message="x").text == "x"
    tk.close()
    tk.close()
    assert threading.active_count() == before
    assert_none_left(marker)


def test_a_closed_toolkit_says_so_with_our_usage_error() -> None:
    tk = mcpctl.Toolkit.open(mcpctl.Server.stdio(f"{sys.executable} -m mcpctl.demo", name="demo"))
    tk.close()
    tk.close()  # idempotent
    with pytest.raises(mcpctl.UsageError, match="the toolkit is closed"):
        tk.call("demo.echo", message="hi")
