"""A finished BIZ_MSG row → a report: each column the agent writes, read back by a poll
(rows finished by hand, as the agent would finish them; SQLite, and MariaDB with
SMSCLI_TEST_MYSQL_URL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from smscli.models import Report

from .conftest import sms

pytestmark = pytest.mark.timeout(60)


def finish(database, cmid: str, **values: Any) -> None:
    table = database.table("BIZ_MSG")
    with database.connect() as conn, database.begin(conn):
        conn.execute(database.sa.update(table).where(table.c.CMID == cmid).values(**values))  # noqa: SIM300


def report_of(vendor_factory, journal, database, **values: Any) -> Report:
    vendor = vendor_factory()
    results: list = []
    vendor.send([sms(1)], results.append)
    journal.track([r.message_id for r in results], "accepted")
    finish(database, "m1", **values)
    got: list[Report] = []
    vendor.poll(got.extend, timeout=5)
    vendor.close()
    (report,) = got
    return report


def test_a_delivered_row_carries_its_time_and_the_agents_columns(vendor_factory, journal, database):
    report = report_of(vendor_factory, journal, database, STATUS=2, CALL_STATUS="4100", UMID="U7",
                       TEL_INFO="SKT", REPORT_TIME=datetime(2026, 11, 21, 10, 0, 5))
    assert (report.message_id, report.to, report.status, report.code, report.vendor) == (
        "m1", "01012345678", "delivered", "4100", "bizclient")
    assert report.detail == "전달" and report.delivered_at == "2026-11-21T10:00:05+09:00"
    assert report.extra == {"server_id": "m1", "table": "BIZ_MSG", "status": "2", "umid": "U7",
                            "tel_info": "SKT", "report_time": "2026-11-21T10:00:05+09:00"}


def test_an_unknown_code_is_failed_and_says_so(vendor_factory, journal, database):
    # CALL_STATUS is 4 characters wide (MariaDB refuses more); the blank is trimmed
    report = report_of(vendor_factory, journal, database, STATUS=2, CALL_STATUS=" 999")
    assert (report.status, report.code, report.detail, report.delivered_at) == (
        "failed", "999", "not delivered (CALL_STATUS 999)", "")
    assert report.extra == {"server_id": "m1", "table": "BIZ_MSG", "status": "2"}


def test_a_failure_keeps_its_report_time_but_has_no_delivery_time(vendor_factory, journal, database):
    report = report_of(vendor_factory, journal, database, STATUS=2, CALL_STATUS="4401",
                       REPORT_TIME=datetime(2026, 11, 21, 10, 0, 5))
    assert (report.status, report.delivered_at) == ("failed", "")
    assert report.extra["report_time"] == "2026-11-21T10:00:05+09:00"


@pytest.mark.parametrize(("status", "detail"), [
    (3, "the agent reported an error without CALL_STATUS (STATUS 3)"),
    (2, "finished without CALL_STATUS"),
])
def test_a_row_finished_without_call_status_is_failed_with_the_reason(vendor_factory, journal, database,
                                                                      status, detail):
    report = report_of(vendor_factory, journal, database, STATUS=status, CALL_STATUS=None)
    assert (report.status, report.code, report.detail) == ("failed", "", detail)
    assert report.extra["status"] == str(status)


def test_without_the_code_tables_or_with_a_broken_one_a_report_keeps_its_fallback(monkeypatch):
    # smscli.codes is optional for the vendor: a trimmed install, or a table that raises,
    # must not lose a report (the meaning falls back to the words the row implies).
    import sys

    from smscli import codes
    from smscli.vendors import bizclient_results

    assert bizclient_results.code_meaning("4100", "delivered") == "전달"
    for broken in ("missing", "raises"):
        bizclient_results._meaning.cache_clear()
        with monkeypatch.context() as patch:
            if broken == "missing":
                patch.setitem(sys.modules, "smscli.codes", None)  # import smscli.codes → ImportError
            else:
                patch.setattr(codes, "describe", lambda vendor, code: (_ for _ in ()).throw(LookupError(code)))
            assert bizclient_results.code_meaning("4100", "delivered") == "delivered"
    bizclient_results._meaning.cache_clear()
    assert bizclient_results.code_meaning("4100", "delivered") == "전달"
