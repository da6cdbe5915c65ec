"""The chat loop: the model gets the servers' tools, each call it asks for is approved or declined, run
through the toolkit (validation, retries, breaker, reconnection) and answered, until the model answers.

Operations never print: what happens is reported to a ``ChatEvents`` sink the command gives, and
questions go to an ``Ask`` callable (None: nobody can answer, so calls that need approval are declined).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio

from mcpctl.core.errors import McpctlError
from mcpctl.core.export import export_tools
from mcpctl.ops.chat.providers import IMAGE_TYPES, Image, Part, Provider, ToolAnswer, ToolUse, Turn
from mcpctl.ops.model import Tool, ToolResult
from mcpctl.ops.toolkit import AsyncToolkit

DEFAULT_MAX_ROUNDS = 10
DECLINED = "The user declined this tool call; it was not run."
#: The largest image passed on (base64 characters): the Anthropic API's documented 5 MB limit per image.
MAX_IMAGE_CHARS = 5 * 1024 * 1024

#: ``ask(qualified, arguments, destructive) -> "yes" | "no" | "always"`` (blocking: it waits for a person).
Ask = Callable[[str, dict[str, Any], bool], str]


class ChatEvents(Protocol):
    """Where the loop reports what happens, as it happens."""

    def text(self, delta: str) -> None: ...

    def tool_call(self, server: str, tool: str, arguments: dict[str, Any]) -> None: ...

    def tool_result(self, record: CallRecord) -> None: ...


@dataclass
class CallRecord:
    """One tool call of the chat, as ``chat -o json`` lists it."""

    server: str
    tool: str
    arguments: dict[str, Any]
    approved: bool
    ok: bool = False
    result: dict[str, Any] | None = None
    error: str | None = None
    duration_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "server": self.server,
            "tool": self.tool,
            "arguments": self.arguments,
            "approved": self.approved,
            "ok": self.ok,
        }
        if self.result is not None:
            body["result"] = self.result
        else:
            body["error"] = self.error
        body["duration_ms"] = round(self.duration_ms, 1)
        return body


@dataclass
class ChatReport:
    """One answered prompt: ``{"answer", "model", "rounds", "tool_calls", "usage"}``."""

    answer: str
    model: str
    rounds: int
    tool_calls: list[CallRecord] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "model": self.model,
            "rounds": self.rounds,
            "tool_calls": [c.to_json() for c in self.tool_calls],
            "usage": self.usage,
        }


@dataclass
class Approval:
    """Who decides whether a call runs: ``--yes``, a ``readOnlyHint``, an earlier "always", or a person."""

    yes: bool = False
    ask: Ask | None = None
    always: set[str] = field(default_factory=set)

    async def allows(self, tool: Tool, arguments: dict[str, Any]) -> bool:
        if self.yes or tool.read_only or tool.qualified in self.always:
            return True
        if self.ask is None:
            return False
        destructive = bool((tool.annotations or {}).get("destructiveHint", True))
        ask = self.ask
        answer = await anyio.to_thread.run_sync(lambda: ask(tool.qualified, arguments, destructive))
        if answer == "always":
            self.always.add(tool.qualified)
        return answer in ("yes", "always")


@dataclass
class Chat:
    """A conversation: the provider, the toolkit's tools (exported for the provider's API) and the approval."""

    provider: Provider
    toolkit: AsyncToolkit
    tools: list[Tool]
    fmt: str
    approval: Approval
    timeout: float | None = None
    definitions: list[dict[str, Any]] = field(init=False)
    names: dict[str, Tool] = field(init=False)

    def __post_init__(self) -> None:
        self.definitions, mapping = export_tools([t.to_json() for t in self.tools], self.fmt)
        by_qualified = {t.qualified: t for t in self.tools}
        self.names = {name: by_qualified[qualified] for name, qualified in mapping.items()}

    async def ask(self, prompt: str, events: ChatEvents, max_rounds: int = DEFAULT_MAX_ROUNDS) -> ChatReport:
        """Send ``prompt`` and run the tool calls the model asks for until it answers (or ``max_rounds``).

        A turn that fails or is cancelled leaves no trace in the conversation: a half-answered tool call
        would make the provider reject the next turn."""
        mark = len(self.provider.messages)
        try:
            return await self._ask(prompt, events, max_rounds)
        except BaseException:
            del self.provider.messages[mark:]
            raise

    async def _ask(self, prompt: str, events: ChatEvents, max_rounds: int) -> ChatReport:
        self.provider.add_user(prompt)
        report = ChatReport(answer="", model=self.provider.model, rounds=0)
        while True:
            turn = await self.provider.complete(self.definitions, events.text)
            report.rounds += 1
            _add_usage(report.usage, turn)
            if not turn.tool_uses:
                report.answer = turn.text
                return report
            answers = [await self._run(use, report, events) for use in turn.tool_uses]
            self.provider.add_tool_answers(answers)
            if report.rounds >= max_rounds:
                raise McpctlError(
                    f"the model did not answer within {max_rounds} round{'' if max_rounds == 1 else 's'}",
                    hint="raise --max-rounds, or ask for less",
                )

    async def _run(self, use: ToolUse, report: ChatReport, events: ChatEvents) -> ToolAnswer:
        tool = self.names.get(use.name)
        if tool is None:
            return ToolAnswer(use.id, (f"unknown tool '{use.name}'",), True)
        events.tool_call(tool.server, tool.name, use.arguments)
        record = CallRecord(
            tool.server, tool.name, use.arguments, approved=await self.approval.allows(tool, use.arguments)
        )
        report.tool_calls.append(record)
        if not record.approved:
            record.error = "declined"
            events.tool_result(record)
            return ToolAnswer(use.id, (DECLINED,), True)
        started = time.perf_counter()
        try:
            result = await self.toolkit.call_tool(tool, dict(use.arguments), raise_on_error=False, timeout=self.timeout)
        except McpctlError as exc:
            record.duration_ms = (time.perf_counter() - started) * 1000
            record.error = exc.message
            events.tool_result(record)
            return ToolAnswer(use.id, (exc.message,), True)
        record.duration_ms = result.duration_ms
        record.result = result.result
        record.ok = not result.is_error
        events.tool_result(record)
        return ToolAnswer(use.id, result_parts(result), result.is_error)


def result_parts(result: ToolResult) -> tuple[Part, ...]:
    """What the model gets of a tool result, in order: text contents and embedded text resources as text, images
    the APIs accept as images, everything else a note saying what it was; with no content, the structured value."""
    parts = [_part(block) for block in result.content]
    if not parts and result.structured is not None:
        parts.append(json.dumps(result.structured, ensure_ascii=False))
    return tuple(parts)


def _part(block: dict[str, Any]) -> Part:
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind == "image":
        return _image(str(block.get("mimeType", "")), block.get("data"))
    if kind == "audio":
        return _note("audio", block.get("mimeType"), block.get("data"), "the APIs take no audio in tool results")
    if kind == "resource":
        resource = block.get("resource") or {}
        if isinstance(resource.get("text"), str):
            return str(resource["text"])
        what = f"resource {resource.get('uri', '')}"
        return _note(what, resource.get("mimeType"), resource.get("blob"), "the model gets text resources only")
    if kind == "resource_link":
        return f"[resource link {block.get('uri', '')}]"
    return f"[{kind} content, not passed on]"


def _image(media_type: str, data: Any) -> Part:
    """The image when the APIs take it (a documented type, valid base64, not over the size limit), else a note."""
    if media_type not in IMAGE_TYPES:
        return _note("image", media_type, data, f"the APIs take only {', '.join(IMAGE_TYPES)}")
    size = _decoded_size(data)
    if size is None:
        return f"[image {media_type}: not passed on, its data is not valid base64]"
    if len(data) > MAX_IMAGE_CHARS:
        limit = MAX_IMAGE_CHARS // 1024 // 1024
        return f"[image {media_type}, {size} bytes: not passed on, over the {limit} MB limit for an image]"
    return Image(media_type, data)


def _note(what: str, media_type: Any, data: Any, why: str) -> str:
    """``[audio audio/wav, 1234 bytes: not passed on, why]``: the model learns what it did not get, and why."""
    size = _decoded_size(data)
    kind = f" {media_type}" if media_type else ""
    return f"[{what}{kind}, {'?' if size is None else size} bytes: not passed on, {why}]"


def _decoded_size(data: Any) -> int | None:
    """The size of base64 ``data`` once decoded; None when it is not base64."""
    if not isinstance(data, str):
        return None
    try:
        return len(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        return None


def _add_usage(total: dict[str, int], turn: Turn) -> None:
    for key, value in turn.usage.items():
        total[key] = total.get(key, 0) + value
