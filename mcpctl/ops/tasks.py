"""Tasks: start a tool call as a task, poll it, fetch its answer, cancel it (issue 18).

Two revisions have tasks, spelt differently:

- 2025-11-25 (experimental, core): the server declares ``capabilities.tasks.requests.tools.call`` and each tool
  its ``execution.taskSupport``; the client asks with ``params.task`` and gets ``{"task": {...}}``; the answer
  comes from ``tasks/result``; fields ``ttl``/``pollInterval``.
- 2026-07-28 (the ``io.modelcontextprotocol/tasks`` extension): the client declares the extension in each
  request's capabilities and the server decides; a task answers ``{"resultType": "task", "taskId", ...}`` and
  ``tasks/get`` carries the ``result`` (or the JSON-RPC ``error``) once it ends; fields ``ttlMs``/``pollIntervalMs``.

The SDK (2.3) has no client side for either, so the requests go out through the session's raw request path,
stamped as every other request of the session, and come back exactly as the server sent them.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio

from mcpctl.core.errors import McpctlError, ProtocolError, TimeoutExpired, ToolFailed, UsageError
from mcpctl.core.progress import Progress
from mcpctl.ops.model import Tool
from mcpctl.sessions.clock import CallClock
from mcpctl.sessions.options import SessionOptions
from mcpctl.sessions.raw import EXTENSION, raw_request
from mcpctl.sessions.session import Session, open_session
from mcpctl.sessions.targets import Target

TERMINAL = frozenset({"completed", "failed", "cancelled"})
#: Polling: the server's suggested interval, kept within these bounds; without one, a backoff up to the cap.
POLL_FLOOR = 0.05
POLL_FIRST = 0.2
POLL_CAP = 5.0
#: How long an abandoned wait may spend telling the server (``tasks/cancel``) before it gives up.
CANCEL_GRACE = 0.8
_numbers = itertools.count(1_000_001)  # progress lines of task waits, apart from those of calls


@dataclass
class TaskRun:
    """What starting or waiting for a task gave: the task as the server last sent it, and the call's answer."""

    server: str
    task_id: str | None = None
    #: The task object exactly as the server sent it (2025-11-25: ``result.task``; 2026-07-28: the whole result).
    task: dict[str, Any] | None = None
    #: The tool's answer (a ``CallToolResult``, as sent), once the task completed, or when no task was made.
    result: dict[str, Any] | None = None
    duration_ms: float = 0.0
    polls: int = 0

    @property
    def failed(self) -> bool:
        """The task failed (2025-11-25 also fails a task whose tool answered ``isError``)."""
        return bool(self.task and self.task.get("status") == "failed")

    def to_json(self) -> dict[str, Any]:
        """``tasks wait -o json``: ``{"server", "taskId", "result", "duration_ms"}``."""
        return {
            "server": self.server,
            "taskId": self.task_id,
            "result": self.result,
            "duration_ms": round(self.duration_ms, 1),
        }


# ------------------------------------------------------------------------------------------ support


def task_support(tool: Tool) -> str:
    """The tool's ``execution.taskSupport``: ``required``, ``optional`` or ``forbidden`` (absent means forbidden)."""
    execution = tool.raw.get("execution") or {}
    value = execution.get("taskSupport") if isinstance(execution, dict) else None
    return value if value in ("required", "optional", "forbidden") else "forbidden"


def server_has_tasks(session: Session) -> bool:
    """Whether the server offers tasks for ``tools/call`` in the revision the session speaks."""
    from mcpctl.core.wire import wire

    capabilities: dict[str, Any] = wire(session.client.server_capabilities) or {}
    if session.modern:
        return EXTENSION in (capabilities.get("extensions") or {})
    tasks = capabilities.get("tasks") or {}
    return "call" in ((tasks.get("requests") or {}).get("tools") or {})


def check_can_start(session: Session, tool: Tool) -> None:
    """``--task`` on a server or tool that does not offer tasks is a usage error (exit 2), sent nowhere.

    2025-11-25 says a client MUST NOT ask a tool for a task unless the server declares task-augmented
    ``tools/call`` and the tool's ``taskSupport`` is ``optional`` or ``required``; at 2026-07-28 the
    server decides per call, so only the extension is checked (and an explicit ``forbidden``).
    """
    where = f"{session.name}.{tool.name}"
    if not server_has_tasks(session):
        what = f"the {EXTENSION} extension" if session.modern else "task-augmented tools/call (capabilities.tasks)"
        raise UsageError(
            f"--task: server '{session.name}' does not offer {what}",
            hint="call the tool without --task",
            server=session.name,
        )
    support = task_support(tool)
    explicit = (tool.raw.get("execution") or {}).get("taskSupport") is not None
    if support == "forbidden" and (explicit or not session.modern):
        raise UsageError(
            f"--task: tool '{where}' does not run as a task (execution.taskSupport is "
            + ("'forbidden'" if explicit else "absent, which means forbidden")
            + ")",
            hint="call it without --task",
            server=session.name,
        )


def needs_task(session: Session, tool: Tool) -> bool:
    """A plain call that must be made as a task: taskSupport ``required`` (2025-11-25)."""
    return not session.modern and task_support(tool) == "required" and server_has_tasks(session)


def asks_for_tasks(error: McpctlError) -> bool:
    """A 2026-07-28 server refused a call unless the client declares the tasks extension (-32021)."""
    if not isinstance(error, ProtocolError) or error.code != -32021:
        return False
    required = (error.data or {}).get("requiredCapabilities") if isinstance(error.data, dict) else None
    return EXTENSION in ((required or {}).get("extensions") or {})


# ------------------------------------------------------------------------------------------ the wire


async def get_task(session: Session, task_id: str) -> dict[str, Any]:
    """``tasks/get``: the task as the server sent it."""
    return await raw_request(session, "tasks/get", {"taskId": task_id}, tasks=True, name=task_id)


async def cancel_task(session: Session, task_id: str) -> dict[str, Any]:
    """``tasks/cancel``: the server's answer (2025-11-25: the task; 2026-07-28: an empty acknowledgement)."""
    return await raw_request(session, "tasks/cancel", {"taskId": task_id}, tasks=True, name=task_id)


async def start_task(session: Session, tool: str, arguments: dict[str, Any]) -> TaskRun:
    """``tools/call`` as a task: the created task, or (2026-07-28, the server's choice) the answer itself."""
    params: dict[str, Any] = {"name": tool, "arguments": arguments}
    if not session.modern:
        params["task"] = {}
    answer = await raw_request(session, "tools/call", params, tasks=True)
    task = answer if answer.get("resultType") == "task" else answer.get("task")
    if isinstance(task, dict) and isinstance(task.get("taskId"), str):
        return TaskRun(server=session.name, task_id=task["taskId"], task=task)
    if session.modern and "content" in answer:
        return TaskRun(server=session.name, result=answer)
    raise ProtocolError(
        f"tool '{tool}' was asked for a task but the answer has no task id", server=session.name, data=answer
    )


# ------------------------------------------------------------------------------------------ waiting


async def wait_task(
    session: Session,
    task_id: str,
    *,
    label: str | None = None,
    timeout: float | None = None,
    first: dict[str, Any] | None = None,
) -> TaskRun:
    """Poll ``task_id`` until it ends, then fetch its answer; cancel it (``tasks/cancel``) if the wait is given up.

    Polls at the server's ``pollInterval``/``pollIntervalMs`` (kept between ``POLL_FLOOR`` and ``POLL_CAP``;
    without one, a backoff up to the cap). ``timeout`` (default: the server's tool timeout) is the longest
    the task may go without a new status or status message, ``target.max_time`` the longest wait in all;
    missing either, or being interrupted (Ctrl-C, SIGTERM), sends ``tasks/cancel``.
    """
    started = time.perf_counter()
    run = TaskRun(server=session.name, task_id=task_id, task=first)
    clock = CallClock(timeout if timeout is not None else session.target.tool_timeout, session.target.max_time)
    label = label or f"task {task_id}"

    async def body() -> None:
        try:
            with clock.scope:
                await _poll(session, run, clock, label)
                return
            await _cancel_quietly(session, task_id)
            raise _expired(clock, session.name, label)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await _cancel_quietly(session, task_id)
            raise

    await session.guarded(body(), math.inf)
    run.result = await session.guarded(_answer(session, run), math.inf)
    run.duration_ms = (time.perf_counter() - started) * 1000
    return run


async def _poll(session: Session, run: TaskRun, clock: CallClock, label: str) -> None:
    """``tasks/get`` until a terminal status; each new status or message restarts the silence deadline."""
    number = next(_numbers)
    seen: tuple[Any, Any] | None = None
    changes = 0
    backoff = POLL_FIRST
    while True:
        task = run.task = await get_task(session, str(run.task_id))
        run.polls += 1
        state = (task.get("status"), task.get("statusMessage"))
        if state != seen:
            seen = state
            changes += 1
            clock.touch()
            if session.progress is not None:
                status, note = state
                message = str(note or status) if status == "working" else f"{status}" + (f": {note}" if note else "")
                session.progress(Progress(session.name, label, number, changes, None, message))
        status = task.get("status")
        if status in TERMINAL:
            return
        if status == "input_required":
            if not session.modern:
                return  # tasks/result carries the server's questions (elicitation) and then the answer
            raise ToolFailed(
                f"{label} needs input (input_required), which mcpctl cannot give to a task yet",
                hint="answer it with a client that supports tasks/update",
                server=session.name,
            )
        interval = _interval(task)
        delay = interval if interval is not None else backoff
        backoff = min(POLL_CAP, backoff * 2)
        await anyio.sleep(delay)


def _interval(task: dict[str, Any]) -> float | None:
    """The server's suggested poll interval in seconds, within the bounds (None: it suggested none)."""
    value = task.get("pollIntervalMs", task.get("pollInterval"))
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return min(POLL_CAP, max(POLL_FLOOR, value / 1000))


async def _answer(session: Session, run: TaskRun) -> dict[str, Any] | None:
    """The call's answer once the task ended: inline (2026-07-28) or from ``tasks/result`` (2025-11-25)."""
    task = run.task or {}
    status = task.get("status")
    message = task.get("statusMessage")
    if status == "cancelled":
        raise ToolFailed(f"task {run.task_id} was cancelled" + (f": {message}" if message else ""), server=run.server)
    if session.modern:
        if status == "completed":
            result: dict[str, Any] = task.get("result") or {}
            return result
        error = task.get("error") or {}
        reason = error.get("message") or message or "no reason given"
        raise ToolFailed(f"task {run.task_id} failed: {reason}", server=run.server)
    try:
        return await raw_request(session, "tasks/result", {"taskId": run.task_id}, timeout=math.inf)
    except Exception as exc:  # the task's own JSON-RPC error: the work failed (exit 1), the protocol did not
        if status != "failed" or not hasattr(exc, "code"):
            raise
        reason = getattr(exc, "message", None) or message or str(exc)
        raise ToolFailed(f"task {run.task_id} failed: {reason}", server=run.server) from None


async def _cancel_quietly(session: Session, task_id: str) -> None:
    """Tell the server the task is given up (``tasks/cancel``), briefly and whatever it answers."""
    with anyio.move_on_after(CANCEL_GRACE), contextlib.suppress(Exception):
        await cancel_task(session, task_id)


def _expired(clock: CallClock, server: str, label: str) -> TimeoutExpired:
    return clock.expired(server, label, silent="reported no new status", cancelled="it was cancelled (tasks/cancel)")


# ------------------------------------------------------------------------------------------ commands


@contextlib.asynccontextmanager
async def task_session(target: Target, options: SessionOptions) -> AsyncIterator[Session]:
    """A session for ``tasks get|wait|cancel`` (a stdio server's tasks die with it: only HTTP outlives us)."""
    async with open_session(target, options) as session:
        yield session


async def get_on(target: Target, options: SessionOptions, task_id: str) -> dict[str, Any]:
    """``tasks get``: the task's status object as the server sent it."""
    async with task_session(target, options) as session:
        return await session.guarded(get_task(session, task_id))


async def cancel_on(target: Target, options: SessionOptions, task_id: str) -> dict[str, Any]:
    """``tasks cancel``: the server's answer as sent."""
    async with task_session(target, options) as session:
        return await session.guarded(cancel_task(session, task_id))


async def wait_on(target: Target, options: SessionOptions, task_id: str, timeout: float | None = None) -> TaskRun:
    """``tasks wait``: poll until the task ends and return its answer."""
    async with task_session(target, options) as session:
        return await wait_task(session, task_id, timeout=timeout)
