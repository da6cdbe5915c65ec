"""OAuth for HTTP servers, on the SDK's ``OAuthClientProvider`` (discovery, PKCE, registration, refresh, step-up).

What mcpctl adds around it:

* **stored credentials** (``store.py``) with an absolute expiry, reloaded with it (python-sdk#3250), and the
  authorization server's metadata, so a refresh after a restart reaches the right token endpoint;
* **refresh under a cross-process lock**, re-reading the store once the lock is held, and before the token expires;
* **no login without leave**: when the command may not run a login (no person at a terminal, ``CI``,
  ``--no-login``), a 401 or a step-up ends the command at once (exit 6) with ``mcpctl auth login NAME``: no
  discovery, no registration, no browser;
* **the person's side of a login**: the loopback redirect, the browser (``$BROWSER`` honoured), the URL shown.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import warnings
import webbrowser
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio
import httpx2
from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthMetadata,
    ProtectedResourceMetadata,
)
from pydantic import AnyUrl

from mcpctl.core.auth import OAuthConfig
from mcpctl.core.errors import AuthError
from mcpctl.core.secrets import redact
from mcpctl.sessions.auth.loopback import Loopback
from mcpctl.sessions.auth.store import CredentialStore, SdkStorage
from mcpctl.sessions.clock import person_at_work

if TYPE_CHECKING:
    from mcpctl.sessions.classify import HttpLog
    from mcpctl.sessions.options import AuthOptions
    from mcpctl.sessions.targets import Target

CLIENT_NAME = "mcpctl"


def login_hint(target: Target) -> str:
    """How to log in to ``target`` from the command line."""
    if target.config is not None:
        return f"run: mcpctl auth login {target.name}"
    return f"run: mcpctl auth login --url {redact(target.url or '')}"


def _has_display() -> bool:
    return bool(
        os.environ.get("BROWSER")
        or os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or sys.platform in ("darwin", "win32")
    )


def open_browser(url: str) -> bool:
    """Open ``url`` in the person's browser (``$BROWSER`` first) on a daemon thread: ``webbrowser`` waits for a
    ``$BROWSER`` program to exit, and that program may be the one that follows the redirect back to us."""
    if not _has_display():
        return False
    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    return True


class Person:
    """The person's side of an authorization-code login: show the URL, open the browser, take the redirect."""

    def __init__(self, server: str, options: AuthOptions) -> None:
        self.server = server
        self.options = options
        self.loopback: Loopback | None = None

    async def listen(self, preferred_port: int | None) -> str:
        """Bind the redirect listener (the port a stored client was registered with when free); its redirect URI."""
        if self.loopback is None:
            self.loopback = await Loopback.bind(preferred_port)
        return self.loopback.redirect_uri

    async def redirect(self, url: str) -> None:
        opened = self.options.browser and open_browser(url)
        if self.options.notify is not None:
            verb = "Opened your browser at" if opened else "Open this URL in a browser to log in"
            self.options.notify(f"{self.server}: {verb}:\n  {url}\nWaiting for the login to finish…")

    async def callback(self) -> AuthorizationCodeResult:
        if self.loopback is None:  # pragma: no cover - listen() runs before any redirect
            raise AuthError("no redirect listener")
        wait = self.options.login_timeout
        with person_at_work():
            try:
                with anyio.fail_after(wait):
                    got = await self.loopback.wait()
            except TimeoutError:
                raise AuthError(
                    f"{self.server}: the login did not finish within {wait:g}s",
                    hint="run the login again (mcpctl auth login), and finish it in the browser",
                ) from None
        redact.add([got.code or "", got.state or ""])
        if got.error:
            detail = f": {got.error_description}" if got.error_description else ""
            raise AuthError(f"{self.server}: the authorization server refused the login: {got.error}{detail}")
        return AuthorizationCodeResult(code=got.code or "", state=got.state, iss=got.iss)

    async def close(self) -> None:
        if self.loopback is not None:
            with contextlib.suppress(OSError, anyio.ClosedResourceError):
                await self.loopback.aclose()
            self.loopback = None


def _wants_login(response: httpx2.Response) -> bool:
    """A 401, or a 403 that asks for more scope (step-up)."""
    if response.status_code == 401:
        return True
    if response.status_code != 403:
        return False
    challenge = response.headers.get("www-authenticate", "")
    return "insufficient_scope" in challenge


class StoredCredentials:
    """Mixin for the SDK's providers: stored expiry and metadata, locked refresh, and no login without leave."""

    context: Any
    _initialized: bool
    storage: SdkStorage
    target: Target
    may_login: bool

    #: Ignore the stored tokens once (``auth login``: a new login even when a token is stored).
    fresh_login: bool = False
    #: The HTTP status of the request's last answer (403: a login is a step-up).
    refused_status: int = 0
    #: The session's HTTP log, where an ``AuthError`` is noted (see ``async_auth_flow``).
    http_log: HttpLog | None = None

    async def _initialize(self) -> None:
        await super()._initialize()  # type: ignore[misc]
        if self.fresh_login:
            self.fresh_login = False
            self.context.current_tokens = None
            return
        self._restore()

    def _restore(self) -> None:
        """Give the SDK the expiry (minus a margin, so a token is refreshed before it lapses) and the metadata."""
        credential = self.storage.credential()
        if self.context.current_tokens is not None and credential.expires_at is not None:
            self.context.token_expiry_time = credential.refresh_at()
        with contextlib.suppress(ValueError):
            if credential.metadata and self.context.oauth_metadata is None:
                self.context.oauth_metadata = OAuthMetadata.model_validate(credential.metadata)
            if credential.resource and self.context.protected_resource_metadata is None:
                self.context.protected_resource_metadata = ProtectedResourceMetadata.model_validate(credential.resource)
                servers = self.context.protected_resource_metadata.authorization_servers
                if servers and self.context.auth_server_url is None:
                    self.context.auth_server_url = str(servers[0])

    def _stale(self) -> bool:
        return bool(
            self.context.current_tokens is not None
            and self.context.token_expiry_time is not None
            and time.time() > self.context.token_expiry_time
        )

    async def _handle_token_response(self, response: httpx2.Response) -> None:
        await super()._handle_token_response(response)  # type: ignore[misc]
        self._keep_metadata()

    async def _handle_refresh_response(self, response: httpx2.Response) -> bool:
        ok: bool = await super()._handle_refresh_response(response)  # type: ignore[misc]
        if ok:
            self._keep_metadata()
        return ok

    def _keep_metadata(self) -> None:
        meta = self.context.oauth_metadata
        prm = self.context.protected_resource_metadata
        self.storage.save_metadata(
            meta.model_dump(mode="json", exclude_none=True) if meta is not None else None,
            prm.model_dump(mode="json", exclude_none=True) if prm is not None else None,
        )

    async def _auth_flow(self, request: httpx2.Request) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        if not self._initialized:
            await self._initialize()
        if self._stale() and self.context.can_refresh_token():
            async for step in self._locked_refresh(None):
                await self._refresh_answered((yield step))
        flow = super()._auth_flow(request)  # type: ignore[misc]
        retried = False
        sent = 0  # times the request itself went out in this flow: a second refusal follows a login
        try:
            outgoing = await flow.__anext__()
            while True:
                response = yield outgoing
                if outgoing is request:
                    self.refused_status = response.status_code
                    sent += 1
                    if sent > 1 and _wants_login(response):
                        raise self._refused_after_login(response)
                if outgoing is request and response.status_code == 401 and not retried and self._refused_token():
                    # A token the server refused though it has not expired (revoked, or the server restarted):
                    # one refresh, then the request again, before any login.
                    retried = True
                    refused = self.context.current_tokens.access_token
                    async for step in self._locked_refresh(refused):
                        await self._refresh_answered((yield step))
                    if self.context.is_token_valid() and self.context.current_tokens.access_token != refused:
                        await flow.aclose()
                        flow = super()._auth_flow(request)  # type: ignore[misc]
                        sent = 0
                        outgoing = await flow.__anext__()
                        continue
                if outgoing is request and not self.may_login and _wants_login(response):
                    raise self._login_needed(response)
                outgoing = await flow.asend(response)
        except StopAsyncIteration:
            return
        finally:
            await flow.aclose()
            await self._done()

    async def async_auth_flow(self, request: httpx2.Request) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        """The flow, noting an ``AuthError`` in the session's HTTP log (``classify`` reads it): mid-session the
        SDK's transport drops the exception and keeps only the HTTP status."""
        flow = super().async_auth_flow(request)  # type: ignore[misc]
        try:
            outgoing = await flow.__anext__()
            while True:
                outgoing = await flow.asend((yield outgoing))
        except StopAsyncIteration:
            return
        except AuthError as error:
            if self.http_log is not None:
                self.http_log.auth_error = error
            raise
        finally:
            await flow.aclose()

    def _refused_token(self) -> bool:
        tokens = self.context.current_tokens
        return bool(tokens is not None and tokens.refresh_token and self.context.client_info is not None)

    async def _done(self) -> None:
        """Called when a request's flow ends (the person-facing side closes its listener)."""

    async def _locked_refresh(self, refused: str | None) -> AsyncGenerator[httpx2.Request, None]:
        """Yield the refresh request while holding this credential's lock; nothing when, once the lock is held, the
        store has a usable token another process put there (``refused``: the access token the server refused)."""
        async with self.storage.store.locked(self.storage.server_url, self.storage.key):
            self.context.current_tokens = await self.storage.get_tokens()
            self._restore()
            tokens = self.context.current_tokens
            if tokens is None or not self.context.can_refresh_token():
                return
            if refused is not None and tokens.access_token != refused and not self._stale():
                return  # another process refreshed while we waited
            if refused is None and not self._stale():
                return
            yield await self._refresh_token()  # type: ignore[attr-defined]

    async def _refresh_answered(self, response: httpx2.Response) -> None:
        if await self._handle_refresh_response(response):
            return
        if response.status_code in (400, 401):  # invalid_grant: the refresh token is spent or revoked
            self.storage.drop_tokens()
        if not self.may_login:
            raise AuthError(
                f"{self.target.name}: the stored token could not be refreshed "
                f"(HTTP {response.status_code} from the token endpoint)",
                hint=login_hint(self.target),
            )

    def _refused_after_login(self, response: httpx2.Response) -> AuthError:
        """The server refused the request again right after a login (or a step-up) gave a new token."""
        challenge = response.headers.get("www-authenticate")
        says = f" (WWW-Authenticate: {redact(challenge)})" if challenge else ""
        scope = self.context.current_tokens.scope if self.context.current_tokens is not None else None
        return AuthError(
            f"{self.target.name}: HTTP {response.status_code} from {redact(self.target.url or '')} right after "
            f"logging in{f' with scopes {scope}' if scope else ''}{says}",
            hint="the authorization server granted less than the server wants: check the account's access, "
            "or ask for the scopes the server names (mcpctl auth login --scope …)",
        )

    def _login_needed(self, response: httpx2.Response) -> AuthError:
        where = redact(self.target.url or "")
        if response.status_code == 403:
            from mcp.client.auth.utils import extract_scope_from_www_auth

            wanted = extract_scope_from_www_auth(response)
            scopes = " ".join(f"--scope {s}" for s in (wanted or "").split())
            return AuthError(
                f"{self.target.name}: HTTP 403 Forbidden from {where}: the token lacks a scope the server wants"
                + (f" ({wanted})" if wanted else ""),
                hint=f"{login_hint(self.target)}{f' {scopes}' if scopes else ''}",
            )
        stored = self.storage.credential()
        why = "the stored token was refused" if stored.tokens else "the server wants a login"
        challenge = response.headers.get("www-authenticate")
        says = f"the server says: WWW-Authenticate: {redact(challenge)}; " if challenge else ""
        return AuthError(
            f"{self.target.name}: HTTP 401 Unauthorized from {where}: {why}",
            hint=f"{says}{login_hint(self.target)}; or give a token (bearer_token_env_var in the profile, "
            "or -H 'Authorization: Bearer …')",
        )


class CodeFlow(StoredCredentials, OAuthClientProvider):
    """Authorization code + PKCE with a loopback redirect (a public client unless the profile names a secret)."""

    def __init__(self, target: Target, config: OAuthConfig, store: CredentialStore, options: AuthOptions) -> None:
        self.target = target
        self.config = config
        self.storage = SdkStorage(store, target.url or "", key=config.client_id)
        self.may_login = options.policy.allowed
        self.person = Person(target.name, options)
        secret = _client_secret(config, target)
        method = config.token_endpoint_auth_method or ("client_secret_basic" if secret else "none")
        metadata = OAuthClientMetadata(
            client_name=CLIENT_NAME,
            redirect_uris=[AnyUrl("http://127.0.0.1/callback")],  # the real port is set at login
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method=method,  # type: ignore[arg-type]
            scope=options.scope or config.scope,
        )
        self._preset = _preregistered(config, secret, method)
        self.wanted_scope = options.scope or config.scope
        super().__init__(
            target.url or "",
            metadata,
            self.storage,
            redirect_handler=self._redirect,
            callback_handler=self.person.callback,
            client_metadata_url=config.client_metadata_url,
        )

    async def _initialize(self) -> None:
        await super()._initialize()
        if self._preset is not None and (
            self.context.client_info is None or self.context.client_info.client_id != self._preset.client_id
        ):
            self.context.client_info = self._preset

    async def _perform_authorization(self) -> httpx2.Request:
        port = _port_of(self.context.client_info)
        uri = await self.person.listen(port)
        self.context.client_metadata.redirect_uris = [AnyUrl(uri)]
        self.context.client_metadata.scope = self._scope(self.context.client_metadata.scope)
        request: httpx2.Request = await super()._perform_authorization()
        return request

    def _scope(self, chosen: str | None) -> str | None:
        """The scopes to ask for: the SDK picks the server's (a 401 replaces ours), so ``--scope`` and the
        profile's ``oauth.scopes`` win when given, keeping ``offline_access``; a step-up (403) adds what it asks."""
        from mcp.client.auth.utils import union_scopes

        if not self.wanted_scope:
            return chosen
        if self.refused_status == 403:
            return union_scopes(self.wanted_scope, chosen)
        offline = "offline_access" if chosen and "offline_access" in chosen.split() else None
        return union_scopes(self.wanted_scope, offline)

    async def _redirect(self, url: str) -> None:
        await self.person.redirect(url)

    async def _done(self) -> None:
        await self.person.close()


def _port_of(client: OAuthClientInformationFull | None) -> int | None:
    """The loopback port a stored client was registered with (reused when free: some servers pin the port)."""
    if client is None or not client.redirect_uris:
        return None
    url = urlsplit(str(client.redirect_uris[0]))
    return url.port if url.hostname in ("127.0.0.1", "localhost") else None


def _client_secret(config: OAuthConfig, target: Target) -> str | None:
    if config.client_secret_env is None:
        return None
    secret = os.environ.get(config.client_secret_env)
    if not secret:
        raise AuthError(
            f"{target.name}: the client secret variable {config.client_secret_env} is not set",
            hint=f"export {config.client_secret_env}=… (the profile's oauth.client_secret_env)",
        )
    redact.add([secret])
    return secret


def _preregistered(config: OAuthConfig, secret: str | None, method: str) -> OAuthClientInformationFull | None:
    if config.client_id is None:
        return None
    return OAuthClientInformationFull(
        client_id=config.client_id,
        client_secret=secret,
        redirect_uris=[AnyUrl("http://127.0.0.1/callback")],
        token_endpoint_auth_method=method,
        grant_types=["authorization_code", "refresh_token"],
        issuer=config.issuer,
    )


def client_credentials(target: Target, config: OAuthConfig, store: CredentialStore) -> StoredCredentials:
    """The machine grant: a secret (basic/post) or a signed JWT (``private_key_jwt``); never a person."""
    from mcp.client.auth.extensions.client_credentials import (
        ClientCredentialsOAuthProvider,
        PrivateKeyJWTOAuthProvider,
        SignedJWTParameters,
    )
    from mcp.shared.exceptions import MCPDeprecationWarning

    # Without the profile's oauth.issuer the SDK warns on stderr (a token goes to the server's authorization server).
    warnings.filterwarnings("ignore", message="Omitting `issuer`", category=MCPDeprecationWarning)
    client_id = config.client_id or ""
    storage = SdkStorage(store, target.url or "", client_id=client_id, key=client_id)
    if config.token_endpoint_auth_method == "private_key_jwt":
        key = _read_key(config, target)
        jwt = SignedJWTParameters(
            issuer=client_id, subject=client_id, signing_algorithm=_algorithm(key), signing_key=key
        )

        class JwtFlow(StoredCredentials, PrivateKeyJWTOAuthProvider):
            pass

        auth: Any = JwtFlow(
            server_url=target.url or "",
            storage=storage,
            client_id=client_id,
            assertion_provider=jwt.create_assertion_provider(),
            scope=config.scope,
        )
    else:

        class SecretFlow(StoredCredentials, ClientCredentialsOAuthProvider):
            pass

        method = config.token_endpoint_auth_method or "client_secret_basic"
        auth = SecretFlow(
            server_url=target.url or "",
            storage=storage,
            client_id=client_id,
            client_secret=_client_secret(config, target) or "",
            token_endpoint_auth_method=method,  # type: ignore[arg-type]
            scope=config.scope,
            issuer=config.issuer,
        )
    auth.target = target
    auth.storage = storage
    auth.may_login = True  # a token request needs no person
    return auth  # type: ignore[no-any-return]


def _read_key(config: OAuthConfig, target: Target) -> str:
    path = os.path.expanduser(config.private_key_file or "")
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise AuthError(f"{target.name}: cannot read oauth.private_key_file {path}: {exc.strerror}") from None


def _algorithm(pem: str) -> str:
    """ES256 for an EC key, RS256 otherwise (what the PEM header says)."""
    return "ES256" if "EC PRIVATE KEY" in pem or _is_ec(pem) else "RS256"


def _is_ec(pem: str) -> bool:
    with contextlib.suppress(Exception):
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        return isinstance(load_pem_private_key(pem.encode(), password=None), ec.EllipticCurvePrivateKey)
    return False


def build_auth(target: Target, options: AuthOptions, http: HttpLog | None = None) -> httpx2.Auth | None:
    """The ``httpx2.Auth`` for an HTTP target: None when the user gives the Authorization header themselves.
    ``http``: the session's HTTP log, where a refusal is noted for ``classify``."""
    if any(name.lower() == "authorization" for name in target.headers):
        return None
    config = (target.config.oauth if target.config is not None else None) or OAuthConfig()
    store = CredentialStore()
    auth: StoredCredentials
    if config.grant == "client_credentials":
        auth = client_credentials(target, config, store)
    else:
        auth = CodeFlow(target, config, store, options)
    auth.fresh_login = options.fresh
    auth.http_log = http
    return auth  # type: ignore[return-value]


async def refresh_stored(target: Target) -> None:
    """Refresh ``target``'s stored token now if it is about to expire (under the cross-process lock); a refresh
    token the server refuses is an ``AuthError`` naming the login command."""
    auth = build_auth(target, no_login())
    if not isinstance(auth, StoredCredentials):
        return
    await auth._initialize()
    if not (auth._stale() and auth.context.can_refresh_token()):
        return
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(30.0)) as http:
        async for step in auth._locked_refresh(None):
            await auth._refresh_answered(await http.send(step))


def no_login() -> AuthOptions:
    """Options that never run a login."""
    from mcpctl.core.auth import LoginPolicy
    from mcpctl.sessions.options import AuthOptions

    return AuthOptions(policy=LoginPolicy(mode="never"))
