"""Local stand-ins of two LLM APIs, for ``mcpctl chat`` tests: the real SDKs talk to them over HTTP on 127.0.0.1.

- ``POST /v1/messages``: the Anthropic Messages API, a JSON ``message``, or with ``stream: true`` its documented
  server-sent events: message_start, content_block_start/delta/stop (``text_delta``, ``input_json_delta``),
  message_delta, message_stop;
- ``POST /v1/chat/completions``: OpenAI Chat Completions, a JSON ``chat.completion``, or streamed as
  ``chat.completion.chunk`` events with ``delta.tool_calls``, a usage chunk and a final ``[DONE]``.

Scripted: the first turn asks for ``calls`` calls (default 1) of the first offered tool whose exported name ends
with ``tool_suffix``, with ``arguments`` (default ``{"message": ...}``); once tool results come back, the answer is
``The tool said: <result>``. Every request body (and its key header) is kept in ``StandIn.requests``; ``status``
makes every request fail with that HTTP status and the API's documented error body. A request that breaks the
documented rules for tool results (each call answered in the next message, by id, tool results first; Anthropic:
no empty text block, only the documented image types; OpenAI: text only in a ``tool`` message, images only in a
``user`` message) is answered HTTP 400, as the real APIs do.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MESSAGE = "hi from the model"
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
ANTHROPIC_ERRORS = {401: "authentication_error", 500: "api_error", 400: "invalid_request_error"}


class StandIn:
    """What the stand-in was asked (bodies, key headers), and how it answers (``status``: fail with it)."""

    def __init__(self, tool_suffix: str = "__echo") -> None:
        self.tool_suffix = tool_suffix
        self.status: int | None = None
        #: Seconds the OpenAI stand-in waits after its first chunk (a slow answer, to stop with Ctrl-C).
        self.hold = 0.0
        self.requests: list[dict[str, Any]] = []
        self.keys: list[str] = []
        #: The arguments of the tool calls the model asks for, and how many calls it asks for in one turn.
        self.arguments: dict[str, Any] = {"message": MESSAGE}
        self.calls = 1


def sse(event: str | None, data: Any) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data if isinstance(data, str) else json.dumps(data)}\n\n"


def _pick(names: list[str], suffix: str) -> str | None:
    return next((n for n in names if n.endswith(suffix)), None)


# ----------------------------------------------------------------------------------------------------- Anthropic


def anthropic_app(state: StandIn) -> Starlette:
    async def messages(request: Request) -> Response:
        body = await request.json()
        state.requests.append(body)
        state.keys.append(request.headers.get("x-api-key") or request.headers.get("authorization", ""))
        problem = _anthropic_problem(body["messages"])
        if state.status is not None or problem is not None:
            status = state.status or 400
            kind = ANTHROPIC_ERRORS.get(status, "api_error")
            error = {"type": "error", "error": {"type": kind, "message": problem or f"stand-in says {kind}"}}
            return JSONResponse(error, status_code=status, headers={"x-should-retry": "false"})
        message = _anthropic_reply(state, body)
        if not body.get("stream"):
            return JSONResponse(message)
        return StreamingResponse(_anthropic_events(message, state.hold), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/messages", messages, methods=["POST"])])


def _anthropic_problem(messages: list[dict[str, Any]]) -> str | None:
    """Why the Messages API would reject these messages' tool use and results (None: it would not)."""
    for i, message in enumerate(messages):
        content = message["content"] if isinstance(message["content"], list) else []
        asked = [b["id"] for b in content if b.get("type") == "tool_use"]
        if asked:
            after = messages[i + 1]["content"] if i + 1 < len(messages) else []
            blocks = after if isinstance(after, list) else []
            kinds = [b.get("type") for b in blocks]
            if sorted(b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result") != sorted(asked):
                return f"messages.{i + 1}: each tool_use must have a tool_result in the next message"
            if kinds[: len(asked)] != ["tool_result"] * len(asked):
                return f"messages.{i + 1}: tool_result blocks must come first"
        for block in content:
            inner = block.get("content") if block.get("type") == "tool_result" else None
            for part in [block, *(inner if isinstance(inner, list) else [])]:
                if part.get("type") == "text" and not part.get("text"):
                    return f"messages.{i}: text content blocks must be non-empty"
                if part.get("type") == "image" and part["source"].get("media_type") not in IMAGE_TYPES:
                    return f"messages.{i}: image media_type must be one of {', '.join(IMAGE_TYPES)}"
    return None


def _anthropic_result(body: dict[str, Any]) -> str | None:
    """The tool results' text (an image as ``[image]``), or None when the last message brings none."""
    last = body["messages"][-1]
    if last["role"] != "user" or not isinstance(last["content"], list):
        return None
    results = [b for b in last["content"] if b.get("type") == "tool_result"]
    if not results:
        return None
    texts = []
    for block in results:
        content = block.get("content", "")
        parts = content if isinstance(content, list) else [{"type": "text", "text": content}]
        texts += [p["text"] if p["type"] == "text" else f"[{p['type']}]" for p in parts]
    return "\n".join(texts)


def _anthropic_reply(state: StandIn, body: dict[str, Any]) -> dict[str, Any]:
    """The scripted answer, as the API's JSON ``message``: tool calls first, then the answer to their results."""
    result = _anthropic_result(body)
    tool = _pick([t["name"] for t in body.get("tools", [])], state.tool_suffix) if result is None else None
    if tool is None:
        answer = f"The tool said: {result}" if result is not None else "No tool to call."
        content: list[dict[str, Any]] = [{"type": "text", "text": answer}]
    else:
        content = [{"type": "text", "text": "Let me check."}]
        for index in range(1, state.calls + 1):
            content.append(
                {"type": "tool_use", "id": f"toolu_01{chr(64 + index)}", "name": tool, "input": state.arguments}
            )
    message = {"id": "msg_1", "type": "message", "role": "assistant", "model": body["model"], "content": content}
    stop = "end_turn" if tool is None else "tool_use"
    return message | {"stop_reason": stop, "stop_sequence": None, "usage": {"input_tokens": 11, "output_tokens": 7}}


async def _anthropic_events(message: dict[str, Any], hold: float = 0.0) -> AsyncIterator[str]:
    """``message`` as the documented stream: each block started empty, its text or input JSON in two deltas
    (``hold``: a pause after the first event)."""
    start = message | {"content": [], "stop_reason": None, "usage": {"input_tokens": 11, "output_tokens": 1}}
    yield sse("message_start", {"type": "message_start", "message": start})
    await asyncio.sleep(hold)
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            empty, text = {"type": "text", "text": ""}, block["text"]
            deltas = [{"type": "text_delta", "text": piece} for piece in (text[:8], text[8:])]
        else:
            empty, arguments = block | {"input": {}}, json.dumps(block["input"])
            deltas = [{"type": "input_json_delta", "partial_json": piece} for piece in (arguments[:5], arguments[5:])]
        yield sse("content_block_start", {"type": "content_block_start", "index": index, "content_block": empty})
        for delta in deltas:
            yield sse("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
        yield sse("content_block_stop", {"type": "content_block_stop", "index": index})
    end = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    yield sse("message_delta", {"type": "message_delta", "delta": end, "usage": {"output_tokens": 7}})
    yield sse("message_stop", {"type": "message_stop"})


# -------------------------------------------------------------------------------------------------------- OpenAI


def openai_app(state: StandIn) -> Starlette:
    async def completions(request: Request) -> Response:
        body = await request.json()
        state.requests.append(body)
        state.keys.append(request.headers.get("authorization", ""))
        problem = _openai_problem(body["messages"])
        if state.status is not None or problem is not None:
            status = state.status or 400
            code = "invalid_api_key" if status == 401 else "server_error"
            message = problem or f"stand-in says {code}"
            error = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
            return JSONResponse(error, status_code=status, headers={"x-should-retry": "false"})
        completion = _openai_reply(state, body)
        if not body.get("stream"):
            return JSONResponse(completion)
        usage = bool(body.get("stream_options", {}).get("include_usage"))
        return StreamingResponse(_openai_chunks(state, completion, usage), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> str:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return sse(
        None, {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": model, "choices": [choice]}
    )


def _openai_problem(messages: list[dict[str, Any]]) -> str | None:
    """Why Chat Completions would reject these messages' tool calls and results (None: it would not)."""
    for i, message in enumerate(messages):
        asked = [c["id"] for c in message.get("tool_calls") or []]
        answered = [str(m.get("tool_call_id")) for m in messages[i + 1 : i + 1 + len(asked)] if m["role"] == "tool"]
        if sorted(answered) != sorted(asked):
            return (
                "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                f"'tool_call_id'. messages.{i}"
            )
        if message["role"] == "tool" and (
            i == 0 or not (messages[i - 1].get("tool_calls") or messages[i - 1]["role"] == "tool")
        ):
            return (
                f"messages.{i}: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'."
            )
        parts = message["content"] if isinstance(message.get("content"), list) else []
        if message["role"] == "tool" and any(p.get("type") != "text" for p in parts):
            return f"messages.{i}: a tool message's content parts must be text"
        if message["role"] != "user" and any(p.get("type") == "image_url" for p in parts):
            return f"messages.{i}: Image URLs are only allowed for messages with role 'user'"
    return None


def _openai_result(messages: list[dict[str, Any]]) -> str | None:
    """The tool messages' text since the last assistant message, or None when there are none (a new prompt)."""
    results: list[str] = []
    for message in reversed(messages):
        if message["role"] == "assistant":
            break
        if message["role"] == "tool":
            results.insert(0, message["content"])
    return "\n".join(results) if results else None


def _openai_reply(state: StandIn, body: dict[str, Any]) -> dict[str, Any]:
    """The scripted answer as the API's JSON ``chat.completion``: tool calls first, then the answer to their results."""
    result = _openai_result(body["messages"])
    tool = _pick([t["function"]["name"] for t in body.get("tools", [])], state.tool_suffix) if result is None else None
    if tool is None:
        answer = f"The tool said: {result}" if result is not None else "No tool to call."
        message: dict[str, Any] = {"role": "assistant", "content": answer}
    else:
        function = {"name": tool, "arguments": json.dumps(state.arguments)}
        calls = [{"id": f"call_01{chr(65 + i)}", "type": "function", "function": function} for i in range(state.calls)]
        message = {"role": "assistant", "content": "Let me check.", "tool_calls": calls}
    choice = {
        "index": 0,
        "message": message,
        "finish_reason": "stop" if tool is None else "tool_calls",
        "logprobs": None,
    }
    completion = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": body["model"]}
    return completion | {
        "choices": [choice],
        "usage": {"prompt_tokens": 13, "completion_tokens": 5, "total_tokens": 18},
    }


async def _openai_chunks(state: StandIn, completion: dict[str, Any], usage: bool) -> AsyncIterator[str]:
    """``completion`` as the documented stream of ``chat.completion.chunk``s (``hold``: a pause after the first)."""
    model, [choice] = completion["model"], completion["choices"]
    message = choice["message"]
    yield _chunk(model, {"role": "assistant", "content": ""})
    await asyncio.sleep(state.hold)
    for piece in (message["content"][:8], message["content"][8:]):
        yield _chunk(model, {"content": piece})
    for index, call in enumerate(message.get("tool_calls", [])):
        name, arguments = call["function"]["name"], call["function"]["arguments"]
        first = {"index": index, "id": call["id"], "type": "function", "function": {"name": name, "arguments": ""}}
        yield _chunk(model, {"tool_calls": [first]})
        for piece in (arguments[:5], arguments[5:]):
            yield _chunk(model, {"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield _chunk(model, {}, choice["finish_reason"])
    if usage:
        yield sse(None, completion | {"object": "chat.completion.chunk", "choices": []})
    yield sse(None, "[DONE]")
