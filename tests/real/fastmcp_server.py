"""A small fastmcp server (fastmcp 4.1.6, installed by tests/real/install.sh) for tests/e2e/test_real_servers.py.

Typed tools (integers, a number list, an enum-like Literal with a default, a boolean), one resource,
one resource template and one prompt. Run it over stdio with the fastmcp virtualenv's python and
``FASTMCP_SHOW_SERVER_BANNER=false FASTMCP_CHECK_FOR_UPDATES=off`` in its environment.
"""

from __future__ import annotations

from typing import Literal

from fastmcp import FastMCP

mcp = FastMCP("mcpctl-real-fastmcp", instructions="A fastmcp server for mcpctl's end-to-end tests.")


@mcp.tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@mcp.tool
def stats(values: list[float], rounding: int = 2) -> dict[str, float]:
    """Count, sum and mean of a list of numbers."""
    total = sum(values)
    return {"count": len(values), "sum": round(total, rounding), "mean": round(total / len(values), rounding)}


@mcp.tool
def greet(name: str, style: Literal["plain", "shout"] = "plain", excited: bool = False) -> str:
    """Greet someone, plainly or loudly."""
    text = f"Hello, {name}" + ("!" if excited else ".")
    return text.upper() if style == "shout" else text


@mcp.resource("config://settings", mime_type="application/json")
def settings() -> dict[str, object]:
    """The server's settings."""
    return {"units": "metric", "version": 1}


@mcp.resource("greeting://{name}")
def greeting(name: str) -> str:
    """A greeting for NAME."""
    return f"Hello, {name}."


@mcp.prompt
def review(code: str, language: str = "python") -> str:
    """Ask for a review of a piece of code."""
    return f"Please review this {language} code:\n\n{code}"


if __name__ == "__main__":
    mcp.run()
