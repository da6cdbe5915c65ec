"""How to connect (protocol era, verbosity, wire tap, sinks): light, so command modules import it cheaply.

Sessions never write to the terminal: a server's stderr lines, its log notifications and
elicitation questions reach a person through the sinks the caller (the command line, a
program using the API) puts here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mcpctl.core.auth import LoginPolicy
from mcpctl.core.errors import UsageError
from mcpctl.core.profile import PROTOCOLS
from mcpctl.core.progress import Progress

ELICIT_MODES = ("accept-defaults", "decline", "prompt")
#: The MCP log levels (RFC 5424), least severe first.
LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
#: The largest answer (one JSON-RPC message, in bytes) accepted from a server before the request fails.
MAX_RESPONSE_SIZE = 64 * 1024 * 1024

#: ``tap(server, direction, message)`` sees every JSON-RPC message ("in" or "out").
Tap = Callable[[str, str, Any], None]
#: ``stderr(server, line)`` shows one line of a stdio server's stderr as it arrives.
StderrSink = Callable[[str, str], None]
#: ``log(server, level, data)`` shows one log notification of a server.
LogSink = Callable[[str, str, Any], None]
#: ``progress(update)`` shows one progress notification of a call in flight.
ProgressSink = Callable[[Progress], None]
#: ``updated(server, params)`` takes one ``notifications/resources/updated``: its params as they came over the wire.
UpdatedSink = Callable[[str, dict[str, Any]], None]
#: ``ask(server, message, schema)`` asks a person to fill an elicitation form; None when they give up.
Asker = Callable[[str, str, dict[str, Any]], "dict[str, Any] | None"]


#: ``notify(text)`` tells a person what to do for a login (the URL to open, a device code).
Notify = Callable[[str], None]


@dataclass(frozen=True)
class AuthOptions:
    """How OAuth logins may happen for the servers a command talks to."""

    #: Whether a login may run when a server asks for one (``--login``/``--no-login``, a person at a terminal).
    policy: LoginPolicy = field(default_factory=LoginPolicy)
    #: Where login instructions go (None: nobody is told; the browser may still open).
    notify: Notify | None = None
    #: Open the authorization URL in a browser (``--no-browser``: only show it).
    browser: bool = True
    #: How long a login waits for the browser's redirect.
    login_timeout: float = 300.0
    #: Scopes to ask for (``auth login --scope``), else the profile's, else what the server names.
    scope: str | None = None
    #: Log in again even when a usable token is stored (``auth login``).
    fresh: bool = False


@dataclass(frozen=True)
class SessionOptions:
    """How to connect, shared by every command."""

    #: The protocol era; None: each server's ``protocol`` from the profile, else ``auto``.
    protocol: str | None = None
    verbose: bool = False
    tap: Tap | None = None
    #: How to answer a server's elicitation requests; None: the capability is not declared.
    elicit: str | None = None
    #: Where a stdio server's stderr lines go live (None: kept only as the tail shown with errors).
    server_stderr: StderrSink | None = None
    #: Where servers' log notifications go (None: not asked for).
    server_log: LogSink | None = None
    #: The least severe server log level asked for and passed to ``server_log`` (None: info).
    log_level: str | None = None
    #: Where the progress notifications of calls go (None: dropped; a progressToken is sent all the same).
    progress: ProgressSink | None = None
    #: Who answers ``--elicit prompt`` (None: nobody can, so such requests are declined).
    ask: Asker | None = None
    #: Where ``notifications/resources/updated`` go (None: dropped; ``resources watch`` sets it).
    resource_updated: UpdatedSink | None = None
    #: OAuth: when a login may run and who is told about it.
    auth: AuthOptions = field(default_factory=lambda: AuthOptions())

    def __post_init__(self) -> None:
        if self.elicit is not None and self.elicit not in ELICIT_MODES:
            raise UsageError(f"unknown --elicit mode '{self.elicit}'", hint=f"use one of: {', '.join(ELICIT_MODES)}")
        if self.log_level is not None and self.log_level not in LOG_LEVELS:
            raise UsageError(f"unknown --log-level '{self.log_level}'", hint=f"use one of: {', '.join(LOG_LEVELS)}")
        if self.protocol is not None and self.protocol not in PROTOCOLS:
            raise UsageError(f"unknown protocol '{self.protocol}'", hint=f"use one of: {', '.join(PROTOCOLS)}")
