"""``smscli packet decode`` end to end: MB/s and peak RSS of the CLI process.

    /work/venv/bin/python bench/bench_packet_decode.py [--mb 100] [--pcap] [--human] [--keep DIR]

Generates a raw OneShot stream of ``--mb`` megabytes (a session's mix of MsgSendReq,
MsgSendRes, ReportReq, ReportRes, AliveReq/AliveRes, with varying ids), then runs
``python -m smscli packet decode --json FILE > /dev/null`` in a subprocess and prints
wall-clock MB/s, frames/s, MB per CPU-second (what a busy machine's wall clock hides)
and the child's peak RSS (``getrusage(RUSAGE_CHILDREN)``).
``--pcap`` also writes the same bytes as a capture (1460-byte TCP segments, both
directions interleaved) and times decoding that; ``--human`` times the text output.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smscli.capture import LINKTYPE_ETHERNET, PcapWriter  # noqa: E402
from smscli.protocol.oneshot import encode_frame  # noqa: E402
from smscli.protocol.oneshot.messages import MsgSendReq  # noqa: E402

GOAL_MBS = 10.0
GOAL_RSS_MB = 100.0


def session_frames(n: int) -> tuple[list[bytes], list[bytes]]:
    """``n`` exchanges: client→server and server→client frame bytes."""
    up, down = [], []
    for i in range(n):
        uid = f"bench-{i:07d}"
        phone = f"010{i % 100000000:08d}"
        up.append(
            encode_frame(
                "MsgSendReq",
                MsgSendReq(
                    user_msg_id=uid,
                    msg_type=4 if i % 3 else 6,
                    phone_no=phone,
                    callback_no="15666639",
                    subject="" if i % 3 else "공지",
                    message=f"[smscli] 주문 {i}번이 접수되었습니다. 감사합니다.",
                ).to_body(),
            )
        )
        down.append(
            encode_frame(
                "MsgSendRes",
                {
                    "UserMsgId": uid,
                    "UserMsgSubId": "",
                    "PhoneNo": phone,
                    "MsgType": 4,
                    "Result": 0,
                    "UserData": "",
                },
            )
        )
        down.append(
            encode_frame(
                "ReportReq",
                {
                    "UserMsgId": uid,
                    "UserMsgSubId": "",
                    "ServerMsgId": str(700000 + i),
                    "MsgType": 4,
                    "PhoneNo": phone,
                    "Result": 0,
                    "Telecom": "SKT",
                    "DeliveryTime": "2026-05-09 16:35:25.000",
                    "UserData": "",
                },
            )
        )
        up.append(
            encode_frame(
                "ReportRes",
                {
                    "UserMsgId": uid,
                    "UserMsgSubId": "",
                    "ServerMsgId": str(700000 + i),
                    "Result": 0,
                },
            )
        )
        if i % 10 == 0:
            up.append(encode_frame("AliveReq", None))
            down.append(encode_frame("AliveRes", None))
    return up, down


def write_raw(path: Path, size: int, up: list[bytes], down: list[bytes]) -> int:
    """A raw stream of at least ``size`` bytes; returns the frame count."""
    block = b"".join(f for pair in zip(up, down, strict=False) for f in pair)
    frames_per_block = 2 * min(len(up), len(down))
    count = 0
    with open(path, "wb") as out:
        written = 0
        while written < size:
            out.write(block)
            written += len(block)
            count += frames_per_block
    return count


def write_pcap(path: Path, size: int, up: list[bytes], down: list[bytes]) -> int:
    """The same conversation as a capture: both directions, 1460-byte segments."""
    up_block, down_block = b"".join(up), b"".join(down)
    seq = {"c": 1000, "s": 50000}
    ts = 1_700_000_000.0
    count = 0
    with open(path, "wb") as out:
        w = PcapWriter(out, LINKTYPE_ETHERNET)
        w.write_tcp(ts, "10.0.0.1:50000", "10.0.0.2:9000", seq=seq["c"] - 1, flags=0x02)
        w.write_tcp(ts, "10.0.0.2:9000", "10.0.0.1:50000", seq=seq["s"] - 1, flags=0x12)
        written = 0
        while written < size:
            for side, block in (("c", up_block), ("s", down_block)):
                src, dst = (
                    ("10.0.0.1:50000", "10.0.0.2:9000")
                    if side == "c"
                    else ("10.0.0.2:9000", "10.0.0.1:50000")
                )
                for i in range(0, len(block), 1460):
                    part = block[i : i + 1460]
                    ts += 0.0001
                    w.write_tcp(ts, src, dst, part, seq=seq[side])
                    seq[side] += len(part)
                written += len(block)
            count += len(up) + len(down)
    return count


def run(args: list[str], size: int, frames: int, label: str) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.run(
            [sys.executable, "-m", "smscli", "packet", "decode", *args],
            stdout=devnull,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
    elapsed = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss_mb = max(usage.ru_maxrss, before) / 1024
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    if proc.returncode != 0:
        sys.exit(f"{label}: exit {proc.returncode}: {proc.stderr.decode()[-500:]}")
    mbs = size / elapsed / 1e6
    print(
        f"{label:<20} {size / 1e6:6.1f} MB  {elapsed:6.2f} s  {mbs:5.1f} MB/s  "
        f"{frames / elapsed / 1000:5.1f} k frames/s  (CPU {cpu:5.2f} s: {size / cpu / 1e6:5.1f} MB/s)  "
        f"peak RSS {rss_mb:5.1f} MB"
    )
    return mbs, rss_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=100.0, help="stream size in MB (default 100)")
    parser.add_argument(
        "--pcap", action="store_true", help="also time a pcap of the same conversation"
    )
    parser.add_argument("--human", action="store_true", help="also time the human-readable output")
    parser.add_argument("--keep", type=Path, help="write the generated files here and keep them")
    opts = parser.parse_args()
    size = int(opts.mb * 1e6)
    up, down = session_frames(2000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = opts.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        raw = folder / "stream.bin"
        frames = write_raw(raw, size, up, down)
        real = raw.stat().st_size
        print(
            f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {frames} frames, "
            f"{real / frames:.0f} bytes per frame on average"
        )
        mbs, rss = run(["--json", str(raw)], real, frames, "raw --json")
        ok = mbs >= GOAL_MBS and rss < GOAL_RSS_MB
        if opts.human:
            run([str(raw)], real, frames, "raw (human output)")
        if opts.pcap:
            cap = folder / "stream.pcap"
            pframes = write_pcap(cap, size, up, down)
            run(["--json", str(cap)], cap.stat().st_size, pframes, "pcap --json")
    print(
        f"goal: raw --json >= {GOAL_MBS:g} MB/s with peak RSS < {GOAL_RSS_MB:g} MB: {'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
