"""Throughput of `smscli sim oneshot` (its own process, as users run it): MsgSendReq
answered per second on loopback with ``--speed 0`` (goal > 5,000/s).

    python bench/bench_sim_oneshot.py        # N=10000, SMSCLI_SIM_BENCH_N to change
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.sim_oneshot_raw import RawClient, msg_body  # noqa: E402
from tests.test_sim_oneshot_cli import sim_process  # noqa: E402

N = int(os.environ.get("SMSCLI_SIM_BENCH_N", "10000"))


def measure(*args: str) -> float:
    """Messages/s from the first byte sent to the last MsgSendRes received."""
    with sim_process("--port", "0", "--speed", "0", "--report-delay", "3600", *args) as sp:
        with RawClient(sp.address(), timeout=30) as c:
            if "--encrypt" in args:
                c.key_exchange()
            assert c.bind()["Result"] == 0
            data = b"".join(
                c.frame("MsgSendReq", msg_body(str(i), f"010{i:08d}")) for i in range(N)
            )
            started = time.perf_counter()
            sender = threading.Thread(target=c.send_raw, args=(data,))
            sender.start()
            answers = 0
            while answers < N:  # count frames; every frame the server sends now is a MsgSendRes
                chunk = c.sock.recv(1 << 20)
                assert chunk, "the simulator closed the connection"
                answers += chunk.count(b"Content-Length:")
            elapsed = time.perf_counter() - started
            sender.join()
        assert sp.stop() == 0
    assert f"{N} message(s) accepted" in "".join(sp.stderr)
    return N / elapsed


def main() -> None:
    for mode in ("plain", "encrypt"):
        rate = measure(*(["--encrypt"] if mode == "encrypt" else []))
        print(f"OneShot simulator, {mode}: {N} MsgSendReq answered at {rate:,.0f}/s (goal > 5,000/s)")


if __name__ == "__main__":
    main()
