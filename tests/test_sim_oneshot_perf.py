"""Throughput: the simulator (its own process, as users run it) keeps up with more than
5,000 MsgSendReq/s on loopback with ``--speed 0``. Run with ``-s`` to see the figure."""

from __future__ import annotations

import os
import threading
import time

import pytest

from tests.sim_oneshot_raw import RawClient, msg_body
from tests.test_sim_oneshot_cli import sim_process

pytestmark = pytest.mark.timeout(60)

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


@pytest.mark.parametrize("mode", ["plain", "encrypt"])
def test_keeps_up_with_more_than_5000_messages_per_second(mode):
    rate = measure(*(["--encrypt"] if mode == "encrypt" else []))
    print(f"\nOneShot simulator, {mode}: {N} MsgSendReq answered at {rate:,.0f}/s")
    assert rate > 5000
