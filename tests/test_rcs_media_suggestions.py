"""Issue 10's last parts, over real sockets against the simulators: the RCS MMS image (a
JPEG OneShot uploads, a ``maapfile://`` id on Bizppurio), RCS suggestions that are not URL
buttons (dial, map, location, copy, compose, calendar) from ``--buttons FILE``, the
FriendTalk user key (Bizppurio ``userkey``, OneShot ``kakaoUserKey``), and ``channel`` in
the send result's own JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smscli import rcs_suggestions
from smscli.content import Button
from smscli.images import make_jpeg
from smscli.sim import oneshot_kakao
from smscli.sim.bizppurio import BizppurioSim, SimConfig
from smscli.sim.kakao import KakaoRules
from smscli.sim.oneshot import OneShotSimulator
from tests.conftest import run_cli
from tests.test_kakao_bizppurio import ENV, MISS, write_profile
from tests.test_kakao_oneshot import SENDER_KEY, configure

pytestmark = pytest.mark.timeout(120)

MEDIA = "maapfile://BR.05NGK0A6dA.20200326140000.001"
# The document's own objects (section 6.2, the carousel example's actions), one card.
DOCUMENT_CARD = {"button": [{"suggestions": [
    {"action": {"dialerAction": {"dialPhoneNumber": {"phoneNumber": "+8215880000"}}, "displayText": "전화 걸기"}},
    {"action": {"mapAction": {"showLocation": {"location": {"latitude": 37.4220041, "longitude": 127.0862515,
                                                            "label": "본사"},
                                               "fallbackUrl": "https://maps.example/hq"}},
                "displayText": "지도 보여주기"}},
]}]}
# The same as flat buttons, with a {column}.
FLAT = [{"name": "복사하기", "type": "copy", "text": "COUPON-{code}"},
        {"name": "일정 등록", "type": "calendar", "start_time": "2026-03-16T17:40:00+09:00",
         "end_time": "2026-03-16T18:40:00+09:00", "title": "설명회", "description": "본사 3층"}]


def lines(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines()]


def write(home: Path, name: str, obj: object) -> str:
    path = home / name
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return str(path)


def records(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


# -- Bizppurio ------------------------------------------------------------------------

def test_bizppurio_rcs_mms_carries_its_maapfile_id_and_the_documents_suggestions(isolated_env):
    record = isolated_env / "accepted.jsonl"
    with BizppurioSim(SimConfig(report_delay=0.1, kakao=KakaoRules([]), record=record)) as s:
        write_profile(isolated_env, s.base_url)
        sent = run_cli("send", "--to", "01011112222", "--type", "rcs-mms", "--image", MEDIA, "-m", "신제품 사진",
                       "--buttons", write(isolated_env, "card.json", DOCUMENT_CARD), "--fallback", "none",
                       "--wait", "10", "--json", env=ENV)
        assert sent.returncode == 0, sent.stderr
        (result,) = lines(sent.stdout)
        assert (result["type"], result["status"], result["code"], result["channel"]) == (
            "rcs-mms", "delivered", "8000", "rcs-mms")
    (line,) = records(record)
    content = line["content"]
    assert content["messagebaseid"] == "SMwThT00"
    assert content["message"] == {"description": "신제품 사진", "media": MEDIA}
    assert content["button"] == DOCUMENT_CARD["button"]  # read and written back as the document has it


def test_bizppurio_csv_fills_the_suggestions_and_its_user_key_column(isolated_env):
    record = isolated_env / "accepted.jsonl"
    csv = isolated_env / "list.csv"
    csv.write_text("phone,code,user_key\n01011112222,A1,UK-1\n01033334444,B2,\n", encoding="utf-8")
    with BizppurioSim(SimConfig(report_delay=0.1, kakao=KakaoRules([], sender_key="KEY1"), record=record)) as s:
        write_profile(isolated_env, s.base_url)
        rcs = run_cli("send", "--csv", str(csv), "--type", "rcs-lms", "-m", "쿠폰 {code}",
                      "--buttons", write(isolated_env, "flat.json", FLAT), "--fallback", "none",
                      "--wait", "10", "--json", env=ENV)
        assert rcs.returncode == 0, rcs.stderr
        assert [(r["status"], r["channel"]) for r in lines(rcs.stdout)] == [("delivered", "rcs-lms")] * 2
        ft = run_cli("send", "--csv", str(csv), "--type", "friendtalk", "-m", "{code} 친구톡",
                     "--fallback", "none", "--wait", "10", "--json", env=ENV)
        assert ft.returncode == 0, ft.stderr
    first, second, ft1, ft2 = records(record)
    assert [a["action"] for a in first["content"]["button"][0]["suggestions"]] == [
        {"clipboardAction": {"copyToClipboard": {"text": "COUPON-A1"}}, "displayText": "복사하기"},
        {"calendarAction": {"createCalendarEvent": {
            "startTime": "2026-03-16T17:40:00+09:00", "endTime": "2026-03-16T18:40:00+09:00",
            "title": "설명회", "description": "본사 3층"}}, "displayText": "일정 등록"}]
    assert second["content"]["button"][0]["suggestions"][0]["action"]["clipboardAction"] == {
        "copyToClipboard": {"text": "COUPON-B2"}}
    assert (ft1["content"]["userkey"], "userkey" in ft2["content"]) == ("UK-1", False)


def test_bizppurio_rcs_id_with_an_mms_fallback_of_a_file(isolated_env):
    """The id is the RCS image; the file is the fallback MMS's (uploaded with /v1/file)."""
    photo = isolated_env / "photo.jpg"
    photo.write_bytes(make_jpeg())
    record = isolated_env / "accepted.jsonl"
    with BizppurioSim(SimConfig(report_delay=0.1, kakao=KakaoRules([], misses=[MISS]), record=record)) as s:
        write_profile(isolated_env, s.base_url)
        sent = run_cli("send", "--to", MISS, "--type", "rcs-mms", "--image", MEDIA, "--image", str(photo),
                       "-m", "사진 안내", "--fallback", "mms", "--fallback-subject", "사진", "--wait", "10",
                       "--json", env=ENV)
        assert sent.returncode == 0, sent.stderr
        (result,) = lines(sent.stdout)
        assert (result["status"], result["code"], result["channel"]) == ("delivered", "6600", "mms")
    (line,) = records(record)
    assert (line["result"], line["fallback"], line["content"]["message"]["media"]) == ("8836", "mms", MEDIA)


def test_bizppurio_refuses_an_rcs_image_file_it_cannot_take(isolated_env):
    photo = isolated_env / "photo.jpg"
    photo.write_bytes(make_jpeg())
    with BizppurioSim(SimConfig(report_delay=0.1)) as s:
        write_profile(isolated_env, s.base_url)
        sent = run_cli("send", "--to", "01011112222", "--type", "rcs-mms", "--image", str(photo), "-m", "사진",
                       env=ENV)
        assert s.stats().get("accepted", 0) == 0
    assert sent.returncode == 2
    assert "bizppurio takes an RCS image as its RCS Biz Center id (--image maapfile://...)" in sent.stderr.decode()


def test_bizppurio_simulator_reports_what_the_rcs_platform_refuses(isolated_env):
    """A request smscli would not make, sent as another client could: the RCS result codes."""
    import httpx

    def send(refkey: str, rcs: dict) -> None:
        token = httpx.post(f"{s.base_url}/v1/token", auth=("test", "test"), verify=False).json()["accesstoken"]
        body = {"account": "test", "type": "rcs", "from": "0212341234", "to": "01011112222", "refkey": refkey,
                "content": {"rcs": {"chatbotid": "1588", "header": "0", **rcs}}}
        answer = httpx.post(f"{s.base_url}/v3/message", json=body, verify=False,
                            headers={"Authorization": f"Bearer {token}"})
        assert answer.json()["code"] == 1000, answer.text

    record = isolated_env / "accepted.jsonl"
    dial = {"action": {"dialerAction": {"dialPhoneNumber": {"phoneNumber": "1588"}}, "displayText": "전화"}}
    with BizppurioSim(SimConfig(report_delay=0.1, record=record)) as s:
        send("bad-id", {"messagebaseid": "SMwThT00", "message": {"description": "x", "media": "photo.jpg"}})
        send("media-on-sms", {"messagebaseid": "SS000000", "message": {"description": "x", "media": MEDIA}})
        send("two-on-sms", {"messagebaseid": "SS000000", "message": {"description": "x"},
                            "button": [{"suggestions": [dial, dial]}]})
        send("no-action", {"messagebaseid": "SL000000", "message": {"description": "x"},
                           "button": [{"suggestions": [{"action": {"displayText": "?"}}]}]})
        send("fine", {"messagebaseid": "SMwThT00", "message": {"description": "x", "media": MEDIA},
                      "button": [{"suggestions": [dial]}]})
        # a carousel as Daou's own JavaScript client writes one: a card without buttons is {}
        # and "share the location" sits inside urlAction
        push = {"action": {"displayText": "위치", "urlAction": {"mapAction": {"requestLocationPush": {}}}}}
        send("carousel", {"messagebaseid": "CMwMhM0300", "message": {"description1": "a", "media2": MEDIA},
                          "button": [{"suggestions": [dial]}, {}, {"suggestions": [dial, push]}]})
        send("four-cards", {"messagebaseid": "CMwMhM0300", "message": {"description1": "a"},
                            "button": [{"suggestions": [dial]}] * 4})
        send("carousel-bad-id", {"messagebaseid": "CMwMhM0300", "message": {"media3": "x.jpg"}})
    assert {r["refkey"]: r["result"] for r in records(record)} == {
        "bad-id": "8832", "media-on-sms": "8882", "two-on-sms": "8878", "no-action": "8882", "fine": "8000",
        "carousel": "8000", "four-cards": "8879", "carousel-bad-id": "8832"}


# -- OneShot --------------------------------------------------------------------------

@pytest.fixture
def oneshot(isolated_env: Path):
    with OneShotSimulator(speed=0, report_delay=0.05, kakao=KakaoRules([], sender_key=SENDER_KEY,
                                                                       misses=[MISS])) as server:
        configure(isolated_env, server, 'rcs_chatbot_id = "1588"')
        yield server


def bodies(server: OneShotSimulator) -> list[dict]:
    return [m.body for m in server.accepted]


def test_oneshot_rcs_mms_uploads_its_image_and_sends_the_suggestions(isolated_env, oneshot):
    photo = isolated_env / "photo.jpg"
    photo.write_bytes(make_jpeg(320, 240))
    sent = run_cli("send", "--to", "01011112222,01033334444", "--type", "rcs-mms", "--image", str(photo),
                   "-m", "신제품 사진", "--buttons", write(isolated_env, "card.json", DOCUMENT_CARD),
                   "--fallback", "none", "--wait", "10", "--json")
    assert sent.returncode == 0, sent.stderr
    assert [(r["status"], r["channel"]) for r in lines(sent.stdout)] == [("delivered", "rcs-mms")] * 2
    one, two = bodies(oneshot)
    assert one["MsgType"] == 11 and one["FileCount"] == 1 and one["FileType1"] == "IMG"
    assert one["FileName1"] == two["FileName1"] and one["FileName1"].endswith(".jpg")  # uploaded once
    assert json.loads(one["rcsButton"]) == DOCUMENT_CARD["button"]


def test_oneshot_refuses_a_maapfile_id_and_the_friendtalk_user_key_goes_as_kakao_user_key(isolated_env,
                                                                                         oneshot):
    refused = run_cli("send", "--to", "01011112222", "--type", "rcs-mms", "--image", MEDIA, "-m", "사진")
    assert refused.returncode == 2
    assert "oneshot takes an RCS image as a JPEG file it uploads (--image FILE)" in refused.stderr.decode()
    csv = isolated_env / "ft.csv"
    csv.write_text("phone,user_key\n01011112222,KAKAO-USER-7\n", encoding="utf-8")
    sent = run_cli("send", "--csv", str(csv), "--type", "friendtalk", "-m", "친구톡", "--fallback", "none",
                   "--wait", "10", "--json")
    assert sent.returncode == 0, sent.stderr
    (result,) = lines(sent.stdout)
    assert (result["status"], result["channel"]) == ("delivered", "friendtalk")
    (body,) = bodies(oneshot)
    assert (body["MsgType"], body["kakaoUserKey"]) == (8, "KAKAO-USER-7")


def test_a_send_results_channel_and_fallback_follow_the_report_with_wait(isolated_env, oneshot):
    sent = run_cli("send", "--to", MISS, "--type", "friendtalk", "-m", "친구 아님", "--wait", "10", "--json")
    assert sent.returncode == 0, sent.stderr
    (result,) = lines(sent.stdout)
    assert (result["type"], result["status"], result["channel"]) == ("friendtalk", "delivered", "sms")
    assert result["fallback"]["type"] == "sms"
    plain = run_cli("send", "--to", "01011112222", "-m", "문자", "--json")
    assert "channel" not in lines(plain.stdout)[0]  # SMS/LMS/MMS: as their reports, no channel


def test_oneshot_simulator_checks_rcs_suggestions_and_images():
    dial = rcs_suggestions.card([Button(name="전화", type="dial", phone_number="1588")])
    base = {"MsgType": 9, "rcsMessageBaselId": "SS000000"}
    assert oneshot_kakao.judge_rcs({**base, "rcsButton": json.dumps(dial)}) == 0
    assert oneshot_kakao.judge_rcs({**base, "rcsButton": json.dumps(dial * 2)}) == 21  # two cards
    two = [{"suggestions": dial[0]["suggestions"] * 2}]
    assert oneshot_kakao.judge_rcs({**base, "rcsButton": json.dumps(two)}) == 21  # SS000000 takes 1
    assert oneshot_kakao.judge_rcs({**base, "rcsButton": "not json"}) == 21
    assert oneshot_kakao.judge_rcs({**base, "FileName1": "a.jpg"}) == 21  # no image on an RCS SMS
    assert oneshot_kakao.judge_rcs({"MsgType": 11, "rcsMessageBaselId": "SMwThT00", "FileName1": "a.jpg"}) == 0
    assert oneshot_kakao.judge_rcs({"MsgType": 11, "rcsMessageBaselId": "SMwThT00", "FileName1": "a.jpg",
                                    "FileName2": "b.jpg"}) == 21


# -- bad input: exit 2 with the reason, before anything is sent ---------------------------

BAD = [
    ([{"name": "전화", "type": "dial"}], "rcs-lms", "button 1 (dial) needs phone_number"),
    ([{"name": "지도", "type": "map", "latitude": "100", "longitude": "127"}], "rcs-lms",
     "suggestion 1 (map) latitude 100 is outside -90..90"),
    ([{"name": "일정", "type": "calendar", "start_time": "2026-03-16T18:00:00+09:00",
       "end_time": "2026-03-16T17:00:00+09:00", "title": "t"}], "rcs-lms",
     "suggestion 1 (calendar) end_time must come after start_time"),
    ([{"name": "a", "type": "copy", "text": "1"}, {"name": "b", "type": "copy", "text": "2"}], "rcs-sms",
     "2 suggestions on message base SS000000: a message takes at most 1"),
    ([{"name": "전화", "type": "dial", "phone_number": "1588"}], "friendtalk",
     "button 1 has unknown type 'dial'"),
    ([{"name": "열기", "type": "WL", "url_mobile": "https://x.example", "phone_number": "1"}], "friendtalk",
     "button 1: phone_number is a field of RCS suggestions, not of Kakao buttons"),
    ([{"suggestions": []}, {"suggestions": []}], "rcs-lms", "several cards of suggestions"),
    ([{"action": {"displayText": "?", "fooAction": {}}}], "rcs-lms", "suggestion '?' has no action smscli knows"),
]


@pytest.mark.parametrize(("buttons", "kind", "said"), BAD, ids=[b[2][:30] for b in BAD])
def test_bad_suggestions_are_refused_before_anything_is_sent(isolated_env, buttons, kind, said):
    path = write(isolated_env, "b.json", buttons)
    proc = run_cli("send", "--to", "01011112222", "--type", kind, "-m", "안내", "--buttons", path,
                   "--fallback", "none", "--dry-run")
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.decode()
    assert said in err and "Traceback" not in err
    assert err.startswith("smscli: ") and len(err.strip().splitlines()) <= 2  # the reason (and a hint)


@pytest.mark.parametrize(("args", "said"), [
    (["--type", "rcs-mms", "--image", MEDIA, "--image", MEDIA], "--type rcs-mms carries one image, not 2"),
    (["--type", "rcs-sms", "--image", MEDIA], "--image does not go with --type rcs-sms"),
    (["--type", "rcs-mms", "--image", "maapfile://"], "is not maapfile://<id>"),
    (["--type", "rcs-mms", "--rcs-base", "CMwMhM0300", "--image", MEDIA], "is a carousel; smscli sends one card"),
    (["--type", "rcs-mms", "--image", "nope.jpg"], "cannot read RCS image nope.jpg"),
])
def test_bad_rcs_images_are_refused(isolated_env, args, said):
    proc = run_cli("send", "--to", "01011112222", *args, "-m", "사진", "--fallback", "none", "--dry-run")
    assert proc.returncode == 2, proc.stderr
    assert said in proc.stderr.decode()


def test_user_key_flag_and_the_rcs_image_in_a_dry_run(isolated_env, oneshot):
    sent = run_cli("send", "--to", "01011112222", "--type", "friendtalk", "--user-key", "UK-9", "-m", "안내",
                   "--fallback", "none", "--wait", "10", "--json")
    assert sent.returncode == 0, sent.stderr
    (body,) = bodies(oneshot)
    assert body["kakaoUserKey"] == "UK-9"
    wrong = run_cli("send", "--to", "01011112222", "--type", "rcs-sms", "--user-key", "UK-9", "-m", "안내")
    assert wrong.returncode == 2 and "--user-key does not go with --type rcs-sms" in wrong.stderr.decode()
    alimtalk = run_cli("send", "--to", "01011112222", "--type", "alimtalk", "--template", "T1",
                       "--user-key", "UK-9", "-m", "안내")
    assert alimtalk.returncode == 2 and "user key is for FriendTalk only" in alimtalk.stderr.decode()
    photo = isolated_env / "photo.jpg"
    photo.write_bytes(make_jpeg())
    dry = run_cli("send", "--to", "01011112222", "--type", "rcs-mms", "--image", str(photo), "-m", "사진",
                  "--dry-run", "--json")
    (shown,) = lines(dry.stdout)
    assert shown["image"] == str(photo) and f"image {photo}" in shown["detail"]
    assert len(bodies(oneshot)) == 1  # the dry run sent nothing


def test_a_user_key_too_long_makes_its_row_invalid(isolated_env):
    csv = isolated_env / "ft.csv"
    csv.write_text(f"phone,user_key\n01011112222,{'K' * 31}\n01033334444,OK\n", encoding="utf-8")
    proc = run_cli("send", "--csv", str(csv), "--type", "friendtalk", "-m", "친구톡", "--fallback", "none",
                   "--dry-run", "--json")
    first, second = lines(proc.stdout)
    assert first["status"] == "invalid" and "at most 30 characters" in first["detail"]
    assert second["status"] != "invalid"
    assert proc.returncode == 1


def test_the_documents_actions_read_and_write_back_unchanged():
    """Every action of the document's carousel example (section 6.2), read as buttons and
    rendered again, is what the document wrote (location sharing: the document's mapAction)."""
    actions = [
        {"urlAction": {"openUrl": {"url": "https://www.google.com"}}, "displayText": "URL 연결하기"},
        {"dialerAction": {"dialPhoneNumber": {"phoneNumber": "+1650253000"}}, "displayText": "전화 걸기"},
        {"composeAction": {"composeTextMessage": {"phoneNumber": "+1650253000", "text": "Draft"}},
         "displayText": "메시지 전송"},
        {"clipboardAction": {"copyToClipboard": {"text": "COUPONE-1234-1234"}}, "displayText": "복사하기"},
        {"calendarAction": {"createCalendarEvent": {"startTime": "2017-03-16T17:40:00.214+09:00",
                                                    "endTime": "2017-03-18T17:40:00.216+09:00",
                                                    "title": "Meeting", "description": "GSG review meeting"}},
         "displayText": "캘린더 등록"},
        {"mapAction": {"showLocation": {"location": {"latitude": 37.4220041, "longitude": -122.0862515,
                                                     "label": "Googleplex"},
                                        "fallbackUrl": "https://www.google.com/maps/@37.4219162,-22.078063,15z"}},
         "displayText": "지도 보여주기"},
        {"mapAction": {"requestLocationPush": {}}, "displayText": "위치 공유"},
    ]
    buttons = rcs_suggestions.from_document([{"suggestions": [{"action": a} for a in actions]}], "t")
    assert [b.type for b in buttons] == ["WL", "dial", "compose", "copy", "calendar", "map", "location"]
    assert all(rcs_suggestions.problem(b) is None for b in buttons)
    assert rcs_suggestions.card(buttons) == [{"suggestions": [{"action": a} for a in actions]}]


def test_an_rcs_mms_reserved_on_oneshot_keeps_its_image_until_flush(isolated_env, oneshot):
    """OneShot keeps no reservations: smscli holds the message and `reserve flush` sends it
    later, with its image uploaded then."""
    import sqlite3

    photo = isolated_env / "photo.jpg"
    photo.write_bytes(make_jpeg())
    held = run_cli("reserve", "--at", "2099-01-01 09:00", "--to", "01011112222", "--type", "rcs-mms",
                   "--image", str(photo), "-m", "예약 사진", "--fallback", "none", "--json")
    assert held.returncode == 0, held.stderr
    (obj,) = lines(held.stdout)
    assert (obj["status"], obj["channel"]) == ("scheduled", "rcs-mms")
    with sqlite3.connect(isolated_env / "data" / "journal.db") as db:
        db.execute("UPDATE messages SET send_at = '2000-01-01T00:00:00+09:00' WHERE id = ?", (obj["message_id"],))
    flushed = run_cli("reserve", "flush", "--json")
    assert flushed.returncode == 0, flushed.stderr
    assert lines(flushed.stdout)[0]["status"] == "accepted"
    (body,) = bodies(oneshot)
    assert (body["MsgType"], body["FileCount"]) == (11, 1) and body["FileName1"].endswith(".jpg")
