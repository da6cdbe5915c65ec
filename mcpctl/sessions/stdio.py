"""The stdio child: mcpctl owns it from spawn to the last grandchild.

``spawn`` needs only anyio, so a server can start before the (slow) SDK import and
its start-up overlaps ours. ``transport`` bridges the child's pipes to the SDK's
message streams, decoding with replacement so one bad byte cannot wedge a call.
``StdioServer.close`` (always run, shielded) closes stdin, waits a short grace, then
SIGTERM and SIGKILL to the whole process group and to whatever else is left in the
child's session (it is started with ``start_new_session``, so both ids are its pid):
grandchildren that moved to a process group of their own go too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc

from mcpctl.core.errors import ConnectError
from mcpctl.core.secrets import redact
from mcpctl.core.sizes import format_size
from mcpctl.sessions import sdk
from mcpctl.sessions.classify import UNREADABLE_ANSWER
from mcpctl.sessions.framing import HEAD_BYTES, STDERR_LINE_MAX, LineSplitter, Outstanding, top_level

if TYPE_CHECKING:
    from mcpctl.sessions.targets import Target

log = logging.getLogger("mcpctl.sessions.stdio")

#: Time a server gets to exit by itself after its stdin closes, before SIGTERM, while it keeps working.
EXIT_GRACE = 0.25
#: Time a server may sit idle (no CPU time used, nothing runnable) after its stdin closes before SIGTERM: it is
#: lingering (a timer, an unanswered request of its own), not exiting. Where ``/proc`` is missing, ``EXIT_GRACE``.
IDLE_GRACE = 0.05
#: Time between SIGTERM and SIGKILL to the process group.
TERM_GRACE = 2.0
STDERR_TAIL_LINES = 200
_POLL = 0.01

#: Sessions (= process groups: same id) spawned and not yet swept; ``sweep_all`` is the last-resort net.
_live_groups: set[int] = set()
#: JSON-RPC "parse error": the code of the error put in place of an answer that could not be read.
_PARSE_ERROR = -32700


class StdioServer:
    """A spawned server process in its own process group, with its stderr kept."""

    def __init__(
        self, target: Target, process: anyio.abc.Process, live_stderr: Callable[[str, str], None] | None
    ) -> None:
        self.target = target
        self.process = process
        self.pgid = process.pid
        self.live_stderr = live_stderr
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        self._stderr_count = 0
        self._probe_mark: int | None = None
        self._closed = False

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    async def pump_stderr(self) -> None:
        """Keep the last lines of the child's stderr (each cut to ``STDERR_LINE_MAX`` bytes); stream them under ``-v``.

        The pipe is drained as fast as the child writes, whatever the line length, so a
        chatty server never blocks on a full pipe and the tail's memory stays bounded.
        """
        stream = self.process.stderr
        if stream is None:
            return
        lines = LineSplitter(STDERR_LINE_MAX)
        with contextlib.suppress(anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            while True:
                for raw, cut in lines.feed(await stream.receive()):
                    self._stderr_line(raw, cut)
        if (rest := lines.rest()) is not None:
            self._stderr_line(*rest)

    def _stderr_line(self, raw: bytes, cut: int = 0) -> None:
        line = raw.decode("utf-8", "replace").rstrip("\r")
        if cut:
            line = f"{line} [… {cut} more bytes of this line not kept]"
        self.stderr_tail.append(line)
        self._stderr_count += 1
        if self.live_stderr is not None:
            self.live_stderr(self.target.name, redact(line))

    def probe_sent(self) -> None:
        """The ``server/discover`` probe is going out: what the server logs from here may be its noise about it."""
        self._probe_mark = self._stderr_count

    def fallback_succeeded(self) -> None:
        """The handshake after a probe succeeded: drop what the server logged since the probe from the tail.

        Older servers log a long dump for every unknown method; that would otherwise fill the
        tail shown with a later failure and hide the lines that explain it.
        """
        if self._probe_mark is None:
            return
        noise = min(self._stderr_count - self._probe_mark, len(self.stderr_tail))
        for _ in range(noise):
            self.stderr_tail.pop()
        self._probe_mark = None
        if noise:
            log.debug(
                "%s: %d stderr lines logged during the protocol probe left out of the tail", self.target.name, noise
            )

    def exit_note(self) -> str | None:
        """``server exited with status N`` (or the signal), when it has exited."""
        code = self.process.returncode
        if code is None:
            return None
        if code < 0:
            with contextlib.suppress(ValueError):
                return f"server was killed by {signal.Signals(-code).name}"
            return f"server was killed by signal {-code}"
        return f"server exited with status {code}"

    async def wait_exit(self, timeout: float) -> bool:
        """Poll for the child's exit (not ``wait()``: that also waits for pipe EOF)."""
        with anyio.move_on_after(timeout):
            while self.process.returncode is None:
                await anyio.sleep(_POLL)
        return self.process.returncode is not None

    async def wait_exit_or_idle(self, limit: float, idle: float) -> bool:
        """Wait for the child to exit by itself: at most ``limit``, and at most ``idle`` of its group doing nothing.

        A server that exits on EOF works its way out (a Python one frees its modules for 0.1-0.2 s), so it
        gets the whole ``limit``; one that sleeps instead (server-everything lingers 0.35 s on a timer) gets
        SIGTERM after ``idle``. Without ``/proc`` every server gets ``limit``. The processes watched are those
        of the session when the wait starts (one scan of ``/proc``); the sweep that follows finds them all.
        """
        started = quiet_since = anyio.current_time()
        members = [str(pid) for pid in _session_members(self.pgid)]
        last = _session_usage(self.pgid, members)
        while self.process.returncode is None:
            now = anyio.current_time()
            if now - started >= limit:
                return False
            usage = _session_usage(self.pgid, members)  # each poll (a few stat reads): quiet time to within 10 ms
            if usage is None or usage != last or usage[1]:
                quiet_since, last = now, usage
            elif now - quiet_since >= idle:
                return False
            await anyio.sleep(_POLL)
        return True

    async def close(self) -> None:
        """Close stdin; SIGTERM the group after ``EXIT_GRACE`` (``IDLE_GRACE`` idle); SIGKILL after ``TERM_GRACE``."""
        if self._closed:
            return
        self._closed = True
        with anyio.CancelScope(shield=True):
            if self.process.stdin is not None:
                with contextlib.suppress(Exception):
                    await self.process.stdin.aclose()
            if not await self.wait_exit_or_idle(EXIT_GRACE, IDLE_GRACE):
                log.info("%s: still running after stdin closed; sending SIGTERM", self.target.name)
            await self.sweep()
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    with contextlib.suppress(Exception):
                        await stream.aclose()
            _close_transport(self.process)

    async def sweep(self) -> None:
        """SIGTERM whatever is left of the child's process group and session, then SIGKILL what ignores it."""
        if not _signal_session(self.pgid, signal.SIGTERM):
            _live_groups.discard(self.pgid)
            return
        if not await self._session_gone(TERM_GRACE) and _session_alive(self.pgid):
            log.info("%s: processes of the server survived SIGTERM; sending SIGKILL", self.target.name)
            _signal_session(self.pgid, signal.SIGKILL)
            await self.wait_exit(TERM_GRACE)
        _live_groups.discard(self.pgid)

    async def _session_gone(self, timeout: float) -> bool:
        """Wait (at most ``timeout``) until the child has exited and no process is left in its group or session.

        The child's exit is checked first: it costs nothing, while a scan of ``/proc`` reads every process's
        stat (≈ 1 ms here, five servers closing at once polled it every 10 ms); the scan runs once it is gone.
        """
        with anyio.move_on_after(timeout):
            while self.process.returncode is None or _session_alive(self.pgid):
                await anyio.sleep(_POLL)
            return True
        return False


def _signal_session(sid: int, sig: signal.Signals) -> bool:
    """Signal process group ``sid`` and every process left in session ``sid``; False when none is left.

    A grandchild that called ``setpgid`` left the group but not the session. One that called
    ``setsid`` (a double-forked daemon) left both, and is out of reach by design.
    """
    found = _signal_group(sid, sig)
    for pid in _session_members(sid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
            found = True
    return found


def _session_alive(sid: int) -> bool:
    """Whether a live (not zombie) process is left in the session or group (``/proc`` on Linux, else ``killpg 0``)."""
    if os.path.isdir("/proc/self"):
        return bool(_session_members(sid))
    try:
        os.killpg(sid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _session_members(sid: int) -> list[int]:
    """Live (not zombie) processes whose session or process group is ``sid``; [] without ``/proc``."""
    if not os.path.isdir("/proc/self"):
        return []
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit() and _live_member(entry, sid)]


def _live_member(pid: str, sid: int) -> bool:
    return _member_stat(pid, sid) is not None


def _member_stat(pid: str, sid: int) -> list[str] | None:
    """The ``/proc/PID/stat`` fields after ``pid (comm)`` of a live process of session or group ``sid``, else None."""
    try:  # os.open/os.read: a buffered file object per process costs a third of a scan
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
    except OSError:
        return None
    try:
        stat = os.read(fd, 4096).decode("ascii", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)
    fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) ": state ppid pgrp session …
    if len(fields) > 12 and str(sid) in (fields[2], fields[3]) and fields[0] not in ("Z", "X"):
        return fields
    return None


def _session_usage(sid: int, pids: list[str]) -> tuple[int, bool] | None:
    """The CPU ticks used by those of ``pids`` still live in session ``sid`` and whether one is runnable;
    None without /proc."""
    if not os.path.isdir("/proc/self"):
        return None
    ticks, running = 0, False
    for entry in pids:
        if (fields := _member_stat(entry, sid)) is not None:
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
            running = running or fields[0] == "R"
    return ticks, running


def _signal_group(pgid: int, sig: signal.Signals) -> bool:
    """Signal a process group; False when no process of it is left."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _close_transport(process: anyio.abc.Process) -> None:
    transport = getattr(getattr(process, "_process", None), "_transport", None)
    close = getattr(transport, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):
            close()


def sweep_all() -> None:
    """Synchronous last resort (interpreter exit, signals): SIGTERM, then SIGKILL, every session still tracked."""
    for sid in list(_live_groups):
        _signal_session(sid, signal.SIGTERM)
    for sid in list(_live_groups):
        _signal_session(sid, signal.SIGKILL)
        _live_groups.discard(sid)


async def spawn(target: Target, *, live_stderr: Callable[[str, str], None] | None = None) -> StdioServer:
    """Start the server process in a new session (its own process group); ``live_stderr`` sees its stderr lines."""
    argv = [target.command or "", *target.args]
    try:
        process = await anyio.open_process(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(target.env) if target.env is not None else None,
            cwd=target.cwd,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        missing = exc.filename or argv[0]
        if target.cwd and not os.path.isdir(target.cwd):
            raise _spawn_error(target, f"working directory not found: {target.cwd}", "check 'cwd'") from None
        raise _spawn_error(
            target, f"command not found: {missing}", "check the command, or that it is on PATH"
        ) from None
    except PermissionError:
        raise _spawn_error(
            target, f"command is not executable: {argv[0]}", f"chmod +x {argv[0]}, or run it through its interpreter"
        ) from None
    except (OSError, ValueError) as exc:
        raise _spawn_error(target, f"cannot start {argv[0]}: {exc}", None) from None
    _live_groups.add(process.pid)
    sdk.load()  # now that the child runs: its start-up overlaps the SDK's import (lean in the console script)
    return StdioServer(target, process, live_stderr)


def _spawn_error(target: Target, message: str, hint: str | None) -> ConnectError:
    err = ConnectError(message, hint=hint, server=target.name)
    err.retryable = False
    return err


@contextlib.asynccontextmanager
async def transport(server: StdioServer) -> AsyncIterator[tuple[Any, Any]]:
    """The SDK transport over the child's pipes: yields ``(read_stream, write_stream)``.

    Lines are split in linear time. An answer to one of our requests that cannot be parsed, or
    that grows past the target's ``max_response_size``, fails that request at once (with a
    JSON-RPC error that ``classify`` knows is ours, not the server's) instead of being dropped
    and leaving the call to wait out its timeout; other unreadable lines are logged and ignored.
    """
    import mcp_types
    from mcp.shared.message import SessionMessage

    process = server.process
    assert process.stdin is not None and process.stdout is not None
    stdin, stdout = process.stdin, process.stdout
    read_writer, read_stream = anyio.create_memory_object_stream[Any](0)
    write_stream, write_reader = anyio.create_memory_object_stream[Any](0)
    outstanding = Outstanding()
    max_answer = server.target.max_response_size

    def parse(raw: bytes) -> Any:
        text = raw.decode("utf-8", "replace").strip()
        if not text:
            return None
        try:
            message = mcp_types.jsonrpc_message_adapter.validate_json(text, by_name=False)
        except (ValueError, RecursionError) as exc:
            return unreadable(raw, f"could not be parsed: {_parse_problem(exc, raw)}", None)
        if isinstance(message, mcp_types.JSONRPCResponse | mcp_types.JSONRPCError):
            method = outstanding.answered(message.id)
            if method == "initialize" and isinstance(message, mcp_types.JSONRPCResponse):
                server.fallback_succeeded()
        return SessionMessage(message)

    def unreadable(raw: bytes, problem: str, limit: int | None) -> Any:
        """An error answer for the request ``raw`` was meant to answer; None (logged) when it is not one of ours."""
        fields = top_level(raw)
        request = outstanding.waiting_for(fields) if fields is not None else None
        if request is None:
            shown = redact(raw[:HEAD_BYTES].decode("utf-8", "replace"))
            log.warning("%s: ignored a non-JSON-RPC line on stdout: %.200s", server.target.name, shown)
            return None
        request_id, method = request
        outstanding.answered(request_id)
        data = {"mcpctl": UNREADABLE_ANSWER, "method": method, "limit": limit}
        error = mcp_types.ErrorData(code=_PARSE_ERROR, message=f"the server's answer to {method} {problem}", data=data)
        return SessionMessage(mcp_types.JSONRPCError(jsonrpc="2.0", id=request_id, error=error))

    def too_large(head: bytes) -> Any:
        return unreadable(head, f"is larger than the limit of {format_size(max_answer)}", max_answer)

    async def deliver(message: Any) -> None:
        if message is not None:
            await read_writer.send(message)

    async def read_stdout() -> None:
        lines = LineSplitter(max_answer)
        async with read_writer:
            with contextlib.suppress(anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
                while True:
                    for raw, cut in lines.feed(await stdout.receive()):
                        await deliver(too_large(raw[:HEAD_BYTES]) if cut else parse(raw))
                    if lines.over_limit:  # fail it now: the rest of the line may be long in coming, or never come
                        await deliver(too_large(lines.skip_line()))

    async def write_stdin() -> None:
        async with write_reader:
            try:
                async for session_message in write_reader:
                    message = session_message.message
                    outstanding.sent(message)
                    if getattr(message, "method", None) == "server/discover":
                        server.probe_sent()
                    data = message.model_dump_json(by_alias=True, exclude_unset=True)
                    await stdin.send((data + "\n").encode("utf-8", "replace"))
            except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
                await read_writer.aclose()

    async with anyio.create_task_group() as tg:
        tg.start_soon(read_stdout)
        tg.start_soon(write_stdin)
        try:
            yield read_stream, write_stream
        finally:
            with anyio.CancelScope(shield=True):
                read_stream.close()
                write_stream.close()
                await server.close()
            tg.cancel_scope.cancel()


def _parse_problem(exc: BaseException, raw: bytes) -> str:
    """What is wrong with a line, in a few words: the JSON error, or the first schema error of the answer's kind."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return "nested too deeply" if isinstance(exc, RecursionError) else str(exc) or type(exc).__name__
    found: list[dict[str, Any]] = errors(include_url=False, include_input=False)
    if not found:
        return "not a JSON-RPC message"
    if found[0]["type"] == "json_invalid":
        return str(found[0]["msg"])
    fields = top_level(raw) or {}
    kind = "JSONRPCError" if "error" in fields else "JSONRPCResponse"
    first = next((e for e in found if e["loc"][:1] == (kind,)), found[0])
    where = ".".join(str(part) for part in first["loc"][1:]) or "message"
    return f"{where}: {first['msg']}"
