"""The stdio child: mcpctl owns it from spawn to the last grandchild.

``spawn`` needs only anyio, so a server can start before the (slow) SDK import and
its start-up overlaps ours. ``transport`` bridges the child's pipes to the SDK's
message streams, decoding with replacement so one bad byte cannot wedge a call.
``StdioServer.close`` (always run, shielded) closes stdin, waits a short grace, then
SIGTERM and SIGKILL to the whole process group, grandchildren included.
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

if TYPE_CHECKING:
    from mcpctl.sessions.targets import Target

log = logging.getLogger("mcpctl.sessions.stdio")

#: Time a server gets to exit by itself after its stdin closes, before SIGTERM.
EXIT_GRACE = 0.25
#: Time between SIGTERM and SIGKILL to the process group.
TERM_GRACE = 2.0
STDERR_TAIL_LINES = 200
_POLL = 0.01

#: Process groups spawned and not yet swept; ``sweep_all`` is the last-resort net.
_live_groups: set[int] = set()


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
        self._closed = False

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    async def pump_stderr(self) -> None:
        """Keep the last lines of the child's stderr; stream them live under ``-v``."""
        stream = self.process.stderr
        if stream is None:
            return
        buffer = b""
        with contextlib.suppress(anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            while True:
                chunk = await stream.receive()
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for raw in lines:
                    self._stderr_line(raw)
        if buffer:
            self._stderr_line(buffer)

    def _stderr_line(self, raw: bytes) -> None:
        line = raw.decode("utf-8", "replace").rstrip("\r")
        self.stderr_tail.append(line)
        if self.live_stderr is not None:
            self.live_stderr(self.target.name, redact(line))

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

    async def close(self) -> None:
        """Close stdin, wait ``EXIT_GRACE``, SIGTERM the group, wait ``TERM_GRACE``, SIGKILL it."""
        if self._closed:
            return
        self._closed = True
        with anyio.CancelScope(shield=True):
            if self.process.stdin is not None:
                with contextlib.suppress(Exception):
                    await self.process.stdin.aclose()
            if not await self.wait_exit(EXIT_GRACE):
                log.info("%s: still running %.1fs after stdin closed; sending SIGTERM", self.target.name, EXIT_GRACE)
            await self.sweep_group()
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    with contextlib.suppress(Exception):
                        await stream.aclose()
            _close_transport(self.process)

    async def sweep_group(self) -> None:
        """SIGTERM whatever is left of the process group, then SIGKILL what ignores it."""
        if not _signal_group(self.pgid, signal.SIGTERM):
            _live_groups.discard(self.pgid)
            return
        with anyio.move_on_after(TERM_GRACE):
            while _group_alive(self.pgid) or self.process.returncode is None:
                await anyio.sleep(_POLL)
                if not _group_alive(self.pgid) and self.process.returncode is not None:
                    break
        if _group_alive(self.pgid):
            log.info("%s: process group survived SIGTERM; sending SIGKILL", self.target.name)
            _signal_group(self.pgid, signal.SIGKILL)
            await self.wait_exit(TERM_GRACE)
        _live_groups.discard(self.pgid)


def _group_alive(pgid: int) -> bool:
    """Whether a live (not zombie) process is left in the group (``/proc`` on Linux, else ``killpg 0``)."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    if not os.path.isdir("/proc/self"):
        return True
    return any(_live_member(entry, pgid) for entry in os.listdir("/proc") if entry.isdigit())


def _live_member(pid: str, pgid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().decode("ascii", "replace")
    except OSError:
        return False
    fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) ": state ppid pgrp …
    return len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X")


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
    """Synchronous last resort (interpreter exit, signals): SIGKILL every group still tracked."""
    for pgid in list(_live_groups):
        _signal_group(pgid, signal.SIGTERM)
    for pgid in list(_live_groups):
        _signal_group(pgid, signal.SIGKILL)
        _live_groups.discard(pgid)


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
    return StdioServer(target, process, live_stderr)


def _spawn_error(target: Target, message: str, hint: str | None) -> ConnectError:
    err = ConnectError(message, hint=hint, server=target.name)
    err.retryable = False
    return err


@contextlib.asynccontextmanager
async def transport(server: StdioServer) -> AsyncIterator[tuple[Any, Any]]:
    """The SDK transport over the child's pipes: yields ``(read_stream, write_stream)``."""
    import mcp_types
    from mcp.shared.message import SessionMessage

    process = server.process
    assert process.stdin is not None and process.stdout is not None
    stdin, stdout = process.stdin, process.stdout
    read_writer, read_stream = anyio.create_memory_object_stream[Any](0)
    write_stream, write_reader = anyio.create_memory_object_stream[Any](0)

    def parse(line: str) -> Any:
        try:
            message = mcp_types.jsonrpc_message_adapter.validate_json(line, by_name=False)
        except ValueError:
            log.warning("%s: ignored a non-JSON-RPC line on stdout: %.200s", server.target.name, redact(line))
            return None
        return SessionMessage(message)

    async def read_stdout() -> None:
        buffer = b""
        async with read_writer:
            with contextlib.suppress(anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
                while True:
                    buffer += await stdout.receive()
                    *lines, buffer = buffer.split(b"\n")
                    for raw in lines:
                        text = raw.decode("utf-8", "replace").strip()
                        message = parse(text) if text else None
                        if message is not None:
                            await read_writer.send(message)

    async def write_stdin() -> None:
        async with write_reader:
            try:
                async for session_message in write_reader:
                    data = session_message.message.model_dump_json(by_alias=True, exclude_unset=True)
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
