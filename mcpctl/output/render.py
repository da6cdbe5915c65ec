"""Plain-text renderings for humans: call results, resource contents, prompt messages, server and tool views.

Each takes the wire data (what ``-o json`` prints) and returns text; the JSON form is
never derived from these. Server configuration views mask secrets. What a server says about
itself (names, descriptions, serverInfo, instructions, schemas) goes through ``output.sanitize``
here; contents (a tool's or a prompt's answer) are left to ``Output.result``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from mcpctl.core.auth import OAuthConfig
from mcpctl.core.profile import ServerConfig
from mcpctl.core.secrets import MASK, is_secret_name, mask_args, mask_mapping, mask_url
from mcpctl.core.wire import dump_json
from mcpctl.output.sanitize import cell, json_safe, visible


def render_result(result: dict[str, Any]) -> str:
    """Text contents as they are; other contents summarised; structuredContent only without text."""
    parts: list[str] = []
    has_text = False
    for block in result.get("content", []):
        kind = block.get("type")
        if kind == "text":
            has_text = True
            parts.append(block.get("text", ""))
        else:
            parts.append(_summary(block))
    if not has_text and result.get("structuredContent") is not None:
        parts.append(dump_json(result["structuredContent"], indent=2))
    text = "\n".join(p if p.endswith("\n") else p + "\n" for p in parts)
    return text


def render_task(task: Mapping[str, Any]) -> str:
    """A task status object (``tasks get``/``cancel``) as ``key: value`` lines; ``-o json`` has all of it."""
    keys = ("taskId", "status", "statusMessage", "createdAt", "lastUpdatedAt")
    lines = [f"{key}: {cell(str(task[key]))}" for key in keys if task.get(key) is not None]
    return "\n".join(lines) + "\n" if lines else "(acknowledged)\n"


def _size(data: Any) -> str:
    """``N bytes`` of base64 content, or what is wrong with it (a server's mistake is shown, never a crash)."""
    try:
        return f"{len(base64.b64decode(str(data or ''), validate=True))} bytes"
    except ValueError:
        return f"not valid base64 ({len(str(data or ''))} characters)"


def _summary(block: dict[str, Any]) -> str:
    kind = block.get("type")
    saved = block.get("_saved")
    suffix = f", saved to {saved}" if saved else ", use --save DIR to write it"
    if kind in ("image", "audio"):
        return f"[{kind}: {block.get('mimeType', '?')}, {_size(block.get('data'))}{suffix}]"
    if kind == "resource_link":
        return f"[resource link: {block.get('uri')}" + (f" ({block['name']})" if block.get("name") else "") + "]"
    if kind == "resource":
        resource = block.get("resource", {})
        if "text" in resource:
            return str(resource["text"])
        size = _size(resource.get("blob"))
        return f"[resource: {resource.get('uri')}, {resource.get('mimeType', '?')}, {size}{suffix}]"
    return f"[{kind} content]"


def render_contents(result: Mapping[str, Any]) -> str:
    """Text resource contents as they are; binary ones summarised (or where ``--save`` wrote them)."""
    parts = []
    for content in result.get("contents", []):
        if "text" in content:
            text = str(content["text"])
            parts.append(text if text.endswith("\n") else text + "\n")
        else:
            where = f", saved to {content['_saved']}" if content.get("_saved") else ", use --save DIR to write it"
            size = _size(content.get("blob"))
            parts.append(f"[{content.get('uri')}: {content.get('mimeType', '?')}, {size}{where}]\n")
    return "".join(parts)


def render_messages(result: Mapping[str, Any]) -> str:
    """Prompt messages, readably: ``role:`` then the content."""
    lines = []
    if result.get("description"):
        lines.append(f"# {visible(str(result['description']))}\n")
    for message in result.get("messages", []):
        body = render_result({"content": [message.get("content", {})]})
        lines.append(f"{cell(str(message.get('role', '?')))}:\n" + "".join(f"  {line}\n" for line in body.splitlines()))
    return "\n".join(lines)


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
        if config.oauth is not None:
            view["oauth"] = _oauth_view(config.oauth)
    if config.enabled_tools is not None:
        view["enabled_tools"] = list(config.enabled_tools)
    if config.disabled_tools:
        view["disabled_tools"] = list(config.disabled_tools)
    settings = {k: v for k, v in vars(config.settings).items() if v is not None}
    if settings:
        view["settings"] = settings
    return view


def _oauth_view(oauth: OAuthConfig) -> dict[str, Any]:
    """The ``oauth`` table as set (the secret is only ever named by its variable, shown masked like a header's)."""
    view: dict[str, Any] = {"grant": oauth.grant}
    if oauth.client_id:
        view["client_id"] = oauth.client_id
    if oauth.client_secret_env:
        view["client_secret"] = f"{MASK} (from ${oauth.client_secret_env})"
    for key in ("token_endpoint_auth_method", "private_key_file", "client_metadata_url", "issuer"):
        if getattr(oauth, key):
            view[key] = getattr(oauth, key)
    if oauth.scopes:
        view["scopes"] = " ".join(oauth.scopes)
    return view


def render_config(view: dict[str, Any]) -> str:
    """``key: value`` lines for ``servers show``."""
    lines = []
    for key, value in view.items():
        if key == "target":
            continue
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k}: {_spelt(v)}" for k, v in value.items()]
        elif isinstance(value, list):
            lines.append(f"{key}: {' '.join(value) if key == 'args' else ', '.join(map(_spelt, value))}")
        else:
            lines.append(f"{key}: {_spelt(value)}")
    return "\n".join(lines) + "\n"


def _spelt(value: Any) -> str:
    """A scalar as the profile (TOML) and JSON spell it: ``true``, ``false``, ``null``; text as it is."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return str(value)


def render_inspect(info: dict[str, Any]) -> str:
    """The human view of ``servers inspect``."""
    server_info = info.get("serverInfo") or {}
    name = cell(str(server_info.get("name", "?")))
    version = cell(str(server_info.get("version", "?")))
    title = f" ({cell(str(server_info['title']))})" if server_info.get("title") else ""
    lines = [
        f"server:     {cell(info['server'])}",
        f"serverInfo: {name} {version}{title}",
        f"protocol:   {cell(str(info['protocolVersion']))}",
        f"transport:  {info['transport']}  {cell(info['target'])}",
        f"connected:  {info['connect_ms']:.0f} ms",
    ]
    caps = info.get("capabilities") or {}
    offered = [cell(k) for k, v in caps.items() if v is not None and k != "experimental"]
    lines.append(f"capabilities: {', '.join(offered) if offered else 'none'}")
    counts = info["counts"]
    shown = [f"{k}={v}" for k, v in counts.items() if v is not None]
    lines.append(f"counts:     {' '.join(shown) if shown else 'none'}")
    if info.get("instructions"):
        lines.append("instructions:")
        lines += [f"  {cell(line)}" for line in str(info["instructions"]).splitlines()]
    return "\n".join(lines) + "\n"


def render_tool(server: str, tool: dict[str, Any], summary: list[tuple[str, str, bool, str]]) -> str:
    """The human view of ``tools show``: description, arguments, schemas, annotations."""
    lines = [f"{cell(server)}.{cell(tool['name'])}" + (f" — {cell(str(tool['title']))}" if tool.get("title") else "")]
    if tool.get("description"):
        lines += ["", *(cell(line) for line in str(tool["description"]).strip().splitlines())]
    lines += ["", "arguments:"]
    if summary:
        for arg, type_text, required, description in summary:
            flag = " (required)" if required else ""
            about = f" — {cell(description)}" if description else ""
            lines.append(f"  {cell(arg)}: {cell(type_text)}{flag}{about}")
    else:
        lines.append("  (none)")
    lines += [
        "",
        "inputSchema:",
        _indent(json_safe(json.dumps(tool.get("inputSchema", {}), indent=2, ensure_ascii=False))),
    ]
    if tool.get("outputSchema"):
        lines += [
            "",
            "outputSchema:",
            _indent(json_safe(json.dumps(tool["outputSchema"], indent=2, ensure_ascii=False))),
        ]
    if tool.get("annotations"):
        lines += ["", "annotations:"]
        lines += [f"  {cell(k)}: {json.dumps(v)}" for k, v in tool["annotations"].items()]
    return "\n".join(lines) + "\n"


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())
