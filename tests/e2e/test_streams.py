"""``mcpctl … | head`` stops quietly: exit 141 (as SIGPIPE would), no traceback.

What goes to stdout and what to stderr is tested in-process (``tests/cli/test_streams.py``).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from e2e.helpers import DEMO, mcpctl_argv

pytestmark = pytest.mark.e2e


def test_a_reader_that_stops_early_ends_mcpctl_quietly_with_141(tmp_path: Path) -> None:
    message = "x" * 500
    calls = tmp_path / "calls.jsonl"
    calls.write_text(
        "".join(f'{{"id": "{i}", "tool": "echo", "arguments": {{"message": "{message}"}}}}\n' for i in range(300))
    )
    proc = subprocess.Popen(
        mcpctl_argv("batch", str(calls), "--stdio", DEMO),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    code = proc.wait(timeout=60)
    stderr = proc.stderr.read().decode()
    assert first.startswith(b'{"id":"0"')
    assert code == 141, stderr
    assert "Traceback" not in stderr
    assert "Broken pipe" not in stderr
