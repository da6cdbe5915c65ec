"""docs/python-api.md runs: every ``python`` block, in order, as one script, type-checked with mypy --strict."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "python-api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def doc_script() -> str:
    """The page's python blocks, joined in order (later blocks use names defined by earlier ones)."""
    blocks = BLOCK.findall(DOC.read_text())
    assert len(blocks) >= 8, "the page lost its examples"
    return "\n\n".join(blocks)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "python_api_examples.py"
    path.write_text(doc_script())
    return path


def test_every_example_of_the_python_api_page_runs_and_prints_what_it_says(script: Path) -> None:
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "['demo.echo', 'demo.add', 'demo.weather']"
    assert "hi 1 True" in lines
    assert "{'result': 5}" in lines
    assert "2 argument 'a': expected integer, got \"two\"" in lines
    assert "1 True" in lines
    assert "3 command not found: no-such-server-binary" in lines
    assert "True 1" in lines  # the cached call was not sent
    assert "{'result': 42}" in lines
    assert "[{'a': 1, 'b': 2, 'sum': 3}, {'a': 10, 'b': 20, 'sum': 30}, {'a': -5, 'b': 5, 'sum': 0}]" in lines
    assert '{"result": 9}' in lines
    assert "-> demo.add {'a': 1, 'b': 2}" in done.stderr  # the logging middleware
    assert "Traceback" not in done.stderr


def test_the_python_api_examples_pass_mypy_strict(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
