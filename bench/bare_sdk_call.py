"""The floor: a bare mcp-SDK script doing what `mcpctl call` does (connect, list tools, call, close).

Usage: python bench/bare_sdk_call.py TOOL KEY=VALUE… -- SERVER_COMMAND ARGS…
"""

from __future__ import annotations

import os
import sys

import anyio
from mcp import Client, StdioServerParameters


async def main(tool: str, arguments: dict[str, str], command: list[str]) -> None:
    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    async with Client(params) as client:
        await client.list_tools()
        result = await client.call_tool(tool, arguments)
        for block in result.content:
            if getattr(block, "text", None) is not None:
                print(block.text)


if __name__ == "__main__":
    argv = sys.argv[1:]
    split = argv.index("--")
    tool, items, command = argv[0], argv[1:split], argv[split + 1 :]
    anyio.run(main, tool, dict(item.split("=", 1) for item in items), command)
