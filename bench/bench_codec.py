"""OneShot codec speed, as a ratio to bare json+zlib doing the same work in the same run.

    /work/venv/bin/python bench/bench_codec.py [--seconds 1.0] [--stream-mb 100]

Encode: ``encode_frame`` of the document's MsgSendReq body vs
``zlib.compress(json.dumps(...).encode(), 9)``. Decode: ``FrameDecoder.feed`` of one
frame vs ``json.loads(zlib.decompress(...))``. Stream: a long stream of frames fed in
64 KiB chunks (MB/s and peak buffer size).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smscli.protocol.oneshot import FrameDecoder, encode_frame  # noqa: E402

VECTORS = ROOT / "tests" / "protocol" / "data" / "oneshot-wire-vectors.json"


def rate(fn: Any, seconds: float) -> float:
    """Calls per second of ``fn`` over about ``seconds`` (best of three runs)."""
    best = 0.0
    for _ in range(3):
        count = 0
        start = time.perf_counter()
        deadline = start + seconds / 3
        while True:
            for _ in range(200):
                fn()
            count += 200
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, count / (now - start))
    return best


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

    enc_bare, enc_ours = rate(bare_encode, args.seconds), rate(our_encode, args.seconds)
    dec_bare, dec_ours = rate(bare_decode, args.seconds), rate(our_decode, args.seconds)
    print(f"frame: MsgSendReq vector, {len(wire)} bytes on the wire")
    print(
        f"encode: {enc_ours:10.0f} frames/s   bare json+zlib {enc_bare:10.0f}/s   ratio {enc_ours / enc_bare:.2f}"
    )
    print(
        f"decode: {dec_ours:10.0f} frames/s   bare zlib+json {dec_bare:10.0f}/s   ratio {dec_ours / dec_bare:.2f}"
    )

    count = int(args.stream_mb * 1_000_000 / len(wire)) + 1
    stream = wire * count
    decoder = FrameDecoder()
    frames = peak = 0
    chunk = 65536
    start = time.perf_counter()
    for i in range(0, len(stream), chunk):
        frames += len(decoder.feed(stream[i : i + chunk]))
        peak = max(peak, len(decoder._buf))
    decoder.close()
    elapsed = time.perf_counter() - start
    assert frames == count, (frames, count)
    print(
        f"stream: {len(stream) / 1e6:.0f} MB, {frames} frames in {elapsed:.2f} s = "
        f"{len(stream) / elapsed / 1e6:.1f} MB/s, peak buffer {peak} bytes"
    )


if __name__ == "__main__":
    main()
