"""Recipients: streaming CSV input and ``--to`` lists.

CSV (CONTRACT "CSV input"): a header row; the number column is ``phone`` (also ``to``,
``number``, ``수신번호``; case-insensitive, BOM stripped); every other column is a
template variable; an optional ``id`` column is each row's idempotency key. UTF-8 (with
or without BOM) and CP949 are read: lines stay undecided while they are ASCII, and the
first non-ASCII text (with up to 64 KiB after it) decides: valid UTF-8 → UTF-8, else
CP949. A line that does not decode later makes only that row invalid.

The file is read in 64 KiB chunks and never held whole, so memory stays flat for any
number of rows. Garbage input (binary data, NUL bytes, UTF-16, no phone column) raises
one ``UsageError`` when the input is opened, before anything is sent.

Usage::

    with open_csv(path) as rows:            # "-" = stdin (binary)
        template.missing(rows.variables)    # check the message template up front
        for row in rows:                    # Row(line_no, phone, vars, id, error)
            ...
"""

from __future__ import annotations

import codecs
import csv
import os
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from smscli.errors import UsageError
from smscli.ids import id_problem
from smscli.phone import normalize

PHONE_COLUMNS = ("phone", "to", "number", "수신번호")
ID_COLUMN = "id"
CHUNK = 64 * 1024
MAX_LINE = 1024 * 1024
_UTF8_BOM = b"\xef\xbb\xbf"
_OVERLONG = object()
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r", "\f", "\v"} | {"\x7f"}


@dataclass(frozen=True, slots=True)
class Row:
    """One data row. ``line_no`` is the 1-based line where the row starts; ``phone`` is as
    written (stripped; validate it with ``phone.validate_recipient``); ``vars`` maps every
    other named column to its (stripped) value; ``id`` is the ``id`` column or None;
    ``error`` says why the row cannot be sent (the stream goes on after it)."""

    line_no: int
    phone: str
    vars: dict[str, str] = field(default_factory=dict)
    id: str | None = None
    error: str | None = None


def _not_text(offset: int) -> UsageError:
    return UsageError(
        f"input is not text (binary data at byte {offset})",
        hint="give a CSV file in UTF-8 or CP949 with a header row",
    )


class CsvInput:
    """An open CSV source: the header is read and checked on construction; iterate for rows.

    Attributes: ``name`` (for messages), ``header`` (column names as written),
    ``phone_column``, ``id_column`` (or None), ``variables`` (template variable names),
    ``encoding`` (``"utf-8"``/``"cp949"``, or None while everything read was ASCII).
    """

    def __init__(
        self, stream: BinaryIO, name: str = "-", *, close: bool = False, max_line: int = MAX_LINE
    ) -> None:
        self.name = name
        self._max_line = max_line
        self._stream = stream
        self._close = close
        self._buf = b""
        self._pos = 0
        self._offset = 0  # stream offset of self._buf[0]
        self._eof = False
        self._bad: dict[int, str] = {}
        self.encoding: str | None = None
        self._started = False
        try:
            self._first_chunk()
            if csv.field_size_limit() < MAX_LINE:  # process-wide; only ever raised
                csv.field_size_limit(MAX_LINE)
            self._reader = csv.reader(self._decoded_lines())
            self._read_header()
        except BaseException:
            self.close()
            raise

    # --- context manager ------------------------------------------------------------

    def __enter__(self) -> CsvInput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._close:
            self._stream.close()

    # --- reading bytes ----------------------------------------------------------------

    def _read(self) -> bytes:
        if self._eof:
            return b""
        try:
            chunk = self._stream.read(CHUNK)
        except OSError as exc:
            raise UsageError(f"cannot read {self.name}: {exc.strerror or exc}") from None
        if not chunk:
            self._eof = True
        return chunk or b""

    def _first_chunk(self) -> None:
        chunk = self._read()
        while len(chunk) < 4 and not self._eof:  # a pipe may deliver a few bytes at a time
            chunk += self._read()
        if not chunk.strip():
            raise UsageError(
                f"CSV input {self.name} is empty",
                hint="expected a header row naming the phone column, e.g. phone,name",
            )
        if chunk.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise UsageError(
                f"CSV input {self.name} is UTF-16 text",
                hint="save it as UTF-8 or CP949 (Excel: CSV UTF-8)",
            )
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise _not_text(nul)
        if chunk.startswith(_UTF8_BOM):
            self.encoding = "utf-8"
            chunk = chunk[3:]
            self._offset = 3
        self._buf = chunk

    def _physical_lines(self) -> Iterator[bytes | object]:
        """Lines ending in b"\\n" (the last may not); an over-long line yields _OVERLONG."""
        while True:
            nl = self._buf.find(b"\n", self._pos)
            if nl >= 0:
                line = self._buf[self._pos : nl + 1]
                self._pos = nl + 1
                yield line if len(line) <= self._max_line else _OVERLONG
                continue
            rest = self._buf[self._pos :]
            if len(rest) > self._max_line:
                yield _OVERLONG
                self._skip_rest_of_line()
                continue
            chunk = self._read()
            if not chunk:
                if rest:
                    self._advance(len(self._buf))
                    yield rest
                return
            self._advance(self._pos)
            self._buf = rest + chunk

    def _advance(self, n: int) -> None:
        self._offset += n
        self._buf = self._buf[n:]
        self._pos = 0

    def _skip_rest_of_line(self) -> None:
        while True:
            nl = self._buf.find(b"\n", self._pos)
            if nl >= 0:
                self._pos = nl + 1
                return
            self._advance(len(self._buf))
            self._buf = self._read()
            if not self._buf:
                return

    # --- decoding ---------------------------------------------------------------------

    def _decide(self, line: bytes) -> None:
        """Pick UTF-8 or CP949 from ``line`` and what follows it in the buffer."""
        window = line + self._buf[self._pos : self._pos + CHUNK]
        errors = {}
        for enc in ("utf-8", "cp949"):
            try:
                codecs.getincrementaldecoder(enc)().decode(window, final=self._eof)
                self.encoding = enc
                return
            except UnicodeDecodeError as exc:
                errors[enc] = exc.start
        # Neither decodes the whole window: take the one that reads further.
        self.encoding = "utf-8" if errors["utf-8"] >= errors["cp949"] else "cp949"

    def _decoded_lines(self) -> Iterator[str]:
        line_no = 0
        for raw in self._physical_lines():
            line_no += 1
            if raw is _OVERLONG:
                self._bad[line_no] = f"line {line_no} is longer than {self._max_line} bytes"
                yield "\n"
                continue
            assert isinstance(raw, bytes)
            if b"\x00" in raw:
                self._bad[line_no] = f"line {line_no} contains a NUL byte (binary data?)"
                yield raw.replace(b"\x00", b"").decode(self.encoding or "utf-8", errors="replace")
                continue
            if raw.isascii():
                yield raw.decode("ascii")
                continue
            if self.encoding is None:
                self._decide(raw)
            enc = self.encoding or "utf-8"
            try:
                yield raw.decode(enc)
            except UnicodeDecodeError as exc:
                name = "UTF-8" if enc == "utf-8" else "CP949"
                self._bad[line_no] = (
                    f"line {line_no} is not valid {name} (byte {exc.start + 1} of the line)"
                )
                if line_no == 1:
                    raise _not_text(self._offset + self._pos - len(raw) + exc.start) from None
                yield raw.decode(enc, errors="replace")

    # --- header -----------------------------------------------------------------------

    def _read_header(self) -> None:
        try:
            header = next(self._reader)
        except StopIteration:
            raise UsageError(f"CSV input {self.name} is empty") from None
        except csv.Error as exc:
            raise UsageError(f"cannot read the CSV header of {self.name}: {exc}") from None
        if self._bad:
            raise UsageError(
                f"cannot read the CSV header of {self.name}: {next(iter(self._bad.values()))}"
            )
        self._header_lines = self._reader.line_num
        names = [unicodedata.normalize("NFC", h).replace("\ufeff", "").strip() for h in header]
        joined = ",".join(names)
        bad = next((i for i, ch in enumerate(joined) if ch in _CONTROL), None)
        if bad is not None:
            raise _not_text(len(joined[:bad].encode(self.encoding or "utf-8", errors="replace")))
        self.header = names
        folded = [n.casefold() for n in names]
        seen: set[str] = set()
        for n, f in zip(names, folded, strict=True):
            if f and f in seen:
                raise UsageError(f"duplicate column {n!r} in the CSV header of {self.name}")
            seen.add(f)
        phone_index = next((folded.index(c) for c in PHONE_COLUMNS if c in folded), None)
        if phone_index is None:
            shown = ", ".join(repr(n) for n in names[:12])
            if len(shown) > 200:
                shown = shown[:200] + "..."
            raise UsageError(
                f"no phone column in header: {shown}",
                hint="name the number column phone, to, number or 수신번호",
            )
        self._phone_index = phone_index
        self.phone_column = names[phone_index]
        self._id_index = folded.index(ID_COLUMN) if ID_COLUMN in folded else None
        self.id_column = names[self._id_index] if self._id_index is not None else None
        self._var_columns = [(i, n) for i, n in enumerate(names) if n and i != phone_index]
        self.variables = [n for _, n in self._var_columns]

    # --- rows -------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Row]:
        if self._started:
            raise RuntimeError("a CsvInput can be iterated only once")
        self._started = True
        reader = self._reader
        width = len(self.header)
        phone_i, id_i, var_columns, bad = (
            self._phone_index,
            self._id_index,
            self._var_columns,
            self._bad,
        )
        while True:
            start = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                end = reader.line_num
                for n in range(start, end + 1):
                    bad.pop(n, None)
                yield Row(start, "", {}, None, f"line {start}: {exc}")
                continue
            end = reader.line_num
            error = None
            if bad:
                for n in range(start, end + 1):
                    problem = bad.pop(n, None)
                    if problem and error is None:
                        error = problem
            if not fields or not any(f.strip() for f in fields):
                if error:
                    yield Row(start, "", {}, None, error)
                continue
            if len(fields) != width:
                if len(fields) > width and not any(f.strip() for f in fields[width:]):
                    fields = fields[:width]
                elif error is None:
                    error = f"expected {width} columns, found {len(fields)}"
            get = fields.__getitem__
            count = len(fields)
            phone = get(phone_i).strip() if phone_i < count else ""
            values = {n: get(i).strip() for i, n in var_columns if i < count}
            row_id = None
            if id_i is not None:
                row_id = get(id_i).strip() if id_i < count else ""
                if error is None:
                    if not row_id:
                        error = "missing id (the file has an id column)"
                    else:
                        error = id_problem(row_id)
                row_id = row_id or None
            if error is None and not phone:
                error = "missing phone number"
            yield Row(start, phone, values, row_id, error)


def open_csv(source: str | os.PathLike[str], *, stdin: BinaryIO | None = None) -> CsvInput:
    """Open ``source`` (a path, or ``"-"`` for binary stdin) and read its header.

    Raises ``UsageError`` for a missing/unreadable file, empty or binary input, or a
    header without a phone column.
    """
    if str(source) == "-":
        return CsvInput(stdin if stdin is not None else sys.stdin.buffer, "stdin")
    path = Path(source)
    try:
        stream = path.open("rb")
    except IsADirectoryError:
        raise UsageError(f"cannot read CSV file {str(path)!r}: it is a directory") from None
    except OSError as exc:
        raise UsageError(f"cannot read CSV file {str(path)!r}: {exc.strerror or exc}") from None
    return CsvInput(stream, str(path), close=True)


def read_csv(source: str | os.PathLike[str], *, stdin: BinaryIO | None = None) -> Iterator[Row]:
    """Rows of ``source`` (see :func:`open_csv`); the header is checked on the first ``next``."""
    with open_csv(source, stdin=stdin) as rows:
        yield from rows


def parse_to_options(values: Iterable[str]) -> list[str]:
    """Numbers from repeated and/or comma-separated ``--to`` values, in order.

    Values are split on ``,`` ``;`` and newlines (not spaces: ``+82 10 1234 5678`` is one
    number), stripped, and de-duplicated by normalised number (the first spelling is
    kept). Numbers are not validated here. Raises ``UsageError`` when none is left.
    """
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        for part in value.replace(";", ",").replace("\n", ",").split(","):
            number = part.strip()
            if not number:
                continue
            key = normalize(number)
            if key not in seen:
                seen.add(key)
                out.append(number)
    if not out:
        raise UsageError("--to: no phone number given", hint="e.g. --to 01012345678,01098765432")
    return out
