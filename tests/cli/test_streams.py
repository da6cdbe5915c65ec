"""stdout carries results only; notes and the server's stderr go to stderr; ``--trace`` writes the wire traffic.

``mcpctl … | head`` (a reader that stops early) is an end-to-end test (``tests/e2e/test_streams.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import DEMO

from cli.runner import mcpctl


def test_notes_and_server_stderr_never_reach_stdout() -> None:
    done = mcpctl("call", "--stdio", DEMO, "echo", "message=only-this", "-v")
    assert done.exit_code == 0
    assert done.stdout == "only-this\n"
    assert "connected in" in done.stderr


def test_trace_writes_every_message_in_and_out_as_json_lines(tmp_path: Path) -> None:
    trace = tmp_path / "wire.jsonl"
    done = mcpctl("call", "--stdio", DEMO, "echo", "message=hi", "--trace", str(trace))
    assert done.exit_code == 0, done.stderr
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
    trace = tmp_path / "wire.jsonl"
    crash = "sh -c 'read line; echo \"$line\" >&2; exit 3'"
    done = mcpctl("call", "--stdio", crash, "echo", "--trace", str(trace), "--retries", "0")
    assert done.exit_code == 3
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    assert records and records[0]["dir"] == "out"
