"""mcpctl.ops.imports: each program's configuration, in the shape that program writes it, planned into the profile."""

from __future__ import annotations

import json
import os
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest

from mcpctl.core.errors import UsageError
from mcpctl.core.files import ParseError
from mcpctl.core.profile import ServerConfig, parse_profile
from mcpctl.ops.imports.convert import sanitize_name
from mcpctl.ops.imports.plan import ImportPlan, ImportRequest, apply_plan, plan_import
from mcpctl.ops.imports.sources import locations, strip_jsonc

GITHUB_PAT = "ghp_inlineSecret0123456789"
CONTEXT7_KEY = "c7-inline-secret-value"
DB_PASSWORD = "hunter2-db-password"


@pytest.fixture(autouse=True)
def _no_foreign_config_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CODEX_HOME", "APPDATA", "CLAUDE_CONFIG_DIR", "USERPROFILE"):
        monkeypatch.delenv(name, raising=False)


class Machine:
    """A temporary home, config folder and project directory, with helpers to plan an import there."""

    def __init__(self, root: Path) -> None:
        self.home = root / "home"
        self.config = self.home / ".config"
        self.project = root / "project"
        self.profile = root / "profile" / "profile.toml"
        for folder in (self.home, self.config, self.project):
            folder.mkdir(parents=True, exist_ok=True)
        self.environ: dict[str, str] = {"HOME": str(self.home), "XDG_CONFIG_HOME": str(self.config)}

    def write(self, path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def existing(self) -> dict[str, ServerConfig]:
        if not self.profile.exists():
            return {}
        return dict(parse_profile(self.profile.read_text(), self.profile).servers)

    def plan(
        self,
        source: str | None = None,
        *,
        platform: str = "linux",
        existing: dict[str, ServerConfig] | None = None,
        **kw: Any,
    ) -> ImportPlan:
        request = ImportRequest(source=source, environ=self.environ, cwd=self.project, platform=platform, **kw)
        return plan_import(request, self.existing() if existing is None else existing, self.profile)


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


def tables(plan: ImportPlan) -> dict[str, dict[str, Any]]:
    return {s.name: s.table for s in plan.servers}


def texts(plan: ImportPlan, level: str | None = None) -> str:
    return "\n".join(str(m) for m in plan.messages if level is None or m.level == level)


def all_output(plan: ImportPlan) -> str:
    """Everything the command could print: messages, the dry-run TOML, the JSON document."""
    return "\n".join([texts(plan), plan.toml(), json.dumps(plan.to_json(dry_run=True)), plan.summary()])


# ======================================================================================================================
# Fixtures in the shapes the programs write
# ======================================================================================================================

CLAUDE_DESKTOP = f"""
{{
  "mcpServers": {{
    "filesystem": {{
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop", "/Users/me/Downloads"]
    }},
    "github": {{
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github"],
      "env": {{"GITHUB_PERSONAL_ACCESS_TOKEN": "{GITHUB_PAT}"}},
      "autoApprove": ["search_repositories"]
    }},
    "puppeteer": {{
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-puppeteer"],
      "disabled": true
    }}
  }},
  "globalShortcut": "Alt+Space"
}}
"""

VSCODE_MCP_JSON = """
{
  // 💡 Inputs are prompted on first server start, then stored securely by VS Code.
  "inputs": [
    {
      "type": "promptString",
      "id": "perplexity-key",
      "description": "Perplexity API Key",
      "password": true,
    },
  ],
  "servers": {
    // https://github.com/ppl-ai/modelcontextprotocol/
    "Perplexity": {
      "type": "stdio",
      "command": "npx",
      "args": ["-y", "server-perplexity-ask", "--root", "${workspaceFolder}/docs"],
      "env": {
        "PERPLEXITY_API_KEY": "${input:perplexity-key}", // prompted
      },
      "envFile": "${workspaceFolder}/.env",
    },
    /* a remote one, with the token from the environment */
    "github": {
      "type": "http",
      "url": "https://api.githubcopilot.com/mcp/",
      "headers": {"Authorization": "Bearer ${env:GITHUB_TOKEN}"},
      "gallery": true,
    },
    "events": {"type": "sse", "url": "http://localhost:3001/messages", /* trailing */ },
  },
}
"""

CODEX_CONFIG = f"""
model = "gpt-5"
approval_policy = "on-request"

# MCP servers
[mcp_servers.context7]
command = "npx"
args = ["-y", "@upstash/context7-mcp"]
startup_timeout_ms = 20_000
env_vars = ["HTTPS_PROXY"]

[mcp_servers.context7.env]
CONTEXT7_API_KEY = "{CONTEXT7_KEY}"

[mcp_servers.figma]
url = "https://mcp.figma.com/sse"
bearer_token_env_var = "FIGMA_OAUTH_TOKEN"
http_headers = {{ "X-Figma-Region" = "us-east-1" }}
env_http_headers = {{ "X-Api-Key" = "FIGMA_API_KEY" }}
enabled = false
tool_timeout_sec = 120
enabled_tools = ["get_code"]
scopes = ["files:read"]
"""


# ======================================================================================================================
# JSONC
# ======================================================================================================================


def test_jsonc_comments_and_trailing_commas_become_spaces_and_strings_are_kept() -> None:
    text = (
        '{\n  // line comment\n  "url": "https://x.test//a", /* block */\n'
        '  "glob": "/* not a comment */",\n  "a": [1, 2,],\n}\n'
    )
    stripped = strip_jsonc(text)
    assert json.loads(stripped) == {"url": "https://x.test//a", "glob": "/* not a comment */", "a": [1, 2]}
    assert len(stripped) == len(text)
    assert stripped.count("\n") == text.count("\n")


def test_jsonc_escaped_quotes_do_not_end_a_string() -> None:
    text = r'{"s": "say \"hi\" // still a string", "t": "back\\", }'
    assert json.loads(strip_jsonc(text)) == {"s": 'say "hi" // still a string', "t": "back\\"}


def test_jsonc_keeps_lines_so_errors_point_at_the_source_line() -> None:
    text = '{\n  /* one\n     two */\n  "a": 1\n  "b": 2\n}\n'
    with pytest.raises(json.JSONDecodeError) as info:
        json.loads(strip_jsonc(text))
    assert info.value.lineno == 5


@pytest.mark.parametrize("text", ["[,]", "{,}", "[1,,]"])
def test_jsonc_only_strips_commas_that_follow_a_value(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(strip_jsonc(text))


def test_jsonc_unterminated_block_comment_is_an_error() -> None:
    with pytest.raises(ParseError, match="unterminated"):
        strip_jsonc('{"a": 1 /* never closed\n}')


# ======================================================================================================================
# Locations
# ======================================================================================================================


def test_claude_desktop_lives_in_the_os_specific_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "APPDATA": str(tmp_path / "roaming")}

    def claude(platform: str, environ: dict[str, str]) -> Path:
        return locations("claude", environ, tmp_path, platform)[0].path

    assert claude("linux", env) == tmp_path / "xdg" / "Claude" / "claude_desktop_config.json"
    assert claude("linux", {"HOME": str(home)}) == home / ".config" / "Claude" / "claude_desktop_config.json"
    assert claude("darwin", env) == home / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"
    assert claude("win32", env) == tmp_path / "roaming" / "Claude" / "claude_desktop_config.json"


def test_default_looks_everywhere_project_files_first_within_a_program(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path / "h"), "CODEX_HOME": str(tmp_path / "codex")}
    labels = [(loc.label, loc.path) for loc in locations(None, env, tmp_path / "p", "linux")]
    assert [label for label, _ in labels] == [
        "Claude Desktop",
        "Claude Code (local)",
        "Claude Code (project)",
        "Claude Code (user)",
        "Cursor (project)",
        "Cursor (user)",
        "VS Code (workspace)",
        "VS Code (user)",
        "VS Code (user settings)",
        "Codex (project)",
        "Codex",
    ]
    paths = dict(labels)
    assert paths["Codex"] == tmp_path / "codex" / "config.toml"
    assert paths["Claude Code (project)"] == tmp_path / "p" / ".mcp.json"
    assert paths["VS Code (user)"] == tmp_path / "h" / ".config" / "Code" / "User" / "mcp.json"


# ======================================================================================================================
# Claude Desktop
# ======================================================================================================================


def test_claude_desktop_servers_are_imported_as_written(machine: Machine) -> None:
    machine.write(machine.config / "Claude" / "claude_desktop_config.json", CLAUDE_DESKTOP)
    plan = machine.plan("claude")
    assert tables(plan) == {
        "filesystem": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop", "/Users/me/Downloads"],
        },
        "github": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-github"],
            "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": GITHUB_PAT},
        },
        "puppeteer": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-puppeteer"], "enabled": False},
    }
    assert "Claude Desktop: 3 servers in" in texts(plan, "note")


def test_inline_secret_is_imported_but_flagged_by_server_and_key_never_by_value(machine: Machine) -> None:
    machine.write(machine.config / "Claude" / "claude_desktop_config.json", CLAUDE_DESKTOP)
    plan = machine.plan("claude")
    warning = next(w for w in plan.warnings if w.key == "env.GITHUB_PERSONAL_ACCESS_TOKEN")
    assert warning.server == "github"
    assert "inline secret" in str(warning)
    assert "${GITHUB_PERSONAL_ACCESS_TOKEN}" in str(warning)
    assert GITHUB_PAT not in all_output(plan)
    assert GITHUB_PAT in plan.secret_values
    assert tomllib.loads(plan.toml())["servers"]["github"]["env"] == {"GITHUB_PERSONAL_ACCESS_TOKEN": "***"}


def test_keys_without_meaning_are_reported_not_silently_dropped(machine: Machine) -> None:
    machine.write(machine.config / "Claude" / "claude_desktop_config.json", CLAUDE_DESKTOP)
    plan = machine.plan("claude")
    assert [(w.server, w.key) for w in plan.warnings if "no meaning" in w.text] == [("github", "autoApprove")]


def test_windows_claude_desktop_under_appdata(machine: Machine) -> None:
    roaming = machine.home / "AppData" / "Roaming"
    machine.environ["APPDATA"] = str(roaming)
    machine.write(roaming / "Claude" / "claude_desktop_config.json", CLAUDE_DESKTOP)
    plan = machine.plan("claude", platform="win32")
    assert set(tables(plan)) == {"filesystem", "github", "puppeteer"}


# ======================================================================================================================
# Claude Code
# ======================================================================================================================


@pytest.fixture
def claude_code(machine: Machine) -> Machine:
    claude_json = {
        "numStartups": 42,
        "mcpServers": {
            "sentry": {"type": "http", "url": "https://mcp.sentry.dev/mcp"},
            "airtable": {
                "type": "stdio",
                "command": "npx",
                "args": ["-y", "airtable-mcp-server"],
                "env": {"AIRTABLE_API_KEY": "${AIRTABLE_API_KEY}"},
            },
        },
        "projects": {
            str(machine.project): {
                "allowedTools": [],
                "mcpServers": {
                    "db": {
                        "type": "stdio",
                        "command": "uvx",
                        "args": ["mcp-server-postgres", "--password", DB_PASSWORD],
                        "env": {"PGPORT": 5432, "PGSSL": True},
                    }
                },
                "disabledMcpjsonServers": ["legacy"],
            },
            "/somewhere/else": {"mcpServers": {"elsewhere": {"command": "x"}}},
        },
    }
    machine.write(machine.home / ".claude.json", json.dumps(claude_json, indent=2))
    mcp_json = {
        "mcpServers": {
            "api": {
                "type": "sse",
                "url": "${API_BASE_URL:-https://api.example.com}/sse",
                "headers": {"Authorization": "Bearer ${API_KEY}", "X-Team": "platform"},
            },
            "sentry": {"type": "http", "url": "https://sentry.internal.example/mcp"},
            "legacy": {"command": "old-server", "oauth": {"clientId": "abc", "callbackPort": 8080}},
        }
    }
    machine.write(machine.project / ".mcp.json", json.dumps(mcp_json, indent=2))
    return machine


def test_claude_code_reads_local_then_project_then_user_scope(claude_code: Machine) -> None:
    plan = claude_code.plan("claude-code")
    assert [s.name for s in plan.servers] == ["db", "api", "sentry", "legacy", "airtable"]
    assert [s.location.label for s in plan.servers] == [
        "Claude Code (local)",
        "Claude Code (project)",
        "Claude Code (project)",
        "Claude Code (project)",
        "Claude Code (user)",
    ]
    # the project's 'sentry' shadows the user's, as in Claude Code; the other project's servers are not ours
    assert tables(plan)["sentry"] == {"url": "https://sentry.internal.example/mcp"}
    assert [(s.name, s.location.label) for s in plan.skipped] == [("sentry", "Claude Code (user)")]
    assert "elsewhere" not in tables(plan)


def test_claude_code_references_and_transports_are_kept(claude_code: Machine) -> None:
    found = tables(claude_code.plan("claude-code"))
    assert found["api"] == {
        "url": "${API_BASE_URL:-https://api.example.com}/sse",
        "http_headers": {"Authorization": "Bearer ${API_KEY}", "X-Team": "platform"},
    }
    assert found["airtable"]["env"] == {"AIRTABLE_API_KEY": "${AIRTABLE_API_KEY}"}
    assert found["db"]["env"] == {"PGPORT": "5432", "PGSSL": "true"}


def test_claude_code_rejected_project_server_is_imported_disabled(claude_code: Machine) -> None:
    plan = claude_code.plan("claude-code")
    assert tables(plan)["legacy"] == {"command": "old-server", "enabled": False}
    assert any(w.key == "oauth" and w.server == "legacy" for w in plan.warnings)


def test_secret_in_arguments_is_flagged_and_masked(claude_code: Machine) -> None:
    plan = claude_code.plan("claude-code")
    assert any(w.server == "db" and w.key == "args" for w in plan.warnings)
    assert DB_PASSWORD not in all_output(plan)
    assert tables(plan)["db"]["args"][-1] == DB_PASSWORD  # what is written is what the source said


# ======================================================================================================================
# Cursor
# ======================================================================================================================


def test_cursor_variables_become_ours_and_odd_names_are_sanitised(machine: Machine) -> None:
    machine.write(
        machine.home / ".cursor" / "mcp.json",
        """
        {
          "mcpServers": {
            "linear": {"url": "https://mcp.linear.app/sse"},
            "my tool.v2": {
              "command": "node",
              "args": ["${userHome}/tools/server.js"],
              "env": {"API_KEY": "${env:MY_API_KEY}", "MODE": "fast"},
              "envFile": "${workspaceFolder}/.env"
            }
          }
        }
        """,
    )
    plan = machine.plan("cursor")
    assert tables(plan) == {
        "linear": {"url": "https://mcp.linear.app/sse"},
        "my-tool-v2": {
            "command": "node",
            "args": ["${HOME}/tools/server.js"],
            "env": {"API_KEY": "${MY_API_KEY}", "MODE": "fast"},
        },
    }
    assert parse_profile(plan.toml(), machine.profile).servers["linear"].transport == "sse"
    assert any("imported as 'my-tool-v2'" in n.text for n in plan.notes)
    assert any(w.key == "envFile" for w in plan.warnings)
    assert not any("inline secret" in w.text for w in plan.warnings)  # references are not inline secrets
    assert "Cursor (project): not found" in texts(plan, "note")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("github", "github"), ("my.server", "my-server"), ("@scope/pkg", "scope-pkg"), ("a b", "a-b"), ("...", "server")],
)
def test_sanitize_name(name: str, expected: str) -> None:
    assert sanitize_name(name) == expected


# ======================================================================================================================
# VS Code
# ======================================================================================================================


def test_vscode_jsonc_with_comments_trailing_commas_inputs_and_types(machine: Machine) -> None:
    machine.write(machine.project / ".vscode" / "mcp.json", VSCODE_MCP_JSON)
    plan = machine.plan("vscode")
    assert tables(plan) == {
        "Perplexity": {
            "command": "npx",
            "args": ["-y", "server-perplexity-ask", "--root", f"{machine.project}/docs"],
            "env": {"PERPLEXITY_API_KEY": "${PERPLEXITY_KEY}"},
        },
        "github": {
            "url": "https://api.githubcopilot.com/mcp/",
            "http_headers": {"Authorization": "Bearer ${GITHUB_TOKEN}"},
        },
        "events": {"url": "http://localhost:3001/messages", "transport": "sse"},
    }
    prompt = next(w for w in plan.warnings if "input:perplexity-key" in w.text)
    assert (prompt.server, prompt.key) == ("Perplexity", "env.PERPLEXITY_API_KEY")
    assert "PERPLEXITY_KEY" in prompt.text
    ignored = sorted((w.server, w.key) for w in plan.warnings if "no meaning" in w.text)
    assert ignored == [("Perplexity", "envFile"), ("github", "gallery")]


def test_vscode_user_settings_mcp_servers(machine: Machine) -> None:
    machine.write(
        machine.config / "Code" / "User" / "settings.json",
        """
        {
          "editor.fontSize": 14, // big
          "mcp": {
            "servers": {
              "fetch": {"type": "stdio", "command": "uvx", "args": ["mcp-server-fetch"], "cwd": "${workspaceFolder}"},
            },
          },
        }
        """,
    )
    plan = machine.plan("vscode")
    assert tables(plan) == {"fetch": {"command": "uvx", "args": ["mcp-server-fetch"], "cwd": "${PWD:-.}"}}
    assert any("${workspaceFolder}" in n.text and n.key == "cwd" for n in plan.notes)


def test_vscode_null_env_value_and_unknown_variable_are_reported(machine: Machine) -> None:
    machine.write(
        machine.project / ".vscode" / "mcp.json",
        '{"servers": {"s": {"command": "x", "env": {"DROP": null, "CFG": "${config:editor.tabSize}"}}}}',
    )
    plan = machine.plan("vscode")
    assert tables(plan)["s"]["env"] == {"CFG": "${config:editor.tabSize}"}
    assert {w.key for w in plan.warnings} == {"env.DROP", "env.CFG"}


# ======================================================================================================================
# Codex
# ======================================================================================================================


def test_codex_keys_are_ours_and_milliseconds_become_seconds(machine: Machine) -> None:
    codex_home = machine.home / "codex-home"
    machine.environ["CODEX_HOME"] = str(codex_home)
    machine.write(codex_home / "config.toml", CODEX_CONFIG)
    plan = machine.plan("codex")
    assert tables(plan) == {
        "context7": {
            "command": "npx",
            "args": ["-y", "@upstash/context7-mcp"],
            "env": {"CONTEXT7_API_KEY": CONTEXT7_KEY},
            "env_vars": ["HTTPS_PROXY"],
            "env_inherit": False,
            "startup_timeout_sec": 20,
        },
        "figma": {
            "url": "https://mcp.figma.com/sse",
            "transport": "streamable-http",
            "bearer_token_env_var": "FIGMA_OAUTH_TOKEN",
            "http_headers": {"X-Figma-Region": "us-east-1"},
            "env_http_headers": {"X-Api-Key": "FIGMA_API_KEY"},
            "enabled": False,
            "enabled_tools": ["get_code"],
            "tool_timeout_sec": 120,
        },
    }
    assert [(w.server, w.key) for w in plan.warnings] == [("context7", "env.CONTEXT7_API_KEY"), ("figma", "scopes")]
    assert CONTEXT7_KEY not in all_output(plan)


def test_codex_default_home_and_bad_value_types_skip_the_server(machine: Machine) -> None:
    machine.write(
        machine.home / ".codex" / "config.toml",
        """
        [mcp_servers.good]
        command = "good-server"

        [mcp_servers.bad]
        command = "bad-server"
        args = "--not-a-list"
        """,
    )
    plan = machine.plan("codex")
    assert list(tables(plan)) == ["good"]
    assert [s.name for s in plan.skipped] == ["bad"]
    assert any(w.server == "bad" and "args" in str(w) for w in plan.warnings)


# ======================================================================================================================
# A file given by path
# ======================================================================================================================


def test_file_by_path_is_told_by_its_content(machine: Machine) -> None:
    vscode = machine.write(machine.home / "shared" / "team-mcp.jsonc", VSCODE_MCP_JSON)
    assert set(tables(machine.plan(str(vscode)))) == {"Perplexity", "github", "events"}
    codex = machine.write(machine.home / "codex.toml", CODEX_CONFIG)
    assert set(tables(machine.plan(str(codex)))) == {"context7", "figma"}
    bare = machine.write(
        machine.home / "servers", '// cline\n{"mcpServers": {"x": {"command": "x", "alwaysAllow": []}}}'
    )
    plan = machine.plan(str(bare))
    assert tables(plan) == {"x": {"command": "x"}}
    assert [w.key for w in plan.warnings] == ["alwaysAllow"]


def test_file_by_path_may_be_another_mcpctl_profile(machine: Machine) -> None:
    other = machine.write(
        machine.home / "team.toml",
        '[defaults]\nretries = 1\n\n[servers.demo]\ncommand = "python"\nenv_vars = ["X"]\n\n'
        '[servers.events]\nurl = "https://x.test/sse"\n',
    )
    assert tables(machine.plan(str(other))) == {
        "demo": {"command": "python", "env_vars": ["X"]},
        "events": {"url": "https://x.test/sse"},
    }


def test_relative_file_is_read_from_the_working_directory(machine: Machine) -> None:
    machine.write(machine.project / "mcp.json", '{"servers": {"s": {"type": "stdio", "command": "x"}}}')
    assert tables(machine.plan("mcp.json")) == {"s": {"command": "x"}}


# ======================================================================================================================
# Errors
# ======================================================================================================================


def usage_error(machine: Machine, source: str | None = None) -> UsageError:
    with pytest.raises(UsageError) as info:
        machine.plan(source)
    assert info.value.exit_code == 2
    return info.value


def test_invalid_json_names_the_file_and_line(machine: Machine) -> None:
    path = machine.write(
        machine.home / ".cursor" / "mcp.json", '{\n  "mcpServers": {\n    "a": {"command": "x"}\n    "b": {}\n  }\n}\n'
    )
    error = usage_error(machine, "cursor")
    assert str(path) in error.message
    assert "line 4" in error.message


def test_invalid_toml_names_the_file(machine: Machine) -> None:
    path = machine.write(machine.home / ".codex" / "config.toml", "[mcp_servers.x\ncommand = 1\n")
    error = usage_error(machine, "codex")
    assert str(path) in error.message
    assert "invalid TOML" in error.message


def test_an_invalid_file_stops_the_default_scan_too(machine: Machine) -> None:
    machine.write(machine.config / "Claude" / "claude_desktop_config.json", CLAUDE_DESKTOP)
    machine.write(machine.config / "Code" / "User" / "settings.json", "{ not json")
    assert "settings.json" in usage_error(machine).message


@pytest.mark.parametrize(
    ("text", "expected"),
    [("[]", "expected a JSON object"), ('{"mcpServers": []}', "mcpServers: expected an object")],
)
def test_wrong_shapes_name_the_file(machine: Machine, text: str, expected: str) -> None:
    machine.write(machine.home / ".cursor" / "mcp.json", text)
    assert expected in usage_error(machine, "cursor").message


def test_a_directory_is_not_a_configuration_file(machine: Machine) -> None:
    (machine.home / ".cursor" / "mcp.json").mkdir(parents=True)
    assert "is a directory" in usage_error(machine, "cursor").message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_a_usage_error(machine: Machine) -> None:
    path = machine.write(machine.home / ".cursor" / "mcp.json", "{}")
    path.chmod(0)
    assert "cannot read" in usage_error(machine, "cursor").message


def test_missing_file_given_by_path(machine: Machine) -> None:
    assert "no such file" in usage_error(machine, "nowhere.json").message


def test_file_without_servers_given_by_path(machine: Machine) -> None:
    machine.write(machine.project / "package.json", '{"name": "x"}')
    assert "no MCP servers here" in usage_error(machine, "package.json").message


def test_nothing_found_anywhere_lists_the_places_looked(machine: Machine) -> None:
    machine.write(machine.home / ".claude.json", '{"numStartups": 1}')  # Claude Code always writes one
    error = usage_error(machine)
    assert error.message == "no MCP servers found to import"
    assert len(error.details) == 11
    assert any("Claude Code (user): no servers in" in d for d in error.details)
    assert any("Codex: not found" in d for d in error.details)
    assert error.hint is not None and "--from" in error.hint


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"args": ["x"]}, "neither 'command' nor 'url'"),
        ({"type": "websocket", "url": "ws://x"}, "unknown transport 'websocket'"),
        ({"type": "http", "command": "x"}, "needs a 'url'"),
        ({"command": "x", "args": [{"nested": 1}]}, "expected an array of strings"),
        ({"command": "x", "url": "http://x/mcp"}, "both 'command' and 'url'"),
        ("npx server", "expected an object"),
    ],
)
def test_servers_that_cannot_be_imported_are_skipped_with_a_warning(machine: Machine, body: Any, reason: str) -> None:
    machine.write(machine.project / ".mcp.json", json.dumps({"mcpServers": {"bad": body, "ok": {"command": "ok"}}}))
    plan = machine.plan("claude-code")
    assert list(tables(plan)) == ["ok"]
    assert [s.name for s in plan.skipped] == ["bad"]
    assert any(w.server == "bad" and reason in w.text for w in plan.warnings)


# ======================================================================================================================
# Name clashes
# ======================================================================================================================


@pytest.fixture
def clash(machine: Machine) -> Machine:
    machine.profile.parent.mkdir(parents=True)
    machine.profile.write_text(
        '# my servers\n[servers.github]\ncommand = "docker"\nargs = ["run", "ghcr.io/github/github-mcp-server"]\n\n'
        '[servers.filesystem]\ncommand = "npx"\n'
        'args = ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop", "/Users/me/Downloads"]\n'
    )
    machine.write(machine.config / "Claude" / "claude_desktop_config.json", CLAUDE_DESKTOP)
    return machine


def test_clash_with_the_profile_is_skipped_with_a_hint(clash: Machine) -> None:
    plan = clash.plan("claude")
    assert list(tables(plan)) == ["puppeteer"]
    reasons = {s.name: s.reason for s in plan.skipped}
    assert reasons["filesystem"] == "already in the profile as 'filesystem'"
    assert "'github' is already in the profile" in reasons["github"]
    assert "--prefix" in reasons["github"] and "--force" in reasons["github"]


def test_prefix_imports_a_clashing_server_under_a_new_name(clash: Machine) -> None:
    plan = clash.plan("claude", prefix="claude-")
    assert [s.name for s in plan.servers] == ["claude-github", "puppeteer"]
    assert plan.servers[0].source_name == "github"
    assert [s.name for s in plan.skipped] == ["filesystem"]  # identical: nothing to do


def test_force_replaces_a_clashing_server(clash: Machine) -> None:
    plan = clash.plan("claude", force=True)
    assert [(s.name, s.replaces) for s in plan.servers] == [("github", True), ("puppeteer", False)]


def test_prefix_and_force_together_are_a_usage_error(clash: Machine) -> None:
    with pytest.raises(UsageError, match="either --prefix"):
        clash.plan("claude", prefix="x-", force=True)


def test_bad_prefix_is_a_usage_error(clash: Machine) -> None:
    with pytest.raises(UsageError, match="bad --prefix"):
        clash.plan("claude", prefix="a.b")


def test_clash_between_sources_first_wins_identical_ones_quietly(machine: Machine) -> None:
    machine.write(machine.config / "Claude" / "claude_desktop_config.json", CLAUDE_DESKTOP)
    machine.write(
        machine.home / ".cursor" / "mcp.json",
        json.dumps(
            {
                "mcpServers": {
                    "github": {"command": "docker", "args": ["run", "github-mcp"]},
                    "puppeteer": {
                        "command": "npx",
                        "args": ["-y", "@modelcontextprotocol/server-puppeteer"],
                        "disabled": True,
                    },
                }
            }
        ),
    )
    plan = machine.plan()
    assert [(s.name, s.location.label) for s in plan.servers] == [
        ("filesystem", "Claude Desktop"),
        ("github", "Claude Desktop"),
        ("puppeteer", "Claude Desktop"),
    ]
    reasons = {(s.name, s.location.label): s.reason for s in plan.skipped}
    assert reasons[("github", "Cursor (user)")] == (
        "'github' is imported from an earlier source; use --prefix P to import it as P<name>"
    )
    assert reasons[("puppeteer", "Cursor (user)")].startswith("same as")
    prefixed = machine.plan(prefix="cursor-")
    assert [s.name for s in prefixed.servers][-1] == "cursor-github"


# ======================================================================================================================
# Writing
# ======================================================================================================================


def test_apply_appends_and_keeps_the_profile_byte_for_byte(clash: Machine) -> None:
    before = clash.profile.read_bytes()
    plan = clash.plan("claude", prefix="claude-")
    apply_plan(plan)
    after = clash.profile.read_bytes()
    assert after.startswith(before)
    servers = parse_profile(after.decode(), clash.profile).servers
    assert set(servers) == {"github", "filesystem", "claude-github", "puppeteer"}
    assert servers["puppeteer"].enabled is False
    assert not clash.profile.with_name("profile.toml.bak").exists()


def test_apply_with_force_keeps_the_original_as_bak(clash: Machine) -> None:
    with clash.profile.open("a") as handle:
        handle.write('\n[servers.fetch] # the old one\ncommand = "old-fetch"\n')
    clash.write(
        clash.home / ".cursor" / "mcp.json",
        json.dumps(
            {
                "mcpServers": {
                    "filesystem": {"command": "fs-server"},
                    "fetch": {"command": "uvx", "args": ["mcp-server-fetch"]},
                }
            }
        ),
    )
    before = clash.profile.read_bytes()
    plan = clash.plan(force=True)
    assert [(s.name, s.replaces) for s in plan.servers] == [("github", True), ("puppeteer", False), ("fetch", True)]
    assert "earlier source" in next(s.reason for s in plan.skipped if s.location.label == "Cursor (user)")
    apply_plan(plan)
    assert clash.profile.with_name("profile.toml.bak").read_bytes() == before
    servers = parse_profile(clash.profile.read_text(), clash.profile).servers
    assert servers["github"].command == "npx"
    assert servers["fetch"].args == ("mcp-server-fetch",)
    assert servers["filesystem"].args[-1] == "/Users/me/Downloads"


def test_apply_creates_a_missing_profile(machine: Machine) -> None:
    machine.write(machine.project / ".vscode" / "mcp.json", VSCODE_MCP_JSON)
    apply_plan(machine.plan("vscode"))
    assert set(parse_profile(machine.profile.read_text(), machine.profile).servers) == {
        "Perplexity",
        "github",
        "events",
    }


def test_dry_run_toml_parses_and_json_lists_imported_skipped_and_warnings(clash: Machine) -> None:
    plan = clash.plan("claude")
    assert set(tomllib.loads(plan.toml())["servers"]) == {"puppeteer"}
    doc = plan.to_json(dry_run=True)
    assert [i["name"] for i in doc["imported"]] == ["puppeteer"]
    assert {s["name"] for s in doc["skipped"]} == {"github", "filesystem"}
    assert doc["warnings"] == []  # skipped servers' warnings are not repeated
    assert doc["dry_run"] is True


def test_read_failure_names_the_file(machine: Machine, monkeypatch: pytest.MonkeyPatch) -> None:
    path = machine.write(machine.home / ".cursor" / "mcp.json", "{}")
    real = Path.read_bytes

    def refuse(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert usage_error(machine, "cursor").message == f"{path}: cannot read: Permission denied"
