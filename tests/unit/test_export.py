"""core.export: names valid for LLM APIs, the three tool formats, and Gemini's schema subset."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mcpctl.core.export import MAX_NAME, export_name, export_names, export_tools, gemini_schema

VALID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def tool(server: str, name: str, schema: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"server": server, "name": name, "inputSchema": schema or {"type": "object"}, **extra}


def test_names_are_server_double_underscore_tool_with_invalid_characters_replaced() -> None:
    assert export_name("demo", "echo") == "demo__echo"
    assert export_name("my.server", "get/item v2") == "my_server__get_item_v2"
    assert VALID.match(export_name("ünï", "çödé"))


def test_long_names_keep_their_start_and_get_a_stable_hash() -> None:
    name = export_name("server", "t" * 100)
    assert len(name) == MAX_NAME and VALID.match(name)
    assert name.startswith("server__ttt")
    assert name == export_name("server", "t" * 100)  # stable
    assert name != export_name("server", "t" * 101)


def test_names_that_collide_after_cleaning_are_told_apart() -> None:
    names = export_names([("a", "x-y"), ("a", "x_y"), ("b", "z")])
    assert len(set(names.values())) == 3
    assert names[("b", "z")] == "b__z"
    assert all(VALID.match(n) for n in names.values())


def test_gemini_names_start_with_a_letter_or_underscore() -> None:
    assert export_name("9lives", "t", gemini=True) == "_9lives__t"
    assert export_name("9lives", "t") == "9lives__t"


def test_anthropic_and_openai_shapes_keep_the_schema_untouched() -> None:
    schema = {
        "type": "object",
        "properties": {"q": {"type": "string"}},
        "$defs": {"x": {}},
        "additionalProperties": False,
    }
    tools = [tool("s", "find", schema, description="Find things.")]
    anthropic, mapping = export_tools(tools, "anthropic")
    assert anthropic == [{"name": "s__find", "description": "Find things.", "input_schema": schema}]
    assert mapping == {"s__find": "s.find"}
    openai, _ = export_tools(tools, "openai")
    assert openai == [
        {"type": "function", "function": {"name": "s__find", "description": "Find things.", "parameters": schema}}
    ]


def test_mcp_format_is_the_tools_as_listed() -> None:
    tools = [tool("s", "find", annotations={"readOnlyHint": True})]
    exported, mapping = export_tools(tools, "mcp")
    assert exported == tools and mapping == {"s.find": "s.find"}


def test_gemini_inlines_refs_and_drops_what_it_does_not_accept() -> None:
    schema = {
        "type": "object",
        "properties": {"where": {"$ref": "#/$defs/place"}, "n": {"type": "integer", "exclusiveMinimum": 0}},
        "required": ["where"],
        "additionalProperties": False,
        "$defs": {"place": {"type": "object", "properties": {"city": {"type": "string"}}, "title": "Place"}},
    }
    assert gemini_schema(schema) == {
        "type": "object",
        "properties": {
            "where": {"type": "object", "properties": {"city": {"type": "string"}}},
            "n": {"type": "integer"},
        },
        "required": ["where"],
    }


def test_gemini_turns_nullable_unions_into_nullable() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": ["string", "null"]},
            "b": {"anyOf": [{"type": "integer"}, {"type": "null"}], "description": "maybe"},
            "c": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        },
    }
    props = gemini_schema(schema)["properties"]
    assert props["a"] == {"type": "string", "nullable": True}
    assert props["b"] == {"type": "integer", "nullable": True, "description": "maybe"}
    assert props["c"] == {"anyOf": [{"type": "string"}, {"type": "integer"}]}


def test_gemini_enums_are_strings_and_const_is_a_one_value_enum() -> None:
    schema = {"type": "object", "properties": {"u": {"const": "kelvin"}, "n": {"enum": [1, 2]}}}
    props = gemini_schema(schema)["properties"]
    assert props["u"] == {"enum": ["kelvin"], "type": "string"}
    assert props["n"] == {"description": "one of: 1, 2"}


def test_gemini_recursive_ref_becomes_a_free_object() -> None:
    schema = {"type": "object", "properties": {"child": {"$ref": "#"}}}
    assert gemini_schema(schema)["properties"]["child"] == {"type": "object", "description": "see #"}


def test_gemini_merges_all_of_branches() -> None:
    schema = {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            {"properties": {"b": {"type": "boolean"}}},
        ]
    }
    assert gemini_schema(schema) == {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "boolean"}},
        "required": ["a"],
    }


@pytest.mark.parametrize("fmt", ["anthropic", "openai", "gemini"])
def test_every_exported_name_is_valid_and_maps_back(fmt: str) -> None:
    tools = [tool("files-1", "read file"), tool("files.1", "read-file"), tool("x" * 70, "y" * 70)]
    exported, mapping = export_tools(tools, fmt)
    names = [t["function"]["name"] if fmt == "openai" else t["name"] for t in exported]
    assert len(set(names)) == 3 and all(VALID.match(n) for n in names)
    assert sorted(mapping.values()) == sorted(f"{t['server']}.{t['name']}" for t in tools)
