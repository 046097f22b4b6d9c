"""The direct executemany and IN query store and find what SQLAlchemy's own do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from smscli.vendors.bizclient_db import BizDatabase, recent_log_names, select_in
from smscli.vendors.bizclient_insert import Inserter
from smscli.vendors.bizclient_insert import insert_rows as _insert_rows


def _raw(db: BizDatabase, table: str) -> list[tuple]:
    """The stored values as the driver gives them (SQLite: the text SQLAlchemy wrote)."""
    q = db.engine.dialect.identifier_preparer.quote
    with db.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {q(table)} ORDER BY {q('CMID')}")]


def test_insert_rows_stores_what_sqlalchemy_stores(database: BizDatabase) -> None:
    now = datetime(2026, 11, 18, 14, 0, 0, 123456)
    later = now + timedelta(hours=1)
    base = {"STATUS": 0, "REQUEST_TIME": now, "DEST_PHONE": "01012345678", "SEND_PHONE": "0212345678",
            "MSG_TYPE": 0, "MSG_BODY": "안녕 %s ? '", "SUBJECT": None, "ATTACHED_FILE": None}
    rows = [{"CMID": "a1", **base, "SEND_TIME": now},
            {"CMID": "a2", **base, "SEND_TIME": later, "CINFO": "tag"},  # a shape of its own
            {"CMID": "a3", **base, "SEND_TIME": now.replace(microsecond=0)}]
    keys = list(dict.fromkeys(k for r in rows for k in r))
    table = database.table("BIZ_MSG")
    with database.connect() as conn:
        _insert_rows(conn, table, keys, rows)
        conn.commit()
    ours = _raw(database, "BIZ_MSG")
    with database.connect() as conn:
        conn.execute(table.delete())
        conn.execute(table.insert(), [{k: r.get(k) for k in keys} for r in rows])
        conn.commit()
    assert ours == _raw(database, "BIZ_MSG")
    assert [r[0] for r in ours] == ["a1", "a2", "a3"]
    same = [{"CMID": f"b{i}", **base, "SEND_TIME": now} for i in range(3)]  # one shape: itemgetter
    with database.connect() as conn:
        _insert_rows(conn, table, list(same[0]), same)
        conn.commit()
        got = sorted(select_in(conn, table, "CMID", ["b0", "b2", "zz", "a1"]))
        assert got == ["a1", "b0", "b2"]
        log = database.table(recent_log_names()[0], log=True)
        assert select_in(conn, log, "CMID", ["b0"]) == []


def test_one_inserter_over_batches_of_other_shapes_stores_what_sqlalchemy_stores(database: BizDatabase) -> None:
    """The statement kept from one batch serves the next of the same columns only; each
    distinct time object is converted once, by identity (equal times need not be stored
    alike: an aware 14:00+09:00 equals 05:00 UTC)."""
    now = datetime(2026, 11, 18, 14, 0, 0)
    base = {"STATUS": 0, "REQUEST_TIME": now, "SEND_TIME": now, "DEST_PHONE": "01012345678",
            "SEND_PHONE": "0212345678", "MSG_TYPE": 0, "MSG_BODY": "본문", "SUBJECT": None, "ATTACHED_FILE": None}
    kst = now.replace(tzinfo=timezone(timedelta(hours=9)))
    batches = [
        [{"CMID": f"a{i}", **base} for i in range(3)],
        [{"CMID": "b0", **base, "CINFO": "tag"}, {"CMID": "b1", **base}],  # two shapes
        [{"CMID": f"c{i}", **base, "SEND_TIME": now + timedelta(minutes=i)} for i in range(3)],
        [{"CMID": "d0", **base, "SEND_TIME": kst}, {"CMID": "d1", **base, "SEND_TIME": kst.astimezone(UTC)}],
        [{"CMID": "e0", **base, "DEST_NAME": "홍길동", "CINFO": None}],  # same width as batch 2's, other columns
    ]
    table = database.table("BIZ_MSG")
    inserter = Inserter()
    with database.connect() as conn:
        for batch in batches:
            keys = list(dict.fromkeys(k for r in batch for k in r))
            inserter.insert(conn, table, keys, batch)
        conn.commit()
    ours = _raw(database, "BIZ_MSG")
    with database.connect() as conn:
        conn.execute(table.delete())
        for batch in batches:
            keys = list(dict.fromkeys(k for r in batch for k in r))
            conn.execute(table.insert(), [{k: r.get(k) for k in keys} for r in batch])
        conn.commit()
    assert ours == _raw(database, "BIZ_MSG")
    assert len(ours) == 11
