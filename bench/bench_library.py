#!/usr/bin/env python3
"""The library against the CLI, same run, same machine:

1. ``Client.send_many`` of N rows (default 100,000) to the OneShot simulator vs ``smscli
   send --csv`` of the same rows: ratio = CLI wall time / library wall time (goal ≥ 1.0:
   the library is not slower than the CLI). Each side runs in its own process (the
   library one reads the CSV into dicts itself), against its own simulator (in this
   process, no speed limit, no reports) and data dir; the runs alternate, ``--repeat``
   times, and the medians are compared.
2. ``python -c "import smscli"`` vs ``python -c pass``, interleaved, medians (goal ≤ 1.5),
   and which heavy modules ``import smscli`` loads (goal: none of httpx, rich, typer).

    python bench/bench_library.py [--rows 100000] [--repeat 1] [--import-runs 31]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smscli.sim.oneshot import OneShotSimulator  # noqa: E402

PROFILE = """default_profile = "bench"
[profiles.bench]
vendor = "oneshot"
host = "127.0.0.1"
port = {port}
bind_id = "test001"
password = "test001#$$%"
aes_key = "0123456789abcdef"
aes_iv = "fedcba9876543210"
sender = "15666639"
"""
TEMPLATE = "{name}님 안녕하세요"
LIBRARY_CHILD = """
import csv, sys
from smscli import Client
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    rows = list(csv.DictReader(f))
with Client() as sms:
    batch = sms.send_many(rows, template=sys.argv[2])
print(f"library: {batch.counts}", file=sys.stderr)
sys.exit(batch.exit_code)
"""


def one_send(kind: str, csv: Path, tmp: Path, n: int) -> tuple[float, int]:
    """Wall seconds of one send by ``kind`` (cli | library) and how many were accepted."""
    home = tmp / f"{kind}-{n}"
    home.mkdir()
    with OneShotSimulator(speed=0, report_delay=3600) as sim:
        (home / "config.toml").write_text(PROFILE.format(port=sim.address[1]))
        (home / "config.toml").chmod(0o600)
        env = dict(os.environ, PYTHONPATH=str(ROOT), SMSCLI_CONFIG=str(home / "config.toml"),
                   SMSCLI_DATA_DIR=str(home / "data"))
        if kind == "cli":
            argv = [sys.executable, "-m", "smscli", "send", "--csv", str(csv), "-m", TEMPLATE, "--json"]
        else:
            argv = [sys.executable, "-c", LIBRARY_CHILD, str(csv), TEMPLATE]
        started = time.perf_counter()
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
        wall = time.perf_counter() - started
        accepted = len(sim.accepted)
    if proc.returncode != 0:
        sys.exit(f"{kind}: exit {proc.returncode}: {proc.stderr.decode(errors='replace')[-2000:]}")
    return wall, accepted


def bench_send(rows: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        csv = tmp / "list.csv"
        with csv.open("w", encoding="utf-8") as fh:
            fh.write("phone,name\n")
            for i in range(rows):
                fh.write(f"010{i:08d},고객{i}\n")
        times: dict[str, list[float]] = {"cli": [], "library": []}
        for n in range(repeat):
            for kind in ("cli", "library") if n % 2 == 0 else ("library", "cli"):
                wall, accepted = one_send(kind, csv, tmp, n)
                assert accepted == rows, f"{kind}: {accepted} of {rows} accepted"
                times[kind].append(wall)
                print(f"  {kind:8s} run {n + 1}: {wall:6.2f} s ({rows / wall:,.0f} msg/s), {accepted:,} accepted")
        cli, lib = statistics.median(times["cli"]), statistics.median(times["library"])
        print(f"send of {rows:,} rows: CLI {cli:.2f} s, Client.send_many {lib:.2f} s; "
              f"ratio CLI / library = {cli / lib:.2f} (goal >= 1.0)")


def bench_import(runs: int) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cases = {"pass": [sys.executable, "-c", "pass"],
             "import smscli": [sys.executable, "-c", "import smscli"]}
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(runs):
        for label, argv in cases.items():
            started = time.perf_counter()
            subprocess.run(argv, env=env, check=True)
            times[label].append(time.perf_counter() - started)
    base, imp = statistics.median(times["pass"]), statistics.median(times["import smscli"])
    heavy = subprocess.run(
        [sys.executable, "-c", "import sys, smscli; print(sorted(m for m in ('httpx', 'rich', 'typer', "
         "'cryptography', 'sqlite3', 'smscli.client') if m in sys.modules))"],
        env=env, capture_output=True, text=True, check=True).stdout.strip()
    own = subprocess.run([sys.executable, "-X", "importtime", "-c", "import smscli"], env=env,
                         capture_output=True, text=True, check=True).stderr
    line = next((x for x in own.splitlines() if x.rstrip().endswith("| smscli")), "")
    cumulative = line.split("|")[1].strip() if line else "?"
    print(f"import smscli: {imp * 1000:.1f} ms vs python -c pass {base * 1000:.1f} ms (medians of {runs}); "
          f"ratio {imp / base:.2f} (goal <= 1.5); -X importtime cumulative {cumulative} us; "
          f"heavy modules loaded: {heavy}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--import-runs", type=int, default=31)
    args = ap.parse_args()
    bench_import(args.import_runs)
    bench_send(args.rows, args.repeat)


if __name__ == "__main__":
    main()
