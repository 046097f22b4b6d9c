"""Input formats of ``packet decode``: detection, hex/base64 text, the wire decoder."""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscli.capture import PCAP_MAGICS, PCAPNG_MAGIC
from smscli.errors import UsageError
from smscli.packet_input import (
    Base64Text,
    HexText,
    KeyMaterial,
    WireDecoder,
    decode_records,
    sniff,
)
from smscli.protocol.oneshot import Damaged, Frame, encode_frame
from tests.conftest import ROOT

VECTORS = json.loads((ROOT / "tests" / "protocol" / "data" / "oneshot-wire-vectors.json").read_text(encoding="utf-8"))
WIRE = b"".join(encode_frame(json.loads(v["json"])["Header"]["Method"], json.loads(v["json"]).get("Body"))
                for v in VECTORS)
METHODS = [v["method"] for v in VECTORS]


def doc_hex(wire: bytes, width: int = 66, marker: str = "[CR][LF]") -> bytes:
    """Wire bytes printed the document's way."""
    out, pos = [], 0
    while pos < len(wire):
        end = wire.index(b"\r\n", pos)
        n = int(wire[pos + 15:end])
        payload = wire[end + 2:end + 2 + n].hex().upper()
        out.append(f"Content-Length:{n}{marker}\n")
        out += [payload[i:i + width] + "\n" for i in range(0, len(payload), width)]
        out.append("\n")
        pos = end + 2 + n
    return "".join(out).encode()


def decode_all(data: bytes, fmt: str = "auto", chunk: int = 1 << 20, **kw) -> list[dict]:
    return list(decode_records([data[i:i + chunk] for i in range(0, len(data), chunk)], fmt, **kw))


# --------------------------------------------------------------------------- sniff
@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (WIRE, "raw"),
        (WIRE[30:], "raw"),  # a dump that starts inside a frame
        (zlib.compress(b'{"Header":{"Method":"AliveReq"}}', 9), "raw"),
        (doc_hex(WIRE), "hex"),
        (b"78DAAB56 F2484D4C\n", "hex"),
        (b"\xef\xbb\xbfContent-Length:40[CR][LF]\r\n78da", "hex"),
        (base64.b64encode(WIRE), "base64"),
        (base64.encodebytes(WIRE), "base64"),
        (base64.b64encode(zlib.compress(b"{}", 9)), "base64"),
        (PCAP_MAGICS[0] + b"\0" * 20, "pcap"),
        (PCAPNG_MAGIC + b"\0" * 20, "pcap"),
    ],
)
def test_sniff(head: bytes, fmt: str) -> None:
    assert sniff(head) == fmt


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (b"", "the input is empty"),
        (b" \n\t\n", "the input is empty"),
        (b"hello world, this is text", "cannot tell the input format: the text is neither hex nor base64"),
        (b"\x00\x01\x02\xff binary", "cannot tell the input format: it is binary"),
    ],
)
def test_sniff_refuses(head: bytes, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        sniff(head)


# --------------------------------------------------------------------------- hex
def test_document_hex_becomes_the_wire_bytes() -> None:
    assert HexText().feed(doc_hex(WIRE), final=True) == WIRE


@pytest.mark.parametrize("marker", ["[CR][LF]", "\r", "", " [cr] [lf] ", "\t"])
def test_hex_variants(marker: str) -> None:
    text = doc_hex(WIRE, width=17, marker=marker).replace(b"\n", b"\r\n")
    assert HexText().feed(text.lower(), final=True) == WIRE


def test_hex_split_anywhere_gives_the_same_bytes() -> None:
    text = doc_hex(WIRE, width=33)
    for size in (1, 2, 3, 7, 64, 65, 1000):
        dec = HexText()
        out = b"".join(dec.feed(text[i:i + size]) for i in range(0, len(text), size))
        assert out + dec.feed(b"", final=True) == WIRE, size


def test_hex_spaces_inside_the_header_and_between_bytes() -> None:
    text = b"Content-Length : 40\n" + b" ".join(
        VECTORS[1]["compressed_hex"][i:i + 2].encode() for i in range(0, 80, 2))
    assert HexText().feed(text, final=True) == encode_frame("AliveRes", None)


def test_hex_bad_character_names_its_line() -> None:
    text = doc_hex(WIRE[:155]) + "78DA\n압축된 Json\n".encode()
    with pytest.raises(UsageError, match=r"hex input, line 9: unexpected '압축된 Json'"):
        HexText().feed(text, final=True)


def test_hex_odd_digit_count_is_noted() -> None:
    notes: list[str] = []
    out = HexText(notes.append).feed(b"Content-Length:1\nABC\nContent-Length:1\n00", final=True)
    assert out == b"Content-Length:1\r\n\xab" + b"Content-Length:1\r\n\x00"
    assert notes == ["hex input: an odd number of hex digits before line 3; the last digit is ignored"]


# --------------------------------------------------------------------------- base64
def test_base64_wrapped_or_one_block_per_line() -> None:
    frames = [encode_frame(m, None) for m in ("AliveReq", "AliveRes", "X")]
    per_line = b"".join(base64.b64encode(f) + b"\n" for f in frames)
    wrapped = base64.encodebytes(b"".join(frames))
    for text in (per_line, wrapped):
        for size in (1, 5, 1000):
            dec = Base64Text()
            out = b"".join(dec.feed(text[i:i + size]) for i in range(0, len(text), size))
            assert out + dec.feed(b"", final=True) == b"".join(frames), size


def test_base64_bad_character() -> None:
    with pytest.raises(UsageError, match=r"base64 input, line 2: unexpected b'\*'"):
        Base64Text().feed(b"QUJD\nQU*D\n")


# --------------------------------------------------------------------------- wire decoder
def items(dec: WireDecoder, data: bytes, size: int) -> list:
    out = []
    for i in range(0, len(data), size):
        out += dec.feed(data[i:i + size])
    return out + dec.close()


def test_framed_stream_offsets() -> None:
    got = items(WireDecoder(), WIRE, 100)
    assert [f.method for f in got] == METHODS
    assert got[1].offset == 135 + len(b"Content-Length:135\r\n")


def test_bare_payloads_are_split_by_zlib() -> None:
    payloads = [bytes.fromhex(v["compressed_hex"]) for v in VECTORS]
    data = b"".join(payloads)
    for size in (1, 13, 1 << 20):
        got = items(WireDecoder(), data, size)
        assert [f.method for f in got] == METHODS, size
        assert [(f.offset, f.length) for f in got][:2] == [(0, 135), (135, 40)]


def test_bare_payloads_then_framed() -> None:
    bare = bytes.fromhex(VECTORS[1]["compressed_hex"])
    framed = encode_frame("AliveReq", None)
    got = items(WireDecoder(), bare + framed, 7)
    assert [(type(f).__name__, f.offset) for f in got] == [("Frame", 0), ("Frame", 40)]


def test_bare_garbage_resyncs_at_the_next_payload() -> None:
    good = bytes.fromhex(VECTORS[1]["compressed_hex"])
    got = items(WireDecoder(), good + b"\x78\x9c\xff\xff junk" + good, 1 << 20)
    assert [type(f).__name__ for f in got] == ["Frame", "Damaged", "Frame"]
    assert got[1].reason.startswith("not a zlib stream")
    got = items(WireDecoder(), good + good[:20], 1 << 20)
    assert got[1].reason == "truncated: the payload ends before its zlib stream does"


def test_gap_reports_the_cut_frame_and_resyncs() -> None:
    a, b = encode_frame("AliveReq", None), encode_frame("AliveRes", None)
    dec = WireDecoder()
    out = dec.feed(a[:30]) + dec.gap(len(a) - 30) + dec.feed(b) + dec.close()
    assert [type(x) for x in out] == [Damaged, Frame]
    assert out[0].offset == 0 and out[0].reason.startswith("truncated")
    assert out[1].offset == len(a) and out[1].method == "AliveRes"


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(WIRE)), max_size=8),
       fmt=st.sampled_from(["raw", "hex", "base64"]))
def test_any_chunking_gives_the_same_records(cuts: list[int], fmt: str) -> None:
    data = {"raw": WIRE, "hex": doc_hex(WIRE), "base64": base64.encodebytes(WIRE)}[fmt]
    bounds = sorted({0, len(data), *(c * len(data) // len(WIRE) for c in cuts)})
    chunks = [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    got = list(decode_records(chunks, "auto"))
    assert [r["method"] for r in got] == METHODS
    assert not any("error" in r for r in got)


# --------------------------------------------------------------------------- records
KEY, IV = b"0123456789abcdef", b"fedcba9876543210"


def test_string_bodies_without_a_key_carry_a_note() -> None:
    rec = decode_all(WIRE)[0]
    assert rec["method"] == "BindReq" and rec["encrypted"] is True
    assert isinstance(rec["body"], str) and "pass --key and --iv" in rec["note"]


def test_session_key_from_private_key_res_is_used_for_later_bodies() -> None:
    from smscli.protocol.oneshot import BodyCipher

    session_key = b"S" * 16
    configured, session = BodyCipher(KEY, IV), BodyCipher(session_key, IV)
    wire = (encode_frame("PrivateKeyReq", None)
            + encode_frame("PrivateKeyRes", configured.encrypt({"Result": 0, "PrivateKey": "S" * 16}))
            + encode_frame("BindReq", session.encrypt({"BindId": "a", "BindPwd": "pw", "Version": 1}))
            + encode_frame("MsgSendRes", session.encrypt({"Result": 0})))
    recs = decode_all(wire, keys=KeyMaterial(KEY, IV, "test"))
    assert [r.get("error") for r in recs] == [None] * 4
    assert recs[1]["body"] == {"Result": 0, "PrivateKey": "********"}
    assert recs[2]["body"] == {"BindId": "a", "BindPwd": "********", "Version": 1}
    assert recs[3]["body"] == {"Result": 0}
    shown = decode_all(wire, keys=KeyMaterial(KEY, IV, "test"), show_secrets=True)
    assert shown[1]["body"]["PrivateKey"] == "S" * 16 and shown[2]["body"]["BindPwd"] == "pw"
