"""Four "hosts" (processes, each its own data dir) sending disjoint CSVs to four simulator
accounts, all sharing one journal on PostgreSQL: aggregate msg/s as a ratio to one process
sending one of those CSVs alone, same run (goal ≥ 3.2 on 4 cores' worth of work).

    python bench/bench_multi_host.py [--rows 10000] [--hosts 4] [--rounds 2] [--pg-url URL]

Each host has its own ``OneShotSimulator`` (no speed limit; an account of its own, and a
profile named after it: the send lock is per profile, so hosts sending under one profile
name take turns) in this process's threads; the aggregate rate is all accepted messages over first to last
acceptance across the simulators. ``os.cpu_count()`` is printed with the result: four
CPU-bound processes (plus the simulators, which share this process's GIL, and
PostgreSQL) on a 2-core machine cannot exceed about 2x, whatever the journal does.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_journal_pg import PROFILE, ROOT, pg_url_option, require_pg, write_csv  # noqa: E402

from smscli.sim.oneshot import OneShotSimulator  # noqa: E402
from smscli.testing import fresh_pg_schema  # noqa: E402


def hosts_send(tmp: Path, hosts: int, rows: int, url: str, label: str) -> float:
    """``hosts`` processes at once, each its CSV to its simulator; aggregate msg/s."""
    sims = [OneShotSimulator(speed=0, report_delay=3600, bind_id=f"acct{n:03d}") for n in range(hosts)]
    procs = []
    try:
        for sim in sims:
            sim.start_in_thread()
        for n, sim in enumerate(sims):
            home = tmp / f"{label}-host{n}"
            home.mkdir(parents=True)
            csv = home / "list.csv"
            write_csv(csv, rows, first=n * rows)
            (home / "config.toml").write_text(PROFILE.format(name=f"acct{n}", port=sim.address[1],
                                                                account=f"acct{n:03d}"))
            (home / "config.toml").chmod(0o600)
            env = dict(os.environ, PYTHONPATH=str(ROOT), SMSCLI_CONFIG=str(home / "config.toml"),
                       SMSCLI_DATA_DIR=str(home / "data"), SMSCLI_NO_PROGRESS="1",
                       SMSCLI_JOURNAL_URL=url)
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "smscli", "send", "--csv", str(csv), "-m", "{name}님 안녕하세요",
                 "--json"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env))
        for proc in procs:
            _, err = proc.communicate(timeout=1800)
            if proc.returncode != 0:
                raise SystemExit(f"a host failed (exit {proc.returncode}): {err.decode()[-500:]}")
        times = sorted(m.accepted_at for sim in sims for m in sim.accepted)
    finally:
        for sim in sims:
            sim.close()
    if len(times) != hosts * rows:
        raise SystemExit(f"{len(times)} accepted of {hosts * rows}")
    return (len(times) - 1) / (times[-1] - times[0])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000, help="rows per host")
    ap.add_argument("--hosts", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    pg_url_option(ap)
    args = ap.parse_args()
    pg_url = require_pg(args.pg_url)

    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            with fresh_pg_schema(pg_url, prefix="bench") as url:
                started = time.perf_counter()
                one = hosts_send(Path(tmp), 1, args.rows, url, f"r{r}-one")
                many = hosts_send(Path(tmp), args.hosts, args.rows, url, f"r{r}-many")
                wall = time.perf_counter() - started
            ratios.append(many / one)
            print(f"round {r + 1}: 1 host {one:,.0f} msg/s; {args.hosts} hosts {many:,.0f} msg/s "
                  f"aggregate; ratio {ratios[-1]:.2f} (both runs: {wall:.1f} s wall)")
    print(f"median {args.hosts} hosts / 1 host over {args.rounds} rounds: {statistics.median(ratios):.2f} "
          f"(goal ≥ 3.2 with 4 cores; this machine has {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
