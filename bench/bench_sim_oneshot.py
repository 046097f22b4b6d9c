"""Throughput of `smscli sim oneshot` (its own process, as users run it): MsgSendReq
answered per second on loopback with ``--speed 0`` (goal > 5,000/s).

    python bench/bench_sim_oneshot.py        # N=10000, SMSCLI_SIM_BENCH_N to change

Two figures: wall clock (first byte sent → last MsgSendRes received, client included)
and messages per CPU second of the simulator process (Linux /proc; what it could do
on an idle core, so it holds when the machine is busy).
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


def main() -> None:
    for mode in ("plain", "encrypt"):
        wall, cpu = measure(*(["--encrypt"] if mode == "encrypt" else []))
        cpu_text = f", {cpu:,.0f}/s per CPU second" if cpu else ""
        print(
            f"OneShot simulator, {mode}: {N} MsgSendReq answered at {wall:,.0f}/s wall clock"
            f"{cpu_text} (goal > 5,000/s)"
        )


if __name__ == "__main__":
    main()
