"""Byte sizes as people write them (``67108864``, ``64M``, ``512K``, ``1G``) and as we print them back.

Suffixes are powers of 1024 (``64M`` is 64 MiB); a trailing ``B`` or ``iB`` is allowed, case does not matter.
"""

from __future__ import annotations

import re

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
_SIZE_RE = re.compile(r"^\s*(\d+)\s*([KMG]?)(?:I?B)?\s*$", re.IGNORECASE)


def parse_size(value: int | str) -> int:
    """Bytes for a positive integer or a string like ``64M``; ``ValueError`` (saying what is expected) otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a size in bytes, e.g. 67108864 or 64M")
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE_RE.match(value)
        if match is None:
            raise ValueError(f"expected a size in bytes, e.g. 67108864 or 64M; got '{value}'")
        size = int(match.group(1)) * _UNITS[match.group(2).upper()]
    if size <= 0:
        raise ValueError(f"expected a size above 0 bytes; got {value}")
    return size


def format_size(size: int) -> str:
    """``64 MiB``, ``512 KiB`` or ``1000 bytes``: the largest unit that divides the size exactly."""
    for suffix, unit in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size % unit == 0:
            return f"{size // unit} {suffix}"
    return f"{size} bytes"
