"""Importing the SDK's client without its server stack, in the console script (issue 19).

``import mcp`` (2.3.0) runs the whole package: the client imports ``mcp.server`` (for ``Client(server)``,
in-process servers), which brings the low-level server, MCPServer, starlette, uvicorn, sse_starlette
and opentelemetry: without them the import takes 0.37 s of CPU here instead of 0.49 s. The client
needs only two classes of them, for ``isinstance`` checks that are always false for mcpctl (it passes
a transport).

``load`` imports the SDK with five stand-in modules in place of ``mcp.server`` and the server modules
``mcp`` and ``mcp.client`` import from, then takes the stand-ins out of ``sys.modules``: anything that
imports a server module later gets the real one. It does so only when ``LEAN`` is set (the console
script sets it; a library caller, and the in-process tests, get the plain import), only for the SDK
version it was checked against, and only while no part of the SDK is loaded yet.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

#: Set by the console script: this process is mcpctl's own, it runs no in-process server.
LEAN = False
#: The SDK release whose client was checked to need nothing else of the server modules.
CHECKED_VERSION = "2.3.0"


class _Absent:
    """Stands in for a server class in the SDK client's ``isinstance`` checks: nothing is one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the MCP SDK's server side is not loaded in mcpctl's own process")


def _absent_function(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("the MCP SDK's server side is not loaded in mcpctl's own process")


#: Module name → the names the SDK's client imports from it (and ``mcp`` re-exports).
STAND_INS: dict[str, dict[str, Any]] = {
    "mcp.server": {"Server": type("Server", (_Absent,), {})},
    "mcp.server.mcpserver": {"MCPServer": type("MCPServer", (_Absent,), {})},
    "mcp.server.runner": {"modern_on_request": _absent_function},
    "mcp.server.session": {"ServerSession": type("ServerSession", (_Absent,), {})},
    "mcp.server.stdio": {"stdio_server": _absent_function},
}


def load() -> None:
    """Import the SDK (``mcp``) now: lean when allowed (see the module's docstring), else as usual."""
    if "mcp" in sys.modules:
        return
    if not (LEAN and _checked_version()):
        importlib.import_module("mcp")

        return
    stand_ins = {name: _stand_in(name, attributes) for name, attributes in STAND_INS.items()}
    sys.modules.update(stand_ins)
    try:
        importlib.import_module("mcp")
    except ImportError:  # the client needs more of the server side than was checked: import it all
        _forget_sdk()
        importlib.import_module("mcp")
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
        package = sys.modules.get("mcp")
        if package is not None and getattr(package, "server", None) is stand_ins["mcp.server"]:
            delattr(package, "server")  # ``import mcp.server`` later loads the real package


def _stand_in(name: str, attributes: dict[str, Any]) -> types.ModuleType:
    module = types.ModuleType(name, "mcpctl's stand-in: the SDK's server side is not loaded")
    module.__path__ = []  # a package, so that the stand-ins of its submodules resolve
    vars(module).update(attributes)
    return module


def _forget_sdk() -> None:
    """Drop every ``mcp`` module (half-imported over the stand-ins) so that the next import starts afresh."""
    for name in [n for n in sys.modules if n == "mcp" or n.startswith("mcp.")]:
        del sys.modules[name]


def _checked_version() -> bool:
    """Whether the installed SDK is the release checked (its dist-info folder sits beside the package)."""
    spec = importlib.util.find_spec("mcp")
    if spec is None or spec.origin is None:
        return False
    return (Path(spec.origin).parent.parent / f"mcp-{CHECKED_VERSION}.dist-info").is_dir()
