"""mcpctl.core.profile: discovery, validation, ${VAR} expansion, tool filters, settings precedence, writing."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from mcpctl.core.errors import ProfileError, UsageError
from mcpctl.core.profile import (
    Profile,
    ServerConfig,
    Settings,
    add_server,
    atomic_write,
    config_home,
    expand,
    load_profile,
    parse_profile,
    remove_server,
    resolve_profile_path,
    server_table,
)
from mcpctl.sessions import targets

PROFILE = Path("/somewhere/mcpctl.toml")


def parse(text: str) -> Profile:
    return parse_profile(text, PROFILE)


def parse_error(text: str) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        parse(text)
    assert info.value.exit_code == 2
    assert str(PROFILE) in info.value.message  # every problem names the file
    return info.value


def xdg() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"])


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ======================================================================================================================
# Discovery precedence
# ======================================================================================================================


def test_profile_option_path_is_used_as_is() -> None:
    path, explicit = resolve_profile_path("./team.toml")
    assert path == Path("./team.toml")
    assert explicit is True
    assert resolve_profile_path("/etc/mcpctl/x.toml")[0] == Path("/etc/mcpctl/x.toml")


def test_profile_option_name_means_xdg_profiles_name_toml() -> None:
    path, explicit = resolve_profile_path("work")
    assert path == xdg() / "mcpctl" / "profiles" / "work.toml"
    assert explicit is True


def test_profile_option_with_a_bad_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        resolve_profile_path("two words")
    assert info.value.exit_code == 2
    assert "two words" in info.value.message


def test_mcpctl_profile_env_is_used_when_no_option(monkeypatch: pytest.MonkeyPatch) -> None:
    Path("mcpctl.toml").write_text("")  # a project profile loses to the variable
    monkeypatch.setenv("MCPCTL_PROFILE", "ci")
    assert resolve_profile_path(None) == (xdg() / "mcpctl" / "profiles" / "ci.toml", True)
    monkeypatch.setenv("MCPCTL_PROFILE", "/tmp/elsewhere.toml")
    assert resolve_profile_path(None) == (Path("/tmp/elsewhere.toml"), True)


def test_profile_option_beats_mcpctl_profile_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPCTL_PROFILE", "ci")
    assert resolve_profile_path("mine")[0] == xdg() / "mcpctl" / "profiles" / "mine.toml"


def test_project_profile_in_current_directory_is_found() -> None:
    Path("mcpctl.toml").write_text("")
    path, explicit = resolve_profile_path(None)
    assert path == Path.cwd().resolve() / "mcpctl.toml"
    assert explicit is False


def test_project_profile_in_nearest_parent_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    top = Path.cwd().resolve()
    (top / "mcpctl.toml").write_text("")
    (top / "a" / "b" / "c").mkdir(parents=True)
    (top / "a" / "mcpctl.toml").write_text("")  # nearer than the top one
    monkeypatch.chdir(top / "a" / "b" / "c")
    assert resolve_profile_path(None)[0] == top / "a" / "mcpctl.toml"
    assert resolve_profile_path(None, cwd=top / "a")[0] == top / "a" / "mcpctl.toml"
    assert resolve_profile_path(None, cwd=top)[0] == top / "mcpctl.toml"


def test_a_directory_named_mcpctl_toml_is_not_a_profile() -> None:
    Path("mcpctl.toml").mkdir()
    assert resolve_profile_path(None)[0] == xdg() / "mcpctl" / "profile.toml"


def test_user_wide_profile_is_the_fallback() -> None:
    assert resolve_profile_path(None) == (xdg() / "mcpctl" / "profile.toml", False)


def test_user_wide_profile_without_xdg_is_under_home_dot_config() -> None:
    assert config_home({"HOME": "/home/u"}) == Path("/home/u/.config")
    env = {"HOME": "/home/u", "XDG_CONFIG_HOME": ""}
    assert resolve_profile_path(None, env, Path("/"))[0] == Path("/home/u/.config/mcpctl/profile.toml")


def test_missing_implicit_profile_is_an_empty_profile() -> None:
    profile = load_profile()
    assert profile.exists is False
    assert profile.servers == {}
    assert profile.path == xdg() / "mcpctl" / "profile.toml"


def test_missing_explicit_profile_is_a_profile_error() -> None:
    with pytest.raises(ProfileError) as info:
        load_profile("nothere")
    assert info.value.exit_code == 2
    assert "nothere.toml" in info.value.message


def test_missing_profile_from_env_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPCTL_PROFILE", "./gone.toml")
    with pytest.raises(ProfileError) as info:
        load_profile()
    assert "MCPCTL_PROFILE" in info.value.message


def test_load_profile_reads_the_resolved_file() -> None:
    Path("mcpctl.toml").write_text('[servers.demo]\ncommand = "python"\n')
    profile = load_profile()
    assert profile.exists is True
    assert list(profile.servers) == ["demo"]


# ======================================================================================================================
# Parse errors name file, key and what was expected
# ======================================================================================================================


def test_invalid_toml_names_the_file_and_line() -> None:
    error = parse_error('[servers.x]\ncommand = "a"\nthis is not toml\n')
    assert "invalid TOML" in error.message
    assert "line 3" in error.message


def test_unknown_top_level_key_is_named() -> None:
    error = parse_error('[mcp_servers.x]\ncommand = "a"\n')
    assert "mcp_servers: unknown key" in error.message
    assert error.hint is not None and "[servers.NAME]" in error.hint


def test_unknown_server_key_is_named_with_the_known_keys() -> None:
    error = parse_error('[servers.x]\ncommand = "a"\ncomand = "b"\n')
    assert "servers.x.comand: unknown key" in error.message
    assert error.hint is not None and "command" in error.hint


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ('[servers.x]\ncommand = "a"\nretries = "two"\n', "servers.x.retries", "expected an integer, got string"),
        ("[defaults]\nretries = true\n", "defaults.retries", "expected an integer, got boolean"),
        ('[defaults]\ntool_timeout_sec = "60"\n', "defaults.tool_timeout_sec", "expected a number, got string"),
        ("[servers.x]\ncommand = 1\n", "servers.x.command", "expected a string, got integer"),
        ('[servers.x]\ncommand = "a"\nargs = "-m x"\n', "servers.x.args", "expected an array of strings"),
        ('[servers.x]\ncommand = "a"\nargs = [1, 2]\n', "servers.x.args", "expected an array of strings"),
        ('[servers.x]\ncommand = "a"\nenv = { A = 1 }\n', "servers.x.env", "expected a table of strings"),
        ('[servers.x]\ncommand = "a"\nenabled = "yes"\n', "servers.x.enabled", "expected true or false"),
        ('[servers.x]\ncommand = "a"\nstartup_timeout_sec = -1\n', "servers.x.startup_timeout_sec", ">= 0"),
        ("servers = 3\n", "servers", "expected a table, got integer"),
        ("[servers]\nx = 3\n", "servers.x", "expected a table, got integer"),
    ],
)
def test_wrong_type_names_key_and_expected_type(text: str, key: str, expected: str) -> None:
    error = parse_error(text)
    assert f"{key}:" in error.message
    assert expected in error.message


def test_server_with_both_command_and_url_is_an_error() -> None:
    error = parse_error('[servers.x]\ncommand = "a"\nurl = "https://example.test/mcp"\n')
    assert "servers.x" in error.message
    assert "exactly one of 'command'" in error.message


def test_server_with_neither_command_nor_url_is_an_error() -> None:
    error = parse_error('[servers.x]\nargs = ["-v"]\n')
    assert "servers.x" in error.message
    assert "'url'" in error.message


def test_unknown_transport_lists_the_known_ones() -> None:
    error = parse_error('[servers.x]\nurl = "https://example.test/mcp"\ntransport = "websocket"\n')
    assert "servers.x.transport" in error.message
    assert "websocket" in error.message
    assert "streamable-http" in error.message and "sse" in error.message


@pytest.mark.parametrize(
    "body",
    ['command = "a"\ntransport = "sse"', 'url = "https://example.test/mcp"\ntransport = "stdio"'],
)
def test_transport_that_does_not_fit_command_or_url_is_an_error(body: str) -> None:
    error = parse_error(f"[servers.x]\n{body}\n")
    assert "servers.x.transport" in error.message


@pytest.mark.parametrize("name", ['"a.b"', '"my server"', '"ümlaut"'])
def test_bad_server_name_is_an_error(name: str) -> None:
    error = parse_error(f'[servers.{name}]\ncommand = "a"\n')
    assert "bad server name" in error.message


def test_transport_is_inferred_and_aliases_are_normalised() -> None:
    profile = parse(
        '[servers.a]\ncommand = "x"\n'
        '[servers.b]\nurl = "https://example.test/mcp"\n'
        '[servers.c]\nurl = "https://example.test/sse"\n'
        '[servers.d]\nurl = "https://example.test/mcp"\ntransport = "http"\n'
    )
    assert [s.transport for s in profile.servers.values()] == ["stdio", "streamable-http", "sse", "streamable-http"]


def test_a_full_profile_parses_into_typed_values() -> None:
    profile = parse(
        """
[defaults]
startup_timeout_sec = 10
tool_timeout_sec = 60.5
retries = 2

[servers.everything]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-everything"]
env = { LOG_LEVEL = "debug" }
cwd = "/srv/work"
env_inherit = false
env_vars = ["CI"]

[servers.remote]
url = "https://example.test/mcp"
bearer_token_env_var = "REMOTE_TOKEN"
http_headers = { "X-Team" = "platform" }
env_http_headers = { "X-Api-Key" = "REMOTE_API_KEY" }
enabled = false
enabled_tools = ["search", "fetch"]
"""
    )
    assert profile.defaults == Settings(startup_timeout_sec=10.0, tool_timeout_sec=60.5, retries=2)
    everything = profile.servers["everything"]
    assert everything.args == ("-y", "@modelcontextprotocol/server-everything")
    assert dict(everything.env) == {"LOG_LEVEL": "debug"}
    assert (everything.cwd, everything.env_inherit, everything.env_vars) == ("/srv/work", False, ("CI",))
    remote = profile.servers["remote"]
    assert remote.transport == "streamable-http"
    assert remote.enabled is False
    assert remote.enabled_tools == ("search", "fetch")
    assert dict(remote.env_http_headers) == {"X-Api-Key": "REMOTE_API_KEY"}


def test_unknown_server_lists_the_known_ones() -> None:
    profile = parse('[servers.b]\ncommand = "x"\n[servers.a]\ncommand = "y"\n')
    with pytest.raises(UsageError) as info:
        profile.server("nope")
    assert info.value.exit_code == 2
    assert "nope" in info.value.message
    assert info.value.hint is not None and "known servers: a, b" in info.value.hint


# ======================================================================================================================
# ${VAR} expansion
# ======================================================================================================================


@pytest.mark.parametrize(
    ("text", "environ", "expected"),
    [
        ("${HOST}/mcp", {"HOST": "https://h"}, "https://h/mcp"),
        ("${A}-${B}", {"A": "1", "B": "2"}, "1-2"),
        ("${PORT:-8080}", {}, "8080"),
        ("${PORT:-8080}", {"PORT": "9"}, "9"),
        ("${PORT:-8080}", {"PORT": ""}, "8080"),
        ("${EMPTY:-}", {}, ""),
        ("$PLAIN and ${", {}, "$PLAIN and ${"),
        ("no variables", {}, "no variables"),
    ],
)
def test_var_and_var_default_expand(text: str, environ: dict[str, str], expected: str) -> None:
    assert expand(text, environ, "srv") == expected


def test_missing_variable_without_default_names_variable_and_server() -> None:
    with pytest.raises(UsageError) as info:
        expand("${API_HOST}/mcp", {}, "remote")
    assert info.value.exit_code == 2
    assert "API_HOST" in info.value.message
    assert "remote" in info.value.message
    assert info.value.server == "remote"


def test_expansion_applies_to_args_env_cwd_url_and_headers() -> None:
    profile = parse(
        """
[servers.local]
command = "${BIN:-python}"
args = ["--root", "${ROOT}"]
env = { LEVEL = "${LEVEL:-info}" }
cwd = "${ROOT}/work"

[servers.remote]
url = "https://${HOST}/mcp"
http_headers = { "X-Team" = "${TEAM}" }
"""
    )
    environ = {"ROOT": "/srv", "HOST": "example.test", "TEAM": "platform"}
    local = targets.from_config(profile.servers["local"], environ=environ)
    assert (local.command, local.args, local.cwd) == ("python", ("--root", "/srv"), "/srv/work")
    assert local.env is not None and local.env["LEVEL"] == "info"
    remote = targets.from_config(profile.servers["remote"], environ=environ)
    assert remote.url == "https://example.test/mcp"
    assert remote.headers["X-Team"] == "platform"


def test_profile_keeps_variables_unexpanded_until_a_target_is_built() -> None:
    profile = parse('[servers.x]\nurl = "https://${HOST}/mcp"\n')  # parsing needs no environment
    assert profile.servers["x"].url == "https://${HOST}/mcp"
    with pytest.raises(UsageError) as info:
        targets.from_config(profile.servers["x"], environ={})
    assert "HOST" in info.value.message and "'x'" in info.value.message


# ======================================================================================================================
# Tool filters
# ======================================================================================================================


def test_all_tools_enabled_without_filters() -> None:
    config = parse('[servers.x]\ncommand = "a"\n').servers["x"]
    assert config.tool_enabled("anything")


def test_enabled_tools_lets_only_those_through() -> None:
    config = parse('[servers.x]\ncommand = "a"\nenabled_tools = ["search", "fetch"]\n').servers["x"]
    assert config.tool_enabled("search") and config.tool_enabled("fetch")
    assert not config.tool_enabled("delete")


def test_disabled_tools_are_filtered_out() -> None:
    config = parse('[servers.x]\ncommand = "a"\ndisabled_tools = ["delete"]\n').servers["x"]
    assert config.tool_enabled("search")
    assert not config.tool_enabled("delete")


def test_disabled_tools_win_over_enabled_tools() -> None:
    config = ServerConfig(name="x", command="a", enabled_tools=("a", "b"), disabled_tools=("b",))
    assert [t for t in ("a", "b", "c") if config.tool_enabled(t)] == ["a"]


def test_empty_enabled_tools_enables_nothing() -> None:
    config = parse('[servers.x]\ncommand = "a"\nenabled_tools = []\n').servers["x"]
    assert not config.tool_enabled("search")


# ======================================================================================================================
# Settings precedence: flags > server keys > [defaults] > built-ins
# ======================================================================================================================


def test_settings_come_from_built_ins_when_nothing_is_set() -> None:
    profile = parse('[servers.x]\ncommand = "a"\n')
    target = targets.from_config(profile.servers["x"], profile.defaults, environ={})
    assert target.settings == targets.DEFAULT_SETTINGS
    assert (target.startup_timeout, target.tool_timeout, target.retries) == (30.0, 60.0, 2)


def test_flags_beat_server_keys_beat_defaults_beat_built_ins() -> None:
    profile = parse(
        """
[defaults]
startup_timeout_sec = 11
tool_timeout_sec = 22
retries = 5

[servers.x]
command = "a"
startup_timeout_sec = 3
"""
    )
    config = profile.servers["x"]
    target = targets.from_config(config, profile.defaults, environ={})
    assert (target.startup_timeout, target.tool_timeout, target.retries) == (3.0, 22.0, 5)
    flags = Settings(tool_timeout_sec=99.0, startup_timeout_sec=1.5)
    target = targets.from_config(config, profile.defaults, flags, environ={})
    assert (target.startup_timeout, target.tool_timeout, target.retries) == (1.5, 99.0, 5)


def test_retries_zero_on_a_server_is_kept_over_defaults() -> None:
    profile = parse('[defaults]\nretries = 5\n[servers.x]\ncommand = "a"\nretries = 0\n')
    assert targets.from_config(profile.servers["x"], profile.defaults, environ={}).retries == 0


# ======================================================================================================================
# add_server
# ======================================================================================================================

COMMENTED = """# team profile — keep this comment
[defaults]
retries = 1  # trailing comment

# the first server
[servers.first]
command = "python"
args = ["-m", "first"]   # inline comment
"""


def test_add_server_creates_the_folder_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "profile.toml"
    replaced = add_server(path, "demo", server_table(command=["python", "-m", "mcpctl.demo"]))
    assert replaced is False
    profile = parse_profile(path.read_text(), path)
    assert profile.servers["demo"].command == "python"
    assert profile.servers["demo"].args == ("-m", "mcpctl.demo")
    assert not (tmp_path / "new" / "dir" / "profile.toml.bak").exists()


def test_add_server_keeps_the_rest_of_the_file_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(COMMENTED)
    add_server(path, "remote", server_table(url="https://example.test/sse", headers={"X-Team": "platform"}))
    new = path.read_text()
    assert new.startswith(COMMENTED)
    profile = parse_profile(new, path)
    assert list(profile.servers) == ["first", "remote"]
    assert profile.servers["remote"].transport == "sse"
    assert dict(profile.servers["remote"].http_headers) == {"X-Team": "platform"}
    assert profile.defaults.retries == 1


def test_add_server_to_a_file_without_final_newline_keeps_it_as_prefix(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    old = '# no newline at the end\n[servers.a]\ncommand = "x"'
    path.write_text(old)
    add_server(path, "b", server_table(command=["y"]))
    new = path.read_text()
    assert new.startswith(old)
    assert list(parse_profile(new, path).servers) == ["a", "b"]


def test_add_server_writes_only_what_was_given(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    add_server(path, "s", server_table(url="https://example.test/mcp", transport="streamable-http"))
    data = tomllib.loads(path.read_text())
    assert data == {"servers": {"s": {"url": "https://example.test/mcp"}}}  # inferred transport not written
    add_server(path, "t", server_table(url="https://example.test/mcp", transport="sse"))
    assert tomllib.loads(path.read_text())["servers"]["t"]["transport"] == "sse"


def test_add_existing_name_is_exit_2_and_leaves_the_file(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(COMMENTED)
    with pytest.raises(UsageError) as info:
        add_server(path, "first", server_table(command=["other"]))
    assert info.value.exit_code == 2
    assert "first" in info.value.message and "already exists" in info.value.message
    assert info.value.hint is not None and "--force" in info.value.hint
    assert path.read_text() == COMMENTED
    assert not path.with_name("profile.toml.bak").exists()


def test_add_with_force_replaces_and_keeps_a_bak(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(COMMENTED + '\n# second\n[servers.second]\ncommand = "z"\n')
    old = path.read_text()
    assert add_server(path, "first", server_table(command=["other", "--flag"]), force=True) is True
    profile = parse_profile(path.read_text(), path)
    assert profile.servers["first"].command == "other"
    assert profile.servers["first"].args == ("--flag",)
    assert profile.servers["second"].command == "z"
    assert "# team profile — keep this comment" in path.read_text()
    assert "# second" in path.read_text()
    assert path.with_name("profile.toml.bak").read_text() == old


def test_add_server_with_a_bad_name_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    with pytest.raises(UsageError) as info:
        add_server(path, "a.b", server_table(command=["x"]))
    assert info.value.exit_code == 2
    assert not path.exists()


def test_add_server_to_an_invalid_profile_is_a_profile_error(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text("[servers.x\n")
    with pytest.raises(ProfileError):
        add_server(path, "y", server_table(command=["x"]))
    assert path.read_text() == "[servers.x\n"


def test_failed_reparse_leaves_the_old_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(COMMENTED)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ProfileError) as info:
        add_server(path, "broken", {"command": "x", "url": "https://example.test/mcp"})
    assert "servers.broken" in info.value.message
    assert path.read_text() == COMMENTED
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary file left behind


def test_atomic_write_keeps_the_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(COMMENTED)
    path.chmod(0o640)
    add_server(path, "second", server_table(command=["x"]))
    assert mode_of(path) == 0o640
    add_server(path, "second", server_table(command=["y"]), force=True)
    assert mode_of(path) == 0o640
    assert mode_of(path.with_name("profile.toml.bak")) == 0o640


def test_atomic_write_of_a_new_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "profile.toml"
    atomic_write(path, "# hi\n")
    assert path.read_text() == "# hi\n"
    assert mode_of(path) & 0o077 == 0  # profiles hold secrets: not readable by others


# ======================================================================================================================
# remove_server
# ======================================================================================================================

THREE = """# header comment
[defaults]
retries = 1 # keep me

# about a
[servers.a]
command = "a"

[servers.b]
command = "b"
args = ["--x"]

[servers.b.env]
TOKEN = "t"

# about c
[servers.c]
url = "https://example.test/mcp"  # c's url

[servers.c.http_headers]
X-Team = "platform"
"""


def test_remove_server_cuts_its_tables_and_keeps_comments_elsewhere(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(THREE)
    remove_server(path, "b")
    new = path.read_text()
    assert "servers.b" not in new
    assert 'TOKEN = "t"' not in new
    for kept in ("# header comment", "# keep me", "# about a", "# about c", "# c's url"):
        assert kept in new
    profile = parse_profile(new, path)
    assert list(profile.servers) == ["a", "c"]
    assert dict(profile.servers["c"].http_headers) == {"X-Team": "platform"}
    assert path.with_name("profile.toml.bak").read_text() == THREE


def test_remove_server_with_sub_tables_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(THREE)
    remove_server(path, "c")
    new = path.read_text()
    assert "X-Team" not in new and "servers.c" not in new
    assert list(parse_profile(new, path).servers) == ["a", "b"]
    assert "# header comment" in new


def test_remove_the_last_server_leaves_a_valid_profile(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text('# file comment\n\n[servers.a]\ncommand = "a"\n')
    remove_server(path, "a")
    profile = parse_profile(path.read_text(), path)
    assert profile.servers == {}
    assert path.read_text().startswith("# file comment\n")


def test_remove_server_takes_the_comment_just_above_its_table(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(THREE)
    remove_server(path, "a")
    new = path.read_text()
    assert "# about a" not in new  # it described the removed table
    assert "# header comment" in new and "# about c" in new
    assert list(parse_profile(new, path).servers) == ["b", "c"]


def test_remove_server_in_inline_layout_still_removes_it(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    old = '[servers]\na = { command = "a" }\nb = { command = "b" }\n'
    path.write_text(old)
    remove_server(path, "a")
    assert list(parse_profile(path.read_text(), path).servers) == ["b"]
    assert path.with_name("profile.toml.bak").read_text() == old


def test_remove_unknown_server_is_exit_2_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(THREE)
    with pytest.raises(UsageError) as info:
        remove_server(path, "zzz")
    assert info.value.exit_code == 2
    assert info.value.hint is not None and "a, b, c" in info.value.hint
    assert path.read_text() == THREE
    assert not path.with_name("profile.toml.bak").exists()


def test_remove_from_a_missing_profile_is_a_profile_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as info:
        remove_server(tmp_path / "none.toml", "a")
    assert "none.toml" in info.value.message


def test_remove_keeps_the_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(THREE)
    path.chmod(0o640)
    remove_server(path, "a")
    assert mode_of(path) == 0o640
