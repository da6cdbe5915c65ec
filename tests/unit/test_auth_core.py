"""The pure side of OAuth: the profile's oauth table, stored credentials and their expiry, the login policy, and
the loopback redirect's request parsing."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from mcpctl.core.auth import (
    Credential,
    LoginPolicy,
    OAuthConfig,
    canonical_url,
    credential_key,
    describe_expiry,
    parse_oauth,
)
from mcpctl.core.errors import ProfileError
from mcpctl.core.profile import load_profile
from mcpctl.sessions.auth.loopback import parse_request
from mcpctl.sessions.auth.store import CredentialStore, FileBackend, SdkStorage


def test_client_credentials_grant_needs_a_client_id_and_a_secret_variable_or_a_key() -> None:
    with pytest.raises(ProfileError, match="needs client_id"):
        parse_oauth({"grant": "client_credentials"}, "p: servers.a.oauth")
    with pytest.raises(ProfileError, match="client_secret_env"):
        parse_oauth({"grant": "client_credentials", "client_id": "c"}, "p: servers.a.oauth")
    with pytest.raises(ProfileError, match="private_key_file"):
        parse_oauth(
            {"grant": "client_credentials", "client_id": "c", "token_endpoint_auth_method": "private_key_jwt"},
            "p: servers.a.oauth",
        )
    config = parse_oauth(
        {"grant": "client_credentials", "client_id": "c", "client_secret_env": "S", "scopes": ["a", "b"]}, "w"
    )
    assert config.scope == "a b"


def test_unknown_oauth_key_or_wrong_type_or_grant_is_a_profile_error_naming_it() -> None:
    with pytest.raises(ProfileError, match=r"oauth\.client_secret: unknown key"):
        parse_oauth({"client_secret": "s3cret"}, "p: servers.a.oauth")
    with pytest.raises(ProfileError, match="scopes: expected an array of strings"):
        parse_oauth({"scopes": "a b"}, "p: servers.a.oauth")
    with pytest.raises(ProfileError, match="grant: expected one of"):
        parse_oauth({"grant": "password"}, "p: servers.a.oauth")


def test_oauth_table_is_read_from_the_profile_and_refused_on_a_stdio_server(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[servers.a]\nurl = "http://h/mcp"\n[servers.a.oauth]\nclient_id = "c"\nscopes = ["x"]\n')
    assert load_profile(str(good)).servers["a"].oauth == OAuthConfig(client_id="c", scopes=("x",))
    bad = tmp_path / "bad.toml"
    bad.write_text('[servers.a]\ncommand = "x"\n[servers.a.oauth]\nclient_id = "c"\n')
    with pytest.raises(ProfileError, match="OAuth is for HTTP servers"):
        load_profile(str(bad))


def test_store_key_ignores_case_of_host_trailing_slash_and_fragment() -> None:
    assert canonical_url("HTTPS://Example.COM/mcp/#x") == "https://example.com/mcp"
    assert credential_key("https://example.com/mcp/") == credential_key("HTTPS://EXAMPLE.com/mcp")
    assert credential_key("https://example.com/a") != credential_key("https://example.com/b")


def test_stored_expiry_is_absolute_and_expires_in_is_recomputed_when_loaded() -> None:
    c = Credential(server_url="u")
    c.set_tokens({"access_token": "a" * 20, "expires_in": 3600, "refresh_token": "r" * 20}, now=1000.0)
    assert c.expires_at == 4600.0
    assert c.tokens_now(now=2000.0)["expires_in"] == 2600  # type: ignore[index]
    assert c.tokens_now(now=9000.0)["expires_in"] == 0  # type: ignore[index]
    assert Credential.from_json(json.loads(json.dumps(c.to_json()))).expires_at == 4600.0


def test_a_token_is_due_for_refresh_30s_before_expiry_or_a_quarter_of_a_short_life() -> None:
    long = Credential(server_url="u")
    long.set_tokens({"access_token": "a", "expires_in": 3600}, now=0.0)
    assert long.fresh(now=3569.0) and not long.fresh(now=3571.0)
    short = Credential(server_url="u")
    short.set_tokens({"access_token": "a", "expires_in": 4}, now=0.0)
    assert short.fresh(now=2.9) and not short.fresh(now=3.1)
    forever = Credential(server_url="u")
    forever.set_tokens({"access_token": "a"}, now=0.0)
    assert forever.fresh(now=1e12) and forever.refresh_at() is None


def test_expired_token_with_refresh_token_is_still_usable_without_a_person() -> None:
    c = Credential(server_url="u")
    c.set_tokens({"access_token": "a", "expires_in": 10, "refresh_token": "r"}, now=0.0)
    assert not c.fresh(now=100.0) and c.usable(now=100.0)
    c.set_tokens({"access_token": "a", "expires_in": 10}, now=0.0)
    assert not c.usable(now=100.0)


def test_login_policy_auto_needs_a_person_always_and_never_say_so() -> None:
    assert not LoginPolicy("auto", person=False).allowed
    assert LoginPolicy("auto", person=True).allowed
    assert LoginPolicy("always", person=False).allowed
    assert not LoginPolicy("never", person=True).allowed


def test_expiry_is_described_for_people() -> None:
    assert describe_expiry(None) == "unknown"
    assert describe_expiry(59) == "in 59s"
    assert describe_expiry(3600) == "in 60m"
    assert describe_expiry(-7200) == "expired 2h ago"
    assert describe_expiry(3 * 86400) == "in 3d"


def test_redirect_request_is_parsed_only_on_the_callback_path_with_a_code_or_an_error() -> None:
    got = parse_request(b"GET /callback?code=abc&state=s1&iss=http%3A%2F%2Fas HTTP/1.1\r\nHost: x\r\n\r\n")
    assert got is not None and (got.code, got.state, got.iss) == ("abc", "s1", "http://as")
    refused = parse_request(b"GET /callback?error=access_denied&error_description=no HTTP/1.1\r\n\r\n")
    assert refused is not None and refused.error == "access_denied" and refused.code is None
    assert parse_request(b"GET /favicon.ico HTTP/1.1\r\n\r\n") is None
    assert parse_request(b"GET /callback HTTP/1.1\r\n\r\n") is None
    assert parse_request(b"POST /callback?code=a HTTP/1.1\r\n\r\n") is None
    assert parse_request(b"") is None


def test_store_files_are_0600_in_a_0700_directory_and_a_damaged_record_reads_as_none(tmp_path: Path) -> None:
    root = tmp_path / "auth"
    store = CredentialStore(FileBackend(root), env={"XDG_STATE_HOME": str(tmp_path)})
    c = Credential(server_url="http://h/mcp")
    c.set_tokens({"access_token": "a" * 20})
    store.save(c)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    (file,) = root.glob("*.json")
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert store.load("http://h/mcp/").tokens == {"access_token": "a" * 20}  # type: ignore[union-attr]
    file.write_text("{not json")
    assert store.load("http://h/mcp") is None
    assert store.delete("http://h/mcp") and not store.delete("http://h/mcp")


@pytest.mark.anyio
async def test_sdk_storage_hands_the_sdk_tokens_with_the_remaining_lifetime(tmp_path: Path) -> None:
    store = CredentialStore(FileBackend(tmp_path / "auth"), env={"XDG_STATE_HOME": str(tmp_path)})
    storage = SdkStorage(store, "http://h/mcp")
    assert await storage.get_tokens() is None
    from mcp.shared.auth import OAuthToken

    await storage.set_tokens(OAuthToken(access_token="t" * 20, expires_in=3600, refresh_token="r" * 20))
    got = await storage.get_tokens()
    assert got is not None and got.refresh_token == "r" * 20 and 3590 <= (got.expires_in or 0) <= 3600
    storage.drop_tokens()
    assert await storage.get_tokens() is None


class _MemoryKeyring:
    """An OS keyring stand-in (the keyring package's backend interface, in memory)."""

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, user: str) -> str | None:
        return self.secrets.get((service, user))

    def set_password(self, service: str, user: str, password: str) -> None:
        self.secrets[(service, user)] = password

    def delete_password(self, service: str, user: str) -> None:
        del self.secrets[(service, user)]


def test_keyring_store_keeps_tokens_out_of_files_and_lists_and_deletes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring = pytest.importorskip("keyring")
    memory = _MemoryKeyring()
    for name in ("get_password", "set_password", "delete_password"):
        monkeypatch.setattr(keyring, name, getattr(memory, name))
    env = {"MCPCTL_AUTH_STORE": "keyring", "XDG_STATE_HOME": str(tmp_path)}
    store = CredentialStore(env=env)
    assert store.where.startswith("keyring")
    c = Credential(server_url="http://h/mcp")
    c.set_tokens({"access_token": "kr-access-token-0123456789", "refresh_token": "kr-refresh-token-0123456789"})
    store.save(c)
    on_disk = "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    assert "kr-access-token" not in on_disk and "kr-refresh-token" not in on_disk
    assert [k for (service, k) in memory.secrets if service == "mcpctl"] == [credential_key("http://h/mcp")]
    assert store.load("http://h/mcp").tokens["refresh_token"] == "kr-refresh-token-0123456789"  # type: ignore[union-attr]
    assert [x.server_url for x in store.all()] == ["http://h/mcp"]
    assert store.delete("http://h/mcp") and store.load("http://h/mcp") is None and not memory.secrets


def test_unknown_store_or_a_missing_keyring_package_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcpctl.core.errors import UsageError

    with pytest.raises(UsageError, match="unknown MCPCTL_AUTH_STORE 'vault'"):
        CredentialStore(env={"MCPCTL_AUTH_STORE": "vault", "XDG_STATE_HOME": str(tmp_path)})
    monkeypatch.setitem(__import__("sys").modules, "keyring", None)  # not installed
    with pytest.raises(UsageError, match="needs the keyring package") as caught:
        CredentialStore(env={"MCPCTL_AUTH_STORE": "keyring", "XDG_STATE_HOME": str(tmp_path)})
    assert "pip install keyring" in (caught.value.hint or "")
