"""``tools lock`` / ``check`` / ``diff``: capture the servers' surface, and compare it with a lock.

The rules live in ``core.contract`` (pure); this module only asks the live servers (through the
toolkit, concurrently) and reads and writes lock files.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcpctl.core.contract import LEVELS, Change, compare, lock_text, parse_lock, surface_entry
from mcpctl.core.errors import McpctlError, UsageError
from mcpctl.core.files import atomic_write
from mcpctl.core.wire import wire
from mcpctl.ops.fanout import gather
from mcpctl.ops.toolkit import AsyncToolkit

LOCK_NAME = "mcpctl.lock"


def default_lock_path(profile_path: Path) -> Path:
    """The lock beside the profile (``./mcpctl.lock`` for a project profile)."""
    return profile_path.parent / LOCK_NAME


async def capture(tk: AsyncToolkit, servers: Sequence[str]) -> tuple[dict[str, Any], list[McpctlError]]:
    """Each reachable server's lock entry, and the errors of those that could not be asked."""
    from mcpctl.ops.prompts import PROMPTS
    from mcpctl.ops.resources import RESOURCES, TEMPLATES

    async def one(server: str) -> dict[str, Any] | McpctlError:
        try:
            session = await tk.session(server)
            info = session.client.server_info
            return surface_entry(
                tools=[t.raw for t in await tk.tools_of(server)],
                resources=[wire(r) for r in await RESOURCES(session)],
                templates=[wire(t) for t in await TEMPLATES(session)],
                prompts=[wire(p) for p in await PROMPTS(session)],
                server_info=wire(info) if info is not None else None,
                protocol=session.protocol_version,
            )
        except McpctlError as error:
            return error.with_server(server)

    found = await gather(list(servers), one)
    entries = {s: e for s, e in zip(servers, found, strict=True) if not isinstance(e, McpctlError)}
    errors = [e for e in found if isinstance(e, McpctlError)]
    return entries, errors


def read_lock(path: Path) -> dict[str, Any]:
    """A lock file's servers; a usage error naming the file when it is missing or malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"lock file not found: {path}", hint="create it with: mcpctl tools lock") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    try:
        return parse_lock(text, str(path))
    except ValueError as exc:
        raise UsageError(str(exc), hint="regenerate it with: mcpctl tools lock --update") from None


@dataclass(frozen=True)
class LockWrite:
    """What ``tools lock`` did."""

    path: Path
    servers: list[str]
    written: bool
    unchanged: bool

    def to_json(self) -> dict[str, Any]:
        return {"lock": str(self.path), "servers": self.servers, "written": self.written, "unchanged": self.unchanged}


def write_lock(path: Path, entries: dict[str, Any], *, update: bool) -> LockWrite:
    """Write (or, with ``update``, rewrite) the lock; servers already locked but not captured now are kept."""
    existing: dict[str, Any] = {}
    if path.exists():
        if not update:
            raise UsageError(f"{path} exists", hint="use --update to rewrite it, or mcpctl tools check to compare")
        existing = read_lock(path)
    merged = {**existing, **entries}
    text = lock_text(merged)
    unchanged = path.exists() and path.read_text(encoding="utf-8") == text
    if not unchanged:
        atomic_write(path, text, mode=0o644)
    return LockWrite(path, sorted(entries), written=not unchanged, unchanged=unchanged)


@dataclass
class Report:
    """The changes found, by class, minus the ignored ones."""

    changes: list[Change] = field(default_factory=list)
    ignored: int = 0

    def of(self, level: str) -> list[Change]:
        return [c for c in self.changes if c.level == level]

    def to_json(self) -> dict[str, Any]:
        """``{"breaking": [...], "compatible": [...], "info": [...]}`` (each change with server, kind, path…)."""
        return {level: [c.to_json() for c in self.of(level)] for level in LEVELS}


def classify_changes(
    old: dict[str, Any], new: dict[str, Any], servers: list[str] | None, ignore: Sequence[str]
) -> Report:
    """Compare two locks' servers; a change whose ``SERVER.ITEM[.PATH]`` matches an ``ignore`` glob is left out."""
    report = Report()
    for change in compare(old, new, servers):
        if any(
            fnmatch.fnmatchcase(change.where, glob) or fnmatch.fnmatchcase(f"{change.server}.{change.item}", glob)
            for glob in ignore
        ):
            report.ignored += 1
        else:
            report.changes.append(change)
    return report
