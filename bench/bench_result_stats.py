"""Wall time and peak RSS of `smscli result stats --json` over a 1,000,000-row journal of
varied messages (states, codes, types, tags, carriers, 30 days: bench/journal_fill.py
--varied), once per --by grouping and with the filters users add (goal: < 2 s each,
start-up included: the grouping is one SQL GROUP BY, not a Python loop).

    python bench/bench_result_stats.py [--rows 1000000] [--by status,code,...]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from journal_fill import ROOT, fill  # noqa: E402

GROUPS = ("status", "code", "type", "vendor", "telecom", "day", "hour", "tag")


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float, int, int]:
    """Wall s, CPU s, peak RSS MB (the largest child so far), output lines, exit status.
    On a machine shared with other work the CPU time is the steadier of the two."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env, cwd=env["SMSCLI_DATA_DIR"], check=False)
    wall = time.perf_counter() - started
    if proc.stderr:
        print(proc.stderr.decode().strip())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024, proc.stdout.count(b"\n"), proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--by", default=",".join(GROUPS))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        started = time.perf_counter()
        fill(data, args.rows, varied=True)
        print(f"filled {args.rows:,} rows in {time.perf_counter() - started:.1f} s")
        env = dict(os.environ, PYTHONPATH=str(ROOT), SMSCLI_CONFIG=f"{tmp}/config.toml",
                   SMSCLI_DATA_DIR=str(data))
        base = [sys.executable, "-m", "smscli", "result", "stats", "--json"]
        startup, startup_cpu, _, _, _ = timed([sys.executable, "-m", "smscli", "--version"], env)
        cases = [[f"--by={by}"] for by in args.by.split(",")]
        cases += [["--by=code", "--tag=campaign-3"], ["--by=day", "--since=2026-01-10", "--until=2026-01-20"]]
        worst = worst_cpu = 0.0
        for extra in cases:
            wall, cpu, rss, lines, code = timed(base + extra, env)
            worst, worst_cpu = max(worst, wall), max(worst_cpu, cpu)
            print(f"result stats {' '.join(extra):45} {wall:5.2f} s wall, {cpu:5.2f} s CPU, {lines:4} groups, "
                  f"peak RSS so far {rss:.0f} MB, exit {code}")
    print(f"{args.rows:,} rows: slowest `result stats` {worst:.2f} s wall, {worst_cpu:.2f} s CPU "
          f"(goal < 2 s; `smscli --version` alone {startup:.2f} s wall, {startup_cpu:.2f} s CPU)")


if __name__ == "__main__":
    main()
