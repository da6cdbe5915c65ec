"""The interactive chat's state: the prompt history file, this conversation's turns, and the slash commands.

Operations never print: ``slash`` parses a ``/command`` line into a ``Slash`` the command acts on, and
the prompt history is a file of its own (``$XDG_STATE_HOME/mcpctl/chat_history.jsonl``, mode 0600), one
JSON string a line so that a prompt may hold newlines; past twice ``LIMIT`` lines the newest are kept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mcpctl.core.errors import UsageError
from mcpctl.core.history import append_bounded, state_file

LIMIT = 1000
COMMANDS = ("/tools", "/status", "/history", "/clear", "/model", "/quit", "/help")
HELP = "/tools  /status  /history  /clear  /model NAME  /quit (or Ctrl-D); Ctrl-C stops the answer"


@dataclass(frozen=True)
class Slash:
    """A slash command as typed: its name (``/model``) and argument ("" when none)."""

    name: str
    argument: str = ""


def slash(line: str) -> Slash | None:
    """The slash command ``line`` is, None when it is a prompt for the model; unknown ones are a usage error."""
    text = line.strip()
    if not text.startswith("/"):
        return None
    name, _, argument = text.partition(" ")
    if name not in COMMANDS:
        raise UsageError(f"unknown command '{name}'", hint=HELP)
    argument = argument.strip()
    if name == "/model" and not argument:
        raise UsageError("/model needs a NAME", hint="e.g. /model gpt-4o")
    if name != "/model" and argument:
        raise UsageError(f"{name} takes no argument", hint=HELP)
    return Slash(name, argument)


def history_path(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/mcpctl/chat_history.jsonl`` (``~/.local/state`` otherwise): apart from the shell's calls."""
    return state_file("chat_history.jsonl", env)


def load_prompts(path: Path) -> list[str]:
    """The prompts typed before, oldest first (none when the file is missing or unreadable)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    prompts: list[str] = []
    for raw in text.splitlines():
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        if isinstance(value, str) and value:
            prompts.append(value)
    return prompts


def append_prompt(path: Path, prompt: str, limit: int = LIMIT) -> None:
    """Add ``prompt`` (``O_APPEND``, mode 0600); past twice the limit, keep the newest ``limit``."""
    append_bounded(path, _line(prompt), lambda p: [_line(x) for x in load_prompts(p)], limit)


def _line(prompt: str) -> str:
    return json.dumps(prompt, ensure_ascii=False) + "\n"
