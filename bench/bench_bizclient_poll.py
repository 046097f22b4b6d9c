"""Peak RSS and time of BIZCLIENT `smscli result poll --json` beside a 1,000,000-row
journal (goal: < 80 MB), every message in it unfinished (the worst case: all of them are
looked up), 20,000 of them finished in BIZ_MSG (SQLite). Journal and tables are filled
with SQL (bench/journal_fill.py).

    python bench/bench_bizclient_poll.py [--rows 1000000] [--finished 20000]

BENCH_SMSCLI_ROOT=DIR measures another checkout with these scripts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peak_rss  # noqa: E402
from journal_fill import ROOT, fill  # noqa: E402

CONFIG = """default_profile = "biz"
[profiles.biz]
vendor = "bizclient"
database_url = "sqlite:///{db}"
file_path = "{files}"
sender = "0212341234"
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--finished", type=int, default=20_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "files").mkdir()
        (home / "config.toml").write_text(CONFIG.format(db=home / "biz.db", files=home / "files"))
        (home / "config.toml").chmod(0o600)
        env = dict(os.environ, PYTHONPATH=str(ROOT), SMSCLI_CONFIG=str(home / "config.toml"),
                   SMSCLI_DATA_DIR=str(home / "data"), SMSCLI_NO_PROGRESS="1")
        subprocess.run([sys.executable, "-m", "smscli", "bizclient", "init-db"], env=env, cwd=tmp,
                       check=True, stdout=subprocess.DEVNULL)
        (home / "data").mkdir(exist_ok=True)
        fill(home / "data", args.rows, vendor="bizclient", profile="biz")
        from smscli.vendors.bizclient_db import BizDatabase

        db = BizDatabase(f"sqlite:///{home / 'biz.db'}")
        table = db.table("BIZ_MSG")
        stamp = datetime.now() - timedelta(minutes=5)
        step = max(1, args.rows // args.finished)
        with db.connect() as conn, db.begin(conn):
            conn.execute(table.insert(), [
                {"CMID": f"m{i:09d}", "MSG_TYPE": 0, "STATUS": 2, "REQUEST_TIME": stamp,
                 "SEND_TIME": stamp, "REPORT_TIME": stamp, "DEST_PHONE": "01012345678",
                 "SEND_PHONE": "0212341234", "MSG_BODY": "x", "CALL_STATUS": "4100"}
                for i in range(0, args.rows, step)][: args.finished])
        db.dispose()
        hwm = home / "hwm"
        started = time.perf_counter()
        before = os.times()
        proc = subprocess.run(peak_rss.command(["result", "poll", "--json"]), env=peak_rss.env_for(env, hwm),
                              cwd=tmp, capture_output=True, check=False)
        wall = time.perf_counter() - started
        after = os.times()
        cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
        peak = peak_rss.read_mb(hwm)
    lines = proc.stdout.count(b"\n")
    print(proc.stderr.decode().strip())
    print(f"result poll beside a {args.rows:,}-row journal (all unfinished), {args.finished:,} finished "
          f"in BIZ_MSG: {lines:,} reports, peak RSS {peak:.0f} MB (goal < 80 MB), "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU, exit {proc.returncode}")


if __name__ == "__main__":
    main()
