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
    """An SDK model as the protocol spells it (camelCase, no nulls)."""
    if hasattr(model, "model_dump"):
        return model.model_dump(by_alias=True, mode="json", exclude_none=True)
    if isinstance(model, Mapping):
        return {k: wire(v) for k, v in model.items()}
    if isinstance(model, list | tuple):
        return [wire(v) for v in model]
    return model
