"""BIZCLIENT: queueing AlimTalk (buttons and an SMS fallback) as a ratio to SMS (goal ≥ 0.9).

    python bench/bench_bizclient_kakao.py [--messages 20000] [--rounds 3] [--mysql-url URL]

Per round, into fresh tables (as ``init-db`` makes them): ``BizclientVendor.send`` of N SMS,
of N AlimTalk whose buttons are the same for every row (one EUC-KR button file), and of N
AlimTalk whose button URL differs per row (a file per row, each written and fsynced before
its row is inserted). Wall and CPU time of this process, alternating the order; prints
rows per second and the median ratio of each AlimTalk run to SMS. SQLite by default; a
MariaDB URL (e.g. from ``scripts/mariadb-test-server.sh``, whose BIZ_* tables are dropped)
with ``--mysql-url`` or ``SMSCLI_TEST_MYSQL_URL``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_bizclient import fresh_tables, vendor_for  # noqa: E402

from smscli.content import Button, Kakao, Text  # noqa: E402
from smscli.models import Message  # noqa: E402

SMS = "[벤치] 안녕하세요, 주문하신 상품이 발송되었습니다."
KEY = "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2"


def messages(kind: str, n: int, tag: str) -> list[Message]:
    out = []
    for i in range(n):
        cmid, to = f"{tag}{i:08d}", f"010{i % 100_000_000:08d}"
        if kind == "sms":
            out.append(Message(id=cmid, to=to, text=SMS, sender=""))
            continue
        url = "https://shop.example.kr/track/" + (f"{i}" if kind == "alimtalk-per-row" else "all")
        channel = Kakao(body=SMS, template="order-shipped", sender_key=KEY,
                        buttons=(Button("배송 조회", "WL", url_mobile=url), Button("상담원 연결", "MD")),
                        fallback=Text(SMS, type="sms"))
        out.append(Message(id=cmid, to=to, text=SMS, sender="", type="alimtalk", channel=channel))
    return out


def queue(url: str, work: Path, kind: str, n: int, tag: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one send of N ``kind`` messages into fresh tables."""
    fresh_tables(url).dispose()
    batch = messages(kind, n, tag)
    files = work / f"files-{tag}"
    files.mkdir()
    vendor = vendor_for(url, files, [])
    statuses: dict[str, int] = {}

    def count(result: object) -> None:
        status = getattr(result, "status", "")
        statuses[status] = statuses.get(status, 0) + 1

    wall, cpu = time.perf_counter(), time.process_time()
    vendor.send(batch, count)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    vendor.close()
    assert statuses == {"accepted": n}, statuses
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--mysql-url", default=os.environ.get("SMSCLI_TEST_MYSQL_URL", ""))
    args = ap.parse_args()
    n = args.messages
    kinds = ("sms", "alimtalk-same", "alimtalk-per-row")
    ratios: dict[str, list[tuple[float, float]]] = {k: [] for k in kinds[1:]}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = args.mysql_url or f"sqlite:///{work / 'biz.db'}"
        backend = "MariaDB" if args.mysql_url else "SQLite"
        queue(url, work, "alimtalk-same", 500, "warm")
        for r in range(args.rounds):
            order = kinds if r % 2 == 0 else tuple(reversed(kinds))
            times = {kind: queue(url, work, kind, n, f"r{r}{kind[:1]}{kind[-3:]}-") for kind in order}
            sms_wall, sms_cpu = times["sms"]
            line = [f"round {r + 1}: sms {n / sms_wall:,.0f} rows/s"]
            for kind in kinds[1:]:
                wall, cpu = times[kind]
                ratios[kind].append((sms_wall / wall, sms_cpu / cpu))
                line.append(f"{kind} {n / wall:,.0f} rows/s (wall {ratios[kind][-1][0]:.2f}, "
                            f"CPU {ratios[kind][-1][1]:.2f})")
            print(", ".join(line))
    for kind, pairs in ratios.items():
        print(f"{backend}, {n:,} rows: {kind} / sms median ratio wall "
              f"{statistics.median(p[0] for p in pairs):.2f}, CPU {statistics.median(p[1] for p in pairs):.2f} "
              "(goal ≥ 0.9)")


if __name__ == "__main__":
    main()
