"""Generated inputs shared by the fuzz targets: OneShot frames valid, mutated and cut."""

from __future__ import annotations

import base64
import io

from hypothesis import strategies as st

from smscli import capture as cap
from smscli.capture import TCP_ACK, TCP_FIN, TCP_SYN, PcapWriter
from smscli.protocol.oneshot.crypto import BodyCipher
from smscli.protocol.oneshot.errors import OneShotError
from smscli.protocol.oneshot.frames import encode_frame

KEY, IV = "0123456789abcdef", "fedcba9876543210"
CIPHER = BodyCipher(KEY.encode(), IV.encode())
METHODS = ["BindReq", "BindRes", "AliveReq", "AliveRes", "MsgSendReq", "MsgSendRes", "ReportReq",
           "ReportRes", "PrivateKeyReq", "PrivateKeyRes", "UnBindReq", "UnBindRes", "FileUploadReq",
           "NoSuchMethod", ""]

json_scalar = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=40)
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)
bodies = (st.none() | st.dictionaries(st.text(max_size=16), json_value, max_size=6)
          | st.text(max_size=60)
          | st.dictionaries(st.sampled_from(["UserMsgId", "PhoneNo", "Result", "BindId", "BindPwd",
                                             "Message", "MsgType", "ServerMsgId", "PrivateKey"]),
                            json_value, max_size=6))


@st.composite
def frame(draw: st.DrawFn) -> bytes:
    """One valid wire frame; its body in clear, encrypted or a string."""
    method = draw(st.sampled_from(METHODS) | st.text(max_size=12))
    body = draw(bodies)
    try:
        if isinstance(body, dict) and draw(st.booleans()):
            body = CIPHER.encrypt(body)
        return encode_frame(method, body)
    except OneShotError:  # the encoder may refuse (non-finite floats, huge ints): a plain one
        return encode_frame("AliveReq", None)


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few bytes flipped, cut, inserted, or its Content-Length changed."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "length", "dup"]))
        if not buf:
            break
        at = draw(st.integers(0, len(buf) - 1))
        if kind == "flip":
            buf[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            end = draw(st.integers(at, len(buf)))
            del buf[at:end]
        elif kind == "insert":
            buf[at:at] = draw(st.binary(max_size=16) | st.sampled_from(
                [b"Content-Length:", b"Content-Length:99999999\r\n", b"\r\n", b"Content-Length:-1\r\n",
                 b"Content-Length:0\r\n", b"\x78\x9c"]))
        elif kind == "length":
            text = bytes(buf)
            i = text.find(b"Content-Length:")
            if i >= 0:
                j = text.find(b"\r\n", i)
                j = len(text) if j < 0 else j
                n = draw(st.sampled_from(["0", "1", "-5", "18446744073709551616", "9" * 30, "", " 12",
                                          "0x10", "１２"]) | st.integers(0, 10**9).map(str))
                buf[i + 15:j] = n.encode()
        else:
            buf += buf[at:]
    return bytes(buf)


@st.composite
def stream(draw: st.DrawFn) -> bytes:
    """Several frames, then mutations, with garbage around."""
    frames = draw(st.lists(frame(), min_size=0, max_size=5))
    data = draw(st.binary(max_size=8)) + b"".join(frames) + draw(st.binary(max_size=8))
    return draw(mutated(data))


def as_hex(data: bytes, style: int) -> bytes:
    """Hex text in one of the styles the document prints (or a broken one)."""
    h = data.hex()
    if style == 0:
        return h.encode()
    if style == 1:
        return " ".join(h[i:i + 2] for i in range(0, len(h), 2)).encode()
    if style == 2:
        return "\n".join(h[i:i + 32] for i in range(0, len(h), 32)).encode()
    return (h.upper()[:-1] + "zz").encode()


def as_base64(data: bytes, style: int) -> bytes:
    b = base64.b64encode(data)
    if style == 0:
        return b
    if style == 1:
        return b"\n".join(b[i:i + 76] for i in range(0, len(b), 76))
    return b.rstrip(b"=")[:-1] + b"!"


@st.composite
def pcap(draw: st.DrawFn) -> bytes:
    """A capture carrying mutated frames both ways (out of order, retransmitted), then cut or
    with bytes flipped."""
    linktype = draw(st.sampled_from(sorted(cap.SUPPORTED_LINKTYPES - {12, 14})))
    buf = io.BytesIO()
    w = PcapWriter(buf, linktype, pcapng=draw(st.booleans()))
    c, s = ("[2001:db8::1]:50000", "[2001:db8::2]:9000") if draw(st.booleans()) else (
        "10.0.0.1:50000", "10.0.0.2:9000")
    w.write_tcp(1.0, c, s, seq=999, flags=TCP_SYN)
    w.write_tcp(1.1, s, c, seq=4999, flags=TCP_SYN | TCP_ACK)
    seqs = {c: 1000, s: 5000}
    t = 1.2
    for _ in range(draw(st.integers(0, 4))):
        src = draw(st.sampled_from([c, s]))
        dst = s if src == c else c
        payload = draw(stream())
        jump = draw(st.sampled_from([0, 0, 0, -3, 7, 2**31]))
        w.write_tcp(t, src, dst, payload, seq=(seqs[src] + jump) % 2**32)
        seqs[src] = (seqs[src] + len(payload)) % 2**32
        t = max(0.0, t + draw(st.sampled_from([0.1, -0.5, 1e8])))  # out of order, never before 1970
    if draw(st.booleans()):
        w.write_tcp(t, c, s, seq=seqs[c], flags=TCP_FIN | TCP_ACK)
    data = buf.getvalue()
    if draw(st.booleans()) and data:
        data = data[:draw(st.integers(0, len(data)))]
    return draw(mutated(data))
