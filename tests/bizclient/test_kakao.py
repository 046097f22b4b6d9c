"""Kakao AlimTalk / FriendTalk through BIZCLIENT (MSG_TYPE 6 / 7), against the stand-in
agent on SQLite and MariaDB: the rows, the EUC-KR button file, the gateway's fallback
(STATUS 11, then the SMS/LMS result) and the reports poll makes of them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from smscli import content
from smscli.content import Button, Kakao, Rcs, Text
from smscli.errors import ConfigError
from smscli.models import Message, Report, SendResult
from smscli.sim.kakao import KakaoRules, Template
from smscli.vendors.bizclient import BizclientVendor
from smscli.vendors.bizclient_db import recent_log_names

from .conftest import JPEG, FakeJournal, rows, wait_for

pytestmark = pytest.mark.timeout(60)

KEY = "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2"  # 40 characters, like Kakao's
APPROVED = "#{name}님, 주문하신 #{item} 상품이 발송되었습니다."
BUTTONS = (Button("배송 조회", "WL", url_mobile="https://shop.example.kr/track/#{order}"),
           Button("상담원 연결", "MD"))
FILLED = (Button("배송 조회", "WL", url_mobile="https://shop.example.kr/track/A-17"), Button("상담원 연결", "MD"))
TEXT = "홍길동님, 주문하신 우산 상품이 발송되었습니다."
MISS = "01099990000"


def rules(**extra: Any) -> KakaoRules:
    return KakaoRules([Template("order-shipped", APPROVED, BUTTONS)], sender_key=KEY, **extra)


def alimtalk(cmid: str, *, to: str = "01012345678", text: str = TEXT, buttons: tuple[Button, ...] = FILLED,
             fallback: Text | None = None, **fields: Any) -> Message:
    channel = Kakao(body=text, template=fields.pop("template", "order-shipped"), buttons=buttons,
                    sender_key=fields.pop("sender_key", KEY), fallback=fallback, **fields)
    return Message(id=cmid, to=to, text=text, sender="0212341234", type="alimtalk", channel=channel)


def friendtalk(cmid: str, *, ad: bool, **fields: Any) -> Message:
    text = "(광고) 다우상점\n겨울 우산 할인 안내\n무료거부 0801234567"
    channel = Kakao(body=text, type="friendtalk", ad=ad, sender_key=KEY, **fields)
    return Message(id=cmid, to="01012345678", text=text, sender="0212341234", type="friendtalk",
                   channel=channel)


def send(vendor: BizclientVendor, messages: list[Message], journal: FakeJournal | None = None) -> list[SendResult]:
    results: list[SendResult] = []
    vendor.send(messages, results.append)
    if journal is not None:
        journal.track([r.message_id for r in results if r.status == "accepted"])
    return results


def poll(vendor: BizclientVendor, journal: FakeJournal | None = None) -> list[Report]:
    """The reports one poll hands over (stored in ``journal``, as the pipeline does)."""
    got: list[Report] = []
    vendor.poll(got.extend if journal is None else lambda part: got.extend(journal.add_reports(part)), timeout=5)
    return got


def settle(agent: Any, database: Any, cmids: list[str]) -> None:
    """Step the agent until every row is finished (STATUS 2/3)."""
    def finished() -> bool:
        agent.step()
        by_id = {r.CMID: r.STATUS for r in rows(database)}
        return all(by_id.get(c) in (2, 3) for c in cmids)
    assert wait_for(finished)


# --------------------------------------------------------------------------- send side
def test_alimtalk_with_buttons_is_delivered(vendor_factory, agent_factory, database, files, journal):
    vendor = vendor_factory()
    assert [r.status for r in send(vendor, [alimtalk("at1")], journal)] == ["accepted"]
    (row,) = rows(database)
    assert (row.MSG_TYPE, row.MSG_BODY, row.SENDER_KEY, row.TEMPLATE_CODE, row.NATION_CODE, row.SEND_PHONE) == (
        6, TEXT, KEY, "order-shipped", "82", "0212341234")
    assert row.RE_TYPE is None and row.AD_FLAG is None and row.TIMEOUT is None
    assert row.ATTACHED_FILE.endswith(".json") and "|" not in row.ATTACHED_FILE
    agent = agent_factory(kakao=rules(), move_delay=3600)
    agent.prepare()
    settle(agent, database, ["at1"])
    (report,) = poll(vendor)
    assert (report.status, report.code, report.channel, report.fallback) == ("delivered", "7000", "alimtalk", {})
    assert report.delivered_at.endswith("+09:00")
    assert report.extra["msg_type"] == "6" and report.extra["tel_info"] == "KKO"
    assert report.to_json()["channel"] == "alimtalk" and "fallback" not in report.to_json()


def test_button_file_is_euc_kr_json_written_atomically_and_named_in_attached_file(
        vendor_factory, database, files, monkeypatch):
    replaced: list[tuple[Path, bytes, bool]] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any) -> None:  # what the agent could see at the rename
        replaced.append((Path(src), Path(src).read_bytes(), Path(dst).exists()))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    vendor = vendor_factory()
    send(vendor, [alimtalk("at1"), alimtalk("at2", to="01022223333")])
    first, second = rows(database)
    assert first.ATTACHED_FILE == second.ATTACHED_FILE  # the same buttons: one file
    path = files / first.ATTACHED_FILE
    data = path.read_bytes()
    assert json.loads(data.decode("euc_kr")) == {"button": [b.to_json() for b in FILLED]}
    assert "배송 조회".encode("euc_kr") in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    ((temp, written, existed),) = replaced  # written once, under a hidden temp name, whole
    assert temp.parent == files and temp.name.startswith(".") and written == data and not existed
    assert sorted(p.name for p in files.iterdir()) == [first.ATTACHED_FILE]
    assert oct(path.stat().st_mode & 0o777) == "0o644"


@pytest.mark.parametrize(("name", "why"), [("주문 ❤", "U+2764"), ("똠방각하", "EUC-KR")])
def test_a_button_euc_kr_cannot_carry_is_invalid(vendor_factory, database, files, name, why):
    (result,) = send(vendor_factory(), [alimtalk("at1", buttons=(Button(name, "BK"),))])
    assert result.status == "invalid" and "buttons" in result.detail and why in result.detail
    assert rows(database) == [] and list(files.iterdir()) == []


def test_friendtalk_with_ad_and_image(vendor_factory, agent_factory, database, files, journal):
    vendor = vendor_factory(kakao_nation_code="82")
    image = {"image_url": "https://mud-kage.kakao.com/dn/abc/img.jpg", "image_link": "https://shop.example.kr/"}
    send(vendor, [friendtalk("ft1", ad=True, **image), friendtalk("ft2", ad=False)], journal)
    ft1, ft2 = rows(database)
    assert (ft1.MSG_TYPE, ft1.AD_FLAG, ft1.TEMPLATE_CODE, ft1.SENDER_KEY) == (7, "Y", None, KEY)
    assert (ft2.MSG_TYPE, ft2.AD_FLAG, ft2.ATTACHED_FILE) == (7, "N", None)
    attached = json.loads((files / ft1.ATTACHED_FILE).read_bytes().decode("euc_kr"))
    assert attached == {"image": {"img_url": image["image_url"], "img_link": image["image_link"]}}
    agent = agent_factory(kakao=rules(), move_delay=3600)
    agent.prepare()
    settle(agent, database, ["ft1", "ft2"])
    reports = {r.message_id: r for r in poll(vendor)}
    assert {(r.status, r.code, r.channel) for r in reports.values()} == {("delivered", "7000", "friendtalk")}


def test_a_friendtalk_user_key_goes_in_user_key(vendor_factory, agent_factory, database, journal):
    vendor = vendor_factory()
    send(vendor, [friendtalk("uk1", ad=False, user_key="KAKAO-USER-7"), friendtalk("uk2", ad=False)], journal)
    uk1, uk2 = rows(database)
    assert (uk1.MSG_TYPE, uk1.USER_KEY, uk2.USER_KEY) == (7, "KAKAO-USER-7", None)
    agent = agent_factory(kakao=rules(), move_delay=3600)
    agent.prepare()
    settle(agent, database, ["uk1", "uk2"])
    assert {r.code for r in poll(vendor)} == {"7000"}


def test_fallback_columns_timeout_and_nation_code(vendor_factory, database, tmp_path):
    image = tmp_path / "coupon.jpg"
    image.write_bytes(JPEG)
    vendor = vendor_factory(kakao_nation_code="1")
    send(vendor, [
        alimtalk("sms", fallback=Text("[다우] 우산이 발송되었습니다.", type="sms"), timeout=30),
        alimtalk("lms", fallback=Text("긴 안내 " * 100, subject="발송 안내", type="lms")),
        alimtalk("mms", buttons=(), fallback=Text("쿠폰", subject="쿠폰", type="mms", images=(image,))),
    ])
    lms, mms, sms = rows(database)
    assert (sms.RE_TYPE, sms.RE_BODY, sms.RE_PART, sms.TIMEOUT, sms.SUBJECT, sms.NATION_CODE) == (
        "SMS", "[다우] 우산이 발송되었습니다.", "G", "30", None, "1")
    assert (lms.RE_TYPE, lms.RE_BODY, lms.RE_PART, lms.SUBJECT) == ("MMS", "긴 안내 " * 100, "G", "발송 안내")
    assert mms.RE_TYPE == "MMS" and mms.ATTACHED_FILE.endswith(".jpg") and "|" not in mms.ATTACHED_FILE
    assert (vendor.file_path / mms.ATTACHED_FILE).read_bytes() == JPEG
    json_name, jpg_name = lms.ATTACHED_FILE.split("|")[0], mms.ATTACHED_FILE
    assert json_name.endswith(".json") and jpg_name.endswith(".jpg")


@pytest.mark.parametrize(("message", "reason"), [
    (lambda: alimtalk("x", sender_key=""), "no Kakao sender key (set kakao_sender_key in the profile)"),
    (lambda: alimtalk("x", template=""), "needs its template code"),
    (lambda: alimtalk("x", template="t" * 65), "the table's TEMPLATE_CODE holds 64"),
    (lambda: alimtalk("x", text="가" * 1001), "1001 characters; at most 1000"),
    (lambda: alimtalk("x", title="배송 안내"), "no column for the AlimTalk title"),
    (lambda: alimtalk("x", fallback=Text("가" * 46, type="sms")), "SMS fallback text is 92 bytes (CP949); at most 90"),
    (lambda: alimtalk("x", fallback=Text("쿠폰", type="mms")), "an MMS fallback needs its image"),
    (lambda: alimtalk("x", timeout=12345), "TIMEOUT '12345' is 5 characters"),
    (lambda: Message(id="x", to="01012345678", text="안녕", sender="", type="rcs-sms", channel=Rcs("안녕")),
     "not 'rcs-sms'"),
])
def test_bad_kakao_messages_are_invalid_with_the_reason(vendor_factory, database, message, reason):
    (result,) = send(vendor_factory(), [message()])
    assert result.status == "invalid" and reason in result.detail, result.detail
    assert rows(database) == []


def test_template_code_length_follows_the_table(tmp_path, files):
    """A v1.3 table (TEMPLATE_CODE 30): a 31-character code is invalid before the insert."""
    from smscli.vendors.bizclient_db import COLUMNS, BizDatabase

    from .conftest import make_profile

    url = f"sqlite:///{tmp_path / 'v13.db'}"
    def ddl(name: str, kind: str, length: int) -> str:
        sql = {"num": "INTEGER", "time": "DATETIME"}.get(kind, f"VARCHAR({30 if name == 'TEMPLATE_CODE' else length})")
        return f"{name} {sql}" + (" PRIMARY KEY" if name == "CMID" else "")

    columns = ", ".join(ddl(n, k, ln) for n, k, ln, _null, _default in COLUMNS)
    db = BizDatabase(url, create=True)
    with db.connect() as conn:
        conn.exec_driver_sql(f"CREATE TABLE BIZ_MSG ({columns})")
        conn.commit()
    db.dispose()
    vendor = BizclientVendor(make_profile(url, files, tmp_path), FakeJournal())
    try:
        long_code, ok = send(vendor, [alimtalk("a", template="t" * 31), alimtalk("b", template="t" * 30)])
    finally:
        vendor.close()
    assert long_code.status == "invalid" and "holds 30" in long_code.detail
    assert ok.status == "accepted"


def test_a_bad_nation_code_is_a_config_error(vendor_factory, database):
    with pytest.raises(ConfigError, match="kakao_nation_code must be 1-5 digits"):
        send(vendor_factory(kakao_nation_code="82-1"), [alimtalk("x")])


def test_rcs_is_refused_and_kakao_carried(vendor_factory):
    """The pipeline asks content.refusal before journaling (a UsageError, exit 2)."""
    vendor = vendor_factory()
    assert vendor.carries == frozenset({"text", "kakao", "fax", "voice", "mms-media"}) and vendor.falls_back is True
    assert content.refusal(vendor, Rcs("안녕")).startswith("bizclient does not carry RCS messages (--type rcs-sms)")
    assert content.refusal(vendor, Kakao("안녕", template="t")) is None
    assert content.refusal(vendor, Text("안녕")) is None


# --------------------------------------------------------------------------- fallback and results
def _step_until(agent: Any, database: Any, cmid: str, status: int) -> Any:
    found: list[Any] = []

    def reached() -> bool:
        agent.step()
        found[:] = [r for r in rows(database) if r.CMID == cmid and r.STATUS == status]  # noqa: SIM300
        return bool(found)
    assert wait_for(reached)
    return found[0]


def test_a_miss_falls_back_to_sms_once_and_poll_waits_through_status_11(
        vendor_factory, agent_factory, database, journal):
    vendor = vendor_factory()
    message = alimtalk("miss1", to=MISS, fallback=Text("[다우] 우산이 발송되었습니다.", type="sms"))
    send(vendor, [message, alimtalk("hit1")], journal)
    agent = agent_factory(kakao=rules(misses=[MISS]), send_delay=0.3, move_delay=0.2)
    agent.prepare()
    falling = _step_until(agent, database, "miss1", 11)
    assert (falling.CALL_STATUS, falling.TEL_INFO) == ("7318", "KKO")
    reports = poll(vendor, journal)  # STATUS 11 is not final
    assert "miss1" not in {r.message_id for r in reports} and journal.status["miss1"] == "accepted"
    reported: list[Report] = []

    def fallen_back() -> bool:
        agent.step()
        reported.extend(r for r in poll(vendor, journal) if r.message_id == "miss1")
        return bool(reported)
    assert wait_for(fallen_back)
    (report,) = reported
    assert (report.status, report.code, report.channel, report.fallback) == (
        "delivered", "4100", "sms", {"type": "sms", "status": "delivered"})
    assert report.extra["re_type"] == "SMS" and report.extra["re_part"] == "G"
    assert report.extra["call_status"] == "4100" and report.extra["tel_info"] in ("SKT", "KTF", "LGT")
    assert "SMS fallback" in report.detail
    assert report.to_json()["fallback"] == {"type": "sms", "status": "delivered"}
    # Moved to the log, polled again, sent again: still exactly one fallback.
    assert wait_for(lambda: (agent.step(), len(rows(database)) == 0)[1])
    assert {r.CMID for r in rows(database, recent_log_names()[0])} == {"miss1", "hit1"}
    assert poll(vendor, journal) == []
    again = send(vendor, [message])
    assert [r.status for r in again] == ["duplicate"]
    for _ in range(5):
        agent.step()
    assert agent.fallbacks == {"miss1": 1} and agent.accepted["miss1"] == 1
    assert [r.message_id for r in journal.reports].count("miss1") == 1


def test_a_miss_with_long_text_falls_back_to_lms(vendor_factory, agent_factory, database, journal, tmp_path):
    record = tmp_path / "taken.jsonl"
    vendor = vendor_factory()
    long_text = "우산 배송 안내입니다. " * 20
    send(vendor, [alimtalk("miss2", to=MISS, fallback=Text(long_text, subject="배송 안내", type="lms"))], journal)
    agent = agent_factory(kakao=rules(misses=[MISS]), move_delay=3600, record=record)
    agent.prepare()
    settle(agent, database, ["miss2"])
    (report,) = poll(vendor)
    assert (report.status, report.code, report.channel, report.fallback) == (
        "delivered", "6600", "lms", {"type": "lms", "status": "delivered"})
    lines = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    fallbacks = [line for line in lines if line["event"] == "fallback"]
    assert len(fallbacks) == 1 and fallbacks[0]["msg_type"] == 5 and fallbacks[0]["text"] == long_text
    assert fallbacks[0]["kakao_code"] == "7318"


def test_a_fallback_that_fails_and_a_miss_without_fallback(vendor_factory, agent_factory, database, journal):
    vendor = vendor_factory()
    send(vendor, [alimtalk("fb", to=MISS, fallback=Text("짧은 안내", type="sms")),
                  alimtalk("none", to=MISS)], journal)
    agent = agent_factory(kakao=rules(misses=[MISS]), fail_rate=1.0, move_delay=3600)
    agent.prepare()
    settle(agent, database, ["fb", "none"])
    reports = {r.message_id: r for r in poll(vendor)}
    fb, none = reports["fb"], reports["none"]
    assert (fb.status, fb.channel, fb.fallback) == ("failed", "alimtalk", {"type": "sms", "status": "failed"})
    assert fb.code.startswith("44") and fb.delivered_at == ""
    assert (none.status, none.code, none.channel, none.fallback) == ("failed", "7318", "alimtalk", {})
    assert agent.fallbacks == {"fb": 1}


@pytest.mark.parametrize(("change", "code"), [
    ({"text": "홍길동님, 주문하신 우산 상품이 도착했습니다."}, "7204"),
    ({"buttons": (Button("배송 조회", "WL", url_mobile="https://elsewhere.example/"),)}, "7204"),
    ({"template": "unknown"}, "7315"),
    ({"sender_key": "f" * 40}, "7103"),
])
def test_refusals_get_daous_codes_and_the_fallback(vendor_factory, agent_factory, database, journal, change, code):
    """A refused AlimTalk is a failed one: without a fallback its report has Daou's code;
    with one, the agent sends it (manual 5.1.8, "발송결과 실패 시"), as Bizppurio does."""
    from smscli.codes import describe

    vendor = vendor_factory()
    fields = {"text": TEXT, **change}
    send(vendor, [alimtalk("bad", **fields), alimtalk("bad-fb", fallback=Text("짧은 안내", type="sms"), **fields)],
         journal)
    agent = agent_factory(kakao=rules(), move_delay=3600)
    agent.prepare()
    settle(agent, database, ["bad", "bad-fb"])
    reports = {r.message_id: r for r in poll(vendor)}
    plain, fell = reports["bad"], reports["bad-fb"]
    assert (plain.status, plain.code, plain.channel, plain.fallback) == ("failed", code, "alimtalk", {})
    assert plain.detail == describe("bizclient", code).meaning
    assert (fell.status, fell.channel, fell.fallback) == ("delivered", "sms", {"type": "sms", "status": "delivered"})
    assert agent.fallbacks == {"bad-fb": 1}


def test_poll_treats_status_11_as_not_final(vendor_factory, database, journal):
    """A row the agent is falling back for, written by hand as the real agent does."""
    vendor = vendor_factory()
    send(vendor, [alimtalk("r1", fallback=Text("짧은 안내", type="sms"))], journal)
    table = database.table("BIZ_MSG")
    sa = database.sa

    def set_row(**values: Any) -> None:
        with database.connect() as conn:
            conn.execute(sa.update(table).where(table.c.CMID == "r1").values(**values))
            conn.commit()

    set_row(STATUS=11, CALL_STATUS="7318", TEL_INFO="KKO")
    assert poll(vendor) == [] and journal.status["r1"] == "accepted"
    set_row(STATUS=2, CALL_STATUS="4100", TEL_INFO="SKT")
    (report,) = poll(vendor)
    assert (report.status, report.channel, report.fallback) == ("delivered", "sms",
                                                                {"type": "sms", "status": "delivered"})


# --------------------------------------------------------------------------- the agent's checks
def _insert(database: Any, **values: Any) -> None:
    from smscli.vendors.bizclient_db import now_kst

    row = {"CMID": "h1", "MSG_TYPE": 6, "STATUS": 0, "REQUEST_TIME": now_kst(), "SEND_TIME": now_kst(),
           "DEST_PHONE": "01012345678", "SEND_PHONE": "0212341234", "MSG_BODY": TEXT, "SENDER_KEY": KEY,
           "TEMPLATE_CODE": "order-shipped", "NATION_CODE": "82", **values}
    with database.connect() as conn:
        conn.execute(database.table("BIZ_MSG").insert(), [row])
        conn.commit()


@pytest.mark.parametrize(("values", "file", "code"), [
    ({"SENDER_KEY": None}, None, "9015"),
    ({"TEMPLATE_CODE": None}, None, "9016"),
    ({"ATTACHED_FILE": "missing.json"}, None, "9017"),
    ({"ATTACHED_FILE": "b.json"}, b"", "9018"),
    ({"ATTACHED_FILE": "b.txt"}, b"{}", "9019"),
    ({"ATTACHED_FILE": "b.json"}, json.dumps({"button": [{"name": "배송 조회", "type": "WL"}]},
                                             ensure_ascii=False).encode("utf-8"), "9215"),
    ({"ATTACHED_FILE": "b.json"}, b"{not json", "9020"),
    ({"RE_TYPE": "FAX"}, None, "9020"),
])
def test_agent_refuses_bad_kakao_rows(agent_factory, database, files, values, file, code):
    if file is not None:
        (files / values["ATTACHED_FILE"]).write_bytes(file)
    _insert(database, **values)
    agent = agent_factory(kakao=rules(), move_delay=3600)
    agent.prepare()
    agent.step()
    (row,) = rows(database)
    assert (row.STATUS, row.CALL_STATUS) == (3, code)  # noqa: SIM300


def test_every_code_the_agent_writes_is_in_the_code_tables():
    from smscli.codes import describe
    from smscli.sim import bizclient_kakao

    missing = [c for c in bizclient_kakao.CODES if describe("bizclient", c) is None]
    assert missing == []


def test_sim_bizclient_kakao_options(tmp_path):
    from tests.conftest import run_cli

    bad = run_cli("sim", "bizclient", "--database-url", f"sqlite:///{tmp_path / 'b.db'}", "--file-path",
                  str(tmp_path), "--kakao-template", "no-equals-sign", "--duration", "0")
    assert bad.returncode == 2 and b"CODE=FILE" in bad.stderr
    template = tmp_path / "t.txt"
    template.write_text(APPROVED, encoding="utf-8")
    ok = run_cli("sim", "bizclient", "--database-url", f"sqlite:///{tmp_path / 'b.db'}", "--file-path",
                 str(tmp_path), "--kakao-template", f"order-shipped={template}", "--kakao-miss", MISS,
                 "--duration", "0")
    assert ok.returncode == 0, ok.stderr
    assert b"fell back" in ok.stderr


# --------------------------------------------------------------------------- the whole flow
def test_result_poll_with_the_real_journal_waits_for_the_fallback_and_shows_it(
        database, files, isolated_env, agent_factory, capsys):
    """Kakao messages journaled and queued as the pipeline does (until the CLI sends
    Kakao), then ``smscli result poll --json`` with the agent working the same database."""
    from smscli.cli.app import program
    from smscli.config import load_profile
    from smscli.journal import Journal

    from .test_cli import write_config

    write_config(isolated_env, database.url.render_as_string(hide_password=False), files)
    prof = load_profile(None)
    journal = Journal.open(prof.data_dir)
    messages = [alimtalk("e2e-miss", to=MISS, fallback=Text("[다우] 우산이 발송되었습니다.", type="sms")),
                alimtalk("e2e-hit")]
    journal.claim(messages, "bizclient", prof.name)
    vendor = BizclientVendor(prof, journal)
    results: list[SendResult] = []
    try:
        vendor.send(messages, results.append)
    finally:
        vendor.close()
    journal.record(results)
    journal.close()
    assert [r.status for r in results] == ["accepted", "accepted"]

    def result_poll() -> list[dict[str, Any]]:
        assert program(["result", "poll", "--json"]) == 0
        return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]

    agent = agent_factory(kakao=rules(misses=[MISS]), send_delay=0.3, move_delay=3600)
    agent.prepare()
    _step_until(agent, database, "e2e-miss", 11)
    assert wait_for(lambda: (agent.step(), {r.CMID: r.STATUS for r in rows(database)}["e2e-hit"] == 2)[1])
    first = result_poll()
    assert [(r["message_id"], r["status"], r["code"], r["channel"]) for r in first] == [
        ("e2e-hit", "delivered", "7000", "alimtalk")]
    settle(agent, database, ["e2e-miss"])
    (second,) = result_poll()
    assert (second["message_id"], second["status"], second["code"], second["channel"], second["fallback"]) == (
        "e2e-miss", "delivered", "4100", "sms", {"type": "sms", "status": "delivered"})
    assert result_poll() == []
    assert agent.fallbacks == {"e2e-miss": 1}


def _button_file(files: Path, buttons: list[dict[str, str]]) -> str:
    (files / "b.json").write_bytes(json.dumps({"button": buttons}, ensure_ascii=False).encode("euc_kr"))
    return "b.json"


@pytest.mark.parametrize("buttons", [
    [{"name": "배송 조회", "type": "WL"}],  # WL without url_mobile
    [{"name": "앱 열기", "type": "AL", "scheme_ios": "app://open"}],  # AL with one of three
    [{"name": "가" * 29, "type": "BK"}],
    [{"name": "알 수 없음", "type": "XX"}],
    [{"name": f"버튼{i}", "type": "BK"} for i in range(6)],
])
def test_buttons_kakao_cannot_show_are_answered_7101(agent_factory, database, files, buttons):
    _insert(database, ATTACHED_FILE=_button_file(files, buttons))
    agent = agent_factory(kakao=KakaoRules(), move_delay=3600)
    agent.prepare()
    settle(agent, database, ["h1"])
    (row,) = rows(database)
    assert (row.STATUS, row.CALL_STATUS) == (2, "7101")  # noqa: SIM300


def test_a_restarted_agent_finishes_each_fallback_once(agent_factory, vendor_factory, database, journal):
    vendor = vendor_factory()
    send(vendor, [alimtalk("r-falling", to=MISS, fallback=Text("짧은 안내", type="sms"))], journal)
    first = agent_factory(kakao=rules(misses=[MISS]), send_delay=0.3, move_delay=3600)
    first.prepare()
    _step_until(first, database, "r-falling", 11)
    first.stop()
    assert first.fallbacks == {"r-falling": 1}
    # A row the stopped agent had taken (STATUS 1) but not yet answered.
    (falling,) = rows(database)
    _insert(database, CMID="r-taken", STATUS=1, DEST_PHONE=MISS, RE_TYPE="SMS", RE_BODY="짧은 안내",
            ATTACHED_FILE=falling.ATTACHED_FILE)
    journal.track(["r-taken"])
    again = agent_factory(kakao=rules(misses=[MISS]), send_delay=0.05, move_delay=3600)
    again.prepare()
    settle(again, database, ["r-falling", "r-taken"])
    reports = {r.message_id: r for r in poll(vendor, journal)}
    assert {k: (r.status, r.code, r.channel) for k, r in reports.items()} == {
        "r-falling": ("delivered", "4100", "sms"), "r-taken": ("delivered", "4100", "sms")}
    assert again.fallbacks == {"r-taken": 1}  # r-falling's was sent before the restart
    assert again.accepted == {}  # nothing taken again


def test_send_wait_collects_the_fallback_and_a_resend_meanwhile_is_a_duplicate(
        vendor_factory, agent_factory, database):
    vendor = vendor_factory()
    agent = agent_factory(kakao=rules(misses=[MISS]), send_delay=0.2, move_delay=3600).start()
    message = alimtalk("w1", to=MISS, fallback=Text("짧은 안내", type="sms"))
    results: list[SendResult] = []
    reports: list[Report] = []
    vendor.send([message], results.append, on_reports=reports.extend, wait=20)
    assert [r.status for r in results] == ["accepted"]
    (report,) = reports
    assert (report.status, report.channel, report.fallback) == ("delivered", "sms",
                                                                {"type": "sms", "status": "delivered"})
    assert agent.fallbacks == {"w1": 1}
    resend = send(vendor, [alimtalk("w2", to=MISS, fallback=Text("짧은 안내", type="sms"))])
    assert wait_for(lambda: any(r.CMID == "w2" and r.STATUS == 11 for r in rows(database)))  # noqa: SIM300
    agent.stop()  # holds the row at STATUS 11
    (dup,) = send(vendor, [alimtalk("w2", to=MISS, fallback=Text("짧은 안내", type="sms"))])
    assert resend[0].status == "accepted" and dup.status == "duplicate"
    assert dup.detail == "already queued in BIZ_MSG (STATUS 11: fallback send); not overwritten"
    assert agent.fallbacks == {"w1": 1, "w2": 1}


def test_per_row_button_files_are_written_in_fsynced_groups(vendor_factory, database, files, monkeypatch):
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    messages = [alimtalk(f"p{i:03d}", buttons=(Button("배송 조회", "WL", url_mobile=f"https://x.kr/t/{i}"),))
                for i in range(150)]
    results = send(vendor_factory(), messages)
    assert {r.status for r in results} == {"accepted"}
    by_id = {r.CMID: r.ATTACHED_FILE for r in rows(database)}
    assert len(set(by_id.values())) == 150 and len(synced) == 150  # each file fsynced once
    assert sorted(p.name for p in files.iterdir()) == sorted(by_id.values())  # no temp file left
    for i in (0, 64, 149):
        data = json.loads((files / by_id[f"p{i:03d}"]).read_bytes().decode("euc_kr"))
        assert data["button"][0]["url_mobile"] == f"https://x.kr/t/{i}"


def test_friendtalk_to_someone_not_a_friend_falls_back_to_lms(vendor_factory, agent_factory, database, journal):
    vendor = vendor_factory()
    message = friendtalk("ft-miss", ad=True)
    message = Message(id=message.id, to=MISS, text=message.text, sender=message.sender, type="friendtalk",
                      channel=Kakao(body=message.text, type="friendtalk", ad=True, sender_key=KEY,
                                    fallback=Text(message.text, subject="할인 안내", type="lms")))
    send(vendor, [message], journal)
    agent = agent_factory(kakao=rules(misses=[MISS]), send_delay=0.2, move_delay=3600)
    agent.prepare()
    falling = _step_until(agent, database, "ft-miss", 11)
    assert falling.CALL_STATUS == "7203"
    settle(agent, database, ["ft-miss"])
    (report,) = poll(vendor, journal)
    assert (report.status, report.code, report.channel, report.fallback) == (
        "delivered", "6600", "lms", {"type": "lms", "status": "delivered"})
    assert "friendtalk was not delivered" in report.detail


def test_alimtalk_image_goes_as_msg_type_6_with_its_image_in_the_file(vendor_factory, database, files):
    channel = Kakao(body=TEXT, type="alimtalk-image", template="order-shipped", sender_key=KEY,
                    image_url="https://mud-kage.kakao.com/dn/at/img.png")
    (result,) = send(vendor_factory(), [Message(id="ai1", to="01012345678", text=TEXT, sender="",
                                                type="alimtalk-image", channel=channel)])
    assert (result.status, result.type) == ("accepted", "alimtalk-image")
    (row,) = rows(database)
    assert (row.MSG_TYPE, row.TEMPLATE_CODE) == (6, "order-shipped")
    assert json.loads((files / row.ATTACHED_FILE).read_bytes().decode("euc_kr")) == {
        "image": {"img_url": "https://mud-kage.kakao.com/dn/at/img.png"}}


def test_a_kakao_row_carries_the_campaign_tag_and_name(vendor_factory, database):
    message = alimtalk("tagged")
    message = Message(id=message.id, to=message.to, text=message.text, sender=message.sender, type=message.type,
                      channel=message.channel, tag="winter-sale", name="홍길동")
    (result,) = send(vendor_factory(), [message])
    (row,) = rows(database)
    assert result.status == "accepted" and (row.CINFO, row.DEST_NAME, row.MSG_TYPE) == ("winter-sale", "홍길동", 6)
