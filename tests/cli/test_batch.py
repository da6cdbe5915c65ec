"""``mcpctl batch``: validated up front, pooled sessions, ordered NDJSON, expectations, reports.

The flaky test server logs every tool call to ``$FLAKY_STATE`` and its pid to ``$FLAKY_PIDFILE`` on start
(``conftest.Flaky``), which proves when no call was made and how many sessions were opened. The soak against a
server killed at random and the progress bar on a real terminal are end-to-end tests (``tests/e2e/test_batch.py``).
"""

from __future__ import annotations

import json
import random
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO, Flaky, flaky, stdio_server, write_profile

from cli.runner import mcpctl

OUTPUT_KEYS = {"id", "server", "tool", "ok", "attempts", "duration_ms"}
SUMMARY = re.compile(r"batch: (\d+) calls, (\d+) failed, (\d+) skipped, (\d+) retried, ([\d.]+)s")


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    """``demo`` (the demo), ``fl`` (the flaky server, no failures), ``dead`` (a missing command)."""
    return write_profile(
        tmp_path / "mcpctl.toml",
        {"demo": stdio_server(DEMO), "fl": stdio_server(flaky()), "dead": {"command": "mcpctl-test-no-such-command"}},
        {"retries": 2},
    )


def jsonl(path: Path, lines: Sequence[dict[str, Any] | str]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8")
    return path


def results(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def summary(stderr: str) -> tuple[int, int, int, int, float]:
    found = SUMMARY.findall(stderr)
    assert len(found) == 1, stderr
    calls, failed, skipped, retried, seconds = found[0]
    return int(calls), int(failed), int(skipped), int(retried), float(seconds)


def error_body(stderr: str) -> dict[str, Any]:
    lines = [line for line in stderr.splitlines() if line.startswith("{")]
    assert len(lines) == 1, stderr
    return json.loads(lines[0])["error"]  # type: ignore[no-any-return]


def echo(identifier: str, message: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"id": identifier, "tool": "echo", "arguments": {"message": message}, **extra}


# ------------------------------------------------------------------------------------------------ results


def test_results_come_in_input_order_under_concurrency_one_line_each(tmp_path: Path) -> None:
    rng = random.Random(7)
    delays = [round(rng.uniform(0.0, 0.25), 3) for _ in range(20)]
    lines = [{"id": f"s{n}", "tool": "slow", "arguments": {"seconds": d}} for n, d in enumerate(delays)]
    r = mcpctl("batch", str(jsonl(tmp_path / "slow.jsonl", lines)), "--stdio", DEMO, "-j", "8")
    assert r.exit_code == 0, r.stderr
    out = results(r.stdout)
    assert [x["id"] for x in out] == [f"s{n}" for n in range(20)]
    for x, delay in zip(out, delays, strict=True):
        assert set(x) == OUTPUT_KEYS | {"result"}
        assert x["ok"] is True and x["tool"] == "slow" and x["attempts"] == 1
        assert x["result"]["content"][0]["text"] == f"done after {delay:g}s"
        assert x["duration_ms"] >= delay * 1000 * 0.9
    calls, failed, skipped, _, seconds = summary(r.stderr)
    assert (calls, failed, skipped) == (20, 0, 0)
    assert seconds < sum(delays), "calls did not overlap"


def test_one_session_per_server_is_reused(fl: Flaky, tmp_path: Path) -> None:
    lines = [echo(f"e{n}", f"m{n}") for n in range(30)]
    r = mcpctl("batch", str(jsonl(tmp_path / "b.jsonl", lines)), "--stdio", flaky(), "-j", "4", env=fl.env)
    assert r.exit_code == 0, r.stderr
    assert [x["result"]["content"][0]["text"] for x in results(r.stdout)] == [f"m{n}" for n in range(30)]
    assert len(fl.pids()) == 1
    assert len(fl.calls()) == 30


def test_partial_failure_is_exit_1_with_the_summary_on_stderr(tmp_path: Path) -> None:
    lines = [echo("a"), {"id": "b", "tool": "fail", "arguments": {"message": "nope"}}, echo("c")]
    r = mcpctl("batch", str(jsonl(tmp_path / "b.jsonl", lines)), "--stdio", DEMO)
    assert r.exit_code == 1
    out = results(r.stdout)
    assert [(x["id"], x["ok"]) for x in out] == [("a", True), ("b", False), ("c", True)]
    assert out[1]["result"]["isError"] is True  # the answer is kept
    assert out[1]["error"]["type"] == "tool_error"
    assert summary(r.stderr)[:3] == (3, 1, 0)


def test_fail_fast_reports_the_rest_as_skipped(tmp_path: Path) -> None:
    lines = [echo("a"), {"id": "b", "tool": "fail"}, echo("c"), echo("d")]
    r = mcpctl("batch", str(jsonl(tmp_path / "b.jsonl", lines)), "--stdio", DEMO, "-j", "1", "--fail-fast")
    assert r.exit_code == 1
    out = results(r.stdout)
    assert [x["id"] for x in out] == ["a", "b", "c", "d"]
    assert [x["ok"] for x in out] == [True, False, False, False]
    assert [x.get("error", {}).get("type") for x in out] == [None, "tool_error", "skipped", "skipped"]
    assert "result" not in out[2] and out[2]["attempts"] == 0
    assert summary(r.stderr)[:3] == (4, 1, 2)


def test_a_session_that_dies_is_reopened_and_a_read_only_call_retried(fl: Flaky, tmp_path: Path) -> None:
    lines = [echo("a"), {"id": "r", "tool": "flaky_read"}, echo("b")]
    r = mcpctl("batch", str(jsonl(tmp_path / "b.jsonl", lines)), "--stdio", flaky(1), "-j", "1", env=fl.env)
    assert r.exit_code == 0, r.stderr
    out = results(r.stdout)
    assert [(x["id"], x["ok"], x["attempts"]) for x in out] == [("a", True, 1), ("r", True, 2), ("b", True, 1)]
    assert len(fl.pids()) == 2
    assert summary(r.stderr)[3] == 1  # retried


def test_a_call_not_safe_to_repeat_fails_once_and_the_batch_goes_on(fl: Flaky, tmp_path: Path) -> None:
    lines = [{"id": "w", "tool": "flaky_write"}, echo("a")]
    r = mcpctl("batch", str(jsonl(tmp_path / "b.jsonl", lines)), "--stdio", flaky(1), "-j", "1", env=fl.env)
    assert r.exit_code == 1
    out = results(r.stdout)
    assert (out[0]["ok"], out[0]["attempts"], out[0]["error"]["type"]) == (False, 1, "connection_closed")
    assert (out[1]["ok"], out[1]["attempts"]) == (True, 1)
    assert fl.calls() == ["flaky_write fail", "echo ok"]
    # the same line with --retry-unsafe is retried
    fl.state.unlink()
    r = mcpctl("batch", str(tmp_path / "b.jsonl"), "--stdio", flaky(1), "-j", "1", "--retry-unsafe", env=fl.env)
    assert r.exit_code == 0, r.stderr
    assert [x["attempts"] for x in results(r.stdout)] == [2, 1]


def test_fallback_on_a_line_moves_to_the_next_server(profile: Path, tmp_path: Path) -> None:
    lines = [
        {"id": "f", "server": "dead", "tool": "echo", "arguments": {"message": "hi"}, "fallback": ["demo"]},
        {"id": "e", "server": "demo", "tool": "fail", "fallback": ["fl"]},
    ]
    r = mcpctl("batch", str(jsonl(tmp_path / "b.jsonl", lines)), "-p", str(profile))
    assert r.exit_code == 1
    out = results(r.stdout)
    assert (out[0]["ok"], out[0]["server"]) == (True, "demo")
    assert out[0]["result"]["content"][0]["text"] == "hi"
    assert (out[1]["ok"], out[1]["server"]) == (False, "demo")  # isError is an answer: no fallback


# ------------------------------------------------------------------------------------------------ validation


def test_structurally_bad_lines_are_exit_2_naming_every_line_before_any_server_starts(
    fl: Flaky, tmp_path: Path
) -> None:
    lines: list[dict[str, Any] | str] = [
        echo("a"),
        "{not json",
        {"id": "b", "tool": "echo", "argumnets": {"message": "typo"}},
        echo("a"),
        '["an", "array"]',
        {"id": "c", "arguments": {}},
        echo("d"),
    ]
    r = mcpctl("batch", str(jsonl(tmp_path / "bad.jsonl", lines)), "--stdio", flaky(), env=fl.env)
    assert r.exit_code == 2
    assert r.stdout == ""
    error = error_body(r.stderr)
    assert error["type"] == "usage"
    text = " ".join([error["message"], *error.get("details", [])])
    for number in (2, 3, 4, 5, 6):
        assert f"bad.jsonl:{number}:" in text, text
    assert "bad.jsonl:1:" not in text.replace("first at bad.jsonl:1", "")
    assert "bad.jsonl:7:" not in text
    assert "invalid JSON" in text and "unknown key 'argumnets'" in text and "duplicate id 'a'" in text
    assert "nothing was called" in error.get("hint", "")
    assert fl.pids() == [] and fl.calls() == []  # no server was even started


def test_lines_that_do_not_fit_the_tools_are_exit_2_naming_every_line_and_no_call_is_made(
    fl: Flaky, tmp_path: Path
) -> None:
    lines = [
        echo("a"),
        {"id": "b", "tool": "echo", "arguments": {"message": 5}},
        {"id": "c", "tool": "nope"},
        {"id": "d", "tool": "echo", "arguments": {}},
        {"id": "e", "tool": "flaky_read", "arguments": {"key": "x"}},
    ]
    r = mcpctl("batch", str(jsonl(tmp_path / "bad.jsonl", lines)), "--stdio", flaky(), env=fl.env)
    assert r.exit_code == 2
    assert r.stdout == ""
    error = error_body(r.stderr)
    text = " | ".join([error["message"], *error.get("details", [])])
    assert "bad.jsonl:2:" in text and "message" in text and "string" in text
    assert "bad.jsonl:3:" in text and "unknown tool 'nope'" in text
    assert "bad.jsonl:4:" in text
    assert "bad.jsonl:1:" not in text and "bad.jsonl:5:" not in text
    assert len(fl.pids()) == 1  # started to list its tools...
    assert fl.calls() == []  # ...but not one call was made


def test_unknown_server_on_a_line_is_exit_2(profile: Path, tmp_path: Path) -> None:
    lines = [
        {"id": "a", "server": "demo", "tool": "echo", "arguments": {"message": "x"}},
        {"server": "nope", "tool": "echo"},
    ]
    r = mcpctl("batch", str(jsonl(tmp_path / "bad.jsonl", lines)), "-p", str(profile))
    assert r.exit_code == 2
    error = error_body(r.stderr)
    assert "bad.jsonl:2:" in error["message"] and "nope" in error["message"]


def test_an_empty_batch_is_exit_2(tmp_path: Path) -> None:
    r = mcpctl("batch", str(jsonl(tmp_path / "empty.jsonl", ["# only a comment"])), "--stdio", DEMO)
    assert r.exit_code == 2
    assert "no calls" in r.stderr


# ------------------------------------------------------------------------------------------------ inputs


def test_toml_call_tables_are_a_batch_file(tmp_path: Path) -> None:
    path = tmp_path / "smoke.toml"
    path.write_text(
        """
[[call]]
id = "one"
tool = "echo"
arguments = { message = "from toml" }
expect = { contains = "toml" }

[[call]]
id = "two"
tool = "add"
arguments = { a = 2, b = 3 }
expect = { path = "result", equals = 5 }
""",
        encoding="utf-8",
    )
    r = mcpctl("batch", str(path), "--stdio", DEMO)
    assert r.exit_code == 0, r.stderr
    out = results(r.stdout)
    assert [(x["id"], x["ok"]) for x in out] == [("one", True), ("two", True)]
    assert out[1]["result"]["structuredContent"] == {"result": 5}


def test_bad_toml_call_is_exit_2_naming_the_table(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[call]]\ntool = "echo"\n\n[[call]]\ntool = "echo"\nbogus = 1\n', encoding="utf-8")
    r = mcpctl("batch", str(path), "--stdio", DEMO)
    assert r.exit_code == 2
    assert "call #2" in error_body(r.stderr)["message"]


def test_batch_dash_reads_the_calls_from_stdin(tmp_path: Path) -> None:
    text = "".join(json.dumps(echo(f"i{n}", f"m{n}")) + "\n" for n in range(3))
    r = mcpctl("batch", "-", "--stdio", DEMO, stdin=text)
    assert r.exit_code == 0, r.stderr
    assert [x["result"]["content"][0]["text"] for x in results(r.stdout)] == ["m0", "m1", "m2"]


def test_ids_default_to_the_line_position(tmp_path: Path) -> None:
    lines = [{"tool": "echo", "arguments": {"message": "x"}}, {"tool": "echo", "arguments": {"message": "y"}}]
    r = mcpctl("batch", str(jsonl(tmp_path / "b.jsonl", lines)), "--stdio", DEMO)
    assert r.exit_code == 0, r.stderr
    assert [x["id"] for x in results(r.stdout)] == ["1", "2"]


# ------------------------------------------------------------------------------------------------ expectations


def test_expectations_that_hold_and_that_do_not(tmp_path: Path) -> None:
    lines = [
        {"id": "err-expected", "tool": "fail", "arguments": {"message": "x"}, "expect": {"isError": True}},
        echo("contains", "hello world", expect={"contains": "world"}),
        echo("shorthand", "hello", expect="hell"),
        {"id": "equals", "tool": "add", "arguments": {"a": 2, "b": 3}, "expect": {"path": "result", "equals": 5}},
        echo("no-contains", "hello", expect={"contains": "bye"}),
        {"id": "not-equal", "tool": "add", "arguments": {"a": 2, "b": 3}, "expect": {"path": "result", "equals": 6}},
        echo("no-error", "hi", expect={"isError": True}),
        {"id": "no-path", "tool": "add", "arguments": {"a": 1, "b": 1}, "expect": {"path": "nope", "equals": 1}},
    ]
    r = mcpctl("batch", str(jsonl(tmp_path / "x.jsonl", lines)), "--stdio", DEMO, "-j", "4")
    assert r.exit_code == 1
    out = {x["id"]: x for x in results(r.stdout)}
    assert [k for k, x in out.items() if x["ok"]] == ["err-expected", "contains", "shorthand", "equals"]
    for name in ("no-contains", "not-equal", "no-error", "no-path"):
        assert out[name]["error"]["type"] == "expectation", out[name]
        assert "result" in out[name]  # the answer is shown with the failed expectation
    assert "'bye'" in out["no-contains"]["error"]["message"]
    assert "== 6, got 5" in out["not-equal"]["error"]["message"]
    assert "expected isError true" in out["no-error"]["error"]["message"]
    assert summary(r.stderr)[:2] == (8, 4)


def test_bad_expect_is_exit_2(tmp_path: Path) -> None:
    lines = [echo("a", expect={"path": "result"}), echo("b", expect={"isError": "no"}), echo("c", expect={"what": 1})]
    r = mcpctl("batch", str(jsonl(tmp_path / "x.jsonl", lines)), "--stdio", DEMO)
    assert r.exit_code == 2
    error = error_body(r.stderr)
    text = " ".join([error["message"], *error.get("details", [])])
    assert all(f"x.jsonl:{n}:" in text for n in (1, 2, 3)), text


# ------------------------------------------------------------------------------------------------ outputs


def test_report_writes_junit_with_failures_and_skips(tmp_path: Path) -> None:
    lines = [echo("a"), echo("b", expect="nope"), echo("c")]
    report = tmp_path / "junit.xml"
    r = mcpctl(
        "batch",
        str(jsonl(tmp_path / "b.jsonl", lines)),
        "--stdio",
        DEMO,
        "-j",
        "1",
        "--fail-fast",
        "--report",
        str(report),
    )
    assert r.exit_code == 1
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == ["a", "b", "c"]
    assert cases["a"].find("failure") is None and cases["a"].find("skipped") is None
    failure = cases["b"].find("failure")
    assert failure is not None and "nope" in (failure.get("message") or "")
    assert cases["c"].find("skipped") is not None
    assert cases["a"].get("classname", "").endswith(".echo")


def test_json_output_is_one_array_in_input_order(tmp_path: Path) -> None:
    lines = [echo(f"j{n}", f"m{n}") for n in range(5)] + [{"id": "f", "tool": "fail"}]
    r = mcpctl("batch", str(jsonl(tmp_path / "b.jsonl", lines)), "--stdio", DEMO, "-o", "json", "-j", "3")
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert isinstance(out, list)
    assert [x["id"] for x in out] == ["j0", "j1", "j2", "j3", "j4", "f"]
    assert [x["ok"] for x in out] == [True] * 5 + [False]


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "b.jsonl", [echo(f"p{n}") for n in range(3)])
    piped = mcpctl("batch", str(path), "--stdio", DEMO)
    assert piped.exit_code == 0
    assert "\r" not in piped.stderr and "[#" not in piped.stderr


def test_progress_bar_on_a_terminal_while_stdout_stays_ndjson(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "b.jsonl", [echo(f"p{n}") for n in range(3)])
    r = mcpctl("batch", str(path), "--stdio", DEMO, tty=True)
    assert r.exit_code == 0, r.stderr
    assert "3/3" in r.stderr and "\r" in r.stderr
    assert "batch: 3 calls" in r.stderr
    assert [x["id"] for x in results(r.stdout)] == ["p0", "p1", "p2"]
