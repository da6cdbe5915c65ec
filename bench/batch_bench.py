"""``mcpctl batch`` against its floor and against one process per call, on the demo server over stdio.

Three ways to make the same N ``echo`` calls (default 1,000), each timed as whole fresh processes
(start-up, spawning the server, the calls, shutdown):

* ``mcpctl batch --concurrency 8``: one session, NDJSON out;
* the floor, ``bench/bare_sdk_batch.py``: a bare ``mcp.Client`` script, one session, 8 in flight;
* ``mcpctl call`` once per call: SAMPLE (default 50) processes one after another, extrapolated to N.

Runs by hand (it installs nothing) and prints a Markdown table::

    python bench/batch_bench.py [--calls 1000] [--concurrency 8] [--runs 3] [--sample 50]

Batch and floor alternate ``--runs`` times after a warm-up each (so machine noise hits both alike);
the table shows medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
MCPCTL = [str(Path(PY).parent / "mcpctl")] if (Path(PY).parent / "mcpctl").exists() else [PY, "-m", "mcpctl"]
DEMO = [PY, "-m", "mcpctl.demo"]


def wall(command: list[str], answered: Callable[[str], int] | None = None, calls: int = 1) -> float:
    """Seconds one fresh process takes; a failure, or fewer right answers than ``calls``, aborts."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {shlex.join(command)}\n{done.stderr}")
    if answered is not None and (right := answered(done.stdout)) != calls:
        raise SystemExit(f"{right} of {calls} calls answered right: {shlex.join(command)}")
    return elapsed


def ndjson_ok(stdout: str) -> int:
    """Right answers in ``mcpctl batch`` output: ok lines whose text is their message."""
    rows = [json.loads(line) for line in stdout.splitlines()]
    return sum(1 for r in rows if r["ok"] and r["result"]["content"][0]["text"] == "m" + r["id"][1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of batch and of the floor")
    parser.add_argument("--sample", type=int, default=50, help="separate `mcpctl call` processes actually run")
    args = parser.parse_args()
    n, j = args.calls, args.concurrency

    with tempfile.TemporaryDirectory() as tmp:
        calls = Path(tmp) / "calls.jsonl"
        calls.write_text(
            "".join(
                json.dumps({"id": f"c{i}", "tool": "echo", "arguments": {"message": f"m{i}"}}) + "\n" for i in range(n)
            )
        )
        batch = [*MCPCTL, "batch", str(calls), "--concurrency", str(j), "--stdio", shlex.join(DEMO), "-q"]
        floor = [PY, str(HERE / "bare_sdk_batch.py"), "--calls", str(n), "--concurrency", str(j), "--", *DEMO]
        single = [*MCPCTL, "call", "--stdio", shlex.join(DEMO), "echo", "message=hi"]

        wall(batch, ndjson_ok, n)
        wall(floor, int, n)
        batch_times, floor_times = [], []
        for _ in range(args.runs):
            batch_times.append(wall(batch, ndjson_ok, n))
            floor_times.append(wall(floor, int, n))
        wall(single)
        sample = sum(wall(single) for _ in range(args.sample))

    batch_s, floor_s = statistics.median(batch_times), statistics.median(floor_times)
    separate_s = sample * n / args.sample
    factor = n / args.sample
    print(
        f"Machine: {platform.system()} {platform.machine()}, nproc {os.cpu_count()}, "
        f"Python {platform.python_version()}; {n} `echo` calls on the demo server over stdio; "
        f"batch and floor: median of {args.runs} runs.\n"
    )
    print("| way | processes | wall time | calls/s | ratio |")
    print("|---|---|---|---|---|")
    print(f"| bare SDK script, one session, {j} in flight (floor) | 1 | {floor_s:.2f} s | {n / floor_s:.0f} | 1.00× |")
    print(
        f"| `mcpctl batch --concurrency {j}` | 1 | {batch_s:.2f} s | {n / batch_s:.0f} | "
        f"{batch_s / floor_s:.2f}× the floor |"
    )
    print(
        f"| `mcpctl call` per call ({args.sample} run, ×{factor:g} extrapolated) | {n} | {separate_s:.0f} s | "
        f"{n / separate_s:.1f} | {separate_s / batch_s:.0f}× batch |"
    )


if __name__ == "__main__":
    main()
