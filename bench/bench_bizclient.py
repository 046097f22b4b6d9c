"""BIZCLIENT: queueing speed and result-poll time, on SQLite and on MariaDB.

    /work/venv/bin/python bench/bench_bizclient.py [--messages 100000] [--backend sqlite|mariadb|all]
        [--big-log 1000000]

For each backend: queue N SMS with ``BizclientVendor.send`` (rows/s; goal ≥ 5,000),
queue the same N again (all duplicates: the fallback path), let the stand-in agent finish
and move every row (its rows/s), then time ``result poll`` over the N finished rows with
the N ids a journal would hand it: once with the log table indexed on CMID (as
``init-db`` makes it) and once without (as the agent makes its monthly tables).
``--big-log ROWS``: also queue N beside a log of ROWS finished rows without an index.

MariaDB: ``--mysql-url`` or ``SMSCLI_TEST_MYSQL_URL`` (e.g. from
``scripts/mariadb-test-server.sh``). Its BIZ_* tables are dropped: use a scratch database.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smscli.config import Paths, resolve_profile  # noqa: E402
from smscli.models import Message, Report  # noqa: E402
from smscli.sim.bizclient import AgentConfig, BizclientAgent  # noqa: E402
from smscli.vendors.bizclient import BizclientVendor  # noqa: E402
from smscli.vendors.bizclient_db import BizDatabase, now_kst, recent_log_names  # noqa: E402


def fresh_tables(url: str) -> BizDatabase:
    db = BizDatabase(url, create=True)
    with db.connect() as conn:
        for name in db.sa.inspect(conn).get_table_names():
            if name.upper().startswith("BIZ_"):
                conn.exec_driver_sql(f"DROP TABLE {db.engine.dialect.identifier_preparer.quote(name)}")
        conn.commit()
        db.create_tables(conn, months=recent_log_names()[:1])
    return db


def vendor_for(url: str, work: Path, ids: list[str]) -> BizclientVendor:
    profile = resolve_profile("bench", {"vendor": "bizclient", "database_url": url, "file_path": str(work),
                                        "sender": "0212341234"}, Paths(work / "config.toml", work / "data"))
    return BizclientVendor(profile, object(), pending_ids=lambda: ids)


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(label: str, url: str, n: int, work: Path) -> dict[str, float]:
    db = fresh_tables(url)
    ids = [f"bench{i:08d}" for i in range(n)]
    messages = [Message(id=cmid, to=f"010{i % 100_000_000:08d}", text="[벤치] 안녕하세요, 예약 확인 문자입니다.",
                        sender="") for i, cmid in enumerate(ids)]
    vendor = vendor_for(url, work, ids)
    statuses: dict[str, int] = {}

    def count(result: Any) -> None:
        statuses[result.status] = statuses.get(result.status, 0) + 1

    figures: dict[str, float] = {}
    figures["queue rows/s"] = n / timed(lambda: vendor.send(messages, count))
    assert statuses == {"accepted": n}, statuses
    statuses.clear()
    figures["re-queue (duplicates) rows/s"] = n / timed(lambda: vendor.send(messages, count))
    assert statuses == {"duplicate": n}, statuses

    agent = BizclientAgent(AgentConfig(url, str(work), send_delay=0, move_delay=0, fail_rate=0.1, batch=1000))
    agent.prepare()

    def finish() -> None:
        while agent.stats["moved"] < n:
            agent.step()

    figures["agent rows/s (take, report, move)"] = n / timed(finish)
    agent.db.dispose()

    got: list[Report] = []
    figures["poll s, indexed log"] = timed(lambda: vendor.poll(got.extend))
    assert len(got) == n and len({r.message_id for r in got}) == n
    log = recent_log_names()[0]
    with db.connect() as conn:
        index = f"IX_{log}_CMID"
        quote = db.engine.dialect.identifier_preparer.quote
        if db.dialect == "mysql":
            conn.exec_driver_sql(f"DROP INDEX {quote(index)} ON {quote(log)}")
        else:
            conn.exec_driver_sql(f"DROP INDEX {quote(index)}")
        conn.commit()
    got.clear()
    figures["poll s, log without index"] = timed(lambda: vendor.poll(got.extend))
    assert len(got) == n
    vendor.close()
    db.dispose()
    print(f"{label}: " + ", ".join(f"{k} {v:,.2f}" if "poll" in k else f"{k} {v:,.0f}" for k, v in figures.items()),
          flush=True)
    return figures


def queue_beside_big_log(label: str, url: str, n: int, log_rows: int, work: Path) -> None:
    """Queue N messages while this month's log holds ``log_rows`` finished rows and has no
    index on CMID (each batch must still be checked against it)."""
    db = fresh_tables(url)
    log_name = recent_log_names()[0]
    quote = db.engine.dialect.identifier_preparer.quote
    log = db.table(log_name, log=True)
    stamp = now_kst()
    with db.connect() as conn:
        index = quote(f"IX_{log_name}_CMID")
        conn.exec_driver_sql(f"DROP INDEX {index} ON {quote(log_name)}" if db.dialect == "mysql"
                             else f"DROP INDEX {index}")
        for start in range(0, log_rows, 10_000):
            conn.execute(log.insert(), [
                {"CMID": f"old{i:09d}", "MSG_TYPE": 0, "STATUS": 2, "REQUEST_TIME": stamp, "SEND_TIME": stamp,
                 "REPORT_TIME": stamp, "DEST_PHONE": "01012345678", "SEND_PHONE": "0212341234",
                 "MSG_BODY": "지난달 안내 문자입니다", "CALL_STATUS": "4100"}
                for i in range(start, min(start + 10_000, log_rows))])
            conn.commit()
    db.dispose()
    ids = [f"new{i:08d}" for i in range(n)]
    vendor = vendor_for(url, work, ids)
    messages = [Message(id=cmid, to="01012345678", text="[벤치] 안녕하세요", sender="") for cmid in ids]
    rate = n / timed(lambda: vendor.send(messages, lambda r: None))
    vendor.close()
    print(f"{label}: queue rows/s beside a {log_rows:,}-row log without index {rate:,.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "mariadb", "all"], default="all")
    parser.add_argument("--mysql-url", default=os.environ.get("SMSCLI_TEST_MYSQL_URL", ""))
    parser.add_argument("--big-log", type=int, default=0, metavar="ROWS",
                        help="also queue beside a log of ROWS finished rows without an index (e.g. 1000000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-bizclient-") as tmp:
        work = Path(tmp)
        targets = []
        if args.backend in ("sqlite", "all"):
            targets.append(("SQLite", f"sqlite:///{work / 'biz.db'}"))
        if args.backend in ("mariadb", "all"):
            if not args.mysql_url:
                print("MariaDB: skipped (give --mysql-url or export "
                      'SMSCLI_TEST_MYSQL_URL="$(scripts/mariadb-test-server.sh)")', file=sys.stderr)
            else:
                targets.append(("MariaDB", args.mysql_url))
        for label, url in targets:
            run(label, url, args.messages, work)
            if args.big_log:
                queue_beside_big_log(label, url, args.messages, args.big_log, work)


if __name__ == "__main__":
    main()
