"""Run a command's coroutine: signals, error classification and the final sweep.

SIGINT and SIGTERM cancel the work (so every session's shielded shutdown runs and
child servers go first), then exit 130 / 143. Every failure leaves as an exit code,
after one error report through the output layer.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable

import anyio

from mcpctl.classify import classify, leaves
from mcpctl.errors import Interrupted, McpctlError, Terminated
from mcpctl.output import Output
from mcpctl.secrets import redact
from mcpctl.stdio import sweep_all

Work = Callable[[], Awaitable[int | None]]


def execute(work: Work, output: Output, *, debug: bool = False) -> int:
    """Run ``work`` to completion and return the exit code."""
    try:
        return anyio.run(_with_signals, work) or 0
    except KeyboardInterrupt:
        return _report(Interrupted("interrupted; servers were shut down"), output, None, debug)
    except BaseException as exc:  # the one boundary: everything becomes an exit code
        if isinstance(exc, SystemExit):
            raise
        if any(isinstance(x, BrokenPipeError) for x in leaves(exc)):
            return stdout_closed()
        return _report(classify(exc), output, exc, debug)
    finally:
        sweep_all()


def stdout_closed() -> int:
    """``mcpctl … | head``: stop quietly, with the status of a program killed by SIGPIPE (141)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 128 + signal.SIGPIPE


def _report(error: McpctlError, output: Output, original: BaseException | None, debug: bool) -> int:
    if debug and original is not None:
        sys.stderr.write(redact("".join(traceback.format_exception(original))))
    output.error(error)
    return error.exit_code


async def _with_signals(work: Work) -> int | None:
    """Run ``work``; a SIGINT/SIGTERM cancels it and becomes ``Interrupted``/``Terminated``."""
    received: list[int] = []
    result: int | None = None
    failure: BaseException | None = None

    async def watch(scope: anyio.CancelScope) -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                received.append(signum)
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
