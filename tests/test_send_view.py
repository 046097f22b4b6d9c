"""Output of big batches: on a terminal a send to more than 50 shows the summary and only
the rows that did not go well (and how to see them all); `--verbose` every row, `--quiet`
none; piped or `--json` every row as before. The progress bar knows a CSV file's rows."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from smscli.cli import output
from smscli.cli.app import program
from smscli.send_view import BIG, RowFilter, count_csv_rows


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _csv(tmp_path: Path, good: int, bad: int, *, trailing_newline: bool = True) -> Path:
    lines = ["phone,name"]
    lines += [f"0101234{i:04d},n{i}" for i in range(good)]
    lines += [f"0101{i:03d},bad{i}" for i in range(bad)]  # too short: invalid
    path = tmp_path / "list.csv"
    path.write_text("\n".join(lines) + ("\n" if trailing_newline else ""), encoding="utf-8")
    return path


def _run(monkeypatch, capsys, stdout, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setenv("COLUMNS", "200")
    code = program(["send", "-m", "hi {name}", *args])
    err = capsys.readouterr().err
    return code, stdout.getvalue(), err


def _numbers_shown(text: str) -> set[str]:
    return {word for line in text.splitlines() for word in line.replace("│", " ").replace("\t", " ").split()
            if word.startswith("010") and word.isdigit() and len(word) >= 7}


@pytest.fixture
def big(tmp_path) -> Path:
    return _csv(tmp_path, 57, 3)


def test_a_terminal_shows_only_what_did_not_go_well(big, monkeypatch, capsys) -> None:
    code, out, err = _run(monkeypatch, capsys, _Tty(), "--csv", str(big))
    assert code == 1
    assert _numbers_shown(out) == {"0101000", "0101001", "0101002"}
    assert "accepted" not in out
    assert "sent 60: 57 accepted, 3 invalid" in err
    hint = next(line for line in err.splitlines() if "not shown" in line)
    run_id = hint.split("--id '")[1].split("*'")[0]
    assert len(run_id) == 20 and "57 row(s) that went well are not shown" in hint
    assert "--verbose" in hint


def test_verbose_shows_every_row(big, monkeypatch, capsys) -> None:
    code, out, err = _run(monkeypatch, capsys, _Tty(), "--csv", str(big), "--verbose")
    assert code == 1 and len(_numbers_shown(out)) == 60
    assert "not shown" not in err


def test_quiet_shows_only_the_summary(big, monkeypatch, capsys) -> None:
    code, out, err = _run(monkeypatch, capsys, _Tty(), "--csv", str(big), "--quiet")
    assert code == 1 and out == ""
    assert "sent 60: 57 accepted, 3 invalid" in err


def test_piped_and_json_get_every_row(big, monkeypatch, capsys) -> None:
    code, out, _ = _run(monkeypatch, capsys, io.StringIO(), "--csv", str(big))
    assert code == 1 and len(out.splitlines()) == 60
    code, out, _ = _run(monkeypatch, capsys, _Tty(), "--csv", str(big), "--json")
    assert [json.loads(line)["status"] for line in out.splitlines()].count("accepted") == 57


def test_a_small_batch_on_a_terminal_shows_every_row(tmp_path, monkeypatch, capsys) -> None:
    path = _csv(tmp_path, BIG - 1, 1)
    code, out, err = _run(monkeypatch, capsys, _Tty(), "--csv", str(path))
    assert code == 1 and len(_numbers_shown(out)) == BIG
    assert "not shown" not in err


def test_a_tagged_batch_points_at_its_tag(big, monkeypatch, capsys) -> None:
    _, _, err = _run(monkeypatch, capsys, _Tty(), "--csv", str(big), "--tag", "spring")
    assert "`smscli result list --tag spring` shows them all" in err


def test_the_progress_bar_knows_a_csv_files_rows(big, monkeypatch, capsys) -> None:
    totals: list[int | None] = []
    real = output.Output.progress

    def progress(self, description, total=None):
        totals.append(total)
        return real(self, description, total=total)

    monkeypatch.setattr(output.Output, "progress", progress)
    monkeypatch.setattr(sys, "stderr", _Tty())
    monkeypatch.setenv("SMSCLI_NO_PROGRESS", "1")  # the bar itself is drawn by rich
    _run(monkeypatch, capsys, io.StringIO(), "--csv", str(big))
    assert totals == [60]


def test_row_count(tmp_path) -> None:
    assert count_csv_rows(str(_csv(tmp_path, 7, 0))) == 7
    assert count_csv_rows(str(_csv(tmp_path, 7, 0, trailing_newline=False))) == 7
    assert count_csv_rows("-") is None
    assert count_csv_rows(str(tmp_path)) is None  # a directory
    assert count_csv_rows(str(tmp_path / "missing.csv")) is None


def test_rate_is_shown(monkeypatch) -> None:
    shown: list[dict] = []

    class Bar:
        def update(self, task, **fields) -> None:
            shown.append(fields)

    handle = output.ProgressHandle(Bar(), 1)
    handle._started -= 2.0  # as if it began two seconds ago
    handle.advance(10, accepted=10)
    assert shown[-1]["rate"] == "5/s" and shown[-1]["stats"] == "accepted 10"


def test_filter_holds_at_most_big_rows() -> None:
    seen: list[dict] = []
    rows = RowFilter(seen.append, mode="big")
    for i in range(BIG):
        rows({"status": "accepted", "message_id": f"m{i}"})
    assert seen == [] and not rows.big
    rows({"status": "rejected", "message_id": "x"})
    assert rows.big and seen == [{"status": "rejected", "message_id": "x"}]
    rows.finish()
    assert len(seen) == 1 and rows.hidden == BIG
