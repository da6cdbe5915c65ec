"""Arguments whose names say secret (``password=…``) reach the server as typed but are never shown or recorded:
``--dry-run``, ``--trace`` and error lines read ``***``; a trace file is private (0600).
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

from conftest import DEMO, faulty

from cli.runner import mcpctl

LOGIN = faulty("echo-args")  # tool login(user, password, db) answers its arguments as JSON
PASSWORD = "hunter2-planted"
NESTED = "nested-planted-9"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_trace_file_is_private(tmp_path: Path) -> None:
    trace = tmp_path / "wire.jsonl"
    r = mcpctl("call", "--stdio", DEMO, "echo", "message=hi", "--trace", str(trace))
    assert r.exit_code == 0, r
    assert mode_of(trace) == 0o600


def test_an_existing_trace_file_is_appended_to_and_keeps_its_mode(tmp_path: Path) -> None:
    trace = tmp_path / "wire.jsonl"
    trace.write_text('{"earlier": true}\n')
    trace.chmod(0o640)
    r = mcpctl("call", "--stdio", DEMO, "echo", "message=hi", "--trace", str(trace))
    assert r.exit_code == 0, r
    assert mode_of(trace) == 0o640
    assert trace.read_text().startswith('{"earlier": true}\n') and len(trace.read_text().splitlines()) > 1


def test_dry_run_and_trace_mask_secret_named_arguments(tmp_path: Path) -> None:
    trace = tmp_path / "wire.jsonl"
    r = mcpctl(
        "call", "--stdio", LOGIN, "login", "user=bob", f"password={PASSWORD}", f'db:={{"password": "{NESTED}"}}',
        "--trace", str(trace), "--dry-run", "-o", "json",
    )  # fmt: skip
    assert r.exit_code == 0, r
    assert PASSWORD not in r.stdout + r.stderr and NESTED not in r.stdout + r.stderr
    sent = r.json()["request"]["params"]["arguments"]
    assert sent == {"user": "bob", "password": "***", "db": {"password": "***"}}
    assert PASSWORD not in trace.read_text() and NESTED not in trace.read_text()


def test_the_server_gets_the_real_value_and_the_trace_records_it_masked(tmp_path: Path) -> None:
    trace = tmp_path / "wire.jsonl"
    r = mcpctl(
        "call", "--stdio", LOGIN, "login", "user=bob", f"password={PASSWORD}", f'db:={{"password": "{NESTED}"}}',
        "--trace", str(trace),
    )  # fmt: skip
    assert r.exit_code == 0, r
    assert json.loads(r.stdout) == {"user": "bob", "password": PASSWORD, "db": {"password": NESTED}}  # its answer
    text = trace.read_text()
    assert PASSWORD not in text and NESTED not in text
    records = [json.loads(line) for line in text.splitlines()]
    call = next(r["message"] for r in records if r["dir"] == "out" and r["message"].get("method") == "tools/call")
    assert call["params"]["arguments"] == {"user": "bob", "password": "***", "db": {"password": "***"}}


def test_error_lines_never_quote_a_secret_named_argument() -> None:
    for item in (f"password:={PASSWORD}", f"password:={'1' * 9}"):  # not JSON; JSON but not a string
        for fmt in ("text", "json"):
            r = mcpctl("call", "--stdio", LOGIN, "login", item, "-o", fmt)
            assert r.exit_code == 2, r
            assert item.partition("=")[2] not in r.stderr, r
            assert "***" in r.stderr
