"""mcpctl.sessions.targets: child environments, HTTP headers, ad-hoc --url/--stdio targets, labels and selection."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpctl.core.errors import UsageError
from mcpctl.core.profile import Profile, ServerConfig, Settings, parse_profile
from mcpctl.core.secrets import MASK, redact
from mcpctl.sessions.targets import (
    MINIMAL_ENV,
    AdHoc,
    from_config,
    from_stdio,
    from_url,
    parse_env,
    parse_header,
    select_targets,
    stdio_label,
)

TOKEN = "tok-3f9a8b7c6d5e"
API_KEY = "key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _fresh_redactor() -> Iterator[None]:
    redact.clear()
    yield
    redact.clear()


def profile_of(text: str) -> Profile:
    return parse_profile(text, Path("/p/mcpctl.toml"))


# ======================================================================================================================
# stdio environment
# ======================================================================================================================

FULL_ENV = {
    "PATH": "/usr/bin",
    "HOME": "/home/u",
    "USER": "u",
    "LOGNAME": "u",
    "SHELL": "/bin/bash",
    "TERM": "xterm",
    "LANG": "C.UTF-8",
    "CI": "1",
    "AWS_SECRET_ACCESS_KEY": "not-for-children",
    "OTHER": "x",
}


def test_stdio_server_inherits_the_environment_with_env_on_top() -> None:
    config = ServerConfig(name="s", command="srv", env={"LEVEL": "debug", "OTHER": "overridden"})
    target = from_config(config, environ=FULL_ENV)
    assert target.env == FULL_ENV | {"LEVEL": "debug", "OTHER": "overridden"}


def test_stdio_server_inherits_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPCTL_TEST_INHERITED", "yes")
    target = from_config(ServerConfig(name="s", command="srv"))
    assert target.env is not None
    assert target.env["MCPCTL_TEST_INHERITED"] == "yes"
    assert target.env["PATH"] == os.environ["PATH"]


def test_env_inherit_false_keeps_only_the_minimal_set_env_vars_and_env() -> None:
    config = ServerConfig(name="s", command="srv", env_inherit=False, env_vars=("CI", "UNSET_ONE"), env={"A": "1"})
    target = from_config(config, environ=FULL_ENV)
    expected = {k: FULL_ENV[k] for k in MINIMAL_ENV} | {"CI": "1", "A": "1"}
    assert target.env == expected
    assert "AWS_SECRET_ACCESS_KEY" not in (target.env or {})


def test_minimal_set_is_what_the_spec_lists() -> None:
    assert set(MINIMAL_ENV) == {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG"}


def test_secret_named_env_values_are_registered_for_redaction() -> None:
    config = ServerConfig(name="s", command="srv", env={"API_TOKEN": TOKEN, "LEVEL": "debug"})
    from_config(config, environ={})
    assert redact(f"started with {TOKEN}") == f"started with {MASK}"
    assert redact("level debug") == "level debug"


# ======================================================================================================================
# HTTP headers
# ======================================================================================================================


def http_config(**kw: object) -> ServerConfig:
    return ServerConfig(name="remote", url="https://example.test/mcp", transport="streamable-http", **kw)  # type: ignore[arg-type]


def test_http_headers_are_sent_as_written() -> None:
    target = from_config(http_config(http_headers={"X-Team": "platform"}), environ={})
    assert dict(target.headers) == {"X-Team": "platform"}
    assert target.url == "https://example.test/mcp"
    assert target.transport == "streamable-http"


def test_env_http_headers_read_the_value_from_the_variable() -> None:
    target = from_config(
        http_config(env_http_headers={"X-Api-Key": "REMOTE_API_KEY"}), environ={"REMOTE_API_KEY": API_KEY}
    )
    assert target.headers["X-Api-Key"] == API_KEY


@pytest.mark.parametrize("environ", [{}, {"REMOTE_API_KEY": ""}])
def test_env_http_header_with_missing_variable_is_exit_2_naming_variable_and_server(environ: dict[str, str]) -> None:
    with pytest.raises(UsageError) as info:
        from_config(http_config(env_http_headers={"X-Api-Key": "REMOTE_API_KEY"}), environ=environ)
    assert info.value.exit_code == 2
    assert "REMOTE_API_KEY" in info.value.message
    assert "remote" in info.value.message
    assert info.value.server == "remote"


def test_bearer_token_env_var_becomes_authorization_bearer() -> None:
    target = from_config(http_config(bearer_token_env_var="REMOTE_TOKEN"), environ={"REMOTE_TOKEN": TOKEN})
    assert target.headers["Authorization"] == f"Bearer {TOKEN}"


def test_missing_bearer_token_variable_is_exit_2_naming_variable_and_server() -> None:
    with pytest.raises(UsageError) as info:
        from_config(http_config(bearer_token_env_var="REMOTE_TOKEN"), environ={})
    assert info.value.exit_code == 2
    assert "REMOTE_TOKEN" in info.value.message and "remote" in info.value.message


def test_describe_and_masked_headers_never_contain_the_token() -> None:
    config = http_config(
        bearer_token_env_var="REMOTE_TOKEN",
        env_http_headers={"X-Custom": "CUSTOM_VALUE"},  # not secret-named, still from a variable
        http_headers={"X-Team": "platform", "X-Session-Id": "sess-abcdef"},
    )
    target = from_config(config, environ={"REMOTE_TOKEN": TOKEN, "CUSTOM_VALUE": API_KEY})
    shown = target.masked_headers()
    assert shown["Authorization"] == MASK
    assert shown["X-Custom"] == MASK
    assert shown["X-Session-Id"] == MASK
    assert shown["X-Team"] == "platform"
    text = target.describe() + repr(shown)
    for secret in (TOKEN, API_KEY, "sess-abcdef"):
        assert secret not in text
    assert target.describe() == "https://example.test/mcp (streamable-http)"
    # and any other text that happens to carry them (logs, traces, errors)
    logged = redact(f"Authorization: Bearer {TOKEN}; key {API_KEY}; token {TOKEN}")
    assert TOKEN not in logged and API_KEY not in logged
    assert logged.endswith(f"key {MASK}; token {MASK}")


def test_describe_masks_secret_flags_in_a_stdio_command_line() -> None:
    target = from_config(
        ServerConfig(name="s", command="srv", args=("--api-key", "${KEY}", "--token=abc123def", "--port", "8")),
        environ={"KEY": API_KEY},
    )
    assert target.args[1] == API_KEY  # the server still gets the real value
    described = target.describe()
    assert API_KEY not in described and "abc123def" not in described
    assert described == f"srv --api-key '{MASK}' '--token={MASK}' --port 8"


# ======================================================================================================================
# --url
# ======================================================================================================================


@pytest.mark.parametrize("url", ["ftp://example.test/mcp", "example.test/mcp", "localhost:8080/mcp", "http://", ""])
def test_url_with_bad_scheme_or_no_host_is_a_usage_error(url: str) -> None:
    with pytest.raises(UsageError) as info:
        from_url(url)
    assert info.value.exit_code == 2
    assert "--url" in info.value.message


@pytest.mark.parametrize(
    ("url", "transport"),
    [
        ("http://127.0.0.1:8000/mcp", "streamable-http"),
        ("https://example.test/sse", "sse"),
        ("https://example.test/sse/", "sse"),
        ("https://example.test/v1/sse", "sse"),
        ("https://example.test/ssex", "streamable-http"),
    ],
)
def test_transport_is_inferred_from_the_url(url: str, transport: str) -> None:
    target = from_url(url)
    assert target.transport == transport
    assert target.url == url


def test_explicit_transport_wins_over_inference() -> None:
    assert from_url("https://example.test/mcp", transport="sse").transport == "sse"
    assert from_url("https://example.test/sse", transport="http").transport == "streamable-http"


@pytest.mark.parametrize("transport", ["stdio", "websocket"])
def test_transport_that_does_not_fit_url_is_a_usage_error(transport: str) -> None:
    with pytest.raises(UsageError):
        from_url("https://example.test/mcp", transport=transport)


def test_url_target_is_named_after_host_and_port_and_carries_headers() -> None:
    target = from_url("http://127.0.0.1:9/mcp", ["X-Team: platform", f"Authorization: Bearer {TOKEN}"])
    assert target.name == "127.0.0.1:9"
    assert dict(target.headers) == {"X-Team": "platform", "Authorization": f"Bearer {TOKEN}"}
    assert target.masked_headers() == {"X-Team": "platform", "Authorization": MASK}
    assert redact(f"sent Authorization: Bearer {TOKEN}") == f"sent Authorization: {MASK}"


def test_ad_hoc_targets_take_built_in_settings_under_given_ones() -> None:
    target = from_url("http://127.0.0.1:9/mcp", settings=Settings(retries=0))
    assert (target.retries, target.tool_timeout, target.startup_timeout) == (0, 60.0, 30.0)


# ======================================================================================================================
# -H and -e
# ======================================================================================================================


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("X-Team: platform", ("X-Team", "platform")),
        ("X-Team:platform", ("X-Team", "platform")),
        ("  X-A  :  b: c  ", ("X-A", "b: c")),
        ("X-Empty:", ("X-Empty", "")),
    ],
)
def test_header_parsing(text: str, expected: tuple[str, str]) -> None:
    assert parse_header(text) == expected


@pytest.mark.parametrize("text", ["X-Team platform", ": value", "", "   : x"])
def test_bad_header_is_a_usage_error_quoting_it(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_header(text)
    assert info.value.exit_code == 2
    assert f"'{text}'" in info.value.message
    assert info.value.hint is not None and "-H 'Name: value'" in info.value.hint


@pytest.mark.parametrize(
    ("text", "expected"),
    [("A=1", ("A", "1")), ("A=", ("A", "")), ("A=b=c", ("A", "b=c"))],
)
def test_env_item_parsing(text: str, expected: tuple[str, str]) -> None:
    assert parse_env(text) == expected


@pytest.mark.parametrize("text", ["NOVALUE", "=value", ""])
def test_bad_env_item_is_a_usage_error_quoting_it(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_env(text)
    assert info.value.exit_code == 2
    assert f"'{text}'" in info.value.message
    assert info.value.hint is not None and "-e KEY=VALUE" in info.value.hint


# ======================================================================================================================
# --stdio
# ======================================================================================================================


def test_stdio_command_is_split_like_a_shell_and_env_added(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPCTL_TEST_INHERITED", "yes")
    target = from_stdio("python -m mcpctl.demo --name 'two words'", ["LEVEL=debug"])
    assert (target.command, target.args) == ("python", ("-m", "mcpctl.demo", "--name", "two words"))
    assert target.name == "mcpctl.demo"
    assert target.env is not None
    assert target.env["LEVEL"] == "debug" and target.env["MCPCTL_TEST_INHERITED"] == "yes"


@pytest.mark.parametrize("command_line", ["", "   ", "python 'unterminated"])
def test_bad_stdio_command_is_a_usage_error(command_line: str) -> None:
    with pytest.raises(UsageError) as info:
        from_stdio(command_line)
    assert info.value.exit_code == 2


def test_bad_env_item_on_stdio_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        from_stdio("srv", ["NOVALUE"])


@pytest.mark.parametrize(
    ("words", "label"),
    [
        ("python -m mcpctl.demo", "mcpctl.demo"),
        ("python3.12 server.py", "server"),
        ("npx -y @scope/server-x", "server-x"),
        ("npx @modelcontextprotocol/server-everything", "server-everything"),
        ("uvx mcp-server-fetch", "mcp-server-fetch"),
        ("uv run my_server.py", "my_server"),
        ("node dist/index.js", "index"),
        ("/usr/bin/mytool", "mytool"),
        ("mytool --flag value", "mytool"),
        ("python", "python"),
    ],
)
def test_stdio_label(words: str, label: str) -> None:
    assert stdio_label(words.split()) == label


# ======================================================================================================================
# select_targets
# ======================================================================================================================

THREE = """
[defaults]
retries = 7

[servers.a]
command = "a"

[servers.b]
url = "https://example.test/mcp"

[servers.off]
command = "off"
enabled = false
"""


def test_ad_hoc_target_plus_names_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        select_targets(profile_of(THREE), ["a"], AdHoc(url="http://127.0.0.1:9/mcp"))
    assert info.value.exit_code == 2


def test_no_names_selects_every_enabled_server() -> None:
    chosen = select_targets(profile_of(THREE), [], AdHoc())
    assert [t.name for t in chosen] == ["a", "b"]
    assert all(t.retries == 7 for t in chosen)


def test_named_servers_are_selected_in_order_once_even_if_disabled() -> None:
    chosen = select_targets(profile_of(THREE), ["b", "off", "b"], AdHoc())
    assert [t.name for t in chosen] == ["b", "off"]


def test_unknown_name_is_a_usage_error_listing_known_servers() -> None:
    with pytest.raises(UsageError) as info:
        select_targets(profile_of(THREE), ["nope"], AdHoc())
    assert info.value.hint is not None and "a, b, off" in info.value.hint


@pytest.mark.parametrize("text", ["", '[servers.off]\ncommand = "x"\nenabled = false\n'])
def test_no_servers_configured_is_a_usage_error_with_a_hint(text: str) -> None:
    profile = profile_of(text) if text else Profile(path=Path("/p/profile.toml"), exists=False)
    with pytest.raises(UsageError) as info:
        select_targets(profile, [], AdHoc())
    assert info.value.exit_code == 2
    assert "no servers configured" in info.value.message
    assert "/p/" in info.value.message
    assert info.value.hint is not None
    assert "mcpctl servers add" in info.value.hint and "--url" in info.value.hint


def test_ad_hoc_target_takes_profile_defaults_under_flags() -> None:
    profile = profile_of(THREE)
    (target,) = select_targets(profile, [], AdHoc(stdio="python -m mcpctl.demo"))
    assert target.retries == 7 and target.name == "mcpctl.demo"
    (target,) = select_targets(profile, [], AdHoc(url="http://127.0.0.1:9/mcp"), Settings(retries=1))
    assert target.retries == 1


def test_url_and_stdio_together_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        select_targets(profile_of(THREE), [], AdHoc(url="http://127.0.0.1:9/mcp", stdio="srv"))


@pytest.mark.parametrize("adhoc", [AdHoc(stdio="srv", headers=("X-A: b",)), AdHoc(stdio="srv", transport="sse")])
def test_header_or_transport_with_stdio_is_a_usage_error(adhoc: AdHoc) -> None:
    with pytest.raises(UsageError) as info:
        select_targets(profile_of(THREE), [], adhoc)
    assert "--url" in info.value.message


def test_tool_filters_reach_the_target() -> None:
    profile = profile_of('[servers.a]\ncommand = "a"\ndisabled_tools = ["rm"]\n')
    (target,) = select_targets(profile, [], AdHoc())
    assert target.tool_enabled("ls") and not target.tool_enabled("rm")
    assert from_url("http://127.0.0.1:9/mcp").tool_enabled("rm")  # ad-hoc targets have no filters
