"""The streaming reader at its byte boundaries: where a read ends, lines of exactly the
limit, blocks read line by line, pipes that trickle or fail."""

from __future__ import annotations

import io

import pytest

from smscli.errors import UsageError
from smscli.recipients import CHUNK, MAX_LINE, CsvInput, Row


def rows_of(data: bytes) -> list[Row]:
    return list(CsvInput(io.BytesIO(data)))


def test_a_blank_line_where_a_read_begins_counts_before_an_overlong_line():
    head = fill(b"phone,name\n", CHUNK)
    n = head.count(b"\n")
    data = head + b"\n" + b"x" * (CHUNK + 10) + b"\n01033334444,c\n"
    rows = list(CsvInput(io.BytesIO(data), max_line=4096))[n - 1 :]
    assert [(r.line_no, r.phone, r.error) for r in rows] == [
        (n + 2, "", f"line {n + 2} is longer than 4096 bytes"),
        (n + 3, "01033334444", None),
    ]


def test_cp949_decided_after_an_overlong_line_across_reads():
    data = b"phone,name\n01011112222," + b"x" * (CHUNK + 100) + b"\n01077776666,a\x00b\n"
    data += "01055554444,홍길동\n".encode("cp949") + b"01033332222,an ASCII line at the end\n"
    rows = list(CsvInput(io.BytesIO(data), max_line=4096))
    assert [(r.line_no, r.phone, r.error) for r in rows] == [
        (2, "", "line 2 is longer than 4096 bytes"),
        (3, "01077776666", "line 3 contains a NUL byte (binary data?)"),
        (4, "01055554444", None),
        (5, "01033332222", None),
    ]
    assert rows[2].vars == {"name": "홍길동"}


def test_line_of_exactly_max_line_bytes_is_read():
    row = b"01011112222," + b"x" * (4096 - 12)  # 4096 bytes, no newline: the last line
    rows = list(CsvInput(io.BytesIO(b"phone,name\n" + row), max_line=4096))
    assert [(r.line_no, r.error, len(r.vars["name"])) for r in rows] == [(2, None, 4084)]
    rows = list(CsvInput(io.BytesIO(b"phone,name\n" + row + b"\n"), max_line=4096))
    assert [(r.line_no, r.error) for r in rows] == [(2, "line 2 is longer than 4096 bytes")]


def test_line_of_exactly_max_line_bytes_among_others_is_read():
    row = b"01011112222," + b"x" * (4096 - 13) + b"\n"  # 4096 bytes with its newline
    rows = list(CsvInput(io.BytesIO(b"phone,name\n" + row + b"01033334444,c\n"), max_line=4096))
    assert [(r.line_no, r.phone, r.error) for r in rows] == [
        (2, "01011112222", None),
        (3, "01033334444", None),
    ]


def test_a_bad_block_that_starts_with_a_blank_line():
    head = fill(b"phone,name\n", CHUNK)
    n = head.count(b"\n")
    rows = rows_of(head + b"\n01011112222,\xff\n01033334444,c\n")[n - 1 :]
    assert [(r.line_no, r.phone, r.error) for r in rows] == [
        (n + 2, "01011112222", f"line {n + 2} is not valid UTF-8 (byte 13 of the line)"),
        (n + 3, "01033334444", None),
    ]


def test_default_line_limit_is_one_mebibyte():
    assert MAX_LINE == 1024 * 1024
    fits = b"01011112222," + b"x" * (MAX_LINE - 13) + b"\n"  # MAX_LINE bytes with its newline
    over = b"01033334444," + b"x" * (MAX_LINE - 12) + b"\n"
    rows = rows_of(b"phone,name\n" + fits + over + b"01055556666,c\n")
    assert [(r.line_no, r.phone, r.error) for r in rows] == [
        (2, "01011112222", None),
        (3, "", "line 3 is longer than 1048576 bytes"),
        (4, "01055556666", None),
    ]


def test_a_row_shorter_than_its_phone_or_id_column():
    rows = rows_of(b"name,memo,phone\nkim\n")
    assert rows == [Row(2, "", {"name": "kim"}, None, "expected 3 columns, found 1")]
    rows = rows_of(b"phone,name,id\n01012345678,a\n")
    assert rows == [Row(2, "01012345678", {"name": "a"}, None, "expected 3 columns, found 2")]
    rows = rows_of(b"phone,name,memo\n01012345678\n")
    assert rows == [Row(2, "01012345678", {}, None, "expected 3 columns, found 1")]
    rows = rows_of(b"name,phone\nkim\n")  # the phone column just past the row's end
    assert rows == [Row(2, "", {"name": "kim"}, None, "expected 2 columns, found 1")]
    rows = rows_of(b"phone,name,id\n01012345678\n")  # the id column past it
    assert rows == [Row(2, "01012345678", {}, None, "expected 3 columns, found 1")]


def fill(data: bytes, end: int) -> bytes:
    """``data`` and data rows up to exactly ``end`` bytes (a read ends there). A NUL byte
    in the first read makes the whole input binary; after it, only its row is bad."""
    start = data.count(b"\n")
    data += b"".join(b"0101%07d,x\n" % (start + i) for i in range((end - len(data)) // 14 - 1))
    data += b"01099990000," + b"y" * (end - len(data) - 13) + b"\n"
    assert len(data) == end
    return data


def test_a_quoted_newline_where_a_read_ends_is_kept():
    data = fill(b"phone,name\n", CHUNK - 17) + b'01088888888,"two\n'
    rows = rows_of(data + b'lines"\n01077777777,z\n')
    assert [(r.phone, r.vars["name"], r.error) for r in rows[-2:]] == [
        ("01088888888", "two\nlines", None),
        ("01077777777", "z", None),
    ]


def test_line_numbers_stay_right_after_a_block_read_line_by_line():
    data = fill(b"phone,name\n", CHUNK) + b"01077776666,a\x00b\n"  # block 2 has a NUL byte
    nul = data.count(b"\n")
    data = fill(data, 2 * CHUNK) + b"01055554444,\xff\n"  # block 3 a bad byte
    lines = data.count(b"\n")
    rows = rows_of(data + b"01033332222,ok\n")
    assert [(r.line_no, r.error) for r in rows if r.error] == [
        (nul, f"line {nul} contains a NUL byte (binary data?)"),
        (lines, f"line {lines} is not valid UTF-8 (byte 13 of the line)"),
    ]
    assert rows[-1].line_no == lines + 1


def test_rows_of_empty_fields_are_skipped_unless_something_was_wrong():
    head = fill(b"phone,name\n", CHUNK)
    n = head.count(b"\n")  # lines so far
    rows = rows_of(head + b",\n , \n,\x00\n01012345678,a\n")[n - 1 :]
    assert [(r.line_no, r.phone, r.error) for r in rows] == [
        (n + 3, "", f"line {n + 3} contains a NUL byte (binary data?)"),
        (n + 4, "01012345678", None),
    ]


def test_a_bad_block_read_line_by_line_keeps_blank_lines_and_an_unended_last_line():
    rows = rows_of(b"phone,name\n01012345678,\xff\n\n01011112222,b\n01033334444,\xfe")
    assert [(r.line_no, r.phone, r.error) for r in rows] == [
        (2, "01012345678", "line 2 is not valid UTF-8 (byte 13 of the line)"),
        (4, "01011112222", None),
        (5, "01033334444", "line 5 is not valid UTF-8 (byte 13 of the line)"),
    ]


def test_a_row_over_several_bad_lines_names_the_first():
    rows = rows_of(b'phone,name\n01012345678,"a\xff\nb\xfe"\n01011112222,ok\n')
    assert rows[0].error == "line 2 is not valid UTF-8 (byte 15 of the line)"
    assert (rows[1].phone, rows[1].error) == ("01011112222", None)


def test_a_byte_bad_in_both_encodings_at_once_counts_as_utf8():
    rows = rows_of(b"phone,name\n010,\xff\n")
    assert rows[0].error == "line 2 is not valid UTF-8 (byte 5 of the line)"


def test_cp949_decided_on_a_line_after_a_nul_byte_later_in_the_file():
    """The encoding is decided from the first non-ASCII line on, not from elsewhere in
    its block (here a block that also holds a NUL byte, so read line by line)."""
    head = fill(b"phone,name\n", CHUNK)  # the next block starts with the NUL line
    n = head.count(b"\n")
    tail = b"01077776666,a\x00b\n" + "01055554444,홍길동\n".encode("cp949")
    tail += b"01033332222,an ASCII line at the end\n"
    source = CsvInput(io.BytesIO(head + tail))
    rows = list(source)
    assert [(r.phone, r.vars["name"], r.error) for r in rows[-3:]] == [
        ("01077776666", "ab", f"line {n + 1} contains a NUL byte (binary data?)"),
        ("01055554444", "홍길동", None),
        ("01033332222", "an ASCII line at the end", None),
    ]
    assert source.encoding == "cp949"


class Trickle(io.RawIOBase):
    """A pipe that delivers one byte per read."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._inner.read(1)


class Failing(io.RawIOBase):
    """A stream whose reads fail (a disk error, a dropped network mount) after ``good``."""

    def __init__(self, good: bytes) -> None:
        self._good = good

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._good:
            out, self._good = self._good, b""
            return out
        raise OSError(5, "Input/output error")


def test_a_read_error_is_a_usage_error_naming_the_input():
    with pytest.raises(UsageError, match=r"^cannot read list\.csv: Input/output error$"):
        CsvInput(Failing(b""), "list.csv")
    source = CsvInput(Failing(b"phone\n01012345678"), "list.csv")  # fails at the 2nd read
    with pytest.raises(UsageError, match=r"^cannot read list\.csv: Input/output error$"):
        list(source)


def test_the_start_of_a_trickling_pipe_is_checked_whole():
    with pytest.raises(UsageError, match="is UTF-16 text"):
        CsvInput(Trickle("phone\n01012345678\n".encode("utf-16")))
    source = CsvInput(Trickle("\ufeffphone,이름\n01012345678,홍\n".encode()))
    assert (source.phone_column, [r.vars for r in source]) == ("phone", [{"이름": "홍"}])
