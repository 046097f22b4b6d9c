"""Streaming CSV recipients and --to lists."""

from __future__ import annotations

import csv
import io
import os
import random
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscli.errors import UsageError
from smscli.recipients import (
    CHUNK,
    MAX_LINE,
    CsvInput,
    Row,
    open_csv,
    parse_to_options,
    read_csv,
)
from tests.conftest import ROOT


def rows_of(data: bytes) -> list[Row]:
    return list(CsvInput(io.BytesIO(data)))


def usage_error(data: bytes) -> UsageError:
    with pytest.raises(UsageError) as info:
        CsvInput(io.BytesIO(data))
    assert info.value.exit_status == 2
    return info.value


def test_utf8_rows_and_variables():
    data = "phone,name,amount\n010-1234-5678,홍길동,12000\n01098765432, 김철수 ,500\n".encode()
    source = CsvInput(io.BytesIO(data))
    assert source.header == ["phone", "name", "amount"]
    assert source.phone_column == "phone" and source.id_column is None
    assert source.variables == ["name", "amount"]
    rows = list(source)
    assert rows == [
        Row(2, "010-1234-5678", {"name": "홍길동", "amount": "12000"}, None, None),
        Row(3, "01098765432", {"name": "김철수", "amount": "500"}, None, None),
    ]
    assert source.encoding == "utf-8"


def test_bom_and_header_aliases():
    for header in ("phone", "Phone", "PHONE", " to ", "Number", "수신번호"):
        data = "\ufeff" + f"{header},name\n01012345678,a\n"
        source = CsvInput(io.BytesIO(data.encode()))
        assert [r.phone for r in source] == ["01012345678"]
        assert source.variables == ["name"]


def test_phone_column_priority_and_decomposed_korean_header():
    source = CsvInput(io.BytesIO(b"to,phone\n1,01012345678\n"))
    assert source.phone_column == "phone" and source.variables == ["to"]
    nfd = "\u1109\u116e\u1109\u1175\u11ab\u1107\u1165\u11ab\u1112\u1169"  # 수신번호 as jamo (macOS)
    source = CsvInput(io.BytesIO(f"{nfd},x\n01012345678,1\n".encode()))
    assert source.phone_column == "수신번호"


def test_cp949_file():
    data = "수신번호,이름\n01012345678,홍길동\n01011112222,똠방각하\n".encode("cp949")
    source = CsvInput(io.BytesIO(data))
    rows = list(source)
    assert source.encoding == "cp949"
    assert [r.vars["이름"] for r in rows] == ["홍길동", "똠방각하"]


def test_cp949_after_more_than_a_chunk_of_ascii():
    head = b"phone,name\n" + b"".join(b"0101%07d,kim\n" % i for i in range(CHUNK // 10))
    data = head + "01099998888,홍길동\n".encode("cp949")
    rows = rows_of(data)
    assert len(rows) == CHUNK // 10 + 1
    assert rows[-1].vars["name"] == "홍길동" and rows[-1].error is None


def test_bad_bytes_later_in_utf8_make_only_that_row_invalid():
    data = (
        "phone,name\n01012345678,홍길동\n".encode()
        + b"01011112222,\xff\xfe broken\n"
        + "01033334444,김철수\n".encode()
    )
    rows = rows_of(data)
    assert [r.error for r in rows] == [
        None,
        "line 3 is not valid UTF-8 (byte 13 of the line)",
        None,
    ]
    assert rows[2].vars == {"name": "김철수"}


def test_line_numbers_stay_right_across_blocks():
    lines = [f"0101{i:07d},고객{i}\n".encode() for i in range(20_000)]  # ~0.5 MB: many blocks
    lines[12_345] = b"01099999999,\xc0\xc0 bad\n"
    lines[15_000] = b'01088888888,"two\nlines"\n'
    rows = rows_of(b"phone,name\n" + b"".join(lines))
    assert len(rows) == 20_000
    bad = [r for r in rows if r.error]
    assert [(r.line_no, r.error) for r in bad] == [
        (12_347, "line 12347 is not valid UTF-8 (byte 13 of the line)")
    ]
    assert rows[15_000].vars["name"] == "two\nlines" and rows[15_000].line_no == 15_002
    assert rows[-1].line_no == 20_002 and rows[-1].vars["name"] == "고객19999"


def test_id_column():
    data = b"id,phone,name\norder-1,01012345678,a\n,01011112222,b\nbad id,01033334444,c\n" + (
        b"x" * 33 + b",01044445555,d\n"
    )
    rows = rows_of(data)
    assert rows[0].id == "order-1" and rows[0].error is None
    assert rows[0].vars == {"id": "order-1", "name": "a"}
    assert rows[1].id is None and rows[1].error == "missing id (the file has an id column)"
    assert (
        rows[2].error
        == "id 'bad id' has a space at position 4 (use printable ASCII without spaces)"
    )
    assert "at most 32" in rows[3].error


def test_bad_rows_carry_errors_and_the_stream_goes_on():
    data = textwrap.dedent(
        """\
        phone,name,amount
        01012345678,a,1
        ,b,2
        01011112222,c

        ,,,
        01033334444,"multi
        line",3
        01044445555,d,4,
        01055556666,e,5,extra
        01066667777,f,6
        """
    ).encode()
    rows = rows_of(data)
    assert [(r.line_no, r.phone, r.error) for r in rows] == [
        (2, "01012345678", None),
        (3, "", "missing phone number"),
        (4, "01011112222", "expected 3 columns, found 2"),
        (7, "01033334444", None),
        (9, "01044445555", None),  # an empty trailing field (Excel) is tolerated
        (10, "01055556666", "expected 3 columns, found 4"),
        (11, "01066667777", None),
    ]
    assert rows[3].vars["name"] == "multi\nline"


def test_crlf_line_endings():
    rows = rows_of(b"phone,name\r\n01012345678,a\r\n01011112222,b\r\n")
    assert [(r.phone, r.vars["name"], r.error) for r in rows] == [
        ("01012345678", "a", None),
        ("01011112222", "b", None),
    ]


def test_last_line_without_newline():
    assert [r.phone for r in rows_of(b"phone\n01012345678\n01011112222")] == [
        "01012345678",
        "01011112222",
    ]


# Within one chunk, across chunks, and ending where a chunk ends (its newline is the first
# byte of the next chunk).
@pytest.mark.parametrize("length", [10_000, 3 * CHUNK, CHUNK - 37])
def test_overlong_line_is_one_bad_row(length):
    data = b"phone,name\n01012345678,a\n01011112222," + b"x" * length + b"\n01033334444,c\n"
    rows = list(CsvInput(io.BytesIO(data), max_line=4096))
    assert [(r.line_no, r.phone, r.error) for r in rows] == [
        (2, "01012345678", None),
        (3, "", "line 3 is longer than 4096 bytes"),
        (4, "01033334444", None),
    ]


def test_an_unbalanced_quote_ends_the_input_at_its_line_without_swallowing_memory():
    body = b"".join(b"0101%07d,x\n" % i for i in range(200_000))  # 2.4 MB after the quote
    reader = iter(CsvInput(io.BytesIO(b'phone,name\n01011112222,ok\n01012345678,"open\n' + body)))
    assert next(reader).phone == "01011112222"  # the rows before it are read as ever
    with pytest.raises(UsageError, match=r"a field that starts on line 3 runs past 1024 KiB") as info:
        next(reader)  # the runaway field is cut off at the field limit, and reading stops there
    assert "nothing after it was read" in str(info.value)


def test_a_quote_left_open_to_the_end_is_an_error_not_a_row_that_swallows_the_rest():
    data = 'phone,name\n01012345678,"길동\n01099998888,철수\n01022223333,영희\n'.encode()
    with pytest.raises(UsageError, match="the quoted field that starts on line 2 is never closed"):
        rows_of(data)


def test_a_misplaced_quote_is_an_error():
    with pytest.raises(UsageError, match=r"line 2: .*expected after"):
        rows_of(b'phone,name\n01012345678,"a"b\n01099998888,c\n')


def test_a_bare_carriage_return_spoils_its_own_line_only():
    from smscli.recipients import check_quoting

    data = b"phone,name\n01012345678,x\r01099998888,y\n01011112222,z\n"
    rows = rows_of(data)
    assert [(r.line_no, r.phone, (r.error or "")[:40]) for r in rows] == [
        (2, "", "line 2: new-line character seen in unquo"), (3, "01011112222", "")]
    check_quoting(io.BytesIO(data), "cr.csv")  # the quoting is fine: a send goes on, that row invalid


def test_quoted_fields_may_hold_line_breaks_commas_and_quotes():
    data = 'phone,text\n01012345678,"첫 줄\n둘째 줄, ""인용"""\n01099998888,끝\n'.encode()
    rows = rows_of(data)
    assert [(r.line_no, r.phone, r.vars["text"], r.error) for r in rows] == [
        (2, "01012345678", '첫 줄\n둘째 줄, "인용"', None), (4, "01099998888", "끝", None)]


@pytest.mark.parametrize("data", [
    b'phone,name\n' + b"".join(b"0101%07d,x\n" % i for i in range(20_000)) + b'01099999999,"open\n01088888888,y\n',
    'phone,name\n01012345678,"길동\n01099998888,철수\n'.encode("cp949"),
])
def test_check_quoting_reads_the_whole_input_and_names_the_line(data: bytes):
    from smscli.recipients import check_quoting

    stream = io.BytesIO(data)
    with pytest.raises(UsageError, match="never closed; nothing was sent"):
        check_quoting(stream, "in.csv")
    assert not stream.closed  # the caller's stream
    check_quoting(io.BytesIO(b'phone,name\n01012345678,"a\nb"\n'), "ok.csv")  # fine: no error


def test_nul_bytes_later_are_a_row_error():
    data = b"phone,name\n" + b"".join(b"0101%07d,x\n" % i for i in range(20_000))
    data += b"01099999999,a\x00b\n01088888888,ok\n"
    rows = rows_of(data)
    assert rows[-2].error == "line 20002 contains a NUL byte (binary data?)"
    assert rows[-1].phone == "01088888888" and rows[-1].error is None


# --- garbage input: one usage error, early -------------------------------------------


class CountingStream(io.RawIOBase):
    """A binary stream that counts how much was read from it."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._inner.read(size)
        self.consumed += len(chunk)
        return chunk


def test_ten_megabytes_of_random_binary_fail_early():
    data = random.Random(7).randbytes(10 * 1024 * 1024)
    stream = CountingStream(data)
    with pytest.raises(UsageError) as info:
        CsvInput(stream)
    assert info.value.exit_status == 2
    assert str(info.value).startswith("input is not text (binary data at byte ")
    assert stream.consumed <= 2 * CHUNK


@pytest.mark.parametrize("seed", range(20))
def test_random_binary_without_nul_is_rejected(seed):
    data = bytes(b or 1 for b in random.Random(seed).randbytes(100_000))
    message = str(usage_error(data))
    assert message.startswith(
        ("input is not text (binary data at byte ", "no phone column in header")
    )


def test_nul_in_first_chunk_names_its_offset():
    assert str(usage_error(b"phone\n010\x00")).startswith(
        "input is not text (binary data at byte 9)"
    )


def test_binary_header_names_its_offset():
    err = usage_error(b"ph\xff\xfe\xfdone\n010\n")
    assert str(err).startswith("input is not text (binary data at byte 2)")


def test_binary_at_the_first_byte_or_after_a_bom_names_its_offset():
    err = usage_error(b"\x00phone\n010\n")
    assert str(err).startswith("input is not text (binary data at byte 0)")
    err = usage_error(b"\xef\xbb\xbfph\xffone\n010\n")  # the BOM's 3 bytes count
    assert str(err).startswith("input is not text (binary data at byte 5)")


def test_header_names_may_hold_spaces_but_no_control_characters():
    source = CsvInput(io.BytesIO(b"phone,first name\n01012345678,Kim\n"))
    assert source.variables == ["first name"]
    assert str(usage_error(b"phone,na\x1fme\n")).startswith(
        "input is not text (binary data at byte 8)"
    )
    assert str(usage_error(b"phone,name\x7f\n")).startswith(
        "input is not text (binary data at byte 10)"
    )


def test_utf16_is_named():
    err = usage_error("phone,name\n01012345678,a\n".encode("utf-16"))
    assert "UTF-16" in str(err)


def test_no_phone_column():
    err = usage_error(b"name,amount\nkim,1\n")
    assert str(err) == (
        "no phone column in header: 'name', 'amount' "
        "(name the number column phone, to, number or 수신번호)"
    )


@pytest.mark.parametrize(("data", "hint"), [
    (b"phone;name\n01012345678;kim\n", "the fields seem to be split by semicolons; smscli reads comma-separated CSV"),
    (b"phone\tname\n01012345678\tkim\n", "the fields seem to be split by tabs"),
    (b"01012345678\n01099998888\n", "the first line looks like a number, not a header: add a first line such as phone,name"),
])
def test_a_header_without_a_phone_column_says_what_the_first_line_looks_like(data, hint):
    assert hint in str(usage_error(data))


def test_no_phone_column_shows_twelve_names_in_at_most_200_characters():
    names = [f"c{i}" for i in range(1, 14)]
    err = usage_error(",".join(names).encode() + b"\n")
    assert str(err).startswith(
        "no phone column in header: " + ", ".join(repr(n) for n in names[:12]) + " ("
    )
    err = usage_error(b"x" * 198 + b"\n")  # shown as 200 characters: whole
    assert str(err).startswith("no phone column in header: '" + "x" * 198 + "' (")
    err = usage_error(b"x" * 199 + b"\n")  # 201: cut to 200
    assert str(err).startswith("no phone column in header: '" + "x" * 199 + "... (")


@pytest.mark.parametrize("data", [b"", b"\n\n", b"   ", b"\xef\xbb\xbf"])
def test_empty_input(data):
    assert "empty" in str(usage_error(data))


def test_duplicate_columns():
    assert "duplicate column 'Name'" in str(usage_error(b"phone,name,Name\n"))


def test_rows_for_to_numbers_need_only_a_phone():
    row = Row(line_no=0, phone="01012345678")
    assert (row.vars, row.id, row.error) == ({}, None, None)
    with pytest.raises(TypeError):
        row.vars["x"] = "shared default must stay empty"  # type: ignore[index]


def test_header_only_gives_no_rows():
    assert rows_of(b"phone,name\n") == []


# --- sources -------------------------------------------------------------------------


def test_stdin_dash_reads_binary_stdin():
    stdin = io.BytesIO("phone,이름\n01012345678,홍\n".encode("cp949"))
    rows = list(read_csv("-", stdin=stdin))
    assert rows[0].vars == {"이름": "홍"}


def test_stdin_is_left_open_and_a_path_like_a_dash_is_a_file(tmp_path, monkeypatch):
    stdin = io.BytesIO(b"phone\n01012345678\n")
    assert [r.phone for r in read_csv("-", stdin=stdin)] == ["01012345678"]
    assert not stdin.closed
    monkeypatch.chdir(tmp_path)
    (tmp_path / "+list.csv").write_bytes(b"phone\n01011112222\n")  # "+" sorts before "-"
    assert [r.phone for r in read_csv("+list.csv", stdin=stdin)] == ["01011112222"]


def test_a_bad_line_in_a_cp949_file_is_named_cp949():
    data = "phone,이름\n01012345678,홍길동\n".encode("cp949") + b"01011112222,\xc8\n"
    rows = rows_of(data + "01033334444,김\n".encode("cp949"))
    assert [r.error for r in rows] == [
        None,
        "line 3 is not valid CP949 (byte 13 of the line)",
        None,
    ]


def test_a_larger_csv_field_limit_set_elsewhere_is_kept():
    before = csv.field_size_limit()
    try:
        csv.field_size_limit(8 * MAX_LINE)
        rows_of(b"phone\n01012345678\n")
        assert csv.field_size_limit() == 8 * MAX_LINE
    finally:
        csv.field_size_limit(before)


def test_file_source_and_close(tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(b"phone\n01012345678\n")
    with open_csv(path) as source:
        assert [r.phone for r in source] == ["01012345678"]
    assert source._stream.closed


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(UsageError, match="cannot read CSV file .*: No such file or directory$"):
        open_csv(tmp_path / "nope.csv")
    with pytest.raises(UsageError, match="is a directory"):
        open_csv(tmp_path)


def test_iterating_twice_is_a_bug():
    source = CsvInput(io.BytesIO(b"phone\n010\n"))
    list(source)
    with pytest.raises(RuntimeError):
        list(source)


cell = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
        st.sampled_from(',"\n'),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(cell, cell), min_size=1, max_size=30),
    st.sampled_from(["utf-8", "utf-8-sig", "cp949"]),
)
def test_round_trip_through_csv_writer(values, encoding):
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(["phone", "name", "memo"])
    for i, (name, memo) in enumerate(values):
        writer.writerow([f"010{i:08d}", name, memo])
    rows = rows_of(buf.getvalue().encode(encoding))
    expected = [(f"010{i:08d}", n.strip(), m.strip()) for i, (n, m) in enumerate(values)]
    assert [(r.phone, r.vars["name"], r.vars["memo"]) for r in rows] == expected
    assert all(r.error is None for r in rows)


# --- --to ----------------------------------------------------------------------------


def test_parse_to_options():
    assert parse_to_options(
        ["010-1234-5678,01011112222", " 01033334444 ;010 1234 5678", "+82 10 5555 6666"]
    ) == [
        "010-1234-5678",
        "01011112222",
        "01033334444",
        "+82 10 5555 6666",
    ]


@pytest.mark.parametrize("values", [[], [""], [",", " ; "]])
def test_parse_to_options_needs_a_number(values):
    with pytest.raises(UsageError, match="--to: no phone number given") as info:
        parse_to_options(values)
    assert info.value.exit_status == 2


# --- memory: a million rows ----------------------------------------------------------

# Peak RSS of this process image: VmHWM (ru_maxrss would carry the forking parent's peak).
_MEMORY_PROBE = """
import sys
from smscli.recipients import open_csv
count = errors = 0
with open_csv(sys.argv[1]) as rows:
    for row in rows:
        count += 1
        errors += row.error is not None
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(count, errors, hwm.split()[1])
"""


@pytest.mark.timeout(120)
def test_many_rows_stream_in_flat_memory(tmp_path):
    """300,000 rows held in memory would take well over 100 MB; streaming stays near the
    interpreter's own size (bench/bench_send_dryrun.py measures 1,000,000 rows)."""
    path = tmp_path / "many.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("phone,name,amount\n")
        for start in range(0, 300_000, 10_000):
            out.write(
                "".join(f"0101{i:07d},고객{i},{i * 10}\n" for i in range(start, start + 10_000))
            )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(path)],
        env=env, capture_output=True, timeout=110, check=True,
    )  # fmt: skip
    count, errors, maxrss_kib = map(int, proc.stdout.split())
    assert (count, errors) == (300_000, 0)
    assert maxrss_kib < 60 * 1024, f"max RSS {maxrss_kib / 1024:.0f} MB"
