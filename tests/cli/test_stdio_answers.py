"""What a stdio server writes, however long, broken or noisy, is read in linear time and bounded memory, and an
answer that cannot be read fails its request at once (issue 12: E, F, 8).

Each test asserts the exit code, stdout and stderr separately, in-process against real stdio servers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO, faulty, stdio_server, write_profile

from cli.runner import mcpctl

MIB = 1024 * 1024
BIG_PATTERN = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n"


def big_text(mb: int) -> str:
    n = mb * MIB
    return (BIG_PATTERN * (n // len(BIG_PATTERN) + 1))[:n]


def methods_sent(trace: Path) -> list[str]:
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    return [r["message"].get("method") for r in records if r["dir"] == "out" and "id" in r["message"]]


# ------------------------------------------------------------------------------------------ long lines (issue 12 E)


def test_a_40_mib_answer_on_one_line_is_read_in_linear_time() -> None:
    small = mcpctl("call", "--stdio", faulty("long-lines"), "big", "mb=10", "--timeout", "60")
    large = mcpctl("call", "--stdio", faulty("long-lines"), "big", "mb=40", "--timeout", "60")
    assert small.exit_code == 0, small
    assert large.exit_code == 0, large
    assert large.stdout == big_text(40)
    assert large.stderr == ""
    # Quadratic reading took 13 s for 40 MiB (2 s for 10 MiB); linear takes about 2 s (the bound leaves room for a
    # loaded machine).
    assert large.elapsed < 10, (small.elapsed, large.elapsed)


def test_an_answer_over_the_default_size_limit_is_exit_5_naming_the_limit() -> None:
    r = mcpctl("call", "--stdio", faulty("long-lines"), "big", "mb=65", "--timeout", "60")
    assert r.exit_code == 5, r
    assert r.stdout == ""
    assert r.stderr.startswith(
        "mcpctl: error: faulty: the server's answer to tools/call is larger than the limit of 64 MiB\n"
    )
    assert r.elapsed < 20  # not the 60 s timeout


def test_an_answer_over_max_response_size_fails_as_soon_as_it_passes_the_limit() -> None:
    r = mcpctl(
        "call",
        "--stdio",
        faulty("long-lines"),
        "big",
        "mb=3",
        "--max-response-size",
        "1M",
        "-o",
        "json",
        "--timeout",
        "30",
    )
    assert r.exit_code == 5, r
    assert r.stdout == ""
    error = json.loads(r.stderr)["error"]
    assert error["type"] == "response_too_large"
    assert error["message"] == "the server's answer to tools/call is larger than the limit of 1 MiB"
    assert "--max-response-size" in error["hint"]
    assert r.elapsed < 10  # not the 30 s timeout


def test_60_mib_of_stderr_without_a_newline_neither_blocks_the_server_nor_the_call() -> None:
    r = mcpctl("call", "--stdio", faulty("long-lines"), "noise", "mb=60", "--timeout", "60")
    assert r.exit_code == 0, r
    assert r.stdout == "ok\n"
    assert r.stderr == ""
    assert r.elapsed < 20  # not the 60 s timeout: the server was never blocked on a full pipe


# ---------------------------------------------------------------------------------- unparsable answers (issue 12 F)


@pytest.mark.parametrize(
    ("tool", "problem"),
    [
        ("array", "result: Input should be an object"),
        ("deep", "recursion limit exceeded"),
        ("surrogate", "unexpected end of hex escape"),
    ],
    ids=["result-is-an-array", "nested-100000-deep", "lone-surrogate"],
)
def test_an_answer_the_sdk_cannot_parse_fails_the_call_at_once_with_exit_5(tool: str, problem: str) -> None:
    r = mcpctl("call", "--stdio", faulty("unparsable"), tool, "--timeout", "30")
    assert r.exit_code == 5, r
    assert r.stdout == ""
    assert r.stderr.startswith("mcpctl: error: faulty: the server's answer to tools/call could not be parsed: ")
    assert problem in r.stderr
    assert "JSON-RPC error" not in r.stderr  # the server sent no error: mcpctl could not read what it sent
    assert r.elapsed < 10  # not the 30 s timeout (about 1 s on an idle machine)


def test_an_unparsable_answer_is_a_protocol_error_in_json() -> None:
    r = mcpctl("call", "--stdio", faulty("unparsable"), "array", "-o", "json", "--timeout", "30")
    assert r.exit_code == 5, r
    assert r.stdout == ""
    error = json.loads(r.stderr)["error"]
    assert error["type"] == "protocol"
    assert error["server"] == "faulty"
    assert error["message"].startswith("the server's answer to tools/call could not be parsed: result: ")
    assert "code" not in error


# ------------------------------------------------------------------------- the protocol probe's noise (issue 12 8)


def test_the_stderr_tail_of_a_later_failure_holds_no_noise_from_the_protocol_probe() -> None:
    r = mcpctl("call", "--stdio", faulty("legacy", "noisy"), "crash")
    assert r.exit_code == 3, r
    assert r.stdout == ""
    assert "server stderr: boom: crashed in tool" in r.stderr
    assert "probe-noise" not in r.stderr


def test_without_the_probe_the_stderr_tail_is_kept_whole() -> None:
    """What the server logs after the handshake stays in the tail (only the probe's window is dropped)."""
    r = mcpctl("call", "--stdio", faulty("legacy", "noisy"), "crash", "--protocol", "legacy")
    assert r.exit_code == 3, r
    assert "server stderr: boom: crashed in tool" in r.stderr


@pytest.mark.parametrize("where", ["server", "defaults"])
def test_profile_protocol_legacy_sends_no_server_discover(tmp_path: Path, where: str) -> None:
    server: dict[str, Any] = stdio_server(DEMO)
    defaults: dict[str, Any] | None = None
    if where == "server":
        server["protocol"] = "legacy"
    else:
        defaults = {"protocol": "legacy"}
    profile = write_profile(tmp_path / "mcpctl.toml", {"demo": server}, defaults)
    trace = tmp_path / "wire.jsonl"
    r = mcpctl("call", "demo.echo", "message=hi", "--profile", str(profile), "--trace", str(trace))
    assert r.exit_code == 0, r
    assert r.stdout == "hi\n"
    assert r.stderr == ""
    sent = methods_sent(trace)
    assert sent[0] == "initialize"
    assert "server/discover" not in sent


def test_the_protocol_flag_wins_over_the_profile(tmp_path: Path) -> None:
    profile = write_profile(tmp_path / "mcpctl.toml", {"demo": stdio_server(DEMO, protocol="legacy")})
    trace = tmp_path / "wire.jsonl"
    r = mcpctl(
        "call", "demo.echo", "message=hi", "--profile", str(profile), "--trace", str(trace), "--protocol", "auto"
    )
    assert r.exit_code == 0, r
    assert r.stdout == "hi\n"
    assert methods_sent(trace)[0] == "server/discover"


def test_an_unknown_profile_protocol_is_exit_2_naming_the_key(tmp_path: Path) -> None:
    profile = write_profile(tmp_path / "mcpctl.toml", {"demo": stdio_server(DEMO, protocol="2024-01-01")})
    r = mcpctl("call", "demo.echo", "message=hi", "--profile", str(profile))
    assert r.exit_code == 2, r
    assert r.stdout == ""
    assert "servers.demo.protocol: expected one of auto, legacy, 2026-07-28, got '2024-01-01'" in r.stderr
