"""stdout carries results only, and `mcpctl … | head` stops quietly: exit 141 (as SIGPIPE would), no traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from e2e.helpers import DEMO, mcpctl_argv, run_mcpctl

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


def test_notes_and_server_stderr_never_reach_stdout() -> None:
    done = run_mcpctl("call", "--stdio", DEMO, "echo", "message=only-this", "-v")
    assert done.returncode == 0
    assert done.stdout == "only-this\n"
    assert "connected in" in done.stderr


def test_trace_writes_every_message_in_and_out_as_json_lines(tmp_path: Path) -> None:
    import json

    trace = tmp_path / "wire.jsonl"
    done = run_mcpctl("call", "--stdio", DEMO, "echo", "message=hi", "--trace", str(trace))
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    assert {r["dir"] for r in records} == {"in", "out"}
    assert all(r["server"] == "mcpctl.demo" and isinstance(r["ts"], float) for r in records)
    sent = [r["message"].get("method") for r in records if r["dir"] == "out"]
    assert sent[0] == "server/discover"
    assert "tools/list" in sent and "tools/call" in sent
    call = next(r for r in records if r["dir"] == "out" and r["message"].get("method") == "tools/call")
    answer = next(r for r in records if r["dir"] == "in" and r["message"].get("id") == call["message"]["id"])
    assert answer["message"]["result"]["content"][0]["text"] == "hi"


def test_trace_of_a_failed_connection_is_still_readable(tmp_path: Path) -> None:
    import json

    trace = tmp_path / "wire.jsonl"
    crash = "sh -c 'read line; echo \"$line\" >&2; exit 3'"
    done = run_mcpctl("call", "--stdio", crash, "echo", "--trace", str(trace), "--retries", "0")
    assert done.returncode == 3
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    assert records and records[0]["dir"] == "out"
