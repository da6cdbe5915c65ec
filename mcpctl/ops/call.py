"""``call``: resolve the tool, build and validate arguments, call it, and render the result."""

from __future__ import annotations

import base64
import json
import mimetypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcpctl.core.errors import ArgumentError, McpctlError, ProtocolError, ToolFailed, UsageError
from mcpctl.core.schema.coerce import build_arguments
from mcpctl.core.schema.validate import undeclared_arguments, validate
from mcpctl.core.secrets import argument_secrets, item_secrets, mask_arguments, redact
from mcpctl.core.wire import dump_json
from mcpctl.ops.fanout import first_answer
from mcpctl.ops.model import Tool
from mcpctl.ops.registry import ToolRef, find_tool
from mcpctl.ops.tasks import asks_for_tasks, check_can_start, needs_task, start_task, wait_task
from mcpctl.ops.toolkit import AsyncToolkit, open_toolkit
from mcpctl.sessions.options import SessionOptions
from mcpctl.sessions.session import Session
from mcpctl.sessions.targets import Target


@dataclass(frozen=True)
class CallRequest:
    """A call as the user asked for it (arguments still unparsed)."""

    ref: ToolRef
    items: Sequence[str] = ()
    base: dict[str, Any] | None = None
    timeout: float | None = None
    dry_run: bool = False
    retry_unsafe: bool = False
    validate: bool = True
    #: An argument the tool does not declare is an error (exit 2, nothing sent), not a warning.
    strict_args: bool = False
    #: Where warnings go (an argument the tool does not declare), before anything is sent; None: dropped.
    warn: Callable[[str], None] | None = field(default=None, compare=False)
    #: ``--task``: start the call as a task and return the task (not its answer).
    task: bool = False


@dataclass
class CallOutcome:
    """What ``call`` prints: the wire result wrapped with what mcpctl adds."""

    server: str
    tool: str
    arguments: dict[str, Any]
    result: dict[str, Any] | None = None
    request: dict[str, Any] | None = None
    duration_ms: float = 0.0
    attempts: int = 1
    saved: list[str] = field(default_factory=list)
    #: ``--task``: the task as the server sent it (then there is no result yet).
    task: dict[str, Any] | None = None

    @property
    def is_error(self) -> bool:
        return bool(self.result and self.result.get("isError"))

    def to_json(self) -> dict[str, Any]:
        """``{"server", "tool", "result" | "request", "attempts", "duration_ms"}``."""
        out: dict[str, Any] = {"server": self.server, "tool": self.tool}
        if self.request is not None:
            out["dry_run"] = True
            out["request"] = self.request
            return out
        if self.task is not None:
            return out | {"task": self.task}
        out |= {"result": self.result, "attempts": self.attempts, "duration_ms": round(self.duration_ms, 1)}
        if self.saved:
            out["saved"] = self.saved
        return out


async def run_call(request: CallRequest, targets: Sequence[Target], options: SessionOptions) -> CallOutcome:
    """Call on the first target that can take the call, the others being its fallbacks, through the toolkit.

    A target is passed over while the call cannot be made there (it cannot be reached, times out, its
    circuit is open, it lacks the tool); an answer, even ``isError``, is final, and the final failure
    lists every attempt. Connecting is retried by the session; a call that may have reached the server
    is retried (on a reopened session) only for tools annotated read-only or idempotent, or with
    ``retry_unsafe`` (the pool's one rule).
    """
    async with open_toolkit(targets, options, retry_unsafe=request.retry_unsafe, validate=False) as tk:
        return await first_answer([t.name for t in targets], lambda name: call_on(tk, request, tk.target(name)))


async def call_on(tk: AsyncToolkit, request: CallRequest, target: Target) -> CallOutcome:
    """Look the tool up (all pages), coerce and validate the arguments, then call it (or dry-run)."""
    tool = find_tool(await tk.tools_of(target.name), request.ref, target)
    arguments = prepare_arguments(tool, request, target.name if target.config is not None else None)
    for warning in check_undeclared(tool, arguments, request, target):
        if request.warn is not None:
            request.warn(warning)
    outcome = CallOutcome(server=target.name, tool=tool.name, arguments=arguments)
    if request.dry_run:
        outcome.request = dry_run_request(tool.name, arguments)
        return outcome
    session = await tk.session(target.name)
    if request.task or needs_task(session, tool):
        return await call_as_task(session, tool, request, outcome)
    try:
        result = await tk.call_tool(tool, arguments, raise_on_error=False, timeout=request.timeout)
    except McpctlError as error:
        if not asks_for_tasks(error):
            raise
        return await call_as_task(session, tool, request, outcome)  # 2026-07-28: the server wants a task
    outcome.result, outcome.attempts, outcome.duration_ms = result.result, result.attempts, result.duration_ms
    return outcome


async def call_as_task(session: Session, tool: Tool, request: CallRequest, outcome: CallOutcome) -> CallOutcome:
    """Start the call as a task; with ``--task`` return the task, else wait for it and return its answer.

    A call made as a task is never sent twice (no retry on a reopened session): the task may be running.
    """
    if request.task:
        check_can_start(session, tool)
    started = await session.guarded(start_task(session, tool.name, outcome.arguments))
    if started.task_id is None or request.task:
        if started.task_id is None and request.warn is not None:
            request.warn(f"{session.name}: the server answered at once; no task was made")
        outcome.task, outcome.result = started.task, started.result
        return outcome
    run = await wait_task(session, started.task_id, label=tool.name, timeout=request.timeout, first=started.task)
    outcome.result, outcome.duration_ms = run.result, run.duration_ms
    return outcome


def prepare_arguments(tool: Tool, request: CallRequest, server: str | None = None) -> dict[str, Any]:
    """Items over ``--args``, coerced by the inputSchema and validated against it."""
    schema = tool.input_schema or None
    redact.add(item_secrets(request.items))  # no error line may quote a password=… item
    arguments = build_arguments(list(request.items), schema, request.base)
    redact.add(argument_secrets(arguments))
    if request.validate:
        validate(arguments, schema, target=f"{server}.{tool.name}" if server else tool.name)
    return arguments


def check_undeclared(tool: Tool, arguments: dict[str, Any], request: CallRequest, target: Target) -> list[str]:
    """Warnings for arguments the tool does not declare (a misspelt key is otherwise sent and ignored).

    Under ``--strict-args`` (or ``strict_args`` in the profile) the first one is an ArgumentError instead.
    """
    if not request.validate:
        return []
    where = f"{target.name}.{tool.name}" if target.config is not None else tool.name
    found = undeclared_arguments(arguments, tool.input_schema or None, where)
    if found and (request.strict_args or target.settings.strict_args):
        hint = "fix or drop it; without --strict-args (or profile key strict_args) it would be sent with a warning"
        raise ArgumentError(found[0], hint=hint, details=found, server=target.name)
    return found


def dry_run_request(tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """The JSON-RPC request ``call`` would send, secrets masked."""
    params = {"name": tool, "arguments": mask_arguments(arguments)}
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
    masked: dict[str, Any] = json.loads(redact(dump_json(request)))
    return masked


def tool_failed(outcome: CallOutcome) -> McpctlError:
    """The error reported when a tool answered ``isError: true``."""
    text = first_text(outcome.result or {})
    return ToolFailed(
        f"tool '{outcome.tool}' reported an error" + (f": {text}" if text else ""),
        server=outcome.server,
    )


def first_text(result: dict[str, Any]) -> str:
    """The first line of the first text content, for error messages."""
    for block in result.get("content", []):
        if block.get("type") == "text" and block.get("text", "").strip():
            return str(block["text"]).strip().splitlines()[0]
    return ""


def save_binaries(blocks: list[dict[str, Any]], directory: Path, stem: str) -> list[str]:
    """Write image/audio/blob contents into ``directory``; returns the paths (marked on the blocks as ``_saved``)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--save {directory}: {exc.strerror or exc}") from None
    saved: list[str] = []
    for index, block in enumerate(blocks, start=1):
        data, mime = _binary_of(block)
        if data is None:
            continue
        path = directory / f"{stem}-{index}{_extension(mime)}"
        try:
            content = base64.b64decode(data, validate=True)
        except ValueError:
            raise ProtocolError(
                f"--save: content {index} of the answer is not valid base64; nothing was written to {path}",
                hint="the server is at fault: its binary content must be base64",
            ) from None
        try:
            path.write_bytes(content)
        except OSError as exc:
            raise UsageError(f"--save: cannot write {path}: {exc.strerror or exc}") from None
        block["_saved"] = str(path)
        saved.append(str(path))
    return saved


def _binary_of(block: dict[str, Any]) -> tuple[str | None, str | None]:
    if block.get("type") in ("image", "audio"):
        return block.get("data"), block.get("mimeType")
    if block.get("type") == "resource" and "blob" in block.get("resource", {}):
        return block["resource"]["blob"], block["resource"].get("mimeType")
    if "blob" in block and "uri" in block:  # resources/read contents
        return block["blob"], block.get("mimeType")
    return None, None


def _extension(mime: str | None) -> str:
    if not mime:
        return ".bin"
    return {"image/png": ".png", "image/jpeg": ".jpg", "audio/wav": ".wav", "audio/mpeg": ".mp3"}.get(
        mime, mimetypes.guess_extension(mime) or ".bin"
    )


def strip_marks(blocks: list[dict[str, Any]]) -> None:
    """Remove our ``_saved`` marks (JSON output carries the wire shape only)."""
    for block in blocks:
        block.pop("_saved", None)
