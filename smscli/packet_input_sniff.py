"""``packet decode`` input: format detection (``sniff``), which of raw / hex / base64 /
pcap the first bytes of the input are."""

from __future__ import annotations

import base64
import binascii
import re

from smscli.errors import UsageError
from smscli.packet_input_base import B64_TEXT, BOM, HEADER, SNIFF_SIZE, looks_zlib

_TEXT_BYTES = frozenset(range(0x20, 0x7F)) | frozenset(b"\t\r\n\f\v")
_HEX_TOKEN = re.compile(
    rb"(content-length[ \t]*:[ \t]*(\d+))|([0-9a-f]+)|(\s+|\[cr\]|\[lf\])", re.IGNORECASE
)




def _is_text(data: bytes) -> bool:
    return all(b in _TEXT_BYTES for b in data)



def sniff(head: bytes, complete: bool = True) -> str:
    """Which of raw / hex / base64 / pcap ``head`` (the first bytes of the input) is;
    ``complete`` says that ``head`` is the whole input (else its last token may be cut).

    Raises ``UsageError`` for empty input and for input that is none of them.
    """
    from smscli.capture_magic import is_capture

    if not head.strip():
        raise UsageError("the input is empty: there is nothing to decode",
                         hint="give a FILE, or pipe frames on stdin")
    if is_capture(head):
        return "pcap"
    text = head[len(BOM):] if head.startswith(BOM) else head
    binary = not _is_text(text)
    if binary and (HEADER in head or looks_zlib(head)):
        return "raw"  # frames, maybe after some bytes of a frame cut off at the start
    if binary:
        raise UsageError(
            "cannot tell the input format: it is binary but neither OneShot frames nor a capture",
            hint="pass --format raw|hex|base64|pcap",
        )
    sample = text[:SNIFF_SIZE]
    if not complete or len(text) > SNIFF_SIZE:
        cut = max(sample.rfind(b"\n"), sample.rfind(b" "), sample.rfind(b"\t"))
        sample = sample[:cut] if cut > 0 else sample
    if _hex_error(sample) is None:
        return "hex"
    if B64_TEXT.fullmatch(sample):
        start = re.sub(rb"\s+", b"", sample[:200])[:20]
        try:
            lead = base64.b64decode(start[: len(start) // 4 * 4] + b"==", altchars=b"-_")
        except binascii.Error:
            lead = b""
        if lead.startswith(HEADER) or looks_zlib(lead):
            return "base64"
    raise UsageError(
        "cannot tell the input format: the text is neither hex nor base64 of OneShot frames",
        hint="pass --format raw|hex|base64|pcap",
    )


def _hex_error(text: bytes) -> int | None:
    """The offset of the first character that cannot be in hex input, or None."""
    pos, match = 0, _HEX_TOKEN.match
    while pos < len(text):
        m = match(text, pos)
        if m is None:
            return pos
        pos = m.end()
    return None

