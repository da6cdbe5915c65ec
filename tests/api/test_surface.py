"""The public surface: ``import mcpctl`` stays cheap, every name of ``mcpctl.__all__`` resolves, and a program
using all of them type-checks under ``mypy --strict`` and runs (``typed_usage.py``).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

import mcpctl
from api.helpers import SLOW

TYPED_USAGE = Path(__file__).with_name("typed_usage.py")
#: Never loaded by ``import mcpctl``: the SDK, its HTTP client and the terminal libraries.
HEAVY = ("mcp", "mcp_types", "httpx", "httpx2", "rich", "typer", "click", "prompt_toolkit", "pydantic", "jsonschema")

PROBE = """
import json, sys
import mcpctl
loaded = lambda: sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
after_import = loaded()
values = {name: type(getattr(mcpctl, name)).__name__ for name in mcpctl.__all__}
print(json.dumps({"import": after_import, "resolved": loaded(), "values": values, "dir": dir(mcpctl)}))
"""


def probe() -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps([*HEAVY, "anyio"])],
        capture_output=True,
        text=True,
        timeout=SLOW,
        cwd=REPO_ROOT,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_import_mcpctl_loads_nothing_heavy_and_every_public_name_resolves_without_the_sdk() -> None:
    seen = probe()
    assert seen["import"] == []  # not even anyio
    assert seen["resolved"] in ([], ["anyio"])  # resolving every public name: still no SDK, HTTP or terminal code
    values = seen["values"]
    assert isinstance(values, dict) and sorted(values) == sorted(mcpctl.__all__)
    assert set(mcpctl.__all__) <= set(seen["dir"])  # type: ignore[arg-type]


def test_public_names_are_the_documented_ones() -> None:
    assert mcpctl.Timeout.exit_code == 4
    codes = {
        mcpctl.McpctlError: 1,
        mcpctl.ToolFailed: 1,
        mcpctl.UsageError: 2,
        mcpctl.ConnectError: 3,
        mcpctl.Timeout: 4,
        mcpctl.ProtocolError: 5,
        mcpctl.AuthError: 6,
    }
    for error, code in codes.items():
        assert issubclass(error, mcpctl.McpctlError) and error.exit_code == code, error
        assert isinstance(error.type, str) and error.type
    assert isinstance(mcpctl.__version__, str)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        mcpctl.nope  # type: ignore[attr-defined]  # noqa: B018


def test_typed_usage_uses_every_public_name() -> None:
    tree = ast.parse(TYPED_USAGE.read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "mcpctl"
        for alias in node.names
    }
    assert imported == set(mcpctl.__all__)


def test_typed_usage_passes_mypy_strict() -> None:
    done = subprocess.run(
        # Errors are reported for this file only: the package itself is checked by the CI's own mypy run.
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", str(TYPED_USAGE)],
        capture_output=True,
        text=True,
        timeout=SLOW * 2,
        cwd=REPO_ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("Success: no issues found in 1 source file"), done.stdout


def test_typed_usage_runs_against_the_demo_server() -> None:
    done = subprocess.run(
        [sys.executable, str(TYPED_USAGE)], capture_output=True, text=True, timeout=SLOW, cwd=REPO_ROOT
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"mcpctl {mcpctl.__version__}: {len(mcpctl.__all__)} public names"
    assert "echo: hi cached=True" in lines
    assert "echo: exit 2: fix the call: tool 'echo' is ambiguous: demo.echo, files.echo" in lines
    assert "the tool failed: Error executing tool fail: something went wrong" in lines
    assert "sync: sync 7 tools connected" in lines
    assert done.stderr == ""
