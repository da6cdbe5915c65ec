"""The fault matrix's process-group rows, with the installed script: a server that leaves a grandchild behind, and
one that ignores SIGTERM. mcpctl still ends with the right exit code and output, in bounded time, and afterwards no
process it started is alive: neither a pid the faulty server wrote to ``$FAULTY_PIDFILE`` nor anything at all that
inherited the environment marker given to mcpctl.

The time bound is on the shutdown, from the server's answer (in the ``--trace`` file) to mcpctl's exit: closing
stdin, a short grace, SIGTERM to the group, SIGKILL after ``TERM_GRACE`` (2 s) for what ignores it. Starting two
interpreters, which comes before, takes what a loaded machine gives it (the run is still bounded by its timeout).

The other rows (start-up, mid-call and HTTP faults) are in-process tests (``tests/cli/test_fault_matrix.py``).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import marked_pids, pids_alive, read_pids, wait_pids_gone

from e2e.helpers import assert_clean_stderr, faulty, run_mcpctl

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Row:
    fault: str
    argv: tuple[str, ...]
    exit_code: int
    max_shutdown: float  # seconds from the server's answer to mcpctl's exit
    stdout: str
    pids: int  # how many pids the faulty server writes to $FAULTY_PIDFILE (all must be gone afterwards)


ROWS = [
    Row("spawns a grandchild", ("call", "--stdio", faulty("grandchild"), "echo", "message=hi"), 0, 6, "hi\n", 2),
    Row("ignores SIGTERM", ("call", "--stdio", faulty("ignore-sigterm"), "echo", "message=hi"), 0, 6, "hi\n", 1),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.fault for row in ROWS])
def test_fault_matrix_leaves_no_process_behind(row: Row, pidfile: Path, tmp_path: Path) -> None:
    marker = f"fault-matrix-{uuid.uuid4().hex}"
    trace = tmp_path / "wire.jsonl"
    r = run_mcpctl(*row.argv, "--trace", str(trace), env={"FAULT_MATRIX_MARKER": marker}, timeout=60)
    ended = time.time()  # the trace's clock
    answered = max(record["ts"] for record in map(json.loads, trace.read_text().splitlines()) if record["dir"] == "in")
    shown = f"exit {r.returncode} after {r.elapsed:.1f}s\nstdout[:500]: {r.stdout[:500]!r}\nstderr:\n{r.stderr}"
    assert r.returncode == row.exit_code, shown
    assert ended - answered <= row.max_shutdown, f"{ended - answered:.1f}s from the answer to the exit\n{shown}"
    assert_clean_stderr(r)
    assert r.stdout == row.stdout, shown

    pids = read_pids(pidfile)
    assert len(pids) == row.pids, f"expected {row.pids} pids in $FAULTY_PIDFILE, got {pids}"
    assert wait_pids_gone(pids, timeout=0.5) == [], f"still alive after mcpctl exited: {pids_alive(pids)}"
    deadline = time.monotonic() + 0.5
    while (left := marked_pids(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert left == [], f"processes started by mcpctl still alive: {left}"
