"""Peak RSS and time of `smscli reserve flush --json` with 100,000 due reservations held
locally (goal: < 80 MB), sent to the OneShot simulator; and of `reserve list --json` over
them. The reservations are written with SQL (bench/journal_fill.py).

    python bench/bench_reserve_flush.py [--rows 100000]

BENCH_SMSCLI_ROOT=DIR measures another checkout with these scripts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peak_rss  # noqa: E402
from bench_send_oneshot import PROFILE  # noqa: E402
from journal_fill import ROOT, fill  # noqa: E402

from smscli.sim.oneshot import OneShotSimulator  # noqa: E402


def timed(args: list[str], env: dict[str, str], home: Path) -> tuple[int, float, float, str, int]:
    hwm = home / "hwm"
    started = time.perf_counter()
    proc = subprocess.run(peak_rss.command(args), env=peak_rss.env_for(env, hwm), cwd=home,
                          capture_output=True, check=False)
    return (proc.stdout.count(b"\n"), time.perf_counter() - started, peak_rss.read_mb(hwm),
            proc.stderr.decode().strip(), proc.returncode)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, OneShotSimulator(speed=0, report_delay=36_000) as sim:
        home = Path(tmp)
        (home / "config.toml").write_text(PROFILE.format(port=sim.address[1]))
        (home / "config.toml").chmod(0o600)
        (home / "data").mkdir()
        fill(home / "data", args.rows, vendor="oneshot", profile="bench", scheduled=True)
        env = dict(os.environ, PYTHONPATH=str(ROOT), SMSCLI_CONFIG=str(home / "config.toml"),
                   SMSCLI_DATA_DIR=str(home / "data"), SMSCLI_NO_PROGRESS="1")
        for name, cmd in (("reserve list", ["reserve", "list", "--json"]),
                          ("reserve flush", ["reserve", "flush", "--json"])):
            lines, wall, peak, err, code = timed(cmd, env, home)
            if err:
                print(err)
            print(f"{name} of {args.rows:,} due: {lines:,} lines, peak RSS {peak:.0f} MB "
                  f"(goal < 80 MB), {wall:.1f} s, exit {code}")
        print(f"simulator accepted {len(sim.accepted):,}")


if __name__ == "__main__":
    main()
