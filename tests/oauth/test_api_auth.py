"""The Python API and OAuth: a program uses the profile's client credentials and stored tokens, and never starts an
interactive login (it raises ``AuthError`` naming ``mcpctl auth login``)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import mcpctl
from oauth.harness import BASIC_CLIENT, BASIC_SECRET, OidcProvider, ProtectedServer


def _profile(folder: Path, url: str, oauth: str = "") -> str:
    path = folder / "profile.toml"
    path.write_text(f'[servers.m]\nurl = "{url}"\n{oauth}')
    return str(path)


@pytest.mark.anyio
async def test_program_uses_the_profiles_client_credentials_without_a_person(
    protected_server: ProtectedServer, oidc_provider: OidcProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("M_SECRET", BASIC_SECRET)
    oauth = (
        '[servers.m.oauth]\ngrant = "client_credentials"\n'
        f'client_id = "{BASIC_CLIENT}"\nclient_secret_env = "M_SECRET"\nscopes = ["mcp:read"]\n'
    )
    async with mcpctl.connect("m", profile=_profile(tmp_path, protected_server.url, oauth)) as tk:
        result = await tk.call("m.whoami")
    assert not result.is_error and BASIC_CLIENT in (result.text or "")
    assert list((tmp_path / "state" / "mcpctl" / "auth").glob("*.json")), "the token is stored for the next run"


@pytest.mark.anyio
async def test_program_never_starts_a_login_and_raises_auth_error_naming_the_command(
    protected_server: ProtectedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("BROWSER", f"touch {tmp_path / 'browser-opened'}")
    started = time.monotonic()
    with pytest.raises(mcpctl.AuthError) as caught:
        async with mcpctl.connect("m", profile=_profile(tmp_path, protected_server.url)) as tk:
            await tk.call("m.whoami")
    assert time.monotonic() - started < 5
    assert caught.value.exit_code == 6
    assert "mcpctl auth login m" in (caught.value.hint or "")
    assert not (tmp_path / "browser-opened").exists()
