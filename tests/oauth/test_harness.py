"""The OAuth harness itself, with plain httpx2 and the SDK (no mcpctl): the provider serves discovery, completes every
grant without a person, rotates refresh tokens, and the protected MCP server takes its tokens and refuses others.

Needs ``MCPCTL_OIDC`` (``bash tests/oauth/install.sh DIR``); skips without it, fails without it under ``CI=true``.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx2
import jwt
import pytest
from conftest import pids_alive

from oauth.harness import (
    BROWSER_SCRIPT,
    DEVICE_GRANT,
    OidcProvider,
    ProtectedServer,
    follow_to_callback,
    pkce_pair,
    start_protected_server,
    start_provider,
)

MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}},
}


# ----------------------------------------------------------------------------------------------- helpers


def authorize_url(provider: OidcProvider, port: int, resource: str, scope: str, challenge: str, **extra: str) -> str:
    query = {
        "response_type": "code",
        "client_id": provider.public_client,
        "redirect_uri": f"http://127.0.0.1:{port}/callback",
        "scope": scope,
        "state": f"state-{port}",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": resource,
        **extra,
    }
    return f"{provider.authorization_endpoint}?{urlencode(query)}"


def callback_params(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def code_flow(
    provider: OidcProvider, resource: str, scope: str = "mcp:read mcp:write", port: int = 48123
) -> dict[str, Any]:
    """Authorization code + PKCE, headless, for the public client: the token response."""
    verifier, challenge = pkce_pair()
    callback = follow_to_callback(authorize_url(provider, port, resource, scope, challenge))
    params = callback_params(callback)
    data = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "client_id": provider.public_client,
        "redirect_uri": f"http://127.0.0.1:{port}/callback",
        "code_verifier": verifier,
        "resource": resource,
    }
    return dict(httpx2.post(provider.token_endpoint, data=data, timeout=10).raise_for_status().json())


def refresh(provider: OidcProvider, refresh_token: str) -> httpx2.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": provider.public_client}
    return httpx2.post(provider.token_endpoint, data=data, timeout=10)


def claims_of(provider: OidcProvider, access_token: str) -> dict[str, Any]:
    """The access token's claims, its signature checked against the provider's JWKS."""
    key = jwt.PyJWKClient(provider.jwks_uri).get_signing_key_from_jwt(access_token)
    return dict(jwt.decode(access_token, key.key, algorithms=["RS256"], options={"verify_aud": False}))


def mcp_post(server: ProtectedServer, message: dict[str, Any], token: str | None) -> httpx2.Response:
    headers = {**MCP_HEADERS, **({"Authorization": f"Bearer {token}"} if token else {})}
    return httpx2.post(server.url, json=message, headers=headers, timeout=10)


def call_tool(server: ProtectedServer, token: str, name: str, arguments: dict[str, Any] | None = None) -> Any:
    """Connect with the SDK's Client over Streamable HTTP carrying the bearer token, call one tool: its result."""
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async def main() -> Any:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=10) as http,
            Client(streamable_http_client(server.url, http_client=http)) as client,
        ):
            return await client.call_tool(name, arguments or {})

    return anyio.run(main)


def call_whoami(server: ProtectedServer, token: str) -> dict[str, Any]:
    result = call_tool(server, token, "whoami")
    assert not result.is_error, result
    assert result.structured_content is not None
    return dict(result.structured_content)


def tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}


# ----------------------------------------------------------------------------------------------- the provider


def test_discovery_is_served_at_both_well_known_locations_with_every_feature(oidc_provider: OidcProvider) -> None:
    oidc = httpx2.get(oidc_provider.discovery_url, timeout=10).raise_for_status().json()
    rfc8414 = httpx2.get(f"{oidc_provider.issuer}/.well-known/oauth-authorization-server", timeout=10).json()
    assert rfc8414 == oidc
    assert oidc["issuer"] == oidc_provider.issuer  # exact: no trailing slash
    assert oidc["code_challenge_methods_supported"] == ["S256"]
    assert {"authorization_code", "refresh_token", "client_credentials", DEVICE_GRANT} <= set(
        oidc["grant_types_supported"]
    )
    assert {"none", "client_secret_basic", "client_secret_post", "private_key_jwt"} <= set(
        oidc["token_endpoint_auth_methods_supported"]
    )
    assert {"mcp:read", "mcp:write"} <= set(oidc["scopes_supported"])
    assert oidc["authorization_response_iss_parameter_supported"] is True
    for name in ("registration", "device_authorization", "revocation", "introspection", "token", "authorization"):
        assert oidc[f"{name}_endpoint"] == getattr(oidc_provider, f"{name}_endpoint")


def test_authorization_code_with_pkce_completes_headless_on_any_loopback_port(oidc_provider: OidcProvider) -> None:
    resource = "http://127.0.0.1:9/mcp"
    for port in (48001, 59999):
        verifier, challenge = pkce_pair()
        callback = follow_to_callback(authorize_url(oidc_provider, port, resource, "mcp:read", challenge))
        assert callback.startswith(f"http://127.0.0.1:{port}/callback?")
        params = callback_params(callback)
        assert params["state"] == f"state-{port}"
        assert params["iss"] == oidc_provider.issuer
        data = {
            "grant_type": "authorization_code",
            "code": params["code"],
            "client_id": oidc_provider.public_client,
            "redirect_uri": f"http://127.0.0.1:{port}/callback",
            "code_verifier": verifier,
            "resource": resource,
        }
        tokens = httpx2.post(oidc_provider.token_endpoint, data=data, timeout=10).raise_for_status().json()
        assert tokens["token_type"] == "Bearer"
        assert tokens["scope"] == "mcp:read"
        assert tokens["refresh_token"]
        claims = claims_of(oidc_provider, tokens["access_token"])
        assert claims["aud"] == resource
        assert claims["sub"] == "alice"
        assert claims["client_id"] == oidc_provider.public_client
        assert claims["exp"] - claims["iat"] == oidc_provider.access_ttl


def test_authorization_code_with_a_wrong_verifier_is_invalid_grant(oidc_provider: OidcProvider) -> None:
    _, challenge = pkce_pair()
    callback = follow_to_callback(authorize_url(oidc_provider, 48002, "http://127.0.0.1:9/mcp", "mcp:read", challenge))
    data = {
        "grant_type": "authorization_code",
        "code": callback_params(callback)["code"],
        "client_id": oidc_provider.public_client,
        "redirect_uri": "http://127.0.0.1:48002/callback",
        "code_verifier": pkce_pair()[0],
    }
    response = httpx2.post(oidc_provider.token_endpoint, data=data, timeout=10)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_authorization_without_pkce_redirects_with_invalid_request(oidc_provider: OidcProvider) -> None:
    url = authorize_url(oidc_provider, 48003, "http://127.0.0.1:9/mcp", "mcp:read", "x")
    url = url.replace("&code_challenge=x&code_challenge_method=S256", "")
    params = callback_params(follow_to_callback(url))
    assert params["error"] == "invalid_request"
    assert "PKCE" in params["error_description"]


@pytest.mark.parametrize(
    "redirect_uri", ["http://127.0.0.1:48004/other", "http://localhost:48004/callback", "http://127.0.0.2/callback"]
)
def test_unregistered_redirect_uri_is_refused_without_redirecting(
    oidc_provider: OidcProvider, redirect_uri: str
) -> None:
    url = authorize_url(oidc_provider, 48004, "http://127.0.0.1:9/mcp", "mcp:read", pkce_pair()[1])
    url = url.replace("http%3A%2F%2F127.0.0.1%3A48004%2Fcallback", urlencode({"r": redirect_uri})[2:])
    response = httpx2.get(url, timeout=10)
    assert response.status_code == 400
    assert "redirect_uri" in response.text


def test_resource_off_the_loopback_is_invalid_target(oidc_provider: OidcProvider) -> None:
    url = authorize_url(oidc_provider, 48006, "https://mcp.example.com/mcp", "mcp:read", pkce_pair()[1])
    assert callback_params(follow_to_callback(url))["error"] == "invalid_target"


def test_introspection_and_revocation_work_for_opaque_tokens_only(oidc_provider: OidcProvider) -> None:
    token = oidc_provider.client_credentials_token("http://127.0.0.1:9/mcp", "mcp:read")["access_token"]
    opaque = httpx2.post(
        oidc_provider.token_endpoint,
        data={"grant_type": "client_credentials"},
        auth=oidc_provider.basic_client,
        timeout=10,
    ).json()["access_token"]

    def introspect(value: str) -> dict[str, Any]:
        response = httpx2.post(
            oidc_provider.introspection_endpoint, data={"token": value}, auth=oidc_provider.basic_client, timeout=10
        )
        return dict(response.json())

    # oidc-provider neither introspects nor revokes its JWT access tokens (they simply expire) ...
    assert introspect(token)["error"] == "unsupported_token_type"
    # ... but does both for opaque ones (and for refresh tokens, always opaque).
    active = introspect(opaque)
    assert active["active"] is True
    assert active["client_id"] == oidc_provider.basic_client[0]
    revoked = httpx2.post(
        oidc_provider.revocation_endpoint, data={"token": opaque}, auth=oidc_provider.basic_client, timeout=10
    )
    assert revoked.status_code == 200
    assert introspect(opaque)["active"] is False


def test_client_credentials_work_for_basic_post_and_private_key_jwt_clients(oidc_provider: OidcProvider) -> None:
    resource = "http://127.0.0.1:9/mcp"
    basic = oidc_provider.client_credentials_token(resource, "mcp:read")
    client_id, secret = oidc_provider.post_client
    post = (
        httpx2.post(
            oidc_provider.token_endpoint,
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
                "resource": resource,
                "scope": "mcp:read mcp:write",
            },
            timeout=10,
        )
        .raise_for_status()
        .json()
    )
    now = int(time.time())
    assertion = jwt.encode(
        {
            "iss": oidc_provider.jwt_client,
            "sub": oidc_provider.jwt_client,
            "aud": oidc_provider.issuer,
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + 60,
        },
        oidc_provider.jwt_private_key.read_bytes(),
        algorithm="RS256",
        headers={"kid": oidc_provider.jwt_key_id},
    )
    private_key_jwt = (
        httpx2.post(
            oidc_provider.token_endpoint,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
                "resource": resource,
                "scope": "mcp:write",
            },
            timeout=10,
        )
        .raise_for_status()
        .json()
    )
    assert basic["scope"] == "mcp:read"
    assert post["scope"] == "mcp:read mcp:write"  # no scope asked: all the resource offers
    assert private_key_jwt["scope"] == "mcp:write"
    assert claims_of(oidc_provider, private_key_jwt["access_token"])["client_id"] == oidc_provider.jwt_client
    assert "refresh_token" not in basic
    wrong = httpx2.post(
        oidc_provider.token_endpoint,
        data={"grant_type": "client_credentials", "resource": resource},
        auth=(oidc_provider.basic_client[0], "not-the-secret"),
        timeout=10,
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"


def test_device_flow_is_pending_until_approved_then_yields_tokens(oidc_provider: OidcProvider) -> None:
    resource = "http://127.0.0.1:9/mcp"
    device = (
        httpx2.post(
            oidc_provider.device_authorization_endpoint,
            data={"client_id": oidc_provider.public_client, "scope": "mcp:read", "resource": resource},
            timeout=10,
        )
        .raise_for_status()
        .json()
    )
    assert device["verification_uri"] == f"{oidc_provider.issuer}/device"
    poll = {"grant_type": DEVICE_GRANT, "device_code": device["device_code"], "client_id": oidc_provider.public_client}
    pending = httpx2.post(oidc_provider.token_endpoint, data=poll, timeout=10)
    assert pending.status_code == 400
    assert pending.json()["error"] == "authorization_pending"
    oidc_provider.approve_device(device["user_code"])
    tokens = httpx2.post(oidc_provider.token_endpoint, data=poll, timeout=10).raise_for_status().json()
    assert tokens["scope"] == "mcp:read"
    assert tokens["refresh_token"]
    claims = claims_of(oidc_provider, tokens["access_token"])
    assert (claims["sub"], claims["aud"]) == ("alice", resource)
    again = httpx2.post(oidc_provider.token_endpoint, data=poll, timeout=10)
    assert again.json()["error"] == "invalid_grant"  # a device code is used once


def test_device_flow_completes_through_the_providers_own_pages_in_the_stand_in_browser(
    oidc_provider: OidcProvider,
) -> None:
    device = httpx2.post(
        oidc_provider.device_authorization_endpoint,
        data={
            "client_id": oidc_provider.public_client,
            "scope": "mcp:read mcp:write",
            "resource": "http://127.0.0.1:9/",
        },
        timeout=10,
    ).json()
    done = subprocess.run(
        [sys.executable, str(BROWSER_SCRIPT), device["verification_uri_complete"]], capture_output=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    poll = {"grant_type": DEVICE_GRANT, "device_code": device["device_code"], "client_id": oidc_provider.public_client}
    tokens = httpx2.post(oidc_provider.token_endpoint, data=poll, timeout=10).raise_for_status().json()
    assert tokens["scope"] == "mcp:read mcp:write"
    assert claims_of(oidc_provider, tokens["access_token"])["aud"] == "http://127.0.0.1:9/"


def test_denied_device_authorization_polls_access_denied(oidc_provider: OidcProvider) -> None:
    device = httpx2.post(
        oidc_provider.device_authorization_endpoint, data={"client_id": oidc_provider.public_client}, timeout=10
    ).json()
    oidc_provider.approve_device(device["user_code"], deny=True)
    poll = {"grant_type": DEVICE_GRANT, "device_code": device["device_code"], "client_id": oidc_provider.public_client}
    assert httpx2.post(oidc_provider.token_endpoint, data=poll, timeout=10).json()["error"] == "access_denied"


def test_refresh_rotates_and_the_old_refresh_token_is_then_rejected(oidc_provider: OidcProvider) -> None:
    first = code_flow(oidc_provider, "http://127.0.0.1:9/mcp")
    second = refresh(oidc_provider, first["refresh_token"]).raise_for_status().json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == "mcp:read mcp:write"
    assert claims_of(oidc_provider, second["access_token"])["aud"] == "http://127.0.0.1:9/mcp"
    reused = refresh(oidc_provider, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    # Reuse of a rotated refresh token revokes the whole grant: the newest one dies too.
    assert refresh(oidc_provider, second["refresh_token"]).json()["error"] == "invalid_grant"


def test_revoked_refresh_token_is_rejected(oidc_provider: OidcProvider) -> None:
    tokens = code_flow(oidc_provider, "http://127.0.0.1:9/mcp")
    revoked = httpx2.post(
        oidc_provider.revocation_endpoint,
        data={
            "token": tokens["refresh_token"],
            "token_type_hint": "refresh_token",
            "client_id": oidc_provider.public_client,
        },
        timeout=10,
    )
    assert revoked.status_code == 200
    assert refresh(oidc_provider, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_dynamically_registered_native_client_can_authorize_on_any_loopback_port(oidc_provider: OidcProvider) -> None:
    metadata = {
        "client_name": "registered by a test",
        "application_type": "native",
        "redirect_uris": ["http://127.0.0.1/cb"],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "none",
    }
    registered = httpx2.post(oidc_provider.registration_endpoint, json=metadata, timeout=10)
    assert registered.status_code == 201
    client_id = registered.json()["client_id"]
    _, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": "http://127.0.0.1:47777/cb",
        "scope": "mcp:read",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": "http://127.0.0.1:9/mcp",
    }
    callback = follow_to_callback(f"{oidc_provider.authorization_endpoint}?{urlencode(query)}")
    assert "code" in callback_params(callback)


def test_browser_stand_in_prints_the_callback(oidc_provider: OidcProvider) -> None:
    url = authorize_url(oidc_provider, 48005, "http://127.0.0.1:9/mcp", "mcp:read", pkce_pair()[1])
    done = subprocess.run(
        [sys.executable, str(BROWSER_SCRIPT), "--print", url], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("http://127.0.0.1:48005/callback?code=")


# ----------------------------------------------------------------------------------------------- the MCP server


def test_protected_resource_metadata_names_the_issuer_at_both_locations(
    oidc_provider: OidcProvider, protected_server: ProtectedServer
) -> None:
    base = protected_server.url.removesuffix("/mcp")
    for url in (protected_server.metadata_url, f"{base}/.well-known/oauth-protected-resource"):
        metadata = httpx2.get(url, timeout=10).raise_for_status().json()
        assert metadata["resource"] == protected_server.url
        assert metadata["authorization_servers"] == [oidc_provider.issuer]
        assert metadata["scopes_supported"] == ["mcp:read", "mcp:write"]


def test_protected_server_accepts_a_code_flow_token_and_knows_alice(
    oidc_provider: OidcProvider, protected_server: ProtectedServer
) -> None:
    tokens = code_flow(oidc_provider, protected_server.url, scope="mcp:read")
    me = call_whoami(protected_server, tokens["access_token"])
    assert me == {
        "sub": "alice",
        "client_id": oidc_provider.public_client,
        "scopes": ["mcp:read"],
        "aud": protected_server.url,
    }


def test_protected_server_without_a_token_is_401_naming_the_resource_metadata(
    protected_server: ProtectedServer,
) -> None:
    response = mcp_post(protected_server, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, None)
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert f'resource_metadata="{protected_server.metadata_url}"' in challenge


@pytest.mark.parametrize("which", ["garbage", "another audience", "opaque (no resource)"])
def test_protected_server_refuses_tokens_not_issued_for_it_with_401(
    oidc_provider: OidcProvider, protected_server: ProtectedServer, which: str
) -> None:
    if which == "garbage":
        token = "not-a-token"
    elif which == "another audience":
        token = oidc_provider.client_credentials_token("http://127.0.0.1:9/mcp")["access_token"]
    else:
        token = httpx2.post(
            oidc_provider.token_endpoint,
            data={"grant_type": "client_credentials"},
            auth=oidc_provider.basic_client,
            timeout=10,
        ).json()["access_token"]
    response = mcp_post(protected_server, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, token)
    assert response.status_code == 401
    assert "resource_metadata=" in response.headers["www-authenticate"]


def test_protected_server_refuses_an_expired_token_with_401(
    oidc_provider_short: OidcProvider, protected_server_short: ProtectedServer
) -> None:
    tokens = oidc_provider_short.client_credentials_token(protected_server_short.url)
    assert tokens["expires_in"] == oidc_provider_short.access_ttl == 3
    # Accepted while fresh (a raw initialize: the SDK's connect can take longer than 3 s on a loaded machine) ...
    assert mcp_post(protected_server_short, INITIALIZE, tokens["access_token"]).status_code == 200
    time.sleep(claims_of(oidc_provider_short, tokens["access_token"])["exp"] - time.time() + 1.1)
    # ... and refused once expired (no leeway).
    response = mcp_post(protected_server_short, INITIALIZE, tokens["access_token"])
    assert response.status_code == 401
    assert f'resource_metadata="{protected_server_short.metadata_url}"' in response.headers["www-authenticate"]


def test_write_tool_without_write_scope_is_403_insufficient_scope(
    oidc_provider: OidcProvider, protected_server: ProtectedServer
) -> None:
    read_only = oidc_provider.client_credentials_token(protected_server.url, "mcp:read")["access_token"]
    response = mcp_post(protected_server, tool_call("write_thing", {"thing": "x"}), read_only)
    assert response.status_code == 403
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="mcp:read mcp:write"' in challenge
    assert f'resource_metadata="{protected_server.metadata_url}"' in challenge
    # The read tools stay open to that token, and the write tool to a token with mcp:write.
    assert call_tool(protected_server, read_only, "echo", {"message": "hi"}).content[0].text == "hi"
    writer = oidc_provider.client_credentials_token(protected_server.url, "mcp:read mcp:write")["access_token"]
    assert call_tool(protected_server, writer, "write_thing", {"thing": "x"}).content[0].text == "wrote x"


def test_token_without_read_scope_is_403(oidc_provider: OidcProvider, protected_server: ProtectedServer) -> None:
    write_only = oidc_provider.client_credentials_token(protected_server.url, "mcp:write")["access_token"]
    response = mcp_post(protected_server, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, write_only)
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


# ----------------------------------------------------------------------------------------------- processes


def test_provider_and_server_leave_no_process_behind(tmp_path: Path) -> None:
    with (
        start_provider(tmp_path, access_ttl=5) as provider,
        start_protected_server(tmp_path, provider.issuer) as server,
    ):
        pids = [provider.pid, server.pid]
        assert httpx2.get(server.metadata_url, timeout=10).json()["resource"] == server.url
        assert pids_alive(pids) == pids
    assert pids_alive(pids) == []
