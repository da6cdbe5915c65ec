"""`--elicit`: accept-defaults fills a form from the schema's defaults, decline declines, prompt needs a terminal."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp.types import ElicitRequestFormParams, ElicitRequestURLParams

from mcpctl.core.errors import UsageError
from mcpctl.sessions.elicit import Elicitor, defaults_of
from mcpctl.sessions.options import SessionOptions

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "default": "Ada"},
        "age": {"type": "integer", "default": 36},
        "note": {"type": "string"},
    },
    "required": ["name"],
}


def answer(mode: str, params: Any) -> Any:
    return anyio.run(Elicitor(mode, "srv").__call__, None, params)


def form(schema: dict[str, Any]) -> ElicitRequestFormParams:
    return ElicitRequestFormParams(message="Who are you?", requested_schema=schema)


def test_defaults_of_takes_each_property_default() -> None:
    assert defaults_of(SCHEMA) == {"name": "Ada", "age": 36}


def test_accept_defaults_accepts_with_the_defaults() -> None:
    result = answer("accept-defaults", form(SCHEMA))
    assert result.action == "accept"
    assert result.content == {"name": "Ada", "age": 36}


def test_accept_defaults_declines_when_a_required_field_has_no_default() -> None:
    schema = {**SCHEMA, "required": ["note"]}
    assert answer("accept-defaults", form(schema)).action == "decline"


def test_decline_declines() -> None:
    assert answer("decline", form(SCHEMA)).action == "decline"


def test_prompt_without_a_terminal_declines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert answer("prompt", form(SCHEMA)).action == "decline"


def test_url_requests_are_declined() -> None:
    params = ElicitRequestURLParams(message="Log in", url="https://example.test/login", elicitation_id="e1")
    assert answer("accept-defaults", params).action == "decline"


def test_unknown_mode_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown --elicit mode 'yes'"):
        SessionOptions(elicit="yes")
