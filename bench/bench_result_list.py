"""Peak RSS and rows/s of `smscli result list --output FORMAT` over a 1,000,000-row
journal (goals: < 100 MB, ≥ 200,000 rows/s). The journal is built with SQL
(bench/journal_fill.py).

The same run times a bare loop in its own process (sqlite3 pages of 2,000 rows by keyset,
the same eleven fields in the same format) over the same journal: on a machine shared
with other work, the ratio and the CPU rates are steadier than the wall clock.

    python bench/bench_result_list.py [--rows 1000000] [--format csv|tsv|json]
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

BARE = r"""
import csv, json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
fmt = sys.argv[2]
w = sys.stdout.write
out = csv.writer(sys.stdout, lineterminator="\n")
keys = ("message_id", "to", "status", "code", "detail", "vendor", "delivered_at", "type", "tag",
        "profile", "created_at")
if fmt == "csv":
    out.writerow(keys)
cols = ('id, "to", status, code, detail, vendor, COALESCE((SELECT r.delivered_at FROM reports r '
        "WHERE r.message_id = messages.id ORDER BY r.rowid DESC LIMIT 1), ''), type, tag, profile, "
        "created_at, created_at, rowid")
last = None
while True:
    if last:
        rows = c.execute(f"SELECT {cols} FROM messages WHERE profile = 'sandbox' AND "
                         "(created_at, rowid) > (?, ?) ORDER BY created_at, rowid LIMIT 2000", last).fetchall()
    else:
        rows = c.execute(f"SELECT {cols} FROM messages WHERE profile = 'sandbox' "
                         "ORDER BY created_at, rowid LIMIT 2000").fetchall()
    page = [r[:-2] for r in rows]
    if fmt == "json":
        w("".join(json.dumps(dict(zip(keys, r)), ensure_ascii=False) + "\n" for r in page))
    elif fmt == "csv":
        out.writerows(page)
    else:
        w("".join("\t".join(r) + "\n" for r in page))
    if len(rows) < 2000:
        break
    last = rows[-1][-2:]
"""


def run(cmd: list[str], env: dict[str, str]) -> tuple[int, float, float, float, float, int]:
    """Lines, wall s, time to first output, child CPU s, peak RSS MB, exit status."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            cwd=env["SMSCLI_DATA_DIR"])  # not the checkout: PYTHONPATH decides
    assert proc.stdout is not None and proc.stderr is not None
    lines, first = 0, 0.0
    for chunk in iter(lambda: proc.stdout.read(1 << 16), b""):
        if not first:
            first = time.perf_counter() - started
        lines += chunk.count(b"\n")
    err = proc.stderr.read().decode().strip()
    code = proc.wait()
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if err:
        print(err)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return lines, elapsed, first, cpu, after.ru_maxrss / 1024, code


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--format", choices=("csv", "json", "tsv"), default="csv")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        fill(data, args.rows)
        env = dict(os.environ, PYTHONPATH=str(ROOT), SMSCLI_CONFIG=f"{tmp}/config.toml",
                   SMSCLI_DATA_DIR=str(data))
        cmd = [sys.executable, "-m", "smscli", "result", "list", "--output", args.format]
        bare = run([sys.executable, "-c", BARE, str(data / "journal.db"), args.format], env)
        ours = run(cmd, env)
    for name, (lines, wall, first, cpu, _rss, code) in (("bare loop", bare), ("result list", ours)):
        print(f"{name:12} {lines:,} lines in {wall:.1f} s: {lines / wall:,.0f} rows/s wall, "
              f"{lines / cpu:,.0f} rows/CPU-s, first output after {first:.2f} s, exit {code}")
    print(f"result list ({args.format}), {args.rows:,} rows: peak RSS {ours[4]:.0f} MB (goal < 100 MB; "
          f"the bare loop ran first, so this is the larger of the two), "
          f"{ours[0] / ours[1]:,.0f} rows/s wall, {ours[0] / ours[3]:,.0f} rows/CPU-s (goal ≥ 200,000), "
          f"ratio to the bare loop {(ours[0] / ours[3]) / (bare[0] / bare[3]):.2f} (CPU), "
          f"{(ours[0] / ours[1]) / (bare[0] / bare[1]):.2f} (wall)")


if __name__ == "__main__":
    main()
