"""``mcpctl servers add|list|show|remove``: exit codes, stdout and stderr apart, secrets hidden."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

from cli.runner import Result, mcpctl
from mcpctl import __version__

SECRET = "sekrit-value-123"


def user_profile() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "mcpctl" / "profile.toml"


def add_demo() -> Result:
    result = mcpctl("servers", "add", "demo", "--", "python", "-m", "mcpctl.demo")
    assert result.exit_code == 0, result.stderr
    return result


def add_remote_with_secret() -> None:
    result = mcpctl("servers", "add", "x", "--url", "http://127.0.0.1:9/mcp", "-H", f"X-Api-Key: {SECRET}")
    assert result.exit_code == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr


def assert_usage_error(result: Result) -> None:
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("mcpctl: error:")
    assert "Traceback" not in result.stderr


# ======================================================================================================================
# add
# ======================================================================================================================


def test_add_creates_the_user_profile_and_confirms_on_stdout() -> None:
    assert not user_profile().exists()
    result = add_demo()
    assert result.stdout == f"added server 'demo' in {user_profile()}\n"
    assert result.stderr == ""
    data = tomllib.loads(user_profile().read_text())
    assert data == {"servers": {"demo": {"command": "python", "args": ["-m", "mcpctl.demo"]}}}


def test_add_keeps_arguments_after_double_dash_as_the_command() -> None:
    result = mcpctl("servers", "add", "-e", "LEVEL=debug", "demo", "--", "npx", "-y", "@scope/server-x", "--url", "u")
    assert result.exit_code == 0, result.stderr
    server = tomllib.loads(user_profile().read_text())["servers"]["demo"]
    assert server == {"command": "npx", "args": ["-y", "@scope/server-x", "--url", "u"], "env": {"LEVEL": "debug"}}


def test_add_url_with_options_after_the_name() -> None:
    result = mcpctl("servers", "add", "r", "--url", "https://example.test/sse", "-H", "X-Team: platform")
    assert result.exit_code == 0, result.stderr
    server = tomllib.loads(user_profile().read_text())["servers"]["r"]
    assert server == {"url": "https://example.test/sse", "http_headers": {"X-Team": "platform"}}


def test_adding_an_existing_name_is_exit_2_with_nothing_on_stdout() -> None:
    add_demo()
    before = user_profile().read_text()
    result = mcpctl("servers", "add", "demo", "--", "python", "-m", "other")
    assert_usage_error(result)
    assert "demo" in result.stderr and "already exists" in result.stderr
    assert "hint:" in result.stderr and "--force" in result.stderr
    assert user_profile().read_text() == before


def test_force_replaces_the_server_and_keeps_a_bak() -> None:
    add_demo()
    before = user_profile().read_text()
    result = mcpctl("servers", "add", "--force", "demo", "--", "python", "-m", "other")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("replaced server 'demo'")
    assert tomllib.loads(user_profile().read_text())["servers"]["demo"]["args"] == ["-m", "other"]
    assert user_profile().with_name("profile.toml.bak").read_text() == before


def test_add_keeps_an_existing_file_byte_for_byte() -> None:
    user_profile().parent.mkdir(parents=True)
    old = '# mine, do not touch\n[defaults]\nretries = 3   # three\n\n[servers.a]\ncommand = "a"\n'
    user_profile().write_text(old)
    add_demo()
    assert user_profile().read_text().startswith(old)


def test_add_with_neither_url_nor_command_is_exit_2() -> None:
    result = mcpctl("servers", "add", "x")
    assert_usage_error(result)
    assert "--url" in result.stderr
    assert not user_profile().exists()


def test_add_with_both_url_and_command_is_exit_2() -> None:
    assert_usage_error(mcpctl("servers", "add", "x", "--url", "http://127.0.0.1:9/mcp", "--", "python"))


def test_add_without_a_name_is_exit_2() -> None:
    result = mcpctl("servers", "add")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_add_with_a_bad_name_or_bad_url_transport_is_exit_2() -> None:
    assert_usage_error(mcpctl("servers", "add", "a.b", "--", "python"))
    assert_usage_error(mcpctl("servers", "add", "r", "--url", "http://127.0.0.1:9/mcp", "--transport", "carrier"))
    assert_usage_error(mcpctl("servers", "add", "r", "--url", "http://127.0.0.1:9/mcp", "-H", "no colon"))
    assert not user_profile().exists()


def test_a_name_of_two_words_is_exit_2_quoted_or_not() -> None:
    quoted = mcpctl("servers", "add", "bad name", "--", "python")
    assert_usage_error(quoted)
    assert "bad server name 'bad name'" in quoted.stderr
    unquoted = mcpctl("servers", "add", "bad", "name", "--", "python")  # not a server 'bad' running `name python`
    assert_usage_error(unquoted)
    assert "'name'" in unquoted.stderr and "after --" in unquoted.stderr
    assert_usage_error(mcpctl("servers", "add", "demo", "python", "server.py"))  # the command needs --
    assert not user_profile().exists()


def test_add_json_output_is_one_document() -> None:
    result = mcpctl("servers", "add", "-o", "json", "demo", "--", "python", "-m", "mcpctl.demo")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"server": "demo", "profile": str(user_profile()), "action": "added"}


def test_profile_option_makes_a_project_profile() -> None:
    result = mcpctl("servers", "add", "--profile", "./mcpctl.toml", "demo", "--", "python", "-m", "mcpctl.demo")
    assert result.exit_code == 0, result.stderr
    project = Path.cwd() / "mcpctl.toml"
    assert "demo" in tomllib.loads(project.read_text())["servers"]
    assert not user_profile().exists()
    listed = mcpctl("servers", "list")  # found again without --profile: it is in the current directory
    assert listed.stdout.startswith("demo\t")


def test_add_writes_the_profile_that_would_be_read() -> None:
    Path("mcpctl.toml").write_text("# project\n")
    add_demo()
    assert not user_profile().exists()
    assert "[servers.demo]" in Path("mcpctl.toml").read_text()
    named = mcpctl("servers", "add", "demo", "--", "python", env={"MCPCTL_PROFILE": "work"})
    assert named.exit_code == 0, named.stderr
    assert (user_profile().parent / "profiles" / "work.toml").exists()


# ======================================================================================================================
# list / show: secrets never printed
# ======================================================================================================================


def test_list_and_show_never_print_header_secrets() -> None:
    add_remote_with_secret()
    assert SECRET in user_profile().read_text()  # it is stored...
    for args in (
        ("servers", "list"),
        ("servers", "list", "-o", "json"),
        ("servers", "list", "-o", "ndjson"),
        ("servers", "show", "x"),
        ("servers", "show", "x", "-o", "json"),
    ):
        result = mcpctl(*args)
        assert result.exit_code == 0, result.stderr
        assert SECRET not in result.stdout + result.stderr, args  # ...but never shown
    shown = json.loads(mcpctl("servers", "show", "x", "-o", "json").stdout)
    assert shown["headers"] == {"X-Api-Key": "***"}
    assert shown["url"] == "http://127.0.0.1:9/mcp"


def test_show_masks_secret_env_and_flags_of_stdio_servers() -> None:
    args = ("servers", "add", "-e", "API_TOKEN=tok-999888777", "gh", "--", "srv", "--api-key", "key-555444333")
    assert mcpctl(*args).exit_code == 0
    for fmt in ("text", "json"):
        result = mcpctl("servers", "show", "gh", "-o", fmt)
        assert result.exit_code == 0, result.stderr
        assert "tok-999888777" not in result.stdout and "key-555444333" not in result.stdout
        assert "***" in result.stdout


def test_list_is_tab_separated_when_piped() -> None:
    add_demo()
    add_remote_with_secret()
    result = mcpctl("servers", "list")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "demo\tstdio\tpython -m mcpctl.demo\tyes",
        "x\tstreamable-http\thttp://127.0.0.1:9/mcp\tyes",
    ]
    assert result.stderr == ""
    assert "\x1b[" not in result.stdout


def test_list_json_is_one_array() -> None:
    add_demo()
    result = mcpctl("servers", "list", "-o", "json")
    data = json.loads(result.stdout)
    assert [item["name"] for item in data] == ["demo"]
    assert data[0]["command"] == "python"


def test_list_without_servers_prints_nothing_on_stdout() -> None:
    result = mcpctl("servers", "list")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no servers" in result.stderr
    json_result = mcpctl("servers", "list", "-o", "json")
    assert json.loads(json_result.stdout) == []


def test_show_prints_the_configuration() -> None:
    add_demo()
    result = mcpctl("servers", "show", "demo")
    assert result.exit_code == 0
    assert result.stdout == "name: demo\ntransport: stdio\nenabled: true\ncommand: python\nargs: -m mcpctl.demo\n"
    assert result.stderr == ""


def test_show_unknown_server_is_exit_2_listing_known_servers() -> None:
    add_demo()
    add_remote_with_secret()
    result = mcpctl("servers", "show", "nope")
    assert_usage_error(result)
    assert "nope" in result.stderr
    assert "hint: known servers: demo, x" in result.stderr


def test_json_errors_are_one_json_line_on_stderr() -> None:
    add_demo()
    for result in (
        mcpctl("servers", "show", "nope", "-o", "json"),
        mcpctl("servers", "show", "nope", env={"MCPCTL_OUTPUT": "json"}),
    ):
        assert result.exit_code == 2
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1
        error = json.loads(lines[0])["error"]
        assert (error["type"], error["exit_code"], error["server"]) == ("usage", 2, "nope")
        assert "nope" in error["message"]


def test_unknown_output_format_is_exit_2() -> None:
    result = mcpctl("servers", "list", "-o", "yaml")
    assert_usage_error(result)
    assert "yaml" in result.stderr


# ======================================================================================================================
# remove
# ======================================================================================================================


def test_remove_removes_the_server_and_keeps_a_bak() -> None:
    add_demo()
    add_remote_with_secret()
    before = user_profile().read_text()
    result = mcpctl("servers", "remove", "demo")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"removed server 'demo' from {user_profile()}\n"
    assert user_profile().with_name("profile.toml.bak").read_text() == before
    assert list(tomllib.loads(user_profile().read_text())["servers"]) == ["x"]
    assert mcpctl("servers", "list").stdout.startswith("x\t")


def test_remove_unknown_server_is_exit_2_and_changes_nothing() -> None:
    add_demo()
    before = user_profile().read_text()
    result = mcpctl("servers", "remove", "nope")
    assert_usage_error(result)
    assert "known servers: demo" in result.stderr
    assert user_profile().read_text() == before
    assert not user_profile().with_name("profile.toml.bak").exists()


def test_removing_an_unknown_server_says_there_is_none_and_never_suggests_adding_it() -> None:
    add_demo()
    result = mcpctl("servers", "remove", "nope")
    assert_usage_error(result)
    assert result.stderr.startswith("mcpctl: error: no server 'nope' in ")
    assert "servers add" not in result.stderr
    empty = mcpctl("servers", "remove", "nope", "--profile", "./empty.toml")
    assert_usage_error(empty)
    assert "servers add" not in empty.stderr


# ======================================================================================================================
# bad profiles, version
# ======================================================================================================================


def test_bad_toml_is_exit_2_naming_file_and_line_without_traceback() -> None:
    user_profile().parent.mkdir(parents=True)
    user_profile().write_text('[servers.demo]\ncommand = "python\n')
    for args in (("servers", "list"), ("servers", "show", "demo"), ("servers", "add", "y", "--", "z")):
        result = mcpctl(*args)
        assert_usage_error(result)
        assert str(user_profile()) in result.stderr
        assert "line 2" in result.stderr


def test_invalid_profile_key_is_exit_2_naming_the_key() -> None:
    Path("mcpctl.toml").write_text('[servers.demo]\ncommand = "python"\nretries = "two"\n')
    result = mcpctl("servers", "list")
    assert_usage_error(result)
    assert "mcpctl.toml: servers.demo.retries: expected an integer, got string" in result.stderr


def test_missing_named_profile_is_exit_2() -> None:
    result = mcpctl("servers", "list", "--profile", "nothere")
    assert_usage_error(result)
    assert "nothere.toml" in result.stderr


def test_version_prints_the_version() -> None:
    result = mcpctl("--version")
    assert result.exit_code == 0
    assert result.stdout == f"mcpctl {__version__}\n"
    assert result.stderr == ""


def test_add_to_a_profile_path_under_a_file_is_exit_2_naming_it_without_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "hostname"
    blocker.write_text("not a directory\n")
    result = mcpctl("servers", "add", "demo", "--profile", str(blocker / "p.toml"), "--", "python", "-m", "mcpctl.demo")
    assert result.exit_code == 2, result.stderr
    assert f"cannot write {blocker / 'p.toml'}" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_show_prints_the_oauth_table_naming_the_secrets_variable_never_its_value(tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text(
        '[servers.api]\nurl = "https://mcp.example.com/mcp"\n[servers.api.oauth]\ngrant = "client_credentials"\n'
        'client_id = "ci"\nclient_secret_env = "API_SECRET"\nscopes = ["mcp:read", "mcp:write"]\n'
    )
    shown = mcpctl("servers", "show", "api", "-p", str(profile), "-o", "json", env={"API_SECRET": "s3cret-value"})
    assert shown.exit_code == 0, shown
    assert json.loads(shown.stdout)["oauth"] == {
        "grant": "client_credentials",
        "client_id": "ci",
        "client_secret": "*** (from $API_SECRET)",
        "scopes": "mcp:read mcp:write",
    }
    text = mcpctl("servers", "show", "api", "-p", str(profile), env={"API_SECRET": "s3cret-value"})
    assert "oauth:\n  grant: client_credentials\n  client_id: ci\n" in text.stdout
    assert "s3cret-value" not in text.stdout + shown.stdout
