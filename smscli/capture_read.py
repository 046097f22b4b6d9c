"""Read pcap / pcapng files given as chunks of bytes: ``CaptureReader`` yields ``RawPacket``s.

Reads in bounded memory: a record over ``MAX_PACKET`` is passed over, not held.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from smscli.capture_base import SUPPORTED_LINKTYPES
from smscli.capture_magic import PCAP_MAGICS, PCAPNG_MAGIC

_MAX_RECORD = 256 * 1024 * 1024  # a record claiming more is a corrupt file, not a packet
MAX_PACKET = 4 * 1024 * 1024  # a packet claiming more is skipped (read through, not held)


class CaptureError(Exception):
    """The capture file is not a readable pcap/pcapng file."""


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
