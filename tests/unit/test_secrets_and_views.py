"""mcpctl.core.secrets and mcpctl.output.render: secrets are never printed (name-based masks and value redaction)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpctl.core.profile import ServerConfig, Settings, parse_profile
from mcpctl.core.secrets import (
    MASK,
    Redactor,
    argument_secrets,
    is_secret_name,
    item_secrets,
    mask_args,
    mask_arguments,
    mask_mapping,
    redact,
)
from mcpctl.output.render import config_view, render_config


@pytest.fixture(autouse=True)
def _fresh_redactor() -> Iterator[None]:
    redact.clear()
    yield
    redact.clear()


# ======================================================================================================================
# is_secret_name / mask_mapping
# ======================================================================================================================


@pytest.mark.parametrize(
    "name",
    [
        "GITHUB_TOKEN",
        "api_key",
        "X-Api-Key",
        "Authorization",
        "Proxy-Authorization",
        "DB_PASSWORD",
        "MYSQL_PASSWD",
        "client_secret",
        "Cookie",
        "X-Session-Id",
        "AWS_CREDENTIALS",
    ],
)
def test_secret_looking_names_are_secret(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["LOG_LEVEL", "PATH", "HOME", "X-Team", "Content-Type", "Accept", "DEBUG"])
def test_ordinary_names_are_not_secret(name: str) -> None:
    assert not is_secret_name(name)


def test_mask_mapping_masks_only_secret_named_values() -> None:
    values = {"GITHUB_TOKEN": "ghp_abcdef", "LOG_LEVEL": "debug", "X-Api-Key": "k-123456"}
    assert mask_mapping(values) == {"GITHUB_TOKEN": MASK, "LOG_LEVEL": "debug", "X-Api-Key": MASK}
    assert values["GITHUB_TOKEN"] == "ghp_abcdef"  # a copy; the input is untouched


# ======================================================================================================================
# Redactor
# ======================================================================================================================


def test_redactor_blanks_registered_values_everywhere() -> None:
    redactor = Redactor()
    redactor.add(["s3cr3t-value"])
    assert redactor("a s3cr3t-value and s3cr3t-value again") == f"a {MASK} and {MASK} again"


def test_redactor_without_secrets_returns_text_unchanged() -> None:
    redactor = Redactor()
    assert redactor("nothing to hide") == "nothing to hide"
    redactor.add(["abcd"])
    assert redactor("") == ""


def test_redactor_ignores_short_values() -> None:
    redactor = Redactor()
    redactor.add(["", "a", "ab", "abc"])
    assert redactor("a cab abc") == "a cab abc"
    redactor.add(["abcd"])
    assert redactor("abcd abc") == f"{MASK} abc"


def test_redactor_replaces_the_longest_value_first() -> None:
    redactor = Redactor()
    redactor.add(["tok-1234"])
    redactor.add(["Bearer tok-1234", "tok-1234567890"])
    assert redactor("Authorization: Bearer tok-1234") == f"Authorization: {MASK}"
    assert redactor("tok-1234567890") == MASK  # not "***567890"
    assert redactor("tok-1234 alone") == f"{MASK} alone"


def test_redactor_treats_values_literally() -> None:
    redactor = Redactor()
    redactor.add(["a.b*c+(d)"])
    assert redactor("xa.b*c+(d)y axbbbc") == f"x{MASK}y axbbbc"


def test_redactor_clear_forgets_every_value() -> None:
    redactor = Redactor()
    redactor.add(["password123"])
    redactor.clear()
    assert redactor("password123") == "password123"


# ======================================================================================================================
# mask_args
# ======================================================================================================================


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--api-key", "X123"], ["--api-key", MASK]),
        (["--token=X123"], [f"--token={MASK}"]),
        (["--TOKEN", "X123"], ["--TOKEN", MASK]),
        (["-m", "server", "--port", "8080"], ["-m", "server", "--port", "8080"]),
        (["--password", "p4ss", "positional"], ["--password", MASK, "positional"]),
        (["--auth-header=Bearer abc"], [f"--auth-header={MASK}"]),
        (["--api-key", "--verbose"], ["--api-key", "--verbose"]),
        (["--api-key"], ["--api-key"]),
        (["--credentials-file", "/x", "--token", "t", "-v"], ["--credentials-file", MASK, "--token", MASK, "-v"]),
    ],
)
def test_mask_args_hides_values_of_secret_flags(args: list[str], expected: list[str]) -> None:
    assert mask_args(args) == expected
    assert mask_args(tuple(args)) == expected


# ======================================================================================================================
# config_view
# ======================================================================================================================


def test_config_view_masks_secret_named_env_values_and_secret_flags() -> None:
    config = ServerConfig(
        name="gh",
        command="npx",
        args=("-y", "@scope/server-github", "--api-key", "sk-live-abcdef"),
        env={"GITHUB_TOKEN": "ghp_abcdef", "DB_PASSWORD": "hunter22", "OPENAI_API_KEY": "sk-x", "LOG_LEVEL": "debug"},
    )
    view = config_view(config)
    assert view["env"] == {"GITHUB_TOKEN": MASK, "DB_PASSWORD": MASK, "OPENAI_API_KEY": MASK, "LOG_LEVEL": "debug"}
    assert view["args"] == ["-y", "@scope/server-github", "--api-key", MASK]
    assert view["target"] == f"npx -y @scope/server-github --api-key {MASK}"
    text = json.dumps(view) + render_config(view)
    for secret in ("ghp_abcdef", "hunter22", "sk-x", "sk-live-abcdef"):
        assert secret not in text


def test_config_view_masks_secret_headers_and_names_the_variables() -> None:
    config = ServerConfig(
        name="remote",
        url="https://example.test/mcp",
        transport="streamable-http",
        bearer_token_env_var="REMOTE_TOKEN",
        http_headers={"X-Team": "platform", "X-Api-Key": "literal-key-123"},
        env_http_headers={"X-Tenant": "TENANT_ID"},
    )
    view = config_view(config)
    assert view["headers"] == {
        "X-Team": "platform",
        "X-Api-Key": MASK,
        "X-Tenant": f"{MASK} (from $TENANT_ID)",
        "Authorization": f"Bearer {MASK} (from $REMOTE_TOKEN)",
    }
    assert view["url"] == view["target"] == "https://example.test/mcp"
    assert "literal-key-123" not in json.dumps(view) + render_config(view)


def test_config_view_leaves_variables_unexpanded() -> None:
    profile = parse_profile(
        '[servers.r]\nurl = "https://${HOST}/mcp"\nhttp_headers = { "X-Team" = "${TEAM}" }\n', Path("/p.toml")
    )
    view = config_view(profile.servers["r"])
    assert view["url"] == "https://${HOST}/mcp"
    assert view["headers"] == {"X-Team": "${TEAM}"}


def test_config_view_shows_filters_settings_and_env_inherit() -> None:
    config = ServerConfig(
        name="s",
        command="srv",
        env_inherit=False,
        env_vars=("CI",),
        cwd="/srv",
        enabled=False,
        enabled_tools=("a", "b"),
        disabled_tools=("c",),
        settings=Settings(tool_timeout_sec=5.0, retries=0),
    )
    view = config_view(config)
    assert view == {
        "name": "s",
        "transport": "stdio",
        "enabled": False,
        "command": "srv",
        "args": [],
        "target": "srv",
        "env_inherit": False,
        "env_vars": ["CI"],
        "cwd": "/srv",
        "enabled_tools": ["a", "b"],
        "disabled_tools": ["c"],
        "settings": {"tool_timeout_sec": 5.0, "retries": 0},
    }


def test_render_config_is_key_value_lines_without_the_target() -> None:
    view = config_view(
        ServerConfig(name="r", url="https://example.test/mcp", transport="sse", http_headers={"X-Api-Key": "k-1234"})
    )
    assert render_config(view) == (
        "name: r\ntransport: sse\nenabled: true\nurl: https://example.test/mcp\nheaders:\n  X-Api-Key: ***\n"
    )


def test_mask_arguments_hides_secret_named_values_at_any_depth_and_copies() -> None:
    arguments = {
        "user": "bob",
        "password": "p4ss",
        "db": {"host": "h", "api_key": 12345, "auth": {"x": "y"}},
        "items": [{"token": "t0k3n"}],
        "session_flag": True,
        "secret_none": None,
    }
    masked = mask_arguments(arguments)
    assert masked == {
        "user": "bob",
        "password": MASK,
        "db": {"host": "h", "api_key": MASK, "auth": MASK},
        "items": [{"token": MASK}],
        "session_flag": True,
        "secret_none": None,
    }
    assert arguments["password"] == "p4ss" and arguments["db"]["api_key"] == 12345  # what is sent is untouched
    assert sorted(argument_secrets(arguments)) == ["12345", "p4ss", "t0k3n", "y"]


def test_item_secrets_are_the_inline_values_of_secret_named_items() -> None:
    tokens = ["password=hunter2", "api_key:=12345", "token=@file.txt", "user=bob", "novalue"]
    assert item_secrets(tokens) == ["hunter2", "12345"]
