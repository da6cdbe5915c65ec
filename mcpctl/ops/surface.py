"""Resources and prompts: listing across servers, URI templates, reading, prompt arguments, completion."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from mcpctl.core.args import parse_item
from mcpctl.core.errors import ProtocolError, UsageError
from mcpctl.core.wire import dump_json
from mcpctl.sessions.session import Session

Lister = Callable[[Session], Awaitable[list[Any]]]


def lister(method: str, field: str, capability: str) -> Lister:
    """A lister for ``resources/list``, ``resources/templates/list`` or ``prompts/list``.

    A server that does not advertise the capability has none (not an error).
    """

    async def run(session: Session) -> list[Any]:
        if getattr(session.client.server_capabilities, capability, None) is None:
            return []
        fetch = getattr(session.client, method)
        try:
            return await session.paginate(lambda cursor: fetch(cursor=cursor), field)
        except ProtocolError as error:
            if error.code == -32601:
                return []
            raise

    return run


RESOURCES = lister("list_resources", "resources", "resources")
TEMPLATES = lister("list_resource_templates", "resource_templates", "resources")
PROMPTS = lister("list_prompts", "prompts", "prompts")


# --------------------------------------------------------------------------- URI templates (RFC 6570, levels 1-3)

_EXPR = re.compile(r"\{([+#./;?&]?)([^}]+)\}")
_RESERVED = ":/?#[]@!$&'()*+,;="


def template_variables(template: str) -> list[str]:
    """The variable names of a URI template, in order."""
    names: list[str] = []
    for match in _EXPR.finditer(template):
        for var in match.group(2).split(","):
            name = var.strip().rstrip("*").split(":")[0]
            if name and name not in names:
                names.append(name)
    return names


def expand_template(template: str, values: Mapping[str, str]) -> str:
    """Expand ``{var}``, ``{+var}``, ``{#var}``, ``{/var}``, ``{.var}``, ``{;var}``, ``{?a,b}``, ``{&a}``."""
    missing = [n for n in template_variables(template) if n not in values]
    if missing:
        raise UsageError(
            f"the URI template {template} needs: {', '.join(missing)}",
            hint=" ".join(f"{n}=VALUE" for n in missing),
        )

    def expand(match: re.Match[str]) -> str:
        op, names = match.group(1), [v.strip().rstrip("*").split(":")[0] for v in match.group(2).split(",")]
        safe = _RESERVED if op in ("+", "#") else ""
        parts = [(n, quote(values[n], safe=safe)) for n in names]
        if op in ("?", "&", ";"):
            joiner = "&" if op in ("?", "&") else ";"
            return op + joiner.join(f"{n}={v}" for n, v in parts)
        prefix = {"#": "#", "/": "/", ".": "."}.get(op, "")
        sep = {"/": "/", ".": "."}.get(op, ",")
        return prefix + sep.join(v for _, v in parts)

    return _EXPR.sub(expand, template)


def string_arguments(items: Sequence[str]) -> dict[str, str]:
    """``key=value`` / ``key=@file`` items as strings (prompt and template arguments are strings)."""
    values: dict[str, str] = {}
    for token in items:
        item = parse_item(token)
        values[item.key] = item.value if isinstance(item.value, str) else dump_json(item.value)
    return values


# --------------------------------------------------------------------------- reading and getting


async def read_resource(session: Session, uri: str) -> dict[str, Any]:
    """``resources/read`` → the wire result."""
    result = await session.guarded(session.client.read_resource(uri))
    return session.wire(result)


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
