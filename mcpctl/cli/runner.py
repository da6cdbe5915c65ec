"""Exceptions, signals and broken pipes to exit statuses: the one mapping, used by the one boundary.

``mcpctl.cli.main.run`` (the boundary) and ``execute`` (a command's coroutine) hand whatever
escaped to ``report``, which prints one error through the output layer and returns the exit
code the error's class carries. ``execute`` runs a command's coroutine: SIGINT and SIGTERM
cancel the work (so every session's shielded shutdown runs and child servers go first), then
exit 130 / 143.
"""

from __future__ import annotations

import contextvars
import os
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from mcpctl.core.errors import Interrupted, McpctlError, OutputError, StdoutClosed, Terminated, UsageError
from mcpctl.core.secrets import redact
from mcpctl.output.sanitize import visible
from mcpctl.output.streams import Streams
from mcpctl.output.writer import Output

# anyio and the sessions modules are imported where they are used: ``--help`` and the commands that
# connect to nothing never load them (start-up time; a test checks ``sys.modules``).

if TYPE_CHECKING:
    from anyio import CancelScope

Work = Callable[[], Awaitable[int | None]]

#: The streams of this invocation (set by the boundary); the process's own when unset.
STREAMS: contextvars.ContextVar[Streams | None] = contextvars.ContextVar("mcpctl_streams", default=None)
#: The running command's output and ``--debug``, so errors are reported in its format.
REPORTING: contextvars.ContextVar[tuple[Output, bool] | None] = contextvars.ContextVar("mcpctl_output", default=None)


def current_streams() -> Streams:
    """This invocation's streams."""
    return STREAMS.get() or Streams.from_env()


def execute(work: Work, output: Output, *, debug: bool = False) -> int:
    """Run a command's coroutine to completion and return its exit code."""
    import anyio

    try:
        return anyio.run(_with_signals, work) or 0
    except KeyboardInterrupt:
        return report(Interrupted("interrupted; servers were shut down"), output)
    except BaseException as exc:  # the one boundary: everything becomes an exit code
        if isinstance(exc, SystemExit):
            raise
        if closed_stdout(exc):
            return stdout_closed()
        return report(exc, output, debug=debug)
    finally:
        sweep_children()


def sweep_children() -> None:
    """The last-resort sweep of every child server (``sessions.stdio.sweep_all``), if one may have been started."""
    stdio = sys.modules.get("mcpctl.sessions.stdio")
    if stdio is not None:  # never imported: no server was spawned
        stdio.sweep_all()


def report(exc: BaseException, output: Output | None = None, *, debug: bool = False) -> int:
    """Report ``exc`` once (``--debug``: with its traceback) and return its exit code."""
    reporting = REPORTING.get()
    output = output or (reporting[0] if reporting is not None else _default_output())
    debug = debug or (reporting is not None and reporting[1])
    error = as_error(exc)
    if isinstance(error, StdoutClosed):
        return stdout_closed()
    if debug and error is not exc:
        output.streams.err.write(visible(redact("".join(traceback.format_exception(exc)))))
    output.error(error)
    if isinstance(error, OutputError):
        _discard_stdout()  # what is still buffered cannot be written either: no second complaint at exit
    return error.exit_code


def as_error(exc: BaseException) -> McpctlError:
    """Our error for anything that reached the boundary.

    Outside a session, an ``OSError`` or a ``ValueError`` comes from what the user gave us
    (a path that cannot be written, a file nested too deeply), so it is a usage error.
    """
    from mcpctl.sessions.classify import classify, leaves

    if isinstance(exc, McpctlError):
        return exc
    if isinstance(exc, RecursionError):
        return UsageError("the input is nested too deeply", hint="flatten the file or value")
    if isinstance(exc, OSError) and not any(isinstance(x, McpctlError) for x in leaves(exc)):
        where = f": {exc.filename}" if exc.filename else ""
        return UsageError(f"{exc.strerror or type(exc).__name__}{where}", hint="check the path and its permissions")
    if isinstance(exc, (ValueError, UnicodeError)) and not isinstance(exc, BaseExceptionGroup):
        return UsageError(str(exc) or type(exc).__name__)
    return classify(exc)


def closed_stdout(exc: BaseException) -> bool:
    """Whether ``exc`` is (or holds) stdout's reader having left."""
    from mcpctl.sessions.classify import leaves

    return any(isinstance(x, (BrokenPipeError, StdoutClosed)) for x in leaves(exc))


def stdout_closed() -> int:
    """``mcpctl … | head``: stop quietly, with the status of a program killed by SIGPIPE (141)."""
    _discard_stdout()
    return 128 + signal.SIGPIPE


def flush_stdout(code: int) -> int:
    """The exit status once what is still buffered for stdout is written: 141 when the reader left,
    an ``OutputError`` (1) when it cannot be written, rather than Python's complaint at exit."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return stdout_closed()
    except OSError as exc:
        if code != 0:
            _discard_stdout()
            return code
        return report(OutputError(f"could not write the results to stdout: {exc.strerror or exc}"))
    return code


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush has nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _default_output() -> Output:
    """Before a command has its output: the environment's format (text if that is bad)."""
    streams = current_streams()
    try:
        return Output(None, streams=streams)
    except McpctlError:
        return Output("text", streams=streams)


def status_of(code: object) -> int:
    """``sys.exit``'s argument as an exit status (a message is printed and means 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    current_streams().err.write(f"{code}\n")
    return 1


async def _with_signals(work: Work) -> int | None:
    """Run ``work``; a SIGINT/SIGTERM cancels it and becomes ``Interrupted``/``Terminated``."""
    import anyio

    from mcpctl.sessions.session import abandon_requests

    received: list[int] = []
    result: int | None = None
    failure: BaseException | None = None

    async def watch(scope: CancelScope) -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                received.append(signum)
                await abandon_requests()  # requests in flight tell their servers first, while transports still run
                scope.cancel()
                return

    async with anyio.create_task_group() as tg:
        tg.start_soon(watch, tg.cancel_scope)
        try:
            result = await work()
        except BaseException as exc:  # re-raised below, outside the task group, so it is not wrapped
            if not (received and isinstance(exc, anyio.get_cancelled_exc_class())):
                failure = exc
        tg.cancel_scope.cancel()
    if received:
        if received[0] == signal.SIGTERM:
            raise Terminated("terminated; servers were shut down")
        raise Interrupted("interrupted; servers were shut down")
    if failure is not None:
        raise failure
    return result
