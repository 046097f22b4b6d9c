"""BIZ_LOG_YYYYMM across a month's end: this month's table, then last month's."""

from __future__ import annotations

from datetime import datetime

import pytest

from smscli import clock
from smscli.models import Report, SendResult
from smscli.vendors.bizclient_db import recent_log_names

from .conftest import rows, sms, wait_for

pytestmark = pytest.mark.timeout(60)

BEFORE = datetime(2026, 12, 31, 23, 59, 59)  # Korea time
AFTER = datetime(2027, 1, 1, 0, 0, 1)


def test_recent_log_names_are_this_months_then_last_months():
    assert recent_log_names(datetime(2027, 1, 1, 0, 0)) == ["BIZ_LOG_202701", "BIZ_LOG_202612"]
    assert recent_log_names(datetime(2026, 3, 31, 23, 59)) == ["BIZ_LOG_202603", "BIZ_LOG_202602"]
    with clock.frozen(BEFORE):
        assert recent_log_names() == ["BIZ_LOG_202612", "BIZ_LOG_202611"]
    with clock.frozen(AFTER):
        assert recent_log_names() == ["BIZ_LOG_202701", "BIZ_LOG_202612"]


def test_rows_logged_before_midnight_are_found_after_it(vendor_factory, agent_factory, database, journal):
    vendor = vendor_factory()
    agent = agent_factory(send_delay=0, move_delay=0)
    with clock.frozen(BEFORE):
        results: list[SendResult] = []
        vendor.send([sms(1), sms(2)], results.append)
        journal.track([r.message_id for r in results])
        agent.prepare()
        assert wait_for(lambda: (agent.step(), agent.stats["moved"] == 2)[1])
    assert [r.CMID for r in rows(database, "BIZ_LOG_202612")] == ["m1", "m2"]
    with clock.frozen(AFTER):
        reports: list[Report] = []
        vendor.poll(reports.extend, timeout=5)
        assert sorted((r.message_id, r.extra["table"]) for r in reports) == [
            ("m1", "BIZ_LOG_202612"), ("m2", "BIZ_LOG_202612")]
        again: list[SendResult] = []
        vendor.send([sms(1), sms(3)], again.append)
        assert [(r.message_id, r.status) for r in again] == [("m1", "duplicate"), ("m3", "accepted")]
        assert "BIZ_LOG_202612" in again[0].detail
        assert wait_for(lambda: (agent.step(), agent.stats["moved"] == 3)[1])
    assert [r.CMID for r in rows(database, "BIZ_LOG_202701")] == ["m3"]  # the agent made January's
