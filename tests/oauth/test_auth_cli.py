"""mcpctl's OAuth client end to end, against the real OpenID provider and the protected MCP server (harness.py).

``auth login`` through a stand-in browser (``browser.py`` as ``$BROWSER``) and the device flow, stored tokens used
without a person (``CI=true``), expiry and refresh with a rotating refresh token (also by two processes at once),
a revoked refresh token, no login without leave, the client credentials grant (basic, post, private_key_jwt),
logout with revocation, and no token, code or secret ever printed. Each test has its own store
(``XDG_STATE_HOME``). The in-process runner serves where only exit codes and messages count; the installed mcpctl
runs as a subprocess where a browser process, concurrency or stderr as a process writes it matters.

Needs ``MCPCTL_OIDC`` (``bash tests/oauth/install.sh DIR``); skips without it, fails without it under ``CI=true``.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import stat
import subprocess
import sys
import time
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import mcp.client.streamable_http  # noqa: F401 - imported up front: the time bounds below are mcpctl's, not the SDK's import
import pytest
from cli.runner import Result, mcpctl
from conftest import serve_asgi, write_profile
from e2e.helpers import Run, assert_clean_stderr, mcpctl_argv, run_mcpctl

from mcpctl.core.auth import credential_key
from oauth.harness import BROWSER_SCRIPT, HERE, OidcProvider, ProtectedServer

LOGIN_HINT = "mcpctl auth login"
#: What a stand-in browser appends the callback URL (with the authorization code) to, when asked.
CALLBACKS = "callbacks.txt"


# ----------------------------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def _fresh_webbrowser(monkeypatch: pytest.MonkeyPatch) -> None:
    """``webbrowser`` reads ``$BROWSER`` once per process; in-process runs with their own $BROWSER need it re-read."""
    monkeypatch.setattr(webbrowser, "_tryorder", None)
    monkeypatch.setattr(webbrowser, "_browsers", {})


def state_env(tmp_path: Path, **more: str) -> dict[str, str]:
    """This test's private store, and the stand-in browser as ``$BROWSER``."""
    return {"XDG_STATE_HOME": str(tmp_path / "state"), "BROWSER": f"{sys.executable} {BROWSER_SCRIPT} %s", **more}


def auth_dir(tmp_path: Path) -> Path:
    return tmp_path / "state" / "mcpctl" / "auth"


def stored(tmp_path: Path) -> dict[str, Any]:
    """The one credential record in this test's store."""
    files = sorted(auth_dir(tmp_path).glob("*.json"))
    assert len(files) == 1, files
    return dict(json.loads(files[0].read_text()))


def tokens_of(tmp_path: Path) -> tuple[str, str]:
    """The stored (access token, refresh token)."""
    tokens = stored(tmp_path)["tokens"]
    return str(tokens["access_token"]), str(tokens.get("refresh_token") or "")


def profile(tmp_path: Path, name: str, url: str, oauth: dict[str, str] | None = None) -> Path:
    table: dict[str, Any] = {"url": url, **({"oauth": oauth} if oauth else {})}
    return write_profile(tmp_path / "mcpctl.toml", {name: table})


def capturing_browser(tmp_path: Path) -> str:
    """A ``$BROWSER`` that follows the authorization URL like browser.py and also writes down the callback URL
    (the authorization code in it), so a test can look for the code in what mcpctl printed."""
    script = tmp_path / "capture_browser.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(HERE)!r})\n"
        "import httpx2\n"
        "from harness import follow_to_callback\n"
        "callback = follow_to_callback(sys.argv[1])\n"
        f"with open({str(tmp_path / CALLBACKS)!r}, 'a') as out:\n"
        "    out.write(callback + '\\n')\n"
        "httpx2.get(callback, timeout=30)\n"
    )
    return f"{sys.executable} {script} %s"


def marker_browser(tmp_path: Path) -> tuple[str, Path]:
    """A ``$BROWSER`` that only leaves a marker file: it shows whether mcpctl started a browser at all."""
    marker = tmp_path / "browser-was-started"
    script = tmp_path / "marker_browser.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n")
    return f"{sys.executable} {script} %s", marker


def login(tmp_path: Path, *target: str, env: dict[str, str] | None = None) -> Result:
    """``mcpctl auth login TARGET`` (in-process; the stand-in browser is a real process); must succeed."""
    done = mcpctl("auth", "login", *target, env={**state_env(tmp_path), **(env or {})})
    assert done.exit_code == 0, done
    return done


def login_process(tmp_path: Path, *target: str, env: dict[str, str] | None = None) -> Run:
    """``mcpctl auth login TARGET`` as a subprocess with the stand-in browser; must succeed."""
    done = run_mcpctl("auth", "login", *target, env={**state_env(tmp_path), **(env or {})}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert_clean_stderr(done)
    return done


def wait_until_expired(tmp_path: Path) -> None:
    """Sleep until the stored access token has expired (the provider gives no leeway, nor does the server)."""
    left = float(stored(tmp_path)["expires_at"]) - time.time()
    time.sleep(max(0.0, left) + 0.3)


def refresh_at(provider: OidcProvider, refresh_token: str, client_id: str) -> httpx2.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    return httpx2.post(provider.token_endpoint, data=data, timeout=10)


def assert_never_shown(secrets: list[str], *outputs: Result | Run | str) -> None:
    """No secret in any stdout, stderr or (given as text) trace file."""
    texts: list[tuple[str, str]] = []
    for out in outputs:
        if isinstance(out, str):
            texts.append(("trace", out))
        elif isinstance(out, Result):
            texts += [(f"stdout of mcpctl {' '.join(out.args)}", out.stdout), (f"stderr of {out.args}", out.stderr)]
        else:
            texts += [(f"stdout of {out.args}", out.stdout), (f"stderr of {out.args}", out.stderr)]
    leaks = [f"{s[:12]}… in {where}:\n{text}" for s in secrets if s for where, text in texts if s in text]
    assert not leaks, "\n\n".join(leaks)


def assert_no_traceback(stderr: str) -> None:
    assert "Traceback (most recent call last)" not in stderr, stderr


def whoami(result: Result | Run) -> dict[str, Any]:
    return dict(json.loads(result.stdout))


NON_INTERACTIVE = {"CI": "true"}


# ----------------------------------------------------------------------------------------------- login and status


@pytest.mark.e2e
def test_login_by_url_through_the_browser_stores_tokens_privately_and_status_never_shows_them(
    tmp_path: Path, oidc_provider: OidcProvider, protected_server: ProtectedServer
) -> None:
    url = protected_server.url
    done = login_process(tmp_path, "--url", url)
    assert done.stdout == ""  # the note is for a person: stderr
    assert "logged in to" in done.stderr
    record = stored(tmp_path)
    access, refresh = tokens_of(tmp_path)
    assert access and refresh
    assert record["issuer"] == oidc_provider.issuer
    folder = auth_dir(tmp_path)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [stat.S_IMODE(f.stat().st_mode) for f in folder.glob("*.json")] == [0o600]

    env = state_env(tmp_path)
    text = mcpctl("auth", "status", "--url", url, env=env)
    assert text.exit_code == 0, text
    for shown in (oidc_provider.issuer, record["client"]["client_id"], "mcp:read mcp:write", "in ", "yes", "ok"):
        assert shown in text.stdout, shown
    as_json = mcpctl("auth", "status", "--url", url, "-o", "json", env=env)
    assert as_json.exit_code == 0, as_json
    [state] = as_json.json()
    assert state["issuer"] == oidc_provider.issuer
    assert state["client_id"] == record["client"]["client_id"]
    assert state["scopes"] == ["mcp:read", "mcp:write"]
    assert 0 < state["expires_in"] <= oidc_provider.access_ttl
    assert state["refreshable"] is True
    assert state["logged_in"] is True

    call = mcpctl("call", "--url", url, "whoami", env={**env, **NON_INTERACTIVE})
    assert call.exit_code == 0, call
    assert whoami(call)["sub"] == oidc_provider.account
    assert_never_shown([access, refresh], done, text, as_json, call)


def test_status_of_a_profile_server_is_exit_1_before_login_and_0_after(
    tmp_path: Path, oidc_provider: OidcProvider, protected_server: ProtectedServer
) -> None:
    path = profile(tmp_path, "prot", protected_server.url)
    env = state_env(tmp_path)
    before = mcpctl("auth", "status", "prot", "-p", str(path), env=env)
    assert before.exit_code == 1, before
    assert "login needed" in before.stdout

    after_login = mcpctl("auth", "login", "prot", "-p", str(path), tty=True, env=env)
    assert after_login.exit_code == 0, after_login
    assert "logged in to prot" in after_login.stderr
    after = mcpctl("auth", "status", "prot", "-p", str(path), env=env)
    assert after.exit_code == 0, after
    assert "ok" in after.stdout
    call = mcpctl("call", "prot.whoami", "-p", str(path), env={**env, **NON_INTERACTIVE})
    assert call.exit_code == 0, call
    assert whoami(call)["aud"] == protected_server.url
    assert_never_shown(list(tokens_of(tmp_path)), after_login, after, call)


@pytest.mark.parametrize("adhoc", [True, False])
def test_auth_token_with_nothing_stored_is_exit_6_naming_the_login_command_for_that_target(
    tmp_path: Path, protected_server: ProtectedServer, adhoc: bool
) -> None:
    url = protected_server.url
    target = ["--url", url] if adhoc else ["prot", "-p", str(profile(tmp_path, "prot", url))]
    printed = mcpctl("auth", "token", *target, env=state_env(tmp_path, **NON_INTERACTIVE))
    assert printed.exit_code == 6, printed
    assert printed.stdout == ""
    assert (f"{LOGIN_HINT} --url {url}" if adhoc else f"{LOGIN_HINT} prot") in printed.stderr


def test_a_login_not_finished_in_the_browser_ends_after_wait_with_exit_6(
    tmp_path: Path, protected_server: ProtectedServer
) -> None:
    browser, marker = marker_browser(tmp_path)  # opens nothing: nobody comes back to the redirect
    done = mcpctl(
        "auth", "login", "--url", protected_server.url, "--wait", "1", env=state_env(tmp_path, BROWSER=browser)
    )
    assert done.exit_code == 6, done
    assert done.elapsed < 10, done
    assert "did not finish within 1s" in done.stderr
    assert marker.exists()
    assert not stored(tmp_path).get("tokens")  # the client registered, no token


def test_a_damaged_credential_file_counts_as_none_and_a_login_replaces_it(
    tmp_path: Path, protected_server: ProtectedServer
) -> None:
    url = protected_server.url
    folder = auth_dir(tmp_path)
    folder.mkdir(parents=True)
    (folder / f"{credential_key(url)}.json").write_text("{not json")
    env = state_env(tmp_path)
    assert mcpctl("auth", "status", "--url", url, env=env).exit_code == 1
    call = mcpctl("call", "--url", url, "whoami", env={**env, **NON_INTERACTIVE})
    assert call.exit_code == 6, call
    assert LOGIN_HINT in call.stderr
    login(tmp_path, "--url", url)
    assert mcpctl("call", "--url", url, "whoami", env={**env, **NON_INTERACTIVE}).exit_code == 0


# ----------------------------------------------------------------------------------------------- scopes


@pytest.mark.parametrize("where", ["--scope", "profile"])
def test_login_asks_for_the_scope_given_not_all_the_server_offers(
    tmp_path: Path, protected_server: ProtectedServer, where: str
) -> None:
    oauth = {"scopes": ["mcp:read"]} if where == "profile" else None
    path = write_profile(
        tmp_path / "mcpctl.toml", {"prot": {"url": protected_server.url, **({"oauth": oauth} if oauth else {})}}
    )
    flags = ["--scope", "mcp:read"] if where == "--scope" else []
    done = login(tmp_path, "prot", "-p", str(path), *flags)
    assert "scope=mcp%3Aread+offline_access&" in done.stderr  # the authorization URL shown
    assert stored(tmp_path)["tokens"]["scope"] == "mcp:read"
    call = mcpctl("call", "prot.whoami", "-p", str(path), env={**state_env(tmp_path), **NON_INTERACTIVE})
    assert call.exit_code == 0, call
    assert whoami(call)["scopes"] == ["mcp:read"]


def test_a_tool_needing_more_scope_is_exit_6_without_leave_and_a_step_up_login_at_a_terminal(
    tmp_path: Path, protected_server: ProtectedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    path = profile(tmp_path, "prot", protected_server.url)
    login(tmp_path, "prot", "-p", str(path), "--scope", "mcp:read")
    env = state_env(tmp_path)

    refused = mcpctl("call", "prot.write_thing", "thing=x", "-p", str(path), env={**env, **NON_INTERACTIVE})
    assert refused.exit_code == 6, refused
    assert refused.stdout == ""
    assert "403" in refused.stderr
    assert f"{LOGIN_HINT} prot --scope mcp:read --scope mcp:write" in refused.stderr  # the scopes the server names

    stepped = mcpctl("call", "prot.write_thing", "thing=x", "-p", str(path), tty=True, env=env)
    assert stepped.exit_code == 0, stepped
    assert stepped.stdout == "wrote x\n"
    assert set(stored(tmp_path)["tokens"]["scope"].split()) >= {"mcp:read", "mcp:write"}


def slow_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A ``$BROWSER`` for a person who takes 2.5 s in the browser (re-read by this process's ``webbrowser``)."""
    slow = tmp_path / "slow_browser.sh"
    slow.write_text(f'#!/bin/sh\nsleep 2.5\nexec {sys.executable} {BROWSER_SCRIPT} "$1"\n')
    slow.chmod(0o755)
    monkeypatch.setattr(webbrowser, "_tryorder", None)
    monkeypatch.setattr(webbrowser, "_browsers", {})
    return f"{slow} %s"


def test_a_login_on_demand_at_connect_does_not_count_against_the_connect_timeout(
    tmp_path: Path, protected_server: ProtectedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    env = {**state_env(tmp_path), "BROWSER": slow_browser(tmp_path, monkeypatch)}
    url = protected_server.url
    done = mcpctl("call", "--url", url, "whoami", "--connect-timeout", "1", tty=True, env=env)
    assert done.exit_code == 0, done
    assert whoami(done)["sub"] == "alice"
    assert done.elapsed > 2.5  # the login did wait for the person


def test_a_step_up_login_mid_call_does_not_count_against_the_calls_timeout(
    tmp_path: Path, protected_server: ProtectedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    path = profile(tmp_path, "prot", protected_server.url)
    login(tmp_path, "prot", "-p", str(path), "--scope", "mcp:read")
    env = {**state_env(tmp_path), "BROWSER": slow_browser(tmp_path, monkeypatch)}  # after the login's fast one
    stepped = mcpctl("call", "prot.write_thing", "thing=x", "-p", str(path), "--timeout", "1", tty=True, env=env)
    assert stepped.exit_code == 0, stepped
    assert stepped.stdout == "wrote x\n"
    assert stepped.elapsed > 2.5  # the login did wait for the person


# ----------------------------------------------------------------------------------------------- expiry and refresh


def test_expired_token_is_refreshed_without_a_person_and_the_refresh_token_rotates(
    tmp_path: Path, oidc_provider_short: OidcProvider, protected_server_short: ProtectedServer
) -> None:
    path = profile(tmp_path, "short", protected_server_short.url)
    login(tmp_path, "short", "-p", str(path))
    first_access, first_refresh = tokens_of(tmp_path)
    wait_until_expired(tmp_path)
    env = {**state_env(tmp_path), **NON_INTERACTIVE}

    call = mcpctl("call", "short.whoami", "-p", str(path), env=env)
    assert call.exit_code == 0, call
    assert whoami(call)["sub"] == oidc_provider_short.account
    second_access, second_refresh = tokens_of(tmp_path)
    assert second_access != first_access
    assert second_refresh != first_refresh  # rotated: the provider refuses the old one from now on
    assert_never_shown([first_access, first_refresh, second_access, second_refresh], call)


def test_auth_token_refreshes_an_expired_token_and_prints_exactly_the_stored_one(
    tmp_path: Path, protected_server_short: ProtectedServer
) -> None:
    path = profile(tmp_path, "short", protected_server_short.url)
    login(tmp_path, "short", "-p", str(path))
    old_access, _ = tokens_of(tmp_path)
    wait_until_expired(tmp_path)

    printed = mcpctl("auth", "token", "short", "-p", str(path), env={**state_env(tmp_path), **NON_INTERACTIVE})
    assert printed.exit_code == 0, printed
    access, refresh = tokens_of(tmp_path)
    assert access != old_access
    assert printed.stdout == access + "\n"
    assert stored(tmp_path)["expires_at"] > time.time()
    assert_never_shown([access, refresh], printed.stderr)


def _wait_for_open(path: Path, pids: list[int], timeout: float) -> bool:
    """Whether every process in ``pids`` has ``path`` open within ``timeout`` seconds (read from /proc)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(_has_open(pid, path) for pid in pids):
            return True
        time.sleep(0.02)
    return False


def _has_open(pid: int, path: Path) -> bool:
    folder = Path(f"/proc/{pid}/fd")
    try:
        links = [os.readlink(fd) for fd in folder.iterdir()]
    except OSError:  # gone, or an fd closed while listing
        return False
    return str(path) in links


@pytest.mark.e2e
def test_two_processes_refreshing_at_once_spend_the_rotating_refresh_token_once(
    tmp_path: Path, oidc_provider_short: OidcProvider, protected_server_short: ProtectedServer
) -> None:
    path = profile(tmp_path, "short", protected_server_short.url)
    login(tmp_path, "short", "-p", str(path))
    old_access, old_refresh = tokens_of(tmp_path)
    wait_until_expired(tmp_path)
    env = {**os.environ, **state_env(tmp_path), **NON_INTERACTIVE}

    argv = mcpctl_argv("call", "short.whoami", "-p", str(path))
    # The test holds the credential's lock until both processes, having read the expired token, wait for it: the
    # one that gets it second must re-read the store and use the token the first one got.
    lock = auth_dir(tmp_path) / f"{credential_key(protected_server_short.url)}.lock"
    held = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        procs = [
            subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        waiting = _wait_for_open(lock, [p.pid for p in procs], timeout=30)
    finally:
        os.close(held)
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert waiting, "the processes never opened the lock file"
    # Had both spent the same refresh token, the provider would have revoked the whole grant: one would fail.
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
        assert json.loads(out)["sub"] == oidc_provider_short.account
    access, refresh = tokens_of(tmp_path)
    assert (access, refresh) != (old_access, old_refresh)
    client_id = stored(tmp_path)["client"]["client_id"]
    assert refresh_at(oidc_provider_short, refresh, client_id).status_code == 200  # the grant is still alive


def test_a_refused_token_that_has_not_expired_is_refreshed_once_then_the_call_succeeds(
    tmp_path: Path, oidc_provider: OidcProvider, protected_server: ProtectedServer
) -> None:
    path = profile(tmp_path, "prot", protected_server.url)
    login(tmp_path, "prot", "-p", str(path))
    _, old_refresh = tokens_of(tmp_path)
    record_file = next(auth_dir(tmp_path).glob("*.json"))
    record = json.loads(record_file.read_text())
    record["tokens"]["access_token"] = "refused-by-the-server"  # as after a key rotation at the provider
    record_file.write_text(json.dumps(record))

    call = mcpctl("call", "prot.whoami", "-p", str(path), env=state_env(tmp_path, **NON_INTERACTIVE))
    assert call.exit_code == 0, call
    assert whoami(call)["sub"] == oidc_provider.account
    access, refresh = tokens_of(tmp_path)
    assert access != "refused-by-the-server"
    assert refresh != old_refresh


def test_revoked_refresh_token_is_exit_6_naming_the_login_command(
    tmp_path: Path, oidc_provider_short: OidcProvider, protected_server_short: ProtectedServer
) -> None:
    path = profile(tmp_path, "short", protected_server_short.url)
    login(tmp_path, "short", "-p", str(path))
    _, refresh = tokens_of(tmp_path)
    client_id = stored(tmp_path)["client"]["client_id"]
    revoked = httpx2.post(
        oidc_provider_short.revocation_endpoint,
        data={"token": refresh, "token_type_hint": "refresh_token", "client_id": client_id},
        timeout=10,
    )
    assert revoked.status_code == 200
    wait_until_expired(tmp_path)

    call = mcpctl("call", "short.whoami", "-p", str(path), env={**state_env(tmp_path), **NON_INTERACTIVE})
    assert call.exit_code == 6, call
    assert call.stdout == ""
    assert f"{LOGIN_HINT} short" in call.stderr
    status = mcpctl("auth", "status", "short", "-p", str(path), env=state_env(tmp_path))
    assert status.exit_code == 1, status


# ----------------------------------------------------------------------------------------------- no login without leave


class Spy:
    """An OAuth-protected MCP endpoint that is its own authorization server, and records every request it gets:
    whatever discovery, registration or token request a client makes shows up in ``paths``."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.base = ""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.paths.append(f"{scope['method']} {scope['path']}")
        status, body, headers = self.answer(str(scope["path"]))
        headers = [(b"content-type", b"application/json"), *headers]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})

    def answer(self, path: str) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]:
        """A 401 naming the resource metadata, the metadata (pointing back here), or 404."""
        if path == "/mcp":
            challenge = f'Bearer resource_metadata="{self.base}/.well-known/oauth-protected-resource/mcp"'
            return 401, {"error": "invalid_token"}, [(b"www-authenticate", challenge.encode())]
        if path.startswith("/.well-known/oauth-protected-resource"):
            return 200, {"resource": f"{self.base}/mcp", "authorization_servers": [self.base]}, []
        if path.startswith("/.well-known/"):
            metadata = {
                "issuer": self.base,
                "authorization_endpoint": f"{self.base}/auth",
                "token_endpoint": f"{self.base}/token",
                "registration_endpoint": f"{self.base}/reg",
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
            }
            return 200, metadata, []
        return 404, {}, []


@pytest.fixture
def spy() -> Iterator[Spy]:
    app = Spy()
    with serve_asgi(app) as base:
        app.base = base
        yield app


@pytest.mark.parametrize(
    ("how", "tty", "env"),
    [("CI=true", True, NON_INTERACTIVE), ("no TTY", False, {}), ("--no-login at a terminal", True, {})],
)
def test_without_leave_to_log_in_a_401_is_exit_6_at_once_with_no_browser_discovery_or_registration(
    tmp_path: Path, spy: Spy, monkeypatch: pytest.MonkeyPatch, how: str, tty: bool, env: dict[str, str]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    browser, marker = marker_browser(tmp_path)
    extra = ["--no-login"] if how.startswith("--no-login") else []
    url = f"{spy.base}/mcp"
    call = mcpctl(
        "call", "--url", url, "whoami", *extra, tty=tty, env={**state_env(tmp_path), "BROWSER": browser, **env}
    )
    assert call.exit_code == 6, call
    assert call.elapsed < 2.0, call
    assert call.stdout == ""
    assert LOGIN_HINT in call.stderr
    time.sleep(0.2)  # a browser started on a thread would have left its marker by now
    assert not marker.exists()
    assert spy.paths and set(spy.paths) == {"POST /mcp"}  # no metadata, registration or token request
    assert not list(auth_dir(tmp_path).glob("*.json"))


def test_no_stored_token_against_the_real_provider_is_exit_6_within_2s_and_starts_no_browser(
    tmp_path: Path, protected_server: ProtectedServer
) -> None:
    browser, marker = marker_browser(tmp_path)
    path = profile(tmp_path, "prot", protected_server.url)
    call = mcpctl(
        "call", "prot.whoami", "-p", str(path), env={**state_env(tmp_path), "BROWSER": browser, **NON_INTERACTIVE}
    )
    assert call.exit_code == 6, call
    assert call.elapsed < 2.0, call
    assert f"{LOGIN_HINT} prot" in call.stderr
    time.sleep(0.2)
    assert not marker.exists()
    assert not list(auth_dir(tmp_path).glob("*.json"))  # nothing registered, nothing stored


def test_a_person_at_a_terminal_is_logged_in_on_demand(
    tmp_path: Path, protected_server: ProtectedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    call = mcpctl("call", "--url", protected_server.url, "whoami", tty=True, env=state_env(tmp_path))
    assert call.exit_code == 0, call
    assert "Opened your browser" in call.stderr
    assert whoami(call)["sub"] == "alice"
    assert tokens_of(tmp_path)[0]


@pytest.mark.e2e
def test_login_flag_without_a_terminal_logs_in_through_the_browser_then_runs_the_command(
    tmp_path: Path, protected_server: ProtectedServer
) -> None:
    done = run_mcpctl(
        "call", "--url", protected_server.url, "whoami", "--login", env={**state_env(tmp_path), **NON_INTERACTIVE}
    )
    assert done.returncode == 0, done.stderr
    assert_clean_stderr(done)
    assert whoami(done)["sub"] == "alice"
    access, refresh = tokens_of(tmp_path)
    assert_never_shown([access, refresh], done)


# ----------------------------------------------------------------------------------------------- device flow


def _read_until(fd: int, pattern: re.Pattern[str], timeout: float) -> str:
    """What a process wrote to ``fd`` up to the first match of ``pattern`` (or EOF, or ``timeout``)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while not pattern.search(seen.decode(errors="replace")) and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.1)[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            seen += chunk
    return seen.decode(errors="replace")


def device_login(tmp_path: Path, provider: OidcProvider, url: str, *, deny: bool = False) -> tuple[int, str, str]:
    """``mcpctl auth login --url URL --device`` as a subprocess: read the user code it shows on stderr, approve
    (or deny) it at the provider; its exit status, stdout, and stderr."""
    proc = subprocess.Popen(
        mcpctl_argv("auth", "login", "--url", url, "--device", "--no-browser"),
        env={**os.environ, **state_env(tmp_path)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        seen = _read_until(proc.stderr.fileno(), re.compile(r"enter the code: (\S+)\n"), 20)
        found = re.search(r"enter the code: (\S+)\n", seen)
        assert found is not None, seen
        assert f"{provider.issuer}/device" in seen
        provider.approve_device(found.group(1), deny=deny)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out.decode(), seen + err.decode()


@pytest.mark.e2e
def test_device_login_shows_a_user_code_and_finishes_once_it_is_approved(
    tmp_path: Path, oidc_provider: OidcProvider, protected_server: ProtectedServer
) -> None:
    url = protected_server.url
    code, out, err = device_login(tmp_path, oidc_provider, url)
    assert code == 0, err
    assert out == ""
    assert "logged in to" in err
    assert_no_traceback(err)
    call = mcpctl("call", "--url", url, "whoami", env={**state_env(tmp_path), **NON_INTERACTIVE})
    assert call.exit_code == 0, call
    assert whoami(call)["sub"] == oidc_provider.account
    assert_never_shown(list(tokens_of(tmp_path)), out, err, call)


@pytest.mark.e2e
def test_device_login_denied_at_the_provider_is_exit_6_and_stores_no_token(
    tmp_path: Path, oidc_provider: OidcProvider, protected_server: ProtectedServer
) -> None:
    code, out, err = device_login(tmp_path, oidc_provider, protected_server.url, deny=True)
    assert code == 6, err
    assert out == ""
    assert "refused" in err
    assert_no_traceback(err)
    assert not list(auth_dir(tmp_path).glob("*.json"))


# ----------------------------------------------------------------------------------------------- client credentials


def machine_profile(tmp_path: Path, url: str, provider: OidcProvider) -> Path:
    """Three servers at ``url`` with the client credentials grant: basic, post and private_key_jwt."""
    cc = "client_credentials"
    return write_profile(
        tmp_path / "mcpctl.toml",
        {
            "basic": {
                "url": url,
                "oauth": {"grant": cc, "client_id": provider.basic_client[0], "client_secret_env": "S"},
            },
            "post": {
                "url": url,
                "oauth": {
                    "grant": cc,
                    "client_id": provider.post_client[0],
                    "client_secret_env": "S",
                    "token_endpoint_auth_method": "client_secret_post",
                },
            },
            "jwt": {
                "url": url,
                "oauth": {
                    "grant": cc,
                    "client_id": provider.jwt_client,
                    "token_endpoint_auth_method": "private_key_jwt",
                    "private_key_file": str(provider.jwt_private_key),
                },
            },
        },
    )


@pytest.mark.parametrize("server", ["basic", "post", "jwt"])
def test_client_credentials_work_without_a_person_or_a_login(
    tmp_path: Path, oidc_provider: OidcProvider, protected_server: ProtectedServer, server: str
) -> None:
    path = machine_profile(tmp_path, protected_server.url, oidc_provider)
    secret = {"basic": oidc_provider.basic_client[1], "post": oidc_provider.post_client[1], "jwt": ""}[server]
    env = {**state_env(tmp_path), "S": secret, **NON_INTERACTIVE}
    trace = tmp_path / "trace.jsonl"
    call = mcpctl("call", f"{server}.whoami", "-p", str(path), "-v", "--debug", "--trace", str(trace), env=env)
    assert call.exit_code == 0, call
    client = {
        "basic": oidc_provider.basic_client[0],
        "post": oidc_provider.post_client[0],
        "jwt": oidc_provider.jwt_client,
    }
    assert whoami(call)["client_id"] == client[server]
    access, _ = tokens_of(tmp_path)
    status = mcpctl("auth", "status", server, "-p", str(path), env=env)
    assert status.exit_code == 0, status
    assert_never_shown([access, secret], call, status, trace.read_text())


@pytest.mark.e2e
def test_client_credentials_print_nothing_but_the_result(
    tmp_path: Path, oidc_provider: OidcProvider, protected_server: ProtectedServer
) -> None:
    path = machine_profile(tmp_path, protected_server.url, oidc_provider)
    env = {**state_env(tmp_path), "S": oidc_provider.basic_client[1], **NON_INTERACTIVE}
    done = run_mcpctl("call", "basic.whoami", "-p", str(path), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no SDK warning (the issuer is optional in the profile)
    assert whoami(done)["client_id"] == oidc_provider.basic_client[0]


def test_wrong_client_secret_is_exit_6_and_the_secret_is_never_shown(
    tmp_path: Path, oidc_provider: OidcProvider, protected_server: ProtectedServer
) -> None:
    path = machine_profile(tmp_path, protected_server.url, oidc_provider)
    wrong = "wrong-secret-PLANTED-7c1e"
    env = {**state_env(tmp_path), "S": wrong, **NON_INTERACTIVE}
    runs: list[Result | str] = []
    for flags in ([], ["-v"], ["--debug"], ["-v", "-o", "json"]):
        trace = tmp_path / f"trace-{len(runs)}.jsonl"
        call = mcpctl("call", "basic.whoami", "-p", str(path), *flags, "--trace", str(trace), env=env)
        assert call.exit_code == 6, call
        assert call.stdout == ""
        assert "invalid_client" in call.stderr
        runs += [call, trace.read_text() if trace.exists() else ""]
    assert_never_shown([wrong], *runs)


def record(tmp_path: Path, url: str, client_id: str | None = None) -> dict[str, Any]:
    """The credential record kept for ``url`` under the profile's ``client_id`` (None: the server's default one)."""
    return dict(json.loads((auth_dir(tmp_path) / f"{credential_key(url, client_id)}.json").read_text()))


def test_a_token_stored_for_another_client_of_the_same_server_is_not_used(
    tmp_path: Path, oidc_provider: OidcProvider, protected_server: ProtectedServer
) -> None:
    url = protected_server.url
    path = machine_profile(tmp_path, url, oidc_provider)
    state = state_env(tmp_path, **NON_INTERACTIVE)
    first = mcpctl("call", "jwt.whoami", "-p", str(path), env=state)
    assert first.exit_code == 0, first
    jwt_token = record(tmp_path, url, oidc_provider.jwt_client)["tokens"]["access_token"]
    # Same URL, another client: jwt's token is not basic's, for status, token, logout and calls.
    status = mcpctl("auth", "status", "basic", "-p", str(path), env=state)
    assert status.exit_code == 1, status
    logout = mcpctl("auth", "logout", "basic", "-p", str(path), env=state)
    assert logout.exit_code == 0, logout
    assert "nothing was stored" in logout.stderr
    assert record(tmp_path, url, oidc_provider.jwt_client)["tokens"]["access_token"] == jwt_token
    # A wrong secret must ask the provider (and fail), not borrow jwt's token.
    wrong = mcpctl("call", "basic.whoami", "-p", str(path), env={**state, "S": "not-the-secret"})
    assert wrong.exit_code == 6, wrong
    right = mcpctl("call", "basic.whoami", "-p", str(path), env={**state, "S": oidc_provider.basic_client[1]})
    assert right.exit_code == 0, right
    assert whoami(right)["client_id"] == oidc_provider.basic_client[0]
    printed = mcpctl("auth", "token", "basic", "-p", str(path), env={**state, "S": oidc_provider.basic_client[1]})
    assert printed.exit_code == 0, printed
    basic = record(tmp_path, url, oidc_provider.basic_client[0])
    assert printed.stdout == basic["tokens"]["access_token"] + "\n"
    assert basic["client"] == {"client_id": oidc_provider.basic_client[0]}  # and never the secret


def test_a_persons_login_and_a_machine_client_of_the_same_server_keep_separate_records(
    tmp_path: Path, oidc_provider: OidcProvider, protected_server: ProtectedServer
) -> None:
    url = protected_server.url
    path = machine_profile(tmp_path, url, oidc_provider)
    login(tmp_path, "--url", url)
    state = state_env(tmp_path, **NON_INTERACTIVE, S=oidc_provider.basic_client[1])
    machine = mcpctl("call", "basic.whoami", "-p", str(path), env=state)
    assert machine.exit_code == 0, machine
    person = mcpctl("call", "--url", url, "whoami", env=state)
    assert person.exit_code == 0, person
    assert whoami(machine)["client_id"] == oidc_provider.basic_client[0]
    assert whoami(person)["client_id"] == record(tmp_path, url)["client"]["client_id"] != whoami(machine)["client_id"]
    assert mcpctl("auth", "status", "--url", url, env=state).exit_code == 0
    assert mcpctl("auth", "status", "basic", "-p", str(path), env=state).exit_code == 0


# ----------------------------------------------------------------------------------------------- logout


def test_logout_removes_the_file_and_revokes_the_refresh_token_at_the_provider(
    tmp_path: Path, oidc_provider: OidcProvider, protected_server: ProtectedServer
) -> None:
    path = profile(tmp_path, "prot", protected_server.url)
    login(tmp_path, "prot", "-p", str(path))
    _, refresh = tokens_of(tmp_path)
    client_id = stored(tmp_path)["client"]["client_id"]
    env = state_env(tmp_path)

    out = mcpctl("auth", "logout", "prot", "-p", str(path), env=env)
    assert out.exit_code == 0, out
    assert "tokens revoked" in out.stderr
    assert not list(auth_dir(tmp_path).glob("*.json"))
    status = mcpctl("auth", "status", "prot", "-p", str(path), env=env)
    assert status.exit_code == 1, status
    answer = refresh_at(oidc_provider, refresh, client_id)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    again = mcpctl("auth", "logout", "prot", "-p", str(path), env=env)
    assert again.exit_code == 0, again
    assert "nothing was stored" in again.stderr


# ----------------------------------------------------------------------------------------------- secrets


@pytest.mark.e2e
def test_tokens_and_the_authorization_code_never_appear_in_verbose_debug_or_trace_output(
    tmp_path: Path, protected_server: ProtectedServer
) -> None:
    url = protected_server.url
    path = profile(tmp_path, "prot", url)
    browser = {"BROWSER": capturing_browser(tmp_path)}
    trace = tmp_path / "login-trace.jsonl"
    runs: list[Run | Result | str] = [
        login_process(tmp_path, "prot", "-p", str(path), "-v", "--debug", "--trace", str(trace), env=browser)
    ]
    first = tokens_of(tmp_path)
    runs.append(login(tmp_path, "prot", "-p", str(path), "-v", env=browser))
    codes = re.findall(r"[?&]code=([^&\s]+)", (tmp_path / CALLBACKS).read_text())
    assert len(codes) == 2
    access, refresh = tokens_of(tmp_path)
    assert access not in first
    env = {**state_env(tmp_path), **NON_INTERACTIVE}
    for index, flags in enumerate((["-v"], ["-v", "--debug", "-o", "json"])):
        call_trace = tmp_path / f"call-trace-{index}.jsonl"
        call = mcpctl("call", "prot.whoami", "-p", str(path), *flags, "--trace", str(call_trace), env=env)
        assert call.exit_code == 0, call
        assert '"dir": "out"' in call_trace.read_text()
        runs += [call, call_trace.read_text()]
    runs += [trace.read_text() if trace.exists() else ""]
    for flags in ([], ["-o", "json", "--debug"]):
        runs.append(mcpctl("auth", "status", "prot", "-p", str(path), *flags, env=env))
    assert_never_shown([*first, access, refresh, *codes], *runs)
