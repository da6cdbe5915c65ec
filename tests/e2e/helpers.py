"""The one way the end-to-end tests run mcpctl: the installed console script as a subprocess.

``run_mcpctl`` runs it to completion; ``mcpctl_argv`` is its argv for the tests that must hold the process
(signals, ``| head``, a pseudo-terminal). Every test asserts the exit code, stdout and stderr separately
(``style.md`` §13), and that no Python traceback ever reaches stderr (``assert_clean_stderr``).

The server command lines and profile writers are shared with the in-process tests (``tests/conftest.py``);
they are re-exported here so an end-to-end test has one import.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conftest import DEMO, PY, REPO_ROOT, TRACEBACK_MARKS, faulty, flaky, stdio_server, write_profile

__all__ = [
    "DEMO",
    "PY",
    "REPO_ROOT",
    "Run",
    "assert_clean_stderr",
    "faulty",
    "flaky",
    "mcpctl_argv",
    "run_mcpctl",
    "stdio_server",
    "write_profile",
]


def mcpctl_argv(*args: str) -> list[str]:
    """The argv of the installed ``mcpctl`` console script beside this interpreter (else ``python -m mcpctl``)."""
    script = Path(sys.executable).parent / "mcpctl"
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "mcpctl", *args]


class Run(subprocess.CompletedProcess[str]):
    """A finished mcpctl run, with how long it took."""

    elapsed: float = 0.0


def run_mcpctl(*args: str, input: str | None = None, timeout: float = 60, env: Mapping[str, str] | None = None) -> Run:
    """Run the installed ``mcpctl ARGS`` (stdin from ``input``, else /dev/null); never inherits a TTY.

    ``env`` is added on top of the (test-isolated) environment. ``.elapsed`` says how long it took.
    """
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    stdin: dict[str, Any] = {"input": input} if input is not None else {"stdin": subprocess.DEVNULL}
    started = time.monotonic()
    done = subprocess.run(mcpctl_argv(*args), capture_output=True, text=True, timeout=timeout, env=full_env, **stdin)
    result = Run(done.args, done.returncode, done.stdout, done.stderr)
    result.elapsed = time.monotonic() - started
    return result


def assert_clean_stderr(result: subprocess.CompletedProcess[str]) -> None:
    """No Python traceback (ours or the SDK's) on stderr."""
    for mark in TRACEBACK_MARKS:
        assert mark not in result.stderr, result.stderr
