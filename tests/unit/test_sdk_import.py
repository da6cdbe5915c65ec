"""The console script imports the SDK's client without its server stack (issue 19); everything else as usual.

Each case runs in a fresh interpreter: what matters is which modules an import leaves in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import DEMO

PROBE = """
import json, sys
from mcpctl.sessions import sdk
sdk.LEAN = %s
%s
sdk.load()
from mcp import Client
from mcp.client.stdio import StdioServerParameters
loaded = {m.split(".")[0] for m in sys.modules} | {m for m in sys.modules if m.startswith("mcp.server")}
stand_ins = [name for name in sdk.STAND_INS if name in sys.modules and not hasattr(sys.modules[name], "__file__")]
from mcp.server.mcpserver import MCPServer  # a later import gets the real server side
json.dump({"loaded": sorted(loaded), "stand_ins": stand_ins, "real": MCPServer.__module__,
           "client": Client.__name__}, sys.stdout)
"""


def probe(lean: bool, setup: str = "") -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE % (lean, setup)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    found: dict[str, object] = json.loads(done.stdout)
    return found


def test_the_lean_import_leaves_out_the_server_stack_and_then_gets_out_of_the_way() -> None:
    found = probe(True)
    loaded = found["loaded"]
    assert isinstance(loaded, list)
    assert not {"starlette", "uvicorn", "sse_starlette", "mcp.server.lowlevel"} & set(loaded)
    assert found["stand_ins"] == []  # gone from sys.modules once the SDK is in
    assert found["real"] == "mcp.server.mcpserver.server"
    assert found["client"] == "Client"


def test_a_library_caller_gets_the_plain_import() -> None:
    loaded = probe(False)["loaded"]
    assert isinstance(loaded, list)
    assert {"starlette", "mcp.server.lowlevel"} <= set(loaded)


def test_an_sdk_needing_more_of_its_server_side_falls_back_to_the_plain_import() -> None:
    found = probe(True, 'del sdk.STAND_INS["mcp.server.runner"]')  # as if a new release imported more of it
    loaded = found["loaded"]
    assert isinstance(loaded, list)
    assert {"starlette", "mcp.server.lowlevel"} <= set(loaded)
    assert found["stand_ins"] == []
    assert found["real"] == "mcp.server.mcpserver.server"


def test_an_sdk_release_not_checked_gets_the_plain_import() -> None:
    loaded = probe(True, 'sdk.CHECKED_VERSION = "0.0.0"')["loaded"]
    assert isinstance(loaded, list)
    assert {"starlette", "mcp.server.lowlevel"} <= set(loaded)


def test_the_console_script_calls_a_tool_without_loading_the_server_stack() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mcpctl", "call", "--stdio", DEMO, "echo", "message=hi"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hi\n"
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time")]
    assert "mcp.client.client" in imported
    assert [m for m in imported if m.startswith(("mcp.server", "starlette", "uvicorn"))] == []
