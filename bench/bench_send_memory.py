"""Peak RSS of `smscli send --csv` (no --wait) to the OneShot simulator, for growing sizes
(goal: < 80 MB at 1,000,000 messages, and flat: no growth per 100,000).

    python bench/bench_send_memory.py [--rows 100000,1000000] [--root DIR]

The simulator runs in this process (its thread); smscli runs in its own process, which
reports its own peak RSS (bench/peak_rss.py: VmHWM at exit; a child's ru_maxrss would
include this process's size, carried over exec). ``--root`` measures another checkout (e.g.
one exported with `git archive` of the revision before a change).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import peak_rss  # noqa: E402
from bench_send_oneshot import PROFILE  # noqa: E402

from smscli.sim.oneshot import OneShotSimulator  # noqa: E402


def run(rows: int, tmp: Path, root: Path) -> None:
    csv = tmp / f"list-{rows}.csv"
    with csv.open("w", encoding="utf-8") as fh:
        fh.write("phone,name\n")
        for i in range(rows):
            fh.write(f"010{i % 100_000_000:08d},고객{i}\n")
    home = tmp / f"home-{rows}"
    home.mkdir()
    with OneShotSimulator(speed=0, report_delay=36_000) as sim:
        (home / "config.toml").write_text(PROFILE.format(port=sim.address[1]))
        (home / "config.toml").chmod(0o600)
        env = dict(os.environ, PYTHONPATH=str(root), SMSCLI_CONFIG=str(home / "config.toml"),
                   SMSCLI_DATA_DIR=str(home / "data"), SMSCLI_NO_PROGRESS="1")
        started = time.perf_counter()
        hwm = tmp / "hwm"
        proc = subprocess.Popen(
            peak_rss.command(["send", "--csv", str(csv), "-m", "{name}님 안녕하세요", "--json"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=peak_rss.env_for(env, hwm), cwd=tmp)
        assert proc.stderr is not None
        err = proc.stderr.read().decode().strip()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        accepted = sim.stats.get("accepted", len(sim.accepted))
    print(f"  {err.splitlines()[-1] if err else ''}")
    print(f"send {rows:,} messages: peak RSS {peak_rss.read_mb(hwm):.0f} MB (goal < 80 MB), "
          f"{wall:.1f} s, CPU {usage.ru_utime + usage.ru_stime:.1f} s, accepted {accepted:,}, "
          f"exit {os.waitstatus_to_exitcode(status)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="100000,1000000", help="comma-separated sizes")
    ap.add_argument("--root", type=Path, default=ROOT, help="the smscli checkout to measure")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (int(n) for n in args.rows.split(",")):
            run(rows, Path(tmp), args.root.resolve())


if __name__ == "__main__":
    main()
