"""The stand-in agent (smscli.sim.bizclient) on real databases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from smscli.sim.bizclient import AgentConfig, BizclientAgent
from smscli.vendors.bizclient_db import BizDatabase, log_table_name, now_kst, recent_log_names

from .conftest import JPEG, rows, wait_for

pytestmark = pytest.mark.timeout(60)


def insert(db: BizDatabase, *items: dict[str, Any]) -> None:
    now = now_kst()
    table = db.table("BIZ_MSG")
    base = {"MSG_TYPE": 0, "STATUS": 0, "REQUEST_TIME": now, "SEND_TIME": now, "DEST_PHONE": "01012345678",
            "SEND_PHONE": "0212341234", "SUBJECT": None, "MSG_BODY": "안녕하세요", "ATTACHED_FILE": None}
    with db.connect() as conn, db.begin(conn):
        conn.execute(table.insert(), [{**base, **item} for item in items])


def by_id(db: BizDatabase, table: str = "BIZ_MSG") -> dict[str, Any]:
    return {r.CMID: r for r in rows(db, table)}


def test_rows_go_0_to_1_to_2_and_move_to_this_months_log(agent_factory, database):
    insert(database, {"CMID": "s1"}, {"CMID": "l1", "MSG_TYPE": 5, "SUBJECT": "제목", "MSG_BODY": "장문 " * 100})
    agent = agent_factory(send_delay=3600, move_delay=3600)
    agent.prepare()
    agent.step()
    assert {k: r.STATUS for k, r in by_id(database).items()} == {"s1": 1, "l1": 1}
    agent.config.send_delay = 0
    before = now_kst()
    agent.step()
    got = by_id(database)
    assert {k: (r.STATUS, r.CALL_STATUS) for k, r in got.items()} == {"s1": (2, "4100"), "l1": (2, "6600")}
    assert all(before <= r.REPORT_TIME <= now_kst() and r.TEL_INFO in ("SKT", "KTF", "LGT") for r in got.values())
    agent.config.move_delay = 0
    agent.step()
    assert rows(database) == []
    log = by_id(database, log_table_name(now_kst()))
    assert set(log) == {"s1", "l1"}
    assert (log["l1"].SUBJECT, log["l1"].MSG_BODY, log["l1"].CALL_STATUS) == ("제목", "장문 " * 100, "6600")
    assert log["l1"].REPORT_TIME == got["l1"].REPORT_TIME
    assert agent.stats == {"taken": 2, "delivered": 2, "moved": 2}
    assert agent.idle()


def test_moves_wait_for_move_delay(agent_factory, database):
    insert(database, {"CMID": "s1"})
    agent = agent_factory(send_delay=0, move_delay=0.3)
    agent.prepare()
    agent.step()
    agent.step()
    assert by_id(database)["s1"].STATUS == 2
    assert wait_for(lambda: (agent.step(), rows(database) == [])[1], timeout=5)


def test_send_time_in_the_future_is_honoured(agent_factory, database):
    insert(database, {"CMID": "later", "SEND_TIME": now_kst() + timedelta(days=1)}, {"CMID": "now"})
    agent = agent_factory(send_delay=3600)
    agent.prepare()
    agent.step()
    assert {k: r.STATUS for k, r in by_id(database).items()} == {"later": 0, "now": 1}
    table = database.table("BIZ_MSG")
    with database.connect() as conn, database.begin(conn):
        conn.execute(database.sa.update(table).where(table.c.CMID == "later")  # noqa: SIM300
                     .values(SEND_TIME=now_kst() - timedelta(seconds=1)))
    agent.step()
    assert by_id(database)["later"].STATUS == 1


def test_the_agents_own_checks_refuse_rows_with_9xxx_codes(agent_factory, database, files):
    (files / "ok.jpg").write_bytes(JPEG)
    (files / "empty.jpg").write_bytes(b"")
    (files / "doc.pdf").write_bytes(b"%PDF-1.4")
    (files / "big.jpg").write_bytes(JPEG + b"\x00" * 61440)
    mms = {"MSG_TYPE": 5, "MSG_BODY": "사진"}
    insert(database,
           {"CMID": "ok", **mms, "ATTACHED_FILE": "ok.jpg|ok.jpg"},
           {"CMID": "missing", **mms, "ATTACHED_FILE": "ok.jpg|gone.jpg"},
           {"CMID": "empty", **mms, "ATTACHED_FILE": "empty.jpg"},
           {"CMID": "pdf", **mms, "ATTACHED_FILE": "doc.pdf"},
           {"CMID": "big", **mms, "ATTACHED_FILE": "big.jpg"},
           {"CMID": "escape", **mms, "ATTACHED_FILE": "../files/ok.jpg"},
           {"CMID": "long", "MSG_BODY": "가" * 46},
           {"CMID": "emoji", "MSG_BODY": "hi 😀"},
           {"CMID": "phone", "DEST_PHONE": "12ab"},
           {"CMID": "kakao", "MSG_TYPE": 6},  # no SENDER_KEY (test_kakao.py has the rest)
           {"CMID": "rcs", "MSG_TYPE": 8})  # not in the manual's MSG_TYPE list
    agent = agent_factory(send_delay=3600, move_delay=3600)
    agent.prepare()
    agent.step()
    got = {k: (r.STATUS, r.CALL_STATUS) for k, r in by_id(database).items()}
    assert got == {"ok": (1, None), "missing": (3, "9017"), "empty": (3, "9018"), "pdf": (3, "9019"),
                   "big": (3, "9027"), "escape": (3, "9017"), "long": (3, "9024"), "emoji": (3, "9215"),
                   "phone": (3, "9214"), "kakao": (3, "9015"), "rcs": (3, "9020")}
    assert agent.stats == {"taken": 1, "refused": 10}


def test_fail_rate_is_deterministic_per_seed_and_cmid(database, files):
    url = database.url.render_as_string(hide_password=False)
    ids = [f"m{i}" for i in range(2000)]

    def outcomes(seed: int, rate: float) -> list[str]:
        agent = BizclientAgent(AgentConfig(url, str(files), fail_rate=rate, seed=seed))
        try:
            return [agent.outcome(cmid, 0)[0] for cmid in ids]
        finally:
            agent.db.dispose()

    first = outcomes(7, 0.25)
    assert first == outcomes(7, 0.25) and first != outcomes(8, 0.25)
    share = sum(code != "4100" for code in first) / len(first)
    assert 0.2 < share < 0.3
    assert set(first) - {"4100"} == {"4401", "4410", "4414", "4421"}
    assert set(outcomes(1, 0.0)) == {"4100"} and "4100" not in outcomes(1, 1.0)


def test_a_restarted_agent_finishes_rows_left_half_done(agent_factory, database):
    insert(database, {"CMID": "taken", "STATUS": 1}, {"CMID": "done", "STATUS": 2, "CALL_STATUS": "4100",
                                                      "REPORT_TIME": now_kst()})
    agent = agent_factory(send_delay=0, move_delay=0)
    agent.prepare()
    agent.step()
    agent.step()
    assert rows(database) == []
    assert set(by_id(database, recent_log_names()[0])) == {"taken", "done"}


def test_the_agent_creates_missing_tables_and_log_tables_without_a_key(backend: str, files: Path):
    agent = BizclientAgent(AgentConfig(backend, str(files), send_delay=0, move_delay=0))
    agent.prepare()
    db = agent.db
    insert(db, {"CMID": "s1"})
    agent.step()
    agent.step()
    log_name = log_table_name(now_kst())
    with db.connect() as conn:
        insp = db.sa.inspect(conn)
        assert not insp.get_pk_constraint(log_name).get("constrained_columns")
        assert insp.get_pk_constraint("BIZ_MSG")["constrained_columns"] == ["CMID"]
    assert set(by_id(db, log_name)) == {"s1"}
    agent.stop()


def test_the_agent_thread_reports_its_error(database, files):
    agent = BizclientAgent(AgentConfig(database.url.render_as_string(hide_password=False), str(files),
                                       interval=0.01))
    agent.start()
    with database.connect() as conn, database.begin(conn):
        conn.exec_driver_sql("DROP TABLE BIZ_MSG")
    assert wait_for(lambda: agent.error is not None, timeout=10)
    agent.stop()
    assert "BIZ_MSG" in str(agent.error)
