"""``mcpctl call``: the command line in-process against real stdio and HTTP servers.

Each test asserts the exit code, stdout and stderr separately; the runner fails any test whose stderr shows a
Python traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DEMO, faulty, free_port

from cli.runner import mcpctl

BIG_PATTERN = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n"


def error_line(stderr: str) -> dict[str, object]:
    """The one JSON error line written to stderr under ``-o json``."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    body = json.loads(lines[0])
    assert set(body) == {"error"}, body
    return body["error"]  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------------------------------------- results


def test_text_output_prints_the_text_contents_as_they_are() -> None:
    r = mcpctl("call", "--stdio", DEMO, "echo", "message=hi")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "hi\n"
    assert r.stderr == ""


def test_key_value_is_coerced_by_the_input_schema_and_json_has_the_wire_result() -> None:
    r = mcpctl("call", "--stdio", DEMO, "add", "a=2", "b=3", "-o", "json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["result"]["structuredContent"] == {"result": 5}
    assert out["result"]["isError"] is False
    assert out["result"]["content"] == [{"type": "text", "text": "5"}]
    assert out["server"] == "mcpctl.demo"
    assert out["tool"] == "add"
    assert out["attempts"] == 1
    assert isinstance(out["duration_ms"], (int, float)) and out["duration_ms"] >= 0
    assert r.stderr == ""


def test_value_that_does_not_coerce_is_exit_2_quoting_the_token() -> None:
    r = mcpctl("call", "--stdio", DEMO, "add", "a=x", "b=3")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.startswith("mcpctl: error: ")
    assert "'a=x'" in r.stderr
    assert "integer" in r.stderr


def test_arguments_are_validated_before_sending() -> None:
    # A JSON string where the schema wants a number: were it sent, the server would coerce "30" and sleep 30 s.
    r = mcpctl("call", "--stdio", DEMO, "slow", 'seconds:="30"', timeout=30)
    assert r.exit_code == 2
    assert r.elapsed < 10
    assert r.stdout == ""
    assert "seconds" in r.stderr
    assert "number" in r.stderr


def test_missing_required_argument_is_exit_2_naming_it() -> None:
    r = mcpctl("call", "--stdio", DEMO, "add", "a=1")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert "missing required argument 'b'" in r.stderr


def test_key_colon_equals_json_is_a_raw_json_value() -> None:
    r = mcpctl("call", "--stdio", DEMO, "count", "n:=3")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "1\n2\n3\n"
    assert r.stderr == ""


def test_args_option_is_the_whole_arguments_object() -> None:
    r = mcpctl("call", "--stdio", DEMO, "echo", "--args", '{"message": "x"}')
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "x\n"
    assert r.stderr == ""


def test_args_dash_reads_the_arguments_object_from_stdin() -> None:
    r = mcpctl("call", "--stdio", DEMO, "add", "--args", "-", stdin='{"a": 20, "b": 22}\n')
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "42\n"
    assert r.stderr == ""


def test_args_at_file_reads_the_arguments_object_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "args.json"
    path.write_text('{"message": "from a file"}', encoding="utf-8")
    r = mcpctl("call", "--stdio", DEMO, "echo", "--args", f"@{path}")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "from a file\n"
    assert r.stderr == ""


def test_items_override_the_args_object() -> None:
    r = mcpctl("call", "--stdio", DEMO, "add", "--args", '{"a": 1, "b": 1}', "b=41", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["result"]["structuredContent"] == {"result": 42}
    assert r.stderr == ""


def test_key_equals_at_file_passes_the_file_text(tmp_path: Path) -> None:
    path = tmp_path / "message.txt"
    path.write_text("text from a file", encoding="utf-8")
    r = mcpctl("call", "--stdio", DEMO, "echo", f"message=@{path}")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "text from a file\n"
    assert r.stderr == ""


def test_value_outside_the_enum_is_exit_2_listing_the_members() -> None:
    r = mcpctl("call", "--stdio", DEMO, "weather", "city=Oslo", "units=kelvin")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert "'units=kelvin'" in r.stderr
    assert "metric" in r.stderr and "imperial" in r.stderr


def test_is_error_result_is_exit_1_with_the_tool_text_on_stdout() -> None:
    r = mcpctl("call", "--stdio", DEMO, "fail", "message=disk on fire")
    assert r.exit_code == 1
    assert "disk on fire" in r.stdout
    assert r.stderr.startswith("mcpctl: error: ")
    assert "disk on fire" in r.stderr


def test_is_error_with_json_output_writes_one_json_error_line() -> None:
    r = mcpctl("call", "--stdio", DEMO, "fail", "-o", "json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["result"]["isError"] is True
    error = error_line(r.stderr)
    assert error["type"] == "tool_error"
    assert error["exit_code"] == 1
    assert error["server"] == "mcpctl.demo"


def test_save_writes_binary_contents_and_the_text_names_the_path(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    r = mcpctl("call", "--stdio", DEMO, "image", "color=blue", "size=4", "--save", str(folder))
    assert r.exit_code == 0, r.stderr
    files = sorted(folder.iterdir())
    assert len(files) == 1
    assert files[0].suffix == ".png"
    assert files[0].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert str(files[0]) in r.stdout
    assert "image/png" in r.stdout
    assert r.stderr == ""


def test_image_without_save_is_summarised() -> None:
    r = mcpctl("call", "--stdio", DEMO, "image")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("[image: image/png, ")
    assert "--save" in r.stdout
    assert "\x89PNG" not in r.stdout
    assert r.stderr == ""


def test_dry_run_prints_the_request_with_coerced_arguments() -> None:
    r = mcpctl("call", "--stdio", DEMO, "add", "a=2", "b=3", "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "add", "arguments": {"a": 2, "b": 3}},
    }
    assert "nothing was sent" in r.stderr


def test_dry_run_calls_nothing() -> None:
    failing = mcpctl("call", "--stdio", DEMO, "fail", "--dry-run")
    assert failing.exit_code == 0, failing.stderr
    assert json.loads(failing.stdout)["params"]["name"] == "fail"
    assert "mcpctl: error" not in failing.stderr
    slow = mcpctl("call", "--stdio", DEMO, "slow", "seconds=30", "--dry-run", timeout=30)
    assert slow.exit_code == 0, slow.stderr
    assert slow.elapsed < 10
    assert json.loads(slow.stdout)["params"]["arguments"] == {"seconds": 30}


def test_unknown_tool_is_exit_2_with_a_hint() -> None:
    r = mcpctl("call", "--stdio", DEMO, "ech", "message=x")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert "unknown tool 'ech'" in r.stderr
    assert "hint: did you mean: echo" in r.stderr


# ----------------------------------------------------------------------------------------------------------- profiles


def test_ambiguous_bare_tool_is_exit_2_listing_candidates(two_demos: Path) -> None:
    r = mcpctl("call", "--profile", str(two_demos), "echo", "message=x")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert "a.echo, b.echo" in r.stderr
    assert "SERVER.TOOL" in r.stderr


def test_server_dot_tool_names_the_server(two_demos: Path) -> None:
    r = mcpctl("call", "--profile", str(two_demos), "a.echo", "message=x", "-o", "json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["server"] == "a"
    assert out["result"]["content"][0]["text"] == "x"
    assert r.stderr == ""


def test_bare_tool_is_looked_up_across_the_profile(demo_and_paged: Path) -> None:
    r = mcpctl("call", "--profile", str(demo_and_paged), "t3", "message=found", "-o", "json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["server"] == "paged"
    assert out["tool"] == "t3"
    assert out["result"]["content"][0]["text"] == "found"
    assert r.stderr == ""


def test_bare_tool_found_nowhere_is_exit_2(demo_and_paged: Path) -> None:
    r = mcpctl("call", "--profile", str(demo_and_paged), "t9", "message=x")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert "unknown tool 't9'" in r.stderr


# ----------------------------------------------------------------------------------------------------------- failures


def test_call_timeout_is_exit_4() -> None:
    r = mcpctl("call", "--stdio", DEMO, "slow", "seconds=5", "--timeout", "1", timeout=30)
    assert r.exit_code == 4
    assert r.elapsed < 8
    assert r.stdout == ""
    assert "timed out" in r.stderr
    assert "hint: " in r.stderr
    assert "server exited" not in r.stderr  # its exit afterwards is our shutdown, not the cause


def test_json_rpc_error_is_exit_5_with_the_message() -> None:
    r = mcpctl("call", "--stdio", faulty("jsonrpc-error"), "rpcfail")
    assert r.exit_code == 5
    assert r.stdout == ""
    assert "custom failure" in r.stderr
    assert "-32099" in r.stderr


def test_json_rpc_error_with_json_output_carries_code_and_data() -> None:
    r = mcpctl("call", "--stdio", faulty("jsonrpc-error"), "rpcfail", "-o", "json")
    assert r.exit_code == 5
    assert r.stdout == ""
    error = error_line(r.stderr)
    assert error["type"] == "protocol"
    assert error["exit_code"] == 5
    assert error["code"] == -32099
    assert error["data"] == {"why": "because"}


def test_result_breaking_its_output_schema_is_exit_5() -> None:
    r = mcpctl("call", "--stdio", faulty("bad-structured"), "liar")
    assert r.exit_code == 5
    assert r.stdout == ""
    first = r.stderr.splitlines()[0]
    assert first.startswith("mcpctl: error: ")
    assert "outputSchema" in first
    assert "not-int" in first
    assert "--no-validate" not in r.stderr  # no such flag


def test_server_dying_mid_call_is_exit_3_with_its_stderr_tail() -> None:
    r = mcpctl("call", "--stdio", faulty("crash-on-call"), "crash")
    assert r.exit_code == 3
    assert r.stdout == ""
    assert "boom: crashed in tool" in r.stderr
    assert "status 7" in r.stderr


def test_garbage_line_on_stdout_is_not_fatal() -> None:
    r = mcpctl("call", "--stdio", faulty("garbage-on-call"), "garbage")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "ok\n"
    assert "non-JSON-RPC line" in r.stderr


def test_invalid_utf8_in_a_response_never_hangs() -> None:
    r = mcpctl("call", "--stdio", faulty("bad-utf8"), "badbytes", timeout=30)
    assert r.elapsed < 15
    assert r.exit_code in (0, 5), r.stderr
    if r.exit_code == 0:
        assert r.stdout == "bad byte: \ufffd here\n"
        assert r.stderr == ""
    else:
        assert r.stdout == ""
        assert r.stderr.startswith("mcpctl: error: ")


def test_ten_megabyte_text_arrives_intact() -> None:
    r = mcpctl("call", "--stdio", faulty("big"), "big", timeout=60)
    assert r.exit_code == 0, r.stderr[-2000:]
    size = 10 * 1024 * 1024
    assert len(r.stdout) == size
    assert r.stdout == BIG_PATTERN * (size // len(BIG_PATTERN))
    assert r.stderr == ""


def test_server_that_never_answers_is_exit_4() -> None:
    r = mcpctl("call", "--stdio", faulty("never-answer"), "hang", "--timeout", "2", timeout=30)
    assert r.exit_code == 4
    assert r.elapsed < 10
    assert r.stdout == ""
    assert "timed out" in r.stderr


def test_command_not_found_is_exit_3() -> None:
    r = mcpctl("call", "--stdio", "no-such-command-for-mcpctl-e2e --flag", "echo", "message=x")
    assert r.exit_code == 3
    assert r.elapsed < 10
    assert r.stdout == ""
    assert "command not found: no-such-command-for-mcpctl-e2e" in r.stderr
    assert "hint: " in r.stderr


def test_server_exiting_at_start_is_exit_3_with_its_status_and_stderr() -> None:
    r = mcpctl("call", "--stdio", faulty("crash-at-start"), "echo", "message=x", timeout=30)
    assert r.exit_code == 3
    assert r.elapsed < 10
    assert r.stdout == ""
    assert "status 3" in r.stderr
    assert "fatal: config missing" in r.stderr
    assert "retrying" in r.stderr  # default retries of a connection failure, noted on stderr


def test_server_silent_at_start_is_exit_4_after_the_connect_timeout() -> None:
    r = mcpctl(
        "call",
        "--stdio",
        faulty("hang-at-start"),
        "echo",
        "message=x",
        "--connect-timeout",
        "2",
        "--retries",
        "0",
        timeout=30,
    )
    assert r.exit_code == 4
    assert r.elapsed < 7
    assert r.stdout == ""
    assert "timed out after 2s connecting" in r.stderr
    assert "--connect-timeout" in r.stderr


@pytest.mark.parametrize(
    ("fault", "arg"),
    [("slow-start", "1"), ("banner", None), ("none", None)],
    ids=["slow-start", "banner", "healthy"],
)
def test_servers_that_start_slowly_or_noisily_still_work(fault: str, arg: str | None) -> None:
    r = mcpctl("call", "--stdio", faulty(fault, arg), "echo", "message=x", timeout=30)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "x\n"


@pytest.mark.parametrize("protocol", ["auto", "legacy"])
def test_handshake_era_server_answers_in_auto_and_legacy_mode(protocol: str) -> None:
    r = mcpctl("call", "--stdio", faulty("legacy"), "add", "a=2", "b=3", "--protocol", protocol, timeout=30)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "5\n"
    assert r.stderr == ""


def test_auto_mode_falls_back_within_the_connect_timeout_when_the_probe_is_ignored() -> None:
    # The server never answers server/discover: the probe may use only part of the connect deadline.
    r = mcpctl(
        "call",
        "--stdio",
        faulty("legacy", "ignore"),
        "echo",
        "message=x",
        "--connect-timeout",
        "4",
        "--retries",
        "0",
        timeout=30,
    )
    assert r.exit_code == 0, r.stderr
    assert r.elapsed < 8
    assert r.stdout == "x\n"


# ----------------------------------------------------------------------------------------------------------- HTTP


def test_url_talks_streamable_http(demo_http_url: str) -> None:
    r = mcpctl("call", "--url", demo_http_url, "echo", "message=over http")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "over http\n"
    assert r.stderr == ""


def test_transport_sse_talks_to_a_legacy_sse_server(demo_sse_url: str) -> None:
    r = mcpctl("call", "--url", demo_sse_url, "--transport", "sse", "echo", "message=over sse")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "over sse\n"
    assert r.stderr == ""


def test_sse_transport_is_inferred_from_the_sse_path(demo_sse_url: str) -> None:
    assert demo_sse_url.endswith("/sse")
    r = mcpctl("call", "--url", demo_sse_url, "echo", "message=inferred")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "inferred\n"
    assert r.stderr == ""


def test_http_401_is_exit_6_with_the_challenge_in_the_hint(auth_http_url: str) -> None:
    r = mcpctl("call", "--url", auth_http_url, "echo", "message=x")
    assert r.exit_code == 6
    assert r.stdout == ""
    assert "401" in r.stderr
    hint = next(line for line in r.stderr.splitlines() if line.startswith("hint: "))
    assert 'WWW-Authenticate: Bearer realm="mcpctl-test", error="invalid_token"' in hint


def test_http_401_with_json_output_is_an_auth_error_line(auth_http_url: str) -> None:
    r = mcpctl("call", "--url", auth_http_url, "echo", "message=x", "-o", "json")
    assert r.exit_code == 6
    assert r.stdout == ""
    error = error_line(r.stderr)
    assert error["type"] == "auth"
    assert error["exit_code"] == 6


def test_bearer_authorization_header_authenticates(auth_http_url: str) -> None:
    r = mcpctl("call", "--url", auth_http_url, "-H", "Authorization: Bearer good-token", "echo", "message=in")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "in\n"
    assert r.stderr == ""


def test_http_403_is_exit_6(auth_http_url: str) -> None:
    r = mcpctl("call", "--url", auth_http_url, "-H", "Authorization: Bearer forbidden", "echo", "message=x")
    assert r.exit_code == 6
    assert r.stdout == ""
    assert "403" in r.stderr
    assert "insufficient_scope" in r.stderr
    assert "forbidden" not in r.stderr.replace("Forbidden", "")  # the token itself is not echoed


@pytest.mark.parametrize("status", [404, 500])
def test_http_error_status_is_exit_3(status_http_url: Callable[[int], str], status: int) -> None:
    r = mcpctl("call", "--url", status_http_url(status), "echo", "message=x", timeout=30)
    assert r.exit_code == 3
    assert r.stdout == ""
    assert f"HTTP {status}" in r.stderr


def test_connection_refused_is_exit_3() -> None:
    url = f"http://127.0.0.1:{free_port()}/mcp"
    r = mcpctl("call", "--url", url, "echo", "message=x", timeout=30)
    assert r.exit_code == 3
    assert r.elapsed < 10
    assert r.stdout == ""
    assert "could not connect" in r.stderr


def test_binary_content_that_is_not_base64_is_summarised_as_such_not_a_crash() -> None:
    r = mcpctl("call", "--stdio", faulty("media"), "media")
    assert r.exit_code == 0, r
    assert "[image: image/png, not valid base64 (11 characters), use --save DIR to write it]" in r.stdout
    assert "[image: image/bmp, 8 bytes, use --save DIR to write it]" in r.stdout


def test_save_of_content_that_is_not_base64_is_exit_5_blaming_the_server(tmp_path: Path) -> None:
    r = mcpctl("call", "--stdio", faulty("media"), "media", "--save", str(tmp_path))
    assert r.exit_code == 5, r
    assert "content 8 of the answer is not valid base64" in r.stderr
    assert not (tmp_path / "media-8.png").exists()
