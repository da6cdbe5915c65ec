"""The console script's entry point: answers ``--version`` before loading the command tree."""

from __future__ import annotations

import sys


def main() -> None:
    """``mcpctl``: ``--version`` at once, everything else through the command tree."""
    if sys.argv[1:] in (["--version"], ["-V"]):
        from mcpctl import __version__

        print(f"mcpctl {__version__}")
        return
    from mcpctl.cli import main as cli_main

    cli_main()
