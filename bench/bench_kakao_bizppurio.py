"""AlimTalk sends per second through the whole pipeline (Client.send_many: render, check,
journal, Bizppurio vendor) against `sim bizppurio`, as a ratio to SMS in the same run.

The simulator runs in its own process with an approved template (its text and buttons are
checked for every message) and a sender key; each round sends N SMS, then N AlimTalk with
a button and an SMS fallback (each kind first in every other round; the best round of each
is kept). Goal: ratio >= 0.9.

    .venv/bin/python bench/bench_kakao_bizppurio.py [--messages 3000] [--rounds 3] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TEXT = "#{name}님, 주문 #{order}이 접수되었습니다."
BUTTON = {"name": "주문 확인", "type": "WL", "url_mobile": "https://shop.example/o/#{order}"}


def run_sim(conn) -> None:
    from smscli.content import Button
    from smscli.sim.bizppurio import BizppurioSim, SimConfig
    from smscli.sim.kakao import KakaoRules, Template

    rules = KakaoRules([Template("ORDER01", TEXT, (Button.from_json(BUTTON),))], sender_key="KEY1")
    sim = BizppurioSim(SimConfig(report_delay=3600, kakao=rules)).start()
    conn.send(sim.base_url)
    conn.recv()
    conn.send(dict(sim.stats()))
    sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=run_sim, args=(child,), daemon=True)
    proc.start()
    base_url = parent.recv()
    home = Path(tempfile.mkdtemp(prefix="bench-kakao-"))
    (home / "config.toml").write_text(
        f'[profiles.b]\nvendor = "bizppurio"\nbase_url = "{base_url}"\naccount = "test"\n'
        f'password = "test"\nsender = "0212341234"\nkakao_sender_key = "KEY1"\n'
        f"concurrency = {args.concurrency}\n", encoding="utf-8")
    os.chmod(home / "config.toml", 0o600)
    os.environ["SMSCLI_DATA_DIR"] = str(home / "data")

    from smscli import Client
    from smscli.content import Button, Kakao, Text

    alimtalk = Kakao(body=TEXT, template="ORDER01", buttons=(Button.from_json(BUTTON),),
                     fallback=Text(body="[주문] #{order} 접수", type="auto"))
    sms = Text(body="{name}님, 주문 {order}이 접수되었습니다.")
    best = {"sms": 0.0, "alimtalk": 0.0}
    rates: dict[str, list[float]] = {"sms": [], "alimtalk": []}
    sent = {"sms": 0, "alimtalk": 0}
    with Client("b", config=home / "config.toml") as client:
        for r in range(args.rounds):
            order = [("sms", sms), ("alimtalk", alimtalk)]
            for kind, content in order if r % 2 == 0 else order[::-1]:  # each goes first in turn
                rows = [{"phone": f"010{(r * 10**6 + i) % 10**8:08d}", "name": "김철수", "order": f"A-{i}"}
                        for i in range(args.messages)]
                started = time.perf_counter()
                batch = client.send_many(rows, template=content, on_result=lambda result: None)
                rate = args.messages / (time.perf_counter() - started)
                assert batch.counts.get("accepted") == args.messages, batch.counts
                sent[kind] += args.messages
                best[kind] = max(best[kind], rate)
                rates[kind].append(rate)
                print(f"round {r + 1} {kind:8s} {rate:8.0f} msg/s", flush=True)
    parent.send("stop")
    stats = parent.recv()
    proc.join(5)
    assert stats["accepted"] == sent["sms"] + sent["alimtalk"], stats
    import statistics

    ratio = best["alimtalk"] / best["sms"]
    median = statistics.median(rates["alimtalk"]) / statistics.median(rates["sms"])
    print(f"best: SMS {best['sms']:.0f} msg/s, AlimTalk {best['alimtalk']:.0f} msg/s: ratio {ratio:.2f}; "
          f"ratio of the medians {median:.2f} (goal >= 0.9); {stats['accepted']} accepted by the "
          "simulator, each once")


if __name__ == "__main__":
    main()
