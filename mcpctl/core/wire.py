"""MCP objects as the protocol spells them, and JSON text as mcpctl writes it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def dump_json(data: Any, indent: int | None = None) -> str:
    """JSON text; non-JSON values (bytes, paths) become strings."""
    separators = None if indent else (",", ":")
    return json.dumps(data, ensure_ascii=False, indent=indent, separators=separators, default=str)


def wire(model: Any) -> Any:
    """An SDK model as the protocol spells it: camelCase, and only the fields that were set.

    A model parsed from a message carries exactly the keys that came over the wire (an explicit
    ``null`` included); the SDK's defaults (``ttlMs``, ``cacheScope``…) were never sent, so they stay out.
    A model the SDK built itself keeps its ``type`` tag (``TextContent(text=…)`` is still ``"type": "text"``).
    """
    if hasattr(model, "model_dump"):
        return _with_tags(model, model.model_dump(by_alias=True, mode="json", exclude_unset=True))
    if isinstance(model, Mapping):
        return {k: wire(v) for k, v in model.items()}
    if isinstance(model, list | tuple):
        return [wire(v) for v in model]
    return model


#: Tags that every protocol revision requires, so a model that lacks them was built by the SDK, not parsed.
_TAGS = frozenset({"type"})


def _with_tags(model: Any, data: Any) -> Any:
    """``data`` (the model's ``exclude_unset`` dump) with the unset ``type`` tags of nested models put back."""
    fields = getattr(type(model), "model_fields", None)
    if isinstance(fields, Mapping) and isinstance(data, dict):
        out: dict[str, Any] = {}
        for name, info in fields.items():
            key = info.serialization_alias or info.alias or name
            if key in data:
                out[key] = _with_tags(getattr(model, name, None), data[key])
            elif key in _TAGS and name not in model.model_fields_set and isinstance(info.default, str):
                out[key] = info.default
        return out | {k: v for k, v in data.items() if k not in out}
    if isinstance(model, list | tuple) and isinstance(data, list) and len(model) == len(data):
        return [_with_tags(m, d) for m, d in zip(model, data, strict=True)]
    if isinstance(model, Mapping) and isinstance(data, dict):
        return {k: _with_tags(model.get(k), v) for k, v in data.items()}
    return data
