"""Plain-text renderings and secret-free views of profile entries, tools and servers."""

from __future__ import annotations

import json
import re
from typing import Any

from mcpctl.profile import ServerConfig
from mcpctl.secrets import MASK, is_secret_name, mask_mapping, mask_url

_SECRET_FLAG = re.compile(r"^(--?[\w-]*(token|secret|passw(or)?d|key|auth|credential)[\w-]*)(=(.*))?$", re.IGNORECASE)


def mask_args(args: tuple[str, ...] | list[str]) -> list[str]:
    """Arguments with the values of secret-looking flags (``--api-key X``, ``--token=X``) masked."""
    masked: list[str] = []
    hide_next = False
    for arg in args:
        if hide_next and not arg.startswith("-"):
            masked.append(MASK)
            hide_next = False
            continue
        hide_next = False
        match = _SECRET_FLAG.match(arg)
        if match and match.group(4):
            masked.append(f"{match.group(1)}={MASK}")
        else:
            masked.append(arg)
            hide_next = bool(match)
    return masked


def config_view(config: ServerConfig) -> dict[str, Any]:
    """A server's configuration as JSON-able data, secrets masked, ``${VAR}`` left unexpanded."""
    view: dict[str, Any] = {"name": config.name, "transport": config.transport, "enabled": config.enabled}
    if config.command is not None:
        args = mask_args(config.args)
        view |= {"command": config.command, "args": args, "target": " ".join([config.command, *args])}
        if config.env:
            view["env"] = mask_mapping(config.env)
        if not config.env_inherit:
            view["env_inherit"] = False
            view["env_vars"] = list(config.env_vars)
        if config.cwd:
            view["cwd"] = config.cwd
    else:
        url = mask_url(config.url or "")
        view |= {"url": url, "target": url}
        headers = {k: (MASK if is_secret_name(k) else v) for k, v in config.http_headers.items()}
        headers |= {k: f"{MASK} (from ${v})" for k, v in config.env_http_headers.items()}
        if config.bearer_token_env_var:
            headers["Authorization"] = f"Bearer {MASK} (from ${config.bearer_token_env_var})"
        if headers:
            view["headers"] = headers
    if config.enabled_tools is not None:
        view["enabled_tools"] = list(config.enabled_tools)
    if config.disabled_tools:
        view["disabled_tools"] = list(config.disabled_tools)
    settings = {k: v for k, v in vars(config.settings).items() if v is not None}
    if settings:
        view["settings"] = settings
    return view


def render_config(view: dict[str, Any]) -> str:
    """``key: value`` lines for ``servers show``."""
    lines = []
    for key, value in view.items():
        if key == "target":
            continue
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k}: {v}" for k, v in value.items()]
        elif isinstance(value, list):
            lines.append(f"{key}: {' '.join(value) if key == 'args' else ', '.join(map(str, value))}")
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines) + "\n"


def render_inspect(info: dict[str, Any]) -> str:
    """The human view of ``servers inspect``."""
    server_info = info.get("serverInfo") or {}
    name = server_info.get("name", "?")
    version = server_info.get("version", "?")
    lines = [
        f"server:     {info['server']}",
        f"serverInfo: {name} {version}" + (f" ({server_info['title']})" if server_info.get("title") else ""),
        f"protocol:   {info['protocolVersion']}",
        f"transport:  {info['transport']}  {info['target']}",
        f"connected:  {info['connect_ms']:.0f} ms",
    ]
    caps = info.get("capabilities") or {}
    offered = [k for k, v in caps.items() if v is not None and k != "experimental"]
    lines.append(f"capabilities: {', '.join(offered) if offered else 'none'}")
    counts = info["counts"]
    shown = [f"{k}={v}" for k, v in counts.items() if v is not None]
    lines.append(f"counts:     {' '.join(shown) if shown else 'none'}")
    if info.get("instructions"):
        lines.append("instructions:")
        lines += [f"  {line}" for line in str(info["instructions"]).splitlines()]
    return "\n".join(lines) + "\n"


def render_tool(server: str, tool: dict[str, Any], summary: list[tuple[str, str, bool, str]]) -> str:
    """The human view of ``tools show``: description, arguments, schemas, annotations."""
    lines = [f"{server}.{tool['name']}" + (f" — {tool['title']}" if tool.get("title") else "")]
    if tool.get("description"):
        lines += ["", *tool["description"].strip().splitlines()]
    lines += ["", "arguments:"]
    if summary:
        for arg, type_text, required, description in summary:
            flag = " (required)" if required else ""
            lines.append(f"  {arg}: {type_text}{flag}" + (f" — {description}" if description else ""))
    else:
        lines.append("  (none)")
    lines += ["", "inputSchema:", _indent(json.dumps(tool.get("inputSchema", {}), indent=2, ensure_ascii=False))]
    if tool.get("outputSchema"):
        lines += ["", "outputSchema:", _indent(json.dumps(tool["outputSchema"], indent=2, ensure_ascii=False))]
    if tool.get("annotations"):
        lines += ["", "annotations:"]
        lines += [f"  {k}: {json.dumps(v)}" for k, v in tool["annotations"].items()]
    return "\n".join(lines) + "\n"


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())
