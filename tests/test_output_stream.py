"""Output streams long listings: fixed-column rows are written as JSON Lines in batches
(byte for byte what json.dumps gives), and a terminal gets a table per page."""

from __future__ import annotations

import io
import json

from smscli.cli import output
from smscli.cli.output import Output

COLUMNS = ["message_id", "to", "status", "detail"]


def test_emitter_writes_what_json_dumps_writes_in_batches(monkeypatch) -> None:
    monkeypatch.setattr(output, "LINES_PER_WRITE", 3)
    buf = io.StringIO()
    out = Output(True, stdout=buf)
    emit = out.emitter(COLUMNS)
    rows = [(f"m{i}", "010", "accepted", 'say "hi" 안녕\n\t\\ \x01') for i in range(7)]
    for row in rows[:4]:
        emit(row)
    assert buf.getvalue().count("\n") == 3  # written as they come, a batch at a time
    for row in rows[4:]:
        emit(row)
    out.flush()
    expected = "".join(json.dumps(dict(zip(COLUMNS, r, strict=True)), ensure_ascii=False) + "\n" for r in rows)
    assert buf.getvalue() == expected


def test_emitter_keeps_order_with_emit_and_plain_lines() -> None:
    buf = io.StringIO()
    out = Output(True, stdout=buf)
    out.emitter(COLUMNS)(("a", "1", "s", "d"))
    out.emit({"message_id": "b"})
    out.flush()
    assert [json.loads(line)["message_id"] for line in buf.getvalue().splitlines()] == ["a", "b"]
    tsv = io.StringIO()
    Output(False, stdout=tsv, columns=COLUMNS).emitter(COLUMNS)(("a", "1", "s", "d"))
    assert tsv.getvalue() == "a\t1\ts\td\n"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_table_per_page(monkeypatch) -> None:
    monkeypatch.setattr(output, "TABLE_PAGE", 2)
    buf = _Tty()
    out = Output(False, stdout=buf, columns=["message_id"])
    out.emit({"message_id": "first"})
    assert "first" not in buf.getvalue()
    out.emit({"message_id": "second"})
    assert "first" in buf.getvalue() and "second" in buf.getvalue()  # before the listing ends
    out.emit({"message_id": "third"})
    out.flush()
    assert "third" in buf.getvalue()


def test_a_tsv_row_stays_one_line_whatever_its_text_holds(smscli_oneshot_sim, clock_at, capsys) -> None:
    """``reserve list`` piped: a text with a line break and a tab is still one row of as many
    cells as the others (the journal keeps the text as it was)."""
    from datetime import datetime

    from smscli.cli.app import program

    clock_at(datetime(2026, 11, 23, 10, 0))
    for text in ("first line\nsecond\tcell", "plain"):
        assert program(["reserve", "--at", "2026-11-23 12:00", "--to", "01012345678", "-m", text,
                        "--json"]) == 0
    capsys.readouterr()
    assert program(["reserve", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert len({line.count("\t") for line in lines}) == 1
    assert any("first line second cell" in line for line in lines)
    assert program(["reserve", "list", "--json"]) == 0
    texts = {json.loads(line)["text"] for line in capsys.readouterr().out.splitlines()}
    assert texts == {"first line\nsecond\tcell", "plain"}
