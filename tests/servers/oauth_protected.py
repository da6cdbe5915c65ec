"""An MCP server protected by OAuth 2.1, for the tests that run against the real OpenID provider (tests/oauth).

Run as a program (binds 127.0.0.1; port 0 picks a free one)::

    python tests/servers/oauth_protected.py --issuer http://127.0.0.1:PORT [--port N]

The first stdout line is JSON naming the MCP endpoint: ``{"url": "http://127.0.0.1:N/mcp"}``; nothing else is written
to stdout. It is the SDK's own resource-server support (``MCPServer(auth=AuthSettings(...), token_verifier=...)``):

* ``/mcp`` (Streamable HTTP) needs ``Authorization: Bearer <JWT access token>`` from the issuer, signed with a key of
  its JWKS, unexpired (no leeway), with ``aud`` = this server's ``/mcp`` URL and the scope ``mcp:read``. Otherwise 401
  with ``WWW-Authenticate: Bearer error="invalid_token", ..., resource_metadata="<metadata URL>"``; a valid token
  without ``mcp:read`` gets 403 ``insufficient_scope``.
* A ``tools/call`` of ``write_thing`` with a token lacking ``mcp:write`` gets HTTP 403 with
  ``WWW-Authenticate: Bearer error="insufficient_scope", scope="mcp:read mcp:write", resource_metadata="..."``
  (the MCP step-up authorization challenge).
* RFC 9728 protected resource metadata at ``/.well-known/oauth-protected-resource/mcp`` and
  ``/.well-known/oauth-protected-resource``: resource = the ``/mcp`` URL, authorization_servers = [issuer],
  scopes_supported = ["mcp:read", "mcp:write"].

Tools: ``whoami`` (the token's sub, client_id, scopes, aud), ``echo`` and ``write_thing`` (needs ``mcp:write``).
Opaque access tokens (issued without a ``resource``) are refused: this server only verifies JWTs.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

import anyio
import httpx2
import jwt
from mcp.server.auth.handlers.metadata import ProtectedResourceMetadataHandler
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.routes import build_resource_metadata_url, cors_middleware
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.shared.auth import ProtectedResourceMetadata
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

READ_SCOPE = "mcp:read"
WRITE_SCOPE = "mcp:write"
SCOPES = [READ_SCOPE, WRITE_SCOPE]
#: Tools a token needs ``mcp:write`` to call.
WRITE_TOOLS = frozenset({"write_thing"})
PRM_PATH = "/.well-known/oauth-protected-resource"

logger = logging.getLogger("oauth_protected")


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


class JwtVerifier:
    """Verify the provider's RFC 9068 JWT access tokens against its JWKS (fetched once, again for an unknown key)."""

    def __init__(self, issuer: str, resource: str) -> None:
        self.issuer = issuer
        self.resource = resource
        self._keys: jwt.PyJWKSet | None = None

    async def _fetch_keys(self) -> jwt.PyJWKSet:
        async with httpx2.AsyncClient(timeout=10) as http:
            discovery = (await http.get(f"{self.issuer}/.well-known/openid-configuration")).raise_for_status().json()
            jwks = (await http.get(discovery["jwks_uri"])).raise_for_status().json()
        return jwt.PyJWKSet.from_dict(jwks)

    async def _key(self, kid: str | None) -> Any:
        for refresh in (False, True):
            if self._keys is None or refresh:
                self._keys = await self._fetch_keys()
            for key in self._keys.keys:
                if kid is None or key.key_id == kid:
                    return key.key
        return None

    async def verify_token(self, token: str) -> AccessToken | None:
        """The token's grant, or None (→ 401) when it is not a valid, unexpired JWT issued for this resource."""
        try:
            header = jwt.get_unverified_header(token)
            key = await self._key(header.get("kid"))
            if key is None or header.get("typ", "").lower() not in ("at+jwt", "application/at+jwt"):
                return None
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256", "PS256", "ES256"],
                issuer=self.issuer,
                options={"verify_aud": False, "require": ["exp", "iss", "aud", "client_id"]},
            )
        except (jwt.PyJWTError, httpx2.HTTPError, ValueError, KeyError) as exc:
            logger.info("token refused: %s", exc)
            return None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if not any(_same_url(str(aud), self.resource) for aud in audiences):
            logger.info("token refused: aud %r is not %s", claims["aud"], self.resource)
            return None
        return AccessToken(
            token=token,
            client_id=str(claims["client_id"]),
            scopes=str(claims.get("scope", "")).split(),
            expires_at=int(claims["exp"]),
            resource=self.resource,
            subject=claims.get("sub"),
            claims={"iss": claims["iss"], "aud": claims["aud"]},
        )


class WriteScopeGate:
    """HTTP 403 ``insufficient_scope`` for a ``tools/call`` of a write tool by a token without ``mcp:write``.

    Runs inside the SDK's authentication middleware (``scope["auth"]`` holds the token's scopes); the request body is
    read once and replayed to the app.
    """

    def __init__(self, app: ASGIApp, resource_metadata_url: str) -> None:
        self.app = app
        self.resource_metadata_url = resource_metadata_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not isinstance(scope.get("user"), AuthenticatedUser):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        if _calls_write_tool(body) and WRITE_SCOPE not in scope["auth"].scopes:
            await self._forbid(send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _forbid(self, send: Send) -> None:
        challenge = (
            f'Bearer error="insufficient_scope", scope="{" ".join(SCOPES)}", '
            f'resource_metadata="{self.resource_metadata_url}", '
            f'error_description="this tool needs the {WRITE_SCOPE} scope"'
        )
        payload = json.dumps({"error": "insufficient_scope", "error_description": f"{WRITE_SCOPE} needed"}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"www-authenticate", challenge.encode()),
        ]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def _calls_write_tool(body: bytes) -> bool:
    try:
        message = json.loads(body)
    except ValueError:
        return False
    batch = message if isinstance(message, list) else [message]
    return any(
        isinstance(item, dict)
        and item.get("method") == "tools/call"
        and isinstance(item.get("params"), dict)
        and item["params"].get("name") in WRITE_TOOLS
        for item in batch
    )


def _token() -> AccessToken:
    token = get_access_token()
    if token is None:  # the SDK's RequireAuthMiddleware lets no unauthenticated request this far
        raise RuntimeError("no access token in this request")
    return token


def build_server(issuer: str, resource: str) -> MCPServer:
    """The MCP server: its tools, and the SDK's resource-server auth with our JWT verifier."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    mcp = MCPServer(
        "mcpctl-oauth-protected",
        version="1.0.0",
        log_level="WARNING",
        token_verifier=JwtVerifier(issuer, resource),
        auth=AuthSettings.model_validate(
            {
                "issuer_url": issuer,
                "resource_server_url": resource,
                "required_scopes": [READ_SCOPE],
                "validate_token_resource": False,  # JwtVerifier checks aud itself
            }
        ),
    )
    root.handlers[:] = saved_handlers  # MCPServer() configures the root logger; keep ours
    root.setLevel(saved_level)

    @mcp.tool(description="Who the access token speaks for: its sub, client_id, scopes and audience.")
    def whoami() -> dict[str, Any]:
        token = _token()
        claims = token.claims or {}
        return {"sub": token.subject, "client_id": token.client_id, "scopes": token.scopes, "aud": claims.get("aud")}

    @mcp.tool(description="Return the message unchanged.")
    def echo(message: str) -> str:
        return message

    @mcp.tool(description=f"Pretend to write something; the token needs the {WRITE_SCOPE} scope.")
    def write_thing(thing: str) -> str:
        if WRITE_SCOPE not in _token().scopes:  # WriteScopeGate answers 403 before this; belt and braces
            raise PermissionError(f"{WRITE_SCOPE} needed")
        return f"wrote {thing}"

    return mcp


def build_app(issuer: str, resource: str) -> Starlette:
    """The Streamable HTTP app at ``/mcp`` of ``resource``, with metadata at both RFC 9728 locations."""
    issuer = issuer.rstrip("/")
    app = build_server(issuer, resource).streamable_http_app()
    metadata_url = str(build_resource_metadata_url(AnyHttpUrl(resource)))
    # The SDK's metadata names only the required scopes, and the issuer as a pydantic URL (a trailing "/" added to a
    # bare origin, which breaks the exact issuer comparison of RFC 8414 §3.3): serve our own, at both locations.
    kept: list[BaseRoute] = [
        route for route in app.router.routes if not (isinstance(route, Route) and route.path.startswith(PRM_PATH))
    ]
    metadata = ProtectedResourceMetadata.model_validate(
        {
            "resource": resource,
            "authorization_servers": [issuer],
            "scopes_supported": SCOPES,
            "resource_name": "mcpctl OAuth test server",
        }
    )
    endpoint = cors_middleware(ProtectedResourceMetadataHandler(metadata).handle, ["GET", "OPTIONS"])
    paths = [urlparse(metadata_url).path, PRM_PATH]
    metadata_routes = [Route(path, endpoint=endpoint, methods=["GET", "OPTIONS"]) for path in paths]
    app.router.routes = [*metadata_routes, *kept]
    # Appended last, so it runs inside the SDK's AuthenticationMiddleware (the stack is built on the first request).
    app.user_middleware.append(Middleware(WriteScopeGate, resource_metadata_url=metadata_url))
    return app


async def _serve(server: Any, sock: socket.socket, url: str) -> None:
    """Serve on the bound socket; print the endpoint line once uvicorn is listening."""

    async def announce() -> None:
        while not server.started:
            await anyio.sleep(0.01)
        print(json.dumps({"url": url}), flush=True)

    async with anyio.create_task_group() as group:
        group.start_soon(announce)
        await server.serve(sockets=[sock])
        group.cancel_scope.cancel()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="An OAuth-protected MCP test server (binds 127.0.0.1).")
    parser.add_argument("--issuer", required=True, help="the OpenID provider's issuer URL")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="oauth_protected: %(message)s")
    import uvicorn

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    config = uvicorn.Config(build_app(args.issuer, url), log_level="warning", access_log=False, ws="none")
    anyio.run(_serve, uvicorn.Server(config), sock, url)


if __name__ == "__main__":
    main()
