"""``mcpctl servers import``: what it prints where, what it writes, and what it never prints."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest

from cli.runner import Result, mcpctl

GITHUB_PAT = "ghp_cliInlineSecret0123456789"
BEARER = "sk-live-bearer-987654321"

EXISTING_PROFILE = """\
# Team servers. Keep this comment.
[defaults]
startup_timeout_sec = 15   # slow laptops

[servers.github]
command = "docker"
args = ["run", "-i", "--rm", "ghcr.io/github/github-mcp-server"]  # the official image
"""

CLAUDE_DESKTOP = {
    "mcpServers": {
        "github": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-github"],
            "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": GITHUB_PAT},
        },
        "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]},
    }
}

VSCODE = """\
{
  // Workspace servers
  "inputs": [{"type": "promptString", "id": "api-token", "description": "API token", "password": true}],
  "servers": {
    "remote": {
      "type": "http",
      "url": "https://mcp.example.test/mcp",
      "headers": {"Authorization": "Bearer ${input:api-token}", "X-Team": "platform",},
    },
    "static": {"type": "sse", "url": "https://legacy.example.test/sse", "headers": {"X-Api-Key": "BEARER"}},
  },
}
""".replace("BEARER", BEARER)


@pytest.fixture(autouse=True)
def _no_foreign_config_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CODEX_HOME", "APPDATA", "CLAUDE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)


def home() -> Path:
    return Path(os.environ["HOME"])


def config() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"])


def user_profile() -> Path:
    return config() / "mcpctl" / "profile.toml"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def claude_desktop() -> Path:
    return write(config() / "Claude" / "claude_desktop_config.json", json.dumps(CLAUDE_DESKTOP, indent=2))


@pytest.fixture
def vscode() -> Path:
    return write(Path.cwd() / ".vscode" / "mcp.json", VSCODE)


@pytest.fixture
def existing() -> bytes:
    write(user_profile(), EXISTING_PROFILE)
    return user_profile().read_bytes()


def assert_no_secret(result: Result) -> None:
    for secret in (GITHUB_PAT, BEARER):
        assert secret not in result.stdout
        assert secret not in result.stderr


# ======================================================================================================================
# --dry-run
# ======================================================================================================================


def test_dry_run_prints_toml_that_parses_and_writes_nothing(claude_desktop: Path, vscode: Path) -> None:
    result = mcpctl("servers", "import", "--dry-run")
    assert result.exit_code == 0, result.stderr
    servers = tomllib.loads(result.stdout)["servers"]
    assert list(servers) == ["github", "filesystem", "remote", "static"]
    assert servers["remote"] == {
        "url": "https://mcp.example.test/mcp",
        "http_headers": {"Authorization": "Bearer ${API_TOKEN}", "X-Team": "platform"},
    }
    assert servers["static"] == {"url": "https://legacy.example.test/sse", "http_headers": {"X-Api-Key": "***"}}
    assert servers["github"]["env"] == {"GITHUB_PERSONAL_ACCESS_TOKEN": "***"}
    assert not user_profile().exists()
    assert not user_profile().parent.exists()
    assert "nothing written" in result.stderr
    assert_no_secret(result)


def test_dry_run_says_on_stderr_what_was_found_where_and_what_was_not(claude_desktop: Path, vscode: Path) -> None:
    result = mcpctl("servers", "import", "--dry-run")
    assert f"Claude Desktop: 2 servers in {claude_desktop}" in result.stderr
    assert f"VS Code (workspace): 2 servers in {vscode}" in result.stderr
    assert f"Cursor (user): not found ({home() / '.cursor' / 'mcp.json'})" in result.stderr
    assert "Codex: not found" in result.stderr


# ======================================================================================================================
# Importing
# ======================================================================================================================


def test_import_appends_and_keeps_the_existing_profile_byte_for_byte(
    existing: bytes, claude_desktop: Path, vscode: Path
) -> None:
    result = mcpctl("servers", "import")
    assert result.exit_code == 0, result.stderr
    after = user_profile().read_bytes()
    assert after.startswith(existing)
    data = tomllib.loads(after.decode())
    assert list(data["servers"]) == ["github", "filesystem", "remote", "static"]
    assert data["servers"]["github"]["command"] == "docker"  # the clash was skipped
    assert result.stdout == (
        f"imported 3 servers from Claude Desktop, VS Code (workspace) into {user_profile()}: "
        "filesystem, remote, static\n"
    )
    assert "server 'github' from Claude Desktop: skipped: 'github' is already in the profile" in result.stderr
    assert_no_secret(result)


def test_inline_secrets_are_written_but_flagged_by_name_never_printed(claude_desktop: Path, vscode: Path) -> None:
    result = mcpctl("servers", "import")
    assert result.exit_code == 0, result.stderr
    assert_no_secret(result)
    assert (
        "mcpctl: warning: server 'github' from Claude Desktop: env.GITHUB_PERSONAL_ACCESS_TOKEN: inline secret"
        in result.stderr
    )
    assert "server 'static' from VS Code (workspace): http_headers.X-Api-Key: inline secret" in result.stderr
    assert "${input:api-token} is a VS Code prompt" in result.stderr
    written = tomllib.loads(user_profile().read_text())["servers"]
    assert written["github"]["env"]["GITHUB_PERSONAL_ACCESS_TOKEN"] == GITHUB_PAT
    shown = mcpctl("servers", "show", "github")
    assert shown.exit_code == 0
    assert GITHUB_PAT not in shown.stdout


def test_rerun_is_idempotent(claude_desktop: Path) -> None:
    assert mcpctl("servers", "import").exit_code == 0
    before = user_profile().read_bytes()
    again = mcpctl("servers", "import")
    assert again.exit_code == 0, again.stderr
    assert again.stdout == f"imported 0 servers into {user_profile()}\n"
    assert "already in the profile as 'github'" in again.stderr
    assert user_profile().read_bytes() == before


def test_prefix_imports_the_clashing_server_under_a_new_name(existing: bytes, claude_desktop: Path) -> None:
    result = mcpctl("servers", "import", "--from", "claude", "--prefix", "claude-")
    assert result.exit_code == 0, result.stderr
    assert user_profile().read_bytes().startswith(existing)
    servers = tomllib.loads(user_profile().read_text())["servers"]
    assert servers["github"]["command"] == "docker"
    assert servers["claude-github"]["command"] == "npx"
    assert "filesystem" in servers


def test_force_replaces_and_keeps_a_backup(existing: bytes, claude_desktop: Path) -> None:
    result = mcpctl("servers", "import", "--from", "claude", "--force")
    assert result.exit_code == 0, result.stderr
    assert "github (replaced)" in result.stdout
    servers = tomllib.loads(user_profile().read_text())["servers"]
    assert servers["github"]["command"] == "npx"
    assert user_profile().with_name("profile.toml.bak").read_bytes() == existing
    assert "# Team servers. Keep this comment." in user_profile().read_text()


def test_prefix_with_force_is_exit_2(claude_desktop: Path) -> None:
    result = mcpctl("servers", "import", "--prefix", "x-", "--force")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("mcpctl: error: use either --prefix")


def test_json_output_lists_imported_skipped_and_warnings(existing: bytes, claude_desktop: Path) -> None:
    result = mcpctl("servers", "import", "--from", "claude", "-o", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"profile", "dry_run", "imported", "skipped", "warnings"}
    assert [i["name"] for i in doc["imported"]] == ["filesystem"]
    assert [(s["name"], s["source"]) for s in doc["skipped"]] == [("github", "Claude Desktop")]
    assert doc["warnings"] == []
    assert "not found" not in result.stderr  # notes are for humans; stdout already says it all
    assert_no_secret(result)


def test_json_dry_run_masks_secrets_in_the_config(claude_desktop: Path) -> None:
    result = mcpctl("servers", "import", "--from", "claude", "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    github = next(i for i in doc["imported"] if i["name"] == "github")
    assert github["config"]["env"] == {"GITHUB_PERSONAL_ACCESS_TOKEN": "***"}
    assert [(w["server"], w["key"]) for w in doc["warnings"]] == [("github", "env.GITHUB_PERSONAL_ACCESS_TOKEN")]
    assert_no_secret(result)
    assert not user_profile().exists()


def test_quiet_silences_notes_but_keeps_warnings(claude_desktop: Path) -> None:
    result = mcpctl("servers", "import", "-q")
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("mcpctl: warning:") for line in lines)


def test_profile_option_writes_a_project_profile(claude_desktop: Path) -> None:
    result = mcpctl("servers", "import", "--from", "claude", "--profile", "./mcpctl.toml")
    assert result.exit_code == 0, result.stderr
    assert set(tomllib.loads(Path("mcpctl.toml").read_text())["servers"]) == {"github", "filesystem"}
    assert not user_profile().exists()


def test_codex_home_file_by_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write(tmp_path / "codex" / "config.toml", '[mcp_servers.docs]\ncommand = "docs-mcp"\nstartup_timeout_ms = 2500\n')
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "codex"))
    result = mcpctl("servers", "import", "--from", "codex", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == '[servers.docs]\ncommand = "docs-mcp"\nstartup_timeout_sec = 2.5\n'


# ======================================================================================================================
# Errors
# ======================================================================================================================


def test_nothing_found_is_exit_2_listing_the_places_looked() -> None:
    result = mcpctl("servers", "import")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("mcpctl: error: no MCP servers found to import\n")
    assert f"Claude Desktop: not found ({config() / 'Claude' / 'claude_desktop_config.json'})" in result.stderr
    assert "VS Code (workspace): not found" in result.stderr
    assert "hint: name a configuration file with --from PATH" in result.stderr
    assert not user_profile().exists()


def test_nothing_found_with_json_output_is_one_error_line() -> None:
    result = mcpctl("servers", "import", "--from", "cursor", "-o", "json")
    assert result.exit_code == 2
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["type"] == "usage"
    assert len(error["details"]) == 2


def test_invalid_source_is_exit_2_naming_file_and_line(claude_desktop: Path) -> None:
    bad = write(Path.cwd() / ".vscode" / "mcp.json", '{\n  "servers": {\n    "a": {"command": "x"}\n    "b": {}\n')
    result = mcpctl("servers", "import")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"mcpctl: error: {bad}: invalid JSON at line 4")
    assert "Traceback" not in result.stderr
    assert not user_profile().exists()  # nothing is written when any source is broken


def test_missing_file_given_by_path_is_exit_2() -> None:
    result = mcpctl("servers", "import", "--from", "nowhere.json")
    assert result.exit_code == 2
    assert "nowhere.json: no such file" in result.stderr


def test_invalid_existing_profile_is_exit_2(claude_desktop: Path) -> None:
    write(user_profile(), "[servers.x\n")
    result = mcpctl("servers", "import")
    assert result.exit_code == 2
    assert "invalid TOML" in result.stderr


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n"),
        ("deep.json", '{"mcpServers": ' + "[" * 100_000 + "]" * 100_000 + "}\n"),
    ],
)
def test_import_from_a_file_nested_too_deeply_is_exit_2_without_a_traceback(
    tmp_path: Path, name: str, text: str
) -> None:
    source = tmp_path / name
    source.write_text(text)
    result = mcpctl("servers", "import", "--from", str(source), "--dry-run")
    assert result.exit_code == 2, result.stderr
    assert "nested too deeply" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
