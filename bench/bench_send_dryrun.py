"""Peak RSS and time of `smscli send --dry-run` over a 1,000,000-row CSV (goal < 150 MB:
the pipeline streams).

    python bench/bench_send_dryrun.py [--rows 1000000]
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

ROOT = Path(__file__).resolve().parent.parent


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("phone,name\n")
        for i in range(rows):
            fh.write(f"010{i % 100_000_000:08d},고객{i}\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "list.csv"
        write_csv(csv, args.rows)
        env = dict(os.environ, PYTHONPATH=str(ROOT), SMSCLI_CONFIG=f"{tmp}/config.toml",
                   SMSCLI_DATA_DIR=f"{tmp}/data")
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "smscli", "send", "--csv", str(csv), "-m", "{name}님 안녕하세요",
             "--dry-run", "--json"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False,
        )
        elapsed = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(proc.stderr.decode().strip())
    print(f"send --dry-run, {args.rows:,} rows: {elapsed:.1f} s ({args.rows / elapsed:,.0f} rows/s), "
          f"peak RSS {peak_mb:.0f} MB (goal < 150 MB), exit {proc.returncode}")


if __name__ == "__main__":
    main()
