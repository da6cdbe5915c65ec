"""When stdout fails, mcpctl says so: a reader that stops early is 141 (as SIGPIPE would be), even when the
result was one large write the kernel took only part of; a full disk is exit 1 naming stdout, never a
connection failure (exit 3) that a script would retry, running the tool again.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from e2e.helpers import PY, assert_clean_stderr, flaky, mcpctl_argv

pytestmark = pytest.mark.e2e

FAULTY = Path(__file__).resolve().parent.parent / "servers" / "faulty.py"


def read_then_close(argv: list[str], tmp_path: Path, env: dict[str, str]) -> tuple[int, bytes, str]:
    """Run ``argv`` as ``ARGV | head -c 10`` would: read 10 bytes of stdout, close it, wait."""
    with (tmp_path / "stderr").open("w+b") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, env=env)
        assert proc.stdout is not None
        first = proc.stdout.read(10)
        proc.stdout.close()
        code = proc.wait(timeout=60)
        err.seek(0)
        return code, first, err.read().decode()


@pytest.fixture(params=["unbuffered", "buffered"])
def env(request: pytest.FixtureRequest) -> dict[str, str]:
    """With PYTHONUNBUFFERED a large write is one write(2) that the kernel may take only part of."""
    full = dict(os.environ)
    full.pop("PYTHONUNBUFFERED", None)
    if request.param == "unbuffered":
        full["PYTHONUNBUFFERED"] = "1"
    return full


def test_a_large_call_result_read_by_head_is_141(tmp_path: Path, env: dict[str, str]) -> None:
    message = tmp_path / "message.txt"
    message.write_text("x" * 1_000_000)
    argv = mcpctl_argv("call", "--stdio", f"{PY} -m mcpctl.demo", "echo", f"message=@{message}")
    code, first, stderr = read_then_close(argv, tmp_path, env)
    assert first == b"x" * 10
    assert code == 141, stderr
    assert "Traceback" not in stderr and "Broken pipe" not in stderr


def test_a_large_tool_list_read_by_head_is_141(tmp_path: Path, env: dict[str, str]) -> None:
    argv = mcpctl_argv("tools", "list", "--stdio", f"{PY} {FAULTY} --fault many-tools")  # about 190 kB of rows
    code, first, stderr = read_then_close(argv, tmp_path, env)
    assert first.startswith(b"faulty\t")
    assert code == 141, stderr
    assert "Traceback" not in stderr and "Broken pipe" not in stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_stdout_on_a_full_disk_is_exit_1_naming_stdout_and_the_tool_ran_once(tmp_path: Path, fmt: str) -> None:
    state = tmp_path / "calls"
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            mcpctl_argv("call", "--stdio", flaky(0), "flaky_read", "key=k", "-o", fmt),
            stdin=subprocess.DEVNULL,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env={**os.environ, "FLAKY_STATE": str(state)},
        )
    assert done.returncode == 1, done.stderr
    assert "stdout" in done.stderr and "No space left on device" in done.stderr
    assert "connect" not in done.stderr
    assert_clean_stderr(done)
    assert state.read_text().splitlines() == ["flaky_read ok"]  # a full disk is no reason to run it again
