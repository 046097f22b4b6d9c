"""Frame encoding against the document's vectors; incremental decoding; damage."""

from __future__ import annotations

import zlib

import pytest

from smscli.protocol.oneshot import Damaged, Frame, FrameDecoder, OneShotError, encode_frame
from smscli.protocol.oneshot import frames as fr
from tests.protocol.vectors import ALL_WIRE, VECTORS

IDS = [v["method"] for v in VECTORS]


def decode_all(data: bytes, chunks: int | None = None, **kw: int) -> list[Frame | Damaged]:
    decoder = FrameDecoder(**kw)
    out: list[Frame | Damaged] = []
    if chunks is None:
        out += decoder.feed(data)
    else:
        for i in range(0, len(data), chunks):
            out += decoder.feed(data[i : i + chunks])
    out += decoder.close()
    return out


def raw_frame(payload: bytes) -> bytes:
    return b"Content-Length:%d\r\n" % len(payload) + payload


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_encode_is_byte_exact(vector: dict) -> None:
    obj = vector["obj"]
    assert vector["recompress_level9_matches"]
    wire = encode_frame(obj["Header"]["Method"], obj.get("Body"))
    assert wire == vector["wire"]
    assert wire[len(b"Content-Length:%d\r\n" % vector["content_length"]) :][:2] == b"\x78\xda"


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_decode_vector(vector: dict) -> None:
    (frame,) = decode_all(vector["wire"])
    obj = vector["obj"]
    assert isinstance(frame, Frame)
    assert frame.offset == 0
    assert frame.length == vector["content_length"]
    assert frame.method == vector["method"]
    assert frame.header == obj["Header"]
    assert frame.body == obj.get("Body")
    assert frame.payload.decode("utf-8") == vector["json"]


def test_all_vectors_whole_byte_by_byte_and_odd_chunks() -> None:
    whole = decode_all(ALL_WIRE)
    assert [f.method for f in whole] == IDS
    offsets = [f.offset for f in whole]
    expected = []
    at = 0
    for v in VECTORS:
        expected.append(at)
        at += len(v["wire"])
    assert offsets == expected
    assert decode_all(ALL_WIRE, chunks=1) == whole
    for size in (2, 3, 7, 15, 16, 17, 100, 4096):
        assert decode_all(ALL_WIRE, chunks=size) == whole


def test_trailing_bytes_become_one_truncated_tail() -> None:
    extra = b"Content-Length:99\r\n\x78\xda\x01"
    whole = decode_all(ALL_WIRE + extra)
    assert len(whole) == len(VECTORS) + 1
    tail = whole[-1]
    assert tail == Damaged(len(ALL_WIRE), len(extra), tail.reason)
    assert tail.reason.startswith(fr.TRUNCATED)
    assert "99" in tail.reason
    assert decode_all(ALL_WIRE + extra, chunks=1) == whole


def test_truncated_header_at_close() -> None:
    for tail in (
        b"C",
        b"Content-Len",
        b"Content-Length:",
        b"Content-Length:12",
        b"Content-Length:12\r",
    ):
        out = decode_all(VECTORS[1]["wire"] + tail)
        assert isinstance(out[0], Frame)
        assert out[1] == Damaged(len(VECTORS[1]["wire"]), len(tail), out[1].reason)
        assert out[1].reason == "truncated: incomplete frame header"


def test_feed_in_pieces_returns_frames_as_soon_as_complete() -> None:
    decoder = FrameDecoder()
    wire = VECTORS[3]["wire"]
    assert decoder.feed(wire[:-1]) == []
    (frame,) = decoder.feed(wire[-1:])
    assert frame.method == "MsgSendReq"
    assert decoder.close() == []
    with pytest.raises(OneShotError):
        decoder.feed(b"x")


def test_junk_before_between_and_after() -> None:
    a, b = VECTORS[1]["wire"], VECTORS[2]["wire"]
    data = b"hello" + a + b"\x00\xffjunk" + b + b"bye"
    out = decode_all(data)
    assert out == [
        Damaged(0, 5, fr.NO_HEADER),
        out[1],
        Damaged(5 + len(a), 6, fr.NO_HEADER),
        out[3],
        Damaged(5 + len(a) + 6 + len(b), 3, fr.NO_HEADER),
    ]
    assert [out[1].method, out[3].method] == ["AliveRes", "AliveReq"]
    assert decode_all(data, chunks=1) == out


def test_partial_prefix_in_junk_is_kept() -> None:
    a = VECTORS[1]["wire"]
    data = b"Content-Lengt" + a
    for chunks in (None, 1, 5):
        out = decode_all(data, chunks=chunks)
        assert out[0] == Damaged(0, 13, fr.NO_HEADER)
        assert out[1].method == "AliveRes"


@pytest.mark.parametrize(
    "header",
    [
        b"Content-Length:abc\r\n",
        b"Content-Length:\r\n",
        b"Content-Length:12345678901\r\n",
        b"Content-Length:-5\r\n",
    ],
)
def test_bad_header_resyncs(header: bytes) -> None:
    a = VECTORS[1]["wire"]
    out = decode_all(header + a)
    assert out[0] == Damaged(0, len(header), fr.BAD_HEADER)
    assert out[1].method == "AliveRes" and out[1].offset == len(header)
    assert decode_all(header + a, chunks=1) == out


def test_header_tolerates_blanks_around_length() -> None:
    payload = VECTORS[1]["wire"].split(b"\r\n", 1)[1]
    (frame,) = decode_all(b"Content-Length: 40 \r\n" + payload)
    assert frame.method == "AliveRes" and frame.length == 40


def test_damaged_payload_kinds() -> None:
    cases = {
        fr.ZLIB_ERROR: b"not zlib at all",
        fr.NOT_UTF8: zlib.compress(b'{"Header":{"Method":"\xff"}}'),
        fr.NOT_JSON: zlib.compress(b'{"Header":'),
        fr.NOT_OBJECT: zlib.compress(b"[1,2]"),
        fr.NO_METHOD: zlib.compress(b'{"Header":{}}'),
        fr.BAD_BODY: zlib.compress(b'{"Header":{"Method":"X"},"Body":[1]}'),
    }
    good = VECTORS[2]["wire"]
    for reason, payload in cases.items():
        bad = raw_frame(payload)
        out = decode_all(good + bad + good)
        assert isinstance(out[0], Frame) and isinstance(out[2], Frame), reason
        assert out[1] == Damaged(len(good), len(bad), out[1].reason)
        assert out[1].reason.startswith(reason), (reason, out[1].reason)
        assert decode_all(good + bad + good, chunks=1) == out


def test_missing_method_variants() -> None:
    for text in (
        b'{"Body":{}}',
        b'{"Header":"x"}',
        b'{"Header":{"Method":""}}',
        b'{"Header":{"Method":5}}',
    ):
        (item,) = decode_all(raw_frame(zlib.compress(text)))
        assert item.reason == fr.NO_METHOD


def test_zlib_trailing_and_truncated_streams() -> None:
    full = zlib.compress(b'{"Header":{"Method":"AliveReq"}}')
    (item,) = decode_all(raw_frame(full + b"xx"))
    assert item.reason.startswith(fr.ZLIB_ERROR) and "after the stream" in item.reason
    (item,) = decode_all(raw_frame(full[:-3]))
    assert item.reason.startswith(fr.ZLIB_ERROR)


def test_length_too_long_recovers_following_frames() -> None:
    a, b = VECTORS[1]["wire"], VECTORS[2]["wire"]
    liar = a.replace(b"Content-Length:40", b"Content-Length:50")
    data = liar + b + b
    out = decode_all(data)
    assert out[0] == Damaged(0, len(liar), out[0].reason)
    assert [f.method for f in out[1:]] == ["AliveReq", "AliveReq"]
    assert decode_all(data, chunks=1) == out


def test_zlib_bomb_is_refused() -> None:
    bomb = zlib.compress(b'{"Header":{"Method":"X"},"Body":"' + b"A" * 5_000_000 + b'"}', 9)
    assert len(bomb) < 10_000
    (item,) = decode_all(raw_frame(bomb), max_decompressed=1_000_000)
    assert item.reason.startswith(fr.TOO_BIG_INFLATED)
    (frame,) = decode_all(raw_frame(bomb), max_decompressed=6_000_000)
    assert frame.method == "X"


def test_oversize_frame_is_refused_without_waiting_for_it() -> None:
    decoder = FrameDecoder(max_frame=1000)
    out = decoder.feed(b"Content-Length:1001\r\n" + b"x" * 10)
    assert out == []  # a damaged stretch is reported where it ends
    out = decoder.feed(VECTORS[1]["wire"])
    assert out[0] == Damaged(0, 31, out[0].reason)
    assert out[0].reason.startswith(fr.TOO_LARGE)
    assert out[1].method == "AliveRes"
    default = FrameDecoder()
    assert default.max_frame == fr.MAX_FRAME == 4 * 1024 * 1024
    assert default.feed(b"Content-Length:4194305\r\n") == []
    (tail,) = default.close()
    assert tail.reason.startswith(fr.TOO_LARGE)


def test_memory_stays_bounded_on_junk() -> None:
    decoder = FrameDecoder()
    for _ in range(100):
        decoder.feed(b"x" * 10_000)
    assert len(decoder._buf) < 32
    (item,) = decoder.close()
    assert item == Damaged(0, 1_000_000, fr.NO_HEADER)


def test_encode_rejects_what_it_cannot_write() -> None:
    with pytest.raises(OneShotError):
        encode_frame("", None)
    with pytest.raises(OneShotError):
        encode_frame("X", {"a": object()})  # type: ignore[dict-item]
    with pytest.raises(OneShotError):
        encode_frame("X", {"a": "\ud800"})
    with pytest.raises(OneShotError):
        encode_frame("X", [1])  # type: ignore[arg-type]


def test_decode_payload_helper() -> None:
    payload = VECTORS[4]["wire"].split(b"\r\n", 1)[1]
    assert fr.decode_payload(payload)["Body"]["PhoneNo"] == "01091874302"
    with pytest.raises(OneShotError):
        fr.decode_payload(payload, max_size=10)


def test_large_stream_decodes_fast() -> None:
    """Sanity bound (the real figure is in bench/bench_codec.py)."""
    import time

    data = VECTORS[3]["wire"] * 20_000  # ~5.5 MB
    decoder = FrameDecoder()
    start = time.thread_time()  # CPU time: a busy machine does not make this fail
    count = 0
    for i in range(0, len(data), 65536):
        count += len(decoder.feed(data[i : i + 65536]))
    elapsed = time.thread_time() - start
    assert count == 20_000 and decoder.close() == []
    assert len(data) / elapsed > 5_000_000
