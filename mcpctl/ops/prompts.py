"""Prompts: the lister for ``prompts/list``, arguments checked before sending, rendering, and completion values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcpctl.core.errors import ProtocolError, UsageError
from mcpctl.ops.registry import lister
from mcpctl.sessions.session import Session

PROMPTS = lister("list_prompts", "prompts", "prompts")


def check_prompt_arguments(prompt: Any, values: Mapping[str, str], server: str, profile_server: bool = True) -> None:
    """Required prompt arguments present, no unknown ones; exit 2 naming them."""
    name = f"{server}.{prompt.name}" if profile_server else prompt.name
    declared = {a.name: a for a in (prompt.arguments or [])}
    missing = [n for n, a in declared.items() if a.required and n not in values]
    if missing:
        raise UsageError(
            f"prompt '{prompt.name}' needs argument{'s' if len(missing) > 1 else ''}: {', '.join(missing)}",
            hint=f"mcpctl prompts get {name} " + " ".join(f"{n}=VALUE" for n in missing),
            server=server,
        )
    unknown = [n for n in values if declared and n not in declared]
    if unknown:
        raise UsageError(
            f"prompt '{prompt.name}' has no argument{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            hint=f"its arguments: {', '.join(declared) or 'none'}",
            server=server,
        )


async def get_prompt(session: Session, name: str, values: Mapping[str, str]) -> dict[str, Any]:
    """``prompts/get`` → the wire result."""
    result = await session.guarded(session.client.get_prompt(name, dict(values)))
    return session.wire(result)


async def complete_argument(session: Session, ref: dict[str, str], argument: str, prefix: str) -> list[str]:
    """``completion/complete`` values for one argument of a prompt or resource template ([] when unsupported)."""
    from mcp.types import PromptReference, ResourceTemplateReference

    reference: Any = (
        PromptReference(type="ref/prompt", name=ref["name"])
        if ref["type"] == "prompt"
        else ResourceTemplateReference(type="ref/resource", uri=ref["uri"])
    )
    try:
        result = await session.guarded(session.client.complete(reference, {"name": argument, "value": prefix}))
    except ProtocolError:
        return []
    return [str(v) for v in result.completion.values]
