"""mcpctl.output.writer: tables on a TTY and in a pipe, JSON/NDJSON, errors on stderr, MCPCTL_OUTPUT."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpctl.core.errors import AuthError, HttpStatusError, McpctlError, ProtocolError, UsageError
from mcpctl.core.secrets import MASK, redact
from mcpctl.core.wire import dump_json
from mcpctl.output.sanitize import cell, json_safe, visible
from mcpctl.output.streams import Streams
from mcpctl.output.writer import Output, Table, first_line

ITEMS = [
    {"server": "demo", "name": "echo", "description": "Echo a message"},
    {"server": "demo", "name": "evil", "description": "[bold]x[/bold]"},
]
TABLE = Table(["SERVER", "NAME", "DESCRIPTION"], [[i["server"], i["name"], i["description"]] for i in ITEMS])


@pytest.fixture(autouse=True)
def _fresh_redactor() -> Iterator[None]:
    redact.clear()
    yield
    redact.clear()


def make(fmt: str | None = None, *, tty: bool = False, color: bool = False, quiet: bool = False) -> Output:
    return Output(fmt, Streams.for_test(tty=tty, color=color), quiet=quiet)


def out_of(output: Output) -> str:
    return output.streams.out.getvalue()  # type: ignore[attr-defined, no-any-return]


def err_of(output: Output) -> str:
    return output.streams.err.getvalue()  # type: ignore[attr-defined, no-any-return]


# ======================================================================================================================
# Tables
# ======================================================================================================================


def test_piped_table_is_tab_separated_without_header_or_ansi() -> None:
    output = make(tty=False)
    output.items(ITEMS, TABLE)
    assert out_of(output) == "demo\techo\tEcho a message\ndemo\tevil\t[bold]x[/bold]\n"
    assert err_of(output) == ""


def test_piped_table_cells_never_break_the_row_layout() -> None:
    output = make(tty=False)
    output.table(Table(["A", "B"], [["one\ttab", "two\nlines\r"]]))
    assert out_of(output) == "one\\ttab\ttwo\\nlines\\r\n"


def test_piped_table_is_not_truncated() -> None:
    long = "x" * 500
    output = make(tty=False)
    output.table(Table(["A"], [[long]]))
    assert out_of(output) == long + "\n"


def test_tty_table_is_a_box_table_with_header() -> None:
    output = make(tty=True)
    output.items(ITEMS, TABLE)
    text = out_of(output)
    lines = text.splitlines()
    assert "SERVER" in lines[1] and "NAME" in lines[1] and "DESCRIPTION" in lines[1]
    assert "│" in text and "\t" not in text
    assert any("echo" in line and "Echo a message" in line for line in lines)
    assert "\x1b[" not in text  # no colour asked for


def test_markup_in_cells_is_printed_literally_both_ways() -> None:
    for tty in (False, True):
        output = make(tty=tty, color=tty)
        output.items(ITEMS, TABLE)
        assert "[bold]x[/bold]" in out_of(output), f"tty={tty}"


def test_table_may_be_built_lazily() -> None:
    built: list[bool] = []

    def table() -> Table:
        built.append(True)
        return TABLE

    make("json").items(ITEMS, table)
    assert built == []
    output = make("table")
    output.items(ITEMS, table)
    assert built == [True]
    assert out_of(output).startswith("demo\techo")


# ======================================================================================================================
# JSON and NDJSON
# ======================================================================================================================


def test_json_list_is_one_document() -> None:
    output = make("json")
    output.items(ITEMS, TABLE)
    assert json.loads(out_of(output)) == ITEMS
    assert out_of(output).endswith("]\n")
    assert err_of(output) == ""


def test_ndjson_is_one_line_per_item() -> None:
    output = make("ndjson")
    output.items(ITEMS, TABLE)
    lines = out_of(output).splitlines()
    assert [json.loads(line) for line in lines] == ITEMS
    assert out_of(output).endswith("\n")


def test_ndjson_of_an_empty_list_prints_nothing_and_json_prints_an_empty_array() -> None:
    output = make("ndjson")
    output.items([], TABLE)
    assert out_of(output) == ""
    output = make("json")
    output.items([], TABLE)
    assert json.loads(out_of(output)) == []


def test_single_result_as_json_ndjson_and_text() -> None:
    data = {"server": "demo", "text": "héllo", "n": 1}
    output = make("json")
    output.result(data, lambda: "human\n")
    assert json.loads(out_of(output)) == data
    assert "héllo" in out_of(output)  # not \u-escaped
    output = make("ndjson")
    output.result(data, lambda: "human\n")
    assert out_of(output).count("\n") == 1 and json.loads(out_of(output)) == data
    output = make("text")
    output.result(data, lambda: "human\n")
    assert out_of(output) == "human\n"
    output = make()
    output.result(data)  # no text renderer: readable JSON
    assert json.loads(out_of(output)) == data


def test_streamed_lines_are_compact_json() -> None:
    output = make("ndjson")
    output.line({"id": "a1", "ok": True})
    output.line({"id": "a2", "ok": False})
    assert out_of(output) == '{"id":"a1","ok":true}\n{"id":"a2","ok":false}\n'


def test_non_json_values_are_dumped_as_strings() -> None:
    assert json.loads(dump_json({"path": Path("/x"), "b": b"hi"})) == {"path": "/x", "b": "b'hi'"}


def test_first_line_shortens_descriptions() -> None:
    assert first_line("  first\nsecond") == "first"
    assert first_line(None) == ""
    assert first_line("x" * 100, limit=10) == "x" * 9 + "…"


# ======================================================================================================================
# Errors
# ======================================================================================================================


def test_error_in_text_mode_goes_to_stderr_with_hint() -> None:
    output = make()
    output.error(UsageError("unknown server 'nope'", hint="known servers: a, b"))
    assert out_of(output) == ""
    assert err_of(output) == "mcpctl: error: unknown server 'nope'\nhint: known servers: a, b\n"


def test_error_details_are_indented_under_the_message() -> None:
    output = make("table")
    output.error(McpctlError("server died", details=["server stderr: boom"]))
    assert err_of(output) == "mcpctl: error: server died\n  server stderr: boom\n"


def test_error_in_text_mode_masks_registered_secrets() -> None:
    redact.add(["sekrit-value-123"])
    output = make()
    output.error(AuthError("rejected sekrit-value-123", hint="check sekrit-value-123"))
    assert "sekrit-value-123" not in err_of(output)
    assert f"rejected {MASK}" in err_of(output)


def test_error_label_is_coloured_only_on_a_colour_tty() -> None:
    output = make(tty=True, color=True)
    output.error(UsageError("bad"))
    assert "\x1b[" in err_of(output) and "error" in err_of(output)
    output = make(tty=False)
    output.error(UsageError("bad"))
    assert "\x1b[" not in err_of(output)


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_error_in_machine_mode_is_exactly_one_json_line(fmt: str) -> None:
    output = make(fmt)
    output.error(UsageError("unknown server 'nope'", hint="known servers: a", server="nope"))
    assert out_of(output) == ""
    lines = err_of(output).splitlines()
    assert len(lines) == 1
    body = json.loads(lines[0])["error"]
    assert {k: body[k] for k in ("type", "message", "server", "exit_code")} == {
        "type": "usage",
        "message": "unknown server 'nope'",
        "server": "nope",
        "exit_code": 2,
    }


def test_machine_errors_carry_the_class_specific_fields() -> None:
    output = make("json")
    output.error(HttpStatusError("HTTP 503", status=503, server="remote"))
    output.error(ProtocolError("unknown tool (JSON-RPC error -32602)", code=-32602, data={"tool": "x"}))
    first, second = (json.loads(line)["error"] for line in err_of(output).splitlines())
    assert (first["type"], first["status"], first["exit_code"], first["server"]) == ("http_status", 503, 3, "remote")
    assert (second["type"], second["code"], second["data"], second["exit_code"]) == (
        "protocol",
        -32602,
        {"tool": "x"},
        5,
    )
    assert second["server"] is None


# ======================================================================================================================
# Formats
# ======================================================================================================================


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        make("yaml")
    assert info.value.exit_code == 2
    assert "yaml" in info.value.message
    assert info.value.hint is not None and "json" in info.value.hint


def test_mcpctl_output_sets_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPCTL_OUTPUT", "ndjson")
    output = make()
    assert output.format == "ndjson" and output.machine
    output.items(ITEMS, TABLE)
    assert len(out_of(output).splitlines()) == 2
    assert make("table").format == "table"  # the flag wins


def test_bad_mcpctl_output_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPCTL_OUTPUT", "xml")
    with pytest.raises(UsageError):
        make()


def test_notes_are_silenced_by_quiet_but_warnings_are_not() -> None:
    output = make(quiet=True)
    output.note("a note")
    output.warn("a warning")
    assert err_of(output) == "mcpctl: warning: a warning\n"
    assert out_of(output) == ""
    output = make()
    output.note("a note")
    assert err_of(output) == "a note\n"


# ======================================================================================================================
# Server text: control characters shown, never obeyed
# ======================================================================================================================


def test_control_characters_are_shown_as_escapes_in_text_and_cells() -> None:
    hostile = "a\x1b]52;c;eA==\x07b\x08\x9b2J\x7f\x00\rc\r\nd\te\nf"
    assert visible(hostile) == "a\\x1b]52;c;eA==\\x07b\\x08\\x9b2J\\x7f\\x00\\rc\r\nd\te\nf"
    assert cell(hostile) == "a\\x1b]52;c;eA==\\x07b\\x08\\x9b2J\\x7f\\x00\\rc\\r\\nd\\te\\nf"
    assert visible("héllo — ok\n") == "héllo — ok\n"


def test_json_safe_spells_del_and_c1_as_unicode_escapes_keeping_the_value() -> None:
    text = dump_json({"name": "x\x9b\x7f\x1b"})
    assert "\x9b" in text and "\x7f" in text  # json.dumps(ensure_ascii=False) leaves them raw
    safe = json_safe(text)
    assert safe == '{"name":"x\\u009b\\u007f\\u001b"}'
    assert json.loads(safe) == {"name": "x\x9b\x7f\x1b"}


@pytest.mark.parametrize("tty", [False, True])
def test_error_lines_warnings_and_server_stderr_show_control_characters(tty: bool) -> None:
    output = make(tty=tty)
    output.error(AuthError("refused\x1b[2J", hint='WWW-Authenticate: Bearer realm="\x9b31m"', details=["d\x07"]))
    output.warn("w\x1b]0;title\x07")
    output.server_stderr("srv", "line\x08\x08")
    assert err_of(output) == (
        'mcpctl: error: refused\\x1b[2J\n  d\\x07\nhint: WWW-Authenticate: Bearer realm="\\x9b31m"\n'
        "mcpctl: warning: w\\x1b]0;title\\x07\n[srv] line\\x08\\x08\n"
    )


def test_error_in_machine_mode_keeps_the_exact_message() -> None:
    output = make("json")
    output.error(ProtocolError("failed\x1b[2J\x9b", server="s"))
    assert "\x1b" not in err_of(output) and "\x9b" not in err_of(output)
    assert json.loads(err_of(output))["error"]["message"] == "failed\x1b[2J\x9b"


def test_a_result_is_exact_when_piped_and_shown_on_a_terminal() -> None:
    piped = make("text", tty=False)
    piped.result({}, lambda: "answer\x1b[2J\n")
    assert out_of(piped) == "answer\x1b[2J\n"
    tty = make("text", tty=True)
    tty.result({}, lambda: "answer\x1b[2J\n")
    assert out_of(tty) == "answer\\x1b[2J\n"


def test_an_error_line_names_its_server_unless_the_message_does() -> None:
    output = make()
    output.error(McpctlError("the server closed the connection", server="broken"))
    output.error(McpctlError("unknown tool 'x' on server 'demo'", server="demo"))
    output.error(McpctlError("tool 'demo.echo' failed", server="demo"))
    output.error(McpctlError("no server named", server=None))
    assert err_of(output).splitlines() == [
        "mcpctl: error: broken: the server closed the connection",
        "mcpctl: error: unknown tool 'x' on server 'demo'",
        "mcpctl: error: tool 'demo.echo' failed",
        "mcpctl: error: no server named",
    ]


def test_server_log_data_is_compact_json_and_a_string_is_as_it_is() -> None:
    output = make()
    output.server_log("srv", "info", {"msg": "working", "extra": None, "n": "é"})
    output.server_log("srv", "warning", "plain text")
    assert err_of(output) == '[srv] info: {"msg":"working","extra":null,"n":"é"}\n[srv] warning: plain text\n'


def test_bidi_controls_are_shown_not_obeyed_in_text_cells_and_json() -> None:
    # "Trojan Source": an override makes a name read differently from what it is.
    spoof = "ls\u202e txt.exe\u2066x\u2069"
    assert visible(spoof) == "ls\\u202e txt.exe\\u2066x\\u2069"
    assert cell(spoof) == "ls\\u202e txt.exe\\u2066x\\u2069"
    assert json_safe('"\u202e"') == '"\\u202e"'
    assert visible("שלום مرحبا") == "שלום مرحبا"  # right-to-left text itself is left alone
