"""Tables on a terminal keep ids, times and states whole where they fit (a user copies an id)."""

from __future__ import annotations

import io
import re

import pytest

from smscli.cli import result_list, result_stats
from smscli.cli.output import Output

ID = "01M8ZJWMPGNABNJ5WAQ8000002"
FIELDS = result_list._TABLE_FIELDS
ROW = (ID, "01012345678", "delivered", "0", "성공", "sms", "", "2026-12-04T13:04:18+09:00",
       "2026-12-04T13:04:18.913000+09:00")


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _lines(text: str) -> list[str]:
    return [re.sub(r"\x1b\[[0-9;]*m", "", line).rstrip() for line in text.splitlines()]


def test_result_list_at_120_columns_keeps_the_id_and_the_status_on_one_line(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    out = io.StringIO()
    result_list._tables([[ROW, ROW]], FIELDS, FIELDS, out)
    text = out.getvalue()
    assert max(len(line) for line in _lines(text)) <= 120
    assert sum(ID in line for line in _lines(text)) == 2  # whole, on its row's line
    assert sum("│ delivered │" in line for line in _lines(text)) == 2
    # a time wraps between date and clock, never inside either
    assert "2026-12-04" in text and "13:04:18+09:00" in text


def test_result_list_too_narrow_for_the_id_folds_and_cuts_nothing(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    out = io.StringIO()
    result_list._tables([[ROW]], FIELDS, FIELDS, out)
    assert "…" not in out.getvalue()
    assert ID in "".join(line.split("│")[1].strip() for line in _lines(out.getvalue()) if line.startswith("│"))


def test_result_stats_at_80_columns_keeps_delivered_whole(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    groups = [{"status": s, "count": 1, "delivered": d, "failed": 0, "waiting": 1 - d, "rate": float(d)}
              for s, d in (("accepted", 0), ("delivered", 1))]
    out = _Tty()
    result_stats.render(groups, "status", json_mode=False, stream=out)
    lines = _lines(out.getvalue())
    assert max(len(line) for line in lines) <= 80
    header = next(line for line in lines if "count" in line)
    assert "delivered" in header and "waiting" in header
    assert any("│ delivered │" in line for line in lines)


@pytest.mark.parametrize("width", [80, 120])
def test_an_output_table_keeps_a_message_id_whole(monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    buf = _Tty()
    out = Output(False, stdout=buf, columns=["to", "status", "type", "code", "detail", "message_id"])
    out.emit({"to": "01012345678", "status": "accepted", "type": "sms", "code": "0",
              "detail": "성공 " * 30, "message_id": ID})
    out.flush()
    assert any(ID in line for line in _lines(buf.getvalue()))
    assert max(len(line) for line in _lines(buf.getvalue())) <= width
