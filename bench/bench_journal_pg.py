"""OneShot unlimited sending through the simulator with the journal on PostgreSQL, as a
ratio to the journal on SQLite in the same run (goal ≥ 0.8: the shared journal is not the
bottleneck).

    python bench/bench_journal_pg.py [--rows 20000] [--rounds 3] [--pg-url URL]

PostgreSQL: ``--pg-url`` or ``SMSCLI_TEST_PG_URL`` (e.g. from
``scripts/postgres-test-server.sh``); each round uses a fresh schema, dropped after. Per
round and backend: ``smscli send --csv`` of N rows to a fresh ``OneShotSimulator`` with
no speed limit (its own thread in this process), alternating which backend goes first;
the rate is the simulator's, first to last accepted message. Prints each rate and the
median PostgreSQL/SQLite ratio.
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
from smscli.testing import fresh_pg_schema  # noqa: E402

PROFILE = """default_profile = "{name}"
[profiles.{name}]
vendor = "oneshot"
host = "127.0.0.1"
port = {port}
bind_id = "{account}"
password = "test001#$$%"
aes_key = "0123456789abcdef"
aes_iv = "fedcba9876543210"
sender = "15666639"
"""


def write_csv(path: Path, rows: int, first: int = 0) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("phone,name\n")
        for i in range(first, first + rows):
            fh.write(f"010{i:08d},고객{i}\n")


def send(csv: Path, home: Path, journal_url: str | None, account: str = "test001") -> tuple[float, float, int]:
    """One ``send --csv``; (server-side msg/s, wall seconds, accepted)."""
    home.mkdir(parents=True)
    with OneShotSimulator(speed=0, report_delay=3600) as sim:
        (home / "config.toml").write_text(PROFILE.format(name="bench", port=sim.address[1], account=account))
        (home / "config.toml").chmod(0o600)
        env = dict(os.environ, PYTHONPATH=str(ROOT), SMSCLI_CONFIG=str(home / "config.toml"),
                   SMSCLI_DATA_DIR=str(home / "data"), SMSCLI_NO_PROGRESS="1")
        env.pop("SMSCLI_JOURNAL_URL", None)
        if journal_url:
            env["SMSCLI_JOURNAL_URL"] = journal_url
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "smscli", "send", "--csv", str(csv), "-m",
                               "{name}님 안녕하세요", "--json"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=env, check=False)
        wall = time.perf_counter() - started
        times = sorted(m.accepted_at for m in sim.accepted)
    if proc.returncode != 0:
        raise SystemExit(f"send failed (exit {proc.returncode}): {proc.stderr.decode()[-500:]}")
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    return (len(times) - 1) / span, wall, len(times)


def pg_url_option(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--pg-url", default=os.environ.get("SMSCLI_TEST_PG_URL"))


def require_pg(url: str | None) -> str:
    if not url:
        raise SystemExit('no PostgreSQL: --pg-url or export SMSCLI_TEST_PG_URL="$(scripts/postgres-test-server.sh)"')
    return url




def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    pg_url_option(ap)
    args = ap.parse_args()
    pg_url = require_pg(args.pg_url)

    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "list.csv"
        write_csv(csv, args.rows)
        for r in range(args.rounds):
            with fresh_pg_schema(pg_url, prefix="bench") as shared:
                order = ["sqlite", "postgresql"] if r % 2 == 0 else ["postgresql", "sqlite"]
                rates = {}
                for backend in order:
                    url = shared if backend == "postgresql" else None
                    rate, wall, n = send(csv, Path(tmp) / f"r{r}-{backend}", url)
                    rates[backend] = rate
                    print(f"round {r + 1} {backend:10s}: {n:,} accepted, {rate:,.0f} msg/s "
                          f"(server side), wall {wall:.1f} s")
            ratios.append(rates["postgresql"] / rates["sqlite"])
            print(f"round {r + 1} PostgreSQL / SQLite: {ratios[-1]:.2f}")
    print(f"median PostgreSQL / SQLite over {args.rounds} rounds: {statistics.median(ratios):.2f} "
          "(goal ≥ 0.8)")


if __name__ == "__main__":
    main()
