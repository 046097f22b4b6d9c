"""The codec's bounds (issue 9): inflate cap, JSON shape, over-large and fake headers,
the resync limit, bounded output per feed. Every crafted stream decodes the same fed
whole, byte by byte, or cut anywhere."""

from __future__ import annotations

import time
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscli.protocol.oneshot import Damaged, Frame, FrameDecoder, OneShotError, encode_frame
from smscli.protocol.oneshot import frames as fr

# Small limits so that the crafted cases stay small.
LIMITS = fr.Limits(max_frame=4096, max_decompressed=8192, max_depth=8, max_values=300,
                   resync_slack=2048, inflate_step=256)


def raw_frame(payload: bytes) -> bytes:
    return b"Content-Length:%d\r\n" % len(payload) + payload


def json_frame(text: bytes) -> bytes:
    return raw_frame(zlib.compress(text, 9))


def body(inner: bytes) -> bytes:
    return b'{"Header":{"Method":"X"},"Body":{"a":' + inner + b"}}"


def decode(data: bytes, chunk: int | None = None, limits: fr.Limits = LIMITS, **kw: int) -> list:
    decoder = FrameDecoder(limits=limits, **kw)
    out: list = []
    if chunk is None:
        out += decoder.feed(data)
    else:
        for i in range(0, len(data), chunk):
            out += decoder.feed(data[i:i + chunk])
    while decoder.backlog:
        out += decoder.feed(b"")
    return out + decoder.close()


def nested_stored(levels: int, gap: int = 40) -> bytes:
    """``levels`` headers, each followed by a zlib stream whose one stored block runs to
    the same end, where a bad block header breaks all of them: resyncing inside each
    failed payload finds the next header and inflates the rest again (quadratic work
    without the resync limit)."""
    spacing = gap
    end = levels * spacing
    out = bytearray(end + 1)
    for i in range(levels):
        at = i * spacing
        head = b"Content-Length:4000\r\n"
        stored_from = at + len(head) + 2 + 5  # after the zlib header and the block header
        size = end - stored_from
        block = bytes([0, size & 0xFF, size >> 8, ~size & 0xFF, (~size >> 8) & 0xFF])
        piece = head + b"\x78\x01" + block
        out[at:at + len(piece)] = piece
    out[end] = 0xFF  # BFINAL=1, BTYPE=11: an invalid block type for every level
    return bytes(out)


GOOD = encode_frame("AliveReq", None)
BOMB = json_frame(body(b"[" + b"[]," * 20_000 + b"[]]"))  # inflates to 60 KB
DEEP = json_frame(body(b"[" * 9 + b"]" * 9))
MANY = json_frame(body(b"[" + b"0," * 400 + b"0]"))
TOO_LARGE = b"Content-Length:5000\r\n"
CRAFTED = b"".join([
    GOOD, BOMB, GOOD, DEEP, MANY, GOOD,
    TOO_LARGE * 50, GOOD,
    b"Content-Length:x\r\n" * 5, GOOD,
    b"Content-Length:60\r\n" + GOOD,  # a length that swallows the next frame
    b"junk\x00\xff" * 10, GOOD,
    nested_stored(60), GOOD,
    b"Content-Length:4000\r\n" + b"\x78\x01\x00\xff\x0f\x00\xf0" + b"Content-Length:" * 100,
])


def test_crafted_stream_reasons() -> None:
    out = decode(CRAFTED)
    reasons = [it.reason for it in out if isinstance(it, Damaged)]
    assert sum(isinstance(it, Frame) for it in out) == 8
    assert reasons[0] == "body inflates past 8 KiB"
    assert reasons[1] == "JSON nested deeper than 8"
    assert reasons[2] == "JSON holds more than 300 values and keys"
    assert reasons[3] == "frame too large: Content-Length 5000 over 4096; 50 such headers in a row"
    assert reasons[4] == "bad frame header; 5 such headers in a row"
    assert reasons[5].startswith("zlib error")  # the liar
    assert reasons[6] == fr.NO_HEADER
    assert any(r.startswith(fr.RESYNC_LIMIT) for r in reasons)
    assert reasons[-1].startswith("truncated: Content-Length 4000 but only")
    offsets = [it.offset for it in out]
    assert offsets == sorted(offsets) and offsets[0] == 0
    for a, b in zip(out, out[1:], strict=False):  # the items tile the stream
        assert a.offset + (a.length if isinstance(a, Damaged) else len(raw_frame(b"x" * a.length))) == b.offset
    assert out[-1].offset + out[-1].length == len(CRAFTED)


def test_whole_byte_by_byte_and_any_chunks_agree() -> None:
    whole = decode(CRAFTED)
    assert decode(CRAFTED, chunk=1) == whole
    for size in (2, 3, 7, 64, 255, 256, 257, 4096):
        assert decode(CRAFTED, chunk=size) == whole, size
    assert decode(CRAFTED, chunk=1, max_output=1) == whole  # a backlog changes nothing either


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(CRAFTED)), max_size=40))
def test_cut_anywhere_agrees(cuts: list[int]) -> None:
    bounds = sorted({0, len(CRAFTED), *cuts})
    decoder = FrameDecoder(limits=LIMITS)
    out: list = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        out += decoder.feed(CRAFTED[a:b])
    assert out + decoder.close() == decode(CRAFTED)


def test_a_bomb_fails_as_soon_as_it_inflates_past_the_cap() -> None:
    decoder = FrameDecoder(limits=LIMITS)
    head, payload = BOMB.split(b"\r\n", 1)
    assert decoder.feed(head + b"\r\n" + payload[:-5]) == []  # damaged before its end came
    assert decoder._junk_at == 0 and decoder._junk_reason == "body inflates past 8 KiB"
    assert decoder.held < 200  # the inflated text is gone
    out = decoder.feed(payload[-5:] + GOOD)
    assert out[0] == Damaged(0, len(BOMB), "body inflates past 8 KiB") and out[1].method == "AliveReq"


def test_a_fake_header_fails_on_its_first_bytes_and_nothing_is_held() -> None:
    decoder = FrameDecoder()  # the defaults: up to 4 MiB promised
    assert decoder.feed(b"Content-Length:4000000\r\nnot zlib" + b"x" * 1_000_000) == []
    assert decoder.held < 32
    out = decoder.feed(GOOD) + decoder.close()
    assert out[0].reason.startswith("zlib error") and out[0].length == 24 + 8 + 1_000_000
    assert out[1].method == "AliveReq"


def test_a_valid_looking_unfinished_frame_holds_at_most_max_frame() -> None:
    decoder = FrameDecoder(limits=LIMITS)
    stored = b"\x78\x01\x00\xff\xff\x00\x00"  # a stored block of 65535 bytes: never ends here
    decoder.feed(b"Content-Length:4096\r\n" + stored)
    for _ in range(100):
        decoder.feed(b"A" * 100)
    assert decoder.held <= 4096 + 32 + fr.ZLIB_STATE
    (tail,) = decoder.close()
    assert tail.reason.startswith("zlib error: incomplete")  # all 4096 came, the stream did not end


def test_over_large_headers_are_damaged_at_once_and_run_together() -> None:
    line = b"Content-Length:16777216\r\n"
    decoder = FrameDecoder()
    start = time.thread_time()
    out = []
    data = line * 200_000  # 5 MB
    for i in range(0, len(data), 65536):
        out += decoder.feed(data[i:i + 65536])
        assert decoder.held < 65536
    out += decoder.feed(GOOD) + decoder.close()
    assert time.thread_time() - start < 5
    assert out[0] == Damaged(0, len(data), "frame too large: Content-Length 16777216 over 4194304; "
                                           "200000 such headers in a row")
    assert out[1].method == "AliveReq"


def test_resync_limit_keeps_the_work_linear() -> None:
    data = nested_stored(1500)  # 60 KB
    limited = FrameDecoder(limits=LIMITS)
    out = limited.feed(data) + limited.close()
    assert limited._work.spent <= len(data) + LIMITS.resync_slack
    assert sum(it.reason.startswith(fr.RESYNC_LIMIT) for it in out) > 1000
    unlimited = FrameDecoder(limits=fr.Limits(max_frame=4096, resync_slack=1 << 40, inflate_step=256))
    unlimited.feed(data)
    assert unlimited._work.spent > 20 * limited._work.spent  # what the limit saves: ~n²


def test_max_output_stops_a_feed_and_feed_empty_goes_on() -> None:
    frames = json_frame(body(b'"' + b"A" * 5000 + b'"')) * 10  # 50 KB of text, ~0.2 KB of zlib
    decoder = FrameDecoder(max_output=12_000)
    first = decoder.feed(frames)
    assert len(first) == 3 and decoder.backlog
    rest = []
    while decoder.backlog:
        rest += decoder.feed(b"")
    assert len(rest) == 7 and decoder.close() == []
    left = FrameDecoder(max_output=12_000)
    assert len(left.feed(frames)) == 3 and len(left.close()) == 7  # close takes the backlog too


def test_shed_gives_up_the_frame_in_progress() -> None:
    decoder = FrameDecoder(limits=LIMITS)
    decoder.feed(b"Content-Length:4000\r\n\x78\x01\x00\xff\x0f\x00\xf0" + b"A" * 3000)
    assert decoder.held > 3000
    decoder.shed("over budget")
    assert decoder.held < 32
    out = decoder.feed(b"A" * 100 + GOOD) + decoder.close()
    assert out[0] == Damaged(0, 21 + 7 + 3000 + 100, "over budget") and out[1].method == "AliveReq"


def test_json_shape_error() -> None:
    shape = fr.json_shape_error
    assert shape(b'{"a":[1,2,{"b":null}]}') is None
    assert shape(b"[" * 65 + b"]" * 65) == "JSON nested deeper than 64"
    assert shape(b"[" * 64 + b"]" * 64) is None
    assert shape(b'["' + b"[" * 100 + b'"]') is None  # brackets in strings do not nest
    assert shape(b'["\\"[[[[[[[[[["]', max_depth=3) is None  # nor after an escaped quote
    assert shape(b"[" + b"[]," * 10 + b"[]]", max_values=11) == "JSON holds more than 11 values and keys"
    assert shape(b"[" + b"[]," * 10 + b"[]]", max_values=12) is None
    assert shape(b'["' + b"," * 1000 + b'"]', max_values=5) is None  # commas in strings are no values
    start = time.thread_time()  # an unterminated string full of escapes stays linear
    text = b"[" * 70 + b'"' + b'\\"' * 500_000 + b"[]" * 10
    assert shape(text) == "JSON nested deeper than 64"
    assert shape(text[70:], max_values=10) is None  # all of it one (unterminated) string
    assert time.thread_time() - start < 2


def test_resync_work_is_the_same_however_cut_and_exact() -> None:
    """Golden figures (refused frames, bytes inflated again) for nested_stored(120): the
    same for any cut of the stream; they change if the step rule or the limit's sum does."""
    data = nested_stored(120) + GOOD
    want = {(0, 256): (114, 4771), (0, 64): (116, 4746), (500, 256): (114, 5271),
            (2048, 64): (114, 6815)}
    for (slack, step), figures in want.items():
        limits = fr.Limits(max_frame=4096, max_decompressed=8192, max_depth=8, max_values=300,
                           resync_slack=slack, inflate_step=step)
        for chunk in (None, 1, 97):
            decoder = FrameDecoder(limits=limits)
            pieces = [data] if chunk is None else [data[i:i + chunk] for i in range(0, len(data), chunk)]
            out = [it for p in pieces for it in decoder.feed(p)] + decoder.close()
            refused = sum(isinstance(it, Damaged) and it.reason.startswith(fr.RESYNC_LIMIT)
                          for it in out)
            assert (refused, decoder._work.spent) == figures, (slack, step, chunk)
            assert out[-1].method == "AliveReq"


def test_values_and_keys_of_an_object_are_counted_exactly() -> None:
    text = b'{"a":1,"b":2,"c":3}'  # the object, 3 keys, 3 values
    assert fr.json_shape_error(text, max_values=7) is None
    assert fr.json_shape_error(text, max_values=6) == "JSON holds more than 6 values and keys"


def test_depth_is_exact_for_siblings_chains_and_their_mixes() -> None:
    chain = b"[" * 20 + b"]" * 20
    shapes = {  # text: its depth
        b"[" + b"[]," * 60 + chain + b"]": 21,  # many empty siblings, then a chain
        b"[" + chain + b"," + b"[]," * 70 + b"[]]": 21,
        b"[" * 70 + b"]" * 70: 70,
        b"[" + b"[[]]," * 40 + b"[]]": 3,
    }
    for text, depth in shapes.items():
        for max_depth in (depth - 1, depth, depth + 1, 64):
            want = f"JSON nested deeper than {max_depth}" if depth > max_depth else None
            assert fr.json_shape_error(text, max_depth=max_depth) == want, (text[:30], max_depth)


def test_only_brackets_count_for_the_depth_whatever_bytes_lie_between() -> None:
    # The shape is judged before the text is decoded: bytes that are not UTF-8 are no brackets.
    for filler in (b"\xff", b"\x00", b"\x80", b" "):
        assert fr.json_shape_error(b"[" + filler) is None
        text = (b"[" + filler) * 65 + b"]" * 65
        assert fr.json_shape_error(text) == "JSON nested deeper than 64", filler
        assert fr.json_shape_error((b"[" + filler) * 64 + b"]" * 64) is None


def test_a_frame_is_refused_for_its_shape_whenever_the_shape_check_refuses_it() -> None:
    """The cheap gates in frame_from_text never let through what json_shape_error refuses."""
    cases = [
        (b'{"Header":{"Method":"x","a":[1]}}', fr.Limits(max_depth=2)),  # 2 objects, 1 array
        (b'{"Header":{"Method":"x"},"a":[[[]]]}', fr.Limits(max_depth=3)),
        (b"[[[[", fr.Limits(max_values=4)),  # as long as the bound, one value more
        (b'{"Header":{"Method":"x"},"a":[1,2,3]}', fr.Limits(max_values=6)),
    ]
    for text, limits in cases:
        reason = fr.json_shape_error(text, limits.max_depth, limits.max_values)
        assert reason is not None, text
        with pytest.raises(OneShotError) as caught:
            fr.frame_from_text(0, 1, text, limits)
        assert str(caught.value) == reason, text


def test_an_inflated_text_of_exactly_the_cap_passes_however_it_arrives() -> None:
    assert fr.inflate(zlib.compress(b"x" * 100), 100) == b"x" * 100
    with pytest.raises(OneShotError, match="^body inflates past 100 bytes$"):
        fr.inflate(zlib.compress(b"x" * 101), 100)
    pad = b'{"Header":{"Method":"X"},"Body":"'
    frame = json_frame(pad + b"B" * (100 - len(pad) - 2) + b'"}')
    for chunk in (None, 1, len(frame) - 1):
        (item,) = decode(frame, chunk, fr.Limits(max_decompressed=100))
        assert isinstance(item, Frame) and len(item.payload) == 100, chunk


def test_a_small_whole_frame_that_fails_charges_the_frames_found_inside_it() -> None:
    """A payload that inflates whole but is no JSON (a stored block holding other frames):
    the frames found inside it are bytes inflated a second time."""
    inner = GOOD * 5
    data = raw_frame(zlib.compress(inner, 0))
    decoder = FrameDecoder()
    out = decoder.feed(data) + decoder.close()
    assert isinstance(out[0], Damaged) and out[0].reason.startswith(fr.NOT_UTF8)
    assert [it.method for it in out if isinstance(it, Frame)] == ["AliveReq"] * 5
    assert decoder._work.spent == 5 * len(GOOD.split(b"\r\n", 1)[1])


def test_a_zlib_stream_ending_before_its_content_length_is_never_a_frame() -> None:
    """A payload whose zlib stream ends before its Content-Length, the stream cut right
    there: no frame is taken from it; the bytes after the stream make it damaged."""
    stream = GOOD.split(b"\r\n", 1)[1]
    head = b"Content-Length:%d\r\n" % (len(stream) + 3)
    decoder = FrameDecoder()
    assert decoder.feed(head + stream) == []
    out = decoder.feed(b"abc" + GOOD) + decoder.close()
    assert out[0] == Damaged(0, len(head) + len(stream) + 3, "zlib error: 3 bytes after the stream")
    assert isinstance(out[1], Frame) and out[1].offset == len(head) + len(stream) + 3
