"""core.items and core.schema: request items, --args, coercion by inputSchema, validation, schema summaries."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mcpctl.core.errors import ArgumentError, UsageError
from mcpctl.core.items import ITEM_FORMS_HINT, Item, load_args_option, parse_item, string_arguments
from mcpctl.core.schema.coerce import build_arguments, canonical_json, coerce
from mcpctl.core.schema.describe import describe_required, schema_summary, type_text
from mcpctl.core.schema.validate import validate

SCHEMA_HINT = "see the tool's schema: mcpctl tools show SERVER.TOOL"


def obj(**props: Any) -> dict[str, Any]:
    """An object inputSchema with the given properties."""
    return {"type": "object", "properties": props}


def error_of(call: Any, *args: Any, **kwargs: Any) -> ArgumentError:
    with pytest.raises(ArgumentError) as info:
        call(*args, **kwargs)
    return info.value


# --------------------------------------------------------------------------- request items


@pytest.mark.parametrize(
    ("token", "key", "kind", "value"),
    [
        ("message=hi", "message", "string", "hi"),
        ("message=", "message", "string", ""),
        ("message=hello world", "message", "string", "hello world"),
        ("n:=5", "n", "json", 5),
        ("ratio:=0.5", "ratio", "json", 0.5),
        ("flag:=true", "flag", "json", True),
        ("none:=null", "none", "json", None),
        ('name:="5"', "name", "json", "5"),
        ('tags:=["a","b"]', "tags", "json", ["a", "b"]),
        ('opts:={"x":1}', "opts", "json", {"x": 1}),
        ("a:b=c", "a:b", "string", "c"),
    ],
)
def test_item_forms_give_key_kind_and_value(token: str, key: str, kind: str, value: Any) -> None:
    item = parse_item(token)
    assert (item.key, item.kind, item.value, item.token) == (key, kind, value, token)


@pytest.mark.parametrize(
    ("token", "key", "kind", "raw"),
    [
        ("a=b:=c", "a", "string", "b:=c"),
        ("k==v", "k", "string", "=v"),
        ('a:="x=y"', "a", "json", '"x=y"'),
        ("url=http://h/?q=1&r=2", "url", "string", "http://h/?q=1&r=2"),
        ("expr=a:=b", "expr", "string", "a:=b"),
    ],
)
def test_earliest_separator_wins(token: str, key: str, kind: str, raw: str) -> None:
    item = parse_item(token)
    assert (item.key, item.kind, item.raw) == (key, kind, raw)


@pytest.mark.parametrize(
    ("token", "key", "value"),
    [
        (r"a\=b=c", "a=b", "c"),
        (r"a\:=b", "a:", "b"),
        (r"a\\=b", "a\\", "b"),
        (r"a\x=1", r"a\x", "1"),
        (r"a\:\=b=c", "a:=b", "c"),
    ],
)
def test_backslash_escapes_a_separator_character_in_the_key(token: str, key: str, value: str) -> None:
    item = parse_item(token)
    assert (item.key, item.value) == (key, value)


def test_value_starting_with_escaped_at_is_a_literal_string() -> None:
    assert parse_item(r"handle=\@someone").value == "@someone"


@pytest.mark.parametrize("token", ["=x", ":=1", "=@file", r"=", ":="])
def test_empty_key_is_an_error_with_the_accepted_forms(token: str) -> None:
    err = error_of(parse_item, token)
    assert err.message == f"{token!r}: the argument name is empty"
    assert err.hint == ITEM_FORMS_HINT


@pytest.mark.parametrize("token", ["x", "a:b", "", r"a\=b", "key:value"])
def test_token_without_separator_is_an_error_with_the_accepted_forms(token: str) -> None:
    err = error_of(parse_item, token)
    assert err.message.startswith(f"{token!r}: not an argument")
    assert err.hint is not None
    for form in ("key=value", "key:=json", "key=@file", "key:=@file.json"):
        assert form in err.hint


@pytest.mark.parametrize("token", ["n:=[1,", "n:=abc", "n:=", "opts:={'x': 1}", "n:=NaN", "n:=Infinity"])
def test_bad_json_item_quotes_the_token(token: str) -> None:
    err = error_of(parse_item, token)
    assert err.message.startswith(f"{token!r}: invalid JSON: ")


def test_bad_json_item_says_where() -> None:
    assert error_of(parse_item, "n:=[1,").message == "'n:=[1,': invalid JSON: Expecting value at line 1 column 4"


def test_argument_errors_are_usage_errors_with_exit_code_2() -> None:
    err = error_of(parse_item, "x")
    assert isinstance(err, UsageError)
    assert err.exit_code == 2
    assert err.type == "arguments"


def test_item_is_a_frozen_dataclass() -> None:
    item = parse_item("a=b")
    assert item == Item(key="a", raw="b", kind="string", value="b", token="a=b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.key = "c"  # type: ignore[misc]


# --------------------------------------------------------------------------- @file items


def test_at_file_gives_the_files_text_as_a_string(tmp_path: Path) -> None:
    path = tmp_path / "msg.txt"
    path.write_text("hello\nworld\n", encoding="utf-8")
    item = parse_item(f"message=@{path}")
    assert (item.key, item.kind, item.value, item.file) == ("message", "string", "hello\nworld\n", str(path))


def test_json_at_file_gives_the_files_parsed_json(tmp_path: Path) -> None:
    path = tmp_path / "opts.json"
    path.write_text('{"x": [1, 2]}', encoding="utf-8")
    item = parse_item(f"opts:=@{path}")
    assert (item.key, item.kind, item.value) == ("opts", "json", {"x": [1, 2]})


def test_at_file_keeps_the_text_exactly(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes("\ufeffa\r\nb\r".encode())
    assert parse_item(f"k=@{path}").value == "\ufeffa\r\nb\r"


def test_json_file_may_start_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes('\ufeff{"x": 1}'.encode())
    assert parse_item(f"opts:=@{path}").value == {"x": 1}
    assert load_args_option(f"@{path}", io.StringIO()) == {"x": 1}


def test_at_file_expands_the_home_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "m.txt").write_text("hi", encoding="utf-8")
    assert parse_item("m=@~/m.txt").value == "hi"


@pytest.mark.parametrize("form", ["k=@", "k:=@"])
def test_at_without_a_file_name_is_an_error(form: str) -> None:
    assert "no file name after '@'" in error_of(parse_item, form).message


@pytest.mark.parametrize("sep", ["=@", ":=@"])
def test_unreadable_file_names_the_file_and_the_os_reason(tmp_path: Path, sep: str) -> None:
    missing = tmp_path / "nope.txt"
    err = error_of(parse_item, f"k{sep}{missing}")
    assert str(missing) in err.message
    assert "No such file or directory" in err.message


def test_directory_as_file_is_an_error(tmp_path: Path) -> None:
    assert str(tmp_path) in error_of(parse_item, f"k=@{tmp_path}").message


def test_non_utf8_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bin"
    path.write_bytes(b"\xff\xfe\x00")
    assert "not UTF-8" in error_of(parse_item, f"k=@{path}").message


def test_bad_json_in_file_quotes_the_token(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{oops", encoding="utf-8")
    token = f"opts:=@{path}"
    assert error_of(parse_item, token).message.startswith(f"{token!r}: invalid JSON")


def test_file_text_is_coerced_like_key_value(tmp_path: Path) -> None:
    path = tmp_path / "n.txt"
    path.write_text("42\n", encoding="utf-8")
    assert build_arguments([f"n=@{path}"], obj(n={"type": "integer"})) == {"n": 42}


# --------------------------------------------------------------------------- --args


def test_args_option_absent_is_an_empty_object() -> None:
    assert load_args_option(None, io.StringIO("ignored")) == {}


def test_args_option_takes_inline_json() -> None:
    assert load_args_option('{"a": 1, "b": [true]}', io.StringIO()) == {"a": 1, "b": [True]}


def test_args_option_at_file_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "args.json"
    path.write_text('{"message": "hi"}', encoding="utf-8")
    assert load_args_option(f"@{path}", io.StringIO()) == {"message": "hi"}


def test_args_option_dash_reads_stdin() -> None:
    assert load_args_option("-", io.StringIO('{"n": 5}\n')) == {"n": 5}


@pytest.mark.parametrize(("text", "got"), [("[1]", "array"), ('"s"', "string"), ("5", "integer"), ("null", "null")])
def test_args_option_must_be_a_json_object(text: str, got: str) -> None:
    err = error_of(load_args_option, text, io.StringIO())
    assert err.message == f"--args: must be a JSON object, got {got}"


@pytest.mark.parametrize(("value", "stdin", "where"), [("{oops", "", "--args"), ("-", "", "--args -")])
def test_args_option_invalid_json_is_an_error(value: str, stdin: str, where: str) -> None:
    assert error_of(load_args_option, value, io.StringIO(stdin)).message.startswith(f"{where}: invalid JSON")


def test_args_option_missing_file_names_it(tmp_path: Path) -> None:
    err = error_of(load_args_option, f"@{tmp_path / 'x.json'}", io.StringIO())
    assert "x.json" in err.message
    assert "No such file or directory" in err.message


def test_args_option_at_without_a_file_name_is_an_error() -> None:
    assert "no file name" in error_of(load_args_option, "@", io.StringIO()).message


# --------------------------------------------------------------------------- coercion by schema


@pytest.mark.parametrize(
    ("prop", "text", "value"),
    [
        ({"type": "integer"}, "5", 5),
        ({"type": "integer"}, "-12", -12),
        ({"type": "integer"}, "+7", 7),
        ({"type": "number"}, "5", 5),
        ({"type": "number"}, "2.5", 2.5),
        ({"type": "number"}, "-1e3", -1000.0),
        ({"type": "number"}, ".5", 0.5),
        ({"type": "boolean"}, "true", True),
        ({"type": "boolean"}, "FALSE", False),
        ({"type": "boolean"}, "yes", True),
        ({"type": "boolean"}, "No", False),
        ({"type": "boolean"}, "1", True),
        ({"type": "boolean"}, "0", False),
        ({"type": "boolean"}, "on", True),
        ({"type": "boolean"}, "OFF", False),
        ({"type": "null"}, "null", None),
        ({"type": "string"}, "5", "5"),
        ({"type": "string"}, "true", "true"),
        ({}, "5", "5"),
        ({"description": "anything"}, "null", "null"),
        ({"type": "array"}, '["a", 1]', ["a", 1]),
        ({"type": "object"}, '{"x": 1}', {"x": 1}),
        ({"enum": ["metric", "imperial"]}, "metric", "metric"),
        ({"enum": [1, 2, 3]}, "2", 2),
        ({"enum": [True, None]}, "true", True),
        ({"enum": [True, None]}, "null", None),
        ({"enum": ["1", 1]}, "1", "1"),
        ({"enum": [1.5]}, "1.5", 1.5),
        ({"const": 5}, "5", 5),
        ({"const": "x"}, "x", "x"),
        ({"type": ["integer", "null"]}, "7", 7),
        ({"type": ["integer", "null"]}, "null", None),
        ({"type": ["string", "integer"]}, "7", 7),
        ({"type": ["string", "integer"]}, "seven", "seven"),
        ({"type": ["boolean", "integer"]}, "1", True),
        ({"anyOf": [{"type": "integer"}, {"type": "boolean"}]}, "true", True),
        ({"anyOf": [{"type": "integer"}, {"type": "boolean"}]}, "3", 3),
        ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, "3", 3),
        ({"oneOf": [{"type": "null"}, {"type": "number"}]}, "2.5", 2.5),
        ({"anyOf": [{"enum": ["auto"]}, {"type": "integer"}]}, "auto", "auto"),
        ({"anyOf": [{"enum": ["auto"]}, {"type": "integer"}]}, "4", 4),
        ({"allOf": [{"description": "doc"}, {"type": "integer"}]}, "4", 4),
        ({"allOf": [{"type": "number"}, {"minimum": 0}]}, "4.5", 4.5),
        ({"$ref": "#/$defs/Count"}, "9", 9),
        ({"$ref": "#/definitions/Flag"}, "yes", True),
        ({"$ref": "#/$defs/Alias"}, "9", 9),
        ({"allOf": [{"$ref": "#/$defs/Count"}]}, "9", 9),
        ({"$ref": "https://example.test/schema"}, "9", "9"),
        ({"$ref": "#/$defs/Missing"}, "9", "9"),
        ({"type": "frobnicate"}, "9", "9"),
        ({"type": "string", "format": "date"}, "2024-01-01", "2024-01-01"),
    ],
)
def test_key_value_is_coerced_by_the_property_schema(prop: dict[str, Any], text: str, value: Any) -> None:
    schema = obj(x=prop)
    schema["$defs"] = {"Count": {"type": "integer"}, "Alias": {"$ref": "#/$defs/Count"}}
    schema["definitions"] = {"Flag": {"type": "boolean"}}
    result = build_arguments([f"x={text}"], schema)
    assert result == {"x": value}
    assert type(result["x"]) is type(value)


def test_key_value_is_coerced_to_integer_by_schema() -> None:
    assert build_arguments(["n=5"], obj(n={"type": "integer"})) == {"n": 5}


UNIONS_WITH_STRING: list[dict[str, Any]] = [
    {"type": ["integer", "string"]},
    {"type": ["string", "number"]},
    {"type": ["boolean", "string"]},
    {"type": ["null", "string"]},
    {"type": ["array", "object", "string"]},
    {"anyOf": [{"type": "integer"}, {"type": "string"}]},
    {"oneOf": [{"type": "string"}, {"type": "number"}]},
    {"anyOf": [{"type": "number"}, {"description": "anything"}]},
    {"anyOf": [{"enum": [1, True, None]}, {"type": "string"}]},
    {"anyOf": [{"$ref": "#/$defs/Count"}, {"type": "string", "maxLength": 10}]},
]


@pytest.mark.parametrize("prop", UNIONS_WITH_STRING)
@pytest.mark.parametrize(
    "text",
    [
        "0150",
        "+7",
        " 42",
        "42 ",
        "1e3",
        "-0",
        "1_000",
        "0x1f",
        "٣",
        "1.50",
        "True",
        "YES",
        "yes",
        "on",
        "NULL",
        "[1, 2]",
        "",
    ],
)
def test_union_with_a_string_keeps_text_that_is_not_spelt_exactly_as_another_type(
    prop: dict[str, Any], text: str
) -> None:
    schema = obj(x=prop)
    schema["$defs"] = {"Count": {"type": "integer"}}
    assert build_arguments([f"x={text}"], schema) == {"x": text}


@pytest.mark.parametrize(
    ("prop", "text", "value"),
    [
        ({"type": ["integer", "string"]}, "150", 150),
        ({"type": ["integer", "string"]}, "-12", -12),
        ({"type": ["integer", "string"]}, "1.0", "1.0"),
        ({"type": ["number", "string"]}, "1.0", 1.0),
        ({"type": ["number", "string"]}, "2.5", 2.5),
        ({"type": ["number", "string"]}, "1000.0", 1000.0),
        ({"type": ["boolean", "string"]}, "true", True),
        ({"type": ["boolean", "string"]}, "false", False),
        ({"type": ["null", "string"]}, "null", None),
        ({"type": ["array", "string"]}, "[1,2]", [1, 2]),
        ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, "7", 7),
        ({"anyOf": [{"enum": [1, True, None]}, {"type": "string"}]}, "true", True),
    ],
)
def test_union_with_a_string_takes_text_spelt_exactly_as_another_type(
    prop: dict[str, Any], text: str, value: Any
) -> None:
    result = build_arguments([f"x={text}"], obj(x=prop))
    assert result == {"x": value}
    assert type(result["x"]) is type(value)


@pytest.mark.parametrize(
    ("prop", "text", "value"),
    [
        ({"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^[a-z]+$"}]}, "0150", 150),
        ({"type": ["integer", "string"], "maxLength": 2}, "+7", "+7"),
        ({"type": ["integer", "string"], "maxLength": 2}, "0150", 150),
        ({"anyOf": [{"type": "number"}, {"type": "string", "minLength": 5}]}, "1e3", 1000.0),
    ],
)
def test_union_whose_string_branch_rejects_the_text_coerces_it(prop: dict[str, Any], text: str, value: Any) -> None:
    assert build_arguments([f"x={text}"], obj(x=prop)) == {"x": value}


def test_integer_alone_still_takes_a_sign_and_spaces() -> None:
    assert build_arguments(["x=+7", "y= 42"], obj(x={"type": "integer"}, y={"type": "integer"})) == {"x": 7, "y": 42}


@pytest.mark.parametrize(
    ("prop", "token", "message"),
    [
        ({"type": "integer"}, "n=abc", "'n=abc': expected integer for 'n'"),
        ({"type": "integer"}, "n=5.0", "'n=5.0': expected integer for 'n'"),
        ({"type": "integer"}, "n=1e3", "'n=1e3': expected integer for 'n'"),
        ({"type": "integer"}, "n=", "'n=': expected integer for 'n'"),
        ({"type": "integer"}, "n=٣", "'n=٣': expected integer for 'n'"),
        ({"type": "integer"}, "n=1_000", "'n=1_000': expected integer for 'n'"),
        ({"type": "number"}, "n=nan", "'n=nan': expected number for 'n'"),
        ({"type": "number"}, "n=inf", "'n=inf': expected number for 'n'"),
        ({"type": "number"}, "n=1e999", "'n=1e999': expected number for 'n'"),
        ({"type": "boolean"}, "n=maybe", "'n=maybe': expected boolean for 'n'"),
        ({"type": "null"}, "n=nil", "'n=nil': expected null for 'n'"),
        ({"type": ["integer", "null"]}, "n=x", "'n=x': expected integer or null for 'n'"),
        ({"anyOf": [{"type": "integer"}, {"type": "boolean"}]}, "n=x", "'n=x': expected integer or boolean for 'n'"),
        ({"enum": ["metric", "imperial"]}, "n=kelvin", "'n=kelvin': 'n' must be one of: metric, imperial"),
        ({"enum": [1, 2]}, "n=3", "'n=3': 'n' must be one of: 1, 2"),
        ({"const": 5}, "n=6", "'n=6': 'n' must be 5"),
        ({"type": "array"}, "n=a,b", "'n=a,b': expected array for 'n'"),
        ({"type": "array"}, 'n={"x": 1}', """'n={"x": 1}': expected array for 'n'"""),
        ({"type": "object"}, "n=x", "'n=x': expected object for 'n'"),
    ],
)
def test_coercion_error_quotes_the_token_and_names_the_field(prop: dict[str, Any], token: str, message: str) -> None:
    assert error_of(build_arguments, [token], obj(n=prop)).message == message


def test_enum_error_names_the_field_and_members() -> None:
    schema = obj(units={"type": "string", "enum": ["metric", "imperial"]})
    err = error_of(build_arguments, ["units=kelvin"], schema)
    assert err.message == "'units=kelvin': 'units' must be one of: metric, imperial"


@pytest.mark.parametrize(("kind", "example"), [("array", "tags:='[…]'"), ("object", "tags:='{…}'")])
def test_array_or_object_text_that_is_not_json_suggests_json_items(kind: str, example: str) -> None:
    err = error_of(build_arguments, ["tags=a"], obj(tags={"type": kind}))
    assert err.hint is not None
    assert example in err.hint


def test_json_item_hint_escapes_separator_characters_in_the_key() -> None:
    err = error_of(build_arguments, [r"a\=b=x"], obj(**{"a=b": {"type": "array"}}))
    assert err.hint is not None
    assert r"a\=b:='[…]'" in err.hint


def test_property_not_in_schema_stays_a_string() -> None:
    assert build_arguments(["other=5"], obj(n={"type": "integer"})) == {"other": "5"}


def test_additional_properties_schema_coerces_unknown_keys() -> None:
    schema = {"type": "object", "additionalProperties": {"type": "integer"}}
    assert build_arguments(["anything=5"], schema) == {"anything": 5}


def test_no_schema_keeps_strings_as_strings() -> None:
    assert build_arguments(["n=5", "b=true"], None) == {"n": "5", "b": "true"}


@pytest.mark.parametrize("token", ['n:="5"', 'n:="abc"', "n:=[1]"])
def test_json_items_are_never_coerced(token: str) -> None:
    item = parse_item(token)
    assert build_arguments([token], obj(n={"type": "integer"})) == {"n": item.value}


def test_root_ref_and_all_of_find_the_properties() -> None:
    by_ref = {"$ref": "#/$defs/Args", "$defs": {"Args": obj(n={"type": "integer"})}}
    by_all_of = {"allOf": [{"description": "x"}, obj(n={"type": "integer"})]}
    assert build_arguments(["n=1"], by_ref) == {"n": 1}
    assert build_arguments(["n=1"], by_all_of) == {"n": 1}


def test_cyclic_ref_does_not_loop() -> None:
    schema = obj(n={"$ref": "#/$defs/A"})
    schema["$defs"] = {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}
    assert build_arguments(["n=1"], schema) == {"n": "1"}


@pytest.mark.parametrize(
    "schema", [None, obj(), obj(n={"type": "integer"}), obj(n={"type": ["integer", "null"]}), {"type": "object"}]
)
def test_repeated_key_is_an_error_naming_it_unless_the_schema_says_array(schema: dict[str, Any] | None) -> None:
    err = error_of(build_arguments, ["n=1", "x=0", "n:=2"], schema)
    assert err.message == "'n:=2': argument 'n' is given more than once (first as 'n=1')"
    assert err.exit_code == 2
    assert err.hint is not None and "tags=a tags=b" in err.hint


@pytest.mark.parametrize(
    ("prop", "items", "value"),
    [
        ({"type": "array", "items": {"type": "string"}}, ["tag=a", "tag=b"], ["a", "b"]),
        ({"type": "array", "items": {"type": "integer"}}, ["tag=1", "tag=2", "tag=3"], [1, 2, 3]),
        ({"type": "array"}, ["tag=1", "tag=b"], ["1", "b"]),
        ({"type": ["array", "null"], "items": {"type": "boolean"}}, ["tag=yes", "tag=0"], [True, False]),
        ({"anyOf": [{"type": "array", "items": {"type": "number"}}, {"type": "null"}]}, ["tag=1.5", "tag=2"], [1.5, 2]),
        ({"$ref": "#/$defs/Tags"}, ["tag=1", "tag=2"], [1, 2]),
        ({"type": "array", "items": {"type": "integer"}}, ["tag:=1", 'tag:="x"', "tag:=[2]"], [1, "x", [2]]),
        (
            {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "boolean"}]},
            ["t=1", "t=no", "t=z"],
            [1, False, "z"],
        ),
        ({"type": "array", "items": {"type": ["integer", "string"]}}, ["t=7", "t=07"], [7, "07"]),
    ],
)
def test_repeated_key_of_an_array_appends_each_value_coerced_by_the_items_schema(
    prop: dict[str, Any], items: list[str], value: list[Any]
) -> None:
    schema = obj(tag=prop, t=prop)
    schema["$defs"] = {"Tags": {"type": "array", "items": {"type": "integer"}}}
    key = items[0].split("=")[0].rstrip(":")
    assert build_arguments(items, schema, {key: ["base"]}) == {key: value}


def test_repeated_array_element_that_does_not_coerce_quotes_its_token() -> None:
    err = error_of(build_arguments, ["tag=1", "tag=x"], obj(tag={"type": "array", "items": {"type": "integer"}}))
    assert err.message == "'tag=x': expected integer for 'tag'"


def test_array_text_that_is_not_json_suggests_repeating_the_key() -> None:
    err = error_of(build_arguments, ["tags=a"], obj(tags={"type": "array"}))
    assert err.hint == "to pass JSON, use ':=': tags:='[…]', or give one element an item: tags=a tags=b"


def test_repeated_prompt_argument_is_an_error_naming_it() -> None:
    assert string_arguments(["code=x", "language=go"]) == {"code": "x", "language": "go"}
    err = error_of(string_arguments, ["code=x", "code=y"])
    assert err.message == "'code=y': argument 'code' is given more than once (first as 'code=x')"


def test_items_override_the_args_base_and_keep_its_other_keys() -> None:
    base = {"n": 1, "keep": [1]}
    assert build_arguments(["n=2"], obj(n={"type": "integer"}), base) == {"n": 2, "keep": [1]}
    assert base == {"n": 1, "keep": [1]}


def test_coerce_takes_parsed_items() -> None:
    items = [parse_item("n=5"), parse_item("s=5")]
    assert coerce(items, obj(n={"type": "integer"}), {"x": 0}) == {"x": 0, "n": 5, "s": "5"}


def test_build_arguments_with_no_items_is_the_base() -> None:
    assert build_arguments([], None) == {}
    assert build_arguments([], None, {"a": 1}) == {"a": 1}


# --------------------------------------------------------------------------- validation

TOOL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "n": {"type": "integer", "minimum": 1, "maximum": 10},
        "units": {"enum": ["metric", "imperial"]},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        "opts": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
        "name": {"type": "string", "minLength": 2, "pattern": "^[a-z]+$"},
        "mode": {"const": "fast"},
    },
    "required": ["message"],
    "additionalProperties": False,
}


def test_valid_arguments_pass() -> None:
    validate({"message": "hi", "n": 3, "units": "metric", "tags": ["a"], "opts": {"x": 1}}, TOOL_SCHEMA)


def test_no_schema_validates_nothing() -> None:
    validate({"anything": object()}, None)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "missing required argument 'message'"),
        ({"message": "hi", "n": "abc"}, "argument 'n': expected integer, got \"abc\""),
        ({"message": 5}, "argument 'message': expected string, got 5"),
        ({"message": "hi", "units": "kelvin"}, "argument 'units': must be one of: metric, imperial, got \"kelvin\""),
        ({"message": "hi", "extra": 1}, "unknown argument 'extra'"),
        ({"message": "hi", "n": 0}, "argument 'n': must be >= 1, got 0"),
        ({"message": "hi", "n": 11}, "argument 'n': must be <= 10, got 11"),
        ({"message": "hi", "tags": ["a", 1]}, "argument 'tags[1]': expected string, got 1"),
        ({"message": "hi", "tags": ["a", "b", "c"]}, "argument 'tags': must have at most 2 items"),
        ({"message": "hi", "opts": {}}, "missing required argument 'opts.x'"),
        ({"message": "hi", "opts": {"x": "1"}}, "argument 'opts.x': expected integer, got \"1\""),
        ({"message": "hi", "name": "a"}, "argument 'name': must have at least 2 characters"),
        ({"message": "hi", "name": "AB"}, 'argument \'name\': must match the pattern "^[a-z]+$", got "AB"'),
        ({"message": "hi", "mode": "slow"}, 'argument \'mode\': must be "fast", got "slow"'),
    ],
)
def test_validation_error_names_the_first_problem_readably(arguments: dict[str, Any], message: str) -> None:
    err = error_of(validate, arguments, TOOL_SCHEMA)
    assert err.message == message
    assert err.details == [message]
    assert err.hint == SCHEMA_HINT


def test_validation_collects_every_problem_sorted_by_path() -> None:
    err = error_of(validate, {"n": "abc", "zz": 1, "yy": 2, "tags": [1]}, TOOL_SCHEMA)
    assert err.message == "missing required argument 'message'"
    assert err.details == [
        "missing required argument 'message'",
        "unknown arguments 'zz', 'yy'",
        "argument 'n': expected integer, got \"abc\"",
        "argument 'tags[0]': expected string, got 1",
    ]


def test_nested_additional_property_is_named() -> None:
    schema = obj(opts={"type": "object", "properties": {}, "additionalProperties": False})
    err = error_of(validate, {"opts": {"y": 1}}, schema)
    assert err.message == "argument 'opts': unknown property 'y'"


@pytest.mark.parametrize(
    ("schema", "arguments", "message"),
    [
        (obj(n={"not": {"type": "integer"}}), {"n": 1}, "argument 'n': must not be integer, got 1"),
        (obj(n={"not": {"const": "x"}}), {"n": "x"}, 'argument \'n\': must not be "x", got "x"'),
        (obj(t={"minItems": 1}), {"t": []}, "argument 't': must have at least 1 item"),
        (obj(t={"maxItems": 1}), {"t": [1, 2]}, "argument 't': must have at most 1 item"),
        (obj(t={"minLength": 1}), {"t": ""}, "argument 't': must have at least 1 character"),
        (obj(t={"minLength": 3}), {"t": "ab"}, "argument 't': must have at least 3 characters"),
        (obj(o={"minProperties": 1}), {"o": {}}, "argument 'o': must have at least 1 property"),
        (obj(o={"maxProperties": 1}), {"o": {"a": 1, "b": {"c": None}}}, "argument 'o': must have at most 1 property"),
        (obj(n={"minimum": 1.5}), {"n": 1}, "argument 'n': must be >= 1.5, got 1"),
        (obj(n={"multipleOf": 0.5}), {"n": 0.7}, "argument 'n': must be a multiple of 0.5, got 0.7"),
        (obj(n={"pattern": "\\d+"}), {"n": "x"}, 'argument \'n\': must match the pattern "\\\\d+", got "x"'),
        (
            obj(n={"anyOf": [{"type": "integer"}, {"type": "null"}]}),
            {"n": "b"},
            "argument 'n': must be integer or null, got \"b\"",
        ),
        (
            obj(n={"anyOf": [{"type": "integer"}, {"const": "auto"}]}),
            {"n": "b"},
            'argument \'n\': must be integer or "auto", got "b"',
        ),
        (
            obj(n={"anyOf": [{"type": "integer"}, {"enum": ["a", 1]}]}),
            {"n": {"x": None}},
            'argument \'n\': must be integer or one of "a", 1, got {"x": null}',
        ),
        (
            obj(n={"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^a"}]}),
            {"n": "b"},
            'argument \'n\': must match the pattern "^a", got "b"',
        ),
        (
            obj(n={"anyOf": [{"type": "object", "properties": {"x": {"type": "integer"}}}, {"type": "null"}]}),
            {"n": {"x": "1"}},
            "argument 'n.x': expected integer, got \"1\"",
        ),
        (
            obj(n={"oneOf": [{"type": "integer"}, {"type": "boolean"}]}),
            {"n": "x"},
            "argument 'n': must be integer or boolean, got \"x\"",
        ),
        (
            obj(n={"oneOf": [{"type": "integer"}, {"type": "number"}]}),
            {"n": 1},
            "argument 'n': must fit exactly one of: integer or number; it fits more than one, got 1",
        ),
        ({"dependentRequired": {"a": ["b"]}}, {"a": 1}, "argument 'b' is required when 'a' is given"),
        (obj(o={"dependentRequired": {"a": ["b"]}}), {"o": {"a": 1}}, "argument 'o.b' is required when 'o.a' is given"),
        (
            obj(t={"contains": {"type": "integer"}}),
            {"t": ["x"]},
            "argument 't': must contain an item that is integer, got [\"x\"]",
        ),
        (
            obj(t={"contains": {"type": "integer"}, "minContains": 2}),
            {"t": [1]},
            "argument 't': must contain at least 2 items that are integer",
        ),
        (
            obj(t={"prefixItems": [{"type": "integer"}], "items": False}),
            {"t": [1, 2, 3]},
            "argument 't': must have at most 1 item, got 3",
        ),
        (
            obj(t={"prefixItems": [{}], "unevaluatedItems": False}),
            {"t": [1, 2]},
            "argument 't': has more items than the schema allows, got [1, 2]",
        ),
        (
            {"properties": {"a": {}}, "unevaluatedProperties": False},
            {"a": 1, "b": 2, "c": 3},
            "unknown arguments 'b', 'c'",
        ),
        (
            {"propertyNames": {"pattern": "^[a-z]+$"}},
            {"Bad": 1},
            'argument name must match the pattern "^[a-z]+$", got "Bad"',
        ),
        (
            obj(o={"propertyNames": {"maxLength": 2}}),
            {"o": {"abc": 1}},
            "argument 'o': property name must have at most 2 characters",
        ),
        ({"properties": {"n": False}}, {"n": 1}, "a value is not allowed here (its schema is false), got 1"),
        (
            {"$schema": "http://json-schema.org/draft-07/schema#", "dependencies": {"a": ["b"]}},
            {"a": 1},
            "argument 'b' is required when 'a' is given",
        ),
        (
            {"$schema": "http://json-schema.org/draft-07/schema#", **obj(t={"items": [{}], "additionalItems": False})},
            {"t": [1, 2]},
            "argument 't': must have at most 1 item, got 2",
        ),
        (
            {"$schema": "http://json-schema.org/draft-03/schema#", **obj(t={"disallow": "integer"})},
            {"t": 1},
            "argument 't': does not satisfy 'disallow': \"integer\", got 1",
        ),
    ],
)
def test_validation_messages_are_plain_words_with_json_values(
    schema: dict[str, Any], arguments: dict[str, Any], message: str
) -> None:
    assert error_of(validate, arguments, schema).message == message


def test_validation_type_union_is_readable() -> None:
    err = error_of(validate, {"n": "x"}, obj(n={"type": ["integer", "null"]}))
    assert err.message == "argument 'n': expected integer or null, got \"x\""


def test_validation_hint_names_the_target_when_given() -> None:
    err = error_of(validate, {}, TOOL_SCHEMA, target="everything.echo")
    assert err.hint == "see the tool's schema: mcpctl tools show everything.echo"


def test_validator_class_follows_dollar_schema() -> None:
    draft4 = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "properties": {"n": {"minimum": 5, "exclusiveMinimum": True}},
    }
    assert error_of(validate, {"n": 5}, draft4).message == "argument 'n': must be > 5, got 5"
    draft7 = {"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"n": {"exclusiveMinimum": 5}}}
    assert error_of(validate, {"n": 5}, draft7).message == "argument 'n': must be > 5, got 5"


def test_unknown_dollar_schema_defaults_to_draft_2020_12() -> None:
    schema = {"$schema": "https://example.test/custom", "prefixItems": [{"type": "integer"}]}
    validate({}, schema)
    schema = {"$schema": "https://example.test/custom", **obj(t={"prefixItems": [{"type": "integer"}]})}
    assert error_of(validate, {"t": ["x"]}, schema).message == "argument 't[0]': expected integer, got \"x\""


@pytest.mark.parametrize(
    "schema",
    [
        {"type": 5},
        {"type": "object", "properties": {"n": {"type": "nonsense"}}},
        {"properties": {"n": {"$ref": "#/$defs/Missing"}}},
        {"properties": {"n": {"$ref": "https://example.invalid/schema.json"}}},
        {"properties": {"n": {"pattern": "("}}},
        {"$schema": ["not", "hashable"]},
        {"required": "message"},
    ],
)
def test_broken_schema_validates_nothing(schema: dict[str, Any]) -> None:
    validate({"n": "x"}, schema)


# --------------------------------------------------------------------------- describing schemas


@pytest.mark.parametrize(
    ("schema", "required"),
    [
        (TOOL_SCHEMA, ["message"]),
        ({"type": "object", "required": ["a", "b", "a", 5]}, ["a", "b"]),
        ({"type": "object"}, []),
        ({"required": "a"}, []),
        (None, []),
        ({"$ref": "#/$defs/A", "$defs": {"A": {"properties": {}, "required": ["z"]}}}, ["z"]),
    ],
)
def test_describe_required_lists_required_argument_names(schema: dict[str, Any] | None, required: list[str]) -> None:
    assert describe_required(schema) == required


@pytest.mark.parametrize(
    ("prop", "text"),
    [
        ({"type": "integer"}, "integer"),
        ({"type": "string", "enum": ["a", "b"]}, "string (enum: a|b)"),
        ({"enum": ["a", "b"]}, "string (enum: a|b)"),
        ({"enum": [1, "a"]}, "any (enum: 1|a)"),
        ({"const": 3}, "integer (const: 3)"),
        ({"type": "array", "items": {"type": "string"}}, "array of string"),
        ({"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}, "array of array of integer"),
        ({"type": "array"}, "array"),
        ({"items": {"type": "number"}}, "array of number"),
        ({"type": ["integer", "null"]}, "integer|null"),
        ({"anyOf": [{"type": "integer"}, {"type": "null"}]}, "integer|null"),
        ({"oneOf": [{"type": "string"}, {"type": "string"}]}, "string"),
        ({"allOf": [{"description": "d"}, {"type": "boolean"}]}, "boolean"),
        ({"$ref": "#/$defs/Count"}, "integer"),
        ({"type": "string", "format": "date-time"}, "string (format: date-time)"),
        ({"properties": {}}, "object"),
        ({}, "any"),
        (True, "any"),
        (False, "never"),
    ],
)
def test_type_text_is_short_and_readable(prop: Any, text: str) -> None:
    assert type_text(prop, {"$defs": {"Count": {"type": "integer"}}}) == text


def test_schema_summary_has_one_row_per_argument() -> None:
    schema = {
        "type": "object",
        "properties": {
            "message": {"type": "string", "description": "What to echo"},
            "units": {"$ref": "#/$defs/Units"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["message", "ghost"],
        "$defs": {"Units": {"enum": ["metric", "imperial"], "description": "Unit system"}},
    }
    assert schema_summary(schema) == [
        ("message", "string", True, "What to echo"),
        ("units", "string (enum: metric|imperial)", False, "Unit system"),
        ("tags", "array of string", False, ""),
        ("ghost", "any", True, ""),
    ]


@pytest.mark.parametrize("schema", [None, {}, {"type": "object"}, {"properties": 5}])
def test_schema_summary_of_a_schema_without_properties_is_empty(schema: dict[str, Any] | None) -> None:
    assert schema_summary(schema) == []


# --------------------------------------------------------------------------- properties

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)
type_names = st.sampled_from(["string", "integer", "number", "boolean", "null", "array", "object", "nonsense"])
KEYS = ["a", "b", "n", "$defs"]


def _schemas(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {},
        optional={
            "type": type_names | st.lists(type_names, max_size=3) | json_values,
            "enum": st.lists(json_values, max_size=3) | json_values,
            "const": json_values,
            "anyOf": st.lists(children, max_size=3),
            "oneOf": st.lists(children, max_size=3) | json_values,
            "allOf": st.lists(children, max_size=3),
            "$ref": st.sampled_from(["#", "#/$defs/a", "#/$defs/b", "#/definitions/a", "#/x/0", "http://x"])
            | st.text(),
            "items": children,
            "properties": st.dictionaries(st.sampled_from(KEYS), children, max_size=3) | json_values,
            "required": st.lists(st.sampled_from(KEYS), max_size=3) | json_values,
            "additionalProperties": children,
            "$defs": st.dictionaries(st.sampled_from(["a", "b"]), children, max_size=2),
            "minimum": json_values,
            "pattern": st.sampled_from(["^a", "(", "[0-9]+"]),
            "$schema": st.sampled_from(["http://json-schema.org/draft-07/schema#", "x"]) | json_values,
        },
    )


schemas = st.recursive(st.booleans() | _schemas(st.just({})), _schemas, max_leaves=8)
tokens = st.builds(
    lambda key, sep, value: key + sep + value,
    st.sampled_from(KEYS) | st.text(max_size=4),
    st.sampled_from(["=", ":=", "", "\\=", "=\\@"]),
    st.sampled_from(["5", "5.0", "true", "null", "[1]", '{"a": 1}', "", "abc", "1e999"]) | st.text(max_size=10),
).filter(lambda token: "@" not in token.replace("\\@", ""))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(token=st.text().filter(lambda t: "@" not in t), schema=schemas)
def test_any_text_token_gives_a_dict_or_an_argument_error(token: str, schema: Any) -> None:
    with contextlib.suppress(ArgumentError):
        assert isinstance(build_arguments([token], schema), dict)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(tokens, max_size=4), schema=schemas, base=st.none() | st.dictionaries(st.text(), json_values))
def test_any_items_and_schema_give_a_dict_or_an_argument_error(items: list[str], schema: Any, base: Any) -> None:
    with contextlib.suppress(ArgumentError):
        assert isinstance(build_arguments(items, schema, base), dict)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(arguments=st.dictionaries(st.sampled_from(KEYS), json_values, max_size=3), schema=schemas)
def test_validate_returns_or_raises_an_argument_error(arguments: dict[str, Any], schema: Any) -> None:
    try:
        validate(arguments, schema)
    except ArgumentError as err:
        assert err.details
        assert err.message == err.details[0]


JSONSCHEMA_PHRASES = (
    "is not valid under",
    "should not be valid",
    "is a dependency of",
    "were unexpected",
    "schema does",
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    arguments=st.dictionaries(st.sampled_from(KEYS), st.integers() | st.booleans() | st.none(), max_size=3),
    schema=schemas,
)
def test_validation_messages_never_use_jsonschema_phrasing(arguments: dict[str, Any], schema: Any) -> None:
    try:
        validate(arguments, schema)
    except ArgumentError as err:
        assert not [p for p in err.details for phrase in JSONSCHEMA_PHRASES if phrase in p], err.details


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(schema=schemas)
def test_describing_any_schema_never_fails(schema: Any) -> None:
    assert all(isinstance(name, str) for name in describe_required(schema))
    for name, text, required, description in schema_summary(schema):
        assert isinstance(name, str) and isinstance(text, str) and text
        assert isinstance(required, bool) and isinstance(description, str)
    assert isinstance(type_text(schema), str)


@given(value=json_values)
def test_json_item_round_trips_any_json_value(value: Any) -> None:
    assert build_arguments(["k:=" + json.dumps(value)], obj(k={"type": "integer"})) == {"k": value}


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text() | st.from_regex(r"[+-]?[0-9. eE+-]{1,8}|true|false|null|yes|no|\[[0-9,]*\]", fullmatch=True),
    prop=st.sampled_from(UNIONS_WITH_STRING),
)
def test_text_a_string_branch_accepts_is_kept_or_spelt_exactly(text: str, prop: dict[str, Any]) -> None:
    schema = obj(x=prop)
    schema["$defs"] = {"Count": {"type": "integer"}}
    item = Item(key="x", raw=text, kind="string", value=text, token=f"x={text}")
    try:
        value = coerce([item], schema)["x"]
    except ArgumentError:  # only a string branch that rejects the text (maxLength) lets a mismatch through
        assert len(text) > 10
        return
    assert value == text or canonical_json(value) == text


@given(number=st.integers())
def test_integer_text_round_trips(number: int) -> None:
    assume(len(str(number)) < 4000)
    assert build_arguments([f"n={number}"], obj(n={"type": "integer"})) == {"n": number}


@given(key=st.text(min_size=1), value=st.text())
def test_escaped_key_round_trips(key: str, value: str) -> None:
    escaped = "".join("\\" + c if c in ":=\\" else c for c in key)
    assume(not value.startswith("\\@") and not value.startswith("@"))
    item = parse_item(f"{escaped}={value}")
    assert (item.key, item.value) == (key, value)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text())
def test_at_file_item_gives_the_exact_file_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(text.encode("utf-8"))
    assert parse_item(f"k=@{path}").value == text
