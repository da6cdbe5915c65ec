"""The context a command runs in: its output, the profile, and how to connect.

Commands parse flags into a ``Context`` (``make_context``), hand one coroutine to
``Context.run`` and let the output layer render the result. The streams the output
writes to come from the boundary (``mcpctl.cli.boundary.run``), so the in-process test
runner and the console script drive the very same code.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from mcpctl.cli.runner import REPORTING, current_streams, execute
from mcpctl.core.errors import ProfileError, UsageError
from mcpctl.core.profile import Profile, Settings, load_profile, resolve_profile_path
from mcpctl.core.sizes import parse_size
from mcpctl.output.progress import ProgressView
from mcpctl.output.writer import Output
from mcpctl.sessions.options import AuthOptions, SessionOptions
from mcpctl.sessions.targets import AdHoc, Target, select_targets

if TYPE_CHECKING:
    from mcpctl.ops.registry import Listed


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
        """Run the command's coroutine (signals handled, errors reported) and leave with its exit code."""
        import typer

        code = execute(work, self.output, debug=self.debug)
        if self.output.live is not None:
            self.output.live.clear()  # the live progress line does not outlive the command
        raise typer.Exit(code)


def emit_listing(
    ctx: Context, listed: Sequence[Listed], columns: Sequence[str], row: Callable[[str, Any], list[str]]
) -> int:
    """Print every server's items (JSON: the wire objects plus ``server``), then each server's error.

    Returns the exit code: 0, or the worst failure's when a server could not be listed.
    """
    from mcpctl.core.wire import wire
    from mcpctl.output.writer import Table

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


def emit_text(text: str) -> None:
    """Plain text on this invocation's stdout (help-like output that has no JSON form)."""
    Output("text", streams=current_streams()).result(None, lambda: text)


def _empty_profile_or(option: str | None) -> Profile:
    """The profile's defaults still apply to ad-hoc targets; a missing profile is fine."""
    try:
        return load_profile(option)
    except ProfileError:
        if option:
            raise
        return Profile(path=resolve_profile_path(None)[0], exists=False)


def _size_option(value: str | None) -> int | None:
    """``--max-response-size`` in bytes; a usage error (exit 2) when it is not a size."""
    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as exc:
        raise UsageError(f"--max-response-size: {exc}") from None


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
    max_time: float | None = None,
    connect_timeout: float | None = None,
    retries: int | None = None,
    max_response_size: str | None = None,
    protocol: str | None = None,
    verbose: int = 0,
    quiet: bool = False,
    debug: bool = False,
    trace: Path | None = None,
    elicit: str | None = None,
    log_level: str | None = None,
    login: bool | None = None,
) -> Context:
    """Build the context from the shared flags; a bad flag raises a usage error (exit 2)."""
    from mcpctl.cli.logs import configure_logging

    streams = current_streams()
    configure_logging(verbose=verbose > 0, quiet=quiet, debug=debug, stream=streams.err)
    out = Output(output, streams=streams, quiet=quiet)
    ctx = Context(output=out, profile_option=profile, debug=debug)
    REPORTING.set((out, debug))
    ctx.adhoc = AdHoc(url=url, stdio=stdio, headers=tuple(header or ()), env=tuple(env or ()), transport=transport)
    ctx.overrides = Settings(
        startup_timeout_sec=connect_timeout,
        tool_timeout_sec=timeout,
        max_time_sec=max_time,
        retries=retries,
        max_response_size=_size_option(max_response_size),
    )
    tap = None
    if trace is not None:
        from mcpctl.sessions.trace import Tracer

        tap = Tracer(trace)
    loud = verbose > 0 or debug
    out.live = ProgressView.choose(streams.err, tty=streams.err_tty, quiet=quiet, verbose=loud)
    ctx.session = SessionOptions(
        protocol=protocol,
        verbose=loud,
        tap=tap,
        elicit=elicit,
        server_stderr=out.server_stderr if loud else None,
        server_log=out.server_log if loud or log_level is not None else None,
        log_level=log_level or ("info" if verbose > 1 else "warning"),
        progress=out.live if out.live.mode != "off" else None,
        ask=out.asker() if elicit == "prompt" else None,
        auth=auth_options(out, login),
    )
    return ctx


def auth_options(out: Output, login: bool | None, **more: Any) -> AuthOptions:
    """OAuth logins: allowed with ``--login``, never with ``--no-login``, else only with a person at a terminal."""
    from mcpctl.core.auth import LoginMode, LoginPolicy

    streams = out.streams
    person = bool(streams.in_tty and streams.err_tty and not os.environ.get("CI"))
    mode: LoginMode = "auto" if login is None else "always" if login else "never"
    return AuthOptions(policy=LoginPolicy(mode=mode, person=person), notify=out.instruct, **more)
