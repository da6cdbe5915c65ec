"""Where other programs keep their MCP servers, and reading those files (JSON, JSONC, TOML).

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

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcpctl.core.errors import UsageError
from mcpctl.core.files import ParseError, load_json, load_toml
from mcpctl.core.profile import (
    config_home,
)

SOURCES = ("claude", "claude-code", "cursor", "vscode", "codex")


@dataclass(frozen=True)
class Location:
    """One place a configuration may be: which program, which file, which layout."""

    source: str  # claude, claude-code, cursor, vscode, codex, or "file"
    label: str  # "Claude Desktop", "Cursor (user)", or the path given
    path: Path
    shape: str  # mcpServers, claude-local, claude-user, vscode, vscode-settings, codex, auto
    root: Path | None = None  # the project folder, for ${workspaceFolder}


@dataclass(frozen=True)
class Entry:
    location: Location
    name: str
    body: Any
    disabled_by: str | None = None  # why the source program has it switched off


def home_dir(environ: Mapping[str, str], platform: str) -> Path:
    home = environ.get("HOME") or (environ.get("USERPROFILE") if platform == "win32" else None)
    return Path(home) if home else Path.home()


def _app_data(environ: Mapping[str, str], platform: str) -> Path:
    """The folder desktop apps keep their settings in (Claude Desktop, VS Code)."""
    if platform == "darwin":
        return home_dir(environ, platform) / "Library" / "Application Support"
    if platform == "win32":
        appdata = environ.get("APPDATA")
        return Path(appdata) if appdata else home_dir(environ, platform) / "AppData" / "Roaming"
    return config_home({"HOME": str(home_dir(environ, platform)), **environ})


def locations(
    source: str | None, environ: Mapping[str, str], cwd: Path, platform: str = sys.platform
) -> list[Location]:
    """The places to look for ``--from SOURCE`` (every known place when None), in reading order."""
    if source is not None and source not in SOURCES:
        path = Path(source).expanduser()
        if not path.is_absolute():
            path = cwd / path
        return [Location("file", source, path, "auto", _project_root(path))]
    home = home_dir(environ, platform)
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
        raise UsageError(f"{path}: expected a JSON object at the top, got {kind_of(data)}", hint=hint)
    return data, "json"


def strip_jsonc_safe(text: str) -> str:
    """``strip_jsonc`` that gives the text back unchanged when it is not JSONC at all."""
    try:
        return strip_jsonc(text)
    except ParseError:
        return text


def kind_of(value: Any) -> str:
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
        raise UsageError(f"{path}: {'.'.join(keys)}: expected an object of servers, got {kind_of(value)}")
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


class Reader:
    """Reads each location once (``~/.claude.json`` serves two), caching documents by path."""

    def __init__(self, cwd: Path, home: Path) -> None:
        self.cwd = cwd
        self.home = home
        self._cache: dict[Path, tuple[dict[str, Any], str] | None] = {}

    def load(self, path: Path) -> tuple[dict[str, Any], str] | None:
        if path not in self._cache:
            self._cache[path] = _load(path)
        return self._cache[path]

    def entries(self, loc: Location) -> tuple[list[Entry], str] | None:
        """The location's server entries and their dialect (json, codex, mcpctl); None when there is no file."""
        loaded = self.load(loc.path)
        if loaded is None:
            return None
        data, fmt = loaded
        servers, disabled, dialect = self._servers(loc, data, fmt)
        entries = [
            Entry(loc, name, body, "disabled in Claude Code" if name in disabled else None)
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
