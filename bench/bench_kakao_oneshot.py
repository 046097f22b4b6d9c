"""Kakao on OneShot: AlimTalk sends/s through ``sim oneshot`` (unlimited) as a ratio to
SMS in the same run (goal ≥ 0.9), and smscli's own fallback of N misses (goal: N
fallbacks sent exactly once, at ≥ 0.9 of the SMS rate).

    python bench/bench_kakao_oneshot.py [--messages 10000] [--rounds 3]

The simulator (Speed 0, one approved template with a button, every Kakao recipient a
miss for the fallback part) runs in its own process. Each send goes the pipeline's way:
``Journal.claim``, ``OneShotVendor.send`` with a ``ResultSink`` journaling the results.
Part 1, per round (alternating who goes first): N SMS of the AlimTalk's text, and N
AlimTalk with a button (reports held back by the simulator); the median ratios of their
rates, by wall clock and by this process's CPU time, are printed (on a shared machine the
CPU ratio is the one to compare).
Part 2, per round: N AlimTalk with an SMS fallback, all reported missed (29) during
``--wait`` (not timed); then ``Fallback.send`` sends the N fallbacks, timed against N plain
SMS (alternating who goes first); the median ratios are printed. Exactly once is checked on
both sides: the journal holds N fallback messages per round, each accepted (or delivered),
and the simulator's record file has each fallback id once.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(os.environ.get("BENCH_SMSCLI_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))

TEMPLATE = "안녕하세요 #{name}님, 주문 #{order}이 발송되었습니다."
SENDER_KEY = "bench-sender-key-0123456789"
CONFIG = """
default_profile = "b"
[profiles.b]
vendor = "oneshot"
host = "127.0.0.1"
port = {port}
bind_id = "test001"
password = "test001#$$%"
aes_key = "0123456789abcdef"
aes_iv = "fedcba9876543210"
sender = "15666639"
window = 100
kakao_sender_key = "{key}"
"""


def run_sim(conn, report_delay: float, miss_rate: float, record: str) -> None:
    from smscli.content import Button
    from smscli.sim.kakao import KakaoRules, Template
    from smscli.sim.oneshot import OneShotSimulator

    rules = KakaoRules([Template("ORDER1", TEMPLATE, buttons=(Button("배송 조회", "WL", url_mobile="https://s.example/#{order}"),))],
                       sender_key=SENDER_KEY, miss_rate=miss_rate, seed=1)
    with OneShotSimulator(speed=0, report_delay=report_delay, kakao=rules, record=Path(record)) as sim:
        conn.send(sim.address)
        conn.recv()


def start_sim(report_delay: float, miss_rate: float, record: Path):
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=run_sim, args=(child, report_delay, miss_rate, str(record)), daemon=True)
    proc.start()
    SIM_PID[0] = proc.pid
    return proc, parent, parent.recv()


def sms(prefix: str, n: int):
    """The AlimTalk's text, sent as SMS (it fits 90 CP949 bytes)."""
    from smscli.models import Message

    return [Message(id=f"{prefix}{i}", to=f"010{i:08d}", sender="15666639",
                    text=TEMPLATE.replace("#{name}", "홍길동").replace("#{order}", f"A-{i}"))
            for i in range(n)]


def alimtalk(prefix: str, n: int, fallback: bool = False):
    from smscli.content import Button, Kakao, Text
    from smscli.models import Message

    out = []
    for i in range(n):
        order = f"A-{i}"
        body = TEMPLATE.replace("#{name}", "홍길동").replace("#{order}", order)
        ch = Kakao(body=body, template="ORDER1", buttons=(Button("배송 조회", "WL", url_mobile=f"https://s.example/{order}"),),
                   sender_key=SENDER_KEY, fallback=Text(f"[주문] {order} 발송", type="sms") if fallback else None)
        out.append(Message(id=f"{prefix}{i}", to=f"010{i:08d}", text=body, sender="15666639", type="alimtalk",
                           channel=ch))
    return out


class Pipe:
    def __init__(self, home: Path, port: int) -> None:
        from smscli.config import load_profile
        from smscli.journal import Journal
        from smscli.vendors.registry import create_vendor

        home.mkdir(parents=True, exist_ok=True)
        (home / "config.toml").write_text(CONFIG.format(port=port, key=SENDER_KEY))
        (home / "config.toml").chmod(0o600)
        os.environ["SMSCLI_CONFIG"] = str(home / "config.toml")
        os.environ["SMSCLI_DATA_DIR"] = str(home / "data")
        self.profile = load_profile("b")
        self.journal = Journal.open(self.profile.data_dir)
        self.vendor = create_vendor(self.profile, self.journal)

    def send(self, messages, *, wait: float = 0.0, fallback: bool = False) -> tuple[Took, Counter]:
        from smscli.dispatch import ResultSink, Summary
        from smscli.fallback import Fallback

        counts: Counter = Counter()
        took = Took()
        self.journal.claim(messages, self.vendor.name, "b")
        sink = ResultSink(self.journal, Summary(), lambda r: counts.update([r.status]), hold=wait > 0)
        sink.fallback = Fallback.for_vendor(self.journal, self.vendor, "b") if fallback else None
        self.vendor.send(iter(messages), sink, on_reports=sink.reports, wait=wait)
        sink.flush()
        sink.release()
        return took.stop(), counts


SIM_PID = [0]  # the simulator's process, for its CPU time


def sim_cpu() -> float:
    """The simulator process's CPU seconds so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{SIM_PID[0]}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Took:
    """Wall and CPU seconds since made: this process's, and the simulator's (``sim``)."""

    def __init__(self) -> None:
        self.wall, self.cpu, self.sim = time.perf_counter(), time.process_time(), sim_cpu()

    def stop(self) -> Took:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        self.sim = sim_cpu() - self.sim
        return self

    def ratio(self, other: Took) -> tuple[float, float]:
        """(wall, CPU) rate of self as a fraction of other's (same message count)."""
        return other.wall / self.wall, other.cpu / self.cpu


def part1(n: int, rounds: int, tmp: Path) -> float:
    proc, conn, (_, port) = start_sim(36_000, 0.0, tmp / "rec1.jsonl")
    pipe = Pipe(tmp / "p1", port)
    pipe.send(sms("warm-s", 500))
    pipe.send(alimtalk("warm-a", 500))
    ratios = []
    try:
        for r in range(rounds):
            order = ("sms", "at") if r % 2 == 0 else ("at", "sms")
            took = {}
            for kind in order:
                msgs = sms(f"s{r}-", n) if kind == "sms" else alimtalk(f"a{r}-", n)
                took[kind], counts = pipe.send(msgs)
                assert counts == Counter(accepted=n), counts
            wall, cpu = took["at"].ratio(took["sms"])
            ratios.append((wall, cpu))
            print(f"round {r + 1}: SMS {n / took['sms'].wall:,.0f}/s ({took['sms'].cpu * 1e6 / n:.0f} µs CPU "
                  f"each, simulator {took['sms'].sim * 1e6 / n:.0f}), AlimTalk {n / took['at'].wall:,.0f}/s "
                  f"({took['at'].cpu * 1e6 / n:.0f} µs, simulator {took['at'].sim * 1e6 / n:.0f}): "
                  f"ratio {wall:.3f} wall, {cpu:.3f} CPU")
    finally:
        conn.send("stop")
        proc.join(10)
    wall = statistics.median(w for w, _ in ratios)
    cpu = statistics.median(c for _, c in ratios)
    print(f"AlimTalk / SMS rate (median of {rounds}): {wall:.3f} wall, {cpu:.3f} CPU (goal >= 0.9)")
    return cpu


def part2(n: int, rounds: int, tmp: Path) -> float:
    from smscli import ids
    from smscli.fallback import Fallback

    record = tmp / "rec2.jsonl"
    proc, conn, (_, port) = start_sim(0.01, 1.0, record)
    pipe = Pipe(tmp / "p2", port)
    ratios = []
    try:
        for r in range(rounds):
            took, counts = pipe.send(alimtalk(f"m{r}-", n, fallback=True), wait=120)
            assert counts == Counter(failed=n), counts  # every one missed, none fallen back yet
            fallback = Fallback(pipe.journal, pipe.vendor, "b")
            order = ("fallback", "sms") if r % 2 == 0 else ("sms", "fallback")
            for kind in order:
                if kind == "fallback":
                    fb_took = Took()
                    sent = fallback.send()
                    fb_took.stop()
                else:
                    sms_took, _ = pipe.send(sms(f"plain{r}-", n))
            again = fallback.send()  # nothing owed any more
            children = [ids.fallback_id(f"m{r}-{i}") for i in range(n)]
            states = Counter(row["status"] if row else "missing" for row in map(pipe.journal.get, children))
            assert sent == n and again == 0, (sent, again)
            assert states["accepted"] + states["delivered"] == n, states
            wall, cpu = fb_took.ratio(sms_took)
            ratios.append((wall, cpu))
            print(f"round {r + 1}: fallback of {n:,} misses: {sent:,} sent, each once in the journal "
                  f"({dict(states)}); {n / fb_took.wall:,.0f}/s ({fb_took.cpu * 1e6 / n:.0f} µs CPU each, "
                  f"simulator {fb_took.sim * 1e6 / n:.0f}) against SMS {n / sms_took.wall:,.0f}/s "
                  f"({sms_took.cpu * 1e6 / n:.0f} µs, simulator {sms_took.sim * 1e6 / n:.0f}): "
                  f"ratio {wall:.3f} wall, {cpu:.3f} CPU")
    finally:
        conn.send("stop")
        proc.join(10)
    events = [json.loads(line) for line in record.read_text().splitlines() if line.strip()]
    seen = Counter(e["user_msg_id"] for e in events if e.get("event") == "accepted")
    on_sim = Counter(seen[ids.fallback_id(f"m{r}-{i}")] for r in range(rounds) for i in range(n))
    assert on_sim == Counter({1: n * rounds}), on_sim
    wall = statistics.median(w for w, _ in ratios)
    cpu = statistics.median(c for _, c in ratios)
    print(f"simulator: each of the {n * rounds:,} fallback ids accepted once")
    print(f"fallback / SMS rate (median of {rounds}): {wall:.3f} wall, {cpu:.3f} CPU (goal >= 0.9)")
    return cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        part1(args.messages, args.rounds, Path(tmp))
        part2(args.messages, args.rounds, Path(tmp))


if __name__ == "__main__":
    main()
