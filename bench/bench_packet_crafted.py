"""``smscli packet decode`` on crafted input: peak RSS and MB/s of the CLI process.

    /work/main/.venv/bin/python bench/bench_packet_crafted.py [--only NAME] [--tree DIR]
        [--timeout 300] [--keep DIR]

Builds the inputs of issue 9 and runs ``python -m smscli packet decode FILE --json``
on each (stdout to a counting pipe), one subprocess per case; the child's peak RSS and
CPU time come from ``os.wait4`` (that child's own rusage; inputs are built by another
child, so this process stays small: Linux starts a child's peak RSS at its parent's). Cases:

- ``bomb1``: one 31 KB frame whose body inflates to 32 MB of ``[],`` (an array of
  10.7 million empty arrays);
- ``bomb3``: three of them;
- ``headers``: 17.5 MB of ``Content-Length:16777216\\r\\n`` (text, so auto-detected as hex);
- ``random``: 20 MB of random bytes (``--format raw``: auto-detection refuses binary
  that is neither frames nor a capture);
- extras: ``deep`` (one frame nesting a million arrays deep, 2 MB of text),
  ``bomb3-pcap`` / ``bomb3-base64`` (the three bombs as a capture and as base64),
  ``conns-pcap`` (2,000 connections, each leaving a 64 KB frame unfinished), ``values``
  (100 frames of 190,000 empty arrays: 70 KB within the limits, decoded and printed:
  76 MB of output).

Goals: peak RSS < 200 MB on every case; ≥ 5 MB/s on ``headers`` and ``random``; exit
status 1 (damaged frames; 0 for ``values``), never 70. ``--human`` decodes to the
text blocks instead of ``--json``. ``--tree DIR`` runs another checkout's smscli
(e.g. the code before the bounds) on the same files; ``--timeout`` stops a run.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smscli.capture import LINKTYPE_ETHERNET, TCP_ACK, TCP_SYN, PcapWriter  # noqa: E402

GOAL_RSS_MB = 200.0
GOAL_MBS = 5.0
SPEED_CASES = ("headers", "random")


def frame(payload: bytes) -> bytes:
    return b"Content-Length:%d\r\n" % len(payload) + payload


def bomb() -> bytes:
    """A MsgSendReq whose body inflates to 32 MB: ``{"List":[[],[],...]}``."""
    n = 32_000_000 // 3
    text = b'{"Header":{"Method":"MsgSendReq"},"Body":{"List":[' + b"[]," * n + b"[]]}}"
    return frame(zlib.compress(text, 9))


def deep() -> bytes:
    text = b'{"Header":{"Method":"MsgSendReq"},"Body":{"List":' + b"[" * 1_000_000 + b"]" * 1_000_000 + b"}}"
    return frame(zlib.compress(text, 9))


def values() -> bytes:
    """100 frames of 190,000 empty arrays each: within the limits, so decoded and printed."""
    n = 190_000
    text = b'{"Header":{"Method":"MsgSendReq"},"Body":{"List":[' + b"[]," * (n - 1) + b"[]]}}"
    return frame(zlib.compress(text, 9)) * 100


def headers() -> bytes:
    line = b"Content-Length:16777216\r\n"
    return line * (17_500_000 // len(line))


def pcap_of(stream: bytes) -> bytes:
    import io

    out = io.BytesIO()
    w = PcapWriter(out, LINKTYPE_ETHERNET)
    c, s = "10.0.0.1:50000", "10.0.0.2:9000"
    w.write_tcp(0.0, c, s, seq=999, flags=TCP_SYN)
    w.write_tcp(0.0, s, c, seq=4999, ack=1000, flags=TCP_SYN | TCP_ACK)
    for i in range(0, len(stream), 1400):
        w.write_tcp(1.0, c, s, stream[i:i + 1400], seq=1000 + i, ack=5000)
    return out.getvalue()


def conns_pcap() -> bytes:
    """2,000 connections, each sending a header for 4 MB and 64 KB of a stored zlib block."""
    import io

    out = io.BytesIO()
    w = PcapWriter(out, LINKTYPE_ETHERNET)
    body = b"\x78\x01" + b"\x00\xff\xff\x00\x00" + bytes(65_000)  # a stored block, never finished
    stream = b"Content-Length:4000000\r\n" + body
    for n in range(2000):
        c, s = f"10.0.{n // 250}.{n % 250 + 1}:{40000 + n}", "10.1.0.1:9000"
        w.write_tcp(0.0, c, s, seq=999, flags=TCP_SYN)
        for i in range(0, len(stream), 1400):
            w.write_tcp(1.0, c, s, stream[i:i + 1400], seq=1000 + i, ack=1)
    return out.getvalue()


CASES: dict[str, tuple[Callable[[], bytes], list[str]]] = {
    "bomb1": (bomb, []),
    "bomb3": (lambda: bomb() * 3, []),
    "headers": (headers, []),
    "random": (lambda: random.Random(9).randbytes(20_000_000), ["--format", "raw"]),
    "deep": (deep, []),
    "bomb3-pcap": (lambda: pcap_of(bomb() * 3), []),
    "bomb3-base64": (lambda: base64.encodebytes(bomb() * 3), []),
    "conns-pcap": (conns_pcap, []),
    "values": (values, []),
}
EXIT = {"values": 0}  # the status each case must end with, if not 1


def run(tree: Path, path: Path, args: list[str], timeout: float, human: bool = False) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("SMSCLI_CONFIG", None)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "smscli", "packet", "decode", str(path),
                             *([] if human else ["--json"]), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tree)
    counts = {"bytes": 0, "lines": 0, "damaged": 0, "first": b""}
    err: list[bytes] = []
    mark = b"  error: " if human else b'"error": '

    def drain() -> None:
        """Count lines and damaged frames in blocks: holding a long line here would raise
        this process's peak RSS, which Linux hands on to the children started after."""
        assert proc.stdout is not None
        tail = b""
        while block := proc.stdout.read(1 << 16):
            counts["bytes"] += len(block)  # type: ignore[operator]
            counts["lines"] += block.count(b"\n")  # type: ignore[operator]
            data = tail + block
            counts["damaged"] += data.count(mark) - tail.count(mark)  # type: ignore[operator]
            if not counts["first"] and mark in data:
                at = data.index(mark)
                counts["first"] = data[at:at + 200].split(b"\n")[0]
            tail = data[-len(mark):]

    readers = [threading.Thread(target=drain, daemon=True),
               threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)]  # type: ignore[union-attr]
    for t in readers:
        t.start()
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join(5)
    return {"rc": proc.returncode, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024, "killed": proc.returncode == -9, **counts,
            "stderr": b"".join(err).decode(errors="replace").strip().splitlines()[-1:]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", choices=sorted(CASES), help="run just this case (repeatable)")
    ap.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose smscli runs (default: this one)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds before a run is stopped")
    ap.add_argument("--keep", type=Path, help="write the inputs here and keep them")
    ap.add_argument("--human", action="store_true", help="decode to text blocks, not --json")
    ap.add_argument("--build", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    opts = ap.parse_args()
    if opts.build:
        Path(opts.build[1]).write_bytes(CASES[opts.build[0]][0]())
        return 0
    names = opts.only or list(CASES)
    with tempfile.TemporaryDirectory() as tmp:
        where = opts.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        print(f"smscli from {opts.tree}; Python {sys.version.split()[0]}; load {os.getloadavg()[0]:.1f}")
        print(f"{'case':14} {'input':>9} {'rc':>3} {'wall s':>7} {'MB/s':>6} {'MB/cpu-s':>8} "
              f"{'peak RSS':>9} {'records':>8} {'damaged':>8}  first damaged reason / last stderr line")
        failed = []
        for name in names:
            build, args = CASES[name]
            path = where / f"{name}.bin"
            # Built by a child: a child's peak RSS starts at its parent's (Linux keeps the
            # high-water mark across fork and exec), so this process stays small.
            subprocess.run([sys.executable, __file__, "--build", name, str(path)], check=True)
            size = path.stat().st_size / 1e6
            r = run(opts.tree, path, args, opts.timeout, opts.human)
            mbs = size / r["wall"]  # type: ignore[operator]
            mbc = size / r["cpu"] if r["cpu"] else float("inf")  # type: ignore[operator]
            first = r["first"]
            reason = ""
            if first:
                reason = first.decode(errors="replace").strip()[:70]  # type: ignore[union-attr]
            stderr = r["stderr"][0] if r["stderr"] else ""  # type: ignore[index]
            print(f"{name:14} {size:8.1f}M {r['rc']:>3} {r['wall']:7.2f} {mbs:6.1f} {mbc:8.1f} "
                  f"{r['rss_mb']:7.0f}MB {r['lines']:>8} {r['damaged']:>8}  "
                  f"{'KILLED after timeout ' if r['killed'] else ''}{reason} | {stderr[:90]}")
            ok = r["rc"] == EXIT.get(name, 1) and r["rss_mb"] < GOAL_RSS_MB and (name not in SPEED_CASES or mbs >= GOAL_MBS)  # type: ignore[operator]
            if not ok:
                failed.append(name)
    print(f"goals: peak RSS < {GOAL_RSS_MB:.0f} MB everywhere, >= {GOAL_MBS:.0f} MB/s (wall) on "
          f"{' and '.join(SPEED_CASES)}, exit 1: " + ("met" if not failed else "NOT met by " + ", ".join(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
