"""Read pcap / pcapng captures and reassemble their TCP streams, streaming.

Nothing here knows about OneShot: it turns capture bytes into per-direction TCP byte
streams. ``CaptureReader`` yields link-layer packets from chunks of a pcap or pcapng
file; ``parse_tcp`` digs the TCP segment out of one packet (Ethernet with VLAN tags,
Linux cooked SLL/SLL2, raw IP, BSD null/loopback; IPv4 and IPv6); ``Reassembler`` puts
segments back in sequence order per connection and direction (out-of-order segments
wait, retransmissions are dropped, holes the capture never fills are reported as gaps).
``PcapWriter`` writes captures (pcap or pcapng), e.g. for tests and recordings.
Only per-connection buffers are kept, so captures of any size stream in bounded memory.
"""

from __future__ import annotations

import heapq
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from socket import AF_INET, AF_INET6, inet_ntop, inet_pton
from typing import Any, BinaryIO

from smscli.capture_magic import PCAP_MAGICS, PCAPNG_MAGIC, is_capture  # noqa: F401 (is_capture: re-exported)

# Link types (https://www.tcpdump.org/linktypes.html).
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276
_RAW_ALIASES = (12, 14, LINKTYPE_RAW)
SUPPORTED_LINKTYPES = frozenset(
    {LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_LOOP, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
     LINKTYPE_IPV4, LINKTYPE_IPV6, *_RAW_ALIASES}
)

_MAX_RECORD = 256 * 1024 * 1024  # a record claiming more is a corrupt file, not a packet
MAX_PACKET = 4 * 1024 * 1024  # a packet claiming more is skipped (read through, not held)

TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK = 0x01, 0x02, 0x04, 0x10
_MOD = 1 << 32
_HALF = 1 << 31


class CaptureError(Exception):
    """The capture file is not a readable pcap/pcapng file."""


# --------------------------------------------------------------------------- reading


@dataclass(slots=True)
class RawPacket:
    """One captured link-layer packet."""

    ts: float  # seconds since the epoch
    linktype: int
    data: bytes
    orig_len: int


class _Chunks:
    """Exact-size reads over an iterator of byte chunks, tracking the file offset."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._it = iter(chunks)
        self._buf = b""
        self._pos = 0
        self.offset = 0

    def read(self, n: int) -> bytes:
        end = self._pos + n
        if end <= len(self._buf):
            out = self._buf[self._pos:end]
            self._pos = end
        else:
            parts = [self._buf[self._pos:]]
            have = len(parts[0])
            while have < n:
                chunk = next(self._it, None)
                if chunk is None:
                    break
                parts.append(chunk)
                have += len(chunk)
            buf = b"".join(parts)
            out = buf[:n]
            self._buf, self._pos = buf, len(out)
        self.offset += len(out)
        return out

    def skip(self, n: int) -> int:
        """Pass over ``n`` bytes without holding them; return how many there were."""
        have = len(self._buf) - self._pos
        if n <= have:
            self._pos += n
            self.offset += n
            return n
        skipped = have
        self._buf, self._pos = b"", 0
        while skipped < n:
            chunk = next(self._it, None)
            if chunk is None:
                break
            if skipped + len(chunk) > n:
                self._buf, self._pos = chunk, n - skipped
                skipped = n
            else:
                skipped += len(chunk)
        self.offset += skipped
        return skipped


class CaptureReader:
    """Iterate the packets of a pcap or pcapng file given as chunks of bytes.

    Problems that do not stop reading (interfaces of an unknown link type) are collected
    in ``notes``; a file cut mid-packet ends the packets and says why in ``truncated``
    (the packets before it are still yielded); a file that is not a capture at all raises
    ``CaptureError``.
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._src = _Chunks(chunks)
        self.notes: list[str] = []
        self.truncated: str | None = None
        self.packets = 0
        self.skipped = 0  # records over MAX_PACKET, passed over

    def __iter__(self) -> Iterator[RawPacket]:
        head = self._src.read(4)
        if head in PCAP_MAGICS:
            yield from self._pcap(head)
        elif head == PCAPNG_MAGIC:
            yield from self._pcapng(head)
        else:
            raise CaptureError("not a pcap or pcapng file (unknown magic number)")
        if self.skipped:
            what = "record" if self.skipped == 1 else "records"
            self.notes.append(f"{self.skipped} {what} of more than {MAX_PACKET // (1024 * 1024)} MiB "
                              "skipped (their bytes are reported missing)")

    def _truncated(self, what: str) -> None:
        self.truncated = f"the capture file ends in the middle of {what} (file truncated?)"

    # pcap ------------------------------------------------------------------
    def _pcap(self, magic: bytes) -> Iterator[RawPacket]:
        endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        frac = 1e-9 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e-6
        rest = self._src.read(20)
        if len(rest) < 20:
            raise CaptureError("pcap file header is cut short")
        linktype = struct.unpack(endian + "HHiIII", rest)[5] & 0xFFFF
        self._check_linktype(linktype, "the capture")
        rec = struct.Struct(endian + "IIII")
        read = self._src.read
        while True:
            hdr = read(16)
            if len(hdr) < 16:
                if hdr:
                    self._truncated("a packet header")
                return
            sec, sub, incl, orig = rec.unpack(hdr)
            if incl > _MAX_RECORD:
                raise CaptureError(
                    f"pcap record at byte {self._src.offset - 16} claims {incl} bytes: the file is corrupt"
                )
            if incl > MAX_PACKET:
                if self._src.skip(incl) < incl:
                    self._truncated("a packet")
                    return
                self.skipped += 1
                continue
            data = read(incl)
            if len(data) < incl:
                self._truncated("a packet")
                return
            self.packets += 1
            yield RawPacket(sec + sub * frac, linktype, data, orig)

    # pcapng ----------------------------------------------------------------
    def _pcapng(self, first: bytes) -> Iterator[RawPacket]:
        read = self._src.read
        endian = "<"
        ifaces: list[tuple[int, float, float, int]] = []  # linktype, ts unit, ts offset, snaplen
        btype = first
        while True:
            start = self._src.offset - 4
            if btype == PCAPNG_MAGIC:
                head = read(8)
                if len(head) < 8:
                    raise CaptureError("pcapng section header is cut short")
                bom = head[4:8]
                if bom == b"\x4d\x3c\x2b\x1a":
                    endian = "<"
                elif bom == b"\x1a\x2b\x3c\x4d":
                    endian = ">"
                else:
                    raise CaptureError("pcapng section header has a bad byte-order magic")
                total = struct.unpack(endian + "I", head[:4])[0]
                body = self._block_body(total, 12, start)
                if body is None:
                    return
                ifaces = []
            else:
                raw_len = read(4)
                if len(raw_len) < 4:
                    self._truncated("a block")
                    return
                code = struct.unpack(endian + "I", btype)[0]
                total = struct.unpack(endian + "I", raw_len)[0]
                body = self._block_body(total, 8, start)
                if body is None:
                    return
                pkt = self._pcapng_block(code, body, endian, ifaces) if body is not _SKIPPED else None
                if pkt is not None:
                    self.packets += 1
                    yield pkt
            btype = read(4)
            if len(btype) < 4:
                if btype:
                    self._truncated("a block")
                return

    def _block_body(self, total: int, consumed: int, start: int) -> bytes | None:
        if total < consumed + 4 or total % 4 or total > _MAX_RECORD:
            raise CaptureError(f"pcapng block at byte {start} has a bad length ({total}): the file is corrupt")
        if total > MAX_PACKET and consumed == 8:  # not a section header: pass over it
            if self._src.skip(total - consumed) < total - consumed:
                self._truncated("a block")
                return None
            self.skipped += 1
            return _SKIPPED
        rest = self._src.read(total - consumed)
        if len(rest) < total - consumed:
            self._truncated("a block")
            return None
        return rest[:-4]  # drop the trailing copy of the block length

    def _pcapng_block(
        self, code: int, body: bytes, endian: str, ifaces: list[tuple[int, float, float, int]]
    ) -> RawPacket | None:
        if code == 1:  # Interface Description Block
            linktype, _, snaplen = struct.unpack_from(endian + "HHI", body)
            unit, offset = 1e-6, 0.0
            for opt, value in _options(body[8:], endian):
                if opt == 9 and value:
                    r = value[0]
                    unit = 2.0 ** -(r & 0x7F) if r & 0x80 else 10.0 ** -r
                elif opt == 14 and len(value) == 8:
                    offset = float(struct.unpack(endian + "q", value)[0])
            self._check_linktype(linktype, f"interface {len(ifaces)}")
            ifaces.append((linktype, unit, offset, snaplen))
            return None
        if code in (6, 2):  # Enhanced Packet Block / obsolete Packet Block
            if code == 6:
                iface, hi, lo, caplen, orig = struct.unpack_from(endian + "IIIII", body)
            else:
                iface, _, hi, lo, caplen, orig = struct.unpack_from(endian + "HHIIII", body)
            if iface >= len(ifaces):
                raise CaptureError(f"pcapng packet names interface {iface}, which was never described")
            linktype, unit, offset, _ = ifaces[iface]
            return RawPacket(((hi << 32) | lo) * unit + offset, linktype, body[20:20 + caplen], orig)
        if code == 3:  # Simple Packet Block: interface 0, no timestamp
            if not ifaces:
                raise CaptureError("pcapng packet before any interface description")
            linktype, _, _, snaplen = ifaces[0]
            orig = struct.unpack_from(endian + "I", body)[0]
            caplen = min(orig, snaplen or orig, len(body) - 4)
            return RawPacket(0.0, linktype, body[4:4 + caplen], orig)
        return None

    def _check_linktype(self, linktype: int, where: str) -> None:
        if linktype not in SUPPORTED_LINKTYPES:
            self.notes.append(
                f"{where} has link type {linktype}, which smscli cannot read; its packets are skipped"
            )


_SKIPPED = b"<skipped>"  # _block_body's answer for a block passed over


def _options(data: bytes, endian: str) -> Iterator[tuple[int, bytes]]:
    pos = 0
    fmt = endian + "HH"
    while pos + 4 <= len(data):
        code, length = struct.unpack_from(fmt, data, pos)
        if code == 0:
            return
        yield code, data[pos + 4:pos + 4 + length]
        pos += 4 + length + (-length % 4)


# --------------------------------------------------------------------------- parsing

_ETH_VLAN = (0x8100, 0x88A8, 0x9100)
_NULL_INET6 = (10, 24, 28, 30)  # AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, macOS


def network_layer(linktype: int, data: bytes) -> bytes | None:
    """The IP packet inside a link-layer packet, or None when it carries no IP."""
    if linktype == LINKTYPE_ETHERNET:
        etype = int.from_bytes(data[12:14], "big")
        pos = 14
        while etype in _ETH_VLAN and len(data) >= pos + 4:
            etype = int.from_bytes(data[pos + 2:pos + 4], "big")
            pos += 4
        return data[pos:] if etype in (0x0800, 0x86DD) else None
    if linktype in _RAW_ALIASES or linktype in (LINKTYPE_IPV4, LINKTYPE_IPV6):
        return data
    if linktype == LINKTYPE_LINUX_SLL:
        return data[16:] if data[14:16] in (b"\x08\x00", b"\x86\xdd") else None
    if linktype == LINKTYPE_LINUX_SLL2:
        return data[20:] if data[0:2] in (b"\x08\x00", b"\x86\xdd") else None
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        if len(data) < 4:
            return None
        family = int.from_bytes(data[:4], "big" if linktype == LINKTYPE_LOOP else "little")
        if family > 0xFFFF:  # written in the other byte order
            family = int.from_bytes(data[:4], "big")
        return data[4:] if family == 2 or family in _NULL_INET6 else None
    return None


_IPV6_EXT = (0, 43, 60, 51)  # hop-by-hop, routing, destination options, AH (fragment: 44)


@dataclass(slots=True)
class TcpSegment:
    """The parts of a TCP segment the reassembler needs. Addresses are packed bytes."""

    src: bytes
    dst: bytes
    sport: int
    dport: int
    seq: int
    flags: int
    payload: bytes


class Fragment(Exception):
    """The IP packet is a fragment (not reassembled)."""


def parse_tcp(linktype: int, data: bytes) -> TcpSegment | None:
    """The TCP segment in a captured packet, or None when it is not TCP over IP.

    Raises ``Fragment`` for IP fragments, which are not reassembled.
    """
    ip = network_layer(linktype, data)
    if not ip:
        return None
    version = ip[0] >> 4
    if version == 4:
        ihl = (ip[0] & 0x0F) * 4
        if ihl < 20 or len(ip) < ihl or ip[9] != 6:
            return None
        if int.from_bytes(ip[6:8], "big") & 0x3FFF:
            raise Fragment
        total = int.from_bytes(ip[2:4], "big")
        tcp = ip[ihl:total] if total >= ihl else ip[ihl:]  # total 0 = TSO-offloaded capture
        src, dst = ip[12:16], ip[16:20]
    elif version == 6:
        if len(ip) < 40:
            return None
        nxt, pos = ip[6], 40
        plen = int.from_bytes(ip[4:6], "big")
        end = 40 + plen if plen else len(ip)
        while nxt in _IPV6_EXT or nxt == 44:
            if len(ip) < pos + 8:
                return None
            if nxt == 44:
                if int.from_bytes(ip[pos + 2:pos + 4], "big") & 0xFFF9:
                    raise Fragment
                nxt, pos = ip[pos], pos + 8
            elif nxt == 51:
                nxt, pos = ip[pos], pos + (ip[pos + 1] + 2) * 4
            else:
                nxt, pos = ip[pos], pos + (ip[pos + 1] + 1) * 8
        if nxt != 6:
            return None
        tcp = ip[pos:end]
        src, dst = ip[8:24], ip[24:40]
    else:
        return None
    if len(tcp) < 20:
        return None
    sport, dport, seq, _, off_flags = struct.unpack_from(">HHIIH", tcp)
    doff = (off_flags >> 12) * 4
    if doff < 20:
        return None
    return TcpSegment(src, dst, sport, dport, seq, off_flags & 0x3F, tcp[doff:])


def format_endpoint(addr: bytes, port: int) -> str:
    """``192.0.2.1:9000`` or ``[2001:db8::1]:9000``."""
    if len(addr) == 4:
        return f"{inet_ntop(AF_INET, addr)}:{port}"
    return f"[{inet_ntop(AF_INET6, addr)}]:{port}"


# --------------------------------------------------------------------------- reassembly

CLIENT_TO_SERVER = "client→server"
SERVER_TO_CLIENT = "server→client"


@dataclass(eq=False)
class Connection:
    """One TCP connection, numbered from 1 in the order it first appears."""

    number: int
    client: str
    server: str
    state: Any = None  # free for the consumer
    to_server: Stream = field(init=False)
    to_client: Stream = field(init=False)

    def __post_init__(self) -> None:
        self.to_server = Stream(self, CLIENT_TO_SERVER, self.client, self.server)
        self.to_client = Stream(self, SERVER_TO_CLIENT, self.server, self.client)

    @property
    def label(self) -> str:
        return f"{self.client} ⇄ {self.server}"


@dataclass(eq=False)
class Stream:
    """One direction of a connection: its bytes in sequence order.

    ``state`` is free for the consumer (e.g. a frame decoder for this direction).
    """

    conn: Connection
    direction: str
    src: str
    dst: str
    state: Any = None
    isn: int | None = None  # sequence number of stream offset 0
    from_syn: bool = False  # offset 0 is the true start of the stream (its SYN was captured)
    next: int = 0  # stream offset of the next byte expected
    fin: int | None = None
    ended: bool = False
    pending: list[tuple[int, bytes]] = field(default_factory=list)
    pending_bytes: int = 0
    retransmitted: int = 0


# Events handed to the consumer, in stream order per direction.
@dataclass(slots=True)
class Data:
    stream: Stream
    offset: int
    data: bytes


@dataclass(slots=True)
class Gap:
    """Bytes the capture never showed (lost or not captured); the stream skips them."""

    stream: Stream
    offset: int
    size: int


@dataclass(slots=True)
class End:
    stream: Stream


Event = Data | Gap | End


class Reassembler:
    """Per-connection, per-direction TCP reassembly.

    ``add(segment)`` returns the events it makes possible. Connections are keyed by
    their address/port pair; which side is the client comes from the SYN when it was
    captured, else from ``server_ports``, else the lower port is taken as the server.
    A hole that the capture never fills is skipped (``Gap``) once more than
    ``max_pending`` bytes wait behind it, or when the stream ends, or at ``finish()``,
    or when all streams together hold more than ``max_pending_total`` bytes (then the
    stream that has waited longest skips its holes). At most ``max_connections`` are
    open at once: one more ends the connection least recently seen (``evicted`` counts
    them), so a capture of any size and any number of connections streams in bounded
    memory.
    """

    def __init__(
        self,
        server_ports: Iterable[int] = (),
        max_pending: int = 8 * 1024 * 1024,
        *,
        max_pending_total: int = 32 * 1024 * 1024,
        max_connections: int = 4096,
    ) -> None:
        self.server_ports = frozenset(server_ports)
        self.max_pending = max_pending
        self.max_pending_total = max_pending_total
        self.max_connections = max_connections
        self._conns: dict[tuple[bytes, int, bytes, int], tuple[Connection, bool]] = {}
        self._keys: dict[Connection, tuple[tuple[bytes, int, bytes, int], ...]] = {}  # least recent first
        self._waiting: dict[Stream, None] = {}  # streams with bytes behind a hole, oldest first
        self._pending_total = 0
        self.connections = 0
        self.evicted = 0

    def add(self, seg: TcpSegment) -> list[Event]:
        events: list[Event] = []
        key = (seg.src, seg.sport, seg.dst, seg.dport)
        found = self._conns.get(key)
        syn_only = seg.flags & (TCP_SYN | TCP_ACK) == TCP_SYN
        if found is not None and syn_only:
            conn, forward = found
            stream = conn.to_server if forward else conn.to_client
            if stream.isn is not None and stream.isn != (seg.seq + 1) % _MOD:
                self._close(conn, events)  # a new connection on the same ports
                found = None
        if found is None:
            if not seg.payload and not seg.flags & TCP_SYN:
                return events  # a stray ACK/FIN of a connection already closed
            found = self._open(seg, events)
        conn, forward = found
        keys = self._keys
        if next(reversed(keys)) is not conn:  # most recently seen last
            keys[conn] = keys.pop(conn)
        stream = conn.to_server if forward else conn.to_client
        self._segment(stream, seg, events)
        if seg.flags & TCP_RST:
            self._close(conn, events)
        elif conn.to_server.ended and conn.to_client.ended:
            self._forget(conn)
        return events

    def finish(self) -> list[Event]:
        """End every open stream (capture over): skip remaining holes, emit ``End``s."""
        events: list[Event] = []
        for conn in list(self._keys):
            self._close(conn, events)
        return events

    # internals ---------------------------------------------------------------
    def _open(self, seg: TcpSegment, events: list[Event]) -> tuple[Connection, bool]:
        a, b = format_endpoint(seg.src, seg.sport), format_endpoint(seg.dst, seg.dport)
        flags = seg.flags
        if flags & TCP_SYN:
            sender_is_client = not flags & TCP_ACK
        elif self.server_ports and (seg.sport in self.server_ports) != (seg.dport in self.server_ports):
            sender_is_client = seg.dport in self.server_ports
        elif seg.sport != seg.dport:
            sender_is_client = seg.sport > seg.dport
        else:
            sender_is_client = True
        if len(self._keys) >= self.max_connections:
            self.evicted += 1
            self._close(next(iter(self._keys)), events)
        self.connections += 1
        conn = Connection(self.connections, a if sender_is_client else b, b if sender_is_client else a)
        fwd = (seg.src, seg.sport, seg.dst, seg.dport)
        rev = (seg.dst, seg.dport, seg.src, seg.sport)
        self._conns[fwd] = (conn, sender_is_client)
        self._conns[rev] = (conn, not sender_is_client)
        self._keys[conn] = (fwd, rev)
        return self._conns[fwd]

    def _forget(self, conn: Connection) -> None:
        for key in self._keys.pop(conn, ()):
            self._conns.pop(key, None)

    def _close(self, conn: Connection, events: list[Event]) -> None:
        for stream in (conn.to_server, conn.to_client):
            if not stream.ended:
                self._flush_holes(stream, events)
                stream.ended = True
                events.append(End(stream))
        self._forget(conn)

    def _segment(self, st: Stream, seg: TcpSegment, events: list[Event]) -> None:
        seq, payload, flags = seg.seq, seg.payload, seg.flags
        if flags & TCP_SYN:
            seq = (seq + 1) % _MOD  # the SYN takes one sequence number
            if st.isn is None:
                st.isn, st.from_syn = seq, True
        if st.ended:
            return
        if st.isn is None:
            if not payload and not flags & TCP_FIN:
                return  # a bare ACK tells nothing about where this stream starts
            st.isn = seq
        rel = (seq - st.isn) % _MOD
        off = st.next + ((rel - st.next + _HALF) % _MOD - _HALF)
        if flags & TCP_FIN:
            st.fin = off + len(payload)
        if payload:
            end = off + len(payload)
            if end <= st.next:
                st.retransmitted += 1
            elif off <= st.next:
                self._deliver(st, payload[st.next - off:], events)
                self._drain(st, events)
            else:
                heapq.heappush(st.pending, (off, payload))
                st.pending_bytes += len(payload)
                self._pending_total += len(payload)
                self._waiting[st] = None
                if st.pending_bytes > self.max_pending:
                    self._skip_hole(st, events)
                while self._pending_total > self.max_pending_total and self._waiting:
                    self._flush_holes(next(iter(self._waiting)), events)
        if st.fin is not None and st.next >= st.fin and not st.pending:
            st.ended = True
            events.append(End(st))

    def _deliver(self, st: Stream, data: bytes, events: list[Event]) -> None:
        events.append(Data(st, st.next, data))
        st.next += len(data)

    def _drain(self, st: Stream, events: list[Event]) -> None:
        pending = st.pending
        while pending and pending[0][0] <= st.next:
            off, data = heapq.heappop(pending)
            st.pending_bytes -= len(data)
            self._pending_total -= len(data)
            end = off + len(data)
            if end > st.next:
                self._deliver(st, data[st.next - off:], events)
            else:
                st.retransmitted += 1
        if not pending:
            self._waiting.pop(st, None)

    def _skip_hole(self, st: Stream, events: list[Event]) -> None:
        off = st.pending[0][0]
        events.append(Gap(st, st.next, off - st.next))
        st.next = off
        self._drain(st, events)

    def _flush_holes(self, st: Stream, events: list[Event]) -> None:
        while st.pending:
            self._skip_hole(st, events)


# --------------------------------------------------------------------------- writing


class PcapWriter:
    """Write packets to a pcap (microsecond) or pcapng file.

    ``write_tcp`` builds the IP and TCP headers (with correct checksums) and the link
    header for ``linktype`` (Ethernet, raw IP, Linux SLL/SLL2 or null/loopback).
    """

    def __init__(self, out: BinaryIO, linktype: int = LINKTYPE_ETHERNET, *, pcapng: bool = False) -> None:
        if linktype not in SUPPORTED_LINKTYPES:
            raise ValueError(f"cannot write link type {linktype}")
        self.out = out
        self.linktype = linktype
        self.pcapng = pcapng
        if pcapng:
            shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
            self._block(0x0A0D0D0A, shb)
            self._block(1, struct.pack("<HHI", linktype, 0, 262144) + _opt(9, b"\x06") + _opt(0, b""))
        else:
            out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))

    def write(self, ts: float, data: bytes, orig_len: int | None = None) -> None:
        """Write one link-layer packet captured at ``ts`` (seconds since the epoch)."""
        orig = len(data) if orig_len is None else orig_len
        if self.pcapng:
            usec = round(ts * 1_000_000)
            pad = b"\0" * (-len(data) % 4)
            self._block(6, struct.pack("<IIIII", 0, usec >> 32, usec & 0xFFFFFFFF, len(data), orig) + data + pad)
        else:
            sec = int(ts)
            self.out.write(struct.pack("<IIII", sec, round((ts - sec) * 1_000_000), len(data), orig) + data)

    def write_tcp(
        self,
        ts: float,
        src: str,
        dst: str,
        payload: bytes = b"",
        *,
        seq: int,
        ack: int = 0,
        flags: int = TCP_ACK,
    ) -> None:
        """Write one TCP segment ``src`` → ``dst`` (``"ip:port"``, IPv6 as ``"[ip]:port"``)."""
        (saddr, sport), (daddr, dport) = _endpoint(src), _endpoint(dst)
        if len(saddr) != len(daddr):
            raise ValueError("source and destination must both be IPv4 or both IPv6")
        self.write(ts, self._link(tcp_ip_packet(saddr, sport, daddr, dport, payload, seq, ack, flags)))

    def _link(self, ip: bytes) -> bytes:
        v6 = ip[0] >> 4 == 6
        etype = b"\x86\xdd" if v6 else b"\x08\x00"
        lt = self.linktype
        if lt == LINKTYPE_ETHERNET:
            return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01" + etype + ip
        if lt == LINKTYPE_LINUX_SLL:
            return b"\x00\x00\x00\x01\x00\x06\x02\x00\x00\x00\x00\x01\x00\x00" + etype + ip
        if lt == LINKTYPE_LINUX_SLL2:
            return etype + b"\x00\x00" + b"\x00\x00\x00\x01" + b"\x00\x01\x00\x06" + b"\x02\x00\x00\x00\x00\x01\x00\x00" + ip
        if lt == LINKTYPE_NULL:
            return struct.pack("<I", 30 if v6 else 2) + ip
        if lt == LINKTYPE_LOOP:
            return struct.pack(">I", 30 if v6 else 2) + ip
        return ip

    def _block(self, code: int, body: bytes) -> None:
        total = len(body) + 12
        self.out.write(struct.pack("<II", code, total) + body + struct.pack("<I", total))


def _opt(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def _endpoint(text: str) -> tuple[bytes, int]:
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    family = AF_INET6 if ":" in host else AF_INET
    return inet_pton(family, host), int(port)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tcp_ip_packet(
    saddr: bytes, sport: int, daddr: bytes, dport: int, payload: bytes, seq: int, ack: int, flags: int
) -> bytes:
    """An IPv4 or IPv6 packet carrying one TCP segment, checksums filled in."""
    tcp = struct.pack(">HHIIHHHH", sport, dport, seq % _MOD, ack % _MOD, (5 << 12) | flags, 65535, 0, 0)
    if len(saddr) == 4:
        pseudo = saddr + daddr + struct.pack(">BBH", 0, 6, len(tcp) + len(payload))
    else:
        pseudo = saddr + daddr + struct.pack(">IxxxB", len(tcp) + len(payload), 6)
    csum = _checksum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack(">H", csum) + tcp[18:]
    if len(saddr) == 4:
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0, saddr, daddr)
        ip = ip[:10] + struct.pack(">H", _checksum(ip)) + ip[12:]
    else:
        ip = struct.pack(">IHBB16s16s", 0x60000000, len(tcp) + len(payload), 6, 64, saddr, daddr)
    return ip + tcp + payload
