"""A server of subscribable resources for mcpctl's tests of ``resources watch``, in both protocol eras.

Usage::

    python tests/servers/watch.py [--every S] [--no-subscribe]              # stdio
    python tests/servers/watch.py [--every S] [--no-subscribe] --http PORT  # Streamable HTTP on 127.0.0.1:PORT/mcp

Resources ``watch://counter`` and ``watch://other`` (text ``"<name> <n>"``, n counting the updates). An update
is announced as each era expects: ``notifications/resources/updated`` to the sessions that sent
``resources/subscribe`` (handshake era), or an event on the ``subscriptions/listen`` streams (2026-07-28).

==============  ========================================================================================
touch           ``touch(uri="watch://counter")``: one update of that resource (any URI: announced all the same)
--every S       an update of ``watch://counter`` every S seconds, from start-up
--tick URI      with --every: announce URI instead; it is subscribable even when not a resource (one removed as
                it changed: reading it fails with "Unknown resource")
--no-subscribe  no ``resources/subscribe`` handler and no ``subscriptions/listen``: the capability is off
--exit-after S  exits (status 0) S seconds after start-up, as a server that goes away mid-watch
--close-after S ends each ``subscriptions/listen`` stream gracefully (its result) S seconds after it opened
==============  ========================================================================================

``resources/subscribe`` of a URI the server does not have is JSON-RPC error -32602 "Unknown resource: URI".
Each subscribe, unsubscribe and listen stream is appended to $WATCH_CALLS, if set, as "subscribe URI",
"unsubscribe URI", "listen URI,URI…" and "listen-end", with "pid PID" first (a test reads what the server saw).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

NAMES = ("counter", "other")


def note(line: str) -> None:
    """Append ``line`` to $WATCH_CALLS, if set."""
    path = os.environ.get("WATCH_CALLS")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def build(
    every: float | None,
    subscribe: bool,
    exit_after: float | None = None,
    tick: str = "watch://counter",
    close_after: float | None = None,
) -> Any:
    import anyio
    from mcp.server.mcpserver import MCPServer
    from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler
    from mcp.shared.exceptions import MCPError
    from mcp.shared.subscriptions import ResourceUpdated
    from mcp.types import INVALID_PARAMS, EmptyResult, SubscribeRequestParams, UnsubscribeRequestParams

    counts = dict.fromkeys(NAMES, 0)
    subscribers: dict[str, list[Any]] = {}
    bus = InMemorySubscriptionBus()

    async def announce(uri: str) -> None:
        name = uri.removeprefix("watch://")
        if name in counts:
            counts[name] += 1
        await bus.publish(ResourceUpdated(uri=uri))  # 2026-07-28: the listen streams
        for session in list(subscribers.get(uri, [])):  # handshake era: the subscribed sessions
            with contextlib.suppress(Exception):
                await session.send_resource_updated(uri)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tg:
            if every is not None:

                async def ticker() -> None:
                    while True:
                        await anyio.sleep(every)
                        await announce(tick)

                tg.start_soon(ticker)
            if exit_after is not None:

                async def leave() -> None:
                    await anyio.sleep(exit_after)
                    os._exit(0)

                tg.start_soon(leave)
            yield
            tg.cancel_scope.cancel()

    mcp = MCPServer(
        "watch",
        version="1.0.0",
        instructions="Resources that change.",
        log_level="WARNING",
        lifespan=lifespan,
        subscriptions=False,  # the listen handler is registered below, noting each stream
    )

    def reader(name: str) -> Any:
        def read() -> str:
            return f"{name} {counts[name]}"

        return read

    for name in NAMES:
        mcp.resource(f"watch://{name}", name=name, mime_type="text/plain")(reader(name))

    async def touch(uri: str = "watch://counter") -> str:
        await announce(uri)
        return f"touched {uri}"

    mcp.tool(description="Announce one update of a resource.")(touch)
    if not subscribe:
        return mcp

    async def on_subscribe(ctx: Any, params: SubscribeRequestParams) -> EmptyResult:
        uri = str(params.uri)
        note(f"subscribe {uri}")
        if uri.removeprefix("watch://") not in counts and uri != tick:
            raise MCPError(INVALID_PARAMS, f"Unknown resource: {uri}")
        subscribers.setdefault(uri, []).append(ctx.session)
        return EmptyResult()

    async def on_unsubscribe(ctx: Any, params: UnsubscribeRequestParams) -> EmptyResult:
        uri = str(params.uri)
        note(f"unsubscribe {uri}")
        with contextlib.suppress(ValueError):
            subscribers.get(uri, []).remove(ctx.session)
        return EmptyResult()

    listen = ListenHandler(bus)

    async def on_listen(ctx: Any, params: Any) -> Any:
        note("listen " + ",".join(params.notifications.resource_subscriptions or ()))
        try:
            if close_after is None:
                return await listen(ctx, params)
            async with anyio.create_task_group() as tg:

                async def closer() -> None:
                    await anyio.sleep(close_after)
                    listen.close()

                tg.start_soon(closer)
                result = await listen(ctx, params)
                tg.cancel_scope.cancel()
            return result
        finally:
            note("listen-end")

    low = mcp._lowlevel_server
    low.add_request_handler("resources/subscribe", SubscribeRequestParams, on_subscribe)
    low.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, on_unsubscribe)
    from mcp.types import SubscriptionsListenRequestParams

    low.add_request_handler("subscriptions/listen", SubscriptionsListenRequestParams, on_listen)
    return mcp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="An MCP server of subscribable resources (for tests).")
    parser.add_argument("--every", type=float, default=None, metavar="S")
    parser.add_argument("--no-subscribe", action="store_true")
    parser.add_argument("--exit-after", type=float, default=None, metavar="S")
    parser.add_argument("--tick", default="watch://counter", metavar="URI")
    parser.add_argument("--close-after", type=float, default=None, metavar="S")
    parser.add_argument("--http", type=int, default=None, metavar="PORT")
    args = parser.parse_args(argv)
    note(f"pid {os.getpid()}")
    mcp = build(args.every, not args.no_subscribe, args.exit_after, args.tick, args.close_after)
    if args.http is None:
        mcp.run()
        return 0
    import uvicorn

    print(f"watch: serving on http://127.0.0.1:{args.http}/mcp", file=sys.stderr, flush=True)
    app = mcp.streamable_http_app(host="127.0.0.1")
    uvicorn.run(app, host="127.0.0.1", port=args.http, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
