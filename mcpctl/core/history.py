"""The shell's call history: a bounded JSON Lines log, secrets masked, readable only by its owner.

One line per call: time, ok, server, tool, arguments (masked by ``mask_arguments``), duration and the
command line as typed (its secret items masked too), so ``history``, ``again`` and Ctrl-R search work
across runs. The log lives in ``$XDG_STATE_HOME/mcpctl/history.jsonl`` (``~/.local/state`` otherwise);
lines are appended with ``O_APPEND`` and mode 0600, and past ``2 × limit`` lines the newest ``limit``
are kept (one atomic rewrite), so the file stays bounded without a rewrite on every call.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mcpctl.core.files import atomic_write
from mcpctl.core.secrets import is_secret_name, mask_arguments

#: How many entries the log keeps.
LIMIT = 1000
FILE_MODE = 0o600
MASK = "***"


@dataclass(frozen=True)
class Entry:
    """One call as the history shows it."""

    time: str
    ok: bool
    server: str
    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0
    line: str = ""

    @property
    def masked(self) -> bool:
        """Whether a value was masked (so the entry cannot be re-sent as it is)."""
        return MASK in json.dumps(self.arguments) or MASK in self.line

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "ok": self.ok,
            "server": self.server,
            "tool": self.tool,
            "arguments": self.arguments,
            "duration_ms": round(self.duration_ms, 1),
            "line": self.line,
        }


def record(
    server: str,
    tool: str,
    arguments: Mapping[str, Any],
    *,
    ok: bool,
    duration_ms: float,
    line: str = "",
    now: datetime | None = None,
) -> Entry:
    """A history entry with its secrets masked (argument values and ``password=…`` items of the line)."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return Entry(stamp, ok, server, tool, mask_arguments(dict(arguments)), duration_ms, mask_line(line))


def mask_line(line: str) -> str:
    """The command line with the value of every secret-named ``key=value`` / ``key:=json`` word masked."""
    words = []
    for word in line.split(" "):
        key, sep, _ = word.partition(":=") if ":=" in word else word.partition("=")
        words.append(f"{key}{sep}{MASK}" if sep and is_secret_name(key.strip("'\"")) else word)
    return " ".join(words)


def to_line(entry: Entry) -> str:
    """One JSON Lines line (with its newline)."""
    return json.dumps(entry.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"


def parse(text: str) -> list[Entry]:
    """The entries of a log; a line that is not one (a torn write, an edit) is skipped."""
    entries: list[Entry] = []
    for raw in text.splitlines():
        try:
            data = json.loads(raw)
            entries.append(
                Entry(
                    str(data["time"]),
                    bool(data["ok"]),
                    str(data["server"]),
                    str(data["tool"]),
                    dict(data.get("arguments") or {}),
                    float(data.get("duration_ms") or 0.0),
                    str(data.get("line") or ""),
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return entries


def last(entries: Sequence[Entry], count: int | None) -> list[Entry]:
    """The newest ``count`` entries (all when None), oldest first."""
    if count is None:
        return list(entries)
    return list(entries[-count:]) if count > 0 else []


def state_file(name: str, env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/mcpctl/NAME``, else ``~/.local/state/mcpctl/NAME``."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "state")
    return Path(base) / "mcpctl" / name


def default_path(env: Mapping[str, str] | None = None) -> Path:
    """The shell's call history: ``$XDG_STATE_HOME/mcpctl/history.jsonl``."""
    return state_file("history.jsonl", env)


def load(path: Path) -> list[Entry]:
    """The entries in ``path`` (none when it does not exist or cannot be read)."""
    try:
        return parse(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return []


def append(path: Path, entry: Entry, limit: int = LIMIT) -> None:
    """Add ``entry`` (mode 0600, ``O_APPEND``); past twice the limit, keep the newest ``limit``."""
    append_bounded(path, to_line(entry), lambda p: [to_line(e) for e in load(p)], limit)


def append_bounded(path: Path, line: str, lines_of: Callable[[Path], list[str]], limit: int = LIMIT) -> None:
    """Append one line (``O_APPEND``, mode 0600, directory 0700); when ``lines_of`` (the readable lines, re-spelt)
    finds more than twice ``limit``, rewrite the file atomically with the newest ``limit``."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)
    kept = lines_of(path)
    if len(kept) > 2 * limit:
        atomic_write(path, "".join(kept[-limit:]), mode=FILE_MODE)
