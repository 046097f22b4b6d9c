"""pcap/pcapng reading, link/IP/TCP parsing and TCP reassembly (smscli.capture)."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest

from smscli import capture as cap
from smscli.capture import (
    TCP_ACK,
    TCP_FIN,
    TCP_RST,
    TCP_SYN,
    CaptureError,
    CaptureReader,
    Data,
    End,
    Gap,
    PcapWriter,
    Reassembler,
    parse_tcp,
)

DATA = Path(__file__).parent / "data"
SAMPLES = Path(__file__).parent.parent / "samples"
C, S = "10.0.0.1:50000", "10.0.0.2:9000"


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def packets(data: bytes, size: int = 1 << 20) -> tuple[list[cap.RawPacket], list[str]]:
    reader = CaptureReader(chunked(data, size))
    return list(reader), reader.notes


def streams(data: bytes, **kw) -> tuple[dict[str, bytes], list[cap.Event]]:
    """Reassemble a capture: bytes per 'connection direction', and every event."""
    ras = Reassembler(**kw)
    events: list[cap.Event] = []
    for pkt in CaptureReader([data]):
        seg = parse_tcp(pkt.linktype, pkt.data)
        if seg is not None:
            events += ras.add(seg)
    events += ras.finish()
    out: dict[str, bytes] = {}
    for ev in events:
        if isinstance(ev, Data):
            key = f"{ev.stream.conn.number} {ev.stream.direction}"
            out[key] = out.get(key, b"") + ev.data
    return out, events


def session(linktype: int = cap.LINKTYPE_ETHERNET, *, pcapng: bool = False, v6: bool = False) -> bytes:
    """SYN, data both ways, one out-of-order pair and one retransmission, FIN."""
    c, s = ("[2001:db8::1]:50000", "[2001:db8::2]:9000") if v6 else (C, S)
    buf = io.BytesIO()
    w = PcapWriter(buf, linktype, pcapng=pcapng)
    w.write_tcp(1.0, c, s, seq=999, flags=TCP_SYN)
    w.write_tcp(1.1, s, c, seq=4999, flags=TCP_SYN | TCP_ACK)
    w.write_tcp(1.2, c, s, b"hello ", seq=1000)
    w.write_tcp(1.3, c, s, b"again", seq=1011)  # ahead of "world"
    w.write_tcp(1.4, s, c, b"reply", seq=5000)
    w.write_tcp(1.5, c, s, b"world", seq=1006)  # fills the hole
    w.write_tcp(1.6, c, s, b"world", seq=1006)  # retransmission
    w.write_tcp(1.7, c, s, seq=1016, flags=TCP_FIN | TCP_ACK)
    w.write_tcp(1.8, s, c, seq=5005, flags=TCP_FIN | TCP_ACK)
    return buf.getvalue()


EXPECTED = {"1 client→server": b"hello worldagain", "1 server→client": b"reply"}


@pytest.mark.parametrize("pcapng", [False, True])
@pytest.mark.parametrize("linktype", sorted(cap.SUPPORTED_LINKTYPES - {12, 14}))
def test_every_link_type_and_both_file_formats(linktype: int, pcapng: bool) -> None:
    v6 = linktype == cap.LINKTYPE_IPV6
    out, events = streams(session(linktype, pcapng=pcapng, v6=v6))
    assert out == EXPECTED
    assert sum(isinstance(e, End) for e in events) == 2


def test_ipv6_over_ethernet() -> None:
    out, _ = streams(session(v6=True))
    assert out == EXPECTED


def test_reading_in_tiny_chunks_gives_the_same_packets() -> None:
    data = session(pcapng=True)
    whole, _ = packets(data)
    bytewise, _ = packets(data, 1)
    assert [(p.ts, p.data) for p in whole] == [(p.ts, p.data) for p in bytewise]
    assert [round(p.ts, 6) for p in whole][:2] == [1.0, 1.1]


def test_big_endian_and_nanosecond_pcap() -> None:
    little = session(cap.LINKTYPE_RAW)
    # Rewrite the little-endian microsecond file as big-endian nanosecond.
    hdr = struct.unpack("<IHHiIII", little[:24])
    out = [struct.pack(">IHHiIII", 0xA1B23C4D, *hdr[1:])]
    pos = 24
    while pos < len(little):
        sec, usec, incl, orig = struct.unpack_from("<IIII", little, pos)
        out.append(struct.pack(">IIII", sec, usec * 1000, incl, orig) + little[pos + 16:pos + 16 + incl])
        pos += 16 + incl
    big = b"".join(out)
    pkts, notes = packets(big)
    assert notes == []
    assert [round(p.ts, 6) for p in pkts] == [round(p.ts, 6) for p in packets(little)[0]]
    assert streams(big)[0] == EXPECTED


def test_big_endian_pcapng_with_two_sections_and_simple_packets() -> None:
    def block(code: int, body: bytes) -> bytes:
        total = len(body) + 12
        return struct.pack(">II", code, total) + body + struct.pack(">I", total)

    ip = cap.tcp_ip_packet(bytes([10, 0, 0, 1]), 50000, bytes([10, 0, 0, 2]), 9000, b"abc", 1, 0, TCP_ACK)
    pad = b"\0" * (-len(ip) % 4)
    shb = block(0x0A0D0D0A, struct.pack(">IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = block(1, struct.pack(">HHI", cap.LINKTYPE_RAW, 0, 0)
                + struct.pack(">HH", 9, 1) + b"\x83\0\0\0" + struct.pack(">HH", 0, 0))  # 2^-3 s units
    epb = block(6, struct.pack(">IIIII", 0, 0, 16, len(ip), len(ip)) + ip + pad)
    spb = block(3, struct.pack(">I", len(ip)) + ip + pad)
    unknown = block(0x0BAD, b"\0" * 8)
    data = shb + idb + epb + unknown + shb + idb + spb
    pkts, notes = packets(data, 5)
    assert notes == []
    assert [p.data for p in pkts] == [ip, ip]
    assert pkts[0].ts == 2.0  # 16 units of 1/8 s


def test_real_tcpdump_captures() -> None:
    """Captures written by tcpdump/editcap, not by our writer: Ethernet pcap, SLL2 pcapng."""
    for path in (SAMPLES / "oneshot-session.pcap", DATA / "oneshot-session-sll2.pcapng"):
        out, events = streams(path.read_bytes())
        assert set(out) == {"1 client→server", "1 server→client"}, path
        assert out["1 client→server"].startswith(b"Content-Length:135\r\n")
        assert out["1 server→client"].startswith(b"Content-Length:166\r\n")
        assert events[0].stream.conn.client == "127.0.0.1:39770"
        assert events[0].stream.conn.server == "127.0.0.1:19000"


def test_truncated_file_yields_the_packets_before_it_and_says_why_it_ended() -> None:
    reader = CaptureReader([session()[:-7]])
    assert len(list(reader)) == 8 and reader.notes == []
    assert reader.truncated == "the capture file ends in the middle of a packet (file truncated?)"
    reader = CaptureReader(chunked(session(pcapng=True)[:-3], 5))
    list(reader)
    assert reader.truncated == "the capture file ends in the middle of a block (file truncated?)"
    whole = CaptureReader([session()])
    assert len(list(whole)) == 9 and whole.truncated is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xd4\xc3\xb2\xa1\x02\x00", "pcap file header is cut short"),
        (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) + struct.pack("<IIII", 0, 0, 1 << 30, 0),
         "pcap record at byte 24 claims 1073741824 bytes: the file is corrupt"),
        (b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x00\x00\x00\x00", "bad byte-order magic"),
        (b"\x0a\x0d\x0d\x0a\x0d\x00\x00\x00\x4d\x3c\x2b\x1a", "pcapng block at byte 0 has a bad length (13)"),
        (b"GET / HTTP/1.1\r\n", "not a pcap or pcapng file"),
    ],
)
def test_corrupt_files_raise(data: bytes, message: str) -> None:
    with pytest.raises(CaptureError, match=message.replace("(", r"\(").replace(")", r"\)")):
        packets(data)


def test_unknown_link_type_is_noted_and_skipped() -> None:
    data = bytearray(session())
    data[20:24] = struct.pack("<I", 105)  # IEEE 802.11
    pkts, notes = packets(bytes(data))
    assert notes == ["the capture has link type 105, which smscli cannot read; its packets are skipped"]
    assert all(parse_tcp(p.linktype, p.data) is None for p in pkts)


def test_vlan_tags_and_ethernet_padding() -> None:
    ip = cap.tcp_ip_packet(bytes([10, 0, 0, 1]), 1, bytes([10, 0, 0, 2]), 2, b"x", 7, 0, TCP_ACK)
    frame = b"\0" * 12 + b"\x88\xa8\0\x01" + b"\x81\x00\0\x02" + b"\x08\x00" + ip + b"\0" * 6
    seg = parse_tcp(cap.LINKTYPE_ETHERNET, frame)
    assert seg is not None and seg.payload == b"x" and seg.seq == 7
    assert parse_tcp(cap.LINKTYPE_ETHERNET, b"\0" * 12 + b"\x08\x06" + b"\0" * 28) is None  # ARP


def test_ipv6_extension_headers_and_fragments() -> None:
    src, dst = bytes(15) + b"\1", bytes(15) + b"\2"
    v6 = cap.tcp_ip_packet(src, 1, dst, 2, b"data", 1, 0, TCP_ACK)
    tcp = v6[40:]
    hop = bytes([6, 0]) + b"\0" * 6  # hop-by-hop options, next header TCP
    with_ext = v6[:4] + struct.pack(">HBB", len(tcp) + 8, 0, 64) + v6[8:40] + hop + tcp
    seg = parse_tcp(cap.LINKTYPE_RAW, with_ext)
    assert seg is not None and seg.payload == b"data"
    frag = v6[:4] + struct.pack(">HBB", len(tcp) + 8, 44, 64) + v6[8:40] + bytes([6, 0, 0, 1]) + b"\0" * 4 + tcp
    with pytest.raises(cap.Fragment):
        parse_tcp(cap.LINKTYPE_RAW, frag)
    v4 = bytearray(cap.tcp_ip_packet(bytes([1, 1, 1, 1]), 1, bytes([2, 2, 2, 2]), 2, b"d", 1, 0, TCP_ACK))
    v4[6] = 0x20  # more fragments
    with pytest.raises(cap.Fragment):
        parse_tcp(cap.LINKTYPE_RAW, bytes(v4))


def _seg(src: str, dst: str, seq: int, payload: bytes = b"", flags: int = TCP_ACK) -> cap.TcpSegment:
    (sa, sp), (da, dp) = cap.parse_endpoint(src), cap.parse_endpoint(dst)
    return cap.TcpSegment(sa, da, sp, dp, seq % (1 << 32), flags, payload)


def _collect(ras: Reassembler, segs: list[cap.TcpSegment]) -> list[cap.Event]:
    events: list[cap.Event] = []
    for s in segs:
        events += ras.add(s)
    return events + ras.finish()


def test_sequence_numbers_wrap_around() -> None:
    top = (1 << 32) - 3
    events = _collect(Reassembler(), [
        _seg(C, S, top - 1, flags=TCP_SYN),
        _seg(C, S, top + 3, b"def"),  # wrapped: seq 0
        _seg(C, S, top, b"abc"),
    ])
    data = [(e.offset, e.data) for e in events if isinstance(e, Data)]
    assert data == [(0, b"abc"), (3, b"def")]


def test_overlapping_retransmission_delivers_only_new_bytes() -> None:
    events = _collect(Reassembler(), [
        _seg(C, S, 100, b"abcd"),
        _seg(C, S, 102, b"cdef"),
        _seg(C, S, 100, b"ab"),
    ])
    assert b"".join(e.data for e in events if isinstance(e, Data)) == b"abcdef"
    stream = events[0].stream
    assert stream.retransmitted == 1


def test_a_hole_never_filled_becomes_a_gap() -> None:
    events = _collect(Reassembler(), [
        _seg(C, S, 10, flags=TCP_SYN),
        _seg(C, S, 11, b"aaaa"),
        _seg(C, S, 25, b"bbbb"),
    ])
    kinds = [(type(e).__name__, getattr(e, "offset", None)) for e in events]
    assert kinds == [("Data", 0), ("Gap", 4), ("Data", 14), ("End", None), ("End", None)]
    gap = next(e for e in events if isinstance(e, Gap))
    assert gap.size == 10


def test_too_much_waiting_behind_a_hole_skips_it() -> None:
    ras = Reassembler(max_pending=10)
    events = _collect(ras, [
        _seg(C, S, 0, b"a"),
        _seg(C, S, 5, b"123456"),
        _seg(C, S, 11, b"789012"),  # 12 bytes wait: skip the hole at 1..5
    ])
    assert [type(e).__name__ for e in events][:4] == ["Data", "Gap", "Data", "Data"]


def test_direction_from_syn_ack_then_ports() -> None:
    ras = Reassembler()
    ras.add(_seg(S, C, 0, flags=TCP_SYN | TCP_ACK))  # the server answers first in the capture
    conn = ras.add(_seg(C, S, 1, b"x"))[0].stream.conn
    assert (conn.client, conn.server) == (C, S)
    # Without a SYN: --port names the server, else the lower port is the server.
    for ports, client in (((), "10.0.0.1:50001"), ((50001,), "10.0.0.2:40000")):
        ras = Reassembler(server_ports=ports)
        ev = ras.add(_seg("10.0.0.1:50001", "10.0.0.2:40000", 7, b"x"))[0]
        assert ev.stream.conn.client == client
        assert ev.stream.direction == ("client→server" if client == "10.0.0.1:50001" else "server→client")


def test_rst_ends_both_directions_and_a_new_syn_opens_a_new_connection() -> None:
    ras = Reassembler()
    first = ras.add(_seg(C, S, 0, b"one"))[0].stream.conn
    ended = ras.add(_seg(S, C, 0, flags=TCP_RST))
    assert [type(e).__name__ for e in ended] == ["End", "End"]
    again = ras.add(_seg(C, S, 500, flags=TCP_SYN))
    assert again == []
    second = ras.add(_seg(C, S, 501, b"two"))[0].stream.conn
    assert (first.number, second.number) == (1, 2)


def test_stray_ack_after_close_opens_nothing() -> None:
    ras = Reassembler()
    ras.add(_seg(C, S, 0, b"x", flags=TCP_ACK | TCP_FIN))
    ras.add(_seg(S, C, 0, flags=TCP_ACK | TCP_FIN))
    assert ras.add(_seg(C, S, 2)) == []
    assert ras.connections == 1


def test_all_streams_together_wait_behind_holes_within_a_budget() -> None:
    """Each stream under its own limit, together over the total: the stream that has
    waited longest skips its hole first."""
    ras = Reassembler(max_pending=1 << 20, max_pending_total=10_000)
    events: list[cap.Event] = []
    for n in range(5):
        c = f"10.0.0.{n + 1}:40000"
        seg = parse_tcp(cap.LINKTYPE_RAW, cap.tcp_ip_packet(*_ends(c, S), b"x" * 3000, 5000, 0, TCP_ACK))
        ras.add(cap.TcpSegment(seg.src, seg.dst, seg.sport, seg.dport, 1000, TCP_ACK, b"a"))  # offset 0
        events += ras.add(seg)  # 4000 bytes later: a hole
    gaps = [ev for ev in events if isinstance(ev, Gap)]
    assert [g.stream.conn.number for g in gaps] == [1, 2]  # 5 × 3000 > 10,000: the oldest two
    assert ras._pending_total == 9000
    assert [ev.stream.conn.number for ev in events if isinstance(ev, Data)] == [1, 2]


def test_at_most_max_connections_open_at_once() -> None:
    ras = Reassembler(max_connections=3)
    events: list[cap.Event] = []
    for n in range(5):
        c = f"10.0.0.{n + 1}:40000"
        seg = parse_tcp(cap.LINKTYPE_RAW, cap.tcp_ip_packet(*_ends(c, S), b"x", 1000, 0, TCP_ACK))
        events += ras.add(seg)
        if n == 2:  # the first connection is seen again: now the second is the least recent
            first = parse_tcp(cap.LINKTYPE_RAW, cap.tcp_ip_packet(*_ends(C1, S), b"y", 1001, 0, TCP_ACK))
            events += ras.add(first)
    ended = [ev.stream.conn.number for ev in events if isinstance(ev, End)]
    assert ended == [2, 2, 3, 3] and ras.evicted == 2 and len(ras._keys) == 3


C1 = "10.0.0.1:40000"


def _ends(src: str, dst: str) -> tuple[bytes, int, bytes, int]:
    (sa, sp), (da, dp) = cap.parse_endpoint(src), cap.parse_endpoint(dst)
    return sa, sp, da, dp


def test_a_record_over_the_packet_limit_is_passed_over_with_a_note() -> None:
    out = io.BytesIO()
    w = PcapWriter(out, cap.LINKTYPE_ETHERNET)
    w.write_tcp(1.0, C, S, b"first", seq=1)
    w.write(2.0, b"\0" * (cap.MAX_PACKET + 1))
    w.write_tcp(3.0, C, S, b"second", seq=6)
    for pcapng in (False, True):
        data = out.getvalue()
        if pcapng:
            ng = io.BytesIO()
            w2 = PcapWriter(ng, cap.LINKTYPE_ETHERNET, pcapng=True)
            w2.write_tcp(1.0, C, S, b"first", seq=1)
            w2.write(2.0, b"\0" * (cap.MAX_PACKET + 1))
            w2.write_tcp(3.0, C, S, b"second", seq=6)
            data = ng.getvalue()
        reader = CaptureReader(chunked(data, 65536))
        pkts = list(reader)
        assert len(pkts) == 2 and reader.truncated is None
        assert reader.notes == ["1 record of more than 4 MiB skipped (their bytes are reported missing)"]


@pytest.mark.parametrize("addr", ["0.0.0.0", "127.0.0.1", "192.0.2.255", "2001:db8::1", "::ffff:192.0.2.1", "::"])
def test_endpoints_are_written_as_inet_ntop_writes_them(addr):
    import socket

    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    raw = socket.inet_pton(family, addr)
    shown = socket.inet_ntop(family, raw)
    assert cap.format_endpoint(raw, 9000) == (f"{shown}:9000" if family == socket.AF_INET else f"[{shown}]:9000")
    assert cap.parse_endpoint(cap.format_endpoint(raw, 9000)) == (raw, 9000)
