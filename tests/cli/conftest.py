"""Fixtures for the in-process command-line tests (the root ``tests/conftest.py`` isolates the environment)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEMO, faulty, stdio_server, write_profile


@pytest.fixture
def two_demos(tmp_path: Path) -> Path:
    """A profile with the demo twice, as ``a`` and ``b``."""
    return write_profile(tmp_path / "mcpctl.toml", {"a": stdio_server(DEMO), "b": stdio_server(DEMO)})


@pytest.fixture
def demo_and_paged(tmp_path: Path) -> Path:
    """A profile with the demo (``demo``) and the paged faulty server (``paged``: tools t1..t5)."""
    return write_profile(tmp_path / "mcpctl.toml", {"demo": stdio_server(DEMO), "paged": stdio_server(faulty("paged"))})
