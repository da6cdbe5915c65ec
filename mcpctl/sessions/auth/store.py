"""Where OAuth credentials live: files under ``$XDG_STATE_HOME/mcpctl/auth/`` (directory 0700, files 0600), or the
OS keyring when ``MCPCTL_AUTH_STORE=keyring``; and the cross-process lock that makes a refresh happen once.

One record per server URL (``core.auth.Credential``: issuer, client registration, tokens with an absolute
expiry), written atomically. Refreshing is locked per credential with ``fcntl``: two mcpctl processes started
at once never both spend one rotating refresh token; the one that waited re-reads what the other stored.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import anyio

from mcpctl.core.auth import Credential, credential_key
from mcpctl.core.errors import AuthError, UsageError
from mcpctl.core.files import atomic_write
from mcpctl.core.history import state_file
from mcpctl.core.secrets import redact

STORE_ENV = "MCPCTL_AUTH_STORE"
KEYRING_SERVICE = "mcpctl"
#: How long a process waits for another one's refresh before giving up.
LOCK_WAIT_SEC = 30.0
_LOCK_POLL_SEC = 0.05


class Backend(Protocol):
    """Reads and writes one credential's JSON text by key."""

    where: str

    def read(self, key: str) -> str | None: ...
    def write(self, key: str, text: str) -> None: ...
    def delete(self, key: str) -> bool: ...
    def keys(self) -> list[str]: ...


def auth_dir(env: Mapping[str, str] | None = None) -> Path:
    return state_file("auth", env)


def _private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) with mode 0700; tighten it if it exists looser."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


class FileBackend:
    """One JSON file per credential, 0600, in a 0700 directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.where = str(root)

    def _path(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def read(self, key: str) -> str | None:
        try:
            return self._path(key).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write(self, key: str, text: str) -> None:
        _private_dir(self.root)
        atomic_write(self._path(key), text, mode=0o600)

    def delete(self, key: str) -> bool:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def keys(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.stem for p in self.root.glob("*.json"))


class KeyringBackend:
    """The OS keyring (PyPI ``keyring``), opt-in: it can hang on headless machines. An index file lists the keys."""

    def __init__(self, root: Path) -> None:
        try:
            import keyring  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise UsageError(
                f"{STORE_ENV}=keyring needs the keyring package", hint="pip install keyring, or unset the variable"
            ) from None
        self.keyring = keyring
        self.index = FileBackend(root)
        self.where = f"keyring ({type(keyring.get_keyring()).__name__})"

    def read(self, key: str) -> str | None:
        value: str | None = self.keyring.get_password(KEYRING_SERVICE, key)
        return value

    def write(self, key: str, text: str) -> None:
        self.keyring.set_password(KEYRING_SERVICE, key, text)
        self.index.write(key, "{}")

    def delete(self, key: str) -> bool:
        with contextlib.suppress(Exception):
            self.keyring.delete_password(KEYRING_SERVICE, key)
        return self.index.delete(key)

    def keys(self) -> list[str]:
        return self.index.keys()


def open_backend(env: Mapping[str, str] | None = None) -> Backend:
    """The store ``MCPCTL_AUTH_STORE`` asks for: ``file`` (the default) or ``keyring``."""
    env = os.environ if env is None else env
    kind = (env.get(STORE_ENV) or "file").lower()
    root = auth_dir(env)
    if kind == "file":
        return FileBackend(root)
    if kind == "keyring":
        return KeyringBackend(root)
    raise UsageError(f"unknown {STORE_ENV} '{kind}'", hint="use file (the default) or keyring")


class CredentialStore:
    """Credentials by server URL, over one backend; the lock files always live in the auth directory."""

    def __init__(self, backend: Backend | None = None, env: Mapping[str, str] | None = None) -> None:
        self.backend = backend if backend is not None else open_backend(env)
        self.lock_root = auth_dir(env)

    @property
    def where(self) -> str:
        return self.backend.where

    def load(self, server_url: str, client_id: str | None = None) -> Credential | None:
        """The record of ``server_url`` (kept under the profile's ``client_id`` when there is one)."""
        text = self.backend.read(credential_key(server_url, client_id))
        if not text:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None  # a damaged record is as good as none: the next login rewrites it
        return Credential.from_json(data) if isinstance(data, dict) else None

    def save(self, credential: Credential) -> None:
        credential.updated_at = time.time()
        text = json.dumps(credential.to_json(), indent=2, sort_keys=True) + "\n"
        self.backend.write(credential_key(credential.server_url, credential.profile_client), text)

    def delete(self, server_url: str, client_id: str | None = None) -> bool:
        return self.backend.delete(credential_key(server_url, client_id))

    def all(self) -> list[Credential]:
        found = []
        for key in self.backend.keys():  # noqa: SIM118 - a Backend, not a dict
            text = self.backend.read(key)
            with contextlib.suppress(ValueError, TypeError):
                data = json.loads(text or "")
                if isinstance(data, dict) and data.get("server_url"):
                    found.append(Credential.from_json(data))
        return found

    @contextlib.asynccontextmanager
    async def locked(
        self, server_url: str, client_id: str | None = None, wait: float = LOCK_WAIT_SEC
    ) -> AsyncIterator[None]:
        """Hold this credential's lock (``fcntl``, across processes), waiting at most ``wait`` seconds."""
        path = _private_dir(self.lock_root) / f"{credential_key(server_url, client_id)}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + wait
            while not _try_lock(fd):
                if time.monotonic() > deadline:
                    raise AuthError(
                        f"another mcpctl process has held the token lock for {wait:g}s",
                        hint=f"is a login waiting somewhere? the lock file is {path}",
                    )
                await anyio.sleep(_LOCK_POLL_SEC)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def hide_tokens(tokens: dict[str, Any]) -> dict[str, Any]:
    """Register a token set's secrets with the redactor (whatever prints later shows ``***``)."""
    redact.add([str(tokens.get(k) or "") for k in ("access_token", "refresh_token", "id_token")])
    return tokens


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class SdkStorage:
    """The SDK's ``TokenStorage`` over one stored credential (re-read on every get, so other processes' writes count).

    ``key``: the profile's client the record is kept under (another client's tokens for the same server are another
    record, so a wrong secret is never hidden by a token someone else got). ``client_id``: the client credentials
    grant's client, written into the record beside its tokens (never the secret).
    """

    def __init__(
        self, store: CredentialStore, server_url: str, client_id: str | None = None, key: str | None = None
    ) -> None:
        self.store = store
        self.server_url = server_url
        self.client_id = client_id
        #: The profile's client the record is kept under (``CredentialStore.load``).
        self.key = key

    def credential(self) -> Credential:
        found = self.store.load(self.server_url, self.key)
        return found or Credential(server_url=self.server_url, profile_client=self.key)

    async def get_tokens(self) -> Any:
        from mcp.shared.auth import OAuthToken

        tokens = self.credential().tokens_now()
        if not tokens or not tokens.get("access_token"):
            return None
        hide_tokens(tokens)
        try:
            return OAuthToken.model_validate(tokens)
        except ValueError:
            return None

    async def set_tokens(self, tokens: Any) -> None:
        credential = self.credential()
        credential.set_tokens(hide_tokens(tokens.model_dump(mode="json", exclude_none=True)))
        if self.client_id is not None and credential.client_id != self.client_id:
            credential.client = {"client_id": self.client_id}  # whose tokens these are (never the secret)
        self.store.save(credential)

    async def get_client_info(self) -> Any:
        from mcp.shared.auth import OAuthClientInformationFull

        client = self.credential().client
        if not client:
            return None
        try:
            return OAuthClientInformationFull.model_validate(client)
        except ValueError:
            return None

    async def set_client_info(self, client_info: Any) -> None:
        credential = self.credential()
        credential.client = client_info.model_dump(mode="json", exclude_none=True)
        redact.add([str(credential.client.get("client_secret") or "")])
        if getattr(client_info, "issuer", None):
            credential.issuer = str(client_info.issuer)
        self.store.save(credential)

    def drop_tokens(self) -> None:
        """Forget the tokens (a refresh token the server no longer accepts), keeping the client registration."""
        credential = self.credential()
        if credential.tokens is not None:
            credential.tokens = None
            credential.expires_at = None
            self.store.save(credential)

    def save_metadata(self, metadata: Mapping[str, Any] | None, resource: Mapping[str, Any] | None) -> None:
        """Keep the authorization server's and the resource's metadata, so a refresh after a restart goes to the
        right token endpoint (the SDK keeps them only in memory)."""
        credential = self.credential()
        if metadata:
            credential.metadata = dict(metadata)
            credential.issuer = str(metadata.get("issuer") or credential.issuer or "") or None
        if resource:
            credential.resource = dict(resource)
        self.store.save(credential)
