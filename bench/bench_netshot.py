"""Benchmark: NetshotVendor sending to the BizNetShot simulator over loopback.

    /work/venv/bin/python bench/bench_netshot.py [--recipients 100000] [--texts 1]
        [--concurrency 4] [--sim-process]

Prints requests made (goal for one text: ceil(recipients / 1500)), recipients accepted by
the simulator, and wall time. ``--texts N`` spreads the recipients over N different texts
(N requests at least); ``--sim-process`` runs the simulator as ``smscli sim netshot`` in
its own process so it does not share the client's GIL.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smscli.models import Message, SendResult  # noqa: E402
from smscli.sim.netshot import NetshotSim  # noqa: E402
from smscli.vendors.netshot import MAX_RECIPIENTS, NetshotVendor  # noqa: E402


class Profile:
    name = "bench"
    vendor = "netshot"
    data_dir = Path(".")

    def __init__(self, data: dict[str, object]) -> None:
        self.data = data

    def get(self, key: str, default: object = None) -> object:
        return self.data.get(key, default)

    def require(self, key: str) -> object:
        return self.data[key]

    def secret(self, key: str = "password") -> str:
        return str(self.data[key])


def messages(count: int, texts: int) -> Iterator[Message]:
    for i in range(count):
        yield Message(id=f"bench-{i}", to=f"010{i:08d}", text=f"[{i % texts}] 안녕하세요, 벤치마크입니다.",
                      sender="0212341234")


def run(url: str, count: int, texts: int, concurrency: int) -> tuple[float, float]:
    """Send; return (wall seconds, CPU seconds of this process)."""
    vendor = NetshotVendor(Profile({"url": url, "user": "test", "password": "test",
                                    "concurrency": concurrency}), events=None)  # type: ignore[arg-type]
    statuses: dict[str, int] = {}

    def on_result(result: SendResult) -> None:
        statuses[result.status] = statuses.get(result.status, 0) + 1

    started, cpu = time.perf_counter(), time.process_time()
    vendor.send(messages(count, texts), on_result)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert statuses == {"accepted": count}, statuses
    return elapsed, cpu


def _wait_for_url(log: IO[str], timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log.seek(0)
        match = re.search(r"listening on (\S+)", log.read())
        if match:
            return match.group(1)
        time.sleep(0.05)
    raise SystemExit("the simulator did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--texts", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--sim-process", action="store_true")
    args = parser.parse_args()

    goal = max(args.texts, math.ceil(args.recipients / MAX_RECIPIENTS)) if args.texts == 1 else None
    if args.sim_process:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        with tempfile.TemporaryFile("w+", encoding="utf-8") as log:  # a pipe would fill up and block
            proc = subprocess.Popen([sys.executable, "-m", "smscli", "sim", "netshot", "--port", "0"],
                                    stderr=log, env=env)
            try:
                url = _wait_for_url(log)
                elapsed, cpu = run(url, args.recipients, args.texts, args.concurrency)
            finally:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=30)
            log.seek(0)
            tail = log.read()
        found = re.search(r"stopped: (\d+) requests, (\d+) recipients accepted", tail)
        assert found, tail
        requests, accepted = int(found.group(1)), int(found.group(2))
    else:
        with NetshotSim(accounts={"test": "test"}) as sim:
            elapsed, cpu = run(sim.url, args.recipients, args.texts, args.concurrency)
            requests, accepted = sim.counts["requests"], sim.counts["accepted_pairs"]

    where = "separate process" if args.sim_process else "in-process"
    print(f"netshot: {args.recipients} recipients, {args.texts} text(s), concurrency {args.concurrency}, "
          f"simulator {where}")
    print(f"  requests made     {requests}" + (f" (goal {goal})" if goal else ""))
    print(f"  accepted          {accepted}")
    print(f"  wall time         {elapsed:.2f} s ({args.recipients / elapsed:,.0f} recipients/s)")
    print(f"  CPU (this process) {cpu:.2f} s" + (" (client and simulator)" if not args.sim_process else
                                                 " (client only)"))


if __name__ == "__main__":
    main()
