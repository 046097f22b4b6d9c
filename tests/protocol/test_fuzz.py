"""Property tests: random bodies round-trip; arbitrary bytes never crash the decoder."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smscli.protocol.oneshot import (
    BodyCipher,
    Damaged,
    Frame,
    FrameDecoder,
    OneShotError,
    encode_frame,
    parse_iv,
    parse_key_material,
)
from smscli.protocol.oneshot.frames import RESYNC_LIMIT
from tests.protocol.vectors import ALL_WIRE

# Korean syllables, emoji, ASCII, and anything else outside the surrogates.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
        st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=60,
)
SCALAR = st.one_of(TEXT, st.integers(min_value=-(2**53), max_value=2**53), st.booleans(), st.none())
BODY = st.dictionaries(TEXT, st.one_of(SCALAR, st.lists(SCALAR, max_size=3)), max_size=8)
METHOD = st.sampled_from(["MsgSendReq", "ReportReq", "BindReq", "스팸Req", "X"])
CIPHER = BodyCipher(parse_key_material("0123456789abcdef"), parse_iv("fedcba9876543210"))


def feed_chunked(data: bytes, cuts: list[int]) -> list[Frame | Damaged]:
    decoder = FrameDecoder(max_frame=4096, max_decompressed=65536)
    out: list[Frame | Damaged] = []
    start = 0
    for cut in sorted({c % (len(data) + 1) for c in cuts}) + [len(data)]:
        out += decoder.feed(data[start:cut])
        start = cut
    out += decoder.close()
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(METHOD, BODY), min_size=1, max_size=5), st.lists(st.integers(0, 10**6)))
def test_random_bodies_round_trip(frames: list, cuts: list[int]) -> None:
    wire = b"".join(encode_frame(method, body) for method, body in frames)
    out = feed_chunked(wire, cuts)
    assert [(f.method, f.body) for f in out] == frames


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(METHOD, BODY), min_size=1, max_size=4), st.lists(st.integers(0, 10**6)))
def test_random_encrypted_bodies_round_trip(frames: list, cuts: list[int]) -> None:
    wire = b"".join(encode_frame(method, CIPHER.encrypt(body)) for method, body in frames)
    out = feed_chunked(wire, cuts)
    assert [(f.method, CIPHER.decrypt(f.body)) for f in out] == frames


def pieces() -> st.SearchStrategy[bytes]:
    """Byte soup biased towards things that look like frames."""
    frame_bits = st.sampled_from([b"Content-Length:", b"\r\n", b"12", b"40", b"\x78\xda", b"0"])
    real = st.integers(0, len(ALL_WIRE)).flatmap(
        lambda a: st.integers(a, min(len(ALL_WIRE), a + 400)).map(lambda b: ALL_WIRE[a:b])
    )
    return st.lists(st.one_of(st.binary(max_size=40), frame_bits, real), max_size=12).map(b"".join)


def outcome(data: bytes, cuts: list[int]) -> list[Frame | Damaged] | OneShotError:
    """What the decoder makes of ``data`` fed in pieces: items, or the codec's own error
    (any other exception escapes and fails the example)."""
    try:
        return feed_chunked(data, cuts)
    except OneShotError as exc:
        return exc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces(), st.lists(st.integers(0, 10**6), max_size=12))
def test_arbitrary_bytes_only_give_frames_or_damage(data: bytes, cuts: list[int]) -> None:
    whole = outcome(data, [])
    chunked = outcome(data, cuts)
    if isinstance(whole, OneShotError):
        # The one error a stream may end in: resyncing that would inflate again what a
        # damaged frame already inflated. It is counted at fixed stream offsets, so the
        # chunks must end in the same error.
        assert RESYNC_LIMIT in str(whole)
        assert isinstance(chunked, OneShotError) and str(chunked) == str(whole)
        return
    assert not isinstance(chunked, OneShotError), chunked
    assert chunked == whole  # chunking never changes the frames
    # Items tile the stream: each starts where the previous ended, up to the end.
    at = 0
    for item in whole:
        assert item.offset == at
        if isinstance(item, Frame):
            assert data.startswith(b"Content-Length:", at)
            at = data.index(b"\r\n", at) + 2 + item.length
        else:
            assert item.length > 0 and item.reason
            at += item.length
    assert at == len(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_raw_binary_never_raises(data: bytes) -> None:
    out = feed_chunked(data, [])
    assert all(isinstance(i, Frame | Damaged) for i in out)
    assert feed_chunked(data, list(range(len(data)))) == out
