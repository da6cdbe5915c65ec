"""The device authorization grant (RFC 8628) for ``mcpctl auth login --device``: for SSH sessions, containers and CI
runners with a person at hand but no browser on this machine. The SDK has no device flow, so it is here, on the
SDK's discovery helpers: protected resource metadata (RFC 9728), authorization server metadata (RFC 8414),
dynamic registration (RFC 7591) when no client is known, then the device code, the user code shown, and the
token endpoint polled at the advertised interval (``slow_down`` adds 5 s, RFC 8628 §3.5).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
from mcp.client.auth.utils import (
    build_oauth_authorization_server_metadata_discovery_urls,
    build_protected_resource_metadata_discovery_urls,
    extract_resource_metadata_from_www_auth,
    extract_scope_from_www_auth,
    issuers_match,
)

from mcpctl.core.auth import Credential, OAuthConfig
from mcpctl.core.errors import AuthError, UsageError
from mcpctl.core.secrets import redact
from mcpctl.sessions.auth.oauth import CLIENT_NAME, open_browser
from mcpctl.sessions.auth.store import CredentialStore
from mcpctl.sessions.options import AuthOptions

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_PROBE = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}}


@dataclass
class Discovered:
    """What the server and its authorization server publish."""

    resource: dict[str, Any] | None
    metadata: dict[str, Any]
    challenged_scope: str | None


async def discover(http: httpx2.AsyncClient, server_url: str) -> Discovered:
    """Find the authorization server of ``server_url`` and read its metadata."""
    probe = await http.post(server_url, json=_PROBE, headers={"Accept": "application/json, text/event-stream"})
    hinted = extract_resource_metadata_from_www_auth(probe) if probe.status_code in (401, 403) else None
    scope = extract_scope_from_www_auth(probe) if probe.status_code in (401, 403) else None
    resource: dict[str, Any] | None = None
    for url in build_protected_resource_metadata_discovery_urls(hinted, server_url):
        answer = await http.get(url)
        if answer.status_code == 200 and isinstance(body := _json(answer), dict):
            resource = body
            break
    servers = (resource or {}).get("authorization_servers") or []
    issuer = str(servers[0]) if servers else None
    for url in build_oauth_authorization_server_metadata_discovery_urls(issuer, server_url):
        answer = await http.get(url)
        if answer.status_code == 200 and isinstance(body := _json(answer), dict) and body.get("token_endpoint"):
            if issuer is not None and not issuers_match(str(body.get("issuer", "")), issuer):
                raise AuthError(f"the authorization server's metadata names issuer {body.get('issuer')}, not {issuer}")
            return Discovered(resource=resource, metadata=body, challenged_scope=scope)
    raise AuthError(
        f"no OAuth authorization server found for {redact(server_url)}",
        hint="the server publishes no protected resource or authorization server metadata",
    )


def _json(response: httpx2.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


async def register(http: httpx2.AsyncClient, metadata: dict[str, Any]) -> dict[str, Any]:
    """Dynamic client registration of a public device-flow client."""
    endpoint = metadata.get("registration_endpoint")
    if not endpoint:
        raise AuthError(
            "the authorization server offers no dynamic registration and no client is configured",
            hint="set oauth.client_id for this server in the profile",
        )
    answer = await http.post(
        endpoint,
        json={
            "client_name": CLIENT_NAME,
            "grant_types": [DEVICE_GRANT, "refresh_token"],
            "response_types": [],
            "token_endpoint_auth_method": "none",
            "redirect_uris": [],
        },
    )
    body = _json(answer)
    if answer.status_code not in (200, 201) or not isinstance(body, dict) or "client_id" not in body:
        raise AuthError(f"client registration failed (HTTP {answer.status_code}): {_error_text(body)}")
    return body


def _error_text(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("error_description") or body.get("error") or "no reason given")
    return "no reason given"


def _resource_param(discovered: Discovered, server_url: str) -> str:
    resource = (discovered.resource or {}).get("resource")
    return str(resource) if resource else server_url


async def device_login(
    server: str, server_url: str, config: OAuthConfig, options: AuthOptions, store: CredentialStore
) -> Credential:
    """Run the device flow for ``server_url`` and store what it yields."""
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(30.0)) as http:
        discovered = await discover(http, server_url)
        endpoint = discovered.metadata.get("device_authorization_endpoint")
        if not endpoint:
            raise UsageError(
                f"{server}: the authorization server offers no device flow (no device_authorization_endpoint)",
                hint=f"log in with the browser instead: mcpctl auth login {server}",
            )
        credential = store.load(server_url, config.client_id) or Credential(
            server_url=server_url, profile_client=config.client_id
        )
        client = _client(config, credential, discovered)
        if client is None:
            client = await register(http, discovered.metadata)
        scope = options.scope or config.scope or discovered.challenged_scope or _supported(discovered)
        form = {"client_id": client["client_id"], "resource": _resource_param(discovered, server_url)}
        if scope:
            form["scope"] = scope
        answer = await http.post(endpoint, data=form)
        grant = _json(answer)
        if answer.status_code != 200 or not isinstance(grant, dict) or "device_code" not in grant:
            raise AuthError(f"{server}: the device authorization request failed: {_error_text(grant)}")
        redact.add([str(grant["device_code"])])
        _show(server, grant, options)
        tokens = await _poll(http, discovered.metadata["token_endpoint"], grant, form)
    credential.client = client
    credential.issuer = str(discovered.metadata.get("issuer") or "") or None
    credential.metadata = discovered.metadata
    credential.resource = discovered.resource
    credential.set_tokens(tokens)
    store.save(credential)
    return credential


def _client(config: OAuthConfig, credential: Credential, discovered: Discovered) -> dict[str, Any] | None:
    if config.client_id:
        return {"client_id": config.client_id, "token_endpoint_auth_method": "none"}
    issuer = str(discovered.metadata.get("issuer") or "")
    if credential.client and credential.issuer and issuers_match(credential.issuer, issuer):
        grants = credential.client.get("grant_types") or []
        if DEVICE_GRANT in grants:
            return credential.client
    return None


def _supported(discovered: Discovered) -> str | None:
    scopes = (discovered.resource or {}).get("scopes_supported")
    return " ".join(str(s) for s in scopes) if isinstance(scopes, list) and scopes else None


def _show(server: str, grant: dict[str, Any], options: AuthOptions) -> None:
    uri = grant.get("verification_uri") or grant.get("verification_url") or ""
    complete = grant.get("verification_uri_complete")
    if options.browser and complete:
        open_browser(str(complete))
    if options.notify is not None:
        lines = [f"{server}: to log in, open {uri}", f"  and enter the code: {grant.get('user_code')}"]
        if complete:
            lines.append(f"  (or open {complete})")
        lines.append("Waiting for the login to finish…")
        options.notify("\n".join(lines))


async def _poll(
    http: httpx2.AsyncClient, token_endpoint: str, grant: dict[str, Any], form: dict[str, str]
) -> dict[str, Any]:
    """Poll the token endpoint until the person approves, refuses, or the code expires."""
    interval = float(grant.get("interval") or 5)
    deadline = time.monotonic() + float(grant.get("expires_in") or 600)
    data = {"grant_type": DEVICE_GRANT, "device_code": str(grant["device_code"]), **form}
    data.pop("scope", None)
    while True:
        await anyio.sleep(interval)
        answer = await http.post(token_endpoint, data=data)
        body = _json(answer)
        if answer.status_code == 200 and isinstance(body, dict) and body.get("access_token"):
            redact.add([str(body["access_token"]), str(body.get("refresh_token") or "")])
            return body
        error = body.get("error") if isinstance(body, dict) else None
        if error == "authorization_pending":
            pass
        elif error == "slow_down":
            interval += 5
        elif error == "access_denied":
            raise AuthError("the login was refused in the browser")
        elif error == "expired_token":
            raise AuthError("the device code expired before the login finished", hint="run the login again")
        else:
            raise AuthError(f"the token request failed (HTTP {answer.status_code}): {_error_text(body)}")
        if time.monotonic() > deadline:
            raise AuthError("the device code expired before the login finished", hint="run the login again")
