"""``mcpctl auth login|status|logout|token``: OAuth logins for HTTP servers."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated

import typer

from mcpctl.cli.context import Context, auth_options
from mcpctl.cli.options import server_command
from mcpctl.core.errors import UsageError

if TYPE_CHECKING:
    from mcpctl.ops.auth import AuthState
    from mcpctl.sessions.targets import Target

app = typer.Typer(help="Log in to OAuth-protected HTTP servers; see and remove stored tokens.", no_args_is_help=True)

ServerArg = Annotated[str | None, typer.Argument(help="The profile server (or give --url).")]
#: Declared so that the shared ``--login/--no-login`` is not offered here: asking for a login is leave enough, and
#: the other auth commands start none.
NoLoginFlag = Annotated[bool | None, typer.Option("--login/--no-login", hidden=True)]


def _one(ctx: Context, server: str | None) -> Target:
    targets = ctx.targets([server] if server else None)
    if len(targets) != 1:
        raise UsageError("name one server (or give --url)", hint="mcpctl auth login NAME")
    return targets[0]


@app.command("login")
@server_command()
def login(
    ctx: Context,
    login: NoLoginFlag = None,
    server: ServerArg = None,
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="A scope to ask for (repeat it; default: what the server names)."),
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a browser: print the URL and wait for the redirect.")
    ] = False,
    device: Annotated[
        bool, typer.Option("--device", help="Device code flow (RFC 8628): enter a code on any device's browser.")
    ] = False,
    client_credentials: Annotated[
        bool,
        typer.Option(
            "--client-credentials",
            help="The machine grant with the profile's oauth.client_id and client_secret_env (or private key).",
        ),
    ] = False,
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for the browser's redirect.", min=1.0)] = 300.0,
) -> None:
    """Log in to an HTTP server with OAuth 2.1 and store its tokens (0600 files under $XDG_STATE_HOME/mcpctl/auth).

    The browser opens at the server's authorization page ($BROWSER honoured); the redirect comes back to
    127.0.0.1 on a free port. Without a display, the URL is printed instead.

    Example: mcpctl auth login github

    Example: mcpctl auth login --url https://mcp.example.com/mcp --no-browser

    Example: mcpctl auth login github --device            # over SSH, in a container
    """
    if device and client_credentials:
        raise UsageError("--device and --client-credentials are two different grants: choose one")

    async def work() -> int:
        from mcpctl.ops.auth import login as run_login

        target = _one(ctx, server)
        if client_credentials:
            target = _machine(target)
        options = auth_options(ctx.output, True, browser=not no_browser, login_timeout=wait)
        options = dataclasses.replace(options, scope=" ".join(scope) if scope else None)
        state = await run_login(target, dataclasses.replace(ctx.session, auth=options), device=device)
        if ctx.output.machine:
            ctx.output.result(state.to_json())
        else:
            ctx.output.note(_logged_in(state))
        return 0

    ctx.run(work)


def _machine(target: Target) -> Target:
    """``target`` with the client credentials grant (the profile must name the client)."""
    config = target.config.oauth if target.config is not None else None
    if target.config is None or config is None or not config.client_id:
        raise UsageError(
            f"{target.name}: --client-credentials needs the client in the profile",
            hint='[servers.NAME.oauth] client_id = "…", client_secret_env = "VAR" (or private_key_jwt)',
        )
    machine = dataclasses.replace(config, grant="client_credentials")
    return dataclasses.replace(target, config=dataclasses.replace(target.config, oauth=machine))


def _logged_in(state: AuthState) -> str:
    c = state.credential
    scopes = (c.scope if c else None) or "-"
    issuer = (c.issuer if c else None) or "-"
    return f"logged in to {state.server} (issuer {issuer}, scopes {scopes}, expires {state.expiry()})"


@app.command("status")
@server_command()
def status(
    ctx: Context,
    login: NoLoginFlag = None,
    servers: Annotated[
        list[str] | None, typer.Argument(help="Servers to show (default: every HTTP server in the profile).")
    ] = None,
) -> None:
    """Show what is stored per HTTP server: issuer, client, scopes, expiry, refreshable, where; never a token.

    Exit 1 when a server named on the command line has no usable token.

    Example: mcpctl auth status

    Example: mcpctl auth status github -o json
    """

    async def work() -> int:
        from mcpctl.ops.auth import status as run_status
        from mcpctl.output.writer import Table

        states = run_status(ctx.targets(servers))
        rows = [
            [
                s.server,
                s.credential.issuer or "-" if s.credential else "-",
                s.credential.client_id or "-" if s.credential else "-",
                (s.credential.scope or "-") if s.credential else "-",
                s.expiry(),
                "yes" if s.credential and s.credential.refreshable else "no",
                "ok" if s.usable else "login needed",
                s.where,
            ]
            for s in states
        ]
        columns = ["SERVER", "ISSUER", "CLIENT", "SCOPES", "EXPIRES", "REFRESH", "STATE", "STORE"]
        ctx.output.items([s.to_json() for s in states], Table(columns, rows))
        named = bool(servers) or ctx.adhoc.given
        return 1 if named and not all(s.usable for s in states) else 0

    ctx.run(work)


@app.command("logout")
@server_command()
def logout(ctx: Context, server: ServerArg = None, login: NoLoginFlag = None) -> None:
    """Forget a server's tokens and registered client (revoking them at the server first, where it allows).

    Example: mcpctl auth logout github
    """

    async def work() -> int:
        from mcpctl.ops.auth import logout as run_logout

        result = await run_logout(_one(ctx, server))
        if ctx.output.machine:
            ctx.output.result(result.to_json())
        elif not result.removed:
            ctx.output.note(f"{result.server}: nothing was stored")
        else:
            revoked = {True: ", tokens revoked", False: ", the server did not confirm the revocation", None: ""}
            ctx.output.note(f"logged out of {result.server}{revoked[result.revoked]}")
        return 0

    ctx.run(work)


@app.command("token")
@server_command()
def token(ctx: Context, server: ServerArg = None, login: NoLoginFlag = None) -> None:
    """Print a fresh access token (refreshed first when about to expire): for curl and scripts.

    The one command that prints a token. Exit 6 when none is stored or it cannot be refreshed. For curl:
    curl -H "Authorization: Bearer $(mcpctl auth token github)" URL

    Example: mcpctl auth token github
    """

    async def work() -> int:
        from mcpctl.ops.auth import access_token

        value = await access_token(_one(ctx, server), ctx.session)
        if ctx.output.machine:
            ctx.output.result({"access_token": value})
        else:
            ctx.output.text(value + "\n")
        return 0

    ctx.run(work)
