"""One progress notification of a call in flight: what sessions report and the output layer shows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """One progress notification of a call; ``call`` tells concurrent calls apart (one number per call)."""

    server: str
    tool: str
    call: int
    progress: float
    total: float | None = None
    message: str | None = None
    #: Seconds since the call was sent (for a rate).
    elapsed: float = 0.0

    @property
    def rate(self) -> float | None:
        """Units of progress per second so far (None before any time has passed)."""
        return self.progress / self.elapsed if self.elapsed > 0 else None

    def describe(self) -> str:
        """``server.tool: message 3/10 (30%) 1.5/s``: one line, for a terminal or a log."""
        count = _number(self.progress) + (f"/{_number(self.total)}" if self.total else "")
        if self.total:
            count += f" ({min(100.0, 100 * self.progress / self.total):.0f}%)"
        parts = [f"{self.server}.{self.tool}:", *([self.message] if self.message else []), count]
        if (rate := self.rate) is not None:
            parts.append(f"{rate:.3g}/s")
        return " ".join(parts)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
