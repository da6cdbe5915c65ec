"""The TOML profile: where it is, what it may say, and how it is written.

Precedence of the profile that is read (``resolve_profile_path``):

1. ``--profile PATH|NAME`` (a NAME means ``$XDG_CONFIG_HOME/mcpctl/profiles/NAME.toml``);
2. ``$MCPCTL_PROFILE`` (same forms);
3. ``./mcpctl.toml`` in the current directory or the nearest parent;
4. ``$XDG_CONFIG_HOME/mcpctl/profile.toml`` (``~/.config/mcpctl/profile.toml``).

Writers append text so that the rest of the file stays byte for byte; every write
is atomic (temporary file + rename, mode kept) and the new text is re-parsed first.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcpctl.core.auth import OAuthConfig, parse_oauth
from mcpctl.core.errors import ProfileError, UsageError
from mcpctl.core.files import ParseError, atomic_write, load_toml
from mcpctl.core.sizes import parse_size

NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
TRANSPORTS = ("stdio", "streamable-http", "sse")
#: Protocol eras: ``auto`` (probe with ``server/discover``, fall back to ``initialize``), ``legacy``, a revision.
PROTOCOLS = ("auto", "legacy", "2026-07-28")
_TRANSPORT_ALIASES = {
    "http": "streamable-http",
    "streamable_http": "streamable-http",
    "streamablehttp": "streamable-http",
}

# key -> (python types accepted, description of what is expected)
_NUMBER = ((int, float), "a number")
_INT = ((int,), "an integer")
_BOOL = ((bool,), "true or false")
_STR = ((str,), "a string")
_STR_LIST = ((list,), "an array of strings")
_STR_MAP = ((dict,), "a table of strings")
_SIZE = ((int, str), 'a size in bytes (e.g. 67108864 or "64M")')

DEFAULT_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "startup_timeout_sec": _NUMBER,
    "tool_timeout_sec": _NUMBER,
    "max_time_sec": _NUMBER,
    "retries": _INT,
    "strict_args": _BOOL,
    "protocol": _STR,
    "max_response_size": _SIZE,
}
CHAT_KEYS: dict[str, tuple[tuple[type, ...], str]] = {"provider": _STR, "model": _STR, "base_url": _STR}
SERVER_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    **DEFAULT_KEYS,
    "command": _STR,
    "args": _STR_LIST,
    "env": _STR_MAP,
    "env_vars": _STR_LIST,
    "env_inherit": _BOOL,
    "cwd": _STR,
    "url": _STR,
    "transport": _STR,
    "bearer_token_env_var": _STR,
    "http_headers": _STR_MAP,
    "env_http_headers": _STR_MAP,
    "enabled": _BOOL,
    "enabled_tools": _STR_LIST,
    "disabled_tools": _STR_LIST,
    "oauth": ((dict,), "a table"),
}


@dataclass(frozen=True)
class Settings:
    """Timeouts, retries and the protocol era; ``None`` means "not set here"."""

    startup_timeout_sec: float | None = None
    tool_timeout_sec: float | None = None
    retries: int | None = None
    protocol: str | None = None
    #: The largest answer accepted from a server, in bytes.
    max_response_size: int | None = None
    #: Whether an argument the tool does not declare is an error (exit 2) rather than a warning.
    strict_args: bool | None = None
    #: The most a call may take in all, whatever progress it reports (``--max-time``).
    max_time_sec: float | None = None

    def over(self, base: Settings) -> Settings:
        """These settings with unset keys taken from ``base``."""
        return Settings(
            startup_timeout_sec=_first(self.startup_timeout_sec, base.startup_timeout_sec),
            tool_timeout_sec=_first(self.tool_timeout_sec, base.tool_timeout_sec),
            retries=_first(self.retries, base.retries),
            strict_args=_first(self.strict_args, base.strict_args),
            protocol=_first(self.protocol, base.protocol),
            max_response_size=_first(self.max_response_size, base.max_response_size),
            max_time_sec=_first(self.max_time_sec, base.max_time_sec),
        )


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


@dataclass(frozen=True)
class ServerConfig:
    """One ``[servers.NAME]`` table, as written (``${VAR}`` not yet expanded)."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    env_vars: tuple[str, ...] = ()
    env_inherit: bool = True
    cwd: str | None = None
    url: str | None = None
    transport: str = "stdio"
    bearer_token_env_var: str | None = None
    http_headers: Mapping[str, str] = field(default_factory=dict)
    env_http_headers: Mapping[str, str] = field(default_factory=dict)
    enabled: bool = True
    enabled_tools: tuple[str, ...] | None = None
    disabled_tools: tuple[str, ...] = ()
    settings: Settings = Settings()
    #: ``[servers.NAME.oauth]``: how to get an OAuth token (None: the defaults, a login when the server asks).
    oauth: OAuthConfig | None = None

    def tool_enabled(self, tool: str) -> bool:
        """Whether ``enabled_tools``/``disabled_tools`` let this tool through."""
        if self.enabled_tools is not None and tool not in self.enabled_tools:
            return False
        return tool not in self.disabled_tools


@dataclass(frozen=True)
class Profile:
    """A parsed profile; ``exists`` is false for the empty profile of a missing file."""

    path: Path
    exists: bool
    defaults: Settings = Settings()
    servers: Mapping[str, ServerConfig] = field(default_factory=dict)
    #: ``[chat]``: the defaults of ``mcpctl chat`` (provider, model, base_url).
    chat: Mapping[str, str] = field(default_factory=dict)

    def server(self, name: str) -> ServerConfig:
        """The server called ``name``, or a usage error listing the known ones."""
        try:
            return self.servers[name]
        except KeyError:
            known = ", ".join(sorted(self.servers)) or "none"
            raise UsageError(
                f"unknown server '{name}' in {self.path}",
                hint=f"known servers: {known}; add one with: mcpctl servers add {name} -- COMMAND ARGS…",
                server=name,
            ) from None


# --------------------------------------------------------------------------- locating


def config_home(environ: Mapping[str, str]) -> Path:
    """``$XDG_CONFIG_HOME`` or ``~/.config``."""
    xdg = environ.get("XDG_CONFIG_HOME")
    if xdg:
        return Path(xdg)
    home = environ.get("HOME")
    return (Path(home) if home else Path.home()) / ".config"


def resolve_profile_path(
    option: str | None, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> tuple[Path, bool]:
    """The profile path to read and whether the user named it explicitly (see module docstring)."""
    env = os.environ if environ is None else environ
    named = option or env.get("MCPCTL_PROFILE") or None
    if named:
        return _named_profile(named, env), True
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "mcpctl.toml"
        if candidate.is_file():
            return candidate, False
    return config_home(env) / "mcpctl" / "profile.toml", False


def _named_profile(named: str, environ: Mapping[str, str]) -> Path:
    if "/" in named or named.endswith(".toml") or named.startswith("."):
        return Path(named).expanduser()
    if not NAME_RE.match(named):
        raise UsageError(f"bad profile name '{named}'", hint="use a path, or a name made of letters, digits, - and _")
    return config_home(environ) / "mcpctl" / "profiles" / f"{named}.toml"


def load_profile(option: str | None = None, *, must_exist: bool = False) -> Profile:
    """Locate and parse the profile; a missing implicit profile is an empty one."""
    path, explicit = resolve_profile_path(option)
    if not path.exists():
        if explicit and must_exist:
            raise ProfileError(f"profile not found: {path}", hint="create it with: mcpctl servers add NAME …")
        if explicit and option is None:
            raise ProfileError(f"profile not found: {path} (from MCPCTL_PROFILE)")
        if explicit:
            raise ProfileError(f"profile not found: {path}", hint="check the --profile path or name")
        return Profile(path=path, exists=False)
    return parse_profile(read_text(path), path)


def read_text(path: Path) -> str:
    """A profile's text, or a profile error naming the file."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read: {exc}") from None


# --------------------------------------------------------------------------- parsing


def parse_profile(text: str, path: Path) -> Profile:
    """Parse and validate profile text; every problem names file and key."""
    try:
        data = load_toml(text)
    except ParseError as exc:
        raise ProfileError(f"{path}: invalid TOML: {exc}", hint="fix the line named above") from None
    unknown = set(data) - {"defaults", "servers", "chat"}
    if unknown:
        key = sorted(unknown)[0]
        raise ProfileError(f"{path}: {key}: unknown key", hint="top-level tables: [defaults], [servers.NAME], [chat]")
    defaults = _parse_settings(_table(data, "defaults", path), "defaults", path, DEFAULT_KEYS)
    servers_table = _table(data, "servers", path)
    servers = {name: _parse_server(name, body, path) for name, body in servers_table.items()}
    chat = _table(data, "chat", path)
    for key, value in chat.items():
        _check_key(key, value, "chat", path, CHAT_KEYS)
    return Profile(path=path, exists=True, defaults=defaults, servers=servers, chat=chat)


def _table(data: Mapping[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ProfileError(f"{path}: {key}: expected a table, got {_type_name(value)}")
    return value


def _parse_settings(
    body: Mapping[str, Any], where: str, path: Path, allowed: Mapping[str, tuple[tuple[type, ...], str]]
) -> Settings:
    for key, value in body.items():
        _check_key(key, value, where, path, allowed)
    for key in ("startup_timeout_sec", "tool_timeout_sec", "max_time_sec", "retries"):
        if key in body and not body[key] >= 0:  # NaN too
            raise ProfileError(f"{path}: {where}.{key}: expected a value >= 0, got {body[key]}")
    protocol = body.get("protocol")
    if protocol is not None and protocol not in PROTOCOLS:
        raise ProfileError(f"{path}: {where}.protocol: expected one of {', '.join(PROTOCOLS)}, got '{protocol}'")
    return Settings(
        startup_timeout_sec=_opt_float(body.get("startup_timeout_sec")),
        tool_timeout_sec=_opt_float(body.get("tool_timeout_sec")),
        retries=body.get("retries"),
        strict_args=body.get("strict_args"),
        protocol=protocol,
        max_response_size=_opt_size(body.get("max_response_size"), f"{path}: {where}.max_response_size"),
        max_time_sec=_opt_float(body.get("max_time_sec")),
    )


def _opt_size(value: int | str | None, where: str) -> int | None:
    try:
        return None if value is None else parse_size(value)
    except ValueError as exc:
        raise ProfileError(f"{where}: {exc}") from None


def _opt_float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except OverflowError:  # an integer too big for a float: as 1e400 in TOML, no limit
        return math.inf


def _check_key(
    key: str, value: Any, where: str, path: Path, allowed: Mapping[str, tuple[tuple[type, ...], str]]
) -> None:
    if key not in allowed:
        raise ProfileError(f"{path}: {where}.{key}: unknown key", hint=f"known keys: {', '.join(sorted(allowed))}")
    types, expected = allowed[key]
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if ok and isinstance(value, list):
        ok = all(isinstance(v, str) for v in value)
    if ok and isinstance(value, dict) and expected == _STR_MAP[1]:
        ok = all(isinstance(v, str) for v in value.values())
    if not ok:
        raise ProfileError(f"{path}: {where}.{key}: expected {expected}, got {_type_name(value)}")


def _type_name(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "table"}
    return names.get(type(value), type(value).__name__)


def _parse_server(name: str, body: Any, path: Path) -> ServerConfig:
    where = f"servers.{name}"
    if not NAME_RE.match(name):
        raise ProfileError(f"{path}: {where}: bad server name", hint="names use letters, digits, '-' and '_' only")
    if not isinstance(body, dict):
        raise ProfileError(f"{path}: {where}: expected a table, got {_type_name(body)}")
    settings = _parse_settings(body, where, path, SERVER_KEYS)
    command, url = body.get("command"), body.get("url")
    if (command is None) == (url is None):
        raise ProfileError(
            f"{path}: {where}: expected exactly one of 'command' (stdio) or 'url' (HTTP)",
        )
    transport = _parse_transport(body.get("transport"), command, url, where, path)
    enabled_tools = body.get("enabled_tools")
    return ServerConfig(
        name=name,
        command=command,
        args=tuple(body.get("args", ())),
        env=dict(body.get("env", {})),
        env_vars=tuple(body.get("env_vars", ())),
        env_inherit=body.get("env_inherit", True),
        cwd=body.get("cwd"),
        url=url,
        transport=transport,
        bearer_token_env_var=body.get("bearer_token_env_var"),
        http_headers=dict(body.get("http_headers", {})),
        env_http_headers=dict(body.get("env_http_headers", {})),
        enabled=body.get("enabled", True),
        enabled_tools=None if enabled_tools is None else tuple(enabled_tools),
        disabled_tools=tuple(body.get("disabled_tools", ())),
        settings=settings,
        oauth=_parse_oauth(body.get("oauth"), url, where, path),
    )


def _parse_oauth(body: Any, url: str | None, where: str, path: Path) -> OAuthConfig | None:
    if body is None:
        return None
    if url is None:
        raise ProfileError(f"{path}: {where}.oauth: OAuth is for HTTP servers ('url'), not stdio ones")
    return parse_oauth(body, f"{path}: {where}.oauth")


def _parse_transport(value: str | None, command: str | None, url: str | None, where: str, path: Path) -> str:
    if value is None:
        return "stdio" if command is not None else infer_transport(url or "")
    transport = normalize_transport(value)
    if transport is None:
        raise ProfileError(f"{path}: {where}.transport: expected one of {', '.join(TRANSPORTS)}, got '{value}'")
    if (transport == "stdio") != (command is not None):
        raise ProfileError(f"{path}: {where}.transport: '{value}' does not fit a server with 'command'/'url'")
    return transport


def normalize_transport(value: str) -> str | None:
    """A canonical transport name, or None when unknown."""
    value = _TRANSPORT_ALIASES.get(value.lower(), value.lower())
    return value if value in TRANSPORTS else None


def infer_transport(url: str) -> str:
    """SSE when the URL path ends in ``/sse``, Streamable HTTP otherwise."""
    return "sse" if url.rstrip("/").endswith("/sse") else "streamable-http"


# --------------------------------------------------------------------------- ${VAR} expansion

_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand(text: str, environ: Mapping[str, str], server: str) -> str:
    """Expand ``${VAR}`` and ``${VAR:-default}``; a missing VAR without default is a usage error."""

    def substitute(match: re.Match[str]) -> str:
        var, default = match.group(1), match.group(2)
        value = environ.get(var)
        if value is not None and (value != "" or default is None):
            return value
        if default is not None:
            return default
        raise UsageError(
            f"environment variable {var} is not set (needed by server '{server}')",
            hint=f"export {var}=… or write ${{{var}:-default}} in the profile",
            server=server,
        )

    return _VAR_RE.sub(substitute, text)


# --------------------------------------------------------------------------- writing


def server_table(
    *,
    command: list[str] | None = None,
    url: str | None = None,
    transport: str | None = None,
    env: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The TOML table ``servers add`` writes for one server."""
    table: dict[str, Any] = {}
    if command:
        table["command"] = command[0]
        if command[1:]:
            table["args"] = list(command[1:])
    if url:
        table["url"] = url
        if transport and transport != infer_transport(url):
            table["transport"] = transport
    if env:
        table["env"] = dict(env)
    if headers:
        table["http_headers"] = dict(headers)
    return table


def render_server(name: str, table: Mapping[str, Any]) -> str:
    """``[servers.NAME]`` as TOML text, arrays and string tables written inline (one line a key)."""
    lines = [f"[servers.{name}]"]
    lines += [f"{_toml_key(key)} = {_toml_value(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


def _toml_key(key: str) -> str:
    return key if NAME_RE.match(key) else json.dumps(key)


def _toml_value(value: Any) -> str:
    """A TOML value for the types a server table holds (JSON string escapes are valid TOML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def add_server(path: Path, name: str, table: Mapping[str, Any], *, force: bool = False) -> bool:
    """Append (or with ``force`` replace) a server; returns whether one was replaced."""
    if not NAME_RE.match(name):
        raise UsageError(f"bad server name '{name}'", hint="names use letters, digits, '-' and '_' only")
    old = read_text(path) if path.exists() else ""
    current = parse_profile(old, path) if old else Profile(path=path, exists=False)
    replaced = name in current.servers
    if replaced and not force:
        raise UsageError(f"server '{name}' already exists in {path}", hint="use --force to replace it", server=name)
    base = _without_server(old, name, path) if replaced else old
    if base and not base.endswith("\n"):
        base += "\n"
    new = base + ("\n" if base.strip() else "") + render_server(name, table)
    parse_profile(new, path)  # re-parse before replacing anything
    atomic_write(path, new, backup=replaced)
    return replaced


def remove_server(path: Path, name: str) -> None:
    """Remove a server's tables, keeping the rest of the text; a ``.bak`` keeps the old file."""
    if not path.exists():
        raise ProfileError(f"profile not found: {path}")
    old = read_text(path)
    parse_profile(old, path).server(name)
    atomic_write(path, _without_server(old, name, path), backup=True)


_HEADER_RE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _without_server(text: str, name: str, path: Path) -> str:
    """The text with ``[servers.NAME]`` and its sub-tables cut out.

    Falls back to a full re-render (comments lost) when the cut does not give the
    expected document, e.g. for inline-table or dotted-key layouts.
    """
    lines = text.splitlines(keepends=True)
    skip = [False] * len(lines)
    skipping = False
    leading: list[int] = []  # the run of comment lines just above the next header belongs to that table
    for i, line in enumerate(lines):
        header = _HEADER_RE.match(line)
        if header:
            key = _normalize_key(header.group(1))
            skipping = key == ("servers", name) or (key[:2] == ("servers", name) and len(key) > 2)
            for j in leading:
                skip[j] = skipping
        leading = [*leading, i] if not header and line.lstrip().startswith("#") else []
        skip[i] = skipping
    result = "".join(line for line, cut in zip(lines, skip, strict=True) if not cut)
    try:
        before = load_toml(text)
        after = load_toml(result)
    except ParseError:
        after, before = {}, {"x": 1}
    expected = dict(before)
    expected["servers"] = {k: v for k, v in before.get("servers", {}).items() if k != name}
    if after == expected or (
        not expected["servers"] and after == {k: v for k, v in expected.items() if k != "servers"}
    ):
        return result
    import tomli_w

    return str(tomli_w.dumps(expected))


def _normalize_key(raw: str) -> tuple[str, ...]:
    parts = [p.strip().strip('"').strip("'") for p in re.split(r"\.(?=(?:[^\"']|\"[^\"]*\"|'[^']*')*$)", raw)]
    return tuple(parts)
