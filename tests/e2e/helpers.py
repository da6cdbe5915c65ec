"""Helpers for the end-to-end tests: run the installed ``mcpctl`` as a subprocess.

Every test asserts the exit code, stdout and stderr separately (``style.md`` §13), and that
no Python traceback ever reaches stderr.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
FAULTY_PATH = str(REPO_ROOT / "tests" / "servers" / "faulty.py")
PY = shlex.quote(sys.executable)
#: ``--stdio`` command lines (shell-split by mcpctl).
DEMO = f"{PY} -m mcpctl.demo"


def faulty(fault: str, arg: str | None = None) -> str:
    """The ``--stdio`` command line of the faulty test server."""
    extra = f" --arg {shlex.quote(arg)}" if arg is not None else ""
    return f"{PY} {shlex.quote(FAULTY_PATH)} --fault {shlex.quote(fault)}{extra}"


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
    """Run ``python -m mcpctl ARGS`` (stdin from ``input``, else /dev/null); never inherits a TTY.

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
    assert "Traceback" not in result.stderr, result.stderr
    assert "Exception Group" not in result.stderr, result.stderr


def stdio_server(command_line: str, **extra: Any) -> dict[str, Any]:
    """A profile ``[servers.NAME]`` table for a ``--stdio``-style command line."""
    words = shlex.split(command_line)
    return {"command": words[0], "args": words[1:], **extra}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, Sequence):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def write_profile(
    path: Path, servers: Mapping[str, Mapping[str, Any]], defaults: Mapping[str, Any] | None = None
) -> Path:
    """Write a profile with these ``[servers.NAME]`` tables (and ``[defaults]``); returns ``path``."""
    lines: list[str] = []
    if defaults:
        lines.append("[defaults]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in defaults.items()]
        lines.append("")
    for name, table in servers.items():
        lines.append(f"[servers.{name}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
