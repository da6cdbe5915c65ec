"""Naming a tool: an unknown ``SERVER.`` prefix fails at once; a bare name asks each server once, within its
connect deadline, and says which servers it could not ask."""

from __future__ import annotations

import shlex
from pathlib import Path

from conftest import DEMO, faulty, read_pids, stdio_server, write_profile

from cli.runner import mcpctl


def pid_noting_demo(pidfile: Path) -> dict[str, object]:
    """A profile server that writes its pid to ``pidfile`` the moment it starts, then runs the demo."""
    script = f"echo $$ >> {shlex.quote(str(pidfile))}; exec {DEMO}"
    return {"command": "sh", "args": ["-c", script]}


def test_unknown_server_prefix_is_exit_2_at_once_and_starts_no_server(tmp_path: Path) -> None:
    pids = tmp_path / "started.pids"
    profile = write_profile(tmp_path / "p.toml", {"a": pid_noting_demo(pids), "b": pid_noting_demo(pids)})
    r = mcpctl("call", "--profile", str(profile), "nosuch.echo", "message=hi")
    assert r.exit_code == 2, r
    assert r.stdout == ""
    assert "unknown server 'nosuch' in 'nosuch.echo'" in r.stderr
    assert "known servers: a, b" in r.stderr
    assert "SERVER.nosuch.echo" in r.stderr  # how to call a tool whose own name has a dot
    assert r.elapsed < 2
    assert read_pids(pids) == []


def test_unknown_server_prefix_suggests_the_closest_server(tmp_path: Path) -> None:
    profile = write_profile(tmp_path / "p.toml", {"demo": stdio_server(DEMO), "other": stdio_server(DEMO)})
    r = mcpctl("tools", "show", "--profile", str(profile), "dmeo.echo")
    assert r.exit_code == 2, r
    assert "did you mean demo?" in r.stderr


def test_a_dotted_tool_name_is_reached_through_its_server(tmp_path: Path) -> None:
    # The prefix of SERVER.TOOL is split at the first dot only: "a.echo" names tool "echo" on server a; a tool
    # called "x.y" would be "a.x.y". Here the tool after the first dot must exist on that server.
    profile = write_profile(tmp_path / "p.toml", {"a": stdio_server(DEMO), "b": stdio_server(DEMO)})
    r = mcpctl("call", "--profile", str(profile), "a.no.such", "-o", "json")
    assert r.exit_code == 2, r
    assert "unknown tool 'no.such' on server 'a'" in r.stderr


def test_bare_name_lookup_is_bounded_by_a_hanging_servers_connect_deadline_and_names_it(tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path / "p.toml",
        {"good": stdio_server(DEMO), "hung": stdio_server(faulty("hang-at-start"), startup_timeout_sec=2)},
        defaults={"retries": 2},
    )
    r = mcpctl("call", "--profile", str(profile), "nosuchtool", timeout=30)
    assert r.exit_code == 2, r
    assert r.elapsed < 5  # one connect deadline (2 s), not three attempts with backoff
    assert "unknown tool 'nosuchtool'; could not ask hung" in r.stderr
    assert "hung: timed out after 2s connecting" in r.stderr


def test_bare_name_found_on_one_server_while_another_hangs_is_called(tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path / "p.toml",
        {"good": stdio_server(DEMO), "hung": stdio_server(faulty("hang-at-start"), startup_timeout_sec=2)},
        defaults={"retries": 2},
    )
    r = mcpctl("call", "--profile", str(profile), "add", "a=2", "b=3", timeout=30)
    assert r.exit_code == 0, r
    assert r.stdout == "5\n"


def test_bare_name_when_no_server_can_be_asked_lists_them_all_with_the_failures_exit_code(tmp_path: Path) -> None:
    crash = stdio_server(faulty("crash-at-start"))
    profile = write_profile(tmp_path / "p.toml", {"one": crash, "two": crash}, defaults={"retries": 2})
    r = mcpctl("call", "--profile", str(profile), "echo", "message=hi", "-o", "json")
    assert r.exit_code == 3, r
    assert "could not look up tool 'echo': no server could be asked (one, two)" in r.stderr
    assert "retrying" not in r.stderr  # a lookup asks each server once


def test_unknown_server_prefix_of_a_prompt_is_exit_2(tmp_path: Path) -> None:
    pids = tmp_path / "started.pids"
    profile = write_profile(tmp_path / "p.toml", {"a": pid_noting_demo(pids), "b": pid_noting_demo(pids)})
    r = mcpctl("prompts", "get", "--profile", str(profile), "nosuch.review", "code=x")
    assert r.exit_code == 2, r
    assert "unknown server 'nosuch'" in r.stderr
    assert read_pids(pids) == []


def test_adhoc_names_are_always_bare_so_dotted_tools_stay_callable() -> None:
    r = mcpctl("call", "--stdio", DEMO, "no.such")
    assert r.exit_code == 2, r
    assert "unknown tool 'no.such'" in r.stderr
