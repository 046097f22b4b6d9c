"""Throughput of BizppurioVendor.send against the simulator, as a ratio to a bare httpx loop.

Both post the same /v3/message requests with the same concurrency over keep-alive to the
same simulator (running in its own process) in the same run. Goal: ratio >= 0.8.

    /work/venv/bin/python bench/bench_bizppurio.py [--messages 5000] [--concurrency 8] [--rounds 2] [--tls]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smscli.models import Message, SendResult  # noqa: E402
from smscli.vendors.bizppurio import BizppurioVendor  # noqa: E402


def run_sim(conn, tls: bool) -> None:
    from smscli.sim.bizppurio import BizppurioSim, SimConfig

    sim = BizppurioSim(SimConfig(report_delay=3600, tls=tls)).start()
    conn.send((sim.base_url, str(sim.ca_file) if sim.ca_file else None))
    conn.recv()  # until told to stop
    conn.send((sum(sim.accepted().values()), len(sim.accepted())))
    sim.stop()


class Profile:
    def __init__(self, **values: object) -> None:
        self.values, self.name, self.data_dir = values, "bench", Path(".")

    def get(self, key: str, default: object = None) -> object:
        return self.values.get(key, default)

    def require(self, key: str) -> object:
        return self.values[key]

    def secret(self, key: str = "password") -> str:
        return str(self.values[key])


class Events:
    def __init__(self) -> None:
        self.tokens: dict[str, tuple[str, float]] = {}

    def token_get(self, key: str):
        return self.tokens.get(key)

    def token_put(self, key: str, token: str, expires_at: float) -> None:
        self.tokens[key] = (token, expires_at)


def make_messages(n: int, tag: str) -> list[Message]:
    return [Message(id=f"{tag}{i:06d}", to=f"010{i:08d}", text="벤치마크 메시지입니다", sender="0212341234")
            for i in range(n)]


def body_of(message: Message) -> dict:
    return {"account": "test", "type": "sms", "from": message.sender, "to": message.to, "refkey": message.id,
            "content": {"sms": {"message": message.text}}}


async def bare_loop(base_url: str, verify: object, messages: list[Message], concurrency: int) -> float:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, verify=verify, timeout=10) as client:
        started = time.perf_counter()
        token = (await client.post("/v1/token", auth=("test", "test"))).json()["accesstoken"]
        headers = {"Authorization": f"Bearer {token}"}
        pending = iter(messages)

        async def worker() -> None:
            for message in pending:
                response = await client.post("/v3/message", json=body_of(message), headers=headers)
                assert str(response.json()["code"]) == "1000"

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


def vendor_run(base_url: str, ca_file: str | None, messages: list[Message], concurrency: int) -> float:
    vendor = BizppurioVendor(
        Profile(base_url=base_url, account="test", password="test", concurrency=concurrency, ca_file=ca_file),
        Events(),
    )
    results: list[SendResult] = []
    started = time.perf_counter()
    vendor.send(messages, results.append)
    elapsed = time.perf_counter() - started
    assert len(results) == len(messages) and {r.status for r in results} == {"accepted"}
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--tls", action="store_true")
    args = parser.parse_args()

    ours_end, sim_end = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(target=run_sim, args=(sim_end, args.tls), daemon=True)
    process.start()
    base_url, ca_file = ours_end.recv()
    verify: object = True
    if ca_file:
        import ssl

        verify = ssl.create_default_context(cafile=ca_file)

    n, c = args.messages, args.concurrency
    warm = min(n, 300)  # first use of imports, TLS, the sim's code paths: not measured
    asyncio.run(bare_loop(base_url, verify, make_messages(warm, "wb-"), c))
    vendor_run(base_url, ca_file, make_messages(warm, "wv-"), c)
    bare_times, vendor_times = [], []
    cpu_used = {"bare": 0.0, "vendor": 0.0}  # this process only: the simulator runs elsewhere
    for round_no in range(args.rounds):
        # alternate who goes first, so drift in machine load hits both alike
        bare_batch, vendor_batch = make_messages(n, f"b{round_no}-"), make_messages(n, f"v{round_no}-")
        runs = [("bare", lambda b=bare_batch: asyncio.run(bare_loop(base_url, verify, b, c))),
                ("vendor", lambda v=vendor_batch: vendor_run(base_url, ca_file, v, c))]
        timed = {}
        for name, run in runs if round_no % 2 == 0 else runs[::-1]:
            cpu = time.process_time()
            timed[name] = run()
            cpu_used[name] += time.process_time() - cpu
        bare_times.append(timed["bare"])
        vendor_times.append(timed["vendor"])
        print(f"round {round_no + 1}: bare httpx {n / timed['bare']:6.0f} msg/s   "
              f"BizppurioVendor.send {n / timed['vendor']:6.0f} msg/s   ratio {timed['bare'] / timed['vendor']:.2f}")
    ours_end.send("stop")
    total, distinct = ours_end.recv()
    process.join(10)
    import statistics

    bare_rate, vendor_rate = n * args.rounds / sum(bare_times), n * args.rounds / sum(vendor_times)
    median = statistics.median(b / v for b, v in zip(bare_times, vendor_times, strict=True))
    print(f"{n} messages x {args.rounds} rounds, concurrency {c}, {'https' if args.tls else 'http'} loopback")
    print(f"overall: bare {bare_rate:.0f} msg/s, vendor {vendor_rate:.0f} msg/s, ratio {vendor_rate / bare_rate:.2f}; "
          f"median round ratio {median:.2f} (goal >= 0.8)")
    per = {k: v / (n * args.rounds) * 1e6 for k, v in cpu_used.items()}
    print(f"client CPU per message: bare {per['bare']:.0f} us, vendor {per['vendor']:.0f} us "
          f"(ratio {per['bare'] / per['vendor']:.2f}; insensitive to other load on the machine)")
    print(f"simulator accepted {total} requests for {distinct} distinct refkeys "
          f"({'exactly once each' if total == distinct == 2 * (n * args.rounds + warm) else 'MISMATCH'})")


if __name__ == "__main__":
    main()
