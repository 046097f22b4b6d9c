"""Write captures: ``PcapWriter`` (pcap or pcapng), e.g. for tests and recordings."""

from __future__ import annotations

import struct
from typing import BinaryIO

from smscli.capture_base import (
    LINKTYPE_ETHERNET,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_LOOP,
    LINKTYPE_NULL,
    SEQ_MOD,
    SUPPORTED_LINKTYPES,
    TCP_ACK,
)


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
        (saddr, sport), (daddr, dport) = parse_endpoint(src), parse_endpoint(dst)
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


def parse_endpoint(text: str) -> tuple[bytes, int]:
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    from socket import AF_INET, AF_INET6, inet_pton  # here: only writing a capture needs it

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
    tcp = struct.pack(">HHIIHHHH", sport, dport, seq % SEQ_MOD, ack % SEQ_MOD, (5 << 12) | flags, 65535, 0, 0)
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
