"""Options every command spells the same way, and the context they build.

Commands parse flags into a ``Context`` (output, profile, targets, session options),
hand one coroutine to ``run`` and let the output layer render the result.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from mcpctl.output import Output
from mcpctl.profile import Profile, Settings, load_profile
from mcpctl.secrets import redact
from mcpctl.sessionopts import SessionOptions
from mcpctl.targets import AdHoc, Target, select_targets

if TYPE_CHECKING:
    from mcpctl.registry import Listed

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
TimeoutOpt = Annotated[float | None, typer.Option("--timeout", help="Seconds a call may take.", min=0.0)]
ConnectTimeoutOpt = Annotated[
    float | None, typer.Option("--connect-timeout", help="Seconds to start and connect to a server.", min=0.0)
]
RetriesOpt = Annotated[int | None, typer.Option("--retries", help="Retries of connection failures.", min=0)]
ProtocolOpt = Annotated[
    str, typer.Option("--protocol", help="Protocol era: auto (probe, then fall back), legacy, 2026-07-28.")
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show server stderr and connection details.")]
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
TraceOpt = Annotated[
    Path | None,
    typer.Option("--trace", help="Append the JSON-RPC traffic to this file as JSON Lines (secrets masked)."),
]


# --------------------------------------------------------------------------- context


@dataclass
class Context:
    """What a command needs: the output layer, the profile and how to connect."""

    output: Output
    profile_option: str | None = None
    adhoc: AdHoc = field(default_factory=AdHoc)
    overrides: Settings = Settings()
    session: SessionOptions = SessionOptions()
    debug: bool = False
    _profile: Profile | None = None

    def profile(self) -> Profile:
        """The profile (loaded once)."""
        if self._profile is None:
            self._profile = load_profile(self.profile_option)
        return self._profile

    def targets(self, names: list[str] | None = None) -> list[Target]:
        """The servers this command works on."""
        profile = self.profile() if not self.adhoc.given else _empty_profile_or(self.profile_option)
        return select_targets(profile, names or [], self.adhoc, self.overrides)

    def profile_targets(self, names: list[str]) -> list[Target]:
        """Profile servers by name (for --fallback), whatever the ad-hoc flags say."""
        if not names:
            return []
        return select_targets(self.profile(), names, AdHoc(), self.overrides)

    def run(self, work: Callable[[], Awaitable[int | None]]) -> NoReturn:
        """Run the command's coroutine and exit with its code."""
        from mcpctl.runner import execute

        raise typer.Exit(execute(work, self.output, debug=self.debug))

    def fail(self, error: Exception) -> NoReturn:
        """Report an error raised while parsing flags, and exit with its code."""
        from mcpctl.errors import McpctlError

        if not isinstance(error, McpctlError):
            raise error
        self.output.error(error)
        raise typer.Exit(error.exit_code)


def emit_listing(
    ctx: Context, listed: Sequence[Listed], columns: Sequence[str], row: Callable[[str, Any], list[str]]
) -> int:
    """Print every server's items (JSON: the wire objects plus ``server``), then each server's error.

    Returns the exit code: 0, or the worst failure's when a server could not be listed.
    """
    from mcpctl.output import Table, wire

    items: list[dict[str, Any]] = []
    rows: list[list[str]] = []
    for entry in listed:
        for item in entry.items:
            items.append({"server": entry.target.name, **wire(item)})
            rows.append(row(entry.target.name, item))
    ctx.output.items(items, Table(columns, rows))
    failures = [entry.error for entry in listed if entry.error is not None]
    for error in failures:
        ctx.output.error(error)
    return max((error.exit_code for error in failures), default=0)


def _empty_profile_or(option: str | None) -> Profile:
    """The profile's defaults still apply to ad-hoc targets; a missing profile is fine."""
    from mcpctl.errors import ProfileError

    try:
        return load_profile(option)
    except ProfileError:
        if option:
            raise
        from mcpctl.profile import resolve_profile_path

        return Profile(path=resolve_profile_path(None)[0], exists=False)


def make_context(
    *,
    output: str | None = None,
    profile: str | None = None,
    url: str | None = None,
    header: list[str] | None = None,
    transport: str | None = None,
    stdio: str | None = None,
    env: list[str] | None = None,
    timeout: float | None = None,
    connect_timeout: float | None = None,
    retries: int | None = None,
    protocol: str = "auto",
    verbose: bool = False,
    quiet: bool = False,
    debug: bool = False,
    trace: Path | None = None,
    elicit: str | None = None,
) -> Context:
    """Build the context from the shared flags; a bad flag exits 2 with a clear message."""
    from mcpctl.errors import McpctlError

    configure_logging(verbose=verbose, quiet=quiet, debug=debug)
    try:
        out = Output(output, quiet=quiet)
    except McpctlError as exc:
        Output("text").error(exc)
        raise typer.Exit(exc.exit_code) from None
    ctx = Context(output=out, profile_option=profile, debug=debug)
    try:
        ctx.adhoc = AdHoc(url=url, stdio=stdio, headers=tuple(header or ()), env=tuple(env or ()), transport=transport)
        ctx.overrides = Settings(startup_timeout_sec=connect_timeout, tool_timeout_sec=timeout, retries=retries)
        tap = None
        if trace is not None:
            from mcpctl.trace import Tracer

            tap = Tracer(trace)
        ctx.session = SessionOptions(protocol=protocol, verbose=verbose or debug, tap=tap, elicit=elicit)
    except McpctlError as exc:
        ctx.fail(exc)
    return ctx


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
    ("connect_timeout", ConnectTimeoutOpt, None),
    ("retries", RetriesOpt, None),
    ("protocol", ProtocolOpt, "auto"),
    ("verbose", VerboseOpt, False),
    ("quiet", QuietOpt, False),
    ("debug", DebugOpt, False),
    ("trace", TraceOpt, None),
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


class _RedactingFormatter(logging.Formatter):
    """``mcpctl: LEVEL: message`` with secrets masked; tracebacks only under --debug."""

    def __init__(self, debug: bool) -> None:
        super().__init__()
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.name.startswith("mcpctl"):
            text = f"mcpctl: {record.levelname.lower()}: {message}"
        else:
            text = f"mcpctl: {record.levelname.lower()}: [{record.name}] {message}"
        if self.debug and record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return redact(text)


SDK_LOGGERS = ("mcp", "client", "httpx2", "httpcore2", "httpx", "httpcore", "uvicorn", "sse_starlette")


def configure_logging(*, verbose: bool, quiet: bool, debug: bool) -> None:
    """Our logs on stderr; the SDK's only with -v (no tracebacks) or --debug."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter(debug))
    ours = logging.getLogger("mcpctl")
    ours.handlers[:] = [handler]
    ours.propagate = False
    ours.setLevel(logging.DEBUG if debug else logging.INFO if verbose else logging.ERROR if quiet else logging.WARNING)
    for name in SDK_LOGGERS:
        sdk = logging.getLogger(name)
        sdk.handlers[:] = [handler] if (verbose or debug) else [logging.NullHandler()]
        sdk.propagate = False
        sdk.setLevel(logging.DEBUG if debug else logging.WARNING if verbose else logging.CRITICAL + 1)
