"""Tool arguments end to end: what ``key=value`` items send (checked in the ``--trace`` of what went out), union
types, repeated keys, and arguments the tool does not declare."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import DEMO, faulty, stdio_server, write_profile

from cli.runner import mcpctl

ARGS = faulty("args")  # tool ``show`` answers its arguments; ``strict`` forbids extra properties


def sent_calls(trace: Path) -> list[dict[str, Any]]:
    """The params of every tools/call request that went out, from a ``--trace`` file."""
    if not trace.exists():
        return []
    messages = [json.loads(line) for line in trace.read_text().splitlines() if line.strip()]
    return [
        m["message"]["params"] for m in messages if m["dir"] == "out" and m["message"].get("method") == "tools/call"
    ]


# ------------------------------------------------------------------------------------------------------ union types


def test_union_with_string_sends_the_text_as_typed_unless_it_is_spelt_exactly_as_a_number(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    items = ["code=0150", "ratio=+7"]
    r = mcpctl("call", "--stdio", ARGS, "show", *items, "--trace", str(trace), "-o", "json")
    assert r.exit_code == 0, r
    assert sent_calls(trace)[0]["arguments"] == {"code": "0150", "ratio": "+7"}
    r = mcpctl("call", "--stdio", ARGS, "show", "code=150", "ratio= 42", "--trace", str(trace))
    assert r.exit_code == 0, r
    assert sent_calls(trace)[1]["arguments"] == {"code": 150, "ratio": " 42"}


def test_dry_run_shows_exactly_what_is_sent(tmp_path: Path) -> None:
    items = ["code=0150", "ratio=1e3", "max_length=10", "tags=1", "tags=2"]
    dry = mcpctl("call", "--stdio", ARGS, "show", *items, "--dry-run", "-o", "json")
    assert dry.exit_code == 0, dry
    shown = dry.json()["request"]["params"]["arguments"]
    assert shown == {"code": "0150", "ratio": "1e3", "max_length": 10, "tags": [1, 2]}
    trace = tmp_path / "trace.jsonl"
    sent = mcpctl("call", "--stdio", ARGS, "show", *items, "--trace", str(trace))
    assert sent.exit_code == 0, sent
    assert sent_calls(trace)[0]["arguments"] == shown


# ---------------------------------------------------------------------------------------------------- repeated keys


def test_repeated_array_key_sends_every_value_coerced_by_the_items_schema(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    r = mcpctl("call", "--stdio", ARGS, "show", "tags=1", "tags=2", "names=a", "names=b", "--trace", str(trace))
    assert r.exit_code == 0, r
    assert sent_calls(trace)[0]["arguments"] == {"tags": [1, 2], "names": ["a", "b"]}


def test_repeated_key_that_is_not_an_array_is_exit_2_naming_it_and_sends_nothing(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    r = mcpctl("call", "--stdio", ARGS, "show", "code=1", "code=2", "--trace", str(trace))
    assert r.exit_code == 2, r
    assert r.stdout == ""
    assert "'code=2': argument 'code' is given more than once (first as 'code=1')" in r.stderr
    assert sent_calls(trace) == []


def test_repeated_prompt_argument_is_exit_2_naming_it() -> None:
    r = mcpctl("prompts", "get", "--stdio", DEMO, "review", "code=a", "code=b")
    assert r.exit_code == 2, r
    assert "argument 'code' is given more than once" in r.stderr


# ------------------------------------------------------------------------------------------- undeclared arguments


def test_misspelt_argument_is_sent_with_a_warning_naming_the_closest_one(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    r = mcpctl("call", "--stdio", ARGS, "show", "max_lenght=10", "--trace", str(trace))
    assert r.exit_code == 0, r
    assert r.stdout == '{"max_lenght": "10"}\n'
    assert r.stderr == "mcpctl: warning: 'max_lenght' is not an argument of show; did you mean max_length?\n"
    assert sent_calls(trace)[0]["arguments"] == {"max_lenght": "10"}


def test_misspelt_argument_from_args_json_is_warned_about_once_with_the_profile_name(tmp_path: Path) -> None:
    profile = write_profile(tmp_path / "p.toml", {"demo": stdio_server(ARGS)})
    r = mcpctl("call", "--profile", str(profile), "demo.show", "--args", '{"Code": 5}', "-o", "json")
    assert r.exit_code == 0, r
    assert r.stderr == "mcpctl: warning: 'Code' is not an argument of demo.show; did you mean code?\n"


def test_strict_args_makes_a_misspelt_argument_exit_2_and_sends_nothing(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    r = mcpctl("call", "--stdio", ARGS, "show", "max_lenght=10", "--strict-args", "--trace", str(trace))
    assert r.exit_code == 2, r
    assert r.stdout == ""
    assert "'max_lenght' is not an argument of show; did you mean max_length?" in r.stderr
    assert "mcpctl: warning" not in r.stderr
    assert sent_calls(trace) == []


def test_profile_strict_args_per_server_and_in_defaults_makes_it_exit_2(tmp_path: Path) -> None:
    per_server = write_profile(tmp_path / "a.toml", {"demo": stdio_server(ARGS, strict_args=True)})
    in_defaults = write_profile(tmp_path / "b.toml", {"demo": stdio_server(ARGS)}, defaults={"strict_args": True})
    for profile in (per_server, in_defaults):
        trace = tmp_path / f"{profile.stem}.jsonl"
        r = mcpctl("call", "--profile", str(profile), "demo.show", "max_lenght=1", "--trace", str(trace))
        assert r.exit_code == 2, r
        assert "'max_lenght' is not an argument of demo.show; did you mean max_length?" in r.stderr
        assert sent_calls(trace) == []


def test_profile_strict_args_must_be_a_boolean(tmp_path: Path) -> None:
    profile = write_profile(tmp_path / "p.toml", {"demo": stdio_server(ARGS, strict_args="yes")})
    r = mcpctl("call", "--profile", str(profile), "demo.show")
    assert r.exit_code == 2, r
    assert "servers.demo.strict_args: expected true or false, got string" in r.stderr


def test_schema_that_forbids_extra_properties_keeps_its_validation_error(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    r = mcpctl("call", "--stdio", ARGS, "strict", "max_lenght=10", "--trace", str(trace))
    assert r.exit_code == 2, r
    assert "unknown argument 'max_lenght'" in r.stderr
    assert "warning" not in r.stderr
    assert sent_calls(trace) == []


def test_no_validate_sends_undeclared_arguments_without_a_word() -> None:
    r = mcpctl("call", "--stdio", ARGS, "show", "max_lenght=10", "--no-validate", "--strict-args")
    assert r.exit_code == 0, r
    assert r.stderr == ""


def test_batch_warns_about_a_misspelt_argument_naming_the_line(tmp_path: Path) -> None:
    batch = tmp_path / "calls.jsonl"
    batch.write_text('{"id": "a", "tool": "show", "arguments": {"max_lenght": 3}}\n')
    r = mcpctl("batch", "--stdio", ARGS, str(batch))
    assert r.exit_code == 0, r
    assert f"mcpctl: warning: {batch}:1: 'max_lenght' is not an argument of" in r.stderr
    assert "did you mean max_length?" in r.stderr
    assert json.loads(r.stdout)["ok"] is True


def test_batch_strict_args_is_exit_2_before_any_call(tmp_path: Path) -> None:
    batch = tmp_path / "calls.jsonl"
    batch.write_text('{"id": "a", "tool": "show", "arguments": {"code": 1}}\n{"tool": "show", "arguments": {"x": 1}}\n')
    trace = tmp_path / "trace.jsonl"
    r = mcpctl("batch", "--stdio", ARGS, str(batch), "--strict-args", "--trace", str(trace))
    assert r.exit_code == 2, r
    assert r.stdout == ""
    assert f"{batch}:2: 'x' is not an argument of" in r.stderr
    assert sent_calls(trace) == []
