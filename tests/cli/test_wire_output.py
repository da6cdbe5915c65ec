"""JSON output carries what came over the wire: the keys the server sent (an explicit null included), no SDK
defaults (``ttlMs``/``cacheScope``, ``isError: false``), no fields of another protocol revision.

Each test captures the server's answer with ``--trace`` and compares the nested key sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO, faulty

from cli.runner import mcpctl

SPARSE = faulty("args")  # handshake era; answers carry only required keys; tool "show" is listed with "title": null


def received(trace: Path, method: str) -> dict[str, Any]:
    """The result the server sent for the last ``method`` request in a ``--trace`` file."""
    messages = [json.loads(line)["message"] for line in trace.read_text().splitlines() if line.strip()]
    ids = {m["id"] for m in messages if m.get("method") == method and "id" in m}
    results = [m["result"] for m in messages if "result" in m and m.get("id") in ids]
    assert results, f"no answer to {method} in the trace"
    return results[-1]  # type: ignore[no-any-return]


def keys(value: Any, path: str = "") -> set[str]:
    """Every key path in a JSON value (``/contents[0]/mimeType``)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            found |= {f"{path}/{key}"} | keys(inner, f"{path}/{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found |= keys(inner, f"{path}[{index}]")
    return found


def run_json(tmp_path: Path, *args: str) -> tuple[Any, Path]:
    trace = tmp_path / "trace.jsonl"
    trace.unlink(missing_ok=True)
    r = mcpctl(*args, "-o", "json", "--trace", str(trace))
    assert r.exit_code == 0, r
    return r.json(), trace


def test_resources_read_against_a_legacy_server_has_only_the_keys_it_sent(tmp_path: Path) -> None:
    out, trace = run_json(tmp_path, "resources", "read", "--stdio", DEMO, "--protocol", "legacy", "demo://readme")
    sent = received(trace, "resources/read")
    assert keys(out["result"]) == keys(sent)
    assert "ttlMs" not in out["result"] and "cacheScope" not in out["result"]


@pytest.mark.parametrize(("server", "tool"), [(DEMO, "echo"), (SPARSE, "show")], ids=["demo", "sparse"])
def test_call_against_a_legacy_server_has_only_the_keys_it_sent(tmp_path: Path, server: str, tool: str) -> None:
    item = "message=hi" if tool == "echo" else "code=1"
    out, trace = run_json(tmp_path, "call", "--stdio", server, "--protocol", "legacy", tool, item)
    sent = received(trace, "tools/call")
    assert keys(out["result"]) == keys(sent)
    assert out["result"] == sent


@pytest.mark.parametrize("server", [DEMO, SPARSE], ids=["demo", "sparse"])
def test_tools_list_against_a_legacy_server_has_only_the_keys_it_sent(tmp_path: Path, server: str) -> None:
    out, trace = run_json(tmp_path, "tools", "list", "--stdio", server, "--protocol", "legacy")
    sent = received(trace, "tools/list")["tools"]
    assert [{k: v for k, v in tool.items() if k != "server"} for tool in out] == sent


def test_a_null_the_server_sent_is_kept(tmp_path: Path) -> None:
    out, _ = run_json(tmp_path, "tools", "show", "--stdio", SPARSE, "show")
    assert "title" in out and out["title"] is None
    assert "isError" not in run_json(tmp_path, "call", "--stdio", SPARSE, "show")[0]["result"]


def test_modern_resources_read_keeps_the_cache_hints_the_server_sent(tmp_path: Path) -> None:
    out, trace = run_json(tmp_path, "resources", "read", "--stdio", DEMO, "--protocol", "2026-07-28", "demo://readme")
    sent = received(trace, "resources/read")
    assert keys(out["result"]) == keys(sent)


def test_batch_results_have_only_the_keys_the_server_sent(tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    calls.write_text('{"id": "a", "tool": "show", "arguments": {"code": 1}}\n')
    trace = tmp_path / "trace.jsonl"
    r = mcpctl("batch", "--stdio", SPARSE, str(calls), "--trace", str(trace))
    assert r.exit_code == 0, r
    assert json.loads(r.stdout)["result"] == received(trace, "tools/call")


def test_servers_inspect_shows_server_info_and_capabilities_as_sent(tmp_path: Path) -> None:
    out, trace = run_json(tmp_path, "servers", "inspect", "--stdio", SPARSE)
    sent = received(trace, "initialize")
    assert out["serverInfo"] == sent["serverInfo"]
    assert out["capabilities"] == sent["capabilities"]
