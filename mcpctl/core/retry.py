"""Retries with capped exponential backoff and full jitter, for every command.

What is retried is decided by the error: ``McpctlError.retryable`` (connection-level
failures, HTTP 429/5xx). ``Retry-After`` is honoured within the cap. The clock
(``sleep``) and randomness (``rand``) are injectable so tests can assert delays.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio

from mcpctl.core.errors import McpctlError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to try again and how long to wait in between."""

    retries: int = 2
    base_delay: float = 0.2
    max_delay: float = 5.0

    def delay(self, retry: int, rand: Callable[[], float] = random.random, retry_after: float | None = None) -> float:
        """Seconds before retry number ``retry`` (0-based): full jitter, capped; ``Retry-After`` wins, capped too."""
        ceiling = min(self.max_delay, self.base_delay * float(2**retry))
        delay: float = rand() * ceiling
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_delay))
        return delay


@dataclass
class Attempts:
    """How many attempts an operation took (reported in results)."""

    count: int = 0


async def retrying(
    operation: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    should_retry: Callable[[McpctlError], bool] = lambda e: e.retryable,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    rand: Callable[[], float] = random.random,
    on_retry: Callable[[McpctlError, int, float], None] | None = None,
    attempts: Attempts | None = None,
) -> T:
    """Run ``operation``; on a retryable ``McpctlError`` wait and try again, up to ``policy.retries`` times."""
    counter = attempts if attempts is not None else Attempts()
    retry = 0
    while True:
        counter.count += 1
        try:
            return await operation()
        except McpctlError as error:
            if retry >= policy.retries or not should_retry(error):
                raise
            delay = policy.delay(retry, rand, getattr(error, "retry_after", None))
            if on_retry is not None:
                on_retry(error, retry + 1, delay)
            await sleep(delay)
            retry += 1


def repeat_is_safe(tool: Any) -> bool:
    """Whether the tool says repeating a call is safe (``readOnlyHint`` or ``idempotentHint``)."""
    annotations = getattr(tool, "annotations", None)
    return bool(annotations and (annotations.read_only_hint or annotations.idempotent_hint))


def may_resend(error: McpctlError, *, sent: bool, repeat_safe: bool) -> bool:
    """The one rule for trying a call again: the failure is retryable, and the request never
    reached the server or repeating it is safe (the tool's hints, or ``--retry-unsafe``)."""
    return error.retryable and (not sent or repeat_safe)
