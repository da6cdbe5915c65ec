"""The console script's entry point and the one error boundary.

``main`` answers ``--version`` before loading anything. ``run`` drives the command tree for
one invocation (the console script and the in-process test runner both call it) and turns
whatever escapes a command into an exit status, after one error report (``runner.report``).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcpctl.output.streams import Streams


def main() -> None:
    """``mcpctl``: ``--version`` at once, everything else through the boundary and the command tree."""
    if sys.argv[1:] in (["--version"], ["-V"]):
        from mcpctl.core.version import __version__

        sys.stdout.write(f"mcpctl {__version__}\n")
        return
    import atexit

    from mcpctl.sessions import sdk

    sdk.LEAN = True  # mcpctl's own process runs no in-process server: the SDK's server side stays unloaded
    status = [1]
    atexit.register(_exit_without_teardown, status)  # registered first, so it runs after every other handler
    from mcpctl.cli.runner import flush_stdout

    status[0] = flush_stdout(run(sys.argv[1:]))
    sys.exit(status[0])


def _exit_without_teardown(status: list[int]) -> None:
    """The last atexit handler: leave with ``status`` before the interpreter's teardown, which frees the SDK's
    schema objects one by one (0.1-0.2 s after ``import mcp``, longer than most calls take).

    Everything else the exit does has happened by then: non-daemon threads were joined, the other atexit
    handlers ran (logging's flush among them), children were swept by ``run``; both streams are flushed here.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that left: the status already says so
            stream.flush()
    os._exit(status[0])


def run(argv: Sequence[str], streams: Streams | None = None) -> int:
    """Run ``mcpctl ARGV`` with ``streams`` (the process's own when None) and return the exit status."""
    from mcpctl.cli.runner import REPORTING, STREAMS, closed_stdout, report, status_of, stdout_closed, sweep_children

    streams_token = STREAMS.set(streams)
    reporting_token = REPORTING.set(None)
    try:
        from mcpctl.cli.app import app

        app(args=list(argv), prog_name="mcpctl", standalone_mode=True)
        return 0
    except SystemExit as done:
        return status_of(done.code)
    except KeyboardInterrupt:
        from mcpctl.core.errors import Interrupted

        return report(Interrupted("interrupted; servers were shut down"))
    except BaseException as exc:  # the one boundary: everything becomes an exit code
        if closed_stdout(exc):
            return stdout_closed()
        return report(exc, debug="--debug" in argv)
    finally:
        sweep_children()
        REPORTING.reset(reporting_token)
        STREAMS.reset(streams_token)
