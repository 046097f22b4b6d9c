"""Build a big journal quickly for the memory benchmarks: the schema comes from
``Journal.open``, the rows from one ``executemany`` (no send, no vendor).

    python bench/journal_fill.py DATA_DIR --rows 1000000 [--status accepted] [--vendor sandbox]
        [--profile sandbox] [--scheduled] [--varied]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from pathlib import Path

# BENCH_SMSCLI_ROOT: measure another checkout (e.g. the revision before a change) with
# this checkout's benchmark scripts.
ROOT = Path(os.environ.get("BENCH_SMSCLI_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))


def fill(data_dir: Path, rows: int, *, status: str = "accepted", vendor: str = "sandbox",
         profile: str = "sandbox", scheduled: bool = False, prefix: str = "m",
         varied: bool = False) -> Path:
    """Append ``rows`` messages (ids ``{prefix}{i:09d}``) to the journal of ``data_dir``.
    ``varied``: states, codes, types, tags, carriers and days (30 of them) differ from row
    to row, as in a journal of real campaigns (for ``result stats``)."""
    from smscli.journal import Journal

    Journal.open(data_dir).close()
    path = data_dir / "journal.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    held = 1 if scheduled else 0
    state = "scheduled" if scheduled else status
    send_at = "2020-01-01T09:00:00+09:00" if scheduled else None

    outcomes = (("delivered", "0", "성공"),) * 7 + (("failed", "7", "결번"), ("failed", "8", "단말기 Power Off"),
                                                  ("accepted", "0", "성공"))
    carriers = ("SKT", "KTF", "LGT", "")

    def gen():
        for i in range(rows):
            stamp = f"2026-01-01T00:{(i // 1_000_000) % 60:02d}:{(i // 10_000) % 60:02d}.{i % 10_000:04d}+09:00"
            row = [f"{prefix}{i:09d}", vendor, profile, f"010{i % 100_000_000:08d}", "sms",
                   f"안녕하세요 고객{i}님", "", "01000000000", state, "0" if not scheduled else "",
                   "accepted" if not scheduled else "", send_at, held, stamp, stamp, "", ""]
            if varied:
                stamp = (f"2026-01-{1 + i * 30 // rows:02d}T{(i // 977) % 24:02d}:{(i // 61) % 60:02d}:"
                         f"{i % 60:02d}.{i % 10_000:04d}+09:00")
                row[8:11] = outcomes[i % len(outcomes)]
                row[4] = "lms" if i % 5 == 0 else "sms"
                row[13] = row[14] = stamp
                row[15] = f"campaign-{i % 12}" if i % 4 else ""
                row[16] = carriers[i % len(carriers)] if row[8] != "accepted" else ""
            yield row if varied else row[:15]

    extra = ", tag, telecom" if varied else ""  # (columns older revisions lack: BENCH_SMSCLI_ROOT)
    with conn:
        conn.executemany(
            'INSERT INTO messages (id, vendor, profile, "to", type, text, subject, sender, status,'
            f" code, detail, send_at, held, created_at, updated_at{extra})"
            f" VALUES ({', '.join('?' * (17 if varied else 15))})", gen())
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--status", default="accepted")
    ap.add_argument("--vendor", default="sandbox")
    ap.add_argument("--profile", default="sandbox")
    ap.add_argument("--scheduled", action="store_true")
    ap.add_argument("--varied", action="store_true")
    args = ap.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    fill(args.data_dir, args.rows, status=args.status, vendor=args.vendor, profile=args.profile,
         scheduled=args.scheduled, varied=args.varied)


if __name__ == "__main__":
    main()
