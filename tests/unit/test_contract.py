"""core.contract: every rule of the contract classifier, over pairs of schemas and surfaces."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mcpctl.core.contract import compare, lock_text, parse_lock, surface_entry


def entry(tool: dict[str, Any] | None = None, **tables: Any) -> dict[str, Any]:
    """A one-server lock entry with one tool ``t`` (and whatever other tables are given)."""
    tools = [] if tool is None else [{"name": "t", "inputSchema": {"type": "object"}, **tool}]
    return surface_entry(
        tools=tools,
        resources=tables.get("resources", []),
        templates=tables.get("templates", []),
        prompts=tables.get("prompts", []),
        server_info=tables.get("server_info"),
        protocol=tables.get("protocol", "2025-11-25"),
    )


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(c.level, c.path, c.message) for c in compare({"s": old}, {"s": new})]


def obj(props: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, **({"required": required} if required else {}), **extra}


def levels(old_schema: dict[str, Any], new_schema: dict[str, Any], key: str = "inputSchema") -> set[str]:
    return {level for level, _, _ in changes(entry({key: old_schema}), entry({key: new_schema}))}


# (rule, old input schema, new input schema, expected classes)
INPUT_RULES = [
    ("new required property", obj({"a": {}}), obj({"a": {}, "b": {}}, ["b"]), {"breaking"}),
    ("existing property made required", obj({"a": {}}), obj({"a": {}}, ["a"]), {"breaking"}),
    ("required property made optional", obj({"a": {}}, ["a"]), obj({"a": {}}), {"compatible"}),
    ("optional property added", obj({"a": {}}), obj({"a": {}, "b": {"type": "string"}}), {"compatible"}),
    ("property removed", obj({"a": {}, "b": {}}), obj({"a": {}}), {"breaking"}),
    ("integer <- number", obj({"n": {"type": "number"}}), obj({"n": {"type": "integer"}}), {"breaking"}),
    ("number <- integer", obj({"n": {"type": "integer"}}), obj({"n": {"type": "number"}}), {"compatible"}),
    ("type union narrowed", obj({"n": {"type": ["string", "null"]}}), obj({"n": {"type": "string"}}), {"breaking"}),
    ("type changed", obj({"n": {"type": "string"}}), obj({"n": {"type": "boolean"}}), {"breaking"}),
    ("enum value removed", obj({"e": {"enum": ["a", "b"]}}), obj({"e": {"enum": ["a"]}}), {"breaking"}),
    ("enum widened", obj({"e": {"enum": ["a"]}}), obj({"e": {"enum": ["a", "b"]}}), {"compatible"}),
    ("enum added", obj({"e": {"type": "string"}}), obj({"e": {"type": "string", "enum": ["a"]}}), {"breaking"}),
    ("additionalProperties closed", obj({}), obj({}, additionalProperties=False), {"breaking"}),
    ("additionalProperties opened", obj({}, additionalProperties=False), obj({}), {"compatible"}),
    ("minimum raised", obj({"n": {"minimum": 0}}), obj({"n": {"minimum": 1}}), {"breaking"}),
    ("minimum lowered", obj({"n": {"minimum": 1}}), obj({"n": {"minimum": 0}}), {"compatible"}),
    ("maxLength tightened", obj({"s": {"maxLength": 10}}), obj({"s": {"maxLength": 5}}), {"breaking"}),
    ("maxLength loosened", obj({"s": {"maxLength": 5}}), obj({"s": {"maxLength": 10}}), {"compatible"}),
    ("maximum added", obj({"n": {}}), obj({"n": {"maximum": 3}}), {"breaking"}),
    ("maximum removed", obj({"n": {"maximum": 3}}), obj({"n": {}}), {"compatible"}),
    ("pattern added", obj({"s": {}}), obj({"s": {"pattern": "^a"}}), {"breaking"}),
    ("description of a property", obj({"s": {"description": "x"}}), obj({"s": {"description": "y"}}), {"info"}),
    ("nested object property removed", obj({"o": obj({"x": {}, "y": {}})}), obj({"o": obj({"x": {}})}), {"breaking"}),
    (
        "array items narrowed",
        obj({"l": {"items": {"type": "number"}}}),
        obj({"l": {"items": {"type": "integer"}}}),
        {"breaking"},
    ),
    (
        "anyOf branch removed",
        obj({"v": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}),
        obj({"v": {"anyOf": [{"type": "string"}]}}),
        {"breaking"},
    ),
    (
        "anyOf branch added",
        obj({"v": {"anyOf": [{"type": "string"}]}}),
        obj({"v": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}),
        {"compatible"},
    ),
    (
        "oneOf branches swapped for others",
        obj({"v": {"oneOf": [{"type": "string"}]}}),
        obj({"v": {"oneOf": [{"type": "integer"}]}}),
        {"breaking"},
    ),
    ("unknown keyword: conservative", obj({"v": {"x-rule": 1}}), obj({"v": {"x-rule": 2}}), {"breaking"}),
]


@pytest.mark.parametrize(("rule", "old", "new", "expected"), INPUT_RULES, ids=[r[0] for r in INPUT_RULES])
def test_input_schema_rule(rule: str, old: dict[str, Any], new: dict[str, Any], expected: set[str]) -> None:
    assert levels(old, new) == expected


OUTPUT_RULES = [
    ("output property removed", obj({"a": {}, "b": {}}), obj({"a": {}}), {"breaking"}),
    ("output property added", obj({"a": {}}), obj({"a": {}, "b": {}}), {"compatible"}),
    ("output type loosened", obj({"n": {"type": "integer"}}), obj({"n": {"type": "number"}}), {"breaking"}),
    ("output type narrowed", obj({"n": {"type": "number"}}), obj({"n": {"type": "integer"}}), {"compatible"}),
    ("output property no longer guaranteed", obj({"a": {}}, ["a"]), obj({"a": {}}), {"breaking"}),
    ("output enum widened", obj({"e": {"enum": ["a"]}}), obj({"e": {"enum": ["a", "b"]}}), {"breaking"}),
]


@pytest.mark.parametrize(("rule", "old", "new", "expected"), OUTPUT_RULES, ids=[r[0] for r in OUTPUT_RULES])
def test_output_schema_rule(rule: str, old: dict[str, Any], new: dict[str, Any], expected: set[str]) -> None:
    assert levels(old, new, "outputSchema") == expected


def test_output_schema_removed_is_breaking_and_added_is_compatible() -> None:
    with_output = entry({"outputSchema": obj({"a": {}})})
    assert changes(with_output, entry({}))[0][0] == "breaking"
    assert changes(entry({}), with_output)[0][0] == "compatible"


def test_refs_are_compared_by_what_they_point_at() -> None:
    old = {
        "type": "object",
        "properties": {"n": {"$ref": "#/$defs/n"}},
        "$defs": {"n": {"type": "integer", "maximum": 9}},
    }
    same_inline = obj({"n": {"type": "integer", "maximum": 9}})
    tighter = {
        "type": "object",
        "properties": {"n": {"$ref": "#/$defs/m"}},
        "$defs": {"m": {"type": "integer", "maximum": 5}},
    }
    assert levels(old, same_inline) == set()
    assert changes(entry({"inputSchema": old}), entry({"inputSchema": tighter})) == [
        ("breaking", "inputSchema.properties.n.maximum", "maximum tightened")
    ]


def test_a_recursive_ref_does_not_loop_and_a_change_beside_it_is_found() -> None:
    tree = {
        "type": "object",
        "properties": {"kids": {"type": "array", "items": {"$ref": "#"}}, "v": {"type": "number"}},
    }
    narrowed = json.loads(json.dumps(tree))
    narrowed["properties"]["v"]["type"] = "integer"
    assert levels(tree, tree) == set()
    assert levels(tree, narrowed) == {"breaking"}


def test_all_of_that_only_adds_properties_is_merged() -> None:
    split = {"allOf": [obj({"a": {"type": "string"}}, ["a"]), obj({"b": {"type": "integer"}})]}
    merged = obj({"a": {"type": "string"}, "b": {"type": "integer"}}, ["a"])
    assert levels(split, merged) == set()
    assert levels(
        split, {"allOf": [obj({"a": {"type": "string"}}, ["a"]), obj({"b": {"type": "integer"}}, ["b"])]}
    ) == {"breaking"}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"readOnlyHint": True}, {}, "breaking"),
        ({}, {"readOnlyHint": True}, "compatible"),
        ({"destructiveHint": False}, {}, "breaking"),  # a missing destructiveHint means true
        ({"destructiveHint": True}, {"destructiveHint": False}, "compatible"),
        ({"idempotentHint": True}, {"idempotentHint": False}, "breaking"),
        ({"title": "A"}, {"title": "B"}, "info"),
    ],
)
def test_annotation_rules(old: dict[str, Any], new: dict[str, Any], expected: str) -> None:
    found = changes(entry({"annotations": old}), entry({"annotations": new}))
    assert [level for level, _, _ in found] == [expected]


def test_tool_title_and_description_changes_are_info() -> None:
    found = changes(entry({"title": "A", "description": "x"}), entry({"title": "B", "description": "y"}))
    assert {(level, path) for level, path, _ in found} == {("info", "title"), ("info", "description")}


def test_removed_and_added_items_of_every_kind() -> None:
    full = entry(
        {},
        resources=[{"uri": "r://1", "name": "one"}],
        templates=[{"uriTemplate": "t://{x}", "name": "tpl"}],
        prompts=[{"name": "p", "arguments": []}],
    )
    empty = surface_entry(tools=[], resources=[], templates=[], prompts=[], server_info=None, protocol="2025-11-25")
    removed = compare({"s": full}, {"s": empty})
    assert {(c.level, c.kind) for c in removed} == {
        ("breaking", "tool"),
        ("breaking", "resource"),
        ("breaking", "template"),
        ("breaking", "prompt"),
    }
    assert {c.level for c in compare({"s": empty}, {"s": full})} == {"compatible"}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ([{"name": "a"}], [{"name": "a", "required": True}], "breaking"),
        ([{"name": "a", "required": True}], [{"name": "a"}], "compatible"),
        ([], [{"name": "b", "required": True}], "breaking"),
        ([], [{"name": "b"}], "compatible"),
        ([{"name": "a"}], [], "breaking"),
        ([{"name": "a", "description": "x"}], [{"name": "a", "description": "y"}], "info"),
    ],
)
def test_prompt_argument_rules(old: list[dict[str, Any]], new: list[dict[str, Any]], expected: str) -> None:
    found = compare(
        {"s": entry(prompts=[{"name": "p", "arguments": old}])}, {"s": entry(prompts=[{"name": "p", "arguments": new}])}
    )
    assert [c.level for c in found] == [expected]


def test_resource_mime_type_change_is_breaking_and_name_change_is_info() -> None:
    old = entry(resources=[{"uri": "r://1", "name": "one", "mimeType": "text/plain"}])
    new = entry(resources=[{"uri": "r://1", "name": "uno", "mimeType": "application/json"}])
    assert {(c.level, c.path) for c in compare({"s": old}, {"s": new})} == {("breaking", "mimeType"), ("info", "name")}


def test_server_info_version_is_info() -> None:
    old = entry(server_info={"name": "x", "version": "1"})
    new = entry(server_info={"name": "x", "version": "2"})
    assert [(c.level, c.path) for c in compare({"s": old}, {"s": new})] == [("info", "serverInfo")]


def test_lock_text_is_stable_sorted_and_ends_with_a_newline() -> None:
    a = entry({"inputSchema": obj({"b": {}, "a": {}}, ["b", "a"]), "annotations": {"readOnlyHint": True}})
    text = lock_text({"s": a})
    assert text.endswith("}\n") and "  " in text
    assert text == lock_text(json.loads(json.dumps({"s": a})))
    assert json.loads(text)["servers"]["s"]["tools"]["t"]["inputSchema"]["required"] == ["a", "b"]
    assert parse_lock(text, "x") == json.loads(text)["servers"]


@pytest.mark.parametrize("text", ["", "[]", '{"servers": {}}', '{"lockVersion": 99, "servers": {}}'])
def test_a_file_that_is_not_a_lock_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_lock(text, "f.lock")
