"""``mcpctl tools lock|check|diff`` against a server whose surface an environment variable switches."""

from __future__ import annotations

import json
import shlex
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import SERVERS_DIR, stdio_server, write_profile

from cli.runner import mcpctl

CONTRACT = f"{shlex.quote(sys.executable)} {shlex.quote(str(SERVERS_DIR / 'contract.py'))}"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory with ``mcpctl.toml`` (server ``idx``: the contract test server), as the cwd."""
    write_profile(tmp_path / "mcpctl.toml", {"idx": stdio_server(CONTRACT)})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lock(*args: str, surface: str = "baseline") -> None:
    r = mcpctl("tools", "lock", *args, env={"CONTRACT_SURFACE": surface})
    assert r.exit_code == 0, r.stderr


def test_lock_is_written_beside_the_profile_and_locking_twice_gives_identical_bytes(project: Path) -> None:
    r = mcpctl("tools", "lock")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == f"wrote {project / 'mcpctl.lock'} (idx)\n"
    first = (project / "mcpctl.lock").read_bytes()
    assert first.endswith(b"}\n") and b'\n  "lockVersion": 1,' in first
    again = mcpctl("tools", "lock", "--update")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.startswith("unchanged ")
    assert (project / "mcpctl.lock").read_bytes() == first
    assert b"timestamp" not in first and b"connect_ms" not in first


def test_lock_refuses_to_overwrite_without_update(project: Path) -> None:
    lock()
    r = mcpctl("tools", "lock")
    assert r.exit_code == 2
    assert "mcpctl.lock exists" in r.stderr and "--update" in r.stderr


def test_check_of_an_unchanged_server_is_exit_0_with_no_changes(project: Path) -> None:
    lock()
    r = mcpctl("tools", "check")
    assert (r.exit_code, r.stdout) == (0, "no changes\n"), r.stderr


def test_check_lists_every_breaking_change_and_exits_1(project: Path) -> None:
    lock()
    r = mcpctl("tools", "check", "-o", "json", env={"CONTRACT_SURFACE": "breaking"})
    assert r.exit_code == 1, r.stderr
    found = r.json()
    assert found["compatible"] == [] and found["info"] == []
    assert {(c["kind"], c["item"], c["path"], c["message"]) for c in found["breaking"]} == {
        ("tool", "stats", "", "tool removed"),
        ("tool", "search", "inputSchema.properties.tenant", "required input property added"),
        ("tool", "search", "inputSchema.properties.score.type", "type narrowed"),
        ("tool", "search", "inputSchema.properties.limit.maximum", "maximum tightened"),
        ("tool", "search", "inputSchema.properties.order.enum", 'enum values removed: "desc"'),
        ("tool", "search", "outputSchema.properties.total", "output property removed"),
        ("tool", "delete", "annotations.destructiveHint", "now destructive"),
        ("resource", "index://schema", "", "resource removed"),
        ("prompt", "summarize", "arguments.style", "made required"),
    }
    assert all(c["server"] == "idx" for c in found["breaking"])


def test_check_of_compatible_changes_is_exit_0_and_strict_makes_it_1(project: Path) -> None:
    lock()
    r = mcpctl("tools", "check", env={"CONTRACT_SURFACE": "compatible"})
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0] == "idx"
    assert "  compatible  tool suggest: tool added" in r.stdout
    assert "  info        tool search description: description changed" in r.stdout
    assert r.stdout.splitlines()[-1] == "0 breaking, 6 compatible, 1 info"
    strict = mcpctl("tools", "check", "--strict", env={"CONTRACT_SURFACE": "compatible"})
    assert strict.exit_code == 1


def test_ignore_globs_leave_matching_changes_out(project: Path) -> None:
    lock()
    r = mcpctl(
        "tools",
        "check",
        "--ignore",
        "idx.search*",
        "--ignore",
        "idx.stats",
        "-o",
        "json",
        env={"CONTRACT_SURFACE": "breaking"},
    )
    assert r.exit_code == 1
    assert {c["item"] for c in r.json()["breaking"]} == {"delete", "index://schema", "summarize"}


def test_check_writes_a_junit_report_that_names_the_breaking_changes(project: Path) -> None:
    lock()
    r = mcpctl("tools", "check", "--report", "contract.xml", env={"CONTRACT_SURFACE": "breaking"})
    assert r.exit_code == 1
    suite = ET.parse(project / "contract.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "1" and suite.get("failures") == "1"
    failure = suite.find("testcase/failure")
    assert failure is not None and "tool stats" in (failure.text or "")


def test_a_server_that_cannot_be_reached_is_its_own_exit_code(project: Path) -> None:
    lock()
    write_profile(project / "mcpctl.toml", {"idx": {"command": "/nonexistent/server"}})
    r = mcpctl("tools", "check", "--retries", "0")
    assert r.exit_code == 3
    assert "command not found: /nonexistent/server" in r.stderr


def test_a_missing_lock_is_exit_2_with_a_hint(project: Path) -> None:
    r = mcpctl("tools", "check")
    assert r.exit_code == 2
    assert "lock file not found" in r.stderr and "mcpctl tools lock" in r.stderr


def test_diff_classifies_two_lock_files_offline(project: Path) -> None:
    lock("-f", "old.lock")
    lock("-f", "new.lock", surface="compatible")
    r = mcpctl("tools", "diff", "old.lock", "new.lock", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert len(r.json()["compatible"]) == 6
    back = mcpctl("tools", "diff", "new.lock", "old.lock")
    assert back.exit_code == 1  # going back removes what was added
    assert "tool suggest: tool removed" in back.stdout


def test_diff_of_a_file_that_is_not_a_lock_is_exit_2(project: Path) -> None:
    (project / "bad.lock").write_text("{}\n")
    lock("-f", "ok.lock")
    r = mcpctl("tools", "diff", "bad.lock", "ok.lock")
    assert r.exit_code == 2
    assert "not a lock file" in r.stderr
    assert json.loads((project / "ok.lock").read_text())["lockVersion"] == 1


def test_export_writes_the_name_map_and_an_unknown_format_is_exit_2(project: Path) -> None:
    r = mcpctl("tools", "export", "--format", "openai", "--map", "names.json")
    assert r.exit_code == 0, r.stderr
    exported = r.json()
    assert [t["function"]["name"] for t in exported] == ["idx__search", "idx__delete", "idx__stats"]
    assert json.loads((project / "names.json").read_text()) == {
        "idx__search": "idx.search",
        "idx__delete": "idx.delete",
        "idx__stats": "idx.stats",
    }
    bad = mcpctl("tools", "export", "--format", "claude")
    assert bad.exit_code == 2
    assert "unknown --format 'claude'" in bad.stderr and "anthropic, openai, gemini, mcp" in bad.stderr
