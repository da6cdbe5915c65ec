"""Resource subscriptions: one line per ``notifications/resources/updated``, until a count, a bound or a signal.

The handshake era subscribes with ``resources/subscribe`` per URI (and unsubscribes on the way out, best
effort and bounded); 2026-07-28 opens one ``subscriptions/listen`` stream. Either way the updates arrive
through the session's ``resource_updated`` sink with their params exactly as the server sent them.
The watch has no idle deadline (``--timeout`` bounds each request, not the silence between updates);
``max_time`` bounds it in all.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
import math
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from mcpctl.core.errors import (
    ConnectionClosedError,
    McpctlError,
    ProtocolError,
    TimeoutExpired,
    UnsupportedRevision,
    UsageError,
)
from mcpctl.sessions.classify import attach_stdio
from mcpctl.sessions.revision import DISCOVERED_REVISIONS, explain_pin
from mcpctl.sessions.session import Session, open_session

if TYPE_CHECKING:
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

    from mcpctl.sessions.options import SessionOptions
    from mcpctl.sessions.targets import Target

log = logging.getLogger("mcpctl.ops.watch")
#: How long leaving may spend on ``resources/unsubscribe`` (all URIs together): within the grace a signal gives.
UNSUBSCRIBE_GRACE = 0.5
#: How long a ``subscriptions/listen`` stream that closed gracefully waits for its last updates to be handed over.
SETTLE = 0.05

#: How often a handshake-era watch checks that a stdio server is still running.
EXIT_POLL = 0.1
#: How often a handshake-era watch over HTTP pings its server (nothing else would notice it went away).
HEARTBEAT = 15.0

#: ``emit(line)`` writes one update as it arrives.
Emit = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Ended:
    """The subscription ended on the server's side: gracefully (``error`` None) or not."""

    error: McpctlError | None = None


@dataclass(frozen=True)
class Watched:
    """How a watch ended: ``updates`` written, and whether the server closed the subscription."""

    updates: int
    closed_by_server: bool = False


async def watch_resources(
    target: Target,
    options: SessionOptions,
    uris: Sequence[str],
    emit: Emit,
    *,
    count: int | None = None,
    read: bool = False,
) -> Watched:
    """Subscribe to ``uris`` on ``target`` and ``emit`` one line per update until ``count`` (or the bound)."""
    if not uris:
        raise UsageError("name at least one resource URI to watch", hint="mcpctl resources watch SERVER URI…")
    uris = list(dict.fromkeys(uris))  # a URI named twice is one subscription, not two lines per update
    send, receive = anyio.create_memory_object_stream[dict[str, Any] | Ended](math.inf)

    def arrived(server: str, params: dict[str, Any]) -> None:
        with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
            send.send_nowait(params)

    listening = dataclasses.replace(options, resource_updated=arrived)
    async with open_session(target, listening) as session, send, receive:
        require_subscriptions(session)
        follow = _follow(session, uris, send, receive, emit, count, read)
        return await session.guarded(follow, math.inf)  # abandonable: a signal still lets it unsubscribe


def require_subscriptions(session: Session) -> None:
    """A server must offer ``resources.subscribe``; exit 5 otherwise, as for any method a server lacks.

    Pinned to a 2026 revision, the SDK connects without asking what the server offers (all
    capabilities unknown): the server's answer to the subscription itself settles it then.
    """
    capabilities = session.client.server_capabilities
    resources = getattr(capabilities, "resources", None)
    if resources is not None and resources.subscribe:
        return
    if resources is None and getattr(session.client, "mode", None) in DISCOVERED_REVISIONS:
        return
    raise ProtocolError(
        f"{session.name} does not support resource subscriptions (capabilities.resources.subscribe is not set)",
        hint="read it when needed instead: mcpctl resources read SERVER URI",
        server=session.name,
    )


async def _follow(
    session: Session,
    uris: Sequence[str],
    send: MemoryObjectSendStream[dict[str, Any] | Ended],
    receive: MemoryObjectReceiveStream[dict[str, Any] | Ended],
    emit: Emit,
    count: int | None,
    read: bool,
) -> Watched:
    """Subscribe, then write updates until ``count`` or ``max_time``; always unsubscribe (bounded)."""
    subscription = _listening(session, uris, send) if session.modern else _subscribed(session, uris, send)
    written = 0
    async with subscription:
        bound = session.target.max_time
        with anyio.move_on_after(math.inf if bound is None else bound) as clock:
            async for item in receive:
                if isinstance(item, Ended):
                    if item.error is not None:
                        raise item.error
                    return Watched(written, closed_by_server=True)
                emit(await _line(session, item, read))
                written += 1
                if count is not None and written >= count:
                    return Watched(written)
        if clock.cancelled_caught:
            raise _over_bound(session, bound, written, count)
    return Watched(written)


def _over_bound(session: Session, bound: float | None, written: int, count: int | None) -> TimeoutExpired:
    wanted = f" of {count}" if count is not None else ""
    return TimeoutExpired(
        f"timed out: watched for {bound:g}s (--max-time), {written}{wanted} update(s) seen",
        hint="raise --max-time (or max_time_sec in the profile), or leave it out to watch until Ctrl-C",
        server=session.name,
    )


async def _line(session: Session, params: dict[str, Any], read: bool) -> dict[str, Any]:
    """One update: the URI, the server, when it arrived, the rest of the params; with ``read``, the contents."""
    uri = params.get("uri")
    line: dict[str, Any] = {"uri": uri, "server": session.name, "time": _now()}
    line.update((k, v) for k, v in params.items() if k != "uri")
    if read and isinstance(uri, str):
        try:
            result = await session.guarded(session.client.read_resource(uri))
        except ProtocolError as error:  # e.g. removed since: the update still happened
            line["error"] = error.to_json()["error"]
        else:
            line["result"] = session.wire(result)
    return line


def _now() -> str:
    """ISO-8601 UTC with milliseconds, as ``2026-07-28T12:00:00.123Z``."""
    stamp = datetime.datetime.now(datetime.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


@contextlib.asynccontextmanager
async def _subscribed(
    session: Session, uris: Sequence[str], send: MemoryObjectSendStream[dict[str, Any] | Ended]
) -> AsyncIterator[None]:
    """Handshake era: ``resources/subscribe`` each URI; ``resources/unsubscribe`` them on every way out."""
    done: list[str] = []
    try:
        for uri in uris:
            try:
                await session.guarded(session.client.subscribe_resource(uri))
            except ProtocolError as error:
                error.message = f"could not subscribe to {uri}: {error.message}"
                raise
            done.append(uri)
        async with anyio.create_task_group() as tg:
            tg.start_soon(_alive, session, send)
            try:
                yield
            finally:
                tg.cancel_scope.cancel()
    finally:
        await _unsubscribe(session, done)


async def _alive(session: Session, send: MemoryObjectSendStream[dict[str, Any] | Ended]) -> None:
    """End the watch when the server goes away: with no request in flight, nothing else would notice.

    A stdio server's exit is seen at once; an HTTP server is pinged every ``HEARTBEAT`` seconds
    (any answer, even a JSON-RPC error, means it is there).
    """
    if session.stdio is not None:
        while session.stdio.returncode is None:
            await anyio.sleep(EXIT_POLL)
        await anyio.sleep(SETTLE)  # updates it wrote before exiting are still handed over
        gone = ConnectionClosedError("the server went away while watching", server=session.name)
        attach_stdio(gone, session.stdio)
        send.send_nowait(Ended(gone))
        return
    while True:
        await anyio.sleep(HEARTBEAT)
        try:
            await session.guarded(session.client.send_ping(), HEARTBEAT)
        except ProtocolError:
            continue
        except McpctlError as error:
            send.send_nowait(Ended(error))
            return


async def _unsubscribe(session: Session, uris: Sequence[str]) -> None:
    """Best effort and bounded (shielded: it also runs when a signal cancels the watch)."""
    if not uris:
        return
    with anyio.CancelScope(shield=True), anyio.move_on_after(UNSUBSCRIBE_GRACE):
        for uri in uris:
            try:
                await session.client.unsubscribe_resource(uri)
            except Exception as exc:  # the server's loss: we are leaving anyway
                log.info("%s: resources/unsubscribe %s failed: %s", session.name, uri, exc)


@contextlib.asynccontextmanager
async def _listening(
    session: Session, uris: Sequence[str], send: MemoryObjectSendStream[dict[str, Any] | Ended]
) -> AsyncIterator[None]:
    """2026-07-28: one ``subscriptions/listen`` stream for every URI; leaving it cancels the stream.

    The SDK's own iterator is drained alongside (its backlog would otherwise fill up) only to learn
    how the stream ends; the lines come from the sink, which has the params as sent.
    """
    from mcp.client.subscriptions import SubscriptionLost

    try:
        stream = session.client.listen(resource_subscriptions=list(uris))
        subscription = await stream.__aenter__()
    except Exception as exc:
        raise await _refused(session, exc) from exc
    try:
        honored = set(subscription.honored.resource_subscriptions or ())
        refused = [uri for uri in uris if uri not in honored]
        if refused:
            raise ProtocolError(
                f"the server did not accept a subscription to {', '.join(refused)}",
                hint="check the URI: mcpctl resources list SERVER",
                server=session.name,
            )

        async def drain() -> None:
            try:
                async for _ in subscription:
                    pass
            except SubscriptionLost as exc:
                send.send_nowait(Ended(_lost(session, exc)))
                return
            await anyio.sleep(SETTLE)  # the last updates' hand-over runs in tasks of its own
            send.send_nowait(Ended())

        async with anyio.create_task_group() as tg:
            tg.start_soon(drain)
            try:
                yield
            finally:
                tg.cancel_scope.cancel()
    except BaseException as exc:
        if not await stream.__aexit__(type(exc), exc, exc.__traceback__):
            raise
    else:
        await stream.__aexit__(None, None, None)


async def _refused(session: Session, exc: Exception) -> McpctlError:
    """Our error for a ``subscriptions/listen`` that failed before its acknowledgment."""
    error = await explain_pin(session.client, session.error(exc))
    if isinstance(error, ProtocolError) and not isinstance(error, UnsupportedRevision) and error.code == -32601:
        error.message = (
            f"{session.name} does not support resource subscriptions (subscriptions/listen: {error.message})"
        )
    return error


def _lost(session: Session, exc: Exception) -> McpctlError:
    """The stream ended without the server's graceful close (it went away, or cancelled it)."""
    cause = exc.__cause__
    detail = f": {cause}" if cause is not None else ""
    return ConnectionClosedError(f"the server dropped the subscription{detail}", server=session.name)
