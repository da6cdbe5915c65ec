"""Start-up stays fast: --help, --version and completion never import the SDK (nor rich, httpx2, jsonschema)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "mcp",
    "mcp_types",
    "httpx2",
    "rich",
    "jsonschema",
    "starlette",
    "uvicorn",
    "prompt_toolkit",
    "anthropic",
    "openai",
)

PROBE = """
import json, sys
sys.argv = ["mcpctl", *json.loads(sys.argv[1])]
from mcpctl.cli.main import main
try:
    main()
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(%r))
sys.stderr.write("HEAVY=" + json.dumps(heavy) + "\\n")
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--help"],
        ["call", "--help"],
        ["completion", "bash"],
        ["servers", "list"],
        ["shell", "--help"],
        ["chat", "--help"],
    ],
)
def test_light_commands_never_import_the_sdk(argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE % (list(HEAVY),), json.dumps(argv)], capture_output=True, text=True, timeout=30
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("HEAVY=")]
    assert line, done.stderr
    assert json.loads(line[0][len("HEAVY=") :]) == []
