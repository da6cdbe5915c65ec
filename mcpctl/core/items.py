"""Tool arguments from the command line: httpie-style request items (coerced and validated in ``core.schema``).

``mcpctl call TARGET [ARG…]`` takes its arguments as request items, the way httpie does::

    key=value          a string, coerced by the tool's inputSchema (integer, number, boolean, null, enum…)
    key:=json          a raw JSON value: n:=5  tags:='["a","b"]'  opts:='{"x":1}'
    key=@file          the file's text, as a string (coerced like key=value)
    key:=@file.json    the file's parsed JSON

The separator is the earliest ``=`` or ``:=`` in the token; a backslash escapes ``=``, ``:`` or ``\\``
in the key (``a\\=b=c`` sets ``a=b``); a value starting with ``\\@`` is a literal ``@…`` string.
``--args JSON|@file.json|-`` gives a base object that the items override.

Everything here is pure (no I/O but the files named by ``@`` and stdin for ``--args -``), and every
problem with the user's input is an :class:`~mcpctl.core.errors.ArgumentError`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

from mcpctl.core.errors import ArgumentError
from mcpctl.core.schema.refs import json_type
from mcpctl.core.wire import dump_json

Kind = Literal["string", "json"]


ITEM_FORMS_HINT = (
    "use key=value (text), key:=json (a JSON value), key=@file (a file's text) or key:=@file.json (a file's JSON)"
)


_ESCAPABLE = frozenset(":=\\")


_JSON_ITEM_HINT = 'quote JSON for the shell: tags:=\'["a", "b"]\'  opts:=\'{"x": 1}\'; for text use key=value'


@dataclass(frozen=True)
class Separator:
    """One request-item separator: its text, the kind of value it makes, whether it reads a file."""

    text: str
    kind: Kind
    from_file: bool


# Longest first: at a given position the first separator that matches wins (httpie's rule).
SEPARATORS: tuple[Separator, ...] = (
    Separator(":=@", "json", from_file=True),
    Separator(":=", "json", from_file=False),
    Separator("=@", "string", from_file=True),
    Separator("=", "string", from_file=False),
)


@dataclass(frozen=True)
class Item:
    """One parsed request item.

    ``raw`` is the value's text (inline, or the file's contents); ``value`` is that text for
    ``string`` items (coerced later, by schema) and the parsed JSON for ``json`` items; ``file`` is
    the path named after ``@``, if any; ``token`` is the item exactly as the user typed it.
    """

    key: str
    raw: str
    kind: Kind
    value: Any
    token: str
    file: str | None = None


def parse_item(token: str) -> Item:
    """Parse one ``key=value`` / ``key:=json`` / ``key=@file`` / ``key:=@file.json`` item."""
    key, sep, rest = _split_item(token)
    if not key:
        raise ArgumentError(f"{token!r}: the argument name is empty", hint=ITEM_FORMS_HINT)
    file: str | None = None
    if sep.from_file:
        file = rest
        raw = _read_item_file(token, rest, sep.kind)
    elif sep.kind == "string" and rest.startswith("\\@"):
        raw = rest[1:]
    else:
        raw = rest
    value: Any = raw if sep.kind == "string" else _parse_json(raw, f"{token!r}", _JSON_ITEM_HINT)
    return Item(key=key, raw=raw, kind=sep.kind, value=value, token=token, file=file)


def _split_item(token: str) -> tuple[str, Separator, str]:
    """Split at the earliest separator, unescaping the key; no separator is an error."""
    key: list[str] = []
    i = 0
    while i < len(token):
        char = token[i]
        if char == "\\" and i + 1 < len(token) and token[i + 1] in _ESCAPABLE:
            key.append(token[i + 1])
            i += 2
            continue
        sep = _separator_at(token, i)
        if sep is not None:
            return "".join(key), sep, token[i + len(sep.text) :]
        key.append(char)
        i += 1
    raise ArgumentError(f"{token!r}: not an argument (no '=' or ':=')", hint=ITEM_FORMS_HINT)


def _separator_at(token: str, index: int) -> Separator | None:
    return next((sep for sep in SEPARATORS if token.startswith(sep.text, index)), None)


def _read_item_file(token: str, path: str, kind: Kind) -> str:
    """The text of the file an ``@`` item names; a JSON file may start with a UTF-8 BOM."""
    if not path:
        raise ArgumentError(f"{token!r}: no file name after '@'", hint=ITEM_FORMS_HINT)
    return _read_text(path, f"{token!r}", encoding="utf-8-sig" if kind == "json" else "utf-8")


def _read_text(path: str, where: str, encoding: str = "utf-8") -> str:
    """Read a UTF-8 text file exactly (``~`` expanded, newlines kept); failures name the file."""
    try:
        return Path(path).expanduser().read_bytes().decode(encoding)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ArgumentError(f"{where}: cannot read file {path!r}: {reason}") from exc
    except UnicodeDecodeError as exc:
        raise ArgumentError(f"{where}: file {path!r} is not UTF-8 text") from exc
    except (ValueError, RuntimeError) as exc:  # embedded NUL byte, unresolvable ~user
        raise ArgumentError(f"{where}: cannot read file {path!r}: {exc}") from exc


def _parse_json(text: str, where: str, hint: str | None = None) -> Any:
    """Parse JSON text strictly (no NaN/Infinity); errors quote ``where``."""
    try:
        return json.loads(text, parse_constant=reject_constant)
    except json.JSONDecodeError as exc:
        message = f"{where}: invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise ArgumentError(message, hint=hint) from exc
    except ValueError as exc:  # NaN/Infinity, or an integer too long to convert
        raise ArgumentError(f"{where}: invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise ArgumentError(f"{where}: invalid JSON: nested too deeply") from exc


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_args_option(value: str | None, stdin: TextIO) -> dict[str, Any]:
    """The ``--args`` base object: inline JSON, ``@file.json``, or ``-`` for stdin; must be an object."""
    if value is None:
        return {}
    if value == "-":
        where = "--args -"
        text = _read_stdin(stdin)
    elif value.startswith("@"):
        where = f"--args {value}"
        if len(value) == 1:
            raise ArgumentError(f"{where}: no file name after '@'")
        text = _read_text(value[1:], where, encoding="utf-8-sig")
    else:
        where = "--args"
        text = value
    parsed = _parse_json(text, where)
    if not isinstance(parsed, dict):
        raise ArgumentError(
            f"{where}: must be a JSON object, got {json_type(parsed)}",
            hint='e.g. --args \'{"name": "value"}\'',
        )
    return parsed


def _read_stdin(stdin: TextIO) -> str:
    try:
        return stdin.read()
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ArgumentError(f"--args -: cannot read stdin: {exc}") from exc


def escape_key(key: str) -> str:
    return "".join("\\" + c if c in _ESCAPABLE else c for c in key)


def string_arguments(items: Sequence[str]) -> dict[str, str]:
    """``key=value`` / ``key=@file`` items as strings (prompt and template arguments are strings), each key once."""
    values: dict[str, str] = {}
    tokens: dict[str, str] = {}
    for token in items:
        item = parse_item(token)
        if item.key in tokens:
            raise ArgumentError(
                f"{token!r}: argument {item.key!r} is given more than once (first as {tokens[item.key]!r})",
                hint="give each argument once",
            )
        tokens[item.key] = token
        values[item.key] = item.value if isinstance(item.value, str) else dump_json(item.value)
    return values
