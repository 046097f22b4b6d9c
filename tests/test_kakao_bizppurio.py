"""Issue 10 on Bizppurio, end to end over real sockets: `smscli send` (subprocess) and the
Client against `sim bizppurio` with Kakao's rules (approved templates, a sender key,
recipients not on Kakao), the fallback the vendor sends itself, and the journal."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from smscli.content import Button, Kakao, Rcs, Text
from smscli.sim.bizppurio import BizppurioSim, SimConfig
from smscli.sim.kakao import KakaoRules, Template
from tests.conftest import run_cli

pytestmark = pytest.mark.timeout(120)

ENV = {"BIZ_PASSWORD": "test"}
ORDER_TEXT = "#{name}님, 주문 #{order}이 접수되었습니다."
ORDER_BUTTONS = [{"name": "주문 확인", "type": "WL", "url_mobile": "https://shop.example/o/#{order}"}]
MISS = "01099998888"
LONG = "배송 안내: " + "고객님의 주문 상품이 오늘 출고되었습니다. " * 4  # over 90 CP949 bytes


def rules(**extra) -> KakaoRules:
    return KakaoRules([Template("ORDER01", ORDER_TEXT, tuple(Button.from_json(b) for b in ORDER_BUTTONS)),
                       Template("LONG01", "#{text}")],
                      sender_key="KEY1", misses=[MISS], **extra)


def sim(**options) -> BizppurioSim:
    return BizppurioSim(SimConfig(**{"report_delay": 0.1, "kakao": rules(), **options}))


def write_profile(home: Path, base_url: str, *, sender_key: str = "KEY1", **extra: str) -> None:
    lines = ['default_profile = "biz"', "[profiles.biz]", 'vendor = "bizppurio"', f'base_url = "{base_url}"',
             'account = "test"', 'sender = "0212341234"', 'password_env = "BIZ_PASSWORD"',
             f'kakao_sender_key = "{sender_key}"', 'rcs_chatbot_id = "15880000"', 'optout_number = "0801234567"', 'ad_name = "스마트몰"',
             "backoff = 0.01", "poll_interval = 0.1", *(f"{k} = {json.dumps(v)}" for k, v in extra.items())]
    (home / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(home / "config.toml", 0o600)


def lines(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines()]


def buttons_file(home: Path) -> str:
    path = home / "buttons.json"
    path.write_text(json.dumps({"button": ORDER_BUTTONS}, ensure_ascii=False), encoding="utf-8")
    return str(path)


def journal_reports(home: Path) -> list[tuple]:
    with sqlite3.connect(home / "data" / "journal.db") as db:
        return db.execute("SELECT message_id, status, code, channel, fallback, raw FROM reports "
                          "ORDER BY rowid").fetchall()


def test_alimtalk_csv_with_buttons_delivered_and_a_miss_falls_back_to_sms_once(isolated_env):
    csv = isolated_env / "list.csv"
    csv.write_text(f"phone,name,order\n01011112222,김철수,A-1\n{MISS},이영희,B-2\n", encoding="utf-8")
    with sim() as s:
        write_profile(isolated_env, s.base_url)
        args = ("send", "--csv", str(csv), "--type", "alimtalk", "--template", "ORDER01", "-m", ORDER_TEXT,
                "--buttons", buttons_file(isolated_env), "--id", "orders-1", "--wait", "10", "--json")
        sent = run_cli(*args, env=ENV)
        assert sent.returncode == 0, sent.stderr
        out = lines(sent.stdout)
        assert [(r["to"], r["type"], r["status"], r["code"]) for r in out] == [
            ("01011112222", "alimtalk", "delivered", "7000"), (MISS, "alimtalk", "delivered", "4100")]
        assert "fallback after alimtalk 7318" in out[1]["detail"]
        again = run_cli(*args, env=ENV)  # the same command again (same --id): nothing is sent twice
        assert [r["status"] for r in lines(again.stdout)] == ["duplicate", "duplicate"]
        assert sorted(s.accepted().values()) == [1, 1]
        assert s.stats()["accepted"] == 2
        polled = run_cli("result", "poll", "--json", env=ENV)  # nothing new: each report was stored once
        assert polled.returncode == 0 and polled.stdout == b"", polled.stderr
    stored = journal_reports(isolated_env)
    assert [(r[1], r[2], r[3]) for r in stored] == [("delivered", "7000", "alimtalk"),
                                                    ("delivered", "4100", "sms")]
    fallback = json.loads(stored[1][4])
    assert fallback["type"] == "sms" and fallback["status"] == "delivered" and fallback["code"] == "4100"
    raw = json.loads(stored[1][5])
    assert raw["resend_flag"] == "SMS" and raw["telres"] == "4100" and raw["result"] == "7318"
    listed = run_cli("result", "list", "--json", env=ENV)
    assert listed.returncode == 0, listed.stderr
    shown = lines(listed.stdout)
    assert [(r["to"], r["channel"], r.get("fallback", {}).get("type")) for r in shown] == [
        ("01011112222", "alimtalk", None), (MISS, "sms", "sms")]
    assert shown[1]["fallback"]["status"] == "delivered"


def test_the_request_carries_buttons_title_and_the_fallback(isolated_env):
    record = isolated_env / "accepted.jsonl"
    with sim(record=record) as s:
        write_profile(isolated_env, s.base_url)
        sent = run_cli("send", "--to", MISS, "--type", "alimtalk", "--template", "LONG01", "-m", LONG,
                       "--title", "배송", "--wait", "10", "--json", env=ENV)
        assert sent.returncode == 0, sent.stderr
        (result,) = lines(sent.stdout)
        assert (result["status"], result["code"]) == ("delivered", "6600")  # LMS: over 90 bytes
        assert s.stats()["accepted"] == 1
    (line,) = [json.loads(x) for x in record.read_text(encoding="utf-8").splitlines()]
    assert (line["type"], line["result"], line["fallback"]) == ("at", "7318", "lms")


def test_template_mismatch_is_answered_with_7204_and_no_fallback_with_none(isolated_env):
    with sim() as s:
        write_profile(isolated_env, s.base_url)
        sent = run_cli("send", "--to", "01011112222", "--type", "alimtalk", "--template", "ORDER01",
                       "-m", "승인되지 않은 내용", "--fallback", "none", "--wait", "10", "--json", env=ENV)
        (result,) = lines(sent.stdout)
        assert (result["status"], result["code"], result["detail"]) == ("failed", "7204", "템플릿 불일치")
        assert sent.returncode == 1, sent.stderr
        unknown = run_cli("send", "--to", "01011112222", "--type", "alimtalk", "--template", "NOPE",
                          "-m", "x", "--fallback", "none", "--wait", "10", "--json", env=ENV)
        assert lines(unknown.stdout)[0]["code"] == "7315"
    with sim() as s:  # another sender key than the simulator's
        write_profile(isolated_env, s.base_url, sender_key="OTHER")
        wrong = run_cli("send", "--to", "01011112222", "--type", "friendtalk", "-m", "친구톡",
                        "--fallback", "none", "--wait", "10", "--json", env=ENV)
        assert lines(wrong.stdout)[0]["code"] == "7105"


def test_friendtalk_with_image_and_ad_and_an_rcs_send(isolated_env):
    record = isolated_env / "accepted.jsonl"
    with BizppurioSim(SimConfig(report_delay=0.1, kakao=rules(), record=record)) as s:
        write_profile(isolated_env, s.base_url)
        ft = run_cli("send", "--to", "01011112222", "--type", "friendtalk", "--ad", "--night-consent", "-m", "신상품 안내",
                     "--image-url", "https://img.example/a.jpg", "--image-link", "https://shop.example",
                     "--wide", "--wait", "10", "--json", env=ENV)
        assert ft.returncode == 0, ft.stderr
        assert [(r["type"], r["status"], r["code"]) for r in lines(ft.stdout)] == [("friendtalk", "delivered", "7000")]
        rcs = run_cli("send", "--to", "01011112222", "--type", "rcs-lms", "--ad", "--night-consent", "--title", "안내",
                      "-m", "RCS 안내입니다", "--wait", "10", "--json", env=ENV)
        assert rcs.returncode == 0, rcs.stderr
        assert [(r["type"], r["status"], r["code"]) for r in lines(rcs.stdout)] == [("rcs-lms", "delivered", "8000")]
        miss = run_cli("send", "--to", MISS, "--type", "friendtalk", "-m", "친구 아님", "--wait", "10",
                       "--json", env=ENV)
        assert (lines(miss.stdout)[0]["code"], lines(miss.stdout)[0]["status"]) == ("4100", "delivered")
    accepted = [json.loads(x) for x in record.read_text(encoding="utf-8").splitlines()]
    assert [a["type"] for a in accepted] == ["ft", "rcs", "ft"]
    assert accepted[2]["result"] == "7203"  # FriendTalk: not a friend of the channel
    stored = journal_reports(isolated_env)
    assert [r[3] for r in stored] == ["friendtalk", "rcs-lms", "sms"]


def test_the_journal_never_holds_the_sender_key(isolated_env):
    with sim() as s:
        write_profile(isolated_env, s.base_url)
        sent = run_cli("send", "--to", "01011112222", "--type", "friendtalk", "-m", "안녕", env=ENV)
        assert sent.returncode == 0, sent.stderr
    with sqlite3.connect(isolated_env / "data" / "journal.db") as db:
        kind, content = db.execute("SELECT kind, content FROM messages").fetchone()
    assert kind == "kakao" and "KEY1" not in content and json.loads(content)["type"] == "friendtalk"
    assert b"KEY1" not in (isolated_env / "data" / "journal.db").read_bytes()


def test_the_client_sends_kakao_and_rcs(isolated_env, monkeypatch):
    monkeypatch.setenv("BIZ_PASSWORD", "test")
    with sim() as s:
        write_profile(isolated_env, s.base_url)
        from smscli import Client

        with Client("biz") as client:
            body = "이영희님, 주문 B-2이 접수되었습니다."
            content = Kakao(body=body, template="ORDER01",
                            buttons=(Button("주문 확인", "WL", url_mobile="https://shop.example/o/B-2"),),
                            fallback=Text(body="[주문] B-2 접수"))
            result = client.send(MISS, content, wait=10)
            assert (result.type, result.status, result.code) == ("alimtalk", "delivered", "4100")
            batch = client.send_many([{"phone": "01011112222", "name": "김철수", "order": "A-1"}],
                                     template=Kakao(body=ORDER_TEXT, template="ORDER01",
                                                    buttons=tuple(Button.from_json(b) for b in ORDER_BUTTONS)),
                                     wait=10)
            assert [(r.status, r.code) for r in batch.results] == [("delivered", "7000")]
            rcs = client.send("01011112222", Rcs(body="RCS 안녕", type="rcs-sms"), wait=10)
            assert (rcs.type, rcs.status, rcs.code) == ("rcs-sms", "delivered", "8000")


def test_a_fallback_report_that_comes_twice_is_stored_once_and_shows_its_channels(isolated_env):
    with sim(report_delay=0.0) as s:
        write_profile(isolated_env, s.base_url)
        sent = run_cli("send", "--to", MISS, "--type", "alimtalk", "--template", "LONG01", "-m", "짧은 안내",
                       "--json", env=ENV)
        assert sent.returncode == 0, sent.stderr
        first = run_cli("result", "poll", "--no-confirm", "--json", env=ENV)
        assert first.returncode == 0, first.stderr
        (report,) = lines(first.stdout)
        assert {k: report[k] for k in ("status", "code", "channel", "resend_flag", "telres", "wapinfo")} == {
            "status": "delivered", "code": "4100", "channel": "sms", "resend_flag": "SMS", "telres": "4100",
            "wapinfo": "KAO"}
        assert {k: report["fallback"][k] for k in ("type", "status", "code")} == {
            "type": "sms", "status": "delivered", "code": "4100"}
        again = run_cli("result", "poll", "--json", env=ENV)  # the vendor sends it again; now confirmed
        assert again.returncode == 0 and again.stdout == b"", again.stderr
        assert "1 received again were in the journal already" in again.stderr.decode()
        assert s.api.pending_reports() == 0 and s.stats()["accepted"] == 1
    assert len(journal_reports(isolated_env)) == 1


def test_pushed_reports_keep_the_per_channel_fields():
    from smscli.vendors.bizppurio import parse_report

    push = {"DEVICE": "AT", "CMSGID": "c1", "MSGID": "m1", "PHONE": "01099998888", "MEDIA": "KAT",
            "UNIXTIME": "1764640000", "RESULT": "7318", "WAPINFO": "KAO", "RESEND_FLAG": "LMS",
            "TELRES": "6604", "TELTIME": "1764640005", "REFKEY": "r1"}
    report = parse_report(push)
    assert (report.message_id, report.status, report.code, report.channel) == ("r1", "failed", "6604", "lms")
    assert report.fallback == {"type": "lms", "status": "failed", "code": "6604", "detail": "전원이 꺼져 있음"}
    assert report.detail.startswith("전원이 꺼져 있음 (fallback after alimtalk 7318")
    shown = report.to_json()
    assert (shown["resend_flag"], shown["telres"], shown["teltime"]) == ("LMS", "6604", "1764640005")
    delivered = parse_report({**push, "RESULT": "7000", "RESEND_FLAG": "", "TELRES": "", "TELTIME": ""})
    assert (delivered.status, delivered.channel, delivered.fallback) == ("delivered", "alimtalk", {})
    plain = parse_report({**push, "MEDIA": "SMS", "RESULT": "4100", "RESEND_FLAG": ""})
    assert plain.channel == "" and "resend_flag" not in plain.to_json()  # SMS reports as before
    from smscli.listen import bizppurio_report  # what `result listen` makes of the same push

    heard = bizppurio_report(push)
    assert (heard.status, heard.code, heard.channel, heard.fallback) == (
        report.status, report.code, report.channel, report.fallback)
    assert heard.to_json()["resend_flag"] == "LMS" and heard.extra["result"] == "7318"


def test_every_code_the_simulator_reports_is_in_the_code_tables():
    from smscli import codes
    from smscli.codes._schema import split_codes
    from smscli.sim import bizppurio_channel as channel

    used = {*channel.DELIVERED.values(), *channel.REFUSAL_CODES.values(), *channel.MISS_CODES.values(),
            *channel.RCS_CODES}
    known = {code: row.category for table in codes.tables("bizppurio") for row in table.rows
             for code in split_codes(row.codes)}
    assert used - known.keys() == set()
    assert {c for c in used if known[c] == "delivered"} == {"4100", "6600", "7000", "8000"}


def test_an_alimtalk_reservation_is_kept_by_bizppurio_with_its_fallback(isolated_env):
    import time

    from smscli import clock

    record = isolated_env / "accepted.jsonl"
    at = time.strftime("%Y-%m-%d %H:%M", time.gmtime(clock.time() + 9 * 3600 + 2 * 86400))
    with sim(record=record) as s:
        write_profile(isolated_env, s.base_url)
        reserved = run_cli("reserve", "--at", at, "--to", MISS, "--type", "alimtalk", "--template", "LONG01",
                           "-m", "예약 안내", "--json", env=ENV)
        assert reserved.returncode == 0, reserved.stderr
        (result,) = lines(reserved.stdout)
        assert (result["status"], result["type"]) == ("scheduled", "alimtalk")
        assert s.api.pending_reports() == 1  # due after the sendtime, not now
    (line,) = [json.loads(x) for x in record.read_text(encoding="utf-8").splitlines()]
    assert line["type"] == "at" and line["sendtime"] > clock.time() + 86400 and line["fallback"] == "sms"


def test_quick_replies_from_the_buttons_file_are_filled_per_row_and_sent_as_quickreply(isolated_env):
    from smscli.vendors.bizppurio_channel import channel_part

    path = isolated_env / "quick.json"
    path.write_text(json.dumps({"button": ORDER_BUTTONS, "quickreply": [
        {"name": "주문 보기", "type": "WL", "url_mobile": "https://shop.example/q/#{order}"},
        {"name": "문의", "type": "BK"}]}, ensure_ascii=False), encoding="utf-8")
    csv = isolated_env / "list.csv"
    csv.write_text("phone,name,order\n01011112222,김철수,A-1\n", encoding="utf-8")
    with sim() as s:
        write_profile(isolated_env, s.base_url)
        dry = run_cli("send", "--csv", str(csv), "--type", "alimtalk", "--template", "ORDER01", "-m", ORDER_TEXT,
                      "--buttons", str(path), "--dry-run", "--json", env=ENV)
        assert dry.returncode == 0, dry.stderr
        sent = run_cli("send", "--csv", str(csv), "--type", "alimtalk", "--template", "ORDER01", "-m", ORDER_TEXT,
                       "--buttons", str(path), "--wait", "10", "--json", env=ENV)
        assert sent.returncode == 0, sent.stderr
        assert [r["status"] for r in lines(sent.stdout)] == ["delivered"]
    with sqlite3.connect(isolated_env / "data" / "journal.db") as db:
        (stored,) = db.execute("SELECT content FROM messages").fetchone()
    assert json.loads(stored)["quick_replies"][0]["url_mobile"] == "https://shop.example/q/A-1"  # filled per row
    from smscli import content
    from smscli.kakao_rules import load_buttons

    buttons, quick = load_buttons(path)
    assert [b.name for b in quick] == ["주문 보기", "문의"]
    channel = content.Kakao("x", template="ORDER01", buttons=buttons, quick_replies=quick, sender_key="KEY1")
    wire, part = channel_part(channel, {})
    assert wire == "at" and [q["name"] for q in part["quickreply"]] == ["주문 보기", "문의"]
