"""``packet decode`` input, the text formats: ``HexText`` (hex as the OneShot document
prints packets) and ``Base64Text``, each turning its text into the wire bytes it stands for,
chunk by chunk."""

from __future__ import annotations

import base64
import binascii
import re

from smscli.errors import UsageError
from smscli.packet_input_base import B64_TEXT, BOM, Notes

# The same tokens, a header taking the blanks after it (one token per Content-Length line).
_HEX_FEED = re.compile(
    rb"(content-length[ \t]*:[ \t]*(\d+)(?:\s+|\[cr\]|\[lf\])*)|([0-9a-f]+)|(\s+|\[cr\]|\[lf\])",
    re.IGNORECASE,
)


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
        if self._line == 1 and buf.startswith(BOM):
            buf = buf[len(BOM):]
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
        if not B64_TEXT.fullmatch(data) and data:
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

