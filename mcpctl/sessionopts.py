"""How to connect (protocol era, verbosity, wire tap): light, so command modules import it cheaply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcpctl.errors import UsageError

PROTOCOLS = ("auto", "legacy", "2026-07-28")
ELICIT_MODES = ("accept-defaults", "decline", "prompt")

#: ``tap(server, direction, message)`` sees every JSON-RPC message ("in" or "out").
Tap = Callable[[str, str, Any], None]


@dataclass(frozen=True)
class SessionOptions:
    """How to connect, shared by every command."""

    protocol: str = "auto"
    verbose: bool = False
    tap: Tap | None = None
    #: How to answer a server's elicitation requests; None: the capability is not declared.
    elicit: str | None = None

    def __post_init__(self) -> None:
        if self.elicit is not None and self.elicit not in ELICIT_MODES:
            raise UsageError(f"unknown --elicit mode '{self.elicit}'", hint=f"use one of: {', '.join(ELICIT_MODES)}")
        if self.protocol not in PROTOCOLS:
            raise UsageError(f"unknown protocol '{self.protocol}'", hint=f"use one of: {', '.join(PROTOCOLS)}")
