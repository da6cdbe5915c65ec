"""OAuth, the pure part: the profile's ``[servers.NAME.oauth]`` table, stored credentials, expiry and the login policy.

The SDK's ``OAuthClientProvider`` keeps a token's expiry only in memory (python-sdk#3250): after a
restart it does not know when a stored token expires. So a stored credential carries an absolute
``expires_at`` (seconds since the epoch), and what the SDK sees is an ``expires_in`` recomputed from
it at load time.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from mcpctl.core.errors import ProfileError

GRANTS = ("authorization_code", "client_credentials", "device_code")
AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post", "private_key_jwt")
#: A token this close to its expiry is refreshed before use (clocks drift, requests take time).
REFRESH_SKEW_SEC = 30.0

_OAUTH_KEYS = {
    "client_id": str,
    "client_secret_env": str,
    "grant": str,
    "scopes": list,
    "token_endpoint_auth_method": str,
    "private_key_file": str,
    "client_metadata_url": str,
    "issuer": str,
}


@dataclass(frozen=True)
class OAuthConfig:
    """``[servers.NAME.oauth]``: how mcpctl gets a token for one server (all optional)."""

    client_id: str | None = None
    #: The environment variable holding the client secret (never the secret itself in a profile).
    client_secret_env: str | None = None
    grant: str = "authorization_code"
    scopes: tuple[str, ...] = ()
    token_endpoint_auth_method: str | None = None
    private_key_file: str | None = None
    #: A client ID metadata document URL (HTTPS), used as the client_id where the server supports it.
    client_metadata_url: str | None = None
    #: The authorization server (issuer) for client credentials when the server's metadata cannot say.
    issuer: str | None = None

    @property
    def scope(self) -> str | None:
        return " ".join(self.scopes) or None


def parse_oauth(body: Any, where: str) -> OAuthConfig:
    """Check and read an ``oauth`` table; a mistake is a ``ProfileError`` naming the key."""
    if not isinstance(body, dict):
        raise ProfileError(f"{where}: expected a table")
    for key, value in body.items():
        kind = _OAUTH_KEYS.get(key)
        if kind is None:
            raise ProfileError(f"{where}.{key}: unknown key", hint=f"known keys: {', '.join(sorted(_OAUTH_KEYS))}")
        if not isinstance(value, kind) or (kind is list and not all(isinstance(v, str) for v in value)):
            raise ProfileError(f"{where}.{key}: expected {'an array of strings' if kind is list else 'a string'}")
    config = OAuthConfig(
        client_id=body.get("client_id"),
        client_secret_env=body.get("client_secret_env"),
        grant=body.get("grant", "authorization_code"),
        scopes=tuple(body.get("scopes", ())),
        token_endpoint_auth_method=body.get("token_endpoint_auth_method"),
        private_key_file=body.get("private_key_file"),
        client_metadata_url=body.get("client_metadata_url"),
        issuer=body.get("issuer"),
    )
    if config.grant not in GRANTS:
        raise ProfileError(f"{where}.grant: expected one of {', '.join(GRANTS)}, got '{config.grant}'")
    method = config.token_endpoint_auth_method
    if method is not None and method not in AUTH_METHODS:
        raise ProfileError(f"{where}.token_endpoint_auth_method: expected one of {', '.join(AUTH_METHODS)}")
    if config.grant == "client_credentials":
        if config.client_id is None:
            raise ProfileError(f'{where}: grant = "client_credentials" needs client_id')
        if method == "private_key_jwt" and config.private_key_file is None:
            raise ProfileError(f'{where}: token_endpoint_auth_method = "private_key_jwt" needs private_key_file')
        if method != "private_key_jwt" and config.client_secret_env is None:
            raise ProfileError(f'{where}: grant = "client_credentials" needs client_secret_env (or private_key_jwt)')
    return config


def canonical_url(url: str) -> str:
    """The server URL as a store key: scheme and host lower-cased, no fragment, no trailing slash on the path."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def credential_key(server_url: str, client_id: str | None = None) -> str:
    """A file-name-safe key for one credential: the server URL, and the profile's client when it names one (so a
    machine client and a person's login to the same server are kept apart); the issuer lives inside the record."""
    text = canonical_url(server_url) + (f"\n{client_id}" if client_id else "")
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class Credential:
    """What the store keeps for one server: the client registration and the tokens, with absolute expiry."""

    server_url: str
    issuer: str | None = None
    client: dict[str, Any] | None = None
    tokens: dict[str, Any] | None = None
    #: Seconds since the epoch; None when the server gave no ``expires_in``.
    expires_at: float | None = None
    updated_at: float = field(default_factory=time.time)
    #: The authorization server's metadata (RFC 8414) and the resource's (RFC 9728), as discovered.
    metadata: dict[str, Any] | None = None
    resource: dict[str, Any] | None = None
    #: The access token's lifetime as granted (``expires_in`` when it was issued).
    lifetime: float | None = None
    #: The profile's ``oauth.client_id`` this record is kept under (None: the server's default record).
    profile_client: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "server_url": self.server_url,
            "issuer": self.issuer,
            "client": self.client,
            "tokens": self.tokens,
            "expires_at": self.expires_at,
            "updated_at": self.updated_at,
            "metadata": self.metadata,
            "resource": self.resource,
            "lifetime": self.lifetime,
            "profile_client": self.profile_client,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Credential:
        expires = data.get("expires_at")
        return cls(
            server_url=str(data.get("server_url") or ""),
            issuer=data.get("issuer") if isinstance(data.get("issuer"), str) else None,
            client=data.get("client") if isinstance(data.get("client"), dict) else None,
            tokens=data.get("tokens") if isinstance(data.get("tokens"), dict) else None,
            expires_at=float(expires) if isinstance(expires, int | float) else None,
            updated_at=float(data.get("updated_at") or 0.0),
            metadata=data.get("metadata") if isinstance(data.get("metadata"), dict) else None,
            resource=data.get("resource") if isinstance(data.get("resource"), dict) else None,
            lifetime=float(data["lifetime"]) if isinstance(data.get("lifetime"), int | float) else None,
            profile_client=data.get("profile_client") if isinstance(data.get("profile_client"), str) else None,
        )

    def set_tokens(self, tokens: Mapping[str, Any], now: float | None = None) -> None:
        """Keep ``tokens`` with an absolute expiry computed from their ``expires_in``."""
        now = time.time() if now is None else now
        self.tokens = dict(tokens)
        expires_in = tokens.get("expires_in")
        self.expires_at = now + float(expires_in) if isinstance(expires_in, int | float) else None
        self.lifetime = float(expires_in) if isinstance(expires_in, int | float) else None
        self.updated_at = now

    def skew(self) -> float:
        """How long before its expiry a token is refreshed: ``REFRESH_SKEW_SEC``, or a quarter of a shorter life."""
        if self.lifetime is None:
            return REFRESH_SKEW_SEC
        return min(REFRESH_SKEW_SEC, self.lifetime / 4)

    def refresh_at(self) -> float | None:
        """When the access token should be refreshed (seconds since the epoch), or None when it never expires."""
        return None if self.expires_at is None else self.expires_at - self.skew()

    def tokens_now(self, now: float | None = None) -> dict[str, Any] | None:
        """The tokens with ``expires_in`` recomputed from ``expires_at`` (0 once expired)."""
        if self.tokens is None:
            return None
        tokens = dict(self.tokens)
        if self.expires_at is not None:
            tokens["expires_in"] = max(0, int(self.expires_at - (time.time() if now is None else now)))
        return tokens

    def expires_in(self, now: float | None = None) -> float | None:
        if self.expires_at is None:
            return None
        return self.expires_at - (time.time() if now is None else now)

    def fresh(self, now: float | None = None) -> bool:
        """Whether the access token may be used as it is (not yet due for a refresh)."""
        if not self.tokens or not self.tokens.get("access_token"):
            return False
        left = self.expires_in(now)
        return left is None or left > self.skew()

    @property
    def refreshable(self) -> bool:
        return bool(self.tokens and self.tokens.get("refresh_token"))

    @property
    def client_id(self) -> str | None:
        return str(self.client["client_id"]) if self.client and self.client.get("client_id") else None

    @property
    def scope(self) -> str | None:
        return str(self.tokens["scope"]) if self.tokens and self.tokens.get("scope") else None

    def usable(self, now: float | None = None) -> bool:
        """A token that works now, or can be refreshed without a person."""
        return self.fresh(now) or self.refreshable


LoginMode = Literal["auto", "always", "never"]


@dataclass(frozen=True)
class LoginPolicy:
    """Whether a command may run an interactive login when a server asks for one.

    ``auto``: only with a person at a terminal (stdin and stderr TTYs, ``CI`` unset); ``always``
    (``--login``): also without one (a ``$BROWSER`` script may follow the URL); ``never``
    (``--no-login``): stored tokens only.
    """

    mode: LoginMode = "auto"
    person: bool = False

    @property
    def allowed(self) -> bool:
        return self.mode == "always" or (self.mode == "auto" and self.person)


def describe_expiry(seconds: float | None) -> str:
    """``in 59m``, ``expired 3m ago``, or ``unknown``: for ``auth status``."""
    if seconds is None:
        return "unknown"
    span = abs(seconds)
    if span < 120:
        text = f"{int(span)}s"
    elif span < 7200:
        text = f"{int(span // 60)}m"
    elif span < 172800:
        text = f"{int(span // 3600)}h"
    else:
        text = f"{int(span // 86400)}d"
    return f"in {text}" if seconds > 0 else f"expired {text} ago"
