"""``packet decode`` input, the pieces every reader shares: sizes and limits, the
``DamagedInput`` error, reading and peeking at the input's chunks, and the byte patterns
(the OneShot header, zlib's first bytes, base64 text, a BOM) both detection and the readers
look for. Imports none of the other ``smscli.packet_input_*`` modules."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import BinaryIO

from smscli.errors import RejectedError

CHUNK_SIZE = 64 * 1024
SNIFF_SIZE = 64 * 1024  # at most this much of the input is looked at to tell its format
SNIFF_MIN = 32  # at least this much is waited for (unless the input ends sooner)
FORMATS = ("auto", "raw", "hex", "base64", "pcap")
MASK = "********"
SECRET_KEYS = ("BindPwd", "PrivateKey")
HEADER = b"Content-Length:"
_ZLIB_FIRST = 0x78
# Inflated text one decoder call returns, and one list of records holds, before it is
# handed on: parsed JSON takes up to ~30 times its text, and a few KB of zlib can carry it.
BATCH_TEXT = 1024 * 1024

Notes = Callable[[str], None]


class DamagedInput(RejectedError):
    """The input itself is damaged (a capture file cut short): raised after every record
    read before the damage was yielded (exit 1, like damaged frames)."""


def read_chunks(stream: BinaryIO, size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """The stream's bytes in chunks (``read1`` where there is one, so pipes flow)."""
    read = getattr(stream, "read1", stream.read)
    while True:
        chunk = read(size)
        if not chunk:
            return
        yield chunk


def peek(chunks: Iterator[bytes], size: int = SNIFF_MIN) -> tuple[bytes, bool, Iterator[bytes]]:
    """The first bytes of the input (at least ``size`` unless it ends sooner; more if the
    first chunk brings more), whether that is all of it, and an iterator over all chunks.
    Reads no more than needed, so a live stream is not held up."""
    head: list[bytes] = []
    have = 0
    ended = True
    for chunk in chunks:
        head.append(chunk)
        have += len(chunk)
        if have >= size:
            ended = False
            break
    first = b"".join(head)

    def again() -> Iterator[bytes]:
        if first:
            yield first
        yield from chunks

    return first, ended, again()



B64_TEXT = re.compile(rb"[A-Za-z0-9+/=\-_\s]+")
BOM = b"\xef\xbb\xbf"


def looks_zlib(data: bytes) -> bool:
    return len(data) >= 2 and data[0] == _ZLIB_FIRST and (data[0] << 8 | data[1]) % 31 == 0

