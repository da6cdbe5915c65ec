"""Reading and writing the files mcpctl owns: atomic writes and guarded TOML/JSON parsing.

Every write is a temporary file in the same directory, fsynced and renamed over the
target, so a crash or a full disk never leaves half a profile. Parsers turn every
way user input can be malformed (bad syntax, integers past 4,300 digits, nesting past
the recursion limit) into one ``ValueError`` with a readable reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from mcpctl.core.errors import UsageError


class ParseError(ValueError):
    """A document could not be parsed; the message says why in plain words (``line``/``column`` when known)."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


def load_toml(text: str) -> dict[str, Any]:
    """Parse TOML text; every failure (syntax, huge integers, deep nesting) is a ``ParseError``."""
    import tomllib

    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ParseError("nested too deeply") from None
    except ValueError as exc:  # TOMLDecodeError, an integer past 4300 digits
        raise ParseError(str(exc)) from None


def load_json(text: str, **kwargs: Any) -> Any:
    """Parse JSON text; every failure (syntax, huge integers, deep nesting) is a ``ParseError``."""
    try:
        return json.loads(text, **kwargs)
    except RecursionError:
        raise ParseError("nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ParseError(exc.msg, exc.lineno, exc.colno) from None
    except ValueError as exc:  # NaN/Infinity rejected by parse_constant, an integer past 4300 digits
        raise ParseError(str(exc)) from None


def atomic_write(path: Path, text: str | bytes, *, backup: bool = False, mode: int | None = None) -> None:
    """Write ``path`` atomically (temp file + rename), keeping the old file's mode (new files: ``mode`` or 0600).

    With ``backup`` the previous content is kept as ``PATH.bak``. A path that cannot be
    written (a parent that is a file, no permission, a full disk) is a ``UsageError`` naming it.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        kept: int | None = None
        if path.exists():
            kept = stat.S_IMODE(path.stat().st_mode)
            if backup:
                _write_replace(path.with_name(path.name + ".bak"), path.read_bytes(), kept)
        _write_replace(path, data, kept if kept is not None else mode)
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {exc.strerror or exc}", hint="check the path and its permissions"
        ) from None


def _write_replace(path: Path, data: bytes, mode: int | None) -> None:
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode if mode is not None else 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
