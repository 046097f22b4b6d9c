"""BIZCLIENT inserts against a bare ``executemany`` on SQLite (goal: ≥ 0.6).

    python bench/bench_bizclient_ratio.py [--messages 50000] [--rounds 3]

Per round, into fresh BIZ_MSG tables (as ``init-db`` makes them) of a file database:
``BizclientVendor.send`` of N SMS (its checks, 1000 rows per transaction, the look-up of
CMIDs the agent already finished) and a bare loop of ``sqlite3`` ``executemany`` of the
same rows, 1000 per transaction. CPU time of this process for each (the same process and
connection settings), alternating who goes first; prints rows per CPU-second and the
median ratio.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_bizclient import fresh_tables, vendor_for  # noqa: E402

from smscli.models import Message  # noqa: E402
from smscli.vendors.bizclient_db import now_kst  # noqa: E402

TEXT = "[벤치] 안녕하세요, 예약 확인 문자입니다."


def ours(url: str, work: Path, n: int, tag: str) -> float:
    fresh_tables(url).dispose()
    messages = [Message(id=f"{tag}{i:08d}", to=f"010{i % 100_000_000:08d}", text=TEXT, sender="")
                for i in range(n)]
    vendor = vendor_for(url, work, [])
    done = [0]

    def count(result: object) -> None:
        done[0] += 1

    start = time.process_time()
    vendor.send(messages, count)
    cpu = time.process_time() - start
    vendor.close()
    assert done[0] == n
    return cpu


def bare(path: Path, url: str, n: int, tag: str) -> float:
    fresh_tables(url).dispose()
    conn = sqlite3.connect(path)
    now = now_kst().replace(tzinfo=None)
    start = time.process_time()
    for first in range(0, n, 1000):
        rows = [(f"{tag}{i:08d}", 0, 0, now, now, f"010{i % 100_000_000:08d}", "0212341234", None, TEXT, None)
                for i in range(first, min(n, first + 1000))]
        with conn:
            conn.executemany(
                'INSERT INTO "BIZ_MSG" ("CMID", "MSG_TYPE", "STATUS", "REQUEST_TIME", "SEND_TIME", '
                '"DEST_PHONE", "SEND_PHONE", "SUBJECT", "MSG_BODY", "ATTACHED_FILE") '
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    cpu = time.process_time() - start
    assert conn.execute('SELECT COUNT(*) FROM "BIZ_MSG"').fetchone()[0] == n
    conn.close()
    return cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=50_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    n = args.messages
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "biz.db"
        url = f"sqlite:///{path}"
        ours(url, work, 1000, "warm")
        for round_no in range(args.rounds):
            runs = [("bare", lambda r=round_no: bare(path, url, n, f"b{r}-")),
                    ("ours", lambda r=round_no: ours(url, work, n, f"v{r}-"))]
            if round_no % 2:
                runs.reverse()
            cpu = {name: fn() for name, fn in runs}
            ratios.append(cpu["bare"] / cpu["ours"])
            print(f"round {round_no + 1}: bare executemany {n / cpu['bare']:,.0f} rows/CPU-s, "
                  f"BizclientVendor.send {n / cpu['ours']:,.0f} rows/CPU-s, ratio {ratios[-1]:.2f}")
    print(f"BIZCLIENT inserts / bare executemany, {n:,} rows: median ratio "
          f"{statistics.median(ratios):.2f} (goal ≥ 0.6)")


if __name__ == "__main__":
    main()
