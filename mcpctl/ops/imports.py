"""Read the MCP server configurations other programs keep, and plan their import into the profile.

Where each program keeps its servers (``locations``), in the order they are read:

==================  ===================================================================  ====================
``--from``          files                                                                servers under
==================  ===================================================================  ====================
``claude``          Claude Desktop's ``claude_desktop_config.json`` (Linux:              ``mcpServers``
                    ``$XDG_CONFIG_HOME/Claude/``; macOS: ``~/Library/Application
                    Support/Claude/``; Windows: ``%APPDATA%\\Claude\\``)
``claude-code``     ``~/.claude.json`` (this directory's ``projects.<cwd>``, then the    ``mcpServers``
                    top level) and ``./.mcp.json``
``cursor``          ``./.cursor/mcp.json``, ``~/.cursor/mcp.json``                       ``mcpServers``
``vscode``          ``./.vscode/mcp.json``, the user ``mcp.json`` and ``settings.json``  ``servers``,
                    (``Code/User/`` next to Claude Desktop's folder)                     ``mcp.servers``
``codex``           ``./.codex/config.toml``, ``$CODEX_HOME/config.toml``                ``[mcp_servers.*]``
                    (``~/.codex/config.toml``)
==================  ===================================================================  ====================

Any other ``--from`` is a file whose format is told from its extension and content. JSON files
may be JSONC (comments, trailing commas), as VS Code writes them.

What is kept and what is reported: ``${VAR}`` references are kept in our syntax (``${env:VAR}``
becomes ``${VAR}``), never expanded; VS Code's ``${input:ID}`` prompts become ``${ID}`` with a
warning; secrets written inline are imported but flagged; keys mcpctl has no meaning for are
named, not silently dropped. A bare ``$VAR`` is left as it is: no program here expands it, and
neither does mcpctl.

Nothing here prints or exits: ``plan_import`` returns an ``ImportPlan`` (the servers to write,
what was skipped, notes and warnings) and ``apply_plan`` writes it with ``profile.add_server``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcpctl.core.errors import ProfileError, UsageError
from mcpctl.core.files import ParseError, atomic_write, load_json, load_toml
from mcpctl.core.profile import (
    SERVER_KEYS,
    ServerConfig,
    add_server,
    config_home,
    infer_transport,
    parse_profile,
    render_server,
)
from mcpctl.core.secrets import MASK, is_secret_name, mask_args, url_secrets

SOURCES = ("claude", "claude-code", "cursor", "vscode", "codex")

# fmt: off
#: The order keys are written in, whatever order the source had them in.
_KEY_ORDER = (
    "command", "args", "env", "env_vars", "env_inherit", "cwd", "url", "transport", "bearer_token_env_var",
    "http_headers", "env_http_headers", "enabled", "enabled_tools", "disabled_tools", "startup_timeout_sec",
    "tool_timeout_sec", "retries",
)
#: Keys of JSON sources (Claude, Cursor, VS Code, Cline, Windsurf…) that mean something here.
_JSON_KEYS = frozenset({
    "command", "args", "env", "cwd", "url", "serverUrl", "type", "transport", "transportType", "headers",
    "disabled", "enabled", "disabledTools",
})
# fmt: on
_JSON_TRANSPORTS = {"stdio": "stdio", "http": "streamable-http", "sse": "sse"} | {
    alias: "streamable-http" for alias in ("streamable-http", "streamable_http", "streamablehttp")
}
_TOML_KEYS = frozenset({*SERVER_KEYS, "startup_timeout_ms"})
_REF = re.compile(r"\$\{([^}]*)\}")
_OUR_REF = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Location:
    """One place a configuration may be: which program, which file, which layout."""

    source: str  # claude, claude-code, cursor, vscode, codex, or "file"
    label: str  # "Claude Desktop", "Cursor (user)", or the path given
    path: Path
    shape: str  # mcpServers, claude-local, claude-user, vscode, vscode-settings, codex, auto
    root: Path | None = None  # the project folder, for ${workspaceFolder}


@dataclass(frozen=True)
class Message:
    """A note or warning about one source file, server or key."""

    level: str  # "note" or "warning"
    text: str
    location: Location | None = None
    server: str | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = []
        if self.server is not None:
            where.append(f"server '{self.server}'" + (f" from {self.location.label}" if self.location else ""))
        if self.key is not None:
            where.append(self.key)
        return ": ".join([*where, self.text])

    def to_json(self) -> dict[str, Any]:
        """The message as JSON (for ``-o json``)."""
        return {
            "level": self.level,
            "source": self.location.label if self.location else None,
            "file": str(self.location.path) if self.location else None,
            "server": self.server,
            "key": self.key,
            "message": self.text,
        }


@dataclass(frozen=True)
class PlannedServer:
    """A server to write: its name in the profile, its table, and where it came from."""

    name: str
    source_name: str
    location: Location
    table: dict[str, Any]
    masked: dict[str, Any]  # the table with inline secrets shown as ***
    replaces: bool = False

    def to_json(self) -> dict[str, Any]:
        """The server as JSON, secrets masked."""
        return {
            "name": self.name,
            "source_name": self.source_name,
            "source": self.location.label,
            "file": str(self.location.path),
            "action": "replace" if self.replaces else "add",
            "config": self.masked,
        }


@dataclass(frozen=True)
class Skipped:
    """A server not imported, and why."""

    name: str
    location: Location
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The skip as JSON."""
        return {
            "name": self.name,
            "source": self.location.label,
            "file": str(self.location.path),
            "reason": self.reason,
        }


@dataclass
class ImportPlan:
    """What ``servers import`` would do; nothing is written until ``apply_plan``."""

    profile: Path
    servers: list[PlannedServer] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    #: Each place looked at, and how many servers it held (None: no such file).
    looked: list[tuple[Location, int | None]] = field(default_factory=list)
    #: Inline secret values found, so the output layer can mask them wherever they would appear.
    secret_values: list[str] = field(default_factory=list)

    @property
    def notes(self) -> list[Message]:
        """The notes (silenced by ``-q``)."""
        return [m for m in self.messages if m.level == "note"]

    @property
    def warnings(self) -> list[Message]:
        """The warnings (always shown)."""
        return [m for m in self.messages if m.level == "warning"]

    def toml(self) -> str:
        """The TOML that would be appended, inline secrets shown as ``***``."""
        return "\n".join(render_server(s.name, s.masked) for s in self.servers)

    def to_json(self, *, dry_run: bool) -> dict[str, Any]:
        """``{"imported": [...], "skipped": [...], "warnings": [...]}`` plus the profile path."""
        return {
            "profile": str(self.profile),
            "dry_run": dry_run,
            "imported": [s.to_json() for s in self.servers],
            "skipped": [s.to_json() for s in self.skipped],
            "warnings": [w.to_json() for w in self.warnings],
        }

    def summary(self) -> str:
        """``imported N servers from … into PROFILE: names`` (one line)."""
        count = len(self.servers)
        noun = "server" if count == 1 else "servers"
        if not count:
            return f"imported 0 servers into {self.profile}\n"
        labels = list(dict.fromkeys(s.location.label for s in self.servers))
        names = ", ".join(s.name + (" (replaced)" if s.replaces else "") for s in self.servers)
        return f"imported {count} {noun} from {', '.join(labels)} into {self.profile}: {names}\n"


@dataclass(frozen=True)
class ImportRequest:
    """The flags of ``servers import``; ``environ``, ``cwd`` and ``platform`` default to this process's."""

    source: str | None = None
    prefix: str | None = None
    force: bool = False
    environ: Mapping[str, str] | None = None
    cwd: Path | None = None
    platform: str | None = None


@dataclass(frozen=True)
class _Entry:
    location: Location
    name: str
    body: Any
    disabled_by: str | None = None  # why the source program has it switched off


# --------------------------------------------------------------------------- locations


def _home(environ: Mapping[str, str], platform: str) -> Path:
    home = environ.get("HOME") or (environ.get("USERPROFILE") if platform == "win32" else None)
    return Path(home) if home else Path.home()


def _app_data(environ: Mapping[str, str], platform: str) -> Path:
    """The folder desktop apps keep their settings in (Claude Desktop, VS Code)."""
    if platform == "darwin":
        return _home(environ, platform) / "Library" / "Application Support"
    if platform == "win32":
        appdata = environ.get("APPDATA")
        return Path(appdata) if appdata else _home(environ, platform) / "AppData" / "Roaming"
    return config_home({"HOME": str(_home(environ, platform)), **environ})


def locations(
    source: str | None, environ: Mapping[str, str], cwd: Path, platform: str = sys.platform
) -> list[Location]:
    """The places to look for ``--from SOURCE`` (every known place when None), in reading order."""
    if source is not None and source not in SOURCES:
        path = Path(source).expanduser()
        if not path.is_absolute():
            path = cwd / path
        return [Location("file", source, path, "auto", _project_root(path))]
    home = _home(environ, platform)
    apps = _app_data(environ, platform)
    codex_home = Path(environ["CODEX_HOME"]) if environ.get("CODEX_HOME") else home / ".codex"
    places = {
        "claude": [Location("claude", "Claude Desktop", apps / "Claude" / "claude_desktop_config.json", "mcpServers")],
        "claude-code": [
            Location("claude-code", "Claude Code (local)", home / ".claude.json", "claude-local", cwd),
            Location("claude-code", "Claude Code (project)", cwd / ".mcp.json", "mcpServers", cwd),
            Location("claude-code", "Claude Code (user)", home / ".claude.json", "claude-user"),
        ],
        "cursor": [
            Location("cursor", "Cursor (project)", cwd / ".cursor" / "mcp.json", "mcpServers", cwd),
            Location("cursor", "Cursor (user)", home / ".cursor" / "mcp.json", "mcpServers"),
        ],
        "vscode": [
            Location("vscode", "VS Code (workspace)", cwd / ".vscode" / "mcp.json", "vscode", cwd),
            Location("vscode", "VS Code (user)", apps / "Code" / "User" / "mcp.json", "vscode"),
            Location("vscode", "VS Code (user settings)", apps / "Code" / "User" / "settings.json", "vscode-settings"),
        ],
        "codex": [
            Location("codex", "Codex (project)", cwd / ".codex" / "config.toml", "codex", cwd),
            Location("codex", "Codex", codex_home / "config.toml", "codex"),
        ],
    }
    return places[source] if source else [loc for name in SOURCES for loc in places[name]]


def _project_root(path: Path) -> Path | None:
    if path.parent.name in (".vscode", ".cursor", ".codex"):
        return path.parent.parent
    if path.name == ".mcp.json":
        return path.parent
    return None


# --------------------------------------------------------------------------- reading


def strip_jsonc(text: str) -> str:
    """JSON from JSONC: ``//`` and ``/* */`` comments and trailing commas become spaces.

    Strings are respected (``"https://…"`` keeps its ``//``), and every other character keeps its
    line and column, so a JSON error still points at the right place in the file.
    """
    out = list(text)
    i, n = 0, len(text)
    in_string = False
    pending_comma = -1  # a comma after a value, not yet followed by anything significant
    last = ""  # the last significant character outside strings and comments

    def blank(start: int, end: int) -> None:
        for j in range(start, end):
            if out[j] not in "\r\n":
                out[j] = " "

    while i < n:
        char = text[i]
        if in_string:
            if char == "\\":
                i += 2
                continue
            if char == '"':
                in_string = False
            i += 1
            continue
        if char == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
            continue
        if char == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                where = json.JSONDecodeError("unterminated /* comment", text, i)
                raise ParseError(where.msg, where.lineno, where.colno)
            blank(i, end + 2)
            i = end + 2
            continue
        if char == ",":
            pending_comma = i if last not in "{[," else -1  # "[,]" stays an error
        elif char in "}]":
            if pending_comma >= 0:
                out[pending_comma] = " "
            pending_comma = -1
        elif not char.isspace():
            pending_comma = -1
            in_string = char == '"'
        if not char.isspace():
            last = char
        i += 1
    return "".join(out)


def _load(path: Path) -> tuple[dict[str, Any], str] | None:
    """The file's document and its format (``json`` or ``toml``); None when there is no such file."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a configuration file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: cannot read: not UTF-8 text ({exc.reason})") from None
    hint = "fix the file, or choose other sources with --from"
    if path.suffix == ".toml" or (path.suffix != ".json" and not strip_jsonc_safe(text).lstrip().startswith("{")):
        try:
            return load_toml(text), "toml"
        except ParseError as exc:
            raise UsageError(f"{path}: invalid TOML: {exc}", hint=hint) from None
    try:
        data = load_json(strip_jsonc(text))
    except ParseError as exc:
        where = f" at line {exc.line}, column {exc.column}" if exc.line is not None else ""
        raise UsageError(f"{path}: invalid JSON{where}: {exc.reason}", hint=hint) from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a JSON object at the top, got {_kind(data)}", hint=hint)
    return data, "json"


def strip_jsonc_safe(text: str) -> str:
    """``strip_jsonc`` that gives the text back unchanged when it is not JSONC at all."""
    try:
        return strip_jsonc(text)
    except ParseError:
        return text


def _kind(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}
    return "null" if value is None else names.get(type(value), "an object")


def _servers_at(data: Mapping[str, Any], keys: tuple[str, ...], path: Path) -> dict[str, Any] | None:
    """The object at a key path, None when absent; anything but an object is an error naming the key."""
    value: Any = data
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    if not isinstance(value, dict):
        raise UsageError(f"{path}: {'.'.join(keys)}: expected an object of servers, got {_kind(value)}")
    return value


def _claude_project(data: Mapping[str, Any], cwd: Path) -> dict[str, Any]:
    """``projects.<cwd>`` of ``~/.claude.json`` (Claude Code keys projects by their absolute path)."""
    projects = data.get("projects")
    if not isinstance(projects, dict):
        return {}
    for key in (str(cwd), str(cwd.resolve()), cwd.as_posix()):
        if isinstance(projects.get(key), dict):
            return dict(projects[key])
    return {}


def _names(value: Any) -> set[str]:
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()


class _Reader:
    """Reads each location once (``~/.claude.json`` serves two), caching documents by path."""

    def __init__(self, cwd: Path, home: Path) -> None:
        self.cwd = cwd
        self.home = home
        self._cache: dict[Path, tuple[dict[str, Any], str] | None] = {}

    def load(self, path: Path) -> tuple[dict[str, Any], str] | None:
        if path not in self._cache:
            self._cache[path] = _load(path)
        return self._cache[path]

    def entries(self, loc: Location) -> tuple[list[_Entry], str] | None:
        """The location's server entries and their dialect (json, codex, mcpctl); None when there is no file."""
        loaded = self.load(loc.path)
        if loaded is None:
            return None
        data, fmt = loaded
        servers, disabled, dialect = self._servers(loc, data, fmt)
        entries = [
            _Entry(loc, name, body, "disabled in Claude Code" if name in disabled else None)
            for name, body in (servers or {}).items()
        ]
        return entries, dialect

    def _servers(self, loc: Location, data: dict[str, Any], fmt: str) -> tuple[dict[str, Any] | None, set[str], str]:
        path = loc.path
        if loc.shape == "mcpServers":
            disabled: set[str] = set()
            if loc.source == "claude-code":  # .mcp.json servers the user turned down in Claude Code
                claude = self.load(self.home / ".claude.json")
                project = _claude_project(claude[0], self.cwd) if claude and claude[1] == "json" else {}
                disabled = _names(project.get("disabledMcpjsonServers")) | _names(project.get("disabledMcpServers"))
            return _servers_at(data, ("mcpServers",), path), disabled, "json"
        if loc.shape == "claude-local":
            project = _claude_project(data, self.cwd)
            return _servers_at(project, ("mcpServers",), path), _names(project.get("disabledMcpServers")), "json"
        if loc.shape == "claude-user":
            project = _claude_project(data, self.cwd)
            return _servers_at(data, ("mcpServers",), path), _names(project.get("disabledMcpServers")), "json"
        if loc.shape == "vscode":
            return _servers_at(data, ("servers",), path), set(), "json"
        if loc.shape == "vscode-settings":
            found = _servers_at(data, ("mcp", "servers"), path)
            return (found if found is not None else _servers_at(data, ("mcp.servers",), path)), set(), "json"
        if loc.shape == "codex":
            return _servers_at(data, ("mcp_servers",), path), set(), "codex"
        return self._auto(loc, data, fmt)

    def _auto(self, loc: Location, data: dict[str, Any], fmt: str) -> tuple[dict[str, Any], set[str], str]:
        """A file named on the command line: the layout is told from its keys."""
        path = loc.path
        if fmt == "toml":
            for key, dialect in (("mcp_servers", "codex"), ("servers", "mcpctl")):  # or another mcpctl profile
                found = _servers_at(data, (key,), path)
                if found is not None:
                    return found, set(), dialect
            raise UsageError(
                f"{path}: no MCP servers here: expected [mcp_servers.NAME] (Codex) or [servers.NAME] tables"
            )
        project = _claude_project(data, self.cwd)  # a ~/.claude.json: this directory's servers come first
        local = _servers_at(project, ("mcpServers",), path) or {}
        for keys in (("mcpServers",), ("servers",), ("mcp", "servers"), ("mcp.servers",)):
            found = _servers_at(data, keys, path)
            if found is not None:
                return {**local, **{k: v for k, v in found.items() if k not in local}}, set(), "json"
        if local:
            return local, set(), "json"
        raise UsageError(
            f"{path}: no MCP servers here: expected a 'mcpServers', 'servers' or 'mcp.servers' object",
            hint="--from takes claude, claude-code, cursor, vscode, codex or a configuration file",
        )


# --------------------------------------------------------------------------- converting


class _Skip(Exception):
    """This server cannot be imported; the message says why."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


@dataclass
class _Converter:
    """Turns one source entry into a profile table, collecting notes, warnings and inline secrets."""

    entry: _Entry
    fmt: str
    platform: str
    messages: list[Message] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    secret_keys: set[str] = field(default_factory=set)

    def note(self, text: str, key: str | None = None) -> None:
        self.messages.append(Message("note", text, self.entry.location, self.entry.name, key))

    def warn(self, text: str, key: str | None = None) -> None:
        self.messages.append(Message("warning", text, self.entry.location, self.entry.name, key))

    def convert(self) -> dict[str, Any]:
        body = self.entry.body
        if not isinstance(body, dict):
            raise _Skip(f"expected an object of settings, got {_kind(body)}")
        table = self._from_json(body) if self.fmt == "json" else self._from_toml(body)
        if self.entry.disabled_by and table.get("enabled", True):
            table["enabled"] = False
            self.note(f"{self.entry.disabled_by}: imported with enabled = false")
        return {key: table[key] for key in _KEY_ORDER if key in table}

    # ---------------------------------------------------------------- JSON sources

    def _from_json(self, body: Mapping[str, Any]) -> dict[str, Any]:
        for key in body:
            if key not in _JSON_KEYS:
                self.warn("has no meaning in mcpctl; not imported", key)
        table: dict[str, Any] = {}
        command = _opt_str(body, "command")
        url = _opt_str(body, "url") or _opt_str(body, "serverUrl")
        kind = self._json_transport(body)
        if command is not None and url is not None:
            if kind is None:
                raise _Skip("has both 'command' and 'url'; say which with 'type'")
            used, unused = ("command", "url") if kind == "stdio" else ("url", "command")
            self.warn(f"not imported: type '{kind}' uses '{used}'", unused)
            command, url = (command, None) if kind == "stdio" else (None, url)
        if command is None and url is None:
            raise _Skip("has neither 'command' nor 'url'")
        if command is not None:
            if kind not in (None, "stdio"):
                raise _Skip(f"type '{kind}' needs a 'url', not a 'command'", "type")
            table["command"] = self._translate(command, "command")
            args = [self._translate(a, "args") for a in _str_list(body, "args")]
            if args:
                table["args"] = args
            env = self._str_map(body, "env")
            if env:
                table["env"] = env
            cwd = _opt_str(body, "cwd")
            if cwd is not None:
                table["cwd"] = self._translate(cwd, "cwd")
        else:
            assert url is not None
            if kind == "stdio":
                raise _Skip("type 'stdio' needs a 'command', not a 'url'", "type")
            table["url"] = self._translate(url, "url")
            transport = kind or infer_transport(table["url"])
            if transport != infer_transport(table["url"]):
                table["transport"] = transport
            for key in ("args", "env", "cwd"):
                if key in body:
                    self.warn("goes with a stdio 'command', not a 'url'; not imported", key)
        headers = self._str_map(body, "headers")
        if headers:
            if "url" in table:
                table["http_headers"] = headers
            else:
                self.warn("go with a 'url', not a stdio 'command'; not imported", "headers")
        for key in ("disabled", "enabled"):
            if key in body and not isinstance(body[key], bool):
                raise _Skip(f"expected true or false, got {_kind(body[key])}", key)
        if body.get("disabled") is True or body.get("enabled") is False:
            table["enabled"] = False
        disabled_tools = _str_list(body, "disabledTools")
        if disabled_tools:
            table["disabled_tools"] = disabled_tools
        return table

    def _json_transport(self, body: Mapping[str, Any]) -> str | None:
        for key in ("type", "transport", "transportType"):
            if key in body:
                value = body[key]
                if not isinstance(value, str) or value.lower() not in _JSON_TRANSPORTS:
                    shown = value if isinstance(value, str) else _kind(value)
                    raise _Skip(f"unknown transport '{shown}' (mcpctl speaks stdio, http and sse)", key)
                return _JSON_TRANSPORTS[value.lower()]
        return None

    def _str_map(self, body: Mapping[str, Any], key: str) -> dict[str, str]:
        value = body.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise _Skip(f"expected an object of strings, got {_kind(value)}", key)
        result: dict[str, str] = {}
        for name, item in value.items():
            if item is None:
                self.warn("null (remove the variable) has no equivalent in mcpctl; not imported", f"{key}.{name}")
                continue
            if isinstance(item, dict | list):
                raise _Skip(f"expected a string, got {_kind(item)}", f"{key}.{name}")
            result[str(name)] = self._translate(_scalar(item), f"{key}.{name}")
        return result

    # ---------------------------------------------------------------- TOML sources (Codex, mcpctl)

    def _from_toml(self, body: Mapping[str, Any]) -> dict[str, Any]:
        table: dict[str, Any] = {}
        for key, value in body.items():
            if key not in _TOML_KEYS:
                self.warn("has no meaning in mcpctl; not imported", key)
            elif key == "startup_timeout_ms":
                if "startup_timeout_sec" in body:
                    self.note("ignored: startup_timeout_sec is set too", key)
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    seconds = value / 1000
                    table["startup_timeout_sec"] = int(seconds) if seconds == int(seconds) else seconds
                else:
                    raise _Skip(f"expected a number, got {_kind(value)}", key)
            else:
                table[key] = value
        if self.fmt != "codex":
            return table
        if table.get("url") and "transport" not in table and infer_transport(table["url"]) != "streamable-http":
            table["transport"] = "streamable-http"  # Codex speaks Streamable HTTP whatever the URL's path
        if table.get("env_vars") and "env_inherit" not in table:
            table["env_inherit"] = False  # as in Codex: only env_vars (and a minimal set) pass through
        return table

    # ---------------------------------------------------------------- variables and secrets

    def _translate(self, value: str, key: str) -> str:
        """References in the source's syntax rewritten into ours (``${VAR}``); TOML sources already are."""
        if self.fmt != "json" or "${" not in value:
            return value

        def substitute(match: re.Match[str]) -> str:
            inner = match.group(1)
            head, _, rest = inner.partition(":")
            root = self.entry.location.root
            if inner == "userHome":  # VS Code's and Cursor's predefined variables first
                return "${HOME}"
            if inner in ("pathSeparator", "/"):
                return "\\" if self.platform == "win32" else "/"
            if inner in ("workspaceFolder", "workspaceRoot", "cwd") and root is None:
                self.note(f"${{{inner}}} imported as ${{PWD:-.}}, the directory mcpctl runs in", key)
                return "${PWD:-.}"
            if inner in ("workspaceFolder", "workspaceRoot", "cwd", "workspaceFolderBasename") and root is not None:
                text = root.name if inner == "workspaceFolderBasename" else str(root)
                self.note(f"${{{inner}}} imported as {text}", key)
                return text
            if head == "env" and _IDENT.match(rest):
                return f"${{{rest}}}"
            if head == "input" and rest:
                var = _input_var(rest)
                self.warn(
                    f"${{input:{rest}}} is a VS Code prompt, which mcpctl has no equivalent for; "
                    f"imported as ${{{var}}}: set {var} in the environment",
                    key,
                )
                return f"${{{var}}}"
            if not _OUR_REF.fullmatch(match.group(0)):
                self.warn(f"{match.group(0)} has no equivalent in mcpctl; kept as written", key)
            return match.group(0)

        return _REF.sub(substitute, value)

    def check_secrets(self, table: Mapping[str, Any]) -> None:
        """Flag secrets written inline (not as ``${VAR}``): imported, but better kept in the environment."""
        for section in ("env", "http_headers"):
            for name, value in table.get(section, {}).items():
                if is_secret_name(name) and value and not _OUR_REF.search(value):
                    self._flag(f"{section}.{name}", [value, *_credential(value)], name if section == "env" else None)
        for original in _inline_secret_args(table.get("args", [])):
            self._flag("args", [original.partition("=")[2] or original])
        if table.get("url"):
            found = [s for s in url_secrets(table["url"]) if not _OUR_REF.search(s)]
            if found:
                self._flag("url", found)

    def _flag(self, key: str, values: list[str], env_name: str | None = None) -> None:
        self.secret_keys.add(key)
        self.secrets.extend(v for v in values if v)
        ref = f"${{{env_name}}}" if env_name else "${VAR}"
        self.warn(f"inline secret imported as it is; better keep it in the environment and write {ref}", key)


def _opt_str(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Skip(f"expected a string, got {_kind(value)}", key)
    return value


def _str_list(body: Mapping[str, Any], key: str) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or any(isinstance(v, dict | list) or v is None for v in value):
        raise _Skip(f"expected an array of strings, got {_kind(value)}", key)
    return [_scalar(v) for v in value]


def _scalar(value: Any) -> str:
    """A JSON scalar as the string a program would see (``8080`` → ``"8080"``, ``true`` → ``"true"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _credential(value: str) -> list[str]:
    scheme, _, credential = value.partition(" ")
    return [credential.strip()] if credential and scheme.lower() in ("bearer", "basic", "token") else []


def _input_var(input_id: str) -> str:
    """The environment variable standing in for VS Code's ``${input:ID}``: ``perplexity-key`` → ``PERPLEXITY_KEY``."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", input_id).strip("_").upper() or "INPUT"
    return f"_{name}" if name[0].isdigit() else name


def _masked(table: Mapping[str, Any], secret_keys: set[str]) -> dict[str, Any]:
    masked = dict(table)
    for section in ("env", "http_headers"):
        if section in masked:
            masked[section] = {k: (MASK if f"{section}.{k}" in secret_keys else v) for k, v in masked[section].items()}
    if "args" in secret_keys:
        hidden = set(_inline_secret_args(masked["args"]))
        masked["args"] = [
            shown if original in hidden else original
            for original, shown in zip(masked["args"], mask_args(masked["args"]), strict=True)
        ]
    if "url" in secret_keys:
        url = str(masked["url"])
        for secret in url_secrets(url):
            url = url.replace(secret, MASK)
        masked["url"] = url
    return masked


def _inline_secret_args(args: list[str]) -> list[str]:
    """Arguments that carry a secret-looking flag's value written inline (``--api-key X``, ``--token=X``)."""
    return [
        original
        for original, shown in zip(args, mask_args(args), strict=True)
        if original != shown and not _OUR_REF.search(original)
    ]


def sanitize_name(name: str) -> str:
    """A profile name for a source name: characters outside ``[A-Za-z0-9_-]`` become ``-``."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", name).strip("-") or "server"


# --------------------------------------------------------------------------- planning


def plan_import(request: ImportRequest, existing: Mapping[str, ServerConfig], profile: Path) -> ImportPlan:
    """Read the sources and decide, server by server, what to import under which name.

    Sources are read in ``locations`` order; the first server of a name wins and a later one of the
    same name is skipped (identical ones quietly). A name already in the profile is skipped unless
    ``force`` (replace) or ``prefix`` (import as ``PREFIX<name>``). Raises ``UsageError`` (exit 2)
    for a source file that cannot be read or parsed, and when no server is found anywhere.
    """
    if request.prefix is not None and not re.fullmatch(r"[A-Za-z0-9_-]*", request.prefix):
        raise UsageError(f"bad --prefix '{request.prefix}'", hint="use letters, digits, '-' and '_' only")
    if request.prefix and request.force:
        raise UsageError("use either --prefix (keep both) or --force (replace), not both")
    environ = os.environ if request.environ is None else request.environ
    cwd = request.cwd or Path.cwd()
    platform = request.platform or sys.platform
    plan = ImportPlan(profile=profile)
    reader = _Reader(cwd, _home(environ, platform))
    found: list[tuple[_Entry, str]] = []
    for loc in locations(request.source, environ, cwd, platform):
        read = reader.entries(loc)
        if read is None and loc.source == "file":
            raise UsageError(
                f"{loc.path}: no such file", hint="--from takes claude, claude-code, cursor, vscode, codex or a file"
            )
        plan.looked.append((loc, None if read is None else len(read[0])))
        plan.messages.append(Message("note", _looked_text(loc, None if read is None else len(read[0]))))
        if read is not None:
            found += [(entry, read[1]) for entry in read[0]]
    if not found:
        raise UsageError(
            "no MCP servers found to import",
            details=[_looked_text(loc, count) for loc, count in plan.looked],
            hint="name a configuration file with --from PATH",
        )
    planned: dict[str, ServerConfig] = {}
    for entry, fmt in found:
        _plan_one(plan, entry, fmt, platform, request, existing, planned)
    return plan


def _looked_text(loc: Location, count: int | None) -> str:
    if count is None:
        return f"{loc.label}: not found ({loc.path})"
    if count == 0:
        return f"{loc.label}: no servers in {loc.path}"
    return f"{loc.label}: {count} server{'' if count == 1 else 's'} in {loc.path}"


def _plan_one(
    plan: ImportPlan,
    entry: _Entry,
    fmt: str,
    platform: str,
    request: ImportRequest,
    existing: Mapping[str, ServerConfig],
    planned: dict[str, ServerConfig],
) -> None:
    converter = _Converter(entry, fmt, platform)
    name = sanitize_name(entry.name)
    try:
        table = converter.convert()
        config = _validated(name, table, entry.location)
        converter.check_secrets(table)
    except _Skip as skip:
        plan.messages += converter.messages
        plan.messages.append(Message("warning", f"{skip}; not imported", entry.location, entry.name, skip.key))
        plan.skipped.append(Skipped(entry.name, entry.location, str(skip)))
        return
    if name != entry.name:
        converter.messages.insert(
            0, Message("note", f"imported as '{name}' (names use letters, digits, - and _)", entry.location, entry.name)
        )
    candidates = [name] + ([request.prefix + name] if request.prefix else [])
    reasons: list[str] = []
    in_profile = False
    for candidate in candidates:
        if candidate in planned:
            if _same(planned[candidate], config):
                _skip(plan, entry, f"same as '{candidate}' from an earlier source")
                return
            reasons.append(f"'{candidate}' is imported from an earlier source")
            continue
        if candidate in existing:
            if _same(existing[candidate], config):
                planned[candidate] = config  # claimed: a later source's server of this name is a clash
                _skip(plan, entry, f"already in the profile as '{candidate}'")
                return
            if not request.force:
                reasons.append(f"'{candidate}' is already in the profile")
                in_profile = True
                continue
        replaces = candidate in existing
        planned[candidate] = config
        plan.messages += converter.messages
        plan.secret_values += converter.secrets
        masked = _masked(table, converter.secret_keys)
        plan.servers.append(PlannedServer(candidate, entry.name, entry.location, table, masked, replaces))
        if candidate != name:
            plan.messages.append(Message("note", f"imported as '{candidate}'", entry.location, entry.name))
        return
    hint = "" if request.prefix else "; use --prefix P to import it as P<name>"
    if hint and in_profile:
        hint += ", or --force to replace it"
    _skip(plan, entry, " and ".join(reasons) + hint)


def _skip(plan: ImportPlan, entry: _Entry, reason: str) -> None:
    plan.skipped.append(Skipped(entry.name, entry.location, reason))
    plan.messages.append(Message("note", f"skipped: {reason}", entry.location, entry.name))


def _validated(name: str, table: Mapping[str, Any], location: Location) -> ServerConfig:
    """The table as the profile will read it; what the profile would reject is skipped."""
    try:
        return parse_profile(render_server(name, table), location.path).servers[name]
    except ProfileError as exc:
        message = exc.message.split(f"servers.{name}", 1)[-1].lstrip(".: ") or exc.message
        raise _Skip(message) from None
    except TypeError as exc:
        raise _Skip(str(exc)) from None


def _same(a: ServerConfig, b: ServerConfig) -> bool:
    return dataclasses.replace(a, name="") == dataclasses.replace(b, name="")


# --------------------------------------------------------------------------- writing


def apply_plan(plan: ImportPlan) -> None:
    """Append (or replace) each planned server with ``add_server``: atomic, the rest of the file kept.

    When servers were replaced, ``PROFILE.bak`` ends up holding the profile as it was before the import.
    """
    path = plan.profile
    before = path.read_text(encoding="utf-8") if path.exists() else None
    for server in plan.servers:
        add_server(path, server.name, server.table, force=server.replaces)
    if before is not None and any(s.replaces for s in plan.servers):
        atomic_write(path.with_name(path.name + ".bak"), before)
