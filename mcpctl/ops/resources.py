"""Resources: the listers for ``resources/list`` and ``resources/templates/list``, URI templates, reading."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from mcpctl.core.errors import UsageError
from mcpctl.ops.registry import lister
from mcpctl.sessions.session import Session

RESOURCES = lister("list_resources", "resources", "resources")
TEMPLATES = lister("list_resource_templates", "resource_templates", "resources")


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


async def read_resource(session: Session, uri: str) -> dict[str, Any]:
    """``resources/read`` → the wire result."""
    result = await session.guarded(session.client.read_resource(uri))
    return session.wire(result)
