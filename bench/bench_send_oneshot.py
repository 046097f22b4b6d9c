"""`smscli send --csv` of 20,000 rows to the OneShot simulator, end to end (CLI process,
journal, codec, loopback TCP):

1. simulator announcing and enforcing Speed 1000: achieved rate as a fraction of Speed
   (goal ≥ 0.97) and the number of 903 answers (goal 0);
2. no speed limit: messages/s end to end (goal ≥ 5,000/s).

    python bench/bench_send_oneshot.py [--rows 20000]

The simulator runs in this process (its own thread); smscli runs as users run it.
Rates are measured on the server side, first to last accepted message.
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


def run(rows: int, speed: int, tmp: Path, label: str, root: Path = ROOT) -> float:
    """One send of ``rows`` rows by the smscli of ``root``; prints and returns the rate."""
    csv = tmp / "list.csv"
    with csv.open("w", encoding="utf-8") as fh:
        fh.write("phone,name\n")
        for i in range(rows):
            fh.write(f"010{i:08d},고객{i}\n")
    home = tmp / label
    home.mkdir()
    with OneShotSimulator(speed=speed, report_delay=3600) as sim:
        (home / "config.toml").write_text(PROFILE.format(port=sim.address[1]))
        (home / "config.toml").chmod(0o600)
        env = dict(os.environ, PYTHONPATH=str(root), SMSCLI_CONFIG=str(home / "config.toml"),
                   SMSCLI_DATA_DIR=str(home / "data"))
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "smscli", "send", "--csv", str(csv), "-m", "{name}님 안녕하세요",
             "--json"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False,
        )
        wall = time.perf_counter() - started
        accepted = sim.accepted
        stats = sim.stats
    times = sorted(m.accepted_at for m in accepted)
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    rate = (len(times) - 1) / span if span else float("nan")
    print(f"[{label}] {proc.stderr.decode().strip().splitlines()[-1]}")
    line = (f"[{label}] {len(accepted):,}/{rows:,} accepted, server-side rate {rate:,.0f} msg/s, "
            f"process wall {wall:.1f} s ({rows / wall:,.0f} msg/s incl. start-up), "
            f"903 answers: {stats.get('result_903', 0)}, exit {proc.returncode}")
    if speed:
        line += f"; rate / Speed = {rate / speed:.3f} (goal ≥ 0.97)"
    print(line)
    return rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args.rows, 1000, Path(tmp), "speed-1000")
        run(args.rows, 0, Path(tmp), "unlimited")


if __name__ == "__main__":
    main()
