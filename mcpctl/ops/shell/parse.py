"""The shell's command lines: words as a POSIX shell splits them, and the commands it knows.

Pure: ``parse_line`` turns a line into a ``Line`` (command and words) or raises a ``UsageError``
quoting what was typed; ``COMMANDS`` holds each command's usage and help, for ``help`` and completion.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from mcpctl.core.errors import UsageError

#: name → (usage, one-line help), in the order ``help`` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "tools": ("tools [SERVER] [FILTER]", "list tools (of SERVER; whose name or description contains FILTER)"),
    "show": ("show TOOL", "describe a tool: arguments, schema, annotations"),
    "call": ("call TOOL [ARG…]", "call a tool; ARG is key=value, key:=json, key=@file (a bare TOOL ARG… works too)"),
    "resources": ("resources [SERVER]", "list resources"),
    "read": ("read [SERVER] URI [NAME=VALUE…]", "read a resource"),
    "prompts": ("prompts [SERVER]", "list prompts"),
    "get": ("get PROMPT [key=value…]", "render a prompt"),
    "ping": ("ping [SERVER…]", "one round trip to each server"),
    "use": ("use [SERVER]", "make SERVER the current one (no SERVER: clear it)"),
    "set": ("set output text|json|table", "change the output format"),
    "status": ("status", "each server's state, protocol, transport, tools, calls, last error, reconnects"),
    "history": ("history [N]", "the last N calls (persistent across runs)"),
    "again": ("again N", "run history entry N again"),
    "help": ("help [COMMAND]", "this list, or one command's usage"),
    "quit": ("quit", "leave the shell (also exit, Ctrl-D)"),
    "exit": ("exit", "leave the shell"),
}
FORMATS = ("text", "json", "table")


@dataclass(frozen=True)
class Line:
    """One command: its name and its words (``command`` is "" for a blank line or a comment)."""

    command: str
    words: tuple[str, ...] = ()
    text: str = ""


def split_words(text: str) -> list[str]:
    """The words of ``text`` as ``sh`` splits them (``#`` starts a comment); unbalanced quotes are a usage error."""
    try:
        return shlex.split(text, comments=True)
    except ValueError as exc:
        raise UsageError(f"cannot parse the line {text.strip()!r}: {exc}", hint="balance the quotes") from None


def parse_line(text: str) -> Line:
    """The command a line names; an unknown first word is taken for a tool (the bare shorthand)."""
    words = split_words(text)
    if not words:
        return Line("", (), text)
    head, rest = words[0], tuple(words[1:])
    if head in COMMANDS:
        return Line(head, rest, text)
    return Line("call", (head, *rest), text)


def usage(command: str) -> str:
    """``usage: …`` for one command."""
    return f"usage: {COMMANDS[command][0]}"


def need(line: Line, low: int, high: int | None) -> None:
    """A usage error unless the command got between ``low`` and ``high`` words."""
    count = len(line.words)
    if count < low or (high is not None and count > high):
        raise UsageError(f"{line.command}: wrong number of arguments", hint=usage(line.command))


def count_word(word: str, what: str) -> int:
    """A positive whole number typed as ``word`` (``history 5``, ``again 3``)."""
    try:
        value = int(word)
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError(f"{what}: expected a positive number, got {word!r}")
    return value
