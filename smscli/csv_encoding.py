"""Which encoding CSV input is in (:func:`decide`): UTF-8 or CP949, from a window of
bytes that starts at the input's first non-ASCII text.

UTF-8 if the window is valid UTF-8, else CP949; when neither reads the whole window,
the one that reads further. A window that holds UTF-8 text and also a line that is not
UTF-8 (read as CP949, or a valid CP949 line) is mixed and refused: a UTF-8 line is
mostly valid CP949 too, and would be sent garbled. UTF-8 text here is a line that is
valid UTF-8 and has a character from U+0800 on (Hangul, CJK, emoji): CP949 Hangul,
each run of it after an ASCII byte, never reads so (its lead bytes B0-C8 are UTF-8
continuation bytes or two-byte leads), though a short one can be valid two-byte UTF-8
(홍 is C8 AB, "ȫ"). Past the window a line that does not decode is a bad row
(``smscli.recipients``).
"""

from __future__ import annotations

import codecs
import re
from typing import BinaryIO

from smscli.errors import UsageError

# In valid UTF-8: the lead byte of a character from U+0800 on. As a rough test of any
# bytes, three or four bytes that may be one such character.
_WIDE_LEAD = re.compile(rb"[\xe0-\xf4]")
_WIDE_CHAR = re.compile(rb"[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def decide(window: bytes, *, final: bool, name: str, first_line: int, started: bool) -> str:
    """``"utf-8"`` or ``"cp949"`` for ``window`` (``final``: it runs to the end of the
    input; ``first_line``: the line number of its first byte). Raises ``UsageError`` when
    it mixes UTF-8 and CP949 text (``started``: rows were read before the window)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(window, final=final)
        return "utf-8"
    except UnicodeDecodeError as exc:
        not_utf8 = exc.start
    encoding = "cp949"
    try:
        codecs.getincrementaldecoder("cp949")().decode(window, final=final)
    except UnicodeDecodeError as exc:
        if not_utf8 >= exc.start:  # neither reads the whole window: take the one that reads further
            encoding = "utf-8"
            if not _is_cp949_line(window, not_utf8):
                return encoding  # bad bytes in UTF-8 text: that row is invalid
    utf8 = _utf8_text_line(window, not_utf8, final=final)
    if utf8 is not None:
        raise _mixed(name, first_line + window.count(b"\n", 0, utf8),
                     first_line + window.count(b"\n", 0, not_utf8), first_line, started=started)
    return encoding


def _is_cp949_line(window: bytes, at: int) -> bool:
    """Whether the line of ``window`` around offset ``at`` is valid CP949."""
    end = window.find(b"\n", at) + 1 or len(window)
    try:
        window[window.rfind(b"\n", 0, at) + 1 : end].decode("cp949")
        return True
    except UnicodeDecodeError:
        return False


def _utf8_text_line(window: bytes, not_utf8: int, *, final: bool) -> int | None:
    """The offset of the first line of ``window`` that is UTF-8 text, or None
    (``not_utf8``: where UTF-8 first fails; the bytes before it are valid UTF-8)."""
    bad_line = window.rfind(b"\n", 0, not_utf8) + 1
    wide = _WIDE_LEAD.search(window, 0, bad_line)
    if wide is not None:
        return window.rfind(b"\n", 0, wide.start()) + 1
    pos = window.find(b"\n", not_utf8) + 1
    while pos:  # the lines after the first one that is not UTF-8 (a cut-off last line left out)
        end = window.find(b"\n", pos) + 1
        if not end and not final:
            return None
        line = window[pos : end or len(window)]
        if _WIDE_CHAR.search(line):
            try:
                line.decode("utf-8")
                return pos
            except UnicodeDecodeError:
                pass
        pos = end
    return None


def _mixed(name: str, utf8_line: int, other_line: int, first_line: int, *, started: bool) -> UsageError:
    first, second = sorted([(utf8_line, "UTF-8"), (other_line, "CP949")])
    where = f"line {first[0]} is {first[1]}, line {second[0]} is {second[1]}"
    then = f"; the rows before line {first_line} were read, nothing from it on" if started else ""
    return UsageError(f"CSV input {name} mixes UTF-8 and CP949 (EUC-KR) text: {where}{then}",
                      hint="save it in one encoding, e.g. as Excel's CSV UTF-8")


def check_late_text(stream: BinaryIO, name: str, *, window: int) -> None:
    """Raise as :func:`decide` does on the first non-ASCII line of ``stream`` and
    ``window`` bytes after it: for a send of input that opens with a block of ASCII
    (whose encoding would be decided only as its rows go out)."""
    line, tail = 1, b""
    while data := stream.read(window):
        found = None if data.isascii() else _NON_ASCII.search(data)
        if found is None:
            line += data.count(b"\n")
            tail = data[data.rfind(b"\n") + 1 :]
            continue
        start = data.rfind(b"\n", 0, found.start()) + 1
        line += data.count(b"\n", 0, start)
        text = data[start:] if start else tail + data
        need = len(text) - len(data) + found.start() + window
        final = False
        while len(text) < need and not final:
            more = stream.read(window)
            text += more
            final = not more
        decide(text, final=final, name=name, first_line=line, started=False)
        return
