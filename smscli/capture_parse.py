"""Dig the TCP segment out of one captured packet: ``parse_tcp``.

Link layers: Ethernet with VLAN tags, Linux cooked SLL/SLL2, raw IP, BSD null/loopback;
IPv4 and IPv6 (extension headers skipped, fragments raise ``Fragment``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from smscli.capture_base import (
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    LINKTYPE_IPV6,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_LOOP,
    LINKTYPE_NULL,
    RAW_ALIASES,
)

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
    if linktype in RAW_ALIASES or linktype in (LINKTYPE_IPV4, LINKTYPE_IPV6):
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
        return f"{'.'.join(map(str, addr))}:{port}"
    from socket import AF_INET6, inet_ntop  # here: IPv4 needs no socket module (2 ms)

    return f"[{inet_ntop(AF_INET6, addr)}]:{port}"
