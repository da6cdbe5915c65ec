"""``auth login|status|logout|token``: OAuth credentials per HTTP server, kept by ``sessions.auth.store``.

``login`` runs the authorization-code flow through an ordinary session (the SDK's provider does discovery,
registration, PKCE and the exchange on the server's 401), the device flow (``--device``), or the client
credentials grant the profile configures. ``token`` is the one operation that hands an access token out.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import anyio

from mcpctl.core.auth import Credential, LoginPolicy, OAuthConfig, describe_expiry
from mcpctl.core.errors import AuthError, UsageError
from mcpctl.core.secrets import redact
from mcpctl.sessions.auth.store import CredentialStore
from mcpctl.sessions.options import SessionOptions
from mcpctl.sessions.targets import Target

REVOKE_TIMEOUT_SEC = 5.0


@dataclass
class AuthState:
    """What is stored for one server (never the tokens themselves)."""

    server: str
    url: str
    where: str
    credential: Credential | None
    grant: str = "authorization_code"

    @property
    def usable(self) -> bool:
        return self.credential is not None and self.credential.usable()

    def to_json(self) -> dict[str, Any]:
        c = self.credential
        left = c.expires_in() if c is not None else None
        return {
            "server": self.server,
            "url": redact(self.url),
            "logged_in": bool(c and c.tokens),
            "usable": self.usable,
            "issuer": c.issuer if c else None,
            "client_id": c.client_id if c else None,
            "grant": self.grant,
            "scopes": (c.scope or "").split() if c else [],
            "expires_at": c.expires_at if c else None,
            "expires_in": None if left is None else int(left),
            "refreshable": bool(c and c.refreshable),
            "store": self.where,
        }

    def expiry(self) -> str:
        if self.credential is None or not self.credential.tokens:
            return "-"
        return describe_expiry(self.credential.expires_in())


def _http_only(target: Target) -> None:
    if target.transport == "stdio":
        raise UsageError(
            f"{target.name}: OAuth is for HTTP servers; this one is started over stdio",
            hint="a stdio server takes its credentials from its environment (-e / env in the profile)",
        )


def _config(target: Target) -> OAuthConfig:
    return (target.config.oauth if target.config is not None else None) or OAuthConfig()


def _stored(target: Target, store: CredentialStore) -> Credential | None:
    """``target``'s stored credential: the record kept under the profile's client when it names one (another client's
    tokens for the same server are another record)."""
    return store.load(target.url or "", _config(target).client_id)


def state_of(target: Target, store: CredentialStore | None = None) -> AuthState:
    store = store or CredentialStore()
    return AuthState(
        server=target.name,
        url=target.url or "",
        where=store.where,
        credential=_stored(target, store),
        grant=_config(target).grant,
    )


def status(targets: list[Target]) -> list[AuthState]:
    """The stored state of each HTTP server among ``targets``."""
    store = CredentialStore()
    return [state_of(t, store) for t in targets if t.transport != "stdio"]


async def login(target: Target, options: SessionOptions, *, device: bool = False) -> AuthState:
    """Log in to ``target`` afresh (a stored token is replaced only once the new one arrives)."""
    _http_only(target)
    config = _config(target)
    store = CredentialStore()
    if device:
        from mcpctl.sessions.auth.device import device_login

        await device_login(target.name, target.url or "", config, options.auth, store)
        return state_of(target, store)
    auth = dataclasses.replace(options.auth, policy=LoginPolicy(mode="always"), fresh=True)
    from mcpctl.sessions.session import open_session

    async with open_session(target, dataclasses.replace(options, auth=auth)) as session:
        await session.list_tools()  # some servers let the handshake through and guard only the requests after it
    state = state_of(target, store)
    if state.credential is None or not state.credential.tokens:
        raise AuthError(
            f"{target.name}: the server answered without asking for a login; nothing was stored",
            hint="it needs no OAuth token (or wants a static one: bearer_token_env_var / -H)",
        )
    return state


async def access_token(target: Target, options: SessionOptions) -> str:
    """A usable access token for ``target``, refreshed first when it is about to expire."""
    _http_only(target)
    from mcpctl.sessions.auth.oauth import login_hint, refresh_stored

    await refresh_stored(target)
    store = CredentialStore()
    credential = _stored(target, store)
    if (credential is None or not credential.fresh()) and _config(target).grant == "client_credentials":
        await login(target, options)
        credential = _stored(target, store)
    if credential is None or not credential.fresh() or not credential.tokens:
        raise AuthError(f"{target.name}: no usable token is stored", hint=login_hint(target))  # --url or NAME
    return str(credential.tokens["access_token"])


@dataclass
class LogoutResult:
    server: str
    removed: bool
    revoked: bool | None

    def to_json(self) -> dict[str, Any]:
        return {"server": self.server, "removed": self.removed, "revoked": self.revoked}


async def logout(target: Target) -> LogoutResult:
    """Forget ``target``'s tokens and registered client, revoking the tokens first where the server allows it."""
    _http_only(target)
    store = CredentialStore()
    credential = _stored(target, store)
    revoked = await _revoke(credential) if credential is not None else None
    removed = store.delete(target.url or "", _config(target).client_id)
    return LogoutResult(server=target.name, removed=removed, revoked=revoked)


async def _revoke(credential: Credential) -> bool | None:
    """RFC 7009, best effort and bounded: None when the server has no revocation endpoint."""
    endpoint = (credential.metadata or {}).get("revocation_endpoint")
    if not endpoint or not credential.tokens or not credential.client_id:
        return None
    import httpx2

    client = credential.client or {}
    auth = None
    form = {"client_id": str(credential.client_id)}
    secret = client.get("client_secret")
    if secret and client.get("token_endpoint_auth_method") == "client_secret_post":
        form["client_secret"] = str(secret)
    elif secret:
        auth = httpx2.BasicAuth(str(credential.client_id), str(secret))
    # The refresh token is what outlives a logout; a server may refuse to revoke a (JWT) access token, which then
    # just expires. So the refresh token's answer is the verdict when there is one.
    kinds = [k for k in ("refresh_token", "access_token") if credential.tokens.get(k)]
    answers: dict[str, bool] = {}
    with anyio.move_on_after(REVOKE_TIMEOUT_SEC):
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(REVOKE_TIMEOUT_SEC), auth=auth) as http:
            for kind in kinds:
                data = {**form, "token": str(credential.tokens[kind]), "token_type_hint": kind}
                try:
                    answers[kind] = (await http.post(str(endpoint), data=data)).status_code == 200
                except httpx2.HTTPError:
                    answers[kind] = False
    return answers.get(kinds[0], False) if kinds else None
