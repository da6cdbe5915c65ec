"""``mcpctl chat``: the real anthropic and openai SDKs against local stand-ins of their APIs
(``tests/servers/llm_standins.py``), with real MCP servers; the requests the stand-ins got are checked too."""

from __future__ import annotations

import base64
import json
import shlex
import sys
import time
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
    assert f'→ mcpctl.demo.echo {{"message":"{llm.MESSAGE}"}}\n' in r.stderr  # server.tool and the arguments
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


def test_always_runs_the_tools_later_calls_without_asking_again(provider: Provider) -> None:
    provider.state.calls = 2
    args = provider.args("--prompt", "e", "-o", "json")
    r = mcpctl("chat", "--stdio", faulty("none"), *args, env=provider.env, tty=True, stdin="a\n")
    assert r.exit_code == 0, r
    assert r.stderr.count("run faulty.echo") == 1
    assert [(c["approved"], c["ok"]) for c in r.json()["tool_calls"]] == [(True, True), (True, True)]


# ------------------------------------------------------------------------------------------------- the tool loop


def test_arguments_the_schema_rejects_are_not_sent_and_the_model_is_told_why(provider: Provider) -> None:
    provider.state.tool_suffix, provider.state.arguments = "__add", {"a": 1}
    r = mcpctl("chat", "--stdio", DEMO, *provider.args("--prompt", "add", "-o", "json"), env=provider.env)
    assert r.exit_code == 0, r
    [call] = r.json()["tool_calls"]
    assert call["ok"] is False and "result" not in call and "'b'" in call["error"]
    answer = tool_answer(provider, provider.state.requests[1])
    assert call["error"] in answer["content"] and answer["is_error"] in (True, None)


def test_a_model_that_does_not_answer_within_max_rounds_is_exit_1(provider: Provider) -> None:
    r = mcpctl("chat", "--stdio", DEMO, *provider.args("--prompt", "e", "--max-rounds", "1"), env=provider.env)
    assert r.exit_code == 1, r
    assert "mcpctl: error: the model did not answer within 1 round\n" in r.stderr and "--max-rounds" in r.stderr
    assert len(provider.state.requests) == 1 and r.stdout == ""


# ----------------------------------------------------------------------------- tool results: images, other content


def png(color: str, size: int) -> str:
    """The base64 PNG the demo's ``image`` tool answers for these arguments."""
    from mcpctl.demo import make_png, parse_color

    return base64.b64encode(make_png(parse_color(color), size)).decode()


def image_block(data: str) -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}


def image_parts(call_id: str, data: str) -> list[dict[str, Any]]:
    """The ``user`` message parts that bring a tool call's PNG to a Chat Completions model."""
    label = {"type": "text", "text": f"Image returned by tool call {call_id} (image/png):"}
    return [label, {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}}]


IMAGE_NOTE = "[image image/png: in the user message after the tool results]"


def test_an_image_from_a_tool_reaches_the_model_as_an_image_with_the_exact_data(provider: Provider) -> None:
    provider.state.tool_suffix, provider.state.arguments = "__image", {"color": "#00ff00", "size": 3}
    r = mcpctl("chat", "--stdio", DEMO, *provider.args("--prompt", "draw", "-o", "json"), env=provider.env)
    assert r.exit_code == 0, r
    data = png("#00ff00", 3)
    [call] = r.json()["tool_calls"]
    assert call["result"]["content"] == [{"type": "image", "data": data, "mimeType": "image/png"}]
    messages = provider.state.requests[1]["messages"]
    if provider.name == "anthropic":
        [result] = messages[-1]["content"]
        assert result == {
            "type": "tool_result",
            "tool_use_id": "toolu_01A",
            "content": [image_block(data)],
            "is_error": False,
        }
    else:  # a tool message takes text only: the image follows in a user message, after the tool message
        assert messages[-2] == {"role": "tool", "tool_call_id": "call_01A", "content": IMAGE_NOTE}
        assert messages[-1] == {"role": "user", "content": image_parts("call_01A", data)}


def test_images_of_several_calls_follow_all_the_tool_results_of_the_turn(provider: Provider) -> None:
    provider.state.tool_suffix, provider.state.calls = "__image", 2
    provider.state.arguments = {"color": "blue", "size": 2}
    r = mcpctl("chat", "--stdio", DEMO, *provider.args("--prompt", "draw two"), env=provider.env)
    assert r.exit_code == 0, r  # the stand-in answers 400 when a call is unanswered or answered out of place
    data = png("blue", 2)
    messages = provider.state.requests[1]["messages"]
    if provider.name == "anthropic":
        assert [(b["tool_use_id"], b["content"]) for b in messages[-1]["content"]] == [
            ("toolu_01A", [image_block(data)]),
            ("toolu_01B", [image_block(data)]),
        ]
    else:
        assert [m["role"] for m in messages] == ["user", "assistant", "tool", "tool", "user"]
        assert [m["tool_call_id"] for m in messages[2:4]] == ["call_01A", "call_01B"]
        assert messages[-1]["content"] == image_parts("call_01A", data) + image_parts("call_01B", data)


MEDIA_NOTES = [
    "[image image/bmp, 8 bytes: not passed on, the APIs take only image/jpeg, image/png, image/gif, image/webp]",
    "[audio audio/wav, 8 bytes: not passed on, the APIs take no audio in tool results]",
    "embedded notes",
    "[resource file:///data.bin application/x-data, 4 bytes: not passed on, the model gets text resources only]",
    "[resource link file:///big.csv]",
    "[image image/png: not passed on, its data is not valid base64]",
]


@pytest.mark.parametrize("fail", [False, True])
def test_every_kind_of_content_reaches_the_model_as_the_api_takes_it(provider: Provider, fail: bool) -> None:
    provider.state.tool_suffix, provider.state.arguments = "__media", {"fail": fail}
    r = mcpctl("chat", "--stdio", faulty("media"), *provider.args("--prompt", "m", "-o", "json"), env=provider.env)
    assert r.exit_code == 0, r
    [call] = r.json()["tool_calls"]
    assert call["ok"] is not fail
    data = call["result"]["content"][1]["data"]  # the PNG exactly as it came over the wire
    messages = provider.state.requests[1]["messages"]
    if provider.name == "anthropic":
        [result] = messages[-1]["content"]
        texts = [{"type": "text", "text": t} for t in MEDIA_NOTES]
        content = [{"type": "text", "text": "two images follow"}, image_block(data), *texts]
        assert result == {"type": "tool_result", "tool_use_id": "toolu_01A", "content": content, "is_error": fail}
    else:
        text = "\n".join(["two images follow", IMAGE_NOTE, *MEDIA_NOTES])
        said = f"Error: {text}" if fail else text
        assert messages[-2] == {"role": "tool", "tool_call_id": "call_01A", "content": said}
        assert messages[-1] == {"role": "user", "content": image_parts("call_01A", data)}


def test_an_error_result_is_marked_as_an_error_for_the_model(provider: Provider) -> None:
    provider.state.tool_suffix, provider.state.arguments = "__fail", {"message": "it broke"}
    r = mcpctl("chat", "--stdio", DEMO, *provider.args("--prompt", "f", "-o", "json"), env=provider.env)
    assert r.exit_code == 0, r
    [call] = r.json()["tool_calls"]
    assert call["ok"] is False and call["result"]["isError"] is True
    text = call["result"]["content"][0]["text"]
    assert "it broke" in text
    answer = tool_answer(provider, provider.state.requests[1])
    if provider.name == "anthropic":
        assert answer == {"id": "toolu_01A", "content": text, "is_error": True}
    else:
        assert answer == {"id": "call_01A", "content": f"Error: {text}", "is_error": None}


def test_an_image_over_the_size_limit_or_without_content_structured_becomes_text() -> None:
    from mcpctl.ops.chat.loop import MAX_IMAGE_CHARS, result_parts
    from mcpctl.ops.model import ToolResult

    big = "A" * (MAX_IMAGE_CHARS + 4)
    [note] = result_parts(ToolResult("s", "t", {"content": [{"type": "image", "mimeType": "image/gif", "data": big}]}))
    assert note == f"[image image/gif, {len(big) // 4 * 3} bytes: not passed on, over the 5 MB limit for an image]"
    structured = {"content": [], "structuredContent": {"n": 1, "é": "ü"}}
    assert result_parts(ToolResult("s", "t", structured)) == ('{"n": 1, "é": "ü"}',)
    with_text = {"content": [{"type": "text", "text": '{"n": 1}'}], "structuredContent": {"n": 1}}
    assert result_parts(ToolResult("s", "t", with_text)) == ('{"n": 1}',)


# ------------------------------------------------------------------------------------------------------- README


def test_the_readmes_python_agent_runs_the_models_tool_calls(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """The README's "into a Python agent" lines, as written, against the Anthropic stand-in (non-streamed JSON)."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("Into a Python agent, in a few lines") :]
    export = section.split("```bash\n", 1)[1].split("\n```", 1)[0]
    code = section.split("```python\n", 1)[1].split("\n```", 1)[0]
    command, _, out = export.partition(" > ")
    Path("mcpctl.toml").write_text(
        f'[servers.demo]\ncommand = "{DEMO.split()[0]}"\nargs = {json.dumps(DEMO.split()[1:])}\n'
    )
    exported = mcpctl(*shlex.split(command)[1:])
    assert exported.exit_code == 0, exported
    Path(out).write_text(exported.stdout)
    state = llm.StandIn("__weather")
    state.arguments = {"city": "Oslo"}
    with serve_asgi(llm.anthropic_app(state)) as base:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", base)
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        exec(compile(code, "README.md", "exec"), {})
    first, second = state.requests
    assert "stream" not in first and first["tools"] == json.loads(exported.stdout)
    [result] = second["messages"][-1]["content"]
    assert result["tool_use_id"] == "toolu_01A" and result["is_error"] is False and "Oslo" in result["content"]
    assert capsys.readouterr().out == f"The tool said: {result['content']}\n"


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


def test_a_provider_silent_past_llm_timeout_is_exit_4_not_a_wait_of_minutes(provider: Provider) -> None:
    provider.state.hold = 30.0  # the stream stops after its first event
    started = time.monotonic()
    r = mcpctl("chat", "--stdio", DEMO, *provider.args("--prompt", "hi", "--llm-timeout", "0.5"), env=provider.env)
    assert r.exit_code == 4, r
    assert "hint: raise --llm-timeout" in r.stderr
    assert time.monotonic() - started < 15  # three attempts of 0.5 s and the SDK's backoff, not 600 s
