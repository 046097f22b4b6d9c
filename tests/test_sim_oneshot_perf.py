"""Throughput: the simulator (its own process, as users run it) keeps up with more than
5,000 MsgSendReq/s on loopback with ``--speed 0``.

Two figures: wall clock (first byte sent → last MsgSendRes received) and the
simulator's own CPU time per message (what it could do on an idle core; robust when
the machine is busy, so that is what the suite asserts). ``SMSCLI_SIM_BENCH=1`` also
asserts the wall-clock figure; run with ``-s`` to see both.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tests.sim_oneshot_raw import RawClient, msg_body
from tests.test_sim_oneshot_cli import sim_process

pytestmark = pytest.mark.timeout(60)

N = int(os.environ.get("SMSCLI_SIM_BENCH_N", "10000"))
PREFIX = b"Content-Length:"


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(*args: str) -> tuple[float, float | None]:
    """(wall-clock messages/s, messages per CPU second of the simulator)."""
    with sim_process("--port", "0", "--speed", "0", "--report-delay", "3600", *args) as sp:
        with RawClient(sp.address(), timeout=30) as c:
            if "--encrypt" in args:
                c.key_exchange()
            assert c.bind()["Result"] == 0
            data = b"".join(
                c.frame("MsgSendReq", msg_body(str(i), f"010{i:08d}")) for i in range(N)
            )
            cpu_before = cpu_seconds(sp.proc.pid)
            started = time.perf_counter()
            sender = threading.Thread(target=c.send_raw, args=(data,))
            sender.start()
            answers, tail = 0, b""
            while answers < N:  # count frames; every frame the server sends now is a MsgSendRes
                chunk = c.sock.recv(1 << 20)
                assert chunk, "the simulator closed the connection"
                seen = tail + chunk  # a header may be cut between two reads
                answers += seen.count(PREFIX)
                tail = seen[-(len(PREFIX) - 1) :]
            elapsed = time.perf_counter() - started
            cpu_after = cpu_seconds(sp.proc.pid)
            sender.join()
        assert sp.stop() == 0
    assert f"{N} message(s) accepted" in "".join(sp.stderr)
    cpu_rate = None
    if cpu_before is not None and cpu_after is not None:
        cpu_rate = N / max(cpu_after - cpu_before, 0.01)
    return N / elapsed, cpu_rate


@pytest.mark.parametrize("mode", ["plain", "encrypt"])
def test_keeps_up_with_more_than_5000_messages_per_second(mode):
    wall, cpu = measure(*(["--encrypt"] if mode == "encrypt" else []))
    cpu_text = f"{cpu:,.0f}/s per CPU second" if cpu else "CPU time not available"
    print(
        f"\nOneShot simulator, {mode}: {N} MsgSendReq answered at {wall:,.0f}/s wall clock, {cpu_text}"
    )
    if cpu is not None:
        assert cpu > 5000
    if os.environ.get("SMSCLI_SIM_BENCH") == "1" or cpu is None:
        assert wall > 5000
