"""Secrets are never printed: a planted secret reaches the server but appears in no stdout, stderr or trace file.

Each scenario plants its own recognisable secret in one place (a bearer token from ``bearer_token_env_var``, an
``env_http_headers`` value, a stdio server's ``API_TOKEN``, a ``-H 'Authorization: Bearer …'``, a URL's
``?api_key=…``) and runs every command that could show it: ``servers list/show`` (text and JSON), ``call --dry-run``,
a successful call (plain, ``-v``, ``--debug``, ``--trace FILE``), failing calls (connection refused, 401; text and
``-o json``), ``ping`` and ``tools list``. Where a real request must carry the secret, the server is the demo behind
a bearer gate that accepts only that secret: the call succeeding proves the secret was sent.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import DEMO, GOOD_TOKEN, PY, free_port, http_auth, serve_asgi, stdio_server, write_profile

from cli.runner import Result, mcpctl

ERROR_LINE = '{"error":{"type":'  # the one JSON line on stderr under -o json


def planted(tag: str) -> str:
    return f"s3cr3t-PLANTED-9f2b-{tag}"


@dataclass(frozen=True)
class Cmd:
    """One mcpctl run: its arguments, the exit code it must end with, and text its stdout must hold."""

    args: tuple[str, ...]
    exit_code: int
    stdout_has: str = ""
    trace: bool = False  # add --trace FILE and check the file too
    stderr_has: str = ""

    @property
    def label(self) -> str:
        return " ".join(self.args)


@dataclass
class Gates:
    """The demo behind bearer gates: one accepting each planted secret (created on demand), one rejecting all."""

    stack: contextlib.ExitStack
    accepting: dict[str, str] = field(default_factory=dict)
    rejecting: str = ""

    def accept(self, token: str) -> str:
        if token not in self.accepting:
            self.accepting[token] = self.stack.enter_context(serve_asgi(http_auth.build_app(token))) + "/mcp"
        return self.accepting[token]


@pytest.fixture(scope="module")
def gates() -> Iterator[Gates]:
    with contextlib.ExitStack() as stack:
        rejecting = stack.enter_context(serve_asgi(http_auth.build_app("a-token-nobody-has"))) + "/mcp"
        yield Gates(stack, rejecting=rejecting)


def refused_url() -> str:
    return f"http://127.0.0.1:{free_port()}/mcp"


def run_all(cmds: list[Cmd], secrets: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> list[Result]:
    """Run every command; fail listing every leak and every wrong exit code at once.

    The runner itself fails a run whose stderr shows a traceback without ``--debug`` (``--debug`` prints tracebacks
    on purpose: they must be masked too).
    """
    done: list[tuple[Cmd, Result, str]] = []
    for index, cmd in enumerate(cmds):
        trace = tmp_path / f"trace-{index}.jsonl"
        args = (*cmd.args, "--trace", str(trace)) if cmd.trace else cmd.args
        result = mcpctl(*args, env=env, timeout=60)
        done.append((cmd, result, trace.read_text() if cmd.trace else ""))
    problems: list[str] = []
    for cmd, result, trace in done:
        where = f"`mcpctl {cmd.label}`"
        for secret in secrets:
            for stream, text in (("stdout", result.stdout), ("stderr", result.stderr), ("trace", trace)):
                if secret in text:
                    problems.append(f"{where}: the secret {secret!r} is on {stream}:\n{text}")
        if result.exit_code != cmd.exit_code:
            problems.append(f"{where}: exit {result.exit_code}, expected {cmd.exit_code}\n{result.stderr}")
        if cmd.stdout_has not in result.stdout:
            problems.append(f"{where}: {cmd.stdout_has!r} not on stdout:\n{result.stdout}")
        if cmd.stderr_has not in result.stderr:
            problems.append(f"{where}: {cmd.stderr_has!r} not on stderr:\n{result.stderr}")
        if cmd.trace and '"dir": "out"' not in trace:
            problems.append(f"{where}: the trace file is empty")
    assert not problems, "\n\n".join(problems)
    return [result for _, result, _ in done]


def profile_commands(ok: str, refused: str, rejected: str | None) -> list[Cmd]:
    """What to run against a profile with the servers ``ok`` (call succeeds), ``refused`` (cannot be reached)
    and ``rejected`` (401)."""
    cmds = [
        Cmd(("servers", "list"), 0, ok),
        Cmd(("servers", "show", ok), 0, "***"),
        Cmd(("servers", "show", ok, "-o", "json"), 0, "***"),
        Cmd(("call", f"{ok}.echo", "message=hi", "--dry-run"), 0, '"tools/call"'),
        Cmd(("call", f"{ok}.echo", "message=hi", "-v"), 0, "hi", trace=True),
        Cmd(("call", f"{ok}.echo", "message=hi", "--debug", "-o", "json"), 0, '"hi"'),
        Cmd(("ping", ok), 0, ok),
        Cmd(("tools", "list", ok), 0, "echo"),
        Cmd(("call", f"{refused}.echo", "message=hi", "--retries", "0"), 3),
        Cmd(
            ("call", f"{refused}.echo", "message=hi", "--retries", "0", "-o", "json", "-v", "--debug"),
            3,
            stderr_has=ERROR_LINE,
        ),
        Cmd(("ping", refused, "-o", "json"), 1, '"ok"'),
    ]
    if rejected is not None:
        cmds += [
            Cmd(("call", f"{rejected}.echo", "message=hi"), 6),
            Cmd(("call", f"{rejected}.echo", "message=hi", "-o", "json", "-v", "--debug"), 6, stderr_has=ERROR_LINE),
        ]
    return cmds


def url_commands(url: str, headers: list[str], refused: str, rejected: str | None) -> list[Cmd]:
    """What to run against ad-hoc ``--url`` servers with these ``-H`` headers."""

    def at(where: str) -> tuple[str, ...]:
        return ("--url", where, *[word for h in headers for word in ("-H", h)])

    cmds = [
        Cmd(("call", *at(url), "echo", "message=hi", "--dry-run"), 0, '"tools/call"'),
        Cmd(("call", *at(url), "echo", "message=hi", "-v"), 0, "hi", trace=True),
        Cmd(("call", *at(url), "echo", "message=hi", "--debug", "-o", "json"), 0, '"hi"'),
        Cmd(("ping", *at(url)), 0, "127.0.0.1"),
        Cmd(("tools", "list", *at(url)), 0, "echo"),
        Cmd(("call", *at(refused), "echo", "message=hi", "--retries", "0"), 3),
        Cmd(
            ("call", *at(refused), "echo", "message=hi", "--retries", "0", "-o", "json", "-v", "--debug"),
            3,
            stderr_has=ERROR_LINE,
        ),
        Cmd(("ping", *at(refused), "-o", "json"), 1, '"ok"'),
    ]
    if rejected is not None:
        cmds += [
            Cmd(("call", *at(rejected), "echo", "message=hi"), 6),
            Cmd(("call", *at(rejected), "echo", "message=hi", "-o", "json", "-v", "--debug"), 6, stderr_has=ERROR_LINE),
        ]
    return cmds


def with_profile(cmds: list[Cmd], profile: Path) -> list[Cmd]:
    return [Cmd((*c.args, "--profile", str(profile)), c.exit_code, c.stdout_has, c.trace, c.stderr_has) for c in cmds]


# ----------------------------------------------------------------------------------------------------------------------


def test_bearer_token_from_bearer_token_env_var_is_sent_but_never_printed(gates: Gates, tmp_path: Path) -> None:
    secret = planted("bearer")
    table = {"bearer_token_env_var": "PLANTED_TOKEN"}
    profile = write_profile(
        tmp_path / "mcpctl.toml",
        {
            "ok": {"url": gates.accept(secret), **table},
            "refused": {"url": refused_url(), **table},
            "rejected": {"url": gates.rejecting, **table},
        },
    )
    run_all(
        with_profile(profile_commands("ok", "refused", "rejected"), profile),
        [secret],
        tmp_path,
        env={"PLANTED_TOKEN": secret},
    )


def test_env_http_headers_values_are_sent_but_never_printed(gates: Gates, tmp_path: Path) -> None:
    secret = planted("envheader")
    # Authorization carries it to the gate; X-Opaque has a name that does not look secret: masked all the same,
    # because every env_http_headers value is treated as a secret.
    table = {"env_http_headers": {"Authorization": "PLANTED_AUTH", "X-Opaque": "PLANTED_OPAQUE"}}
    profile = write_profile(
        tmp_path / "mcpctl.toml",
        {
            "ok": {"url": gates.accept(secret), **table},
            "refused": {"url": refused_url(), **table},
            "rejected": {"url": gates.rejecting, **table},
        },
    )
    env = {"PLANTED_AUTH": f"Bearer {secret}", "PLANTED_OPAQUE": f"opaque-{secret}"}
    run_all(with_profile(profile_commands("ok", "refused", "rejected"), profile), [secret], tmp_path, env=env)


def test_stdio_server_secret_env_value_is_never_printed_even_when_the_server_prints_it(tmp_path: Path) -> None:
    secret = planted("stdioenv")
    env = {"API_TOKEN": secret}
    # ``leaky`` prints its token on stderr and exits: the stderr tail mcpctl shows must be masked.
    leaky = f"{PY} -c " + shlex.quote(
        "import os, sys; print('token is', os.environ['API_TOKEN'], file=sys.stderr); exit(3)"
    )
    profile = write_profile(
        tmp_path / "mcpctl.toml",
        {
            "ok": stdio_server(DEMO, env=env),
            "crashing": stdio_server(leaky, env=env),
        },
    )
    cmds = profile_commands("ok", "crashing", None)
    results = run_all(with_profile(cmds, profile), [secret], tmp_path)
    failed = [r for c, r in zip(cmds, results, strict=True) if c.args[:2] == ("call", "crashing.echo")]
    assert all("token is ***" in r.stderr for r in failed), [r.stderr for r in failed]
    # The same through --stdio with -e
    run_all(
        [
            Cmd(("call", "--stdio", DEMO, "-e", f"API_TOKEN={secret}", "echo", "message=hi", "-v", "--debug"), 0, "hi"),
            Cmd(("call", "--stdio", leaky, "-e", f"API_TOKEN={secret}", "echo", "message=hi", "-o", "json"), 3),
            Cmd(("call", "--stdio", leaky, "-e", f"API_TOKEN={secret}", "echo", "message=hi", "-v"), 3),
        ],
        [secret],
        tmp_path,
    )


def test_authorization_header_on_the_command_line_is_sent_but_never_printed(gates: Gates, tmp_path: Path) -> None:
    secret = planted("cliheader")
    header = [f"Authorization: Bearer {secret}"]
    cmds = url_commands(gates.accept(secret), header, refused_url(), gates.rejecting)
    # servers add -H writes it to the profile (that is where it lives then); list/show mask it.
    profile = tmp_path / "mcpctl.toml"
    cmds_after = [
        Cmd(("servers", "list"), 0, "added"),
        Cmd(("servers", "show", "added"), 0, "***"),
        Cmd(("servers", "show", "added", "-o", "json"), 0, "***"),
        Cmd(("call", "added.echo", "message=hi", "-v"), 0, "hi", trace=True),
    ]
    run_all(cmds, [secret], tmp_path)
    run_all(
        [Cmd(("servers", "add", "added", "--url", gates.accept(secret), "-H", header[0]), 0, "added")],
        [secret],
        tmp_path,
        env={"MCPCTL_PROFILE": str(profile)},
    )
    assert secret in profile.read_text()
    run_all(cmds_after, [secret], tmp_path, env={"MCPCTL_PROFILE": str(profile)})


@pytest.mark.parametrize(
    "secret",
    [planted("query"), "s3cr3t/PLANTED+9f2b=query&x"],
    ids=["plain", "percent-encoded"],
)
def test_url_query_api_key_is_sent_but_never_printed(gates: Gates, tmp_path: Path, secret: str) -> None:
    query = "?api_key=" + quote(secret, safe="")
    forms = sorted({secret, quote(secret, safe=""), quote(secret)})
    bearer = {"Authorization": "PLANTED_BEARER"}  # not the planted secret: only the query carries it
    profile = write_profile(
        tmp_path / "mcpctl.toml",
        {
            "ok": {"url": gates.accept(GOOD_TOKEN) + query, "env_http_headers": bearer},
            "refused": {"url": refused_url() + query},
            "rejected": {"url": gates.rejecting + query},
        },
    )
    env = {"PLANTED_BEARER": f"Bearer {GOOD_TOKEN}"}
    cmds = with_profile(profile_commands("ok", "refused", "rejected"), profile)
    good = [f"Authorization: Bearer {GOOD_TOKEN}"]
    cmds += url_commands(gates.accept(GOOD_TOKEN) + query, good, refused_url() + query, None)
    run_all(cmds, forms, tmp_path, env=env)
