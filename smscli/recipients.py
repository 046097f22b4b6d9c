"""Recipients: streaming CSV input and ``--to`` lists.

CSV (CONTRACT "CSV input"): a header row; the number column is ``phone`` (also ``to``,
``number``, ``수신번호``; case-insensitive, BOM stripped); every other column is a
template variable; an optional ``id`` column is each row's idempotency key. UTF-8 (with
or without BOM) and CP949 are read: lines stay undecided while they are ASCII, and the
first non-ASCII text (with up to 64 KiB after it) decides: valid UTF-8 → UTF-8, else
CP949, and UTF-8 text mixed with CP949 there is refused (``smscli.csv_encoding``). A
line that does not decode later makes only that row invalid.

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

import os
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from smscli.errors import UsageError
from smscli.ids import id_problem
from smscli.phone import normalize

if TYPE_CHECKING:
    import csv

PHONE_COLUMNS = ("phone", "to", "number", "수신번호")
ID_COLUMN = "id"
CHUNK = 64 * 1024
MAX_LINE = 1024 * 1024
_UTF8_BOM = b"\xef\xbb\xbf"
_OVERLONG = object()
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r", "\f", "\v"} | {"\x7f"}


NO_VARS: Mapping[str, str] = MappingProxyType({})


class Row(NamedTuple):
    """One data row. ``line_no`` is the 1-based line where the row starts; ``phone`` is as
    written (stripped; validate it with ``phone.validate_recipient``); ``vars`` maps every
    other named column to its (stripped) value; ``id`` is the ``id`` column or None;
    ``error`` says why the row cannot be sent (the stream goes on after it)."""

    line_no: int
    phone: str
    vars: Mapping[str, str] = NO_VARS  # a dict for CSV rows; read-only and empty by default
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
        self._buf = b""  # read but not yet handed out
        self._offset = 0  # stream offset of self._buf[0]
        self._eof = False
        self._bad: dict[int, str] = {}
        self.encoding: str | None = None
        self._started = False
        import csv  # here: a send to --to numbers reads no CSV

        try:
            self._first_chunk()
            _allow_long_fields()
            self._reader = csv.reader(self._decoded_lines(), strict=True)
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

    def _blocks(self) -> Iterator[tuple[int, bytes] | None]:
        """Runs of whole lines as (stream offset, bytes); None stands for one line longer
        than ``max_line``, which is skipped without being held in memory."""
        while True:
            buf = self._buf
            last = buf.rfind(b"\n")
            if last >= 0:
                start = self._offset
                self._buf = buf[last + 1 :]
                self._offset += last + 1
                yield start, buf[: last + 1]
                continue
            if len(buf) > self._max_line:
                yield None
                self._skip_rest_of_line()
                continue
            chunk = self._read()
            if not chunk:
                if buf:
                    start = self._offset
                    self._buf = b""
                    self._offset += len(buf)
                    yield start, buf
                return
            self._buf = buf + chunk

    def _skip_rest_of_line(self) -> None:
        self._offset += len(self._buf)
        self._buf = b""
        while True:
            chunk = self._read()
            if not chunk:
                return
            nl = chunk.find(b"\n")
            if nl >= 0:
                self._offset += nl + 1
                self._buf = chunk[nl + 1 :]
                return
            self._offset += len(chunk)

    # --- decoding ---------------------------------------------------------------------

    def _decide(self, data: bytes, first_line: int) -> None:
        """Pick UTF-8 or CP949 from ``data`` (from line ``first_line``) and up to 64 KiB
        read after it (:func:`smscli.csv_encoding.decide`)."""
        from smscli.csv_encoding import decide

        self.encoding = decide(data + self._buf[:CHUNK], final=self._eof, name=self.name,
                               first_line=first_line, started=self._started)

    def _decoded_lines(self) -> Iterator[str]:
        """Text lines for the csv reader, one per physical line (so ``line_num`` counts
        lines). Problems are noted in ``self._bad`` by line number, never raised (except
        on line 1, where they mean the input is not text)."""
        line_no = 0
        max_line = self._max_line
        for item in self._blocks():
            if item is None:
                line_no += 1
                self._bad[line_no] = f"line {line_no} is longer than {max_line} bytes"
                yield "\n"
                continue
            start, block = item
            text = None
            if len(block) <= max_line and b"\x00" not in block:
                if block.isascii():
                    text = block.decode("ascii")
                else:
                    if self.encoding is None:
                        self._decide(block, line_no + 1)
                    try:
                        text = block.decode(self.encoding or "utf-8")
                    except UnicodeDecodeError:
                        text = None
            if text is None:  # something is wrong in this block: go line by line
                for line in self._lines_one_by_one(start, block, line_no):
                    line_no += 1
                    yield line
                continue
            lines = text.split("\n")
            tail = lines.pop()
            line_no += len(lines)
            for line in lines:
                yield line + "\n"
            if tail:
                line_no += 1
                yield tail

    def _lines_one_by_one(self, start: int, block: bytes, line_no: int) -> Iterator[str]:
        pos, size = 0, len(block)
        while pos < size:
            nl = block.find(b"\n", pos)
            end = size if nl < 0 else nl + 1
            raw = block[pos:end]
            line_start, pos = start + pos, end
            line_no += 1
            if len(raw) > self._max_line:
                self._bad[line_no] = f"line {line_no} is longer than {self._max_line} bytes"
                yield "\n"
                continue
            if b"\x00" in raw:
                self._bad[line_no] = f"line {line_no} contains a NUL byte (binary data?)"
                yield raw.replace(b"\x00", b"").decode(self.encoding or "utf-8", errors="replace")
                continue
            if raw.isascii():
                yield raw.decode("ascii")
                continue
            if self.encoding is None:
                self._decide(block[line_start - start :], line_no)
            enc = self.encoding or "utf-8"
            try:
                yield raw.decode(enc)
            except UnicodeDecodeError as exc:
                if line_no == 1:
                    raise _not_text(line_start + exc.start) from None
                name = "UTF-8" if enc == "utf-8" else "CP949"
                self._bad[line_no] = (
                    f"line {line_no} is not valid {name} (byte {exc.start + 1} of the line)"
                )
                yield raw.decode(enc, errors="replace")

    # --- header -----------------------------------------------------------------------

    def _read_header(self) -> None:
        import csv

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
            raise UsageError(f"no phone column in header: {shown}", hint=_header_hint(names))
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
        import csv

        self._started = True
        reader = self._reader
        new_tuple = tuple.__new__  # a Row per line, without Row.__new__'s or Row._make's Python frame
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
                if not _loses_place(exc):  # that line only
                    for n in range(start, reader.line_num + 1):
                        bad.pop(n, None)
                    yield Row(start, "", {}, None, f"line {start}: {exc}")
                    continue
                raise quoting_error(self.name, start, exc) from None
            error = None
            if bad:
                for n in range(start, reader.line_num + 1):
                    problem = bad.pop(n, None)
                    if problem and error is None:
                        error = problem
            count = len(fields)
            if count != width:
                if not any(f.strip() for f in fields):  # a blank line
                    if error:
                        yield Row(start, "", {}, None, error)
                    continue
                if count > width and not any(f.strip() for f in fields[width:]):
                    fields, count = fields[:width], width
                elif error is None:
                    error = f"expected {width} columns, found {count}"
            phone = fields[phone_i].strip() if phone_i < count else ""
            if not phone and not any(f.strip() for f in fields):  # ",,," (Excel)
                if error:
                    yield Row(start, "", {}, None, error)
                continue
            values = {}  # (a loop, not a comprehension: no function call per row before Python 3.12)
            for i, n in var_columns:
                if i < count:
                    values[n] = fields[i].strip()
            row_id = None
            if id_i is not None:
                row_id = fields[id_i].strip() if id_i < count else ""
                if error is None:
                    if not row_id:
                        error = "missing id (the file has an id column)"
                    else:
                        error = id_problem(row_id)
                row_id = row_id or None
            if error is None and not phone:
                error = "missing phone number"
            yield new_tuple(Row, (start, phone, values, row_id, error))


def _allow_long_fields() -> None:
    """Let the csv module read fields up to MAX_LINE (a process-wide limit, only ever raised)."""
    import csv

    if csv.field_size_limit() < MAX_LINE:
        csv.field_size_limit(MAX_LINE)


# csv.Error messages after which the reader cannot tell where the next rows start: a
# quote left open (to the end, or past the field limit), or text after a closing quote.
_LOST_PLACE = ("unexpected end of data", "field larger than field limit", "expected after")


def _loses_place(exc: csv.Error) -> bool:
    """Whether ``exc`` leaves the rows after it unknown (else, as a NUL or a bare carriage
    return, it spoils its own line only)."""
    return any(part in str(exc) for part in _LOST_PLACE)


def quoting_error(name: str, line: int, exc: csv.Error, *, then: str = "nothing after it was read") -> UsageError:
    """The one error for CSV input whose quoting leaves the rows after ``line`` unknown
    (``then``: what became of the input)."""
    reason = str(exc)
    if "unexpected end of data" in reason:
        what = f"the quoted field that starts on line {line} is never closed"
    elif "field larger than field limit" in reason:
        what = f"a field that starts on line {line} runs past {MAX_LINE // 1024} KiB (a quote left open?)"
    else:
        what = f"line {line}: {reason}"
    return UsageError(f"CSV input {name}: {what}; {then}",
                      hint='a field that starts with " must end with "; write "" for a quote inside it')


def _header_hint(names: list[str]) -> str:
    """What to do about a header without a phone column: the usual hint, or what the
    first line looks like instead (fields split by another character, or no header)."""
    if len(names) == 1:  # no comma: maybe another separator
        for sep, called in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
            if sep in names[0]:
                return (f"the fields seem to be split by {called}; smscli reads comma-separated "
                        "CSV, e.g. a header phone,name")
    if names and sum(c.isdigit() for c in names[0]) >= 8:
        return "the first line looks like a number, not a header: add a first line such as phone,name"
    return "name the number column phone, to, number or 수신번호"


def check_quoting(stream: BinaryIO, name: str) -> None:
    """Read all of ``stream`` as CSV and raise :func:`quoting_error` where its quoting
    goes wrong, so that a send refuses such a file before its first row goes out (rows
    are otherwise read as they are sent). The structure is the same in UTF-8 and CP949
    (quotes, commas and line breaks are never part of a multi-byte character), so the
    bytes are read as Latin-1."""
    import csv
    import io

    _allow_long_fields()
    text = io.TextIOWrapper(stream, encoding="latin-1", newline="")
    try:
        reader = csv.reader(text, strict=True)
        while True:
            start = reader.line_num + 1
            try:
                next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if _loses_place(exc):
                    raise quoting_error(name, start, exc, then="nothing was sent") from None
    finally:
        text.detach()  # the stream stays open: the caller's


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


def split_to_options(values: Iterable[str]) -> list[str]:
    """Every number in repeated and/or comma-separated ``--to`` values, as written."""
    return [
        number
        for value in values
        for part in value.replace(";", ",").replace("\n", ",").split(",")
        if (number := part.strip())
    ]


def parse_to_options(values: Iterable[str]) -> list[str]:
    """Numbers from repeated and/or comma-separated ``--to`` values, in order.

    Values are split on ``,`` ``;`` and newlines (not spaces: ``+82 10 1234 5678`` is one
    number), stripped, and de-duplicated by normalised number (the first spelling is
    kept). Numbers are not validated here. Raises ``UsageError`` when none is left.
    """
    out: list[str] = []
    seen: set[str] = set()
    for number in split_to_options(values):
        key = normalize(number)
        if key not in seen:
            seen.add(key)
            out.append(number)
    if not out:
        raise UsageError("--to: no phone number given", hint="e.g. --to 01012345678,01098765432")
    return out
