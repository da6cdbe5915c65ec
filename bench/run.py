"""mcpctl's start-up and call benchmarks, side by side with the floor, in one run.

Runs by hand (it installs nothing); prints a Markdown table: each scenario's median and
min–max wall time over --runs fresh processes, and the ratio to its floor, measured
pairwise (the scenario and its floor alternate, so machine noise hits both alike).

    python bench/run.py                                  # start-up, demo server, 5-server list, RSS
    python bench/run.py --everything 'node_modules/.bin/mcp-server-everything' \\
        --inspector 'node_modules/.bin/mcp-inspector' --fastmcp '/opt/fastmcp/bin/fastmcp'
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
MCPCTL = str(Path(PY).parent / "mcpctl") if (Path(PY).parent / "mcpctl").exists() else "mcpctl"
DEMO = f"{shlex.quote(PY)} -m mcpctl.demo"


@dataclass
class Row:
    name: str
    times: list[float]
    floor_name: str | None = None
    floor: list[float] | None = None
    target: str = ""

    def cells(self) -> list[str]:
        med = statistics.median(self.times)
        cells = [self.name, f"{med * 1000:.0f} ms", f"{min(self.times) * 1000:.0f}–{max(self.times) * 1000:.0f}"]
        if self.floor:
            ratio = statistics.median(t / f for t, f in zip(self.times, self.floor, strict=True))
            cells += [self.floor_name or "", f"{statistics.median(self.floor) * 1000:.0f} ms", f"{ratio:.2f}×"]
        else:
            cells += ["", "", ""]
        return [*cells, self.target]


def wall(command: list[str], env: dict[str, str] | None = None) -> float:
    """Seconds one fresh process takes; a failure aborts the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, env=env, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"benchmark command failed ({done.returncode}): {shlex.join(command)}\n{done.stderr.decode()}")
    return elapsed


def pairwise(runs: int, command: list[str], floor: list[str] | None, env: dict[str, str] | None = None) -> tuple:
    """Alternate the command and its floor ``runs`` times (after one warm-up each)."""
    wall(command, env)
    if floor:
        wall(floor, env)
    ours, base = [], []
    for _ in range(runs):
        ours.append(wall(command, env))
        if floor:
            base.append(wall(floor, env))
    return ours, base or None


def peak_rss_mb(command: list[str]) -> float:
    """The command's own peak RSS (VmHWM, children excluded), sampled from /proc until it exits."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    peak = 0
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.005)
    return peak / 1024


def five_server_profile(folder: Path, command: list[str]) -> Path:
    profile = folder / "bench.toml"
    words = ", ".join(f'"{w}"' for w in command[1:])
    tables = [f'[servers.s{i}]\ncommand = "{command[0]}"\nargs = [{words}]\n' for i in range(5)]
    profile.write_text("\n".join(tables))
    return profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--everything", help="command that starts @modelcontextprotocol/server-everything (stdio)")
    parser.add_argument("--inspector", help="the mcp-inspector executable (peer CLI)")
    parser.add_argument("--fastmcp", help="the fastmcp executable (peer CLI)")
    parser.add_argument("--skip-startup", action="store_true")
    options = parser.parse_args()
    runs = options.runs
    rows: list[Row] = []
    env = dict(os.environ, FASTMCP_CHECK_FOR_UPDATES="off", FASTMCP_SHOW_SERVER_BANNER="false")

    if not options.skip_startup:
        floor = [PY, "-c", "pass"]
        for argv, name in (
            (["--version"], "mcpctl --version"),
            (["--help"], "mcpctl --help"),
            (["completion", "bash"], "mcpctl completion bash"),
        ):
            ours, base = pairwise(runs, [MCPCTL, *argv], floor)
            rows.append(Row(name, ours, "python -c pass", base, "≤ floor + 100 ms"))

    bare = [PY, str(HERE / "bare_sdk_call.py"), "echo", "message=hi", "--", *shlex.split(DEMO)]
    ours, base = pairwise(runs, [MCPCTL, "call", "--stdio", DEMO, "echo", "message=hi"], bare)
    rows.append(Row("mcpctl call (Python SDK server)", ours, "bare SDK script", base, "≤ 0.8×"))

    if options.everything:
        everything = shlex.split(options.everything)
        bare = [PY, str(HERE / "bare_sdk_call.py"), "echo", "message=hi", "--", *everything]
        mine = [MCPCTL, "call", "--stdio", options.everything, "echo", "message=hi"]
        ours, base = pairwise(runs, mine, bare, env)
        rows.append(Row("mcpctl call (server-everything)", ours, "bare SDK script", base, "< 1× and < peers"))
        if options.inspector:
            peer = [options.inspector, "--cli", *everything, "--method", "tools/call", "--tool-name", "echo"]
            peer += ["--tool-arg", "message=hi"]
            theirs, mine_again = pairwise(runs, peer, mine, env)
            rows.append(Row("Inspector --cli call (server-everything)", theirs, "mcpctl call", mine_again, "> 1×"))
        if options.fastmcp:
            peer = [options.fastmcp, "call", "--command", options.everything, "--target", "echo"]
            peer += ["--input-json", '{"message":"hi"}']
            theirs, mine_again = pairwise(runs, peer, mine, env)
            rows.append(Row("fastmcp call (server-everything)", theirs, "mcpctl call", mine_again, "> 1×"))

    servers = [("Python SDK demo", shlex.split(DEMO))]
    if options.everything:
        servers.append(("server-everything", shlex.split(options.everything)))
    for label, command in servers:
        with tempfile.TemporaryDirectory() as folder:
            profile = five_server_profile(Path(folder), command)
            one = [MCPCTL, "tools", "list", "--profile", str(profile), "s0"]
            five = [MCPCTL, "tools", "list", "--profile", str(profile)]
            ours, base = pairwise(runs, five, one, env)
            rows.append(Row(f"tools list, 5 servers ({label})", ours, "tools list, 1 server", base, "≤ 1.3×"))

    rss = statistics.median(peak_rss_mb([MCPCTL, "call", "--stdio", DEMO, "echo", "message=hi"]) for _ in range(3))

    header = ["scenario", "median", "min–max (ms)", "floor", "floor median", "ratio (pairwise median)", "target"]
    print(
        f"Machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}; {runs} runs each."
    )
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row.cells()) + " |")
    print()
    print(f"Peak RSS of `mcpctl call` (its own VmHWM, median of 3): {rss:.0f} MB (target ≤ 100 MB)")
    if shutil.which("node") is None:
        print("(node not found: peer CLIs skipped)")


if __name__ == "__main__":
    main()
