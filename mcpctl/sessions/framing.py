"""Newline-delimited JSON-RPC framing for the stdio transport, in linear time and bounded memory.

``LineSplitter`` cuts a byte stream into lines without re-scanning what it holds and never
holds more than its limit of one line. ``top_level`` reads the top-level members of a JSON
object without recursion and without needing the whole text to be valid, so an answer the
SDK cannot parse (a deep nesting, a lone surrogate, a truncated head) still tells which of
our requests it answers. ``Outstanding`` is the transport's own record of those requests.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: The most bytes of one stderr line that are kept (a longer line is cut, and says so).
STDERR_LINE_MAX = 4096
#: The most bytes of an over-long answer that are kept to find which request it answers.
HEAD_BYTES = 4096

_STRUCTURE = re.compile(rb'["{}\[\]]')
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_SCALAR = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")
_NON_SPACE = re.compile(rb"\S")


class LineSplitter:
    """Split chunks into lines, searching only new bytes, holding at most ``limit`` bytes of a line.

    ``feed`` returns the lines a chunk completes, each with how many of its bytes were cut
    off past the limit. ``over_limit`` says the line in progress has already passed it;
    ``skip_line`` then gives up on that line (returning its head) and drops the rest of it.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._parts: list[bytes] = []
        self._size = 0
        self._cut = 0
        self._skipping = False

    @property
    def over_limit(self) -> bool:
        return self._cut > 0 and not self._skipping

    def feed(self, chunk: bytes) -> list[tuple[bytes, int]]:
        """The lines ``chunk`` completes (without their newline), each with its count of bytes cut."""
        lines: list[tuple[bytes, int]] = []
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            self._keep(chunk, start, end)
            if not self._skipping:
                lines.append((b"".join(self._parts), self._cut))
            self._reset()
            start = end + 1
        self._keep(chunk, start, len(chunk))
        return lines

    def rest(self) -> tuple[bytes, int] | None:
        """The unfinished last line at end of stream, if there is one."""
        if self._skipping or not (self._parts or self._cut):
            return None
        return b"".join(self._parts), self._cut

    def skip_line(self) -> bytes:
        """Give up on the line in progress: its first ``HEAD_BYTES``; the rest, to its newline, is dropped."""
        head = bytearray()
        for part in self._parts:
            head += part[: HEAD_BYTES - len(head)]
            if len(head) >= HEAD_BYTES:
                break
        self._parts, self._size, self._skipping = [], 0, True
        return bytes(head)

    def _keep(self, chunk: bytes, start: int, end: int) -> None:
        if self._skipping or start == end:
            return
        take = max(0, min(end - start, self.limit - self._size))
        if take:
            self._parts.append(chunk[start : start + take])
            self._size += take
        self._cut += end - start - take

    def _reset(self) -> None:
        self._parts, self._size, self._cut, self._skipping = [], 0, 0, False


def top_level(line: bytes) -> dict[str, Any] | None:
    """The top-level members of a JSON object: scalars decoded, objects and arrays as ``...``.

    None when ``line`` does not start like a JSON object (a banner, a log line). Works on
    invalid, truncated or deeply nested text: one pass, no recursion.
    """
    pos = _skip_space(line, 0)
    if not line.startswith(b"{", pos):
        return None
    fields: dict[str, Any] = {}
    depth = 0
    while (found := _STRUCTURE.search(line, pos)) is not None:
        pos = found.start()
        char = line[pos : pos + 1]
        if char in b"{[":
            depth += 1
            pos += 1
        elif char in b"}]":
            depth -= 1
            pos += 1
            if depth == 0:
                break
        else:
            string = _STRING.match(line, pos)
            if string is None:
                break  # an unterminated string: the head ends here
            pos = string.end()
            if depth == 1:
                pos = _member(line, string.group(), pos, fields)
    return fields


def _member(line: bytes, key: bytes, pos: int, fields: dict[str, Any]) -> int:
    """Read ``"key": value`` at the top level (the key already read); return where scanning goes on."""
    colon = _skip_space(line, pos)
    if not line.startswith(b":", colon):
        return pos  # a string value, not a key
    start = _skip_space(line, colon + 1)
    name = _decode(key)
    if not isinstance(name, str):
        return start
    value = _STRING.match(line, start) or _SCALAR.match(line, start)
    if value is None:
        fields[name] = ...  # an object or array, skipped by the caller's scan
        return start
    fields[name] = _decode(value.group())
    return value.end()


def _skip_space(line: bytes, pos: int) -> int:
    found = _NON_SPACE.search(line, pos)
    return found.start() if found else len(line)


def _decode(text: bytes) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def request_key(request_id: Any) -> str | None:
    """How a request id is matched (``7`` and ``"7"`` alike, as the SDK does); None for no usable id."""
    if isinstance(request_id, bool) or not isinstance(request_id, (int, str)):
        return None
    return str(request_id)


class Outstanding:
    """Our requests the server has not answered yet (id → method), as the transport saw them pass."""

    def __init__(self) -> None:
        self._requests: dict[str, tuple[Any, str]] = {}

    def sent(self, message: Any) -> None:
        """Note a request going out; a ``notifications/cancelled`` of ours ends the wait for its request."""
        method = getattr(message, "method", None)
        key = request_key(getattr(message, "id", None))
        if key is not None and isinstance(method, str):
            self._requests[key] = (message.id, method)
        elif method == "notifications/cancelled":
            params = getattr(message, "params", None) or {}
            self.answered(params.get("requestId"))

    def answered(self, request_id: Any) -> str | None:
        """Forget a request the server answered; its method, when it was ours."""
        key = request_key(request_id)
        entry = self._requests.pop(key, None) if key is not None else None
        return entry[1] if entry else None

    def waiting_for(self, fields: dict[str, Any]) -> tuple[Any, str] | None:
        """The request an unreadable answer with these top-level members is for, when that can be told.

        Its ``id`` names one of ours; or it has no usable id but is an answer (``result`` or
        ``error``, no ``method``) and only one request is waiting, so nothing else can be.
        """
        if "method" in fields:
            return None  # a request or notification from the server, not an answer
        key = request_key(fields.get("id"))
        if key is not None:
            return self._requests.get(key)
        if ("result" in fields or "error" in fields) and len(self._requests) == 1:
            return next(iter(self._requests.values()))
        return None
