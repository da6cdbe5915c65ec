"""``core.wire.wire``: SDK models as the protocol spells them, with exactly the fields that were set."""

from __future__ import annotations

from mcp.types import (
    CallToolResult,
    EmbeddedResource,
    ReadResourceResult,
    TextContent,
    TextResourceContents,
    Tool,
)

from mcpctl.core.wire import wire


def test_parsed_model_dumps_the_keys_that_were_sent_and_no_defaults() -> None:
    sent = {"contents": [{"uri": "demo://readme", "text": "hi"}]}
    assert wire(ReadResourceResult.model_validate(sent)) == sent  # no ttlMs, cacheScope, mimeType


def test_an_explicit_null_that_was_sent_is_kept() -> None:
    sent = {"name": "t", "title": None, "inputSchema": {"type": "object"}}
    assert wire(Tool.model_validate(sent)) == sent


def test_a_default_value_that_was_sent_is_kept() -> None:
    sent = {"content": [], "isError": False}
    assert wire(CallToolResult.model_validate(sent)) == sent


def test_a_model_the_sdk_built_keeps_its_type_tags() -> None:
    built = CallToolResult(
        content=[TextContent(text="y"), EmbeddedResource(resource=TextResourceContents(uri="a://b", text="t"))]
    )
    assert wire(built) == {
        "content": [{"type": "text", "text": "y"}, {"type": "resource", "resource": {"uri": "a://b", "text": "t"}}]
    }
    assert wire({"blocks": [TextContent(text="q")]}) == {"blocks": [{"type": "text", "text": "q"}]}
