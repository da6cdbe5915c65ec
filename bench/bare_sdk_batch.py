"""The floor for ``mcpctl batch``: a bare mcp-SDK script, one stdio session, N ``echo`` calls, 8 in flight.

Usage: python bench/bare_sdk_batch.py [--calls N] [--concurrency C] -- SERVER_COMMAND ARGS…

It does the least a batch runner must: one session, list the tools once, the calls with a bounded number in
flight, and a check that every answer is the right one. It prints the number of calls that answered right.
"""

from __future__ import annotations

import argparse
import os
import sys

import anyio
from mcp import Client, StdioServerParameters


async def main(calls: int, concurrency: int, command: list[str]) -> int:
    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    right = 0
    limiter = anyio.CapacityLimiter(concurrency)
    async with Client(params) as client:
        await client.list_tools()

        async def one(n: int) -> None:
            nonlocal right
            async with limiter:
                result = await client.call_tool("echo", {"message": f"m{n}"})
            if not result.is_error and getattr(result.content[0], "text", None) == f"m{n}":
                right += 1

        async with anyio.create_task_group() as tg:
            for n in range(calls):
                tg.start_soon(one, n)
    print(right)
    return 0 if right == calls else 1


if __name__ == "__main__":
    argv = sys.argv[1:]
    split = argv.index("--")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv[:split])
    sys.exit(anyio.run(main, args.calls, args.concurrency, argv[split + 1 :]))
