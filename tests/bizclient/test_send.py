"""BizclientVendor.send against real databases (SQLite file, MariaDB server)."""

from __future__ import annotations

import os
import stat
from datetime import UTC, timedelta, timezone
from pathlib import Path

import pytest

from smscli import clock
from smscli.errors import ConfigError, ExitStatus, UsageError
from smscli.models import Message, SendResult
from smscli.vendors.bizclient_db import KST, build_table, now_kst, recent_log_names

from .conftest import JPEG, rows, sms

pytestmark = pytest.mark.timeout(60)


def send(vendor, messages) -> list[SendResult]:
    results: list[SendResult] = []
    vendor.send(messages, results.append)
    return results


def test_sms_lms_mms_rows_have_the_documented_columns(vendor_factory, database, files, tmp_path):
    image = tmp_path / "photo.jpg"
    image.write_bytes(JPEG)
    before = now_kst()
    results = send(vendor_factory(), [
        sms(1, to="010-1234-5678"),
        Message(id="m2", to="01022223333", text="장문 " * 40, sender="0311112222", type="lms", subject="제목입니다"),
        Message(id="m3", to="01033334444", text="사진", sender="", type="mms", subject="MMS", images=(str(image),)),
    ])
    after = now_kst()
    assert [(r.message_id, r.status, r.code, r.vendor, r.type) for r in results] == [
        ("m1", "accepted", "0", "bizclient", "sms"),
        ("m2", "accepted", "0", "bizclient", "lms"),
        ("m3", "accepted", "0", "bizclient", "mms"),
    ]
    r1, r2, r3 = rows(database)
    assert (r1.CMID, r1.MSG_TYPE, r1.STATUS, r1.DEST_PHONE, r1.SEND_PHONE, r1.SUBJECT, r1.MSG_BODY,
            r1.ATTACHED_FILE) == ("m1", 0, 0, "01012345678", "0212341234", None, "안녕하세요 테스트입니다", None)
    assert before <= r1.REQUEST_TIME <= after and r1.SEND_TIME == r1.REQUEST_TIME
    assert r1.CALL_STATUS is None and r1.REPORT_TIME is None
    assert (r2.MSG_TYPE, r2.SEND_PHONE, r2.SUBJECT, r2.MSG_BODY) == (5, "0311112222", "제목입니다", "장문 " * 40)
    assert r3.MSG_TYPE == 5 and r3.SUBJECT == "MMS"
    assert r3.ATTACHED_FILE.endswith(".jpg") and "/" not in r3.ATTACHED_FILE
    assert (files / r3.ATTACHED_FILE).read_bytes() == JPEG


def test_inserts_are_batched_1000_rows_per_transaction_and_pulled_lazily(vendor_factory, database):
    vendor = vendor_factory()
    commits: list[int] = []
    database_engine = vendor.database().engine
    vendor.database().sa.event.listen(database_engine, "commit", lambda conn: commits.append(1))
    pulled = 0
    seen_at_first_result: list[int] = []

    def messages():
        nonlocal pulled
        for i in range(2500):
            pulled += 1
            yield sms(i)

    def on_result(result: SendResult) -> None:
        if result.message_id in ("m0", "m1000", "m2000"):
            seen_at_first_result.append(pulled)
            # The batch is committed before its results are reported: another connection sees it.
            assert any(result.message_id == r.CMID for r in rows(database))

    vendor.send(messages(), on_result)
    assert len(commits) == 3
    assert seen_at_first_result == [1000, 2000, 2500]
    assert len(rows(database)) == 2500


def test_a_duplicate_cmid_is_reported_and_never_overwritten(vendor_factory, database):
    vendor = vendor_factory()
    table = database.table("BIZ_MSG")
    with database.connect() as conn, database.begin(conn):
        conn.execute(table.insert(), [{"CMID": "m1", "MSG_TYPE": 0, "STATUS": 1, "REQUEST_TIME": now_kst(),
                                       "SEND_TIME": now_kst(), "DEST_PHONE": "01099998888",
                                       "SEND_PHONE": "0299998888", "MSG_BODY": "someone else's"}])
    results = send(vendor, [sms(0), sms(1), sms(2), sms(2, text="again")])
    assert [(r.message_id, r.status) for r in results] == [
        ("m0", "accepted"), ("m1", "duplicate"), ("m2", "accepted"), ("m2", "duplicate")]
    assert "STATUS 1" in results[1].detail and "not overwritten" in results[1].detail
    by_id = {r.CMID: r for r in rows(database)}
    assert set(by_id) == {"m0", "m1", "m2"}
    assert (by_id["m1"].STATUS, by_id["m1"].MSG_BODY, by_id["m1"].DEST_PHONE) == (1, "someone else's", "01099998888")
    assert by_id["m2"].MSG_BODY == "안녕하세요 테스트입니다"
    # Re-running the whole send: every id is a duplicate now, nothing changes.
    again = send(vendor, [sms(0), sms(1), sms(2)])
    assert {r.status for r in again} == {"duplicate"}
    assert len(rows(database)) == 3


def test_a_cmid_already_moved_to_the_log_is_not_queued_again(vendor_factory, database):
    log_name = recent_log_names()[0]
    log = database.table(log_name, log=True)
    with database.connect() as conn, database.begin(conn):
        conn.execute(log.insert(), [{"CMID": "m1", "MSG_TYPE": 0, "STATUS": 2, "REQUEST_TIME": now_kst(),
                                     "SEND_TIME": now_kst(), "DEST_PHONE": "01012345678",
                                     "SEND_PHONE": "0212341234", "MSG_BODY": "sent", "CALL_STATUS": "4100"}])
    results = send(vendor_factory(), [sms(0), sms(1)])
    assert [(r.message_id, r.status) for r in results] == [("m0", "accepted"), ("m1", "duplicate")]
    assert log_name in results[1].detail
    assert [r.CMID for r in rows(database)] == ["m0"]


def test_cmids_are_case_sensitive(vendor_factory, database):
    results = send(vendor_factory(), [sms("abc"), sms("ABC")])
    assert [r.status for r in results] == ["accepted", "accepted"]
    assert sorted(r.CMID for r in rows(database)) == ["ABC", "abc"]


def test_reservations_store_send_time_in_korea_time(vendor_factory, database):
    future = clock.now().astimezone(UTC).replace(microsecond=0) + timedelta(days=2)
    past = clock.now().astimezone(timezone(timedelta(hours=-5))) - timedelta(hours=1)
    results = send(vendor_factory(), [
        sms(1, send_at=future),
        sms(2, send_at=past),  # past: now
    ])
    assert [(r.status, r.code) for r in results] == [("scheduled", "0"), ("accepted", "0")]
    assert "Korea time" in results[0].detail
    r1, r2 = rows(database)
    assert future.astimezone(KST).replace(tzinfo=None) == r1.SEND_TIME
    assert r1.REQUEST_TIME <= now_kst() < r1.SEND_TIME
    assert r2.SEND_TIME == r2.REQUEST_TIME


INVALID = [
    (sms("x" * 33), "cannot be a CMID"),
    (sms("아이디"), "cannot be a CMID"),
    (sms("id\n"), "cannot be a CMID"),  # printable ASCII only: no trailing newline either
    (sms("a b"), "cannot be a CMID"),
    (sms(""), "cannot be a CMID"),
    (sms(1, text="가" * 46), "SMS text is 92 bytes"),
    (sms(2, text="hi 😀"), "not in CP949"),
    (sms(3, to="010-12ab"), "not a phone number"),
    (sms(4, text=""), "empty"),
    (Message(id="m5", to="01012345678", text="x", sender="", type="lms", subject="제" * 33), "subject"),
    (Message(id="m6", to="01012345678", text="x" * 2001, sender="", type="lms"), "at most 2000"),
]


def test_invalid_messages_are_never_inserted(vendor_factory, database):
    results = send(vendor_factory(), [m for m, _ in INVALID] + [sms("ok")])
    for (_message, why), result in zip(INVALID, results, strict=False):
        assert result.status == "invalid" and why in result.detail, (why, result)
    assert results[-1].status == "accepted"
    assert [r.CMID for r in rows(database)] == ["ok"]


def test_a_missing_sender_is_invalid(vendor_factory, database):
    results = send(vendor_factory(sender=""), [sms(1)])
    assert results[0].status == "invalid" and "sender" in results[0].detail
    assert rows(database) == []


def test_mms_images_are_copied_once_by_content_with_a_rename(vendor_factory, database, files, tmp_path, monkeypatch):
    one, two, same = tmp_path / "a.jpg", tmp_path / "b.jpg", tmp_path / "copy-of-a.jpg"
    one.write_bytes(JPEG)
    two.write_bytes(JPEG + b"2")
    same.write_bytes(JPEG)
    renames: list[tuple[str, str, bytes]] = []
    real_replace = os.replace

    def watching_replace(src, dst):
        assert not Path(dst).exists()  # the agent never sees a name before the file is whole
        renames.append((str(src), str(dst), Path(src).read_bytes()))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", watching_replace)
    mms = [Message(id=f"p{i}", to="01012345678", text="사진", sender="", type="mms",
                   images=(str(one), str(two)) if i == 0 else (str(same),)) for i in range(3)]
    results = send(vendor_factory(), mms)
    assert [r.status for r in results] == ["accepted"] * 3
    stored = {r.CMID: r.ATTACHED_FILE for r in rows(database)}
    first, second = stored["p0"].split("|")
    assert stored["p1"] == stored["p2"] == first  # same bytes, same file
    assert (files / first).read_bytes() == JPEG and (files / second).read_bytes() == JPEG + b"2"
    assert sorted(p.name for p in files.iterdir()) == sorted([first, second])  # no temp files left
    assert stat.S_IMODE((files / first).stat().st_mode) == 0o644
    assert len(renames) == 2
    for src, dst, data in renames:
        assert Path(src).parent == files and Path(src).name.startswith(".") and data == Path(dst).read_bytes()
    # A second send reuses the file already there.
    renames.clear()
    results = send(vendor_factory(), [Message(id="p9", to="01012345678", text="x", sender="", type="mms",
                                              images=(str(one),))])
    assert results[0].status == "accepted" and renames == []


def test_an_image_over_60_kb_stops_the_send_before_anything_is_inserted(vendor_factory, database, files, tmp_path):
    big = tmp_path / "big.jpg"
    big.write_bytes(JPEG + b"\x00" * (60 * 1024))
    small = tmp_path / "small.jpg"
    small.write_bytes(JPEG)
    batch = [sms(1), Message(id="p1", to="01012345678", text="x", sender="", type="mms", images=(str(small),)),
             Message(id="p2", to="01012345678", text="x", sender="", type="mms", images=(str(big),))]
    results: list[SendResult] = []
    with pytest.raises(UsageError) as err:
        vendor_factory().send(batch, results.append)
    assert err.value.exit_status == ExitStatus.USAGE
    assert "big.jpg" in str(err.value) and "60 kB" in str(err.value)
    assert results == [] and rows(database) == [] and list(files.iterdir()) == []


def test_a_file_that_is_not_a_jpeg_is_a_usage_error(vendor_factory, database, tmp_path):
    png = tmp_path / "pic.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(UsageError, match="not a JPEG"):
        send(vendor_factory(), [Message(id="p1", to="01012345678", text="x", sender="", type="mms",
                                        images=(str(png),))])
    assert rows(database) == []


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_file_path_not_writable_is_a_config_error_and_nothing_is_inserted(vendor_factory, database, tmp_path, kind):
    target = tmp_path / "nowhere"
    if kind == "a file":
        target.write_text("not a directory")
    image = tmp_path / "a.jpg"
    image.write_bytes(JPEG)
    vendor = vendor_factory(file_path=target)
    results: list[SendResult] = []
    with pytest.raises(ConfigError) as err:
        vendor.send([sms(1), Message(id="p1", to="01012345678", text="x", sender="", type="mms",
                                     images=(str(image),))], results.append)
    assert err.value.exit_status == ExitStatus.CONFIG
    assert f"file_path {target}" in str(err.value)
    assert ("does not exist" if kind == "missing" else "is not a directory") in str(err.value)
    assert results == [] and rows(database) == []


def test_file_path_that_refuses_writes(vendor_factory, database, files, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into a read-only directory; the 'missing' and 'a file' cases cover it")
    image = tmp_path / "a.jpg"
    image.write_bytes(JPEG)
    files.chmod(0o555)
    try:
        with pytest.raises(ConfigError, match="not writable"):
            send(vendor_factory(), [Message(id="p1", to="01012345678", text="x", sender="", type="mms",
                                            images=(str(image),))])
    finally:
        files.chmod(0o755)
    assert rows(database) == []


def test_mms_by_file_keys_already_in_file_path(vendor_factory, database, files):
    (files / "banner.jpg").write_bytes(JPEG)
    results = send(vendor_factory(), [
        Message(id="k1", to="01012345678", text="x", sender="", type="mms", file_keys=("banner.jpg",)),
        Message(id="k2", to="01012345678", text="x", sender="", type="mms", file_keys=("nothere.jpg",)),
        Message(id="k3", to="01012345678", text="x", sender="", type="mms", file_keys=("../etc/passwd",)),
    ])
    assert [r.status for r in results] == ["accepted", "invalid", "invalid"]
    assert [(r.CMID, r.ATTACHED_FILE) for r in rows(database)] == [("k1", "banner.jpg")]


def test_a_table_made_by_hand_without_the_columns_is_named(backend, files, tmp_path):
    from smscli.vendors.bizclient import BizclientVendor
    from smscli.vendors.bizclient_db import BizDatabase

    from .conftest import FakeJournal, make_profile

    db = BizDatabase(backend, create=True)
    with db.connect() as conn, db.begin(conn):
        conn.exec_driver_sql("CREATE TABLE BIZ_MSG (CMID VARCHAR(32) PRIMARY KEY, MSG_BODY VARCHAR(100))")
    db.dispose()
    vendor = BizclientVendor(make_profile(backend, files, tmp_path), FakeJournal())
    with pytest.raises(ConfigError, match="lacks the column") as err:
        send(vendor, [sms(1)])
    assert "init-db" in str(err.value)
    vendor.close()


def test_lower_case_table_names_are_found(backend, files, tmp_path):
    """The manual's own INSERT examples say biz_msg: a table created that way works."""
    from smscli.vendors.bizclient import BizclientVendor
    from smscli.vendors.bizclient_db import BizDatabase

    from .conftest import FakeJournal, make_profile

    db = BizDatabase(backend, create=True)
    with db.connect() as conn, db.begin(conn):
        build_table("biz_msg", dialect=db.dialect).create(conn)
    vendor = BizclientVendor(make_profile(backend, files, tmp_path), FakeJournal())
    assert [r.status for r in send(vendor, [sms(1)])] == ["accepted"]
    assert [r.CMID for r in rows(db, "biz_msg")] == ["m1"]
    vendor.close()
    db.dispose()


def _unindexed_last_month_log(database) -> str:
    name = recent_log_names()[1]
    with database.connect() as conn, database.begin(conn):
        build_table(name, dialect=database.dialect, log=True, index=False).create(conn)
    return name


def _finished_row(cmid: str) -> dict:
    return {"CMID": cmid, "MSG_TYPE": 0, "STATUS": 2, "REQUEST_TIME": now_kst(), "SEND_TIME": now_kst(),
            "DEST_PHONE": "01012345678", "SEND_PHONE": "0212341234", "MSG_BODY": "sent", "CALL_STATUS": "4100"}


def test_a_large_send_checks_an_unindexed_log_once_and_still_finds_finished_cmids(vendor_factory, database):
    log_name = _unindexed_last_month_log(database)
    with database.connect() as conn, database.begin(conn):
        conn.execute(database.table(log_name, log=True).insert(), [_finished_row("m5"), _finished_row("m2500")])
    results = send(vendor_factory(), [sms(i) for i in range(3000)])
    dup = {r.message_id: r.detail for r in results if r.status == "duplicate"}
    assert set(dup) == {"m5", "m2500"} and log_name in dup["m2500"]  # batch 1 asks, batch 3 uses the snapshot
    assert len(rows(database)) == 2998 and {"m5", "m2500"}.isdisjoint(r.CMID for r in rows(database))


def test_a_row_taken_by_the_agent_during_a_long_send_is_not_queued_twice(vendor_factory, database):
    """A re-run after Ctrl-C: m2500 was queued by the first run and is still in BIZ_MSG when
    this send starts; the agent finishes and moves it while batch 2 is being queued."""
    log_name = _unindexed_last_month_log(database)
    msg = database.table("BIZ_MSG")
    log = database.table(log_name, log=True)
    with database.connect() as conn, database.begin(conn):
        conn.execute(msg.insert(), [{**_finished_row("m2500"), "STATUS": 0, "CALL_STATUS": None}])

    def messages():
        for i in range(3000):
            if i == 2001:  # batch 2 has begun: the snapshot was taken with m2500 in BIZ_MSG
                with database.connect() as conn, database.begin(conn):
                    conn.execute(log.insert().from_select([c.name for c in msg.columns],
                                                          database.sa.select(msg).where(msg.c.CMID == "m2500")))
                    conn.execute(database.sa.delete(msg).where(msg.c.CMID == "m2500"))
            yield sms(i)

    results = send(vendor_factory(), messages())
    dup = {r.message_id: r.detail for r in results if r.status == "duplicate"}
    assert list(dup) == ["m2500"] and "taken since" in dup["m2500"]
    assert "m2500" not in {r.CMID for r in rows(database)} and len(rows(database)) == 2999


def test_a_log_table_created_during_a_send_is_looked_in(vendor_factory, database):
    """The table names are listed again when they may have changed (SQLite: its schema
    version; MariaDB: while a recent log is missing): a log the agent creates while batch 3
    is gathered, holding a finished m2500, is asked for batch 3."""
    name = recent_log_names()[1]
    log = database.table(name, log=True)

    def messages():
        for i in range(3000):
            if i == 2500:
                with database.connect() as conn, database.begin(conn):
                    log.create(conn)
                    conn.execute(log.insert(), [_finished_row("m2500")])
            yield sms(i)

    results = send(vendor_factory(), messages())
    dup = {r.message_id: r.detail for r in results if r.status == "duplicate"}
    assert list(dup) == ["m2500"] and name in dup["m2500"]
    assert len(rows(database)) == 2999
