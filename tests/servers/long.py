"""A server of long-running tools for mcpctl's tests of progress, deadlines, cancellation and server logs.

Usage::

    python tests/servers/long.py            # stdio
    python tests/servers/long.py --http PORT  # Streamable HTTP on 127.0.0.1:PORT/mcp

Tools (each call and each ``notifications/cancelled`` is appended to $LONG_CALLS, if set, as
"call TOOL ID PID", "done TOOL ID", "cancelled ID" and "setLevel LEVEL"; the server declares
logging, records ``logging/setLevel`` and, as handshake-era servers may, logs at every level all the same):

==========  ======================================================================================
work        ``work(seconds=3, step=0.2)``: reports progress every ``step`` seconds ("step i of n",
            i/n) for ``seconds`` seconds, then answers "done"
hang        never answers and reports nothing (until cancelled)
chatty      logs "a debug line", "an info line", … at debug, info, notice, warning and error, then
            answers "logged"
==========  ======================================================================================
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

LEVELS = ("debug", "info", "notice", "warning", "error")


def note(line: str) -> None:
    """Append ``line`` to $LONG_CALLS, if set (a test reads what the server saw)."""
    path = os.environ.get("LONG_CALLS")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def build() -> Any:
    import anyio
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.types import CancelledNotificationParams, EmptyResult, SetLevelRequestParams

    mcp = MCPServer("long", version="1.0.0", instructions="Long-running tools.", log_level="WARNING")

    async def work(ctx: Context, seconds: float = 3.0, step: float = 0.2) -> str:
        note(f"call work {ctx.request_id} {os.getpid()}")
        steps = max(1, round(seconds / step))
        for i in range(1, steps + 1):
            await anyio.sleep(step)
            await ctx.report_progress(i, steps, f"step {i} of {steps}")
        note(f"done work {ctx.request_id}")
        return "done"

    async def hang(ctx: Context) -> str:
        note(f"call hang {ctx.request_id} {os.getpid()}")
        await anyio.sleep_forever()
        return "unreachable"

    async def chatty(ctx: Context) -> str:
        note(f"call chatty {ctx.request_id} {os.getpid()}")
        for level in LEVELS:
            article = "an" if level[0] in "aeiou" else "a"
            await ctx.log(level, f"{article} {level} line")  # type: ignore[arg-type]
        return "logged"

    # Context is imported here, so the annotations are resolved by hand.
    work.__annotations__ = {"ctx": Context, "seconds": float, "step": float, "return": str}
    hang.__annotations__ = {"ctx": Context, "return": str}
    chatty.__annotations__ = {"ctx": Context, "return": str}
    mcp.tool(description="Report progress for a while, then answer.")(work)
    mcp.tool(description="Never answer (until cancelled).")(hang)
    mcp.tool(description="Log one line at each level.")(chatty)

    async def cancelled(ctx: Any, params: CancelledNotificationParams) -> None:
        note(f"cancelled {params.request_id}")

    mcp._lowlevel_server.add_notification_handler("notifications/cancelled", CancelledNotificationParams, cancelled)

    async def set_level(ctx: Any, params: SetLevelRequestParams) -> EmptyResult:
        note(f"setLevel {params.level}")
        return EmptyResult()

    mcp._lowlevel_server.add_request_handler("logging/setLevel", SetLevelRequestParams, set_level)
    return mcp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--http", type=int, default=None, metavar="PORT")
    args = parser.parse_args(argv)
    mcp = build()
    if args.http is None:
        mcp.run()
        return 0
    import uvicorn

    print(f"long: serving on http://127.0.0.1:{args.http}/mcp", file=sys.stderr, flush=True)
    app = mcp.streamable_http_app(host="127.0.0.1")
    uvicorn.run(app, host="127.0.0.1", port=args.http, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
