"""Targets: a resolved, ready-to-connect description of one server.

A target comes from a profile entry (``${VAR}`` expanded, environment and headers
built), from ``--url URL`` (+ ``-H``), or from ``--stdio 'CMD ARGS'`` (+ ``-e``).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mcpctl.core.errors import UsageError
from mcpctl.core.profile import Profile, ServerConfig, Settings, expand, infer_transport, normalize_transport
from mcpctl.core.secrets import MASK, header_secrets, is_secret_name, mask_args, redact, url_secrets
from mcpctl.sessions.options import MAX_RESPONSE_SIZE

MINIMAL_ENV = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG")
DEFAULT_SETTINGS = Settings(startup_timeout_sec=30.0, tool_timeout_sec=60.0, retries=2)


@dataclass(frozen=True)
class Target:
    """Everything needed to open a session to one server."""

    name: str
    transport: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] | None = None
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    settings: Settings = DEFAULT_SETTINGS
    config: ServerConfig | None = None
    #: Whether the user chose the transport (``--transport``); if not, a Streamable HTTP URL may turn out to be SSE.
    transport_given: bool = False

    @property
    def startup_timeout(self) -> float:
        return self.settings.startup_timeout_sec or float(DEFAULT_SETTINGS.startup_timeout_sec or 30)

    @property
    def tool_timeout(self) -> float:
        return self.settings.tool_timeout_sec or float(DEFAULT_SETTINGS.tool_timeout_sec or 60)

    @property
    def max_time(self) -> float | None:
        """The most a call may take in all, whatever progress it reports (None: no bound but ``tool_timeout``)."""
        return self.settings.max_time_sec or None

    @property
    def retries(self) -> int:
        return self.settings.retries if self.settings.retries is not None else 0

    @property
    def protocol(self) -> str:
        """The profile's protocol era for this server (``protocol`` key), else ``auto``."""
        return self.settings.protocol or "auto"

    @property
    def max_response_size(self) -> int:
        """The largest answer accepted from this server, in bytes (``max_response_size``, ``--max-response-size``)."""
        return self.settings.max_response_size or MAX_RESPONSE_SIZE

    def tool_enabled(self, tool: str) -> bool:
        """Whether the profile's tool filters let ``tool`` through."""
        return self.config is None or self.config.tool_enabled(tool)

    def describe(self) -> str:
        """A one-line, secret-free description: the command line or the URL."""
        if self.transport == "stdio":
            return redact(shlex.join([self.command or "", *mask_args(self.args)]))
        return f"{redact(self.url or '')} ({self.transport})"

    def masked_headers(self) -> dict[str, str]:
        """Headers with secret values shown as ``***``."""
        return {k: (MASK if is_secret_name(k) else redact(v)) for k, v in self.headers.items()}


# --------------------------------------------------------------------------- builders


def from_config(
    config: ServerConfig,
    defaults: Settings = Settings(),
    overrides: Settings = Settings(),
    environ: Mapping[str, str] | None = None,
) -> Target:
    """Resolve a profile entry: expand ``${VAR}``, build the child's env or the HTTP headers.

    Settings precedence: ``overrides`` (flags) > the server's keys > ``defaults`` > built-ins.
    """
    env_in = os.environ if environ is None else environ
    name = config.name
    settings = overrides.over(config.settings).over(defaults).over(DEFAULT_SETTINGS)
    if config.command is not None:
        env = _child_env(config, env_in)
        return Target(
            name=name,
            transport="stdio",
            command=expand(config.command, env_in, name),
            args=tuple(expand(a, env_in, name) for a in config.args),
            env=env,
            cwd=expand(config.cwd, env_in, name) if config.cwd else None,
            settings=settings,
            config=config,
        )
    headers = {k: expand(v, env_in, name) for k, v in config.http_headers.items()}
    for header, var in config.env_http_headers.items():
        headers[header] = _required_var(env_in, var, name, f"header {header}")
        redact.add([headers[header]])
    if config.bearer_token_env_var:
        token = _required_var(env_in, config.bearer_token_env_var, name, "the bearer token")
        redact.add([token])
        headers["Authorization"] = f"Bearer {token}"
    redact.add(header_secrets(headers))
    url = expand(config.url or "", env_in, name)
    redact.add(url_secrets(url))
    return Target(
        name=name,
        transport=config.transport,
        url=url,
        headers=headers,
        settings=settings,
        config=config,
    )


def _required_var(environ: Mapping[str, str], var: str, server: str, what: str) -> str:
    value = environ.get(var)
    if not value:
        raise UsageError(
            f"environment variable {var} is not set (needed for {what} of server '{server}')",
            hint=f"export {var}=…",
            server=server,
        )
    return value


def _child_env(config: ServerConfig, environ: Mapping[str, str]) -> dict[str, str]:
    """Inherit everything (default), or a minimal set plus ``env_vars``; then ``env`` on top."""
    if config.env_inherit:
        base = dict(environ)
    else:
        keep = (*MINIMAL_ENV, *config.env_vars)
        base = {k: environ[k] for k in keep if k in environ}
    extra = {k: expand(v, environ, config.name) for k, v in config.env.items()}
    redact.add(v for k, v in extra.items() if is_secret_name(k))
    return base | extra


def from_url(
    url: str,
    headers: Sequence[str] = (),
    transport: str | None = None,
    settings: Settings = Settings(),
) -> Target:
    """An ad-hoc HTTP target from ``--url`` and ``-H 'Name: value'``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"bad --url '{url}': expected http:// or https:// with a host")
    chosen = _transport_option(transport) if transport else infer_transport(url)
    if chosen == "stdio":
        raise UsageError("--transport stdio does not go with --url", hint="use --stdio 'COMMAND ARGS'")
    parsed = dict(parse_header(h) for h in headers)
    redact.add(header_secrets(parsed))
    redact.add(url_secrets(url))
    return Target(
        name=parts.netloc,
        transport=chosen,
        url=url,
        headers=parsed,
        settings=settings.over(DEFAULT_SETTINGS),
        transport_given=transport is not None,
    )


def from_stdio(command_line: str, env: Sequence[str] = (), settings: Settings = Settings()) -> Target:
    """An ad-hoc stdio target from ``--stdio 'CMD ARGS'`` and ``-e KEY=VALUE``."""
    try:
        words = shlex.split(command_line)
    except ValueError as exc:
        raise UsageError(f"bad --stdio command: {exc}") from None
    if not words:
        raise UsageError("--stdio needs a command", hint="e.g. --stdio 'python -m mcpctl.demo'")
    extra = dict(parse_env(e) for e in env)
    redact.add(v for k, v in extra.items() if is_secret_name(k))
    return Target(
        name=stdio_label(words),
        transport="stdio",
        command=words[0],
        args=tuple(words[1:]),
        env=dict(os.environ) | extra,
        settings=settings.over(DEFAULT_SETTINGS),
    )


_LAUNCHERS = re.compile(r"^(python[\d.]*|node|npx|uvx|uv|bun|bunx|deno|pipx|bash|sh|env|ruby|java)$")


def stdio_label(words: Sequence[str]) -> str:
    """A short name for an ad-hoc stdio server: the program, or what a launcher runs.

    ``python -m mcpctl.demo`` → ``mcpctl.demo``; ``npx -y @scope/server-x`` → ``server-x``.
    """
    program = os.path.basename(words[0]) or words[0]
    if not _LAUNCHERS.match(program):
        return program
    for word in words[1:]:
        if not word.startswith("-") and word not in ("run", "exec", "x", "tool"):
            return os.path.basename(word.rstrip("/")).removesuffix(".py").removesuffix(".js") or program
    return program


def parse_header(text: str) -> tuple[str, str]:
    """``'Name: value'`` → (name, value)."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise UsageError(f"bad header '{text}'", hint="write headers as -H 'Name: value'")
    return name.strip(), value.strip()


def parse_env(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` → (key, value)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise UsageError(f"bad environment item '{text}'", hint="write it as -e KEY=VALUE")
    return key, value


def _transport_option(value: str) -> str:
    transport = normalize_transport(value)
    if transport is None:
        raise UsageError(f"unknown transport '{value}'", hint="use streamable-http or sse")
    return transport


# --------------------------------------------------------------------------- selection


@dataclass(frozen=True)
class AdHoc:
    """The ad-hoc target flags shared by every command that talks to servers."""

    url: str | None = None
    stdio: str | None = None
    headers: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    transport: str | None = None

    @property
    def given(self) -> bool:
        return bool(self.url or self.stdio)

    def target(self, settings: Settings = Settings()) -> Target:
        """The one ad-hoc target these flags name."""
        if self.url and self.stdio:
            raise UsageError("--url and --stdio cannot be used together")
        if self.url:
            return from_url(self.url, self.headers, self.transport, settings)
        if self.headers or self.transport:
            raise UsageError("-H and --transport go with --url")
        return from_stdio(self.stdio or "", self.env, settings)


def select_targets(
    profile: Profile, names: Sequence[str], adhoc: AdHoc, overrides: Settings = Settings()
) -> list[Target]:
    """The servers a command works on: the ad-hoc one, those named, or every enabled one."""
    if adhoc.given:
        if names:
            raise UsageError("name servers from the profile or use --url/--stdio, not both")
        return [adhoc.target(overrides.over(profile.defaults))]
    if names:
        configs = [profile.server(n) for n in dict.fromkeys(names)]
    else:
        configs = [c for c in profile.servers.values() if c.enabled]
        if not configs:
            where = str(profile.path) if profile.exists else f"{profile.path} (not created yet)"
            raise UsageError(
                f"no servers configured in {where}",
                hint="add one with: mcpctl servers add NAME -- COMMAND ARGS…, or use --url / --stdio",
            )
    return [from_config(c, profile.defaults, overrides) for c in configs]
