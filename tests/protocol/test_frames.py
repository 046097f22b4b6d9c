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


# ----------------------------------------------------------- mutation survivors (issue 16)


def test_size_text_names_exact_units_only() -> None:
    cases = {0: "0 bytes", 1: "1 bytes", 20: "20 bytes", 21: "21 bytes", 30: "30 bytes",
             31: "31 bytes", 58: "58 bytes", 1023: "1023 bytes", 1024: "1 KiB",
             1536: "1536 bytes", 3072: "3 KiB", 1 << 20: "1 MiB", 2 << 20: "2 MiB",
             1 << 29: "512 MiB", 1 << 30: "1 GiB", 3 << 30: "3 GiB"}
    assert {n: fr.size_text(n) for n in cases} == cases


@pytest.mark.parametrize(("field", "value"), [
    ("inflate_step", 0), ("inflate_step", -1), ("max_frame", 0), ("max_decompressed", 0),
    ("max_depth", 0), ("max_values", 0), ("resync_slack", -1), ("max_frame", 1.5), ("inflate_step", "16"),
])
def test_limits_refuse_what_would_stall_or_refuse_every_frame(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"Limits.{field} must be a whole number"):
        fr.Limits(**{field: value})  # type: ignore[arg-type]


def test_the_smallest_limits_still_decode_and_step_by_one_byte() -> None:
    limits = fr.Limits(inflate_step=1, resync_slack=0)
    assert decode_all(GOOD, 7, limits=limits) == decode_all(GOOD, 7)


def test_default_limits_are_the_documented_ones_and_frozen() -> None:
    limits = fr.Limits()
    assert (limits.max_frame, limits.max_decompressed, limits.inflate_step,
            limits.resync_slack) == (4 << 20, 4 << 20, 16 << 10, 1 << 20)
    with pytest.raises(AttributeError):
        limits.max_depth = 1  # type: ignore[misc]
    assert not hasattr(limits, "__dict__")  # slotted


def test_default_max_decompressed_is_4_mib_exactly() -> None:
    def frame(size: int) -> bytes:
        pad = b'{"Header":{"Method":"X"},"Body":"'
        return raw_frame(zlib.compress(pad + b"A" * (size - len(pad) - 2) + b'"}', 9))

    ok, over = decode_all(frame(4 << 20) + frame((4 << 20) + 1))
    assert isinstance(ok, Frame) and len(ok.payload) == 4 << 20
    assert isinstance(over, Damaged) and over.reason == "body inflates past 4 MiB"


def test_default_max_values_is_200000_exactly() -> None:
    assert fr.json_shape_error(b"[" + b"0," * 199_998 + b"0]") is None  # 200000 values
    assert fr.json_shape_error(b"[" + b"0," * 199_999 + b"0]") == (
        "JSON holds more than 200000 values and keys")


def test_empty_objects_count_as_one_value() -> None:
    assert fr.json_shape_error(b"[{},{}]", max_values=3) is None
    assert fr.json_shape_error(b"[{},{}]", max_values=2) is not None
    assert fr.json_shape_error(b"[[],{}]", max_values=3) is None


def _depth(obj: object) -> int:
    return 1 + max(map(_depth, obj), default=0) if isinstance(obj, list) else 0


def _full_tree(depth: int, width: int) -> list:
    return [] if depth == 1 else [_full_tree(depth - 1, width) for _ in range(width)]


@pytest.mark.parametrize("max_depth", [1, 2, 3, 4, 6, 9])
def test_depth_bound_exact_on_many_shapes(max_depth: int) -> None:
    shapes: list[object] = []
    for d in range(1, max_depth + 3):
        shapes.append(_full_tree(d, 2))  # a full binary tree: leaves at every depth
        shapes.append(_full_tree(d, 1))  # a plain deep chain
        shapes.append([[]] * 20 + [_full_tree(d, 1)])  # wide, then one deep branch
        shapes.append([_full_tree(d, 1), _full_tree(max(d - 1, 1), 3)])
    for obj in shapes:
        text = fr.encode_json(obj)
        got = fr.json_shape_error(text, max_depth=max_depth, max_values=10**9)
        want = f"JSON nested deeper than {max_depth}" if _depth(obj) > max_depth else None
        assert got == want, text


@pytest.mark.parametrize("text", [b'x{"a":1}', b'{"a":1}x', b'{"a":"\x01"}', b'{"a":'])
def test_parse_rejects_junk_around_or_inside_the_object(text: bytes) -> None:
    with pytest.raises(OneShotError, match="not JSON"):
        fr.parse_json_object(text)
    out = decode_all(raw_frame(zlib.compress(b'{"Header":{"Method":"X"},"Body":' + text + b"}")))
    assert isinstance(out[0], Damaged) and out[0].reason.startswith("not JSON")


def test_frame_with_trailing_text_is_damaged() -> None:
    (item,) = decode_all(raw_frame(zlib.compress(b'{"Header":{"Method":"X"}}x')))
    assert isinstance(item, Damaged) and item.reason.startswith("not JSON")


def test_a_disabled_gc_stays_disabled() -> None:
    import gc

    text = b'{"Header":{"Method":"X"},"Body":{"a":[' + b"[]," * 1500 + b"[]]}}"
    gc.disable()
    try:
        assert fr.frame_from_text(0, 1, text).method == "X"
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_empty_stream_inflates_to_nothing_and_trailing_bytes_are_counted() -> None:
    assert fr.inflate(zlib.compress(b"")) == b""
    with pytest.raises(OneShotError, match="^zlib error: 3 bytes after the stream$"):
        fr.inflate(zlib.compress(b"x") + b"abc")
    payload = zlib.compress(b'{"Header":{"Method":"X"}}') + b"abc"
    (item,) = decode_all(raw_frame(payload))
    assert item == Damaged(0, len(raw_frame(payload)), "zlib error: 3 bytes after the stream")


def test_encode_uses_level_9_exactly() -> None:
    body = {"t": "".join(format(i * i % 65521, "b") for i in range(3000))}  # long match chains
    obj = {"Header": {"Method": "X"}, "Body": body}
    text = fr.encode_json(obj)
    assert zlib.compress(text, 9) != zlib.compress(text, 8)  # the case tells them apart
    assert encode_frame("X", body).split(b"\r\n", 1)[1] == zlib.compress(text, 9)


def test_payload_one_byte_over_the_cap_is_damaged() -> None:
    limits = fr.Limits(max_decompressed=100)
    pad = b'{"Header":{"Method":"X"},"Body":"'
    frames = [raw_frame(zlib.compress(pad + b"B" * (n - len(pad) - 2) + b'"}')) for n in (100, 101)]
    decoder = FrameDecoder(limits=limits)
    ok, over = decoder.feed(b"".join(frames)) + decoder.close()
    assert isinstance(ok, Frame) and len(ok.payload) == 100
    assert isinstance(over, Damaged) and over.reason == "body inflates past 100 bytes"


def test_max_output_stops_exactly_at_the_budget() -> None:
    frame = encode_frame("AliveReq", None)
    size = len(fr.inflate(frame.split(b"\r\n", 1)[1]))
    decoder = FrameDecoder(max_output=size)
    assert len(decoder.feed(frame * 3)) == 1 and decoder.backlog
    decoder = FrameDecoder(max_output=size + 1)
    assert len(decoder.feed(frame * 3)) == 2 and decoder.backlog


GOOD = encode_frame("AliveReq", None)


def test_truncated_failed_frame_at_close_says_how_much_came() -> None:
    decoder = FrameDecoder()
    assert len(decoder.feed(GOOD)) == 1
    bad = b"Content-Length:100\r\n\x78\x01\x00\xff"  # a stored block cut short, then no more
    decoder.feed(bad + b"\xff\xff\xff")
    (item,) = decoder.close()
    assert item.offset == len(GOOD) and item.length == len(bad) + 3
    assert item.reason.startswith("truncated: Content-Length 100 but only 7 bytes follow; ")


def test_truncated_pending_frame_at_close_says_how_much_came() -> None:
    decoder = FrameDecoder()
    decoder.feed(GOOD + GOOD[:-3])
    assert decoder.close() == [Damaged(len(GOOD), len(GOOD) - 3, f"truncated: Content-Length "
                                       f"{len(GOOD) - 19} but only {len(GOOD) - 22} bytes follow")]


def test_bad_headers_waiting_for_a_header_end_at_close() -> None:
    decoder = FrameDecoder()
    decoder.feed(GOOD)
    decoder.feed(b"Content-Length:x\r\nContent-Length:12")
    assert decoder.close() == [
        Damaged(len(GOOD), 18, "bad frame header"),
        Damaged(len(GOOD) + 18, 17, "truncated: incomplete frame header"),
    ]


def test_runs_of_damaged_headers() -> None:
    big = b"Content-Length:999999999\r\n"
    assert decode_all(big * 2) == [
        Damaged(0, 2 * len(big), "frame too large: Content-Length 999999999 over 4194304; "
                                 "2 such headers in a row")]
    # The same reason on a differently written line still joins the run.
    spaced = b"Content-Length: 999999999\r\n"
    assert decode_all(big + spaced + GOOD)[0] == Damaged(
        0, len(big) + len(spaced), "frame too large: Content-Length 999999999 over 4194304; "
                                   "2 such headers in a row")
    bad = b"Content-Length:x\r\n"
    assert decode_all(bad * 2 + GOOD)[0] == Damaged(0, 36, "bad frame header; 2 such headers in a row")
    # A different reason ends the run.
    assert [it.reason for it in decode_all(bad + big + GOOD)[:2]] == [
        "bad frame header", "frame too large: Content-Length 999999999 over 4194304"]


def test_shed_finds_a_header_starting_in_the_kept_tail() -> None:
    decoder = FrameDecoder()
    decoder.feed(b"Content-Length:4000\r\n\x78\x01\x00\xff\x0f\x00\xf0" + b"A" * 100
                 + GOOD[:14])
    decoder.shed("over budget")
    out = decoder.feed(GOOD[14:]) + decoder.close()
    assert out[0] == Damaged(0, 21 + 7 + 100, "over budget")
    assert isinstance(out[1], Frame) and (out[1].offset, out[1].method) == (128, "AliveReq")


def test_held_counts_the_zlib_state_of_a_pending_frame() -> None:
    decoder = FrameDecoder()
    decoder.feed(GOOD[:22])  # the header and two bytes of payload: nothing inflated yet
    assert decoder.held == 22 + 40 * 1024


def test_unbalanced_brackets_are_left_to_the_parser() -> None:
    # "[[][" never opens more than two levels: not too deep; the parser says why it is no JSON.
    assert fr.json_shape_error(b"[[][", max_depth=2) is None
    with pytest.raises(OneShotError, match="^not JSON"):
        fr.parse_json_object(b"[[][", max_depth=2)


def stored_around(inner: bytes) -> bytes:
    """A frame whose payload is one stored zlib block holding ``inner``, then a bad block
    header: it fails, and resyncing inside it finds the frames ``inner`` holds."""
    size = len(inner)
    payload = (b"\x78\x01" + bytes([0, size & 0xFF, size >> 8, ~size & 0xFF, (~size >> 8) & 0xFF])
               + inner + b"\xff")
    return raw_frame(payload)


def test_frames_found_inside_a_failed_one_are_charged_by_the_step_rule() -> None:
    limits = fr.Limits(inflate_step=1 << 20)
    inner = GOOD * 12
    data = stored_around(inner)
    head = data.index(b"\r\n") + 2
    fail = 7 + len(inner)  # payload index of the bad block header
    step = 1
    done = 0
    while done + step <= fail:  # steps of 1, 2, 4 ... bytes from the payload start
        done, step = done + step, step * 2
    tried_to = head + done  # counted as inflated: up to the start of the failing step
    want = 0
    for i in range(12):
        at = head + 7 + i * len(GOOD) + (len(GOOD) - len(GOOD.split(b"\r\n", 1)[1]))
        want += max(min(at + len(GOOD.split(b"\r\n", 1)[1]), tried_to) - at, 0)
    assert want > 0
    for chunk in (None, 1, 7):
        decoder = FrameDecoder(limits=limits)
        if chunk is None:
            out = decoder.feed(data)
        else:
            out = [it for i in range(0, len(data), chunk) for it in decoder.feed(data[i:i + chunk])]
        out += decoder.close()
        assert [it.method for it in out if isinstance(it, Frame)] == ["AliveReq"] * 12
        assert decoder._work.spent == want



def test_offsets_of_frames_inflated_as_they_arrive() -> None:
    big = encode_frame("X", {"t": "".join(format(i * i % 65521, "b") for i in range(3000))})
    assert len(big) > 4096  # with inflate_step 4096: not inflated in one go
    for chunk in (None, 1000):
        out = decode_all(GOOD + big + GOOD + big, chunk, limits=fr.Limits(inflate_step=4096))
        assert [it.offset for it in out] == [0, len(GOOD), len(GOOD) + len(big),
                                            2 * len(GOOD) + len(big)]


def test_junk_is_returned_before_a_header_completes() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"junk" + GOOD[:16]) == [Damaged(0, 4, "no frame header")]
    assert [it.method for it in decoder.feed(GOOD[16:])] == ["AliveReq"]


def test_no_backlog_when_the_budget_is_met_by_all_there_is() -> None:
    size = len(fr.inflate(GOOD.split(b"\r\n", 1)[1]))
    decoder = FrameDecoder(max_output=size)
    assert len(decoder.feed(GOOD)) == 1 and not decoder.backlog


def test_a_disabled_gc_stays_disabled_for_small_frames_too() -> None:
    import gc

    gc.disable()
    try:
        assert fr.frame_from_text(0, 1, b'{"Header":{"Method":"X"}}').method == "X"
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_frame_text_with_junk_before_the_object_is_damaged() -> None:
    with pytest.raises(OneShotError, match="^not JSON"):
        fr.frame_from_text(0, 1, b'x{"Header":{"Method":"X"}}')


def test_decoded_items_are_slotted() -> None:
    (frame, damaged) = decode_all(GOOD + b"x")
    assert not hasattr(frame, "__dict__") and not hasattr(damaged, "__dict__")


def test_frames_inside_a_stream_that_ended_early_are_charged() -> None:
    inner = GOOD * 5
    size = len(inner)
    stream = (b"\x78\x01" + bytes([1, size & 0xFF, size >> 8, ~size & 0xFF, (~size >> 8) & 0xFF])
              + inner + zlib.adler32(inner).to_bytes(4, "big"))
    assert fr.inflate(stream) == inner
    decoder = FrameDecoder(limits=fr.Limits(inflate_step=1 << 20))
    out = decoder.feed(raw_frame(stream + b"!")) + decoder.close()
    assert out[0].reason == "zlib error: 1 bytes after the stream"
    assert [it.method for it in out if isinstance(it, Frame)] == ["AliveReq"] * 5
    assert decoder._work.spent == 5 * len(GOOD.split(b"\r\n", 1)[1])  # all inflated before


@pytest.mark.parametrize("size", range(1, 40))
def test_stored_streams_inflate_whole_whatever_the_step_grid(size: int) -> None:
    text = bytes(range(65, 65 + size))
    assert fr.inflate(zlib.compress(text, 0)) == text  # output comes in one part per step


def test_an_enabled_gc_stays_enabled_after_small_and_large_frames() -> None:
    import gc

    assert gc.isenabled()
    for text in (b'{"Header":{"Method":"X"}}',
                 b'{"Header":{"Method":"X"},"Body":{"a":[' + b"[]," * 1500 + b"[]]}}"):
        assert fr.frame_from_text(0, 1, text).method == "X"
        assert gc.isenabled()


def test_decoded_items_are_immutable_and_a_damaged_one_hashable() -> None:
    import dataclasses

    (frame, damaged) = decode_all(GOOD + b"x")
    for item, field in ((frame, "method"), (damaged, "reason")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(item, field, "other")
    assert {damaged, Damaged(damaged.offset, damaged.length, damaged.reason)} == {damaged}


def test_a_new_decoder_has_no_backlog_and_its_offset_counts_what_it_consumed() -> None:
    decoder = FrameDecoder()
    assert not decoder.backlog and decoder.offset == 0
    decoder.feed(GOOD + GOOD[:10])
    assert decoder.offset == len(GOOD) and decoder.held == 10


def test_junk_holds_only_what_may_start_a_header() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"x" * 1000) == []
    assert decoder.held == len(fr.PREFIX) - 1 == 14
    decoder.feed(GOOD[:13])  # "Content-Lengt": may go on as a header
    assert decoder.held == 14
    out = decoder.feed(GOOD[13:]) + decoder.close()
    assert out[0] == Damaged(0, 1000, "no frame header") and out[1].method == "AliveReq"


def test_held_counts_the_inflated_text_of_a_pending_frame() -> None:
    text = fr.encode_json({"Header": {"Method": "X"}, "Body": {"t": "A" * 50_000}})
    payload = zlib.compress(text, 9)
    part = raw_frame(payload)[:-8]  # all but the last bytes: still pending
    decoder = FrameDecoder()
    assert decoder.feed(part) == []
    inflated = len(zlib.decompressobj().decompress(part[part.index(b"\n") + 1:]))
    assert inflated > 40_000
    assert decoder.held == len(part) + inflated + fr.ZLIB_STATE


def test_truncated_failed_frame_after_many_bytes_says_how_much_came() -> None:
    # Its Content-Length is smaller than the stream offset where it starts.
    decoder = FrameDecoder()
    assert len(decoder.feed(GOOD * 5)) == 5
    bad = b"Content-Length:100\r\n\x78\x01\x00\xff"
    decoder.feed(bad + b"\xff\xff\xff")
    (item,) = decoder.close()
    assert item.offset == 5 * len(GOOD) and item.length == len(bad) + 3
    assert item.reason.startswith("truncated: Content-Length 100 but only 7 bytes follow; ")


def test_the_collector_is_paused_only_for_frames_past_many_containers() -> None:
    """Pausing the cyclic GC is a process-wide side effect: only a frame of more than
    MANY_CONTAINERS arrays and objects gets it; an ordinary one leaves it running."""
    import gc

    runs: list[str] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            runs.append(phase)

    def collections_while_parsing(containers: int) -> int:
        text = b'{"Header":{"Method":"X"},"Body":{"a":[' + b"[]," * (containers - 5) + b"[]]}}"
        assert text.count(b"[") + text.count(b"{") == containers
        runs.clear()
        assert fr.frame_from_text(0, 1, text).method == "X"
        return len(runs)

    old = gc.get_threshold()
    gc.collect()
    gc.callbacks.append(count)
    gc.set_threshold(1)  # a young collection at about every container made
    try:
        many = fr.MANY_CONTAINERS
        for containers in (20, many // 2, many):
            assert collections_while_parsing(containers) > containers // 4, containers
        assert collections_while_parsing(many + 1) < 20
    finally:
        gc.set_threshold(*old)
        gc.callbacks.remove(count)
    assert gc.isenabled()
