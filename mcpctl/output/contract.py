"""The human view of contract changes (``tools check`` / ``tools diff``): grouped by server, worst first."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mcpctl.core.contract import LEVELS, Change


def render_changes(changes: Sequence[Change], ignored: int = 0) -> str:
    """One block per server, its changes breaking first, then a summary line."""
    lines: list[str] = []
    order = {level: index for index, level in enumerate(LEVELS)}
    for server in sorted({c.server for c in changes}):
        lines.append(server)
        mine = sorted(
            (c for c in changes if c.server == server), key=lambda c: (order[c.level], c.kind, c.item, c.path)
        )
        for c in mine:
            where = f"{c.kind} {c.item}" + (f" {c.path}" if c.path else "")
            lines.append(f"  {c.level:<10}  {where}: {c.message}{_values(c)}")
    counts = ", ".join(f"{sum(1 for c in changes if c.level == level)} {level}" for level in LEVELS)
    summary = "no changes" if not changes else counts
    lines.append(summary + (f" ({ignored} ignored)" if ignored else ""))
    return "\n".join(lines) + "\n"


def _values(change: Change) -> str:
    """`` (before → after)`` for short scalar values; nothing for schemas."""
    if isinstance(change.before, dict | list) or isinstance(change.after, dict | list):
        return ""
    if change.before is None and change.after is None:
        return ""
    return f" ({_short(change.before)} → {_short(change.after)})"


def _short(value: Any) -> str:
    text = "-" if value is None else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"
