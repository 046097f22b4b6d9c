"""The BizNetShot simulator over real sockets, driven by hand-made EUC-KR forms."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, quote_plus, urlsplit

import httpx
import pytest

from smscli.listen import ResultListener
from smscli.sim.netshot import KST, Account, NetshotSim

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=KST)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 1000 + b"\xff\xd9"
HTTP = httpx.Client(timeout=5, trust_env=False)  # one client: building one per request is slow


@pytest.fixture
def sim():
    with NetshotSim(accounts={"test": "pw", "gone": Account("x", "suspended"),
                              "new": Account("y", "waiting")},
                    clock=lambda: NOW) as server:
        yield server


def form(**extra: str) -> dict[str, str]:
    fields = {"m_id": "test", "m_pw": "pw", "m_corpfrcode": "c1", "fromNumber": "0212341234",
              "toNumber": "01012345678", "subject": "제목", "contents": "안녕하세요"}
    fields.update(extra)
    return {k: v for k, v in fields.items() if v is not None}


def post(sim: NetshotSim, fields: dict[str, str], *, encoding: str = "cp949") -> httpx.Response:
    body = "&".join(f"{k}={quote_plus(v, encoding=encoding)}" for k, v in fields.items())
    return HTTP.post(sim.url, content=body.encode(),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})


def post_file(sim: NetshotSim, fields: dict[str, str], name: str, data: bytes) -> httpx.Response:
    b = "XbOuNdArY"
    out = b""
    for k, v in fields.items():
        out += f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode() + v.encode("cp949") + b"\r\n"
    out += f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n\r\n'.encode()
    out += data + f"\r\n--{b}--\r\n".encode()
    return HTTP.post(sim.url, content=out,
                      headers={"Content-Type": f"multipart/form-data; boundary={b}"})


def answer(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    assert "euc-kr" in response.headers["content-type"]
    lines = response.content.decode("cp949").splitlines()
    return dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "") for line in lines)


def test_accepts_a_form_and_answers_key_value_lines_in_euc_kr(sim):
    got = answer(post(sim, form(etc1="메모")))
    assert list(got) == ["sendCode", "corpfrcode", "reserveTime", "mergeUse", "fromNumber", "toNumber",
                         "subject", "etc1", "etc2", "etc3"]
    assert got["sendCode"] == "300" and got["corpfrcode"] == "c1"
    assert got["subject"] == "제목" and got["etc1"] == "메모" and got["reserveTime"] == ""
    assert sim.requests[0]["contents"] == "안녕하세요" and "m_pw" not in sim.requests[0]
    assert sim.counts["accepted_pairs"] == 1 and sim.accepted[0].number == "01012345678"
    assert sim.accepted[0].type == "sms"


def test_long_text_is_lms_and_hyphens_are_allowed(sim):
    got = answer(post(sim, form(contents="가" * 41, toNumber="010-1111-2222,010-3333-4444")))
    assert got["sendCode"] == "300"
    assert [a.number for a in sim.accepted] == ["01011112222", "01033334444"]
    assert {a.type for a in sim.accepted} == {"lms"}


@pytest.mark.parametrize(("fields", "code"), [
    ({"m_pw": "wrong"}, "201"),
    ({"m_id": "nobody"}, "202"),
    ({"m_id": "gone", "m_pw": "x"}, "203"),
    ({"m_id": "new", "m_pw": "y"}, "204"),
    ({"m_corpfrcode": ""}, "313"),
    ({"m_corpfrcode": "x" * 21}, "313"),
    ({"toNumber": ""}, "303"),
    ({"toNumber": "abc,12"}, "303"),
    ({"toNumber": "01011112222,010-1111-2222"}, "305"),
    ({"toNumber": ",".join(f"010{i:08d}" for i in range(1501))}, "306"),
    ({"contents": None}, "304"),
    ({"contents": "  "}, "307"),
])
def test_refusals(sim, fields, code):
    assert answer(post(sim, form(**fields)))["sendCode"] == code
    assert sim.counts["accepted_pairs"] == 0 and sim.codes[code] == 1


def test_1500_numbers_is_the_limit(sim):
    numbers = ",".join(f"010{i:08d}" for i in range(1500))
    assert answer(post(sim, form(toNumber=numbers)))["sendCode"] == "300"
    assert sim.counts["accepted_pairs"] == 1500


def test_corpfrcode_is_unique_for_the_servers_life_once_accepted(sim):
    assert answer(post(sim, form(m_pw="wrong")))["sendCode"] == "201"
    assert answer(post(sim, form()))["sendCode"] == "300"  # a refused request did not take it
    assert answer(post(sim, form(toNumber="01099998888")))["sendCode"] == "314"
    assert sim.counts["accepted_pairs"] == 1


def reserve(when: datetime) -> dict[str, str]:
    return {"reserveSend": "Y", "ryear": str(when.year), "rmonth": f"{when.month:02d}",
            "rday": str(when.day), "rhour": str(when.hour), "rmin": str(when.minute)}


@pytest.mark.parametrize(("ahead", "code"), [
    (timedelta(minutes=29), "302"),
    (timedelta(minutes=30), "300"),
    (timedelta(days=30), "300"),
    (timedelta(days=30, minutes=1), "302"),
])
def test_reservation_window_is_30_minutes_to_30_days_in_kst(sim, ahead, code):
    when = NOW + ahead
    got = answer(post(sim, form(m_corpfrcode=f"r{ahead.total_seconds():.0f}", **reserve(when))))
    assert got["sendCode"] == code
    if code == "300":
        assert got["reserveTime"] == when.strftime("%Y-%m-%d %H:%M")
        assert sim.accepted[0].reserve_at == when


def test_reservation_with_bad_fields_is_302(sim):
    assert answer(post(sim, form(reserveSend="Y", ryear="2026", rmonth="13")))["sendCode"] == "302"


def test_mms_file_rules(sim):
    assert answer(post_file(sim, form(m_corpfrcode="m1"), "photo.jpg", JPEG))["sendCode"] == "300"
    assert sim.accepted[-1].type == "mms"
    assert answer(post_file(sim, form(m_corpfrcode="m2"), "photo.png", JPEG))["sendCode"] == "401"
    big = b"\xff\xd8\xff" + b"\x00" * 100_000
    assert answer(post_file(sim, form(m_corpfrcode="m3"), "big.jpg", big))["sendCode"] == "402"
    assert answer(post_file(sim, form(m_corpfrcode="m4"), "fake.jpg", b"\x89PNG\r\n"))["sendCode"] == "403"
    assert answer(post_file(sim, form(m_corpfrcode="m5"), "empty.jpg", b""))["sendCode"] == "403"
    assert sim.counts["accepted_requests"] == 1


def test_utf8_form_is_a_400_not_a_send(sim):
    response = post(sim, form(contents="안녕하세요 반갑습니다"), encoding="utf-8")
    assert response.status_code == 400 and b"EUC-KR" in response.content
    assert sim.counts["requests"] == 0


def test_return_url_redirects_with_the_answer(sim):
    response = post(sim, form(returnURL="http://example.test/done?x=1", subject="제목"))
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("http://example.test/done?x=1&")
    query = dict(parse_qsl(urlsplit(location).query, encoding="cp949"))
    assert query["sendCode"] == "300" and query["subject"] == "제목"


def test_credit_runs_out_with_301():
    with NetshotSim(accounts={"test": "pw"}, credit=2) as sim:
        assert answer(post(sim, form(toNumber="01011112222,01033334444")))["sendCode"] == "300"
        assert answer(post(sim, form(m_corpfrcode="c2")))["sendCode"] == "301"


def test_only_the_send_path_is_served(sim):
    assert HTTP.post(sim.url.replace("send_message", "other")).status_code == 404
    assert HTTP.get(sim.url).status_code == 405


def test_record_file_has_one_line_per_accepted_pair(tmp_path):
    record = tmp_path / "rec.jsonl"
    with NetshotSim(accounts={"test": "pw"}, record=record) as sim:
        answer(post(sim, form(toNumber="01011112222,01033334444")))
        answer(post(sim, form(m_pw="bad", m_corpfrcode="zz")))
    rows = [json.loads(line) for line in record.read_text("utf-8").splitlines()]
    assert [(r["corpfrcode"], r["to"]) for r in rows] == [("c1", "01011112222"), ("c1", "01033334444")]
    assert rows[0]["contents"] == "안녕하세요"


def test_rate_limits_requests_per_second():
    with NetshotSim(accounts={"test": "pw"}, rate=20) as sim:
        started = time.monotonic()
        for i in range(5):
            answer(post(sim, form(m_corpfrcode=f"q{i}")))
        assert time.monotonic() - started >= 0.19


def test_callbacks_reach_a_listener_as_get_with_the_documented_fields():
    got = []
    with ResultListener(got.extend, port=0) as listener, NetshotSim(
        accounts={"test": "pw"}, callback=listener.url + "sms/result?site=1", report_delay=0.01,
        fail_rate=0.5, seed=3,
    ) as sim:
        numbers = [f"0101234{i:04d}" for i in range(20)]
        assert answer(post(sim, form(toNumber=",".join(numbers))))["sendCode"] == "300"
        assert sim.wait_callbacks(20, timeout=10)
    assert sim.counts["callbacks_sent"] == 20
    assert sorted(r.to for r in got) == numbers
    assert {r.status for r in got} == {"delivered", "failed"}  # seed 3 gives both
    for report in got:
        assert (report.status == "delivered") == (report.code == "1")
        assert report.extra["corpfrcode"] == "c1" and report.extra["page"] == "1"
        assert report.delivered_at.endswith("+09:00") == (report.status == "delivered")


def test_callbacks_are_retried_until_the_listener_answers():
    calls: list[int] = []

    def flaky(reports):
        calls.append(len(reports))
        if len(calls) == 1:
            raise RuntimeError("disk full")

    with ResultListener(flaky, port=0) as listener, NetshotSim(
        accounts={"test": "pw"}, callback=listener.url, report_delay=0.0,
    ) as sim:
        answer(post(sim, form()))
        assert sim.wait_callbacks(1, timeout=10)
    assert calls == [1, 1] and sim.counts["callbacks_sent"] == 1
