"""The console script's entry point and the one error boundary.

``main`` answers ``--version`` before loading anything. ``run`` drives the command tree for
one invocation (the console script and the in-process test runner both call it) and turns
whatever escapes a command into an exit status, after one error report (``runner.report``).
"""

from __future__ import annotations

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
    from mcpctl.cli.runner import flush_stdout

    sys.exit(flush_stdout(run(sys.argv[1:])))


def run(argv: Sequence[str], streams: Streams | None = None) -> int:
    """Run ``mcpctl ARGV`` with ``streams`` (the process's own when None) and return the exit status."""
    from mcpctl.cli.runner import REPORTING, STREAMS, closed_stdout, report, status_of, stdout_closed
    from mcpctl.sessions.stdio import sweep_all

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
        sweep_all()
        REPORTING.reset(reporting_token)
        STREAMS.reset(streams_token)
