"""The dry run's JSON line is written by its maker (``dispatch.dry_run_valid``), not by the
JSON encoder: it must be byte for byte what ``json.dumps(obj, ensure_ascii=False)`` gives of
the object, and the output must print it."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from smscli.cli.output import Output, json_line
from smscli.dispatch import dry_run_valid
from smscli.models import Encoded
from tests.conftest import run_cli

TRICKY = ['say "hi"', "back\\slash", "tab\there\nnl\r", "\x00\x01\x1f\x7f", "안녕😀\u2028\u2029", "/ </script>", ""]


def _dumped(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False) + "\n"


@settings(max_examples=300, deadline=None)
@given(to=st.text(), message_id=st.text(), vendor=st.text(), type=st.text(),
       size=st.integers(min_value=-(2**70), max_value=2**70))
def test_the_line_is_what_json_dumps_writes(to: str, message_id: str, vendor: str, type: str, size: int) -> None:
    obj = dry_run_valid(to, message_id, vendor, type, size)
    assert obj.json_line == _dumped(obj)
    assert list(obj) == ["to", "status", "message_id", "vendor", "type", "code", "detail", "bytes"]
    assert obj["detail"] == f"{size} bytes" and obj["bytes"] == size and obj["status"] == "valid"


def test_the_line_escapes_what_json_escapes() -> None:
    for value in TRICKY:
        obj = dry_run_valid(value, value, value, value, 7)
        assert obj.json_line == _dumped(obj), value


def test_output_prints_the_objects_own_line_first_and_after() -> None:
    buf = io.StringIO()
    out = Output(True, stdout=buf)
    for n in range(3):  # the first line goes through _emit, the next ones through emit's own path
        obj = Encoded({"n": n})
        obj.json_line = f"line {n}\n"  # not what the encoder would write: shows which one was used
        out.emit(obj)
    out.emit({"plain": "dict"})
    other = Encoded({"no": "line"})  # made without a line: encoded as any dict
    out.emit(other)
    out.flush()
    assert buf.getvalue() == 'line 0\nline 1\nline 2\n{"plain": "dict"}\n{"no": "line"}\n'
    assert json_line()(other) == '{"no": "line"}\n'


def test_a_dry_run_prints_canonical_json_lines(tmp_path) -> None:
    """End to end: every line of a dry run over awkward ids, names and numbers is the
    encoder's own rendering of its object (and the plain rows are the made ones)."""
    ids = ['a"b', "back\\slash", "x/y</s>", "{}[]:;"]  # printable ASCII (another id is invalid)
    rows = ["phone,name,id"]
    for n, mid in enumerate(ids):
        rows.append(f'01012345{n:03d},"이름 ""{n}""",{mid}')
    rows.append("+14155550100,abroad,z1")  # not sent abroad by the sandbox: invalid
    rows.append("12,bad,z2")
    rows.append("01012345999,한글 id,탭")
    csv = tmp_path / "list.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    proc = run_cli("send", "--csv", str(csv), "-m", "{name}님 안녕하세요", "--dry-run", "--json")
    assert proc.returncode == 1, proc.stderr  # three invalid rows
    lines = proc.stdout.decode().splitlines(keepends=True)
    assert len(lines) == len(rows) - 1
    for line in lines:
        assert line == _dumped(json.loads(line))
    valid = [json.loads(line) for line in lines if '"valid"' in line]
    assert [v["message_id"] for v in valid] == ids
    assert all(v["detail"] == f"{v['bytes']} bytes" and v["type"] == "sms" for v in valid)


def test_the_summary_names_statuses_in_the_order_they_came() -> None:
    """Valid rows are counted once at the end of a dry run, yet keep their place among the
    statuses (equal counts are said in the order they first came)."""
    for numbers, said in (("01012345678,12", "1 valid, 1 invalid"), ("12,01012345678", "1 invalid, 1 valid")):
        proc = run_cli("send", "--to", numbers, "-m", "hi", "--dry-run", "--json")
        assert proc.returncode == 1
        assert f"checked 2: {said} (" in proc.stderr.decode(), proc.stderr
