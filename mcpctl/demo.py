"""The demo MCP server shipped with mcpctl.

Run it as a program::

    python -m mcpctl.demo                      # stdio (default)
    python -m mcpctl.demo --http 8765          # Streamable HTTP at http://127.0.0.1:8765/mcp
    python -m mcpctl.demo --sse 8765           # legacy SSE at http://127.0.0.1:8765/sse

Nothing but protocol traffic is ever written to stdout; diagnostics go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import struct
import sys
import zlib
from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import Context, Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, Completion, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

NAME = "mcpctl-demo"
VERSION = "1.0.0"
INSTRUCTIONS = (
    "Demo server for mcpctl. Tools: echo, add, weather (fake, deterministic), image (solid-colour PNG), "
    "fail (always errors), slow (sleeps) and count (reports progress). "
    "Resources: demo://readme and the template greet://{name}. Prompt: review."
)

README = """\
# mcpctl demo server

This server exists so that you can try mcpctl without installing anything else.

Try:

    mcpctl tools list -- python -m mcpctl.demo
    mcpctl call add a=2 b=3 -- python -m mcpctl.demo
    mcpctl read greet://world -- python -m mcpctl.demo
"""

COLORS: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0),
    "green": (0, 128, 0),
    "blue": (0, 0, 255),
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "yellow": (255, 255, 0),
    "cyan": (0, 255, 255),
    "magenta": (255, 0, 255),
    "gray": (128, 128, 128),
    "orange": (255, 165, 0),
    "purple": (128, 0, 128),
}
CONDITIONS = ("sunny", "partly cloudy", "cloudy", "light rain", "heavy rain", "thunderstorms", "fog", "snow", "windy")
MAX_IMAGE_SIZE = 512
MAX_COUNT = 10_000


def _read_only(*, idempotent: bool = True) -> ToolAnnotations:
    """Annotations shared by the demo tools: none of them changes or reaches outside the server."""
    return ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=idempotent, open_world_hint=False
    )


class Weather(BaseModel):
    """A (fake) weather report."""

    city: str = Field(description="The city the report is for")
    temperature: float = Field(description="Temperature in °C (metric) or °F (imperial)")
    units: Literal["metric", "imperial"] = Field(description="Unit system of the temperature")
    conditions: str = Field(description="Short description of the sky")


def make_png(rgb: tuple[int, int, int], size: int) -> bytes:
    """Return a solid-colour ``size``×``size`` RGB PNG, built with zlib and struct only."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * size  # filter byte 0 (None) + pixels
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit depth, colour type 2 (RGB)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(row * size)) + chunk(b"IEND", b"")


def parse_color(color: str) -> tuple[int, int, int]:
    """Parse a colour name or ``#rrggbb``; raise ToolError otherwise."""
    value = color.strip().lower()
    if value in COLORS:
        return COLORS[value]
    hexpart = value.removeprefix("#")
    if len(hexpart) == 6:
        try:
            return (int(hexpart[0:2], 16), int(hexpart[2:4], 16), int(hexpart[4:6], 16))
        except ValueError:
            pass
    raise ToolError(f"unknown color {color!r}: use one of {', '.join(COLORS)} or #rrggbb")


def fake_weather(city: str, units: Literal["metric", "imperial"] = "metric") -> Weather:
    """Deterministic fake weather derived from a CRC of the city name."""
    seed = zlib.crc32(city.strip().lower().encode())
    celsius = round(-10 + (seed % 450) / 10, 1)
    temperature = celsius if units == "metric" else round(celsius * 9 / 5 + 32, 1)
    return Weather(
        city=city, temperature=temperature, units=units, conditions=CONDITIONS[(seed >> 12) % len(CONDITIONS)]
    )


def build_server() -> MCPServer:
    """Build a fresh demo server (each call returns a new, independent instance)."""
    # MCPServer() calls logging.basicConfig (a rich handler on the root logger); undo that so that importing
    # the demo in another process (the test suite, in-process clients) does not reconfigure its logging.
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    mcp = MCPServer(NAME, version=VERSION, instructions=INSTRUCTIONS, log_level="WARNING")
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)

    @mcp.tool(
        title="Echo",
        description="Return the message unchanged.",
        annotations=_read_only(),
    )
    def echo(message: Annotated[str, Field(description="Text to echo back")]) -> str:
        return message

    @mcp.tool(
        title="Add two integers",
        description='Add two integers and return the sum (structured as {"result": a + b}).',
        annotations=_read_only(),
    )
    def add(
        a: Annotated[int, Field(description="First addend")], b: Annotated[int, Field(description="Second addend")]
    ) -> int:
        return a + b

    @mcp.tool(
        title="Weather report (fake)",
        description="Return a fake but deterministic weather report for a city.",
        annotations=_read_only(),
    )
    def weather(
        city: Annotated[str, Field(description="City name, e.g. Paris")],
        units: Annotated[Literal["metric", "imperial"], Field(description="Unit system")] = "metric",
    ) -> Weather:
        return fake_weather(city, units)

    @mcp.tool(
        title="Solid-colour image",
        description=f"Return a size×size PNG filled with a colour (a name or #rrggbb); size 1..{MAX_IMAGE_SIZE}.",
        annotations=_read_only(),
    )
    def image(
        color: Annotated[str, Field(description="Colour name or #rrggbb")] = "red",
        size: Annotated[int, Field(description="Width and height in pixels")] = 16,
    ) -> Image:
        if not 1 <= size <= MAX_IMAGE_SIZE:
            raise ToolError(f"size must be between 1 and {MAX_IMAGE_SIZE}, got {size}")
        return Image(data=make_png(parse_color(color), size), format="png")

    @mcp.tool(
        title="Always fail",
        description="Always fail with the given message (the result has isError: true).",
        annotations=_read_only(),
        structured_output=False,
    )
    def fail(message: Annotated[str, Field(description="Error text to return")] = "something went wrong") -> str:
        raise ToolError(message)

    @mcp.tool(
        title="Sleep",
        description="Sleep for the given number of seconds, then return 'done after Xs'.",
        annotations=_read_only(),
    )
    async def slow(seconds: Annotated[float, Field(description="How long to sleep")] = 1.0) -> str:
        if seconds < 0:
            raise ToolError("seconds must not be negative")
        await anyio.sleep(seconds)
        return f"done after {seconds:g}s"

    @mcp.tool(
        title="Count with progress",
        description=f"Count from 1 to n (0..{MAX_COUNT}), reporting progress at each step; one number per line.",
        annotations=_read_only(),
    )
    async def count(
        n: Annotated[int, Field(description="Count up to this number")], ctx: Context
    ) -> Annotated[CallToolResult, list[int]]:
        if not 0 <= n <= MAX_COUNT:
            raise ToolError(f"n must be between 0 and {MAX_COUNT}, got {n}")
        numbers = []
        for i in range(1, n + 1):
            numbers.append(i)
            await ctx.report_progress(i, n, f"counted {i}/{n}")
        return CallToolResult(
            content=[TextContent(type="text", text="\n".join(map(str, numbers)))],
            structured_content={"result": numbers},
        )

    @mcp.resource("demo://readme", name="readme", title="Demo README", mime_type="text/markdown")
    def readme() -> str:
        """What this demo server is and how to try it."""
        return README

    @mcp.resource("greet://{name}", name="greeting", title="Greeting", mime_type="text/plain")
    def greet(name: str) -> str:
        """A friendly greeting for {name}."""
        return f"Hello, {name}!"

    @mcp.prompt(title="Code review", description="Ask for a review of a piece of code.")
    def review(
        code: Annotated[str, Field(description="The code to review")],
        language: Annotated[str, Field(description="Programming language of the code")] = "python",
    ) -> str:
        return (
            f"Please review the following {language} code. Point out bugs, unclear names and missing tests, "
            f"and suggest concrete improvements.\n\n```{language}\n{code}\n```"
        )

    @mcp.completion()  # type: ignore[no-untyped-call, untyped-decorator]  # the SDK leaves it untyped
    async def complete(ref: Any, argument: Any, context: Any) -> Completion | None:
        """Argument completion: the review prompt's languages and the greeting's names."""
        choices = {"language": LANGUAGES, "name": NAMES}.get(argument.name)
        if choices is None:
            return None
        values = [c for c in choices if c.startswith(argument.value)]
        return Completion(values=values, total=len(values), has_more=False)

    return mcp


LANGUAGES = ["python", "javascript", "typescript", "go", "rust", "java", "c", "cpp", "ruby", "shell"]
NAMES = ["alice", "bob", "carol", "dave"]

server = build_server()


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m mcpctl.demo``."""
    parser = argparse.ArgumentParser(prog="python -m mcpctl.demo", description="The mcpctl demo MCP server.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--http", type=int, metavar="PORT", help="serve Streamable HTTP at http://HOST:PORT/mcp")
    group.add_argument("--sse", type=int, metavar="PORT", help="serve legacy SSE at http://HOST:PORT/sse")
    parser.add_argument("--host", default="127.0.0.1", help="bind address for --http/--sse (default: %(default)s)")
    parser.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="stderr log level"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr, format="%(name)s: %(levelname)s: %(message)s")

    try:
        if args.http is None and args.sse is None:
            server.run()  # stdio
            return
        import uvicorn

        if args.http is not None:
            app, port, path = server.streamable_http_app(host=args.host), args.http, "/mcp"
        else:
            app, port, path = server.sse_app(host=args.host), args.sse, "/sse"
        shown_host = f"[{args.host}]" if ":" in args.host else args.host
        print(f"{NAME}: serving on http://{shown_host}:{port}{path}", file=sys.stderr, flush=True)
        uvicorn.run(app, host=args.host, port=port, log_level=args.log_level.lower(), access_log=False)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
