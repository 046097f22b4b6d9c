"""Campaign tags and names (`--tag`, CSV `tag`/`name` columns): journaled, and carried over
real sockets to each vendor's place for them (what its simulator accepted says so):
BIZCLIENT CINFO/DEST_NAME, Bizppurio userinfo, OneShot UserData (echoed in its report),
BizNetShot etc1. What a vendor cannot take is `invalid` before anything is sent."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from smscli.campaign import tag_problem
from smscli.cli.app import program

FIELD = {"oneshot": "user_data", "bizppurio": "userinfo", "netshot": "etc1", "bizclient": "cinfo"}


def _journal_tags(ids: list[str]) -> dict[str, tuple[str, str]]:
    db = Path(os.environ["SMSCLI_DATA_DIR"]) / "journal.db"
    with sqlite3.connect(db) as conn:
        marks = ",".join("?" * len(ids))
        rows = conn.execute(f"SELECT id, tag, name FROM messages WHERE id IN ({marks})", ids).fetchall()
    return {mid: (tag, name) for mid, tag, name in rows}


def _send(capsys, *args: str) -> tuple[int, list[dict]]:
    code = program(["send", "--json", *args])
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.mark.parametrize("vendor", ["oneshot", "bizppurio", "netshot", "bizclient"])
def test_tags_reach_the_vendor_and_the_journal(vendor, request, tmp_path, capsys) -> None:
    sim = request.getfixturevalue(f"smscli_{vendor}_sim")
    csv = tmp_path / "list.csv"
    csv.write_text("phone,name,tag\n01011112222,김철수,\n01033334444,이영희,vip-12\n", encoding="utf-8")
    code, rows = _send(capsys, "--csv", str(csv), "-m", "{name}님 봄 세일", "--tag", "spring-26")
    assert code == 0, rows
    accepted = {a.to: a for a in sim.wait_accepted(2)}
    assert accepted["01011112222"].raw[FIELD[vendor]] == "spring-26"
    assert accepted["01033334444"].raw[FIELD[vendor]] == "vip-12"  # the row's column wins
    if vendor == "bizclient":
        assert accepted["01033334444"].raw["dest_name"] == "이영희"
    journaled = _journal_tags([r["message_id"] for r in rows])
    assert sorted(journaled.values()) == [("spring-26", "김철수"), ("vip-12", "이영희")]


def test_untagged_send_carries_nothing(smscli_bizppurio_sim, capsys) -> None:
    code, rows = _send(capsys, "--to", "01011112222", "-m", "hi")
    assert code == 0
    assert smscli_bizppurio_sim.wait_accepted(1)[0].raw["userinfo"] == ""
    assert _journal_tags([rows[0]["message_id"]])[rows[0]["message_id"]] == ("", "")


def test_oneshot_echoes_the_tag_in_its_report(smscli_oneshot_sim) -> None:
    with smscli_oneshot_sim.client() as sms:
        assert sms.send("01012345678", "hello", id="t-1", tag="spring").status == "accepted"
        smscli_oneshot_sim.wait_accepted(1)
        smscli_oneshot_sim.deliver("t-1")
        reports = list(sms.poll(timeout=3))
        assert [r.extra.get("user_data") for r in reports] == ["spring"]


@pytest.mark.parametrize("tag", ["a/b", "x.y", "what?", "<b>", "back\\slash", "two words", "a*"])
def test_bad_cinfo_is_invalid_before_sending(tag, smscli_bizclient_sim, capsys) -> None:
    code, rows = _send(capsys, "--to", "01011112222", "-m", "hi", "--tag", tag)
    assert code == 1
    assert rows[0]["status"] == "invalid"
    assert "CINFO" in rows[0]["detail"] and repr(tag) in rows[0]["detail"]
    assert smscli_bizclient_sim.accepted == []
    code, rows = _send(capsys, "--to", "01011112222", "-m", "hi", "--tag", tag, "--dry-run")
    assert rows[0]["status"] == "invalid"  # a dry run says so too


def test_a_bad_csv_tag_makes_only_its_row_invalid(smscli_bizclient_sim, tmp_path, capsys) -> None:
    csv = tmp_path / "list.csv"
    csv.write_text(f"phone,tag\n01011112222,ok_tag\n01033334444,{'x' * 33}\n", encoding="utf-8")
    code, rows = _send(capsys, "--csv", str(csv), "-m", "hi")
    assert code == 1
    by_to = {r["to"]: r for r in rows}
    assert by_to["01011112222"]["status"] == "accepted"
    assert by_to["01033334444"]["status"] == "invalid"
    assert "at most 32" in by_to["01033334444"]["detail"]
    assert [a.to for a in smscli_bizclient_sim.wait_accepted(1)] == ["01011112222"]


def test_vendor_limits() -> None:
    assert tag_problem("bizppurio", "x" * 50) == ""
    assert "at most 50 (its userinfo)" in tag_problem("bizppurio", "x" * 51)
    assert tag_problem("bizclient", "spring_26-A") == ""
    assert tag_problem("bizclient", "x" * 32) == ""
    assert "at most 32" in tag_problem("bizclient", "x" * 33)
    assert tag_problem("oneshot", "a/b.c d") == ""  # only CINFO refuses these characters
    assert "control character" in tag_problem("netshot", "a\nb")
    assert tag_problem("netshot", "") == ""


def test_a_held_reservation_keeps_its_tag_until_it_is_flushed(smscli_oneshot_sim, clock_at, capsys) -> None:
    from datetime import datetime, timedelta

    now = datetime(2026, 11, 23, 10, 0)
    clock_at(now)
    at = now + timedelta(hours=2)
    code = program(["reserve", "--at", f"{at:%Y-%m-%d %H:%M}", "--to", "01012345678", "-m", "later",
                    "--tag", "winter", "--json"])
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0 and row["status"] == "scheduled"
    assert _journal_tags([row["message_id"]])[row["message_id"]] == ("winter", "")
    clock_at(at + timedelta(minutes=1))
    assert program(["reserve", "flush", "--json"]) == 0
    assert smscli_oneshot_sim.wait_accepted(1)[0].raw["user_data"] == "winter"


def test_a_reservation_held_here_says_its_time_in_korea_time(smscli_oneshot_sim, clock_at, capsys) -> None:
    """--at in UTC: the result's detail gives the time as every other smscli time, +09:00."""
    from datetime import datetime

    clock_at(datetime(2026, 11, 23, 10, 0))
    assert program(["reserve", "--at", "2026-11-23T03:00:00Z", "--to", "01012345678", "-m", "x", "--json"]) == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["status"] == "scheduled" and row["detail"] == "held locally until 2026-11-23T12:00:00+09:00"
