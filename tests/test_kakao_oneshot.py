"""Kakao and RCS on OneShot, over real sockets against the OneShot simulator, and smscli's
own fallback (OneShot has no fallback field). Messages are built rendered, as the send
pipeline hands them to vendors (docs/DEVELOPING.md, "Content model")."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from smscli import ids
from smscli.client import Client
from smscli.codes import describe
from smscli.config import load_profile
from smscli.content import Button, Kakao, Rcs, Text
from smscli.dispatch import ResultSink, Summary
from smscli.errors import ConfigError
from smscli.fallback import Fallback
from smscli.journal import Journal
from smscli.models import Message, SendResult
from smscli.protocol.oneshot.frames import encode_frame
from smscli.protocol.oneshot.messages import MsgSendReq, parse_message
from smscli.sim import oneshot_kakao
from smscli.sim.kakao import KakaoRules, Template
from smscli.sim.oneshot import OneShotSimulator
from smscli.vendors.registry import create_vendor
from tests.conftest import run_cli

pytestmark = pytest.mark.timeout(60)

SENDER_KEY = "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6abcd"
MISS = "01099990000"
TEMPLATE = "안녕하세요 #{name}님, 주문 #{order}이 발송되었습니다."
BUTTONS = (Button(name="배송 조회", type="WL", url_mobile="https://shop.example/o/#{order}"),)

PROFILE = """
default_profile = "t"
[profiles.t]
vendor = "oneshot"
host = "127.0.0.1"
port = {port}
bind_id = "test001"
password = "test001#$$%"
aes_key = "0123456789abcdef"
aes_iv = "fedcba9876543210"
sender = "15666639"
connect_timeout = 2
response_timeout = 2
poll_silence = 0.5
kakao_sender_key = "{key}"
{more}
"""


@pytest.fixture
def sim(isolated_env: Path) -> Iterator[OneShotSimulator]:
    rules = KakaoRules([Template("ORDER1", TEMPLATE, buttons=BUTTONS)], sender_key=SENDER_KEY,
                       misses=[MISS])
    with OneShotSimulator(speed=0, report_delay=0.05, kakao=rules) as server:
        configure(isolated_env, server)
        yield server


def configure(home: Path, server: OneShotSimulator, more: str = "") -> None:
    path = home / "config.toml"
    path.write_text(PROFILE.format(port=server.address[1], key=SENDER_KEY, more=more))
    path.chmod(0o600)


def alimtalk(mid: str, to: str = "01012345678", *, name: str = "홍길동", order: str = "A-17",
             fallback: Text | None = None, buttons: Sequence[Button] | None = None, **kw: Any) -> Message:
    body = TEMPLATE.replace("#{name}", name).replace("#{order}", order)
    shown = BUTTONS if buttons is None else tuple(buttons)
    shown = tuple(replace(b, url_mobile=b.url_mobile.replace("#{order}", order)) for b in shown)
    channel = Kakao(body=kw.pop("body", body), template=kw.pop("template", "ORDER1"), title="주문 발송",
                    buttons=shown, sender_key=kw.pop("sender_key", SENDER_KEY), fallback=fallback)
    return Message(id=mid, to=to, text=channel.body, sender="15666639", type="alimtalk",
                   channel=channel, **kw)


class Pipeline:
    """What the send pipeline does around a vendor (smscli.dispatch.run_send): claim,
    results and reports through a ResultSink, then smscli's own fallback."""

    def __init__(self) -> None:
        self.profile = load_profile("t")
        self.journal = Journal.open(self.profile.data_dir)
        self.vendor = create_vendor(self.profile, self.journal)

    def send(self, messages: list[Message], *, wait: float = 3.0, fallback: bool = True) -> list[SendResult]:
        out: list[SendResult] = []
        previous = self.journal.claim(messages, self.vendor.name, "t")
        todo = [m for m, p in zip(messages, previous, strict=True) if p is None or p in ("pending", "unknown")]
        sink = ResultSink(self.journal, Summary(), out.append, hold=wait > 0)
        sink.fallback = Fallback.for_vendor(self.journal, self.vendor, "t") if fallback else None
        self.vendor.send(iter(todo), sink, on_reports=sink.reports, wait=wait)
        if sink.fallback is not None:
            sink.flush()
            sink.fallback.send(wait=wait, on_reports=sink.reports)
        sink.flush()
        sink.release()
        return out

    def close(self) -> None:
        self.journal.close()


@pytest.fixture
def pipe(sim: OneShotSimulator) -> Iterator[Pipeline]:
    p = Pipeline()
    yield p
    p.close()


def bodies(server: OneShotSimulator, mid: str) -> list[dict[str, Any]]:
    return [m.body for m in server.accepted if m.user_msg_id == mid]


def test_alimtalk_with_buttons_is_delivered(sim: OneShotSimulator, pipe: Pipeline) -> None:
    [result] = pipe.send([alimtalk("at1")])
    assert (result.status, result.type) == ("delivered", "alimtalk")
    [body] = bodies(sim, "at1")
    assert body["MsgType"] == 7
    assert body["KakaoSenderKey"] == SENDER_KEY
    assert body["KakaoTemplateCode"] == "ORDER1"
    assert body["KakaoNationCode"] == "82"
    assert body["kakaoTitle"] == "주문 발송"
    assert body["KakaoAdFlag"] == "N"
    assert json.loads(body["KakaoButton"]) == {
        "button": [{"name": "배송 조회", "type": "WL", "url_mobile": "https://shop.example/o/A-17"}]}
    assert "ResellerCode" not in body and "rcsHeader" not in body
    [report] = pipe.journal.list_reports(message_id="at1")
    assert (report.status, report.channel, report.fallback) == ("delivered", "alimtalk", {})


@pytest.mark.parametrize(("change", "code"), [
    ({"body": "안녕하세요 홍길동님, 주문이 취소되었습니다."}, 30),
    ({"template": "NOPE"}, 36),
    ({"sender_key": "wrong-key"}, 22),
    ({"buttons": (Button(name="다른 버튼", type="WL", url_mobile="https://x.example"),)}, 38),
])
def test_a_refused_alimtalk_is_answered_with_oneshots_code(pipe: Pipeline, change: dict[str, Any],
                                                           code: int) -> None:
    [result] = pipe.send([alimtalk("bad", **change)], wait=0)
    assert (result.status, result.code) == ("rejected", str(code))
    assert result.detail == describe("oneshot", str(code)).meaning


def test_a_miss_falls_back_to_sms_exactly_once(sim: OneShotSimulator, pipe: Pipeline) -> None:
    fb = Text("[주문] A-17 발송되었습니다", type="sms")
    [result] = pipe.send([alimtalk("miss1", MISS, fallback=fb)])
    child = ids.fallback_id("miss1")
    assert result.status == "delivered"  # by SMS, in the end
    [parent_body] = bodies(sim, "miss1")
    [child_body] = bodies(sim, child)
    assert parent_body["MsgType"] == 7 and child_body["MsgType"] == 4
    assert (child_body["Message"], child_body["PhoneNo"], child_body["CallbackNo"]) == (fb.body, MISS, "15666639")
    row = pipe.journal.get(child)
    assert row is not None and row["status"] == "delivered" and row["type"] == "sms"
    assert pipe.journal.parents_of([child]) == {child: ("miss1", "sms")}
    reports = pipe.journal.list_reports(message_id="miss1")
    assert [(r.status, r.code, r.channel, r.fallback) for r in reports] == [
        ("failed", "29", "alimtalk", {}),
        ("delivered", "0", "sms", {"type": "sms", "status": "delivered"})]
    assert pipe.journal.get("miss1")["status"] == "delivered"

    # The same report again (a re-push), and a re-run of the same send: nothing more.
    failed = reports[0]
    sink = ResultSink(pipe.journal, Summary(), lambda r: None)
    sink.fallback = Fallback.for_vendor(pipe.journal, pipe.vendor, "t")
    sink.reports([replace(failed, extra={"server_id": failed.extra["server_id"]})])
    assert sink.fallback.send() == 0
    assert pipe.send([alimtalk("miss1", MISS, fallback=fb)]) == []
    assert len(bodies(sim, child)) == 1 and len(bodies(sim, "miss1")) == 1


def test_the_reports_of_the_fallbacks_being_sent_find_their_parents_without_a_query(
        sim: OneShotSimulator, pipe: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    lookup = pipe.journal.parents_of
    monkeypatch.setattr(pipe.journal, "parents_of", lambda ids: asked.extend(ids) or lookup(ids))
    [result] = pipe.send([alimtalk("miss2", MISS, fallback=Text("[주문] 발송", type="sms"))])
    child = ids.fallback_id("miss2")
    assert result.status == "delivered"
    assert [(r.status, r.channel, r.fallback) for r in pipe.journal.list_reports(message_id="miss2")] == [
        ("failed", "alimtalk", {}), ("delivered", "sms", {"type": "sms", "status": "delivered"})]
    assert "miss2" in asked and child not in asked  # the page knew the child's parent


def test_long_fallback_text_goes_as_lms(sim: OneShotSimulator, pipe: Pipeline) -> None:
    fb = Text("주문하신 상품이 발송되었습니다. " * 8, subject="발송 안내", type="lms")
    pipe.send([alimtalk("miss2", MISS, fallback=fb)])
    [child_body] = bodies(sim, ids.fallback_id("miss2"))
    assert (child_body["MsgType"], child_body["Subject"]) == (6, "발송 안내")
    last = pipe.journal.list_reports(message_id="miss2")[-1]
    assert (last.channel, last.fallback) == ("lms", {"type": "lms", "status": "delivered"})


def test_a_miss_without_fallback_stays_failed(sim: OneShotSimulator, pipe: Pipeline) -> None:
    [result] = pipe.send([alimtalk("miss3", MISS)])
    assert (result.status, result.code) == ("failed", "29")
    assert len(sim.accepted) == 1


def test_a_fallback_owed_when_the_process_ended_is_sent_by_result_poll_once(
        sim: OneShotSimulator, pipe: Pipeline) -> None:
    fb = Text("대체 문자", type="sms")
    pipe.send([alimtalk("miss4", MISS, fallback=fb)], fallback=False)  # as if killed before it
    assert pipe.journal.get("miss4")["status"] == "failed"
    assert bodies(sim, ids.fallback_id("miss4")) == []
    pipe.close()
    with Client("t") as client:
        client.poll(timeout=1)  # sends the fallback; its report comes with the next poll
        got = client.poll(timeout=2)
        assert [(r.message_id, r.channel, r.fallback) for r in got if r.message_id == "miss4"] == [
            ("miss4", "sms", {"type": "sms", "status": "delivered"})]
        client.poll(timeout=1)
    assert len(bodies(sim, ids.fallback_id("miss4"))) == 1


def test_friendtalk_with_image_and_ad(sim: OneShotSimulator, pipe: Pipeline) -> None:
    channel = Kakao(body="(광고) 이번 주 특가", type="friendtalk", image_url="https://img.example/a.jpg",
                    image_link="https://shop.example/sale", wide=True, ad=True, sender_key=SENDER_KEY)
    msg = Message(id="ft1", to="01012345678", text=channel.body, sender="15666639", type="friendtalk",
                  channel=channel)
    [result] = pipe.send([msg])
    assert result.status == "delivered"
    [body] = bodies(sim, "ft1")
    assert (body["MsgType"], body["KakaoAdFlag"], body["kakaoWide"]) == (8, "Y", "Y")
    assert (body["kakaoImageLink"], body["FileName1"], body["FileCount"]) == (
        "https://shop.example/sale", "https://img.example/a.jpg", 1)
    assert body["KakaoTemplateCode"] == ""


def test_rcs_send_with_the_profiles_rcs_keys(sim: OneShotSimulator, isolated_env: Path) -> None:
    configure(isolated_env, sim, 'rcs_agency_id = "agency7"\nrcs_brand_key = "BR-1"\n'
                                 'rcs_agency_key = "AK-1"\nreseller_code = "123456789"')
    pipe = Pipeline()
    channel = Rcs(body="RCS 안내", type="rcs-lms", base_id="SL000000", title="안내", ad=True,
                  footer="080-000-0000", buttons=(Button(name="열기", type="WL", url_mobile="https://x.example"),))
    msg = Message(id="rcs1", to="01012345678", text=channel.body, sender="15666639", type="rcs-lms",
                  channel=channel)
    [result] = pipe.send([msg])
    pipe.close()
    assert result.status == "delivered"
    [body] = bodies(sim, "rcs1")
    assert body["MsgType"] == 10
    assert {k: body[k] for k in body if k.startswith("rcs")} == {
        "rcsMessageBaselId": "SL000000", "rcsButton": json.dumps(  # one card of RCS suggestions
            [{"suggestions": [{"action": {"urlAction": {"openUrl": {"url": "https://x.example"}},
                                          "displayText": "열기"}}]}],
            ensure_ascii=False, separators=(",", ":")),
        "rcsHeader": 1, "rcsFooter": "080-000-0000", "rcsCopyAllowed": "Y",
        "rcsAgencyId": "agency7", "rcsBrandKey": "BR-1", "rcsAgencyKey": "AK-1"}
    assert (body["Subject"], body["ResellerCode"]) == ("안내", "123456789")
    [report] = Journal.open(load_profile("t").data_dir).list_reports(message_id="rcs1")
    assert report.channel == "rcs-lms"


def test_an_rcs_template_without_its_base_id_is_refused(pipe: Pipeline) -> None:
    msg = Message(id="rcs2", to="01012345678", text="x", sender="15666639", type="rcs-template",
                  channel=Rcs(body="x", type="rcs-template"))
    [result] = pipe.send([msg], wait=0)
    assert (result.status, result.code) == ("rejected", "21")


def test_rcs_sms_lms_mms_go_out_on_the_common_formats(pipe: Pipeline, sim: OneShotSimulator) -> None:
    msgs = [Message(id=f"rcs-{t}", to="01012345678", text="x", sender="15666639", type=t,
                    channel=Rcs(body="x", type=t)) for t in ("rcs-sms", "rcs-lms", "rcs-mms")]
    assert {r.status for r in pipe.send(msgs, wait=0)} == {"accepted"}
    assert [m.body["rcsMessageBaselId"] for m in sim.accepted[-3:]] == ["SS000000", "SL000000", "SMwThT00"]


def test_a_reseller_code_that_is_not_nine_digits_is_a_config_error(sim: OneShotSimulator,
                                                                   isolated_env: Path) -> None:
    configure(isolated_env, sim, 'reseller_code = "12345"')
    pipe = Pipeline()
    with pytest.raises(ConfigError, match="reseller_code must be 9 digits"):
        pipe.send([alimtalk("x1")])
    assert sim.accepted == []
    pipe.close()


def test_the_sandbox_carries_every_type(isolated_env: Path) -> None:
    profile = load_profile("sandbox")
    journal = Journal.open(profile.data_dir)
    vendor = create_vendor(profile, journal)
    assert {"text", "kakao", "rcs"} <= vendor.carries and not vendor.falls_back
    results: list[SendResult] = []
    msgs = [alimtalk("sb1"), Message(id="sb2", to="01012345678", text="r", sender="15666639",
                                     type="rcs-template", channel=Rcs(body="r", type="rcs-template", base_id="T1"))]
    vendor.send(iter(msgs), results.append)
    assert [(r.message_id, r.status, r.vendor) for r in results] == [
        ("sb1", "accepted", "sandbox"), ("sb2", "accepted", "sandbox")]
    vendor.close()
    journal.close()


def test_type7_msgsendreq_decodes_with_every_field(tmp_path: Path) -> None:
    req = MsgSendReq(user_msg_id="at1", msg_type=7, phone_no="01012345678", callback_no="15666639",
                     message="안녕하세요", kakao_ad_flag="N", kakao_nation_code="82",
                     kakao_sender_key=SENDER_KEY, kakao_template_code="ORDER1", kakao_timeout=30,
                     kakao_button='{"button":[]}', kakao_image_link="https://l.example",
                     kakao_user_key="uk1", kakao_title="제목", kakao_quick="[]", kakao_wide="N",
                     rcs_message_base_id="SS000000", rcs_button="[]", rcs_header=0, rcs_footer="080",
                     rcs_copy_allowed="Y", rcs_agency_id="ag", rcs_brand_key="bk", rcs_agency_key="ak",
                     reseller_code="123456789")
    body = req.to_body()
    assert list(body) == [
        "UserMsgId", "UserMsgSubId", "MsgType", "PhoneNo", "CallbackNo", "TranId", "Subject", "Message",
        "KakaoAdFlag", "KakaoNationCode", "KakaoSenderKey", "KakaoTemplateCode", "KakaoTimeout",
        "KakaoButton", "FileCount", "FileType1", "FileName1", "FileType2", "FileName2", "FileType3",
        "FileName3", "UserData", "kakaoImageLink", "kakaoUserKey", "kakaoTitle", "kakaoQuick", "kakaoWide",
        "rcsMessageBaselId", "rcsButton", "rcsHeader", "rcsFooter", "rcsCopyAllowed", "rcsAgencyId",
        "rcsBrandKey", "rcsAgencyKey", "ResellerCode"]
    assert parse_message("MsgSendReq", json.loads(json.dumps(body))) == req
    frame = tmp_path / "at.bin"
    frame.write_bytes(encode_frame("MsgSendReq", body))
    proc = run_cli("packet", "decode", str(frame), "--json", "--show-secrets")
    assert proc.returncode == 0, proc.stderr
    [record] = [json.loads(line) for line in proc.stdout.decode().splitlines() if line.strip()]
    assert record["body"] == body
    masked = run_cli("packet", "decode", str(frame), "--json")
    shown = json.loads(masked.stdout.decode().splitlines()[0])["body"]
    assert list(shown) == list(body) and SENDER_KEY not in masked.stdout.decode()


def test_an_sms_request_writes_none_of_the_optional_fields() -> None:
    body = MsgSendReq(user_msg_id="1", phone_no="01012345678", callback_no="15666639", message="hi").to_body()
    assert list(body)[-1] == "UserData" and len(body) == 22
    assert parse_message("MsgSendReq", {**body, "rcsHeader": ""}).rcs_header is None


def test_every_code_the_simulator_uses_is_in_the_oneshot_table() -> None:
    for code in oneshot_kakao.CODES:
        assert describe("oneshot", str(code)) is not None, code


def test_fallback_ids_are_deterministic_and_fit() -> None:
    assert ids.fallback_id("01JABCDEF") == "01JABCDEF~F"
    long = "K" * 31
    assert ids.fallback_id(long) == ids.fallback_id(long) != ids.fallback_id("K" * 30 + "L")
    assert len(ids.fallback_id(long)) == 32 and ids.id_problem(ids.fallback_id(long)) is None


def test_a_fallback_is_made_from_its_parents_row_only_when_it_is_a_text_of_a_known_type() -> None:
    from smscli.content import Text, to_json
    from smscli.fallback import fallback_message

    row = ("k1", "01012345678", "0212345678", "{}", "order", "홍길동", "oneshot", 7)
    lms = to_json(Text("긴 안내", subject="안내", type="lms"))
    message = fallback_message(row, lms)
    assert message is not None and (message.id, message.parent, message.type, message.text) == (
        ids.fallback_id("k1"), "k1", "lms", "긴 안내")
    assert (message.to, message.sender, message.subject, message.tag, message.name) == (
        "01012345678", "0212345678", "안내", "order", "홍길동")
    for broken in (to_json(Text("auto picks nothing")), {"kind": "kakao", "body": "x", "type": "sms"},
                   {"type": "sms", "body": 5}, {"type": 3, "body": "x"}):
        assert fallback_message(row, broken) is None


def test_a_report_that_arrives_twice_over_the_wire_falls_back_once(isolated_env: Path) -> None:
    rules = KakaoRules(sender_key=SENDER_KEY, misses=[MISS])
    with OneShotSimulator(speed=0, report_delay=0.3, kakao=rules) as server:
        configure(isolated_env, server)
        pipe = Pipeline()
        [result] = pipe.send([alimtalk("twice", MISS, fallback=Text("대체", type="sms"))], wait=0)
        assert result.status == "accepted"
        pipe.close()
        with Client("t") as client:
            first = client.poll(timeout=2, confirm=False)  # stored, never acknowledged
            assert [(r.message_id, r.status, r.code) for r in first] == [("twice", "failed", "29")]
            client.poll(timeout=2, confirm=False)  # the same report, pushed again after the bind
            client.poll(timeout=2)
        assert server.stats.get("reports_pushed", 0) >= 3  # the parent's at least twice
        assert len(bodies(server, ids.fallback_id("twice"))) == 1
        reports = Journal.open(load_profile("t").data_dir).list_reports(message_id="twice")
        assert [(r.status, r.channel) for r in reports] == [("failed", "alimtalk"), ("delivered", "sms")]


def test_a_fallback_the_vendor_refuses_ends_the_parents_story(sim: OneShotSimulator, pipe: Pipeline) -> None:
    too_long = Text("가" * 60, type="sms")  # 120 CP949 bytes as SMS: OneShot answers 908
    [result] = pipe.send([alimtalk("refused", MISS, fallback=too_long)])
    assert (result.status, result.code) == ("failed", "908")
    assert pipe.journal.get(ids.fallback_id("refused"))["status"] == "rejected"
    last = pipe.journal.list_reports(message_id="refused")[-1]
    assert (last.status, last.code, last.fallback) == ("failed", "908", {"type": "sms", "status": "rejected"})
    assert Fallback(pipe.journal, pipe.vendor, "t").send() == 0  # settled: not tried again


def test_sim_oneshot_cli_takes_the_kakao_options(isolated_env: Path, tmp_path: Path) -> None:
    from tests.test_sim_oneshot_cli import sim_process

    template = tmp_path / "order.json"
    template.write_text(json.dumps({"text": TEMPLATE, "buttons": {"button": [b.to_json() for b in BUTTONS]}},
                                   ensure_ascii=False), encoding="utf-8")
    with sim_process("--port", "0", "--report-delay", "0.05", "--kakao-template", f"ORDER1={template}",
                     "--kakao-sender-key", SENDER_KEY, "--kakao-miss", MISS) as sp:
        _, port = sp.address()
        path = isolated_env / "config.toml"
        path.write_text(PROFILE.format(port=port, key=SENDER_KEY, more=""))
        path.chmod(0o600)
        pipe = Pipeline()
        fb = Text("대체 문자", type="sms")
        results = pipe.send([alimtalk("c1", fallback=fb), alimtalk("c2", MISS, fallback=fb),
                             alimtalk("c3", order="B-1", buttons=())], wait=3)
        assert [(r.message_id, r.status, r.code) for r in results] == [
            ("c1", "delivered", "0"), ("c2", "delivered", "0"), ("c3", "rejected", "38")]
        assert pipe.journal.get(ids.fallback_id("c2"))["status"] == "delivered"
        assert pipe.journal.get(ids.fallback_id("c1")) is None
        pipe.close()
        assert sp.stop() == 0


def test_sim_record_lines_carry_the_kakao_fields_and_the_miss(isolated_env: Path, tmp_path: Path) -> None:
    rules = KakaoRules([Template("ORDER1", TEMPLATE, buttons=BUTTONS)], sender_key=SENDER_KEY, misses=[MISS])
    record = tmp_path / "accepted.jsonl"
    with OneShotSimulator(speed=0, report_delay=0.05, kakao=rules, record=record) as server:
        configure(isolated_env, server)
        pipe = Pipeline()
        try:
            pipe.send([alimtalk("rec1"), alimtalk("rec2", MISS)], wait=0, fallback=False)
            pipe.send([Message(id="rec3", to="01012345678", text="안녕", sender="15666639")], wait=0)
        finally:
            pipe.close()
    lines = {line["user_msg_id"]: line for line in map(json.loads, record.read_text().splitlines())}
    assert lines["rec1"]["missed"] is False and lines["rec2"]["missed"] is True
    assert lines["rec1"]["channel"] == {
        "KakaoAdFlag": "N", "KakaoNationCode": "82", "KakaoTemplateCode": "ORDER1", "KakaoTimeout": 0,
        "KakaoButton": lines["rec1"]["channel"]["KakaoButton"], "kakaoTitle": "주문 발송"}
    assert json.loads(lines["rec1"]["channel"]["KakaoButton"]) == {"button": [
        {"name": "배송 조회", "type": "WL", "url_mobile": "https://shop.example/o/A-17"}]}
    assert SENDER_KEY not in record.read_text()  # the sender key is left out, as sim bizppurio does
    assert "channel" not in lines["rec3"] and "missed" not in lines["rec3"]  # an SMS line is as before


def test_sim_oneshot_cli_refuses_an_unreadable_template_file(tmp_path: Path) -> None:
    proc = run_cli("sim", "oneshot", "--port", "0", "--kakao-template", f"T1={tmp_path / 'nope.txt'}",
                   timeout=30)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.count("\n") == 1, err
    assert "cannot read template file" in err


def test_alimtalk_image_needs_its_image(sim: OneShotSimulator, pipe: Pipeline) -> None:
    def image_msg(mid: str, url: str) -> Message:
        ch = Kakao(body=TEMPLATE.replace("#{name}", "김").replace("#{order}", "C-3"), type="alimtalk-image",
                   template="ORDER1", buttons=tuple(replace(b, url_mobile="https://shop.example/o/C-3")
                                                    for b in BUTTONS),
                   image_url=url, sender_key=SENDER_KEY)
        return Message(id=mid, to="01012345678", text=ch.body, sender="15666639", type="alimtalk-image",
                       channel=ch)

    with_image, without = pipe.send([image_msg("ai1", "https://img.example/t.jpg"), image_msg("ai2", "")], wait=0)
    assert (with_image.status, without.status, without.code) == ("accepted", "rejected", "37")
    [body] = bodies(sim, "ai1")
    assert (body["MsgType"], body["FileName1"], body["FileType1"]) == (71, "https://img.example/t.jpg", "IMG")
    assert "kakaoWide" not in body


def test_an_rcs_miss_falls_back_too(sim: OneShotSimulator, pipe: Pipeline) -> None:
    fb = Text("RCS를 받을 수 없어 문자로 보냅니다. " * 4, subject="안내", type="lms")
    msg = Message(id="rmiss", to=MISS, text="RCS 안내", sender="15666639", type="rcs-sms",
                  channel=Rcs(body="RCS 안내", base_id="SS000000", fallback=fb))
    [result] = pipe.send([msg])
    assert result.status == "delivered"
    assert [(r.status, r.channel) for r in pipe.journal.list_reports(message_id="rmiss")] == [
        ("failed", "rcs-sms"), ("delivered", "lms")]
    [child] = bodies(sim, ids.fallback_id("rmiss"))
    assert (child["MsgType"], child["Subject"]) == (6, "안내")


def test_the_next_smscli_send_sends_an_owed_fallback_once(sim: OneShotSimulator, pipe: Pipeline) -> None:
    pipe.send([alimtalk("owed", MISS, fallback=Text("대체 문자", type="sms"))], fallback=False)
    pipe.close()  # as if the process had ended before the fallback went out
    child = ids.fallback_id("owed")
    proc = run_cli("send", "--to", "01055556666", "-m", "다른 문자", "--wait", "3", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "sent 1 fallback message(s) for Kakao/RCS messages that were not delivered" in proc.stderr.decode()
    assert [json.loads(line)["status"] for line in proc.stdout.decode().splitlines()] == ["delivered"]
    again = run_cli("send", "--to", "01055557777", "-m", "또 다른 문자")
    assert again.returncode == 0 and "fallback" not in again.stderr.decode()
    assert len(bodies(sim, child)) == 1
    journal = Journal.open(load_profile("t").data_dir)
    assert journal.get("owed")["status"] == "delivered"
    assert journal.list_reports(message_id="owed")[-1].fallback == {"type": "sms", "status": "delivered"}


def test_owed_fallbacks_go_a_page_at_a_time_each_once(sim: OneShotSimulator, pipe: Pipeline,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import smscli.fallback

    numbers = [f"0109999{i:04d}" for i in range(5)]
    monkeypatch.setattr(sim, "_kakao", KakaoRules(sender_key=SENDER_KEY, misses=numbers))
    monkeypatch.setattr(smscli.fallback, "PAGE", 2)
    fb = Text("대체", type="sms")
    pipe.send([alimtalk(f"pg{i}", n, fallback=fb) for i, n in enumerate(numbers)], fallback=False)
    fallback = Fallback(pipe.journal, pipe.vendor, "t")
    assert fallback.send() == 5 and fallback.send() == 0 and fallback.sent == 5
    assert [len(bodies(sim, ids.fallback_id(f"pg{i}"))) for i in range(5)] == [1] * 5


def test_alimtalk_quick_replies_go_as_kakao_quick(sim: OneShotSimulator, pipe: Pipeline) -> None:
    msg = alimtalk("qr1")
    quick = (Button("문의하기", "BK"), Button("주문 보기", "WL", url_mobile="https://shop.example/o/A-17"))
    msg = replace(msg, channel=replace(msg.channel, quick_replies=quick))
    [result] = pipe.send([msg])
    assert result.status == "delivered"
    [body] = bodies(sim, "qr1")
    assert json.loads(body["kakaoQuick"]) == {"quickReply": [
        {"name": "문의하기", "type": "BK"},
        {"name": "주문 보기", "type": "WL", "url_mobile": "https://shop.example/o/A-17"}]}
    [plain] = bodies(sim, "at1") or [None]
    assert plain is None or "kakaoQuick" not in plain


@pytest.mark.smscli_sim(kakao=KakaoRules([Template("ORDER1", "주문 #{name}")]))
def test_a_refused_alimtalk_does_not_promise_a_fallback(smscli_oneshot_sim, monkeypatch, capsys) -> None:
    """Refused at the door (an unknown template: 36): no report will come, so the note that
    result poll sends the fallback is not printed; an accepted one still gets it."""
    from smscli.cli.app import program

    monkeypatch.setenv("SMSCLI_KAKAO_SENDER_KEY", "K" * 40)

    base = ["send", "--to", "01012345678", "--type", "alimtalk", "-m", "주문 홍길동", "--json"]
    assert program([*base, "--template", "NOPE"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["status"] == "rejected"
    assert "no fallback of its own" not in captured.err
    assert program([*base, "--template", "ORDER1"]) == 0
    assert "no fallback of its own" in capsys.readouterr().err


@pytest.mark.smscli_sim(kakao=KakaoRules(sender_key="resv-key"))
def test_a_reserved_alimtalk_goes_out_at_flush_with_the_profiles_sender_key(smscli_oneshot_sim, clock_at,
                                                                             capsys) -> None:
    """The journal keeps no sender key: `reserve flush` takes the profile's again (the
    simulator answers 22 to a missing or other key)."""
    from datetime import datetime, timedelta

    from smscli.cli.app import program

    now = datetime(2026, 11, 23, 10, 0)
    clock_at(now)
    at = now + timedelta(hours=1)
    assert program(["reserve", "--at", f"{at:%Y-%m-%d %H:%M}", "--to", "01012345678", "--type", "alimtalk",
                    "--template", "T1", "-m", "예약 알림톡", "--id", "resv-1", "--json"]) == 0
    capsys.readouterr()
    clock_at(at + timedelta(minutes=1))
    assert program(["reserve", "flush", "--json"]) == 0
    [flushed] = map(json.loads, capsys.readouterr().out.splitlines())
    assert (flushed["message_id"], flushed["status"], flushed["type"]) == ("resv-1", "accepted", "alimtalk")
    [got] = smscli_oneshot_sim.wait_accepted(1)
    assert (got.id, got.raw["channel"]["KakaoTemplateCode"]) == ("resv-1", "T1")
