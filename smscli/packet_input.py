"""``packet decode`` input: detect the format, stream it, and turn it into frame records.

Formats: ``raw`` wire bytes (a TCP stream dump, many frames), ``hex`` as the OneShot
document prints packets (``Content-Length:N`` lines optional, any whitespace, ``[CR][LF]``
written out), ``base64`` of wire bytes, and ``pcap`` (pcap/pcapng captures; TCP streams
reassembled per connection and direction by ``smscli.capture``). Everything streams:
input is read in chunks and records are yielded as soon as their frame is complete.

A record is the JSON object of CONTRACT.md ``{"offset","length","method","header","body"}``
plus, when they apply, ``error`` (damaged frame), ``encrypted``/``note`` (string bodies),
and for captures ``connection``, ``direction``, ``src``, ``dst``, ``time``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

from smscli.errors import RejectedError, UsageError
from smscli.protocol.oneshot.errors import OneShotError
from smscli.protocol.oneshot.frames import (
    DEFAULT_LIMITS,
    TOO_LARGE,
    ZLIB_ERROR,
    ZLIB_STATE,
    Damaged,
    FrameDecoder,
    Inflater,
    Limits,
    ResyncWork,
    frame_from_text,
    size_text,
)

CHUNK_SIZE = 64 * 1024
SNIFF_SIZE = 64 * 1024  # at most this much of the input is looked at to tell its format
SNIFF_MIN = 32  # at least this much is waited for (unless the input ends sooner)
FORMATS = ("auto", "raw", "hex", "base64", "pcap")
MASK = "********"
SECRET_KEYS = ("BindPwd", "PrivateKey")
_HEADER = b"Content-Length:"
_ZLIB_FIRST = 0x78
_ONESHOT_SNIFF = 64 * 1024  # bytes of a capture stream searched for a OneShot header
# Inflated text one decoder call returns, and one list of records holds, before it is
# handed on: parsed JSON takes up to ~30 times its text, and a few KB of zlib can carry it.
BATCH_TEXT = 1024 * 1024
CAPTURE_BUDGET = 48 * 1024 * 1024  # bytes all of a capture's decoders may hold together

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


# --------------------------------------------------------------------------- detection

_TEXT_BYTES = frozenset(range(0x20, 0x7F)) | frozenset(b"\t\r\n\f\v")
_HEX_TOKEN = re.compile(
    rb"(content-length[ \t]*:[ \t]*(\d+))|([0-9a-f]+)|(\s+|\[cr\]|\[lf\])", re.IGNORECASE
)
# The same tokens, a header taking the blanks after it (one token per Content-Length line).
_HEX_FEED = re.compile(
    rb"(content-length[ \t]*:[ \t]*(\d+)(?:\s+|\[cr\]|\[lf\])*)|([0-9a-f]+)|(\s+|\[cr\]|\[lf\])",
    re.IGNORECASE,
)
_B64_TEXT = re.compile(rb"[A-Za-z0-9+/=\-_\s]+")
_BOM = b"\xef\xbb\xbf"


def _is_text(data: bytes) -> bool:
    return all(b in _TEXT_BYTES for b in data)


def _looks_zlib(data: bytes) -> bool:
    return len(data) >= 2 and data[0] == _ZLIB_FIRST and (data[0] << 8 | data[1]) % 31 == 0


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
    text = head[len(_BOM):] if head.startswith(_BOM) else head
    binary = not _is_text(text)
    if binary and (_HEADER in head or _looks_zlib(head)):
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
    if _B64_TEXT.fullmatch(sample):
        start = re.sub(rb"\s+", b"", sample[:200])[:20]
        try:
            lead = base64.b64decode(start[: len(start) // 4 * 4] + b"==", altchars=b"-_")
        except binascii.Error:
            lead = b""
        if lead.startswith(_HEADER) or _looks_zlib(lead):
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


# --------------------------------------------------------------------------- text formats


class HexText:
    """Hex text as the document prints it → the wire bytes it stands for.

    ``Content-Length:N`` lines become ``Content-Length:N\\r\\n``; hex digits become bytes
    across line breaks; whitespace and a written-out ``[CR][LF]`` are skipped.
    """

    def __init__(self, notes: Notes | None = None) -> None:
        self._buf = b""
        self._nibble = b""
        self._line = 1
        self._notes = notes
        self._long_length = False  # inside the digits of a Content-Length too long to be one

    def feed(self, data: bytes, final: bool = False) -> bytes:
        buf = self._buf + data
        if self._line == 1 and buf.startswith(_BOM):
            buf = buf[len(_BOM):]
        out: list[bytes] = []
        digits: list[bytes] = []
        pos, match = 0, _HEX_FEED.match
        if self._long_length:
            pos = _DIGITS.match(buf).end()
            self._long_length = pos == len(buf) and not final
        n = len(buf) if final else _complete_until(buf)
        while pos < n:
            m = match(buf, pos, n)
            if m is None:
                if not final and len(buf) - pos < 64:
                    break  # maybe "[CR]" cut by the chunk boundary
                self._bad(buf, pos)
            kind = m.lastindex
            if kind == 3:
                digits.append(m.group(3))
            elif kind == 1:
                number = m.group(2)
                if m.end(2) == n and not final and len(number) <= _MAX_DIGITS:
                    break  # more digits of the length may follow
                if digits or self._nibble:
                    self._flush(digits, out, at=(buf, pos))
                if len(number) > _MAX_DIGITS:  # no frame is that long: the decoder says so
                    out.append(b"Content-Length:" + number[:_MAX_DIGITS + 1])
                    self._long_length = m.end() == n and not final
                else:
                    out.append(b"Content-Length:%d\r\n" % int(number))
            pos = m.end()
        self._line += buf.count(b"\n", 0, pos)
        self._buf = buf[pos:]
        self._flush(digits, out, at=(b"", 0) if final else None)
        if final and self._buf:
            self._bad(self._buf, 0)
        return b"".join(out)

    def _flush(self, digits: list[bytes], out: list[bytes], *, at: tuple[bytes, int] | None) -> None:
        """Hex digits so far → bytes; ``at``: (buffer, offset) of the header that ends them."""
        text = self._nibble + b"".join(digits)
        digits.clear()
        if len(text) % 2:
            text, self._nibble = text[:-1], text[-1:]
        else:
            self._nibble = b""
        if text:
            out.append(bytes.fromhex(text.decode("ascii")))
        if at is not None and self._nibble:
            if self._notes:
                line = self._line + at[0].count(b"\n", 0, at[1])
                self._notes(f"hex input: an odd number of hex digits before line {line}; "
                            "the last digit is ignored")
            self._nibble = b""

    def _bad(self, buf: bytes, pos: int) -> None:
        line = self._line + buf[:pos].count(b"\n")
        raw = buf[pos:pos + 20].split(b"\n")[0]
        try:
            what = repr(raw.decode("utf-8"))
            if not what[1:-1].isprintable():
                raise ValueError
        except ValueError:
            what = "bytes " + raw[:8].hex(" ")
        raise UsageError(
            f"hex input, line {line}: unexpected {what}",
            hint="hex input holds hex digits, whitespace and Content-Length:N lines",
        )


_WORD = b"content-length"
_DIGITS = re.compile(rb"[0-9]*")
_MAX_DIGITS = 10  # the most a frame header's length has
_HEADER_REST = re.compile(rb"[ \t]*(?::[ \t]*)?")


def _complete_until(buf: bytes) -> int:
    """Where a chunk's complete tokens end: an unfinished ``Content-Length`` waits."""
    i = max(buf.rfind(b"C", -40), buf.rfind(b"c", -40))
    if i < 0:
        return len(buf)
    tail = buf[i:].lower()
    if _WORD.startswith(tail) or (tail.startswith(_WORD) and _HEADER_REST.fullmatch(tail, len(_WORD))):
        return i
    return len(buf)


class Base64Text:
    """Base64 text (line-wrapped, or one padded block per line) → bytes."""

    def __init__(self) -> None:
        self._buf = b""
        self._line = 1

    def feed(self, data: bytes, final: bool = False) -> bytes:
        if not _B64_TEXT.fullmatch(data) and data:
            bad = re.search(rb"[^A-Za-z0-9+/=\-_\s]", data)
            assert bad is not None
            line = self._line + data[:bad.start()].count(b"\n")
            raise UsageError(f"base64 input, line {line}: unexpected {data[bad.start():bad.start() + 1]!r}",
                             hint="pass --format to read it as something else")
        self._line += data.count(b"\n")
        buf = self._buf + re.sub(rb"\s+", b"", data)
        out: list[bytes] = []
        start, end = 0, len(buf)
        while start < end:
            pad = buf.find(b"=", start)
            if pad < 0:
                cut = end if final else start + (end - start) // 4 * 4
            else:
                cut = pad
                while cut < end and buf[cut] == 0x3D:  # "="
                    cut += 1
                cut = max(cut, start + -(-(pad - start) // 4) * 4)
                if cut > end and not final:
                    break
            if cut <= start:
                break
            piece = buf[start:cut]
            try:
                out.append(base64.b64decode(piece + b"=" * (-(cut - start) % 4), altchars=b"-_"))
            except binascii.Error as err:
                raise UsageError(f"base64 input does not decode: {err}",
                                 hint="pass --format to read it as something else") from None
            start = cut
        self._buf = buf[start:]
        return b"".join(out)


# --------------------------------------------------------------------------- frames


class WireDecoder:
    """One byte stream → ``Frame | Damaged`` items whose offsets count from the stream's start.

    A stream normally holds ``Content-Length:N`` frames (the codec's ``FrameDecoder``);
    one that starts with a zlib header holds bare payloads, as the document prints its
    "압축된 Json 문자열", and is split where each zlib stream ends. ``gap(n)`` says that
    ``n`` bytes of the stream are missing (a capture that lost them): the frame in
    progress is reported damaged and decoding resyncs after the hole. ``limits`` bound
    what one frame may take (the codec's ``Limits``); ``held`` is what is held now, and
    ``shed(reason)`` gives up the frame in progress (a caller over its memory budget).
    """

    def __init__(self, limits: Limits = DEFAULT_LIMITS, max_output: int | None = None) -> None:
        self.limits = limits
        self.max_output = max_output  # see FrameDecoder: then ``backlog`` and ``feed(b"")``
        self._dec: FrameDecoder | None = None
        self._bare: _Bare | None = None
        self._base = 0  # stream offset of the current decoder's first byte
        self._pos = 0  # stream offset of the next byte fed
        self._hold = b""

    @property
    def backlog(self) -> bool:
        """The last feed stopped at ``max_output``: ``feed(b"")`` returns more."""
        if self._dec is not None:
            return self._dec.backlog
        return self._bare is not None and self._bare.backlog

    @property
    def held(self) -> int:
        if self._dec is not None:
            return self._dec.held
        return self._bare.held if self._bare is not None else len(self._hold)

    def shed(self, reason: str) -> None:
        if self._dec is not None:
            self._dec.shed(reason)
        elif self._bare is not None:
            self._bare.shed(reason)

    def feed(self, data: bytes) -> list[Any]:
        self._pos += len(data)
        if self._dec is not None:
            items = self._dec.feed(data)
            return _shift(items, self._base) if self._base and items else items
        return self._undecided(data, final=False)

    def gap(self, size: int) -> list[Any]:
        out = self.close()
        self._dec = self._bare = None
        self._pos += size
        self._base = self._pos
        return out

    def close(self) -> list[Any]:
        if self._dec is None:
            return self._undecided(b"", final=True)
        return _shift(self._dec.close(), self._base)

    def _undecided(self, data: bytes, *, final: bool) -> list[Any]:
        if self._bare is not None:
            items = self._bare.feed(data, final)
            if self._bare.rest is not None:  # a Content-Length line after bare payloads
                rest, start = self._bare.rest, self._bare.pos
                self._bare = None
                return items + self._framed(start, rest, final)
            return items
        buf = self._hold + data
        if len(buf) < 2 and not final:
            self._hold = buf
            return []
        self._hold = b""
        if not buf:
            return []
        start = self._pos - len(buf)
        if _looks_zlib(buf):
            self._bare = _Bare(start, self.limits, self.max_output)
            return self._undecided(buf, final=final)
        return self._framed(start, buf, final)

    def _framed(self, start: int, data: bytes, final: bool) -> list[Any]:
        self._dec = FrameDecoder(limits=self.limits, max_output=self.max_output)
        self._base = start
        items = self._dec.feed(data)
        if final:
            items += self._dec.close()
        return _shift(items, start)


def _shift(items: list[Any], base: int) -> list[Any]:
    if not base:
        return items
    import dataclasses

    return [dataclasses.replace(it, offset=it.offset + base) for it in items]


_NOT_ZLIB = "not a zlib stream"
_KEEP = len(_HEADER) - 1  # bytes kept while looking for the next start: it may be cut


class _Bare:
    """Consecutive zlib payloads with no ``Content-Length`` lines, split by zlib itself.

    Each payload is inflated as it arrives, within the same limits as a frame's (at most
    ``max_frame`` bytes, inflating to at most ``max_decompressed``); one that fails is a
    damaged stretch up to the next zlib header or ``Content-Length`` line.
    """

    def __init__(self, pos: int, limits: Limits, max_output: int | None = None) -> None:
        self.max_output = max_output
        self.backlog = False
        self.pos = pos  # stream offset of buf[0]
        self.buf = bytearray()
        self.rest: bytes | None = None  # set when a Content-Length line takes over
        self.limits = limits
        self._work = ResyncWork(limits.resync_slack, limits.inflate_step)
        self._inflater: Inflater | None = None  # the payload that starts at buf[0]
        self._junk_at: int | None = None  # stream offset where a damaged stretch began
        self._junk_reason = ""
        self._search = 1  # where to look for the next start while in a damaged stretch

    @property
    def held(self) -> int:
        inflater = self._inflater
        return len(self.buf) + (inflater.size + ZLIB_STATE if inflater is not None else 0)

    def shed(self, reason: str) -> None:
        if self._inflater is None:
            return
        self._inflater = None
        self._junk_at, self._junk_reason = self.pos, reason
        drop = max(len(self.buf) - _KEEP, 0)
        self._advance(drop)
        self._search = 0 if drop else 1

    def feed(self, data: bytes, final: bool) -> list[Any]:
        self.buf += data
        out: list[Any] = []
        limits = self.limits
        self.backlog = False
        budget = None if final else self.max_output
        made = 0
        while True:
            buf = self.buf
            if self._junk_at is not None:
                cut = _next_start(buf, self._search)
                if cut is None:
                    if final:
                        out.append(Damaged(self._junk_at, self.pos + len(buf) - self._junk_at,
                                           self._junk_reason))
                        self._junk_at = None
                        self._advance(len(buf))
                        return out
                    drop = max(len(buf) - _KEEP, 0)
                    self._search = max(self._search, len(buf) - _KEEP) - drop
                    self._advance(drop)
                    return out
                out.append(Damaged(self._junk_at, self.pos + cut - self._junk_at, self._junk_reason))
                self._junk_at = None
                self._advance(cut)
                continue
            if not buf:
                return out
            inflater = self._inflater
            if inflater is None:
                if budget is not None and made >= budget:
                    self.backlog = True
                    return out
                if buf.startswith(_HEADER):
                    self.rest, self.buf = bytes(buf), bytearray()
                    return out
                if len(buf) < len(_HEADER) and _HEADER.startswith(buf) and not final:
                    return out
                inflater = Inflater(self.pos, limits.max_frame, limits.max_decompressed, self._work)
                self._inflater = inflater
            try:
                upto = min(len(buf), limits.max_frame)
                if upto > inflater.fed:
                    inflater.feed(bytes(buf[inflater.fed:upto]))
                if not inflater.eof:
                    if inflater.fed >= limits.max_frame:
                        raise OneShotError(f"{TOO_LARGE}: its zlib stream runs past "
                                           f"{size_text(limits.max_frame)}")
                    if not final:
                        return out
                    out.append(Damaged(self.pos, len(buf),
                                       "truncated: the payload ends before its zlib stream does"))
                    self._inflater = None
                    self._advance(len(buf))
                    return out
            except OneShotError as err:
                inflater.failed()
                self._inflater = None
                reason = str(err)
                if reason.startswith(ZLIB_ERROR + ": "):
                    reason = f"{_NOT_ZLIB} ({reason[len(ZLIB_ERROR) + 2:]})"
                self._junk_at, self._junk_reason, self._search = self.pos, reason, 1
                continue
            self._inflater = None
            size = inflater.fed
            made += inflater.size
            try:
                out.append(frame_from_text(self.pos, size, inflater.text(), limits))
            except OneShotError as err:
                out.append(Damaged(self.pos, size, str(err)))
            self._advance(size)

    def _advance(self, n: int) -> None:
        if n:
            del self.buf[:n]
            self.pos += n


def _next_start(buf: bytes | bytearray, start: int) -> int | None:
    """Where the next payload or Content-Length line may start in ``buf`` (from ``start``)."""
    found = [i for i in (buf.find(b"\x78\xda", start), buf.find(_HEADER, start)) if i >= 0]
    return min(found) if found else None


# --------------------------------------------------------------------------- records


class KeyMaterial:
    """The configured AES key and IV (either may be missing) and where they came from."""

    def __init__(self, key: bytes | None, iv: bytes | None, source: str = "") -> None:
        self.key, self.iv, self.source = key, iv, source


class Session:
    """Turns frames of one conversation into records: decrypts, masks, follows session keys.

    After a ``PrivateKeyRes`` that names a session key, bodies are decrypted with that
    key first (and the configured one as a fallback).
    """

    def __init__(self, keys: KeyMaterial | None, show_secrets: bool = False) -> None:
        self.keys = keys
        self.show_secrets = show_secrets
        self._ciphers: list[tuple[str, Any]] | None = None
        self._session: tuple[str, Any] | None = None

    def record(self, item: Any) -> dict[str, Any]:
        if type(item) is Damaged:
            return {"offset": item.offset, "length": item.length, "method": None, "header": None,
                    "body": None, "error": item.reason}
        method = item.method
        body = item.body
        rec: dict[str, Any] = {"offset": item.offset, "length": item.length, "method": method,
                               "header": item.header, "body": body}
        if type(body) is str:
            body = self._decrypt(rec, body)
        if type(body) is dict:
            if method == "PrivateKeyRes":
                self._learn_session_key(body)
            if not self.show_secrets:
                for key in SECRET_KEYS:
                    if key in body:
                        body = {**body, key: MASK}
            rec["body"] = body
        return rec

    def _decrypt(self, rec: dict[str, Any], text: str) -> Any:
        rec["encrypted"] = True
        ciphers = self._all_ciphers()
        if not ciphers:
            rec["note"] = ("encrypted body: pass --key and --iv, or set aes_key and aes_iv in the "
                           "profile, to read it")
            return text
        from smscli.protocol.oneshot.errors import OneShotError

        reasons = []
        for label, cipher in ciphers:
            try:
                return cipher.decrypt(text)
            except OneShotError as err:
                reasons.append(f"{label}: {err}")
        rec["error"] = "the body does not decrypt (" + "; ".join(reasons) + ")"
        return text

    def _all_ciphers(self) -> list[tuple[str, Any]]:
        if self._ciphers is None:
            self._ciphers = []
            keys = self.keys
            if keys is not None and keys.key is not None and keys.iv is not None:
                from smscli.protocol.oneshot.crypto import BodyCipher

                self._ciphers.append((f"key from {keys.source}", BodyCipher(keys.key, keys.iv)))
        return [self._session, *self._ciphers] if self._session else self._ciphers

    def _learn_session_key(self, body: dict[str, Any]) -> None:
        secret = body.get("PrivateKey")
        keys = self.keys
        if not isinstance(secret, str) or not secret or keys is None or keys.iv is None:
            return
        from smscli.protocol.oneshot.crypto import BodyCipher, parse_key_material
        from smscli.protocol.oneshot.errors import OneShotError

        try:
            self._session = ("session key from PrivateKeyRes",
                             BodyCipher(parse_key_material(secret), keys.iv))
        except OneShotError:
            self._session = None


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
        yield from _capture_batches(it, keys, show_secrets, tuple(ports), notes or (lambda _m: None))
        return
    record = Session(keys, show_secrets).record
    wire = WireDecoder(max_output=BATCH_TEXT)
    text: HexText | Base64Text | None = None
    if fmt == "hex":
        text = HexText(notes)
    elif fmt == "base64":
        text = Base64Text()
    batch = _Batch(record)
    for chunk in it:
        yield from batch.add(wire, text.feed(chunk) if text is not None else chunk)
        if batch.records:
            yield batch.take()
    if text is not None:
        yield from batch.add(wire, text.feed(b"", final=True))
    batch.extend(wire.close())
    if batch.records:
        yield batch.take()


class _Batch:
    """Records made from decoder items, handed on in lists: one per piece of input as a
    rule, sooner when the frames in it inflated to more than ``BATCH_TEXT`` bytes (the
    decoders stop there too, so one call never completes more)."""

    def __init__(self, record: Callable[[Any], dict[str, Any]]) -> None:
        self.record = record
        self.records: list[dict[str, Any]] = []
        self.text = 0

    def add(self, wire: WireDecoder, data: bytes,
            extra: Callable[[], dict[str, Any]] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Feed ``data`` to ``wire``; yield the lists that fill up meanwhile. ``extra``
        makes the keys added to each record (called only when there are records)."""
        items = wire.feed(data)
        while True:
            self.extend(items, extra)
            if self.text >= BATCH_TEXT:
                yield self.take()
            if not wire.backlog:
                return
            items = wire.feed(b"")

    def extend(self, items: list[Any], extra: Callable[[], dict[str, Any]] | None = None) -> None:
        if not items:
            return
        record, out = self.record, self.records
        more = extra() if extra is not None else None
        for item in items:
            rec = record(item)
            if more:
                rec.update(more)
            out.append(rec)
            if type(item) is not Damaged:
                self.text += len(item.payload)

    def take(self) -> list[dict[str, Any]]:
        out, self.records, self.text = self.records, [], 0
        return out


# --------------------------------------------------------------------------- captures


class _Conv:
    """Per-connection state: is it OneShot, and its key session."""

    def __init__(self, session: Session, forced: bool) -> None:
        self.session = session
        self.kind = "oneshot" if forced else "unknown"


class _Side:
    """Per-direction state: bytes held while the connection is unclassified, and a decoder."""

    def __init__(self) -> None:
        self.held: list[tuple[str, int, bytes]] = []  # ("data", offset, bytes) / ("gap", offset, size)
        self.held_bytes = 0
        self.sniff = bytearray()  # the held data, joined, for _classify
        self.searched = 0  # sniff[:searched] holds no OneShot header
        self.decoder = WireDecoder(max_output=BATCH_TEXT)


_ONESHOT_HEADER = re.compile(rb"Content-Length:\d{1,10}\r\n")
_HEADER_SPAN = len(_HEADER) + 12  # the most bytes of a header a previous search saw cut


def _capture_batches(
    chunks: Iterator[bytes],
    keys: KeyMaterial | None,
    show_secrets: bool,
    ports: tuple[int, ...],
    notes: Notes,
) -> Iterator[list[dict[str, Any]]]:
    from smscli.capture import CaptureError, CaptureReader, Fragment, Reassembler, parse_tcp

    reader = CaptureReader(chunks)
    reasm = Reassembler(server_ports=ports)
    port_set = frozenset(ports)
    tracker = _Tracker(keys, show_secrets, forced=bool(port_set), notes=notes)
    tcp = fragments = 0
    try:
        for pkt in reader:
            try:
                seg = parse_tcp(pkt.linktype, pkt.data)
            except Fragment:
                fragments += 1
                continue
            if seg is None or (port_set and seg.sport not in port_set and seg.dport not in port_set):
                continue
            tcp += 1
            events = reasm.add(seg)
            if events:
                yield from tracker.handle(events, pkt.ts)
        yield from tracker.handle(reasm.finish(), None)
    except CaptureError as err:
        raise UsageError(f"cannot read the capture: {err}", hint="is it a pcap or pcapng file?") from None
    for note in reader.notes:
        notes(note)
    if reasm.evicted:
        notes(f"{reasm.evicted} connections were ended early: more than {reasm.max_connections} "
              "were open at once (a later packet of one starts a new connection)")
    if fragments:
        notes(f"{fragments} IP fragments skipped (fragmented IP is not reassembled)")
    if reader.truncated:
        raise DamagedInput(reader.truncated)
    if not tcp:
        where = f" on port {', '.join(map(str, ports))}" if ports else ""
        notes(f"the capture holds no TCP segments{where} ({reader.packets} packets read)")
    elif not tracker.oneshot:
        notes("no connection in the capture carries OneShot frames"
              + ("" if ports else " (use --port to decode one anyway)"))


class _Tracker:
    """Routes reassembled stream events to per-direction decoders.

    Without ``forced`` (``--port``), a connection's bytes are held until it shows
    OneShot frames (``_classify``); connections that do not are skipped with a note.
    What all directions hold together (bytes waiting to be classified, frames in
    progress) stays under ``budget``: past it, the direction that has waited longest
    gives up (its frame in progress is reported damaged; an unclassified connection is
    skipped).
    """

    def __init__(self, keys: KeyMaterial | None, show_secrets: bool, *, forced: bool, notes: Notes,
                 budget: int | None = None) -> None:
        self.keys, self.show_secrets, self.forced, self.notes = keys, show_secrets, forced, notes
        self.oneshot = 0
        self.budget = CAPTURE_BUDGET if budget is None else budget
        self._holding: dict[Any, int] = {}  # stream → bytes its side holds, least recent first
        self._total = 0
        self._batch: _Batch | None = None

    def handle(self, events: list[Any], ts: float | None) -> Iterator[list[dict[str, Any]]]:
        """Yield the records the events complete (one list, or more when they are large)."""
        from smscli.capture import Data, End, Gap

        batch = _Batch(lambda _it: {})
        for ev in events:
            stream = ev.stream
            conn = stream.conn
            if conn.state is None:
                conn.state = _Conv(Session(self.keys, self.show_secrets), self.forced)
                conn.to_server.state, conn.to_client.state = _Side(), _Side()
            conv: _Conv = conn.state
            if conv.kind == "other":
                continue
            if isinstance(ev, Data):
                item = ("data", ev.offset, ev.data)
            elif isinstance(ev, Gap):
                item = ("gap", ev.offset, ev.size)
                self.notes(f"connection {conn.number} {stream.direction}: {ev.size} bytes missing from the "
                           f"capture at stream offset {ev.offset}; frames there are reported damaged")
            else:
                item = ("end", 0, b"")
            if conv.kind == "oneshot":
                yield from self._feed(stream, conv, item, ts, batch)
                continue
            side: _Side = stream.state
            side.held.append(item)
            if isinstance(ev, Data):
                side.held_bytes += len(ev.data)
                side.sniff += ev.data
            verdict = _classify(stream, side, isinstance(ev, End))
            other = conn.to_client if stream is conn.to_server else conn.to_server
            if verdict == "other" and other.state.held and _classify(other, other.state, True) == "oneshot":
                verdict = "oneshot"
            if verdict == "unknown":
                self._account(stream, side.held_bytes)
                continue
            conv.kind = verdict
            if verdict == "other":
                self.notes(f"connection {conn.number} ({conn.label}) does not carry OneShot frames; "
                           "skipped (use --port to decode it anyway)")
                self._unhold(conn)
                continue
            self.oneshot += 1
            for held_stream in (conn.to_server, conn.to_client):
                held, held_stream.state.held = held_stream.state.held, []
                held_stream.state.held_bytes, held_stream.state.sniff = 0, bytearray()
                self._account(held_stream, 0)
                for held_item in held:
                    yield from self._feed(held_stream, conv, held_item, ts, batch)
        if batch.records:
            yield batch.take()

    def _feed(self, stream: Any, conv: _Conv, item: tuple[str, int, Any], ts: float | None,
              batch: _Batch) -> Iterator[list[dict[str, Any]]]:
        kind, _, payload = item
        decoder: WireDecoder = stream.state.decoder

        def extra() -> dict[str, Any]:
            conn = stream.conn
            more = {"connection": conn.number, "direction": stream.direction, "src": stream.src,
                    "dst": stream.dst}
            if ts:
                more["time"] = datetime.fromtimestamp(ts, UTC).isoformat(
                    timespec="microseconds").replace("+00:00", "Z")
            return more

        batch.record = conv.session.record
        if kind == "data":
            yield from batch.add(decoder, payload, extra)
        else:
            batch.extend(decoder.gap(payload) if kind == "gap" else decoder.close(), extra)
        self._account(stream, decoder.held)

    def _account(self, stream: Any, held: int) -> None:
        """``stream``'s side now holds ``held`` bytes; past the budget, make room."""
        holding = self._holding
        self._total += held - holding.pop(stream, 0)
        if held:
            holding[stream] = held  # now the most recent
        for _ in range(len(holding)):
            if self._total <= self.budget:
                return
            oldest = next(iter(holding))
            conv: _Conv = oldest.conn.state
            if conv.kind != "oneshot":
                conv.kind = "other"
                conn = oldest.conn
                self.notes(f"connection {conn.number} ({conn.label}) showed no OneShot frame before "
                           f"the capture's connections held {size_text(self.budget)}; skipped "
                           "(use --port to decode it anyway)")
                self._unhold(conn)
                continue
            decoder: WireDecoder = oldest.state.decoder
            decoder.shed(f"dropped: the capture's connections held more than {size_text(self.budget)}")
            self._total += decoder.held - holding.pop(oldest)
            if decoder.held:  # what it still holds counts, last in line
                holding[oldest] = decoder.held

    def _unhold(self, conn: Any) -> None:
        for st in (conn.to_server, conn.to_client):
            side: _Side = st.state
            side.held, side.held_bytes, side.sniff = [], 0, bytearray()
            self._total -= self._holding.pop(st, 0)


def _classify(stream: Any, side: _Side, ended: bool) -> str:
    """``oneshot`` / ``other`` / ``unknown`` (not enough bytes yet) for one direction."""
    data = side.sniff
    if stream.from_syn and side.held and side.held[0][0] == "data" and side.held[0][1] == 0:
        if len(data) >= len(_HEADER) + 1 or ended:
            ok = data.startswith(_HEADER) and data[len(_HEADER):len(_HEADER) + 1].isdigit()
            return "oneshot" if ok else "other"
        return "unknown"
    if _ONESHOT_HEADER.search(data, max(side.searched - _HEADER_SPAN, 0)):
        return "oneshot"
    side.searched = len(data)
    if ended or side.held_bytes >= _ONESHOT_SNIFF:
        return "other" if data or ended else "unknown"
    return "unknown"
