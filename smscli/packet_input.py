"""``packet decode`` input: detect the format, stream it, and turn it into frame records.

Formats: ``raw`` wire bytes (a TCP stream dump, many frames), ``hex`` as the OneShot
document prints packets (``Content-Length:N`` lines optional, any whitespace, ``[CR][LF]``
written out), ``base64`` of wire bytes, and ``pcap`` (pcap/pcapng captures; TCP streams
reassembled per connection and direction by ``smscli.capture``). Everything streams:
input is read in chunks and records are yielded as soon as their frame is complete.

A record is the JSON object of CONTRACT.md ``{"offset","length","method","header","body"}``
plus, when they apply, ``error`` (damaged frame), ``encrypted``/``note`` (string bodies),
and for captures ``connection``, ``direction``, ``src``, ``dst``, ``time``.

The work is split by stage: ``smscli.packet_input_base`` (sizes, ``DamagedInput``, reading
the input), ``_sniff`` (format detection), ``_text`` (hex and base64 text → bytes),
``_wire`` (bytes → frames), ``_records`` (frames → records) and ``_capture`` (pcap/pcapng,
imported only for a capture). This module is their entry: import from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from smscli.errors import UsageError
from smscli.packet_input_base import (
    BATCH_TEXT,
    CHUNK_SIZE,
    FORMATS,
    MASK,
    SECRET_KEYS,
    SNIFF_MIN,
    SNIFF_SIZE,
    DamagedInput,
    Notes,
    peek,
    read_chunks,
)
from smscli.packet_input_records import Batch, KeyMaterial, Session
from smscli.packet_input_sniff import sniff
from smscli.packet_input_text import Base64Text, HexText
from smscli.packet_input_wire import WireDecoder

__all__ = [
    "BATCH_TEXT",
    "CHUNK_SIZE",
    "FORMATS",
    "MASK",
    "SECRET_KEYS",
    "SNIFF_MIN",
    "SNIFF_SIZE",
    "Base64Text",
    "DamagedInput",
    "HexText",
    "KeyMaterial",
    "Notes",
    "Session",
    "WireDecoder",
    "decode_batches",
    "decode_records",
    "peek",
    "read_chunks",
    "sniff",
]


def decode_records(
    chunks: Iterable[bytes],
    fmt: str,
    *,
    keys: KeyMaterial | None = None,
    show_secrets: bool = False,
    ports: Iterable[int] = (),
    notes: Notes | None = None,
) -> Iterator[dict[str, Any]]:
    """Decode ``chunks`` of input in format ``fmt`` (``auto`` sniffs); yield records.
    A capture cut short raises :class:`DamagedInput` after the records read before the cut."""
    for batch in decode_batches(chunks, fmt, keys=keys, show_secrets=show_secrets, ports=ports, notes=notes):
        yield from batch


def decode_batches(
    chunks: Iterable[bytes],
    fmt: str,
    *,
    keys: KeyMaterial | None = None,
    show_secrets: bool = False,
    ports: Iterable[int] = (),
    notes: Notes | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Like ``decode_records``, but one list of records per piece of input (a chunk read,
    a captured packet): a consumer that writes each list at once keeps up with a live
    stream without paying per record."""
    head, complete, it = peek(iter(chunks))
    if not head:
        raise UsageError("the input is empty: there is nothing to decode",
                         hint="give a FILE, or pipe frames on stdin")
    if fmt == "auto":
        fmt = sniff(head, complete)
    elif fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint="use " + ", ".join(FORMATS))
    if fmt == "pcap":
        from smscli.packet_input_capture import capture_batches

        yield from capture_batches(it, keys, show_secrets, tuple(ports), notes or (lambda _m: None))
        return
    record = Session(keys, show_secrets).record
    wire = WireDecoder(max_output=BATCH_TEXT)
    text: HexText | Base64Text | None = None
    if fmt == "hex":
        text = HexText(notes)
    elif fmt == "base64":
        text = Base64Text()
    batch = Batch(record)
    for chunk in it:
        yield from batch.add(wire, text.feed(chunk) if text is not None else chunk)
        if batch.records:
            yield batch.take()
    if text is not None:
        yield from batch.add(wire, text.feed(b"", final=True))
    batch.extend(wire.close())
    if batch.records:
        yield batch.take()
