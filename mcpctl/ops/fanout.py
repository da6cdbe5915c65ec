"""One concurrent fan-out over servers, and one fallback loop over them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import anyio

from mcpctl.core.errors import McpctlError, UnknownTool

T = TypeVar("T")
R = TypeVar("R")


async def gather(items: Sequence[T], work: Callable[[T], Awaitable[R]]) -> list[R]:
    """Run ``work`` on every item concurrently; the results in the items' order.

    ``work`` is expected to catch what it can report (a server that cannot be reached is a
    result, not a reason to cancel the others).
    """
    results: dict[int, R] = {}

    async def one(index: int, item: T) -> None:
        results[index] = await work(item)

    async with anyio.create_task_group() as tg:
        for index, item in enumerate(items):
            tg.start_soon(one, index, item)
    return [results[index] for index in range(len(items))]


def moves_on(error: McpctlError) -> bool:
    """Failures that send a call to the next (fallback) server: it could not be reached or lacks the tool."""
    return error.unreachable or isinstance(error, UnknownTool)


async def first_answer(servers: Sequence[str], attempt: Callable[[str], Awaitable[R]], *, summarize: bool = True) -> R:
    """Try ``attempt`` on each server in turn while the call cannot be made there (``moves_on``).

    An answer, even ``isError``, is final, and so is any other failure. When every server
    failed, the last error is raised; with ``summarize`` its message names every server tried
    and its details say why each one failed.
    """
    tried: list[str] = []
    last: McpctlError | None = None
    for server in servers:
        try:
            return await attempt(server)
        except McpctlError as error:
            if not moves_on(error) or len(servers) == 1:
                raise
            if last is None or not isinstance(error, UnknownTool):  # "lacks the tool" explains less
                last = error
            tried.append(f"{server}: {error.message}")
    assert last is not None, "first_answer needs at least one server"
    if summarize:
        last.details = [*tried, *last.details]
        last.message = f"the call could not be made on any of {', '.join(servers)}"
    raise last
