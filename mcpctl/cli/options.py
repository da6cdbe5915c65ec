"""Options every command spells the same way, and the decorator that gives them to a command.

Aliases (``ProfileOpt``, ``OutputOpt``…) keep ``-o``, ``--profile``, ``--timeout`` spelt
alike everywhere; ``server_command`` appends the shared server options to a command and
calls it with a ready ``Context``.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from mcpctl.cli.context import make_context

# --------------------------------------------------------------------------- option aliases

ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        "-p",
        help="Profile path or name (default: ./mcpctl.toml, then the user profile).",
        envvar="MCPCTL_PROFILE",
        show_envvar=True,
    ),
]
OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output", "-o", help="Output format: text, table, json, ndjson.", envvar="MCPCTL_OUTPUT", show_envvar=True
    ),
]
UrlOpt = Annotated[str | None, typer.Option("--url", help="Talk to the server at this URL instead of a profile one.")]
HeaderOpt = Annotated[list[str] | None, typer.Option("--header", "-H", help="HTTP header 'Name: value' (with --url).")]
TransportOpt = Annotated[str | None, typer.Option("--transport", help="With --url: streamable-http (default) or sse.")]
StdioOpt = Annotated[
    str | None, typer.Option("--stdio", help="Start this command as a stdio server, e.g. 'python -m mcpctl.demo'.")
]
EnvOpt = Annotated[
    list[str] | None, typer.Option("--env", "-e", help="KEY=VALUE for the --stdio server's environment.")
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", help="Seconds a call may go silent; each progress report restarts it.", min=0.0),
]
MaxTimeOpt = Annotated[
    float | None, typer.Option("--max-time", help="Seconds a call may take in all, whatever its progress.", min=0.0)
]
ConnectTimeoutOpt = Annotated[
    float | None, typer.Option("--connect-timeout", help="Seconds to start and connect to a server.", min=0.0)
]
RetriesOpt = Annotated[int | None, typer.Option("--retries", help="Retries of connection failures.", min=0)]
MaxResponseSizeOpt = Annotated[
    str | None,
    typer.Option(
        "--max-response-size",
        metavar="SIZE",
        help="Largest answer accepted from a server: bytes, or with a K, M or G suffix (default: 64M).",
    ),
]
ProtocolOpt = Annotated[
    str | None,
    typer.Option(
        "--protocol",
        help="Protocol era: auto (probe, then fall back), legacy, 2026-07-28 (default: the profile's, else auto).",
    ),
]
VerboseOpt = Annotated[
    int,
    typer.Option(
        "--verbose", "-v", count=True, help="Show server stderr, connection details and server logs (-vv: info logs)."
    ),
]
LogLevelOpt = Annotated[
    str | None,
    typer.Option(
        "--log-level",
        metavar="LEVEL",
        help="Show server logs at LEVEL and above: debug, info, notice, warning, error, critical, alert, emergency "
        "(default with -v: warning; -vv: info).",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Silence notes; keep errors.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks and SDK debug logs.")]
ElicitOpt = Annotated[
    str | None,
    typer.Option(
        "--elicit",
        help="Answer the server's elicitation requests: accept-defaults, decline, or prompt (on a terminal only).",
    ),
]
NoValidateOpt = Annotated[
    bool, typer.Option("--no-validate", help="Send the arguments without checking them against the inputSchema.")
]
StrictArgsOpt = Annotated[
    bool,
    typer.Option("--strict-args", help="An argument the tool does not declare is an error (exit 2), not a warning."),
]
LoginOpt = Annotated[
    bool | None,
    typer.Option(
        "--login/--no-login",
        help="When an HTTP server asks for an OAuth login: --login runs it even without a terminal (the browser "
        "or $BROWSER follows the URL); --no-login never (exit 6). Default: only with a person at a terminal, "
        "CI unset.",
    ),
]
TraceOpt = Annotated[
    Path | None,
    typer.Option("--trace", help="Append the JSON-RPC traffic to this file as JSON Lines (secrets masked)."),
]


#: The options every command that talks to servers takes, in help order: (name, annotation, default).
SERVER_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("profile", ProfileOpt, None),
    ("output", OutputOpt, None),
    ("url", UrlOpt, None),
    ("header", HeaderOpt, None),
    ("transport", TransportOpt, None),
    ("stdio", StdioOpt, None),
    ("env", EnvOpt, None),
    ("timeout", TimeoutOpt, None),
    ("max_time", MaxTimeOpt, None),
    ("connect_timeout", ConnectTimeoutOpt, None),
    ("retries", RetriesOpt, None),
    ("max_response_size", MaxResponseSizeOpt, None),
    ("protocol", ProtocolOpt, None),
    ("verbose", VerboseOpt, 0),
    ("log_level", LogLevelOpt, None),
    ("quiet", QuietOpt, False),
    ("debug", DebugOpt, False),
    ("trace", TraceOpt, None),
    ("login", LoginOpt, None),
)
ELICIT_OPTION = ("elicit", ElicitOpt, None)


def server_command(
    *, elicit: bool = False, output: str | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the shared server options and call it with a ready ``ctx: Context``.

    The command declares only its own parameters (after ``ctx``); the shared ones
    (``--profile``, ``-o``, ``--url``/``--stdio``…, and ``--elicit`` when asked) are appended
    to what typer sees, parsed, and turned into the ``Context``. ``output`` is the
    command's default format (``MCPCTL_OUTPUT`` and ``-o`` still win).
    """
    shared = (*SERVER_OPTIONS, ELICIT_OPTION) if elicit else SERVER_OPTIONS

    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        own = [p for p in inspect.signature(func, eval_str=True).parameters.values() if p.name != "ctx"]
        taken = {p.name for p in own}  # a command may declare a shared name itself, with its own meaning
        extra = [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a)
            for n, a, d in shared
            if n not in taken
        ]
        names = [p.name for p in extra]

        @functools.wraps(func)
        def command(**kwargs: Any) -> None:
            options = {name: kwargs.pop(name) for name in names}
            if output is not None and options.get("output") is None and not os.environ.get("MCPCTL_OUTPUT"):
                options["output"] = output
            func(make_context(**options), **kwargs)

        parameters = [*own, *extra]
        command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in parameters}
        return command

    return decorate
