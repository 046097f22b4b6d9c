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
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

from smscli.errors import RejectedError, UsageError
from smscli.protocol.oneshot.frames import Damaged, FrameDecoder

CHUNK_SIZE = 64 * 1024
SNIFF_SIZE = 64 * 1024  # at most this much of the input is looked at to tell its format
SNIFF_MIN = 32  # at least this much is waited for (unless the input ends sooner)
FORMATS = ("auto", "raw", "hex", "base64", "pcap")
MASK = "********"
SECRET_KEYS = ("BindPwd", "PrivateKey")
_HEADER = b"Content-Length:"
_ZLIB_FIRST = 0x78
_MAX_BARE = 16 * 1024 * 1024  # bare zlib payload (no Content-Length line) size bound
_MAX_INFLATE = 64 * 1024 * 1024
_ONESHOT_SNIFF = 64 * 1024  # bytes of a capture stream searched for a OneShot header

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
    from smscli.capture import is_capture

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

    def feed(self, data: bytes, final: bool = False) -> bytes:
        buf = self._buf + data
        if self._line == 1 and buf.startswith(_BOM):
            buf = buf[len(_BOM):]
        out: list[bytes] = []
        digits: list[bytes] = []
        pos, match = 0, _HEX_TOKEN.match
        n = len(buf) if final else _complete_until(buf)
        while pos < n:
            m = match(buf, pos, n)
            if m is None:
                if not final and len(buf) - pos < 64:
                    break  # maybe "[CR]" cut by the chunk boundary
                self._bad(buf, pos)
            if m.group(3) is not None:
                digits.append(m.group(3))
            elif m.group(1) is not None:
                if m.end() == n and not final:
                    break  # more digits of the length may follow
                self._flush(digits, out, header_line=self._line + buf[:pos].count(b"\n"))
                out.append(b"Content-Length:%d\r\n" % int(m.group(2)))
            pos = m.end()
        self._line += buf[:pos].count(b"\n")
        self._buf = buf[pos:]
        self._flush(digits, out, header_line=self._line if final else None)
        if final and self._buf:
            self._bad(self._buf, 0)
        return b"".join(out)

    def _flush(self, digits: list[bytes], out: list[bytes], *, header_line: int | None) -> None:
        text = self._nibble + b"".join(digits)
        digits.clear()
        if len(text) % 2:
            text, self._nibble = text[:-1], text[-1:]
        else:
            self._nibble = b""
        if text:
            out.append(bytes.fromhex(text.decode("ascii")))
        if header_line is not None and self._nibble:
            if self._notes:
                self._notes(f"hex input: an odd number of hex digits before line {header_line}; "
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
        while buf:
            pad = buf.find(b"=")
            if pad < 0:
                cut = len(buf) if final else len(buf) // 4 * 4
            else:
                cut = pad
                while cut < len(buf) and buf[cut:cut + 1] == b"=":
                    cut += 1
                cut = max(cut, -(-pad // 4) * 4)
                if cut > len(buf) and not final:
                    break
            if not cut:
                break
            try:
                out.append(base64.b64decode(buf[:cut] + b"=" * (-cut % 4), altchars=b"-_"))
            except binascii.Error as err:
                raise UsageError(f"base64 input does not decode: {err}",
                                 hint="pass --format to read it as something else") from None
            buf = buf[cut:]
        self._buf = buf
        return b"".join(out)


# --------------------------------------------------------------------------- frames


class WireDecoder:
    """One byte stream → ``Frame | Damaged`` items whose offsets count from the stream's start.

    A stream normally holds ``Content-Length:N`` frames (the codec's ``FrameDecoder``);
    one that starts with a zlib header holds bare payloads, as the document prints its
    "압축된 Json 문자열", and is split where each zlib stream ends. ``gap(n)`` says that
    ``n`` bytes of the stream are missing (a capture that lost them): the frame in
    progress is reported damaged and decoding resyncs after the hole.
    """

    def __init__(self) -> None:
        self._dec: FrameDecoder | None = None
        self._bare: _Bare | None = None
        self._base = 0  # stream offset of the current decoder's first byte
        self._pos = 0  # stream offset of the next byte fed
        self._hold = b""

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
            self._bare = _Bare(start)
            return self._undecided(buf, final=final)
        return self._framed(start, buf, final)

    def _framed(self, start: int, data: bytes, final: bool) -> list[Any]:
        self._dec = FrameDecoder()
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


class _Bare:
    """Consecutive zlib payloads with no ``Content-Length`` lines, split by zlib itself."""

    def __init__(self, pos: int) -> None:
        self.pos = pos  # stream offset of buf[0]
        self.buf = b""
        self.rest: bytes | None = None  # set when a Content-Length line takes over

    def feed(self, data: bytes, final: bool) -> list[Any]:
        import dataclasses

        self.buf += data
        out: list[Any] = []
        while self.buf:
            buf = self.buf
            if buf.startswith(_HEADER):
                self.rest, self.buf = buf, b""
                return out
            if len(buf) < len(_HEADER) and _HEADER.startswith(buf) and not final:
                return out
            z = zlib.decompressobj()
            try:
                inflated = z.decompress(buf, _MAX_INFLATE)
            except zlib.error as err:
                cut = _next_start(buf)
                if cut is None and not final and len(buf) < _MAX_BARE:
                    return out
                cut = cut or len(buf)
                out.append(Damaged(self.pos, cut, f"not a zlib stream ({err})"))
                self._advance(cut)
                continue
            if not z.eof:
                if len(inflated) >= _MAX_INFLATE or len(buf) >= _MAX_BARE or final:
                    reason = ("truncated: the payload ends before its zlib stream does" if final
                              else "the payload is too large")
                    out.append(Damaged(self.pos, len(buf), reason))
                    self._advance(len(buf))
                    continue
                return out
            size = len(buf) - len(z.unused_data)
            dec = FrameDecoder()
            for it in dec.feed(b"Content-Length:%d\r\n" % size + buf[:size]) + dec.close():
                out.append(dataclasses.replace(it, offset=self.pos, length=size))
            self._advance(size)
        return out

    def _advance(self, n: int) -> None:
        self.buf = self.buf[n:]
        self.pos += n


def _next_start(buf: bytes) -> int | None:
    """Where the next payload or Content-Length line may start in ``buf`` (after byte 0)."""
    found = [i for i in (buf.find(b"\x78\xda", 1), buf.find(_HEADER, 1)) if i > 0]
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
    wire = WireDecoder()
    text: HexText | Base64Text | None = None
    if fmt == "hex":
        text = HexText(notes)
    elif fmt == "base64":
        text = Base64Text()
    feed = wire.feed
    for chunk in it:
        items = feed(text.feed(chunk) if text is not None else chunk)
        if items:
            yield [record(item) for item in items]
    tail = feed(text.feed(b"", final=True)) if text is not None else []
    tail += wire.close()
    if tail:
        yield [record(item) for item in tail]


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
        self.decoder = WireDecoder()


_ONESHOT_HEADER = re.compile(rb"Content-Length:\d{1,10}\r\n")


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
                batch = tracker.handle(events, pkt.ts)
                if batch:
                    yield batch
        batch = tracker.handle(reasm.finish(), None)
        if batch:
            yield batch
    except CaptureError as err:
        raise UsageError(f"cannot read the capture: {err}", hint="is it a pcap or pcapng file?") from None
    for note in reader.notes:
        notes(note)
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
    """

    def __init__(self, keys: KeyMaterial | None, show_secrets: bool, *, forced: bool, notes: Notes) -> None:
        self.keys, self.show_secrets, self.forced, self.notes = keys, show_secrets, forced, notes
        self.oneshot = 0

    def handle(self, events: list[Any], ts: float | None) -> list[dict[str, Any]]:
        from smscli.capture import Data, End, Gap

        out: list[dict[str, Any]] = []
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
                _feed(stream, conv, item, ts, out)
                continue
            side: _Side = stream.state
            side.held.append(item)
            if isinstance(ev, Data):
                side.held_bytes += len(ev.data)
            verdict = _classify(stream, side, isinstance(ev, End))
            other = conn.to_client if stream is conn.to_server else conn.to_server
            if verdict == "other" and other.state.held and _classify(other, other.state, True) == "oneshot":
                verdict = "oneshot"
            if verdict == "unknown":
                continue
            conv.kind = verdict
            if verdict == "other":
                self.notes(f"connection {conn.number} ({conn.label}) does not carry OneShot frames; "
                           "skipped (use --port to decode it anyway)")
                side.held = other.state.held = []
                continue
            self.oneshot += 1
            for held_stream in (conn.to_server, conn.to_client):
                held, held_stream.state.held = held_stream.state.held, []
                for held_item in held:
                    _feed(held_stream, conv, held_item, ts, out)
        return out


def _classify(stream: Any, side: _Side, ended: bool) -> str:
    """``oneshot`` / ``other`` / ``unknown`` (not enough bytes yet) for one direction."""
    data = b"".join(p for kind, _, p in side.held if kind == "data")
    if stream.from_syn and side.held and side.held[0][0] == "data" and side.held[0][1] == 0:
        if len(data) >= len(_HEADER) + 1 or ended:
            ok = data.startswith(_HEADER) and data[len(_HEADER):len(_HEADER) + 1].isdigit()
            return "oneshot" if ok else "other"
        return "unknown"
    if _ONESHOT_HEADER.search(data):
        return "oneshot"
    if ended or side.held_bytes >= _ONESHOT_SNIFF:
        return "other" if data or ended else "unknown"
    return "unknown"


def _feed(stream: Any, conv: _Conv, item: tuple[str, int, Any], ts: float | None,
          out: list[dict[str, Any]]) -> None:
    kind, _, payload = item
    decoder: WireDecoder = stream.state.decoder
    if kind == "data":
        items = decoder.feed(payload)
    elif kind == "gap":
        items = decoder.gap(payload)
    else:
        items = decoder.close()
    if not items:
        return
    conn = stream.conn
    extra = {"connection": conn.number, "direction": stream.direction, "src": stream.src, "dst": stream.dst}
    if ts:
        extra["time"] = datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    record = conv.session.record
    for it in items:
        rec = record(it)
        rec.update(extra)
        out.append(rec)
