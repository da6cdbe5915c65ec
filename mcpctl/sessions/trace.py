"""``--trace FILE``: the JSON-RPC traffic as JSON Lines, secrets masked, flushed line by line.

Each line: ``{"ts": <unix seconds>, "server": NAME, "dir": "out"|"in", "message": {...}}``.
``tapped`` wraps any transport (stdio, Streamable HTTP, SSE) so one mechanism serves all.
The file is created private (0600; an existing file keeps its mode); arguments under
secret-looking keys (``password=…``) are recorded as ``***``, as are known secret values.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TextIO

import anyio

from mcpctl.core.errors import UsageError
from mcpctl.core.secrets import mask_arguments, redact
from mcpctl.sessions.options import Tap


class Tracer:
    """Appends one JSON line per message to a file, flushed at once so a crash leaves a readable trace."""

    def __init__(self, path: Path) -> None:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)  # the traffic may hold secrets
            self.handle: TextIO = os.fdopen(fd, "a", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--trace {path}: {exc.strerror or exc}") from None

    def __call__(self, server: str, direction: str, message: Any) -> None:
        plain = _masked(_plain(message))
        record = {"ts": round(time.time(), 6), "server": server, "dir": direction, "message": plain}
        self.handle.write(redact(json.dumps(record, ensure_ascii=False, default=str)) + "\n")
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


def _masked(message: Any) -> Any:
    """The record of a message with secret-named ``params.arguments`` (tools/call, prompts/get) and
    elicitation answers (``result.content``) masked; a copy, the message itself goes out unchanged."""
    if not isinstance(message, dict):
        return message
    out = dict(message)
    for part, key in (("params", "arguments"), ("result", "content")):
        inner = out.get(part)
        if isinstance(inner, dict) and isinstance(inner.get(key), dict):
            out[part] = {**inner, key: mask_arguments(inner[key])}
    return out


def _plain(message: Any) -> Any:
    inner = getattr(message, "message", message)  # SessionMessage → JSONRPCMessage
    if isinstance(inner, Exception):
        return {"transport_error": f"{type(inner).__name__}: {inner}"}
    if hasattr(inner, "model_dump"):
        return inner.model_dump(by_alias=True, mode="json", exclude_unset=True)
    return inner


@contextlib.asynccontextmanager
async def tapped(transport: Any, server: str, tap: Tap) -> AsyncIterator[tuple[Any, Any]]:
    """The same transport, with every message in and out also handed to ``tap``."""
    async with transport as (read, write):
        to_session, from_transport = anyio.create_memory_object_stream[Any](0)
        to_transport, from_session = anyio.create_memory_object_stream[Any](0)

        async def pump_in() -> None:
            async with to_session:
                with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream):
                    async for message in read:
                        tap(server, "in", message)
                        await to_session.send(message)

        async def pump_out() -> None:
            async with from_session:
                with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
                    async for message in from_session:
                        tap(server, "out", message)
                        await write.send(message)
            with contextlib.suppress(Exception):
                await write.aclose()

        async with anyio.create_task_group() as tg:
            tg.start_soon(pump_in)
            tg.start_soon(pump_out)
            try:
                yield from_transport, to_transport
            finally:
                tg.cancel_scope.cancel()
