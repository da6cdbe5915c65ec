"""The two provider adapters: Anthropic Messages and OpenAI-compatible Chat Completions, both streamed.

Each adapter keeps the conversation in its API's own message format, sends it with the tools,
passes text deltas to ``on_text`` as they arrive and returns the finished ``Turn``. The SDKs are
optional (``pip install 'mcpctl[llm]'``) and imported only here, when a chat starts; their errors
become ours: a rejected key is an ``AuthError`` (6), an unreachable endpoint a ``ConnectError`` (3),
a timeout ``TimeoutExpired`` (4), any other HTTP error a ``ProtocolError`` (5) with the provider's message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from mcpctl.core.errors import AuthError, ConnectError, ProtocolError, TimeoutExpired, UsageError

PROVIDERS = ("anthropic", "openai")
KEY_VARS = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
INSTALL_HINT = "pip install 'mcpctl[llm]'"
MAX_TOKENS = 4096

TextSink = Callable[[str], None]


@dataclass(frozen=True)
class ToolUse:
    """One tool call the model asks for: its id (echoed back with the result), exported name and arguments."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass
class Turn:
    """What the model said in one round: its text and the tool calls it asks for."""

    text: str = ""
    tool_uses: list[ToolUse] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)


#: The image types both APIs document as input (Anthropic image blocks, OpenAI vision); others become a text note.
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


@dataclass(frozen=True)
class Image:
    """An image for the model: its media type and base64 data, exactly as the tool sent them."""

    media_type: str
    data: str

    @property
    def data_url(self) -> str:
        """The ``data:`` URL the Chat Completions API takes in an ``image_url`` part."""
        return f"data:{self.media_type};base64,{self.data}"


#: One piece of a tool answer, in the tool's order: text, or an image the API accepts.
Part = str | Image


@dataclass(frozen=True)
class ToolAnswer:
    """A tool call's outcome as the model gets it: its parts (text and images), and whether it is an error."""

    id: str
    parts: tuple[Part, ...]
    is_error: bool

    @property
    def text(self) -> str:
        """The text parts joined by newlines."""
        return "\n".join(p for p in self.parts if isinstance(p, str))

    @property
    def images(self) -> list[Image]:
        return [p for p in self.parts if isinstance(p, Image)]


class Provider(Protocol):
    """A conversation with one model through one API."""

    model: str
    messages: list[dict[str, Any]]

    def add_user(self, text: str) -> None: ...

    async def complete(self, tools: list[dict[str, Any]], on_text: TextSink) -> Turn: ...

    def add_tool_answers(self, answers: list[ToolAnswer]) -> None: ...

    def clear(self) -> None: ...

    async def aclose(self) -> None: ...


def open_provider(name: str, model: str, api_key: str, base_url: str | None, timeout: float | None = None) -> Provider:
    """The adapter for ``name`` (``anthropic`` or ``openai``); a usage error when its SDK is not installed.

    ``timeout``: the longest the API may stay silent (connect, or between two reads of a stream), per attempt; the
    SDKs' own default is 600 s, too long for a CI step to notice a stuck provider.
    """
    if name == "anthropic":
        return AnthropicChat(_client("anthropic", api_key, base_url, timeout), model)
    if name == "openai":
        return OpenAIChat(_client("openai", api_key, base_url, timeout), model)
    raise UsageError(f"unknown --provider '{name}'", hint=f"use one of: {', '.join(PROVIDERS)}")


def _client(name: str, api_key: str, base_url: str | None, timeout: float | None) -> Any:
    extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    try:
        if name == "anthropic":
            import anthropic

            return anthropic.AsyncAnthropic(api_key=api_key, base_url=base_url, **extra)
        import openai

        return openai.AsyncOpenAI(api_key=api_key, base_url=base_url, **extra)
    except ImportError:
        raise UsageError(f"mcpctl chat needs the '{name}' package", hint=INSTALL_HINT) from None


@contextmanager
def provider_errors(sdk: Any, base_url: str | None) -> Iterator[None]:
    """Turn the SDK's exceptions (anthropic and openai name them alike) into mcpctl's errors."""
    where = base_url or "the provider"
    try:
        yield
    except sdk.AuthenticationError as exc:
        raise AuthError(
            f"{where} rejected the API key (HTTP {exc.status_code}): {_message(exc)}",
            hint="check the API key in the environment",
        ) from None
    except sdk.APITimeoutError:
        raise TimeoutExpired(f"{where} did not answer in time", hint="raise --llm-timeout") from None
    except sdk.APIConnectionError as exc:
        raise ConnectError(
            f"cannot reach {where}: {exc.__cause__ or exc}", hint="check --base-url and the network"
        ) from None
    except sdk.APIStatusError as exc:
        raise ProtocolError(f"{where} answered HTTP {exc.status_code}: {_message(exc)}") from None
    except sdk.APIError as exc:
        raise ProtocolError(f"{where}: {_message(exc)}") from None
    except Exception as exc:
        # Mid-stream, the SDKs let their HTTP client's errors through unwrapped (httpx's or httpx2's).
        if type(exc).__module__.split(".")[0] not in ("httpx", "httpx2"):
            raise
        if "Timeout" in type(exc).__name__:
            raise TimeoutExpired(
                f"{where} went silent mid-answer ({type(exc).__name__})", hint="raise --llm-timeout"
            ) from None
        raise ConnectError(f"{where} dropped the answer: {exc or type(exc).__name__}") from None


def _message(exc: Any) -> str:
    """The provider's own error message (``{"error": {"message": …}}`` in both APIs)."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
    return str(getattr(exc, "message", None) or exc)


# ----------------------------------------------------------------------------------------------------- Anthropic


class _Conversation:
    """What both providers keep: the SDK client, the model and the messages so far."""

    def __init__(self, client: Any, model: str) -> None:
        self._client = client
        self.model = model
        self.messages: list[dict[str, Any]] = []

    def add_user(self, text: str) -> None:
        self.messages.append({"role": "user", "content": text})

    def clear(self) -> None:
        self.messages.clear()

    async def aclose(self) -> None:
        """Close the SDK's HTTP client while its event loop still runs."""
        await self._client.close()


class AnthropicChat(_Conversation):
    """The Messages API: ``tool_use`` blocks in the assistant turn, ``tool_result`` blocks in the next user turn."""

    async def complete(self, tools: list[dict[str, Any]], on_text: TextSink) -> Turn:
        import anthropic

        extra: dict[str, Any] = {"tools": tools} if tools else {}
        with provider_errors(anthropic, str(self._client.base_url)):
            async with self._client.messages.stream(
                model=self.model, max_tokens=MAX_TOKENS, messages=self.messages, **extra
            ) as stream:
                async for event in stream:
                    if event.type == "text":
                        on_text(event.text)
                message = await stream.get_final_message()
        turn = Turn(usage=_usage(message.usage, ("input_tokens", "output_tokens")))
        content: list[dict[str, Any]] = []
        for block in message.content:
            if block.type == "text":
                turn.text += block.text
                content.append({"type": "text", "text": block.text})
            elif block.type == "tool_use":
                arguments = dict(block.input) if isinstance(block.input, dict) else {}
                turn.tool_uses.append(ToolUse(block.id, block.name, arguments))
                content.append({"type": "tool_use", "id": block.id, "name": block.name, "input": arguments})
        self.messages.append({"role": "assistant", "content": content})
        return turn

    def add_tool_answers(self, answers: list[ToolAnswer]) -> None:
        blocks = [
            {"type": "tool_result", "tool_use_id": a.id, "content": _anthropic_content(a), "is_error": a.is_error}
            for a in answers
        ]
        self.messages.append({"role": "user", "content": blocks})


def _anthropic_content(answer: ToolAnswer) -> str | list[dict[str, Any]]:
    """A ``tool_result``'s content: the text, or with images a list of ``text`` and base64 ``image`` blocks in order.

    The API rejects empty text blocks, so empty text parts are left out."""
    if not answer.images:
        return answer.text
    blocks: list[dict[str, Any]] = []
    for part in answer.parts:
        if isinstance(part, Image):
            source = {"type": "base64", "media_type": part.media_type, "data": part.data}
            blocks.append({"type": "image", "source": source})
        elif part:
            blocks.append({"type": "text", "text": part})
    return blocks


# -------------------------------------------------------------------------------------------------------- OpenAI


class OpenAIChat(_Conversation):
    """Chat Completions: ``tool_calls`` on the assistant message, one ``role: tool`` message per result."""

    async def complete(self, tools: list[dict[str, Any]], on_text: TextSink) -> Turn:
        import openai

        extra: dict[str, Any] = {"tools": tools} if tools else {}
        turn = Turn()
        calls: dict[int, dict[str, str]] = {}
        with provider_errors(openai, str(self._client.base_url)):
            stream = await self._client.chat.completions.create(
                model=self.model,
                messages=self.messages,
                stream=True,
                stream_options={"include_usage": True},
                **extra,
            )
            async for chunk in stream:
                if chunk.usage is not None:
                    turn.usage = _usage(chunk.usage, ("prompt_tokens", "completion_tokens"))
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta.content:
                        turn.text += delta.content
                        on_text(delta.content)
                    for part in delta.tool_calls or ():
                        call = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                        call["id"] = part.id or call["id"]
                        if part.function is not None:
                            call["name"] += part.function.name or ""
                            call["arguments"] += part.function.arguments or ""
        for _, call in sorted(calls.items()):
            turn.tool_uses.append(ToolUse(call["id"], call["name"], _arguments(call["arguments"])))
        message: dict[str, Any] = {"role": "assistant", "content": turn.text or None}
        if calls:
            message["tool_calls"] = [
                {
                    "id": c["id"],
                    "type": "function",
                    "function": {"name": c["name"], "arguments": c["arguments"] or "{}"},
                }
                for _, c in sorted(calls.items())
            ]
        self.messages.append(message)
        return turn

    def add_tool_answers(self, answers: list[ToolAnswer]) -> None:
        """One ``tool`` message per call, directly after the assistant's ``tool_calls`` (the API requires it), then
        the images, if any, in one ``user`` message: a ``tool`` message's content may only be text."""
        images: list[dict[str, Any]] = []
        for a in answers:
            text = "\n".join(_openai_text(p) for p in a.parts)
            text = f"Error: {text}" if a.is_error else text
            self.messages.append({"role": "tool", "tool_call_id": a.id, "content": text})
            for image in a.images:
                images.append({"type": "text", "text": f"Image returned by tool call {a.id} ({image.media_type}):"})
                images.append({"type": "image_url", "image_url": {"url": image.data_url}})
        if images:
            self.messages.append({"role": "user", "content": images})


def _openai_text(part: Part) -> str:
    """A part as the ``tool`` message's text: an image is said to follow in a user message."""
    if isinstance(part, Image):
        return f"[image {part.media_type}: in the user message after the tool results]"
    return part


def _arguments(text: str) -> dict[str, Any]:
    """The model's arguments JSON (an object), or {} when it sent none or broken JSON (validation then says why)."""
    try:
        value = json.loads(text) if text.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _usage(usage: Any, keys: tuple[str, str]) -> dict[str, int]:
    if usage is None:
        return {}
    return {key: int(getattr(usage, key, 0) or 0) for key in keys}
