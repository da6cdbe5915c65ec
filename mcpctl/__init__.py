"""mcpctl: a command-line toolbox and Python library for MCP (Model Context Protocol) servers.

The Python API (``docs/python-api.md``)::

    import mcpctl

    async with mcpctl.connect("demo") as tk:        # servers from the profile, or mcpctl.Server.stdio(...)
        result = await tk.call("demo.echo", message="hi")
        print(result.text)

    with mcpctl.Toolkit.open("demo") as tk:         # the same, for synchronous code
        print(tk.call("echo", message="hi").text)

Importing ``mcpctl`` is cheap: the names below load on first use, and nothing of the MCP SDK
loads until a session opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcpctl.core.version import __version__

__all__ = [
    "AsyncToolkit",
    "AuthError",
    "CallNext",
    "ConnectError",
    "Health",
    "McpctlError",
    "Middleware",
    "ProtocolError",
    "Server",
    "Status",
    "Timeout",
    "Tool",
    "ToolCall",
    "ToolFailed",
    "ToolFunction",
    "ToolResult",
    "Toolkit",
    "UsageError",
    "__version__",
    "connect",
]

_WHERE = {
    "AsyncToolkit": "mcpctl.ops.toolkit",
    "CallNext": "mcpctl.ops.toolkit",
    "Middleware": "mcpctl.ops.toolkit",
    "ToolFunction": "mcpctl.ops.toolkit",
    "connect": "mcpctl.ops.toolkit",
    "Toolkit": "mcpctl.ops.sync",
    "Health": "mcpctl.ops.model",
    "Server": "mcpctl.ops.model",
    "Status": "mcpctl.ops.model",
    "Tool": "mcpctl.ops.model",
    "ToolCall": "mcpctl.ops.model",
    "ToolResult": "mcpctl.ops.model",
    "AuthError": "mcpctl.core.errors",
    "ConnectError": "mcpctl.core.errors",
    "McpctlError": "mcpctl.core.errors",
    "ProtocolError": "mcpctl.core.errors",
    "Timeout": "mcpctl.core.errors",
    "ToolFailed": "mcpctl.core.errors",
    "UsageError": "mcpctl.core.errors",
}

if TYPE_CHECKING:
    from mcpctl.core.errors import (
        AuthError,
        ConnectError,
        McpctlError,
        ProtocolError,
        Timeout,
        ToolFailed,
        UsageError,
    )
    from mcpctl.ops.model import Health, Server, Status, Tool, ToolCall, ToolResult
    from mcpctl.ops.sync import Toolkit
    from mcpctl.ops.toolkit import AsyncToolkit, CallNext, Middleware, ToolFunction, connect


def __getattr__(name: str) -> Any:
    """Load a public name on first use (``import mcpctl`` stays as light as ``mcpctl --version``)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mcpctl' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
