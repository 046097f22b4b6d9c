"""Read pcap / pcapng captures and reassemble their TCP streams, streaming.

Nothing here knows about OneShot: it turns capture bytes into per-direction TCP byte
streams. ``CaptureReader`` yields link-layer packets from chunks of a pcap or pcapng
file; ``parse_tcp`` digs the TCP segment out of one packet (Ethernet with VLAN tags,
Linux cooked SLL/SLL2, raw IP, BSD null/loopback; IPv4 and IPv6); ``Reassembler`` puts
segments back in sequence order per connection and direction (out-of-order segments
wait, retransmissions are dropped, holes the capture never fills are reported as gaps).
``PcapWriter`` writes captures (pcap or pcapng), e.g. for tests and recordings.
Only per-connection buffers are kept, so captures of any size stream in bounded memory.

This module is the entry point; the code lives in ``capture_base`` (link types, TCP
constants), ``capture_read`` (pcap/pcapng reader), ``capture_parse`` (link/IP/TCP
parsing), ``capture_reassembly`` (TCP reassembly) and ``capture_write`` (writer).
"""

from __future__ import annotations

from smscli.capture_base import (
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    LINKTYPE_IPV6,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_LOOP,
    LINKTYPE_NULL,
    LINKTYPE_RAW,
    RAW_ALIASES,
    SEQ_MOD,
    SUPPORTED_LINKTYPES,
    TCP_ACK,
    TCP_FIN,
    TCP_RST,
    TCP_SYN,
)
from smscli.capture_magic import PCAP_MAGICS, PCAPNG_MAGIC, is_capture
from smscli.capture_parse import Fragment, TcpSegment, format_endpoint, network_layer, parse_tcp
from smscli.capture_read import MAX_PACKET, CaptureError, CaptureReader, RawPacket
from smscli.capture_reassembly import (
    CLIENT_TO_SERVER,
    SERVER_TO_CLIENT,
    Connection,
    Data,
    End,
    Event,
    Gap,
    Reassembler,
    Stream,
)
from smscli.capture_write import PcapWriter, parse_endpoint, tcp_ip_packet

__all__ = [
    "CLIENT_TO_SERVER",
    "LINKTYPE_ETHERNET",
    "LINKTYPE_IPV4",
    "LINKTYPE_IPV6",
    "LINKTYPE_LINUX_SLL",
    "LINKTYPE_LINUX_SLL2",
    "LINKTYPE_LOOP",
    "LINKTYPE_NULL",
    "LINKTYPE_RAW",
    "MAX_PACKET",
    "PCAPNG_MAGIC",
    "PCAP_MAGICS",
    "RAW_ALIASES",
    "SEQ_MOD",
    "SERVER_TO_CLIENT",
    "SUPPORTED_LINKTYPES",
    "TCP_ACK",
    "TCP_FIN",
    "TCP_RST",
    "TCP_SYN",
    "CaptureError",
    "CaptureReader",
    "Connection",
    "Data",
    "End",
    "Event",
    "Fragment",
    "Gap",
    "PcapWriter",
    "RawPacket",
    "Reassembler",
    "Stream",
    "TcpSegment",
    "format_endpoint",
    "is_capture",
    "network_layer",
    "parse_endpoint",
    "parse_tcp",
    "tcp_ip_packet",
]
