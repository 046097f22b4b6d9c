"""OneShot answers → statuses: MsgSendRes ``Result`` codes from the simulator over real
sockets (accepted, duplicate, rejected, too fast then given up), and ReportReq → Report."""

from __future__ import annotations

import time

import pytest

from smscli.protocol.oneshot import pacing
from smscli.protocol.oneshot.messages import ReportReq
from smscli.vendors import oneshot_batch
from smscli.vendors.oneshot_settings import describe, report_from
from tests.test_oneshot_client import data_dir, make_sim, send, sms, vendor_for  # noqa: F401

pytestmark = pytest.mark.timeout(60)


def test_each_answer_carries_the_meaning_of_its_code(make_sim, data_dir) -> None:  # noqa: F811
    sim = make_sim()
    vendor, _ = vendor_for(sim, data_dir)
    (first,) = send(vendor, [sms(1)])
    assert (first.status, first.code, first.detail, first.vendor) == ("accepted", "0", "성공", "oneshot")
    (dup,) = send(vendor, [sms(1)])
    assert (dup.status, dup.code, dup.detail) == ("duplicate", "320", "중복발송 에러")
    rejecting = make_sim(reject_rate=1.0, reject_codes=(33,))
    (rejected,) = send(vendor_for(rejecting, data_dir)[0], [sms(2)])
    assert (rejected.status, rejected.code, rejected.detail) == ("rejected", "33", "전화번호 오류")
    assert (rejected.message_id, rejected.to, rejected.type) == ("m2", "01012345678", "sms")


def test_a_rejected_or_duplicate_message_is_not_waited_for(make_sim, data_dir) -> None:  # noqa: F811
    # Only accepted messages get a report: a send that waits for reports must not wait
    # for the others.
    sim = make_sim()
    vendor, _ = vendor_for(sim, data_dir)
    send(vendor, [sms(1)])
    for server in (sim, make_sim(reject_rate=1.0, reject_codes=(33,))):
        started = time.monotonic()
        (result,) = send(vendor_for(server, data_dir)[0], [sms(1) if server is sim else sms(2)],
                         on_reports=lambda reports: None, wait=5)
        assert result.status in ("duplicate", "rejected")
        assert time.monotonic() - started < 3


@pytest.mark.parametrize("code", [903, 11])
def test_too_fast_every_time_is_tried_again_a_bounded_number_of_times(make_sim, data_dir, monkeypatch,  # noqa: F811
                                                                      code) -> None:
    # 903 and 11 ("too fast") put the message back in the queue after a pause, at most
    # MAX_SPEED_RETRIES times; then it is rejected with that code (once, never doubled).
    monkeypatch.setattr(oneshot_batch, "MAX_SPEED_RETRIES", 3)
    monkeypatch.setattr(pacing, "BACKOFF_PAUSE", 0.02)  # the pause itself is pacing's (tested there)
    sim = make_sim(reject_rate=1.0, reject_codes=(code,))
    vendor, _ = vendor_for(sim, data_dir)
    results = send(vendor, [sms(1)])
    assert [(r.status, r.code) for r in results] == [("rejected", str(code))]
    assert sim.stats.get(f"result_{code}") == 4  # the first try and 3 more


def test_a_report_maps_its_result_time_and_fields() -> None:
    delivered = report_from(ReportReq(user_msg_id="m1", server_msg_id="S1", msg_type=7, phone_no="01012345678",
                                      result=0, telecom="SKT", delivery_time=" 2026-11-21 10:00:00.250 "))
    assert (delivered.message_id, delivered.to, delivered.status, delivered.code, delivered.detail) == (
        "m1", "01012345678", "delivered", "0", "성공")
    assert (delivered.vendor, delivered.channel) == ("oneshot", "alimtalk")
    assert delivered.delivered_at == "2026-11-21T10:00:00.250000+09:00"
    assert delivered.extra == {"server_msg_id": "S1", "telecom": "SKT"}
    failed = report_from(ReportReq(user_msg_id="m2", server_msg_id="S2", msg_type=4, phone_no="01099998888",
                                   result=7, telecom="KTF", delivery_time="2026-11-21 10:00:00",
                                   user_msg_sub_id="2", user_data="tag"))
    assert (failed.status, failed.code, failed.detail, failed.delivered_at, failed.channel) == (
        "failed", "7", "결번", "", "")
    assert failed.extra == {"server_msg_id": "S2", "telecom": "KTF", "user_msg_sub_id": "2", "user_data": "tag"}


@pytest.mark.parametrize(("text", "when"), [
    ("2026-11-21 10:00:00", "2026-11-21T10:00:00+09:00"),
    ("2026-11-21 10:00:00.5", "2026-11-21T10:00:00.500000+09:00"),
    ("20261121100000", "2026-11-21T10:00:00+09:00"),
    ("21/11/2026 10:00", ""), ("", ""), ("   ", ""),
])
def test_a_delivery_time_in_any_of_three_forms_is_korea_time(text, when) -> None:
    report = report_from(ReportReq(user_msg_id="m1", result=0, delivery_time=text))
    assert (report.status, report.delivered_at) == ("delivered", when)


@pytest.mark.parametrize("result", [-1, 1, 7, 903])
def test_only_result_0_is_delivered(result) -> None:
    report = report_from(ReportReq(user_msg_id="m1", result=result, delivery_time="2026-11-21 10:00:00"))
    assert (report.status, report.code, report.delivered_at) == ("failed", str(result), "")


@pytest.mark.parametrize("code", [-1, 1, 33])
def test_any_result_but_0_and_the_special_codes_is_rejected(make_sim, data_dir, code) -> None:  # noqa: F811
    sim = make_sim(reject_rate=1.0, reject_codes=(code,))
    (result,) = send(vendor_for(sim, data_dir)[0], [sms(1)])
    assert (result.status, result.code) == ("rejected", str(code))
    assert sim.stats.get(f"result_{code}") == 1  # answered once, not sent again


def test_a_code_meaning_comes_from_its_table_and_an_unknown_table_gives_none() -> None:
    assert (describe(0), describe(0, "login"), describe(7), describe(7, "login")) == (
        "성공", "성공", "결번", "버전 오류")
    assert describe(0, "no-such-table") == "" and describe(123456) == ""
