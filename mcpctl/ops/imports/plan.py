"""The import plan: which servers to write, which were skipped and why; ``apply_plan`` writes it.

Nothing here prints or exits: ``plan_import`` returns an ``ImportPlan`` and ``apply_plan`` writes it
with ``profile.add_server``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcpctl.core.errors import ProfileError, UsageError
from mcpctl.core.files import atomic_write
from mcpctl.core.profile import (
    ServerConfig,
    add_server,
    parse_profile,
    render_server,
)
from mcpctl.ops.imports.convert import Converter, Message, Skip, masked_table, sanitize_name
from mcpctl.ops.imports.sources import Entry, Location, Reader, home_dir, locations


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
    reader = Reader(cwd, home_dir(environ, platform))
    found: list[tuple[Entry, str]] = []
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
    entry: Entry,
    fmt: str,
    platform: str,
    request: ImportRequest,
    existing: Mapping[str, ServerConfig],
    planned: dict[str, ServerConfig],
) -> None:
    converter = Converter(entry, fmt, platform)
    name = sanitize_name(entry.name)
    try:
        table = converter.convert()
        config = _validated(name, table, entry.location)
        converter.check_secrets(table)
    except Skip as skip:
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
        masked = masked_table(table, converter.secret_keys)
        plan.servers.append(PlannedServer(candidate, entry.name, entry.location, table, masked, replaces))
        if candidate != name:
            plan.messages.append(Message("note", f"imported as '{candidate}'", entry.location, entry.name))
        return
    hint = "" if request.prefix else "; use --prefix P to import it as P<name>"
    if hint and in_profile:
        hint += ", or --force to replace it"
    _skip(plan, entry, " and ".join(reasons) + hint)


def _skip(plan: ImportPlan, entry: Entry, reason: str) -> None:
    plan.skipped.append(Skipped(entry.name, entry.location, reason))
    plan.messages.append(Message("note", f"skipped: {reason}", entry.location, entry.name))


def _validated(name: str, table: Mapping[str, Any], location: Location) -> ServerConfig:
    """The table as the profile will read it; what the profile would reject is skipped."""
    try:
        return parse_profile(render_server(name, table), location.path).servers[name]
    except ProfileError as exc:
        message = exc.message.split(f"servers.{name}", 1)[-1].lstrip(".: ") or exc.message
        raise Skip(message) from None
    except TypeError as exc:
        raise Skip(str(exc)) from None


def _same(a: ServerConfig, b: ServerConfig) -> bool:
    return dataclasses.replace(a, name="") == dataclasses.replace(b, name="")


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
