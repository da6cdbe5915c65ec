"""A batch line's ``expect``: what its result must show (isError, text, a structuredContent path)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


def check_expectation(expect: dict[str, Any], result: dict[str, Any]) -> str | None:
    """Why ``result`` does not meet ``expect``, or None when it does."""
    if "isError" in expect and bool(result.get("isError")) != expect["isError"]:
        return f"expected isError {str(expect['isError']).lower()}, got {str(bool(result.get('isError'))).lower()}"
    text = "\n".join(b.get("text", "") for b in result.get("content", []) if b.get("type") == "text")
    if "contains" in expect and expect["contains"] not in text:
        return f"expected the text to contain {expect['contains']!r}, got {_short(text)!r}"
    if "text" in expect and text != expect["text"]:
        return f"expected the text {expect['text']!r}, got {_short(text)!r}"
    if "path" in expect:
        found, value = _at_path(result.get("structuredContent"), expect["path"])
        if not found:
            return f"expected structuredContent.{expect['path']} to exist"
        if value != expect["equals"]:
            wanted = json.dumps(expect["equals"])
            return f"expected structuredContent.{expect['path']} == {wanted}, got {json.dumps(value)}"
    return None


def _at_path(data: Any, path: str) -> tuple[bool, Any]:
    for part in [p for p in path.replace("[", ".").replace("]", "").split(".") if p]:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return False, None
    return True, data


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
