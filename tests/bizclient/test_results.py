"""Results (poll, send --wait) and reservations (cancel) against the stand-in agent."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from smscli import clock
from smscli.errors import ExitStatus, VendorError
from smscli.models import Report, SendResult
from smscli.vendors.bizclient import BizclientVendor
from smscli.vendors.bizclient_db import KST, build_table, iso_kst, now_kst, recent_log_names

from .conftest import FakeJournal, make_profile, rows, sms, wait_for

pytestmark = pytest.mark.timeout(60)


def queue(vendor, messages, journal: FakeJournal | None = None) -> list[SendResult]:
    results: list[SendResult] = []
    vendor.send(messages, results.append)
    if journal is not None:
        journal.track([r.message_id for r in results if r.status in ("accepted", "scheduled")],
                      "accepted")
    return results


def poll(vendor) -> list[Report]:
    got: list[Report] = []
    vendor.poll(got.extend, timeout=5)
    return got


def expected_detail(code: str, fallback: str) -> str:
    try:
        from smscli.codes import describe
    except ImportError:
        return fallback
    entry = describe("bizclient", code)
    return entry.meaning if entry else fallback


def test_poll_reports_delivered_and_failed_from_msg_and_log(vendor_factory, agent_factory, database, journal):
    vendor = vendor_factory()
    from smscli.models import Message

    messages = [sms(i) for i in range(40)] + [
        Message(id=f"l{i}", to="01012345678", text="장문", sender="", type="lms") for i in range(40)]
    queue(vendor, messages, journal)
    agent = agent_factory(fail_rate=0.3, seed=3, move_delay=3600)  # results stay in BIZ_MSG
    agent.prepare()
    assert wait_for(lambda: (agent.step(), agent.stats["delivered"] + agent.stats["failed"] == 80)[1])
    # Move half of them to the log by hand, as the agent does after its delay.
    agent.config.move_delay = 0
    agent._finished = {k: v for k, v in list(agent._finished.items())[:40]}
    agent.step()
    in_log = {r.CMID for r in rows(database, recent_log_names()[0])}
    assert len(in_log) == 40 and len(rows(database)) == 40

    reports = poll(vendor)
    assert sorted(r.message_id for r in reports) == sorted(m.id for m in messages)
    by_id = {r.message_id: r for r in reports}
    db_rows = {r.CMID: r for r in rows(database) + rows(database, recent_log_names()[0])}
    delivered = failed = 0
    for cmid, row in db_rows.items():
        report = by_id[cmid]
        assert report.vendor == "bizclient" and report.to == "01012345678" and report.code == row.CALL_STATUS
        assert report.extra["table"] == ("BIZ_MSG" if cmid not in in_log else recent_log_names()[0])
        if row.CALL_STATUS in ("4100", "6600"):
            delivered += 1
            assert report.status == "delivered"
            assert report.delivered_at == row.REPORT_TIME.replace(tzinfo=KST).isoformat()
            assert report.delivered_at.endswith("+09:00")
            assert report.detail == expected_detail(row.CALL_STATUS, "delivered")
        else:
            failed += 1
            assert report.status == "failed" and report.delivered_at == ""
            assert row.CALL_STATUS in ("4401", "4410", "4414", "4421", "6604", "6606", "6613", "6601")
            assert report.detail == expected_detail(row.CALL_STATUS, f"not delivered (CALL_STATUS {row.CALL_STATUS})")
    assert delivered > 0 and failed > 0
    # Stored: the journal no longer lists them, so the next poll finds nothing.
    journal.add_reports(reports)
    assert poll(vendor) == []


def test_poll_without_ids_reads_finished_rows_still_in_biz_msg(vendor_factory, agent_factory, database, tmp_path):
    url = database.url.render_as_string(hide_password=False)
    vendor = BizclientVendor(make_profile(url, tmp_path, tmp_path), object())  # no journal at all
    queue(vendor, [sms(i) for i in range(5)])
    agent = agent_factory(move_delay=3600)
    agent.prepare()
    assert wait_for(lambda: (agent.step(), agent.stats["delivered"] == 5)[1])
    assert sorted(r.message_id for r in poll(vendor)) == [f"m{i}" for i in range(5)]
    assert vendor._pending() is None
    vendor.close()


def test_poll_asks_the_pending_ids_provider(vendor_factory, agent_factory, database, tmp_path):
    url = database.url.render_as_string(hide_password=False)
    asked: list[int] = []

    def pending():
        asked.append(1)
        return ["m1", "m3", "unknown-id"]

    vendor = BizclientVendor(make_profile(url, tmp_path, tmp_path), FakeJournal(), pending_ids=pending)
    queue(vendor, [sms(i) for i in range(5)])
    agent = agent_factory(move_delay=0)
    agent.prepare()
    assert wait_for(lambda: (agent.step(), agent.stats["moved"] == 5)[1])
    assert [r.message_id for r in poll(vendor)] == ["m1", "m3"]
    assert asked == [1]
    vendor.close()


def test_unfinished_and_scheduled_rows_are_not_reported(vendor_factory, agent_factory, journal):
    vendor = vendor_factory()
    queue(vendor, [sms(1), sms(2, send_at=clock.now() + timedelta(hours=1))], journal)
    agent = agent_factory(send_delay=3600)
    agent.prepare()
    agent.step()
    assert agent.stats["taken"] == 1  # m1 is STATUS 1, m2 waits for its time
    assert poll(vendor) == []


def test_poll_reads_1000_ids_per_query(vendor_factory, agent_factory, database, journal):
    vendor = vendor_factory()
    queue(vendor, [sms(i) for i in range(2500)], journal)
    agent = agent_factory(move_delay=3600)
    agent.prepare()
    assert wait_for(lambda: (agent.step(), agent.stats["delivered"] == 2500)[1])
    sizes: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "CMID IN" in statement.upper().replace("`", "").replace('"', "") or "IN (" in statement:
            sizes.append(len(parameters) if isinstance(parameters, (list, tuple, dict)) else 0)

    sa = vendor.database().sa
    sa.event.listen(vendor.database().engine, "before_cursor_execute", count)
    reports = poll(vendor)
    assert len(reports) == 2500 and len({r.message_id for r in reports}) == 2500
    assert sizes and max(sizes) <= 1002  # 1000 ids plus the STATUS values


@pytest.mark.parametrize("indexed", [True, False])
def test_poll_finds_rows_in_log_tables_with_or_without_an_index(vendor_factory, database, journal, indexed):
    """The agent makes its monthly tables itself; without an index on CMID a large poll
    reads the table once instead of once per 1000 ids."""
    log_name = recent_log_names()[1]  # last month's, made here with or without an index
    log = build_table(log_name, dialect=database.dialect, log=True, index=indexed)
    stamp = now_kst() - timedelta(days=1)
    with database.connect() as conn, database.begin(conn):
        log.create(conn)
        conn.execute(log.insert(), [
            {"CMID": f"m{i}", "MSG_TYPE": 0, "STATUS": 2, "REQUEST_TIME": stamp, "SEND_TIME": stamp,
             "REPORT_TIME": stamp, "DEST_PHONE": "01012345678", "SEND_PHONE": "0212341234", "MSG_BODY": "x",
             "CALL_STATUS": "4100" if i % 3 else "4410"} for i in range(1500)]
            + [{"CMID": "m7", "MSG_TYPE": 0, "STATUS": 2, "REQUEST_TIME": stamp, "SEND_TIME": stamp,
                "REPORT_TIME": stamp, "DEST_PHONE": "01012345678", "SEND_PHONE": "0212341234", "MSG_BODY": "x",
                "CALL_STATUS": "4100"}])  # no primary key: a CMID may appear twice
    journal.track([f"m{i}" for i in range(0, 3000, 2)])
    reports = poll(vendor_factory())
    assert [r.message_id for r in reports] == [f"m{i}" for i in range(0, 1500, 2)]
    assert {r.extra["table"] for r in reports} == {log_name}
    assert [r.status for r in reports[:4]] == ["failed", "delivered", "delivered", "failed"]
    assert reports[0].delivered_at == "" and reports[1].delivered_at == iso_kst(stamp)


def test_polls_while_the_agent_moves_rows_see_every_report_exactly_once(vendor_factory, agent_factory, journal):
    vendor = vendor_factory()
    queue(vendor, [sms(i) for i in range(2000)], journal)
    seen: list[str] = []
    agent = agent_factory(interval=0.005, send_delay=0.0, move_delay=0.0, batch=200, fail_rate=0.2)
    with agent:
        deadline = time.monotonic() + 40
        def store(reports: list[Report]) -> None:
            seen.extend(r.message_id for r in reports)
            journal.add_reports(reports)

        while len(seen) < 2000 and time.monotonic() < deadline:
            vendor.poll(store, timeout=5)
    assert len(seen) == len(set(seen)) == 2000
    assert agent.stats["moved"] > 0


def test_send_wait_collects_reports(vendor_factory, agent_factory):
    vendor = vendor_factory(poll_interval=0.02)
    reports: list[Report] = []
    with agent_factory():
        results: list[SendResult] = []
        vendor.send([sms(i) for i in range(5)] + [sms(9, send_at=clock.now() + timedelta(hours=1))],
                    results.append, on_reports=reports.extend, wait=10)
    assert [r.status for r in results] == ["accepted"] * 5 + ["scheduled"]
    assert sorted(r.message_id for r in reports) == [f"m{i}" for i in range(5)]
    assert {r.status for r in reports} == {"delivered"}


def test_send_wait_gives_up_after_its_time(vendor_factory):
    vendor = vendor_factory(poll_interval=0.05)
    reports: list[Report] = []
    start = time.monotonic()
    vendor.send([sms(1)], lambda r: None, on_reports=reports.extend, wait=0.3)
    assert reports == [] and 0.25 <= time.monotonic() - start < 3


# --------------------------------------------------------------------------- cancel
def test_cancel_deletes_a_waiting_reservation(vendor_factory, database):
    vendor = vendor_factory()
    queue(vendor, [sms(1, send_at=clock.now() + timedelta(days=1)), sms(2)])
    vendor.cancel("m1", "")
    assert [r.CMID for r in rows(database)] == ["m2"]


def test_cancel_after_the_agent_took_the_row_is_refused_and_the_row_untouched(vendor_factory, agent_factory, database):
    vendor = vendor_factory()
    queue(vendor, [sms(1)])
    agent = agent_factory(send_delay=3600)
    agent.prepare()
    agent.step()
    with pytest.raises(VendorError) as err:
        vendor.cancel("m1", "")
    assert err.value.exit_status == ExitStatus.REJECTED
    assert "already taken" in str(err.value) and "STATUS 1" in str(err.value)
    (row,) = rows(database)
    assert (row.CMID, row.STATUS) == ("m1", 1)


def test_cancel_of_a_sent_or_unknown_message(vendor_factory, agent_factory):
    vendor = vendor_factory()
    queue(vendor, [sms(1)])
    agent = agent_factory(send_delay=0, move_delay=0)
    agent.prepare()
    assert wait_for(lambda: (agent.step(), agent.stats["moved"] == 1)[1])
    with pytest.raises(VendorError, match="already sent"):
        vendor.cancel("m1", "")
    with pytest.raises(VendorError, match="not in BIZ_MSG"):
        vendor.cancel("never", "")


def test_cancel_races_the_agent_safely(vendor_factory, agent_factory, database):
    """Reservations falling due while cancels run: each one is either cancelled (row gone,
    never taken) or refused (the agent had it) - never both, never neither."""
    vendor = vendor_factory()
    # SEND_TIME has whole seconds: the next second boundary at least 0.3 s away.
    due = (clock.now() + timedelta(seconds=1.3)).replace(microsecond=0)
    queue(vendor, [sms(i, send_at=due) for i in range(60)])
    cancelled, refused = [], []
    stop = threading.Event()
    with agent_factory(interval=0.005, send_delay=3600):
        while clock.now() < due - timedelta(milliseconds=100):
            time.sleep(0.01)
        for i in range(60):  # spread over the moment the rows fall due
            while clock.now() < due - timedelta(milliseconds=100 - 4 * i):
                time.sleep(0.001)
            try:
                vendor.cancel(f"m{i}", "")
                cancelled.append(f"m{i}")
            except VendorError:
                refused.append(f"m{i}")
        stop.set()
        time.sleep(0.1)
    left = {r.CMID: r.STATUS for r in rows(database)}
    assert len(cancelled) + len(refused) == 60
    assert not set(cancelled) & set(left)
    assert set(refused) == set(left) and set(left.values()) <= {1}


def test_poll_reads_the_journal_a_page_at_a_time(vendor_factory, agent_factory, journal, monkeypatch):
    """Each page of unfinished ids is reported (and stored) before the next is read: poll's
    memory does not grow with the journal."""
    from smscli.vendors import bizclient_poll

    monkeypatch.setattr(bizclient_poll, "PAGE", 100)  # read by PollMixin.poll, where it lives
    vendor = vendor_factory()
    queue(vendor, [sms(i) for i in range(250)], journal)
    agent = agent_factory(move_delay=3600)
    agent.prepare()
    assert wait_for(lambda: (agent.step(), agent.stats["delivered"] == 250)[1])
    pages_read: list[int] = []

    def store(reports):
        pages_read.append(journal.pages)
        journal.add_reports(reports)

    vendor.poll(store, timeout=5)
    assert pages_read == [1, 2, 3]
    assert sorted(r.message_id for r in journal.reports) == sorted(f"m{i}" for i in range(250))
