"""A circuit breaker per server: after N consecutive transport failures, fail fast for a cool-down."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mcpctl.core.errors import CircuitOpenError, McpctlError

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


def is_transport_failure(error: McpctlError) -> bool:
    """Failures that say the server is unreachable or unwell (not answers, not our own usage errors)."""
    return error.retryable or error.unreachable


@dataclass
class CircuitBreaker:
    """Closed → open after ``threshold`` consecutive failures → half-open after ``cooldown`` → closed on success."""

    name: str
    threshold: int = 3
    cooldown: float = 30.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = field(default=None)
    last_error: McpctlError | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return CLOSED
        return HALF_OPEN if self.clock() - self.opened_at >= self.cooldown else OPEN

    def check(self) -> None:
        """Raise ``CircuitOpenError`` while open; let one trial through when half-open."""
        if self.state == OPEN:
            assert self.opened_at is not None
            remaining = self.cooldown - (self.clock() - self.opened_at)
            reason = f": last error: {self.last_error.message}" if self.last_error else ""
            error = CircuitOpenError(
                f"circuit open for server '{self.name}' after {self.failures} consecutive failures{reason}",
                hint=f"calls fail fast for another {remaining:.0f}s; check the server (mcpctl ping {self.name})",
                server=self.name,
            )
            error.retryable = False
            raise error

    def success(self) -> None:
        """A call got an answer: close the circuit."""
        self.failures = 0
        self.opened_at = None

    def failure(self, error: McpctlError) -> None:
        """Count a transport failure; open (or re-open) the circuit at the threshold."""
        if not is_transport_failure(error):
            return
        self.failures += 1
        self.last_error = error
        if self.failures >= self.threshold or self.state == HALF_OPEN:
            self.opened_at = self.clock()
