"""``mcpctl servers inspect``: serverInfo, negotiated protocol, capabilities, counts."""

from __future__ import annotations

import json

from conftest import DEMO, faulty

from cli.runner import mcpctl


def fields(stdout: str) -> dict[str, str]:
    """``key: value`` lines of the text view."""
    out: dict[str, str] = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith(" "):
            out[key.strip()] = value.strip()
    return out


def test_inspect_shows_server_info_protocol_and_counts() -> None:
    r = mcpctl("servers", "inspect", "--stdio", DEMO)
    assert r.exit_code == 0, r.stderr
    shown = fields(r.stdout)
    assert shown["serverInfo"] == "mcpctl-demo 1.0.0"
    assert shown["protocol"] == "2026-07-28"
    assert shown["transport"].startswith("stdio")
    assert "tools=7" in shown["counts"].split()
    assert "resources=1" in shown["counts"].split()
    assert "prompts=1" in shown["counts"].split()
    assert "tools" in shown["capabilities"]
    assert "Demo server for mcpctl." in r.stdout  # instructions
    assert r.stderr == ""


def test_inspect_json_has_protocol_version_server_info_capabilities_and_counts() -> None:
    r = mcpctl("servers", "inspect", "--stdio", DEMO, "-o", "json")
    assert r.exit_code == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["protocolVersion"] == "2026-07-28"
    assert info["serverInfo"] == {"name": "mcpctl-demo", "version": "1.0.0"}
    assert "tools" in info["capabilities"]
    assert info["counts"] == {"tools": 7, "resources": 1, "resourceTemplates": 1, "prompts": 1}
    assert info["instructions"].startswith("Demo server for mcpctl.")
    assert r.stderr == ""


def test_inspect_handshake_era_server_shows_its_version() -> None:
    r = mcpctl("servers", "inspect", "--stdio", faulty("legacy"), "-o", "json")
    assert r.exit_code == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["protocolVersion"] == "2025-06-18"
    assert info["serverInfo"]["name"] == "faulty-legacy"
    assert info["counts"]["tools"] == 2
    assert info["counts"]["resources"] is None  # not offered
    assert r.stderr == ""


def test_protocol_legacy_negotiates_the_latest_handshake_version() -> None:
    r = mcpctl("servers", "inspect", "--stdio", DEMO, "--protocol", "legacy")
    assert r.exit_code == 0, r.stderr
    assert fields(r.stdout)["protocol"] == "2025-11-25"
    assert r.stderr == ""


def test_inspect_unreachable_server_is_exit_3() -> None:
    r = mcpctl("servers", "inspect", "--stdio", faulty("crash-at-start"), "--retries", "0")
    assert r.exit_code == 3
    assert r.stdout == ""
    assert "fatal: config missing" in r.stderr
