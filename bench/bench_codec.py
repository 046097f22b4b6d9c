"""OneShot codec speed, as a ratio to bare json+zlib doing the same work in the same run.

    /work/venv/bin/python bench/bench_codec.py [--seconds 1.0] [--stream-mb 100]

Encode: ``encode_frame`` of the document's MsgSendReq body vs
``zlib.compress(json.dumps(...).encode(), 9)``. Decode: ``FrameDecoder.feed`` of one
frame vs ``json.loads(zlib.decompress(...))``. Stream: a long stream of frames fed in
64 KiB chunks (MB/s and peak buffer size). All timings are this thread's CPU time, so
a busy machine does not distort them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smscli.protocol.oneshot import FrameDecoder, encode_frame  # noqa: E402

CLOCK = time.thread_time  # CPU time: other processes on the machine do not count
VECTORS = ROOT / "tests" / "protocol" / "data" / "oneshot-wire-vectors.json"


def compare(ours: Any, bare: Any, seconds: float, batch: int = 300) -> tuple[float, float, float]:
    """(ours/s, bare/s, median ratio): short alternating bursts timed in CPU time, so
    that a busy machine slows neither side; rates are the best burst of each."""
    ratios: list[float] = []
    best_ours = best_bare = 0.0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(ratios) < 5:
        start = CLOCK()
        for _ in range(batch):
            bare()
        middle = CLOCK()
        for _ in range(batch):
            ours()
        end = CLOCK()
        bare_rate, ours_rate = batch / (middle - start), batch / (end - middle)
        best_bare, best_ours = max(best_bare, bare_rate), max(best_ours, ours_rate)
        ratios.append(ours_rate / bare_rate)
    return best_ours, best_bare, statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--stream-mb", type=float, default=100)
    args = parser.parse_args()

    vector = next(v for v in json.loads(VECTORS.read_text()) if v["method"] == "MsgSendReq")
    obj = json.loads(vector["json"])
    body = obj["Body"]
    wire = encode_frame("MsgSendReq", body)
    payload = wire.split(b"\r\n", 1)[1]

    def bare_encode() -> bytes:
        return zlib.compress(
            json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), 9
        )

    def our_encode() -> bytes:
        return encode_frame("MsgSendReq", body)

    def bare_decode() -> Any:
        return json.loads(zlib.decompress(payload))

    decoder = FrameDecoder()

    def our_decode() -> Any:
        return decoder.feed(wire)

    enc_ours, enc_bare, enc_ratio = compare(our_encode, bare_encode, args.seconds)
    dec_ours, dec_bare, dec_ratio = compare(our_decode, bare_decode, args.seconds)
    print(f"frame: MsgSendReq vector, {len(wire)} bytes on the wire")
    print(
        f"encode: {enc_ours:8.0f} frames/s   bare json+zlib {enc_bare:8.0f}/s   ratio {enc_ratio:.2f}"
    )
    print(
        f"decode: {dec_ours:8.0f} frames/s   bare zlib+json {dec_bare:8.0f}/s   ratio {dec_ratio:.2f}"
    )

    count = int(args.stream_mb * 1_000_000 / len(wire)) + 1
    stream = wire * count
    decoder = FrameDecoder()
    frames = peak = 0
    chunk = 65536
    start = CLOCK()
    for i in range(0, len(stream), chunk):
        frames += len(decoder.feed(stream[i : i + chunk]))
        peak = max(peak, len(decoder._buf))
    decoder.close()
    elapsed = CLOCK() - start
    assert frames == count, (frames, count)
    print(
        f"stream: {len(stream) / 1e6:.0f} MB, {frames} frames in {elapsed:.2f} s = "
        f"{len(stream) / elapsed / 1e6:.1f} MB/s, peak buffer {peak} bytes"
    )


if __name__ == "__main__":
    main()
