"""``mcpctl chat``: the real anthropic and openai SDKs against local stand-ins of their APIs
(``tests/servers/llm_standins.py``), with real MCP servers; the requests the stand-ins got are checked too."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import DEMO, SERVERS_DIR, _load_module, faulty, free_port, serve_asgi

from cli.runner import mcpctl

llm: ModuleType = _load_module("mcpctl_tests_llm_standins", str(SERVERS_DIR / "llm_standins.py"))

KEY = "sk-test-0123456789abcdef"
KEYS = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
PROVIDERS = ("anthropic", "openai")


class Provider:
    """A running stand-in: its state, the base URL for --base-url, and the env with the key."""

    def __init__(self, name: str, state: Any, base: str) -> None:
        self.name = name
        self.state = state
        self.base_url = f"{base}/v1" if name == "openai" else base
        self.env = {KEYS[name]: KEY}

    def args(self, *extra: str) -> list[str]:
        return ["--provider", self.name, "--model", "test-model", "--base-url", self.base_url, *extra]


@pytest.fixture(params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> Iterator[Provider]:
    state = llm.StandIn()
    app = llm.anthropic_app(state) if request.param == "anthropic" else llm.openai_app(state)
    with serve_asgi(app) as base:
        yield Provider(request.param, state, base)


def tool_names(provider: Provider, body: dict[str, Any]) -> list[str]:
    tools = body.get("tools", [])
    return [t["name"] if provider.name == "anthropic" else t["function"]["name"] for t in tools]


def tool_answer(provider: Provider, body: dict[str, Any]) -> dict[str, Any]:
    """The tool result the second request carried back: id, content and error flag."""
    if provider.name == "anthropic":
        block = body["messages"][-1]["content"][0]
        return {"id": block["tool_use_id"], "content": block["content"], "is_error": block["is_error"]}
    message = body["messages"][-1]
    return {"id": message["tool_call_id"], "content": message["content"], "is_error": None}


# ---------------------------------------------------------------------------------------------- one-shot, tool use


def test_one_shot_runs_the_tool_the_model_asks_for_and_prints_the_answer(provider: Provider) -> None:
    r = mcpctl("chat", "--stdio", DEMO, *provider.args("--prompt", "echo something"), env=provider.env)
    assert r.exit_code == 0, r
    assert r.stdout == f"The tool said: {llm.MESSAGE}\n"
    assert "→ mcpctl.demo.echo" in r.stderr
    first, second = provider.state.requests
    assert "mcpctl_demo__echo" in tool_names(provider, first)
    assert first["stream"] is True
    answer = tool_answer(provider, second)
    assert answer["id"] == ("toolu_01A" if provider.name == "anthropic" else "call_01A")
    assert answer["content"] == llm.MESSAGE
    assert answer["is_error"] in (False, None)


def test_the_tool_schemas_the_model_gets_are_the_exported_definitions(provider: Provider) -> None:
    r = mcpctl("chat", "--stdio", DEMO, *provider.args("--prompt", "hi"), env=provider.env)
    assert r.exit_code == 0, r
    exported = mcpctl("tools", "export", "--stdio", DEMO, "--format", provider.name).json()
    assert provider.state.requests[0]["tools"] == exported


def test_json_output_is_one_document_with_the_tool_calls(provider: Provider) -> None:
    r = mcpctl("chat", "--stdio", DEMO, *provider.args("--prompt", "echo", "-o", "json"), env=provider.env)
    assert r.exit_code == 0, r
    doc = r.json()
    assert set(doc) == {"answer", "model", "rounds", "tool_calls", "usage"}
    assert doc["answer"] == f"The tool said: {llm.MESSAGE}"
    assert doc["model"] == "test-model"
    assert doc["rounds"] == 2
    [call] = doc["tool_calls"]
    assert call["server"] == "mcpctl.demo" and call["tool"] == "echo"
    assert call["arguments"] == {"message": llm.MESSAGE}
    assert call["approved"] is True and call["ok"] is True
    assert call["result"]["content"] == [{"type": "text", "text": llm.MESSAGE}]
    assert call["duration_ms"] >= 0
    assert all(v > 0 for v in doc["usage"].values()) and doc["usage"]


def test_the_prompt_may_come_on_stdin(provider: Provider) -> None:
    r = mcpctl("chat", "--stdio", DEMO, *provider.args(), stdin="echo please\n", env=provider.env)
    assert r.exit_code == 0, r
    first = provider.state.requests[0]["messages"][0]
    assert first == {"role": "user", "content": "echo please\n"}


def test_the_answer_streams_on_a_terminal(provider: Provider) -> None:
    r = mcpctl("chat", "--stdio", DEMO, *provider.args("--prompt", "echo"), env=provider.env, tty=True)
    assert r.exit_code == 0, r
    assert r.stdout == f"Let me check.\nThe tool said: {llm.MESSAGE}\n"


# ------------------------------------------------------------------------------------------------------- approval


def test_a_tool_that_is_not_read_only_is_declined_in_a_non_interactive_run(provider: Provider) -> None:
    server = faulty("none")  # its echo has no annotations: not read-only
    r = mcpctl("chat", "--stdio", server, *provider.args("--prompt", "echo", "-o", "json"), env=provider.env)
    assert r.exit_code == 0, r
    [call] = r.json()["tool_calls"]
    assert call["approved"] is False and call["ok"] is False and "result" not in call
    answer = tool_answer(provider, provider.state.requests[1])
    assert "declined" in answer["content"]
    assert answer["is_error"] in (True, None)


def test_yes_runs_a_tool_that_is_not_read_only(provider: Provider) -> None:
    r = mcpctl("chat", "--stdio", faulty("none"), *provider.args("--prompt", "e", "--yes"), env=provider.env)
    assert r.exit_code == 0, r
    assert r.stdout == f"The tool said: {llm.MESSAGE}\n"


def test_on_a_terminal_the_person_is_asked_and_may_say_yes(provider: Provider) -> None:
    args = provider.args("--prompt", "e")
    r = mcpctl("chat", "--stdio", faulty("none"), *args, env=provider.env, tty=True, stdin="y\n")
    assert r.exit_code == 0, r
    assert "run faulty.echo [destructive]" in r.stderr
    assert tool_answer(provider, provider.state.requests[1])["content"] == llm.MESSAGE


# --------------------------------------------------------------------------------------------- errors and secrets


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_missing_key_is_exit_2(name: str) -> None:
    r = mcpctl("chat", "--stdio", DEMO, "--provider", name, "--model", "m", "--prompt", "hi")
    assert r.exit_code == 2, r
    assert KEYS[name] in r.stderr


@pytest.mark.parametrize("name", PROVIDERS)
def test_without_the_sdk_chat_is_exit_2_saying_how_to_install_it(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, name, None)  # ``import name`` now raises ImportError, as when not installed
    r = mcpctl("chat", "--stdio", DEMO, "--provider", name, "--model", "m", "--prompt", "hi", env={KEYS[name]: KEY})
    assert r.exit_code == 2, r
    assert "pip install 'mcpctl[llm]'" in r.stderr


def test_a_rejected_key_is_exit_6_with_the_providers_message(provider: Provider) -> None:
    provider.state.status = 401
    r = mcpctl("chat", "--stdio", DEMO, *provider.args("--prompt", "hi"), env=provider.env)
    assert r.exit_code == 6, r
    assert "stand-in says" in r.stderr and "401" in r.stderr


def test_another_http_error_is_exit_5_with_the_providers_message(provider: Provider) -> None:
    provider.state.status = 500
    r = mcpctl("chat", "--stdio", DEMO, *provider.args("--prompt", "hi"), env=provider.env)
    assert r.exit_code == 5, r
    assert "HTTP 500" in r.stderr and "stand-in says" in r.stderr


@pytest.mark.parametrize("name", PROVIDERS)
def test_an_unreachable_base_url_is_exit_3(name: str) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    args = ["--provider", name, "--model", "m", "--base-url", url, "--prompt", "hi"]
    r = mcpctl("chat", "--stdio", DEMO, *args, env={KEYS[name]: KEY})
    assert r.exit_code == 3, r
    assert "cannot reach" in r.stderr


def test_the_key_reaches_the_provider_but_never_stdout_stderr_or_the_trace(provider: Provider, tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    args = provider.args("--prompt", "e", "-v", "--trace", str(trace), "-o", "json")
    r = mcpctl("chat", "--stdio", DEMO, *args, env=provider.env)
    assert r.exit_code == 0, r
    assert all(KEY in k for k in provider.state.keys)
    assert KEY not in r.stdout and KEY not in r.stderr and KEY not in trace.read_text()
    provider.state.status = 401
    r = mcpctl("chat", "--stdio", DEMO, *provider.args("--prompt", "e", "--debug"), env=provider.env)
    assert r.exit_code == 6
    assert KEY not in r.stdout and KEY not in r.stderr


def test_the_profile_chat_table_gives_the_defaults(provider: Provider, tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text(
        f'[servers.demo]\ncommand = "{DEMO.split()[0]}"\nargs = {json.dumps(DEMO.split()[1:])}\n'
        f'[chat]\nprovider = "{provider.name}"\nmodel = "profile-model"\nbase_url = "{provider.base_url}"\n'
    )
    r = mcpctl("chat", "--profile", str(profile), "--prompt", "e", "-o", "json", env=provider.env)
    assert r.exit_code == 0, r
    assert r.json()["model"] == "profile-model"
    assert provider.state.requests[0]["model"] == "profile-model"
