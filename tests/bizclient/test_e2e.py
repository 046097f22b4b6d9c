"""The whole flow as a user runs it: smscli send / reserve / result poll with a bizclient
profile, the real journal, and the stand-in agent working the same database."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from smscli.cli.app import program
from smscli.vendors.bizclient_db import BizDatabase, now_kst

from .conftest import JPEG, rows
from .test_cli import write_config

pytestmark = pytest.mark.timeout(60)


def run(capsys, *argv: str) -> tuple[int, list[dict], str]:
    code = program(list(argv))
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


@pytest.fixture
def setup(database: BizDatabase, files: Path, isolated_env: Path, agent_factory):
    write_config(isolated_env, database.url.render_as_string(hide_password=False), files)
    return database, agent_factory(send_delay=0, move_delay=0)


def test_send_poll_and_resend(setup, capsys):
    database, agent = setup
    code, sent, err = run(capsys, "send", "--to", "010-1234-5678,01022223333", "-m", "안녕하세요",
                          "--id", "notice-1", "--json")
    assert code == 0, err
    assert [(r["status"], r["vendor"], r["type"], r["code"]) for r in sent] == [("accepted", "bizclient", "sms", "0")] * 2
    stored = rows(database)
    assert sorted(r.CMID for r in stored) == sorted(r["message_id"] for r in sent)
    assert {r.DEST_PHONE for r in stored} == {"01012345678", "01022223333"} and {r.SEND_PHONE for r in stored} == {"0212341234"}

    code, again, _ = run(capsys, "send", "--to", "010-1234-5678,01022223333", "-m", "안녕하세요", "--id", "notice-1",
                         "--json")
    assert code == 0 and [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert len(rows(database)) == 2

    agent.prepare()
    agent.step()
    agent.step()
    assert agent.stats["moved"] == 2
    code, reports, err = run(capsys, "result", "poll", "--json")
    assert code == 0, err
    assert sorted(r["message_id"] for r in reports) == sorted(r["message_id"] for r in sent)
    for report in reports:
        assert (report["status"], report["code"], report["detail"], report["vendor"]) == \
            ("delivered", "4100", "전달", "bizclient")
        assert report["delivered_at"].endswith("+09:00")
    code, reports, err = run(capsys, "result", "poll", "--json")
    assert code == 0 and reports == [] and "0 report(s)" in err


def test_reserve_and_cancel(setup, capsys):
    database, agent = setup
    when = (now_kst() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    code, out, err = run(capsys, "reserve", "--at", when, "--to", "01012345678", "-m", "내일 뵙겠습니다", "--json")
    assert code == 0, err
    assert out[0]["status"] == "scheduled"
    (row,) = rows(database)
    assert row.SEND_TIME.strftime("%Y-%m-%d %H:%M") == when and row.STATUS == 0
    code, out, err = run(capsys, "reserve", "cancel", out[0]["message_id"], "--json")
    assert code == 0, err
    assert out[0]["status"] == "cancelled" and rows(database) == []


def test_cancel_after_the_agent_took_it_exits_1(setup, capsys):
    database, agent = setup
    agent.config.send_delay = 3600
    when = (now_kst() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    code, out, _ = run(capsys, "reserve", "--at", when, "--to", "01012345678", "-m", "x", "--json")
    table = database.table("BIZ_MSG")
    with database.connect() as conn, database.begin(conn):  # the time comes
        conn.execute(database.sa.update(table).values(SEND_TIME=now_kst() - timedelta(seconds=1)))
    agent.prepare()
    agent.step()
    code, _, err = run(capsys, "reserve", "cancel", out[0]["message_id"])
    assert code == 1
    assert err.startswith("smscli: message ") and "already taken it (STATUS 1" in err and err.count("\n") == 1
    assert rows(database)[0].STATUS == 1


def test_mms_through_the_pipeline(setup, files, tmp_path, capsys):
    database, _agent = setup
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(JPEG)
    code, out, err = run(capsys, "send", "--to", "01012345678", "-m", "사진입니다", "--subject", "사진",
                         "--image", str(photo), "--json")
    assert code == 0, err
    assert out[0]["type"] == "mms" and out[0]["status"] == "accepted"
    (row,) = rows(database)
    assert row.MSG_TYPE == 5 and (files / row.ATTACHED_FILE).read_bytes() == JPEG


def test_an_image_over_60_kb_exits_2_before_anything(setup, tmp_path, capsys):
    database, _agent = setup
    big = tmp_path / "big.jpg"
    big.write_bytes(JPEG + b"\x00" * 61440)
    code, out, err = run(capsys, "send", "--to", "01012345678,01022223333", "-m", "x", "--image", str(big))
    assert code == 2 and out == []
    assert err.startswith("smscli: ") and "big.jpg" in err and err.count("\n") == 1
    assert rows(database) == []


def test_a_missing_table_exits_3_naming_init_db(backend, files, isolated_env, capsys):
    if backend.startswith("sqlite"):
        BizDatabase(backend, create=True).connect().close()
    write_config(isolated_env, backend, files)
    code, out, err = run(capsys, "send", "--to", "01012345678", "-m", "x")
    assert code == 3 and out == []
    assert "table BIZ_MSG does not exist" in err and "smscli bizclient init-db" in err and err.count("\n") == 1
