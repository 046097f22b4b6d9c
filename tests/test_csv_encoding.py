"""CSV input that mixes UTF-8 and CP949 text is refused; each encoding alone is read
(smscli.csv_encoding, used by smscli.recipients)."""

from __future__ import annotations

import io

import pytest

from smscli.csv_encoding import check_late_text
from smscli.errors import UsageError
from smscli.recipients import CHUNK, CsvInput
from tests.conftest import run_cli

GILDONG_UTF8 = "길동".encode()  # EA B8 B8 EB 8F 99: valid CP949 too ("湲몃룞")
GILDONG_CP949 = "길동".encode("cp949")  # B1 E6 B5 BF
MIXED = b"phone,name\n01012345678," + GILDONG_UTF8 + b"\n01099998888," + GILDONG_CP949 + b"\n"
MIXED_SAYS = "CSV input {} mixes UTF-8 and CP949 (EUC-KR) text: line 2 is UTF-8, line 3 is CP949"
ASCII_HEAD = b"phone,name\n" + b"".join(b"0101%07d,kim\n" % i for i in range(CHUNK // 10))


def refused(data: bytes) -> str:
    with pytest.raises(UsageError) as info:
        CsvInput(io.BytesIO(data), "in.csv")
    assert info.value.exit_status == 2
    return str(info.value)


def test_utf8_then_cp949_is_refused_on_open():
    assert refused(MIXED) == (MIXED_SAYS.format("in.csv")
                              + " (save it in one encoding, e.g. as Excel's CSV UTF-8)")


def test_cp949_then_utf8_is_refused_naming_both_lines():
    data = "phone,name\n01012345678,홍길동\n01011112222,김\n".encode("cp949") + b"01099998888," + GILDONG_UTF8 + b"\n"
    assert refused(data).startswith(
        "CSV input in.csv mixes UTF-8 and CP949 (EUC-KR) text: line 2 is CP949, line 4 is UTF-8")


def test_a_utf8_header_over_cp949_rows_is_refused():
    data = "phone,이름\n".encode() + "01012345678,홍길동\n".encode("cp949")
    assert "line 1 is UTF-8, line 2 is CP949" in refused(data)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_pure_utf8_is_read(bom):
    source = CsvInput(io.BytesIO(bom + "phone,name\n01012345678,홍길동\n01099998888,황\n".encode()))
    assert [r.vars["name"] for r in source] == ["홍길동", "황"] and source.encoding == "utf-8"


def test_pure_cp949_is_read_though_short_lines_of_it_are_valid_utf8():
    names = ["김", "홍", "황", "이", "홍길동", "똠방각하", "李舜臣", "황"]  # 홍 = C8 AB: UTF-8 "ȫ"
    assert "01012345678,홍\n".encode("cp949").decode() == "01012345678,ȫ\n"
    data = ("phone,name\n" + "".join(f"010{i:08d},{n}\n" for i, n in enumerate(names))).encode("cp949")
    source = CsvInput(io.BytesIO(data))
    rows = list(source)
    assert source.encoding == "cp949"
    assert [(r.vars["name"], r.error) for r in rows] == [(n, None) for n in names]


def test_cp949_after_a_bom_is_still_a_bad_row_not_a_refusal():
    data = b"\xef\xbb\xbfphone,name\n01012345678," + GILDONG_UTF8 + b"\n01099998888," + GILDONG_CP949 + b"\n"
    rows = list(CsvInput(io.BytesIO(data)))
    assert [r.error for r in rows] == [None, "line 3 is not valid UTF-8 (byte 13 of the line)"]


def test_mixed_text_after_a_block_of_ascii_stops_the_rows_and_says_where():
    data = ASCII_HEAD + b"01012345678," + GILDONG_UTF8 + b"\n01099998888," + GILDONG_CP949 + b"\n"
    n = ASCII_HEAD.count(b"\n")
    rows = iter(CsvInput(io.BytesIO(data), "in.csv"))
    assert next(rows).phone == "01010000000"  # the first block is ASCII: nothing decided yet
    with pytest.raises(UsageError, match=rf"line {n + 1} is UTF-8, line {n + 2} is CP949; the rows "
                                         r"before line \d+ were read, nothing from it on"):
        list(rows)
    with pytest.raises(UsageError, match=rf"line {n + 1} is UTF-8, line {n + 2} is CP949 \(save"):
        check_late_text(io.BytesIO(data), "in.csv", window=CHUNK)  # a send's check, before any row


@pytest.mark.parametrize("tail", ["01099998888,홍길동\n".encode("cp949"), "01099998888,홍길동\n".encode(),
                                  b"01099998888,ok\n"])
def test_the_late_check_passes_one_encoding(tail):
    check_late_text(io.BytesIO(ASCII_HEAD + tail), "in.csv", window=CHUNK)
    check_late_text(io.BytesIO(ASCII_HEAD[:-1] + tail), "in.csv", window=100)  # many small reads


def _refused_by_the_cli(proc, name: str) -> None:
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert err.splitlines() == [f"smscli: {MIXED_SAYS.format(name)} "
                                "(save it in one encoding, e.g. as Excel's CSV UTF-8)"]
    assert proc.stdout == b""


@pytest.mark.parametrize("how", ["file", "stdin", "dry-run", "late file", "late stdin"])
def test_the_cli_refuses_mixed_input_and_sends_nothing(tmp_path, how):
    data = MIXED if not how.startswith("late") else ASCII_HEAD + MIXED[len(b"phone,name\n"):]
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    source = "-" if how.endswith("stdin") else str(path)
    extra = ["--dry-run"] if how == "dry-run" else []
    proc = run_cli("send", "--csv", source, "-m", "{name}님", *extra, input=data)
    if how.startswith("late"):
        n = ASCII_HEAD.count(b"\n")
        assert proc.returncode == 2 and proc.stdout == b"", proc.stderr
        assert f"line {n + 1} is UTF-8, line {n + 2} is CP949 (save" in proc.stderr.decode()
    else:
        _refused_by_the_cli(proc, "stdin" if source == "-" else str(path))
    assert run_cli("result", "list", "--json").stdout == b""
    assert run_cli("runs").stdout == b""
