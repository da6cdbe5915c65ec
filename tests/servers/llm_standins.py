"""Local stand-ins of two LLM APIs, for ``mcpctl chat`` tests: the real SDKs talk to them over HTTP on 127.0.0.1.

- ``POST /v1/messages``: the Anthropic Messages API, streamed (``stream: true``) as its documented server-sent
  events: message_start, content_block_start/delta/stop (``text_delta``, ``input_json_delta``), message_delta,
  message_stop;
- ``POST /v1/chat/completions``: OpenAI Chat Completions, streamed as ``chat.completion.chunk`` events with
  ``delta.tool_calls``, a usage chunk and a final ``[DONE]``.

Scripted: the first turn asks for a call of the first offered tool whose exported name ends with ``tool_suffix``
(``{"message": ...}``); once a tool result comes back, the answer is ``The tool said: <result>``. Every request
body (and its key header) is kept in ``StandIn.requests``; ``status`` makes every request fail with that HTTP
status and the API's documented error body.
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
        if state.status is not None:
            kind = ANTHROPIC_ERRORS.get(state.status, "api_error")
            error = {"type": "error", "error": {"type": kind, "message": f"stand-in says {kind}"}}
            return JSONResponse(error, status_code=state.status, headers={"x-should-retry": "false"})
        return StreamingResponse(_anthropic_events(state, body), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/messages", messages, methods=["POST"])])


def _anthropic_result(body: dict[str, Any]) -> str | None:
    last = body["messages"][-1]
    if last["role"] == "user" and isinstance(last["content"], list):
        for block in last["content"]:
            if block.get("type") == "tool_result":
                content = block.get("content")
                return content if isinstance(content, str) else json.dumps(content)
    return None


async def _anthropic_events(state: StandIn, body: dict[str, Any]) -> AsyncIterator[str]:
    usage = {"input_tokens": 11, "output_tokens": 1}
    start = {"id": "msg_1", "type": "message", "role": "assistant", "model": body["model"], "content": []}
    start |= {"stop_reason": None, "stop_sequence": None, "usage": usage}
    yield sse("message_start", {"type": "message_start", "message": start})
    result = _anthropic_result(body)
    tool = _pick([t["name"] for t in body.get("tools", [])], state.tool_suffix) if result is None else None
    if tool is None:
        answer = f"The tool said: {result}" if result is not None else "No tool to call."
        yield sse(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        )
        for piece in (answer[:8], answer[8:]):
            delta = {"type": "text_delta", "text": piece}
            yield sse("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        yield sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        stop = "end_turn"
    else:
        text = {"type": "text", "text": ""}
        yield sse("content_block_start", {"type": "content_block_start", "index": 0, "content_block": text})
        delta = {"type": "text_delta", "text": "Let me check."}
        yield sse("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        yield sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        block = {"type": "tool_use", "id": "toolu_01A", "name": tool, "input": {}}
        yield sse("content_block_start", {"type": "content_block_start", "index": 1, "content_block": block})
        arguments = json.dumps({"message": MESSAGE})
        for piece in (arguments[:5], arguments[5:]):
            delta = {"type": "input_json_delta", "partial_json": piece}
            yield sse("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": delta})
        yield sse("content_block_stop", {"type": "content_block_stop", "index": 1})
        stop = "tool_use"
    end = {
        "type": "message_delta",
        "delta": {"stop_reason": stop, "stop_sequence": None},
        "usage": {"output_tokens": 7},
    }
    yield sse("message_delta", end)
    yield sse("message_stop", {"type": "message_stop"})


# -------------------------------------------------------------------------------------------------------- OpenAI


def openai_app(state: StandIn) -> Starlette:
    async def completions(request: Request) -> Response:
        body = await request.json()
        state.requests.append(body)
        state.keys.append(request.headers.get("authorization", ""))
        if state.status is not None:
            code = "invalid_api_key" if state.status == 401 else "server_error"
            error = {"error": {"message": f"stand-in says {code}", "type": "invalid_request_error", "code": code}}
            return JSONResponse(error, status_code=state.status, headers={"x-should-retry": "false"})
        return StreamingResponse(_openai_chunks(state, body), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> str:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return sse(
        None, {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": model, "choices": [choice]}
    )


async def _openai_chunks(state: StandIn, body: dict[str, Any]) -> AsyncIterator[str]:
    model = body["model"]
    last = body["messages"][-1]
    result = last["content"] if last["role"] == "tool" else None
    names = [t["function"]["name"] for t in body.get("tools", [])]
    tool = _pick(names, state.tool_suffix) if result is None else None
    if tool is None:
        answer = f"The tool said: {result}" if result is not None else "No tool to call."
        yield _chunk(model, {"role": "assistant", "content": ""})
        await asyncio.sleep(state.hold)
        for piece in (answer[:8], answer[8:]):
            yield _chunk(model, {"content": piece})
        yield _chunk(model, {}, "stop")
    else:
        arguments = json.dumps({"message": MESSAGE})
        first = {"index": 0, "id": "call_01A", "type": "function", "function": {"name": tool, "arguments": ""}}
        yield _chunk(model, {"role": "assistant", "content": "Let me check."})
        yield _chunk(model, {"tool_calls": [first]})
        for piece in (arguments[:5], arguments[5:]):
            yield _chunk(model, {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
        yield _chunk(model, {}, "tool_calls")
    if body.get("stream_options", {}).get("include_usage"):
        usage = {"prompt_tokens": 13, "completion_tokens": 5, "total_tokens": 18}
        yield sse(
            None,
            {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": model,
                "choices": [],
                "usage": usage,
            },
        )
    yield sse(None, "[DONE]")
