"""Fixtures for the Python API tests (the root ``tests/conftest.py`` isolates the environment per test)."""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DEMO, faulty, marked_pids, stdio_server, write_profile

from api.helpers import MARK_VAR, Wire


@pytest.fixture
def wire() -> Wire:
    """Records every JSON-RPC message of a toolkit opened with ``options=wire.options``."""
    return Wire()


@pytest.fixture
def marker(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A unique value in this process's environment, so every server the test starts inherits it.

    Whatever still carries it at teardown is SIGKILLed (after the test's own assertions).
    """
    value = f"mcpctl-api-test-{uuid.uuid4().hex}"
    monkeypatch.setenv(MARK_VAR, value)
    yield value
    for pid in marked_pids(value):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def two_servers(tmp_path: Path) -> Path:
    """A profile with the demo as ``demo`` and the healthy faulty server (it has ``echo`` too) as ``files``."""
    return write_profile(tmp_path / "mcpctl.toml", {"demo": stdio_server(DEMO), "files": stdio_server(faulty("none"))})
