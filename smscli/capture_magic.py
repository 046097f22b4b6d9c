"""The first bytes of a pcap or pcapng file: enough to tell a capture from other input
without importing ``smscli.capture`` (its reader and reassembler), which only a capture
needs (``smscli packet decode`` sniffs every input)."""

from __future__ import annotations

PCAP_MAGICS = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"


def is_capture(head: bytes) -> bool:
    """True when ``head`` starts like a pcap or pcapng file."""
    return head[:4] in PCAP_MAGICS or head[:4] == PCAPNG_MAGIC
