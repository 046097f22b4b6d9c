"""The simulators' Kakao world: template matching, sender key, misses."""

from __future__ import annotations

import json
import re

import pytest

from smscli.content import Button
from smscli.sim.kakao import KakaoRules, Refusal, Template


def test_a_template_matches_its_text_with_placeholders_filled() -> None:
    t = Template("T1", "#{이름}님, 주문 #{번호}이 발송되었습니다.\n감사합니다.")
    assert t.matches("홍길동님, 주문 A-1이 발송되었습니다.\n감사합니다.")
    assert t.matches("님, 주문 이 발송되었습니다.\n감사합니다.")  # a placeholder may be empty
    assert not t.matches("홍길동님, 주문 A-1이 발송되었습니다.")
    assert not t.matches("홍길동님, 주문 A-1이 발송됐습니다.\n감사합니다.")
    assert Template("T2", "가격 (1+1) [*]").matches("가격 (1+1) [*]")  # regex characters are literal


def test_buttons_must_be_the_approved_ones_with_their_urls_filled() -> None:
    t = Template("T1", "x", buttons=(Button("배송조회", "WL", url_mobile="https://m.x/#{no}"),))
    assert t.buttons_match([Button("배송조회", "WL", url_mobile="https://m.x/123")])
    assert not t.buttons_match([Button("배송조회", "WL", url_mobile="https://evil/123")])
    assert not t.buttons_match([Button("조회", "WL", url_mobile="https://m.x/1")])
    assert not t.buttons_match([])
    assert Template("T2", "x").buttons_match([Button("a", "BK")])  # not given: not checked


def test_a_template_file_is_text_or_json(tmp_path) -> None:
    (tmp_path / "a.txt").write_text("#{name}님 안녕하세요\n", encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(
        {"text": "주문 #{no}", "buttons": {"button": [{"name": "보기", "type": "WL", "url_mobile": "https://m"}]}}),
        encoding="utf-8")
    a = Template.load(f"A={tmp_path / 'a.txt'}")
    b = Template.load(f"B={tmp_path / 'b.json'}")
    assert a.text == "#{name}님 안녕하세요" and a.buttons is None
    assert b.text == "주문 #{no}" and b.buttons == (Button("보기", "WL", url_mobile="https://m"),)
    for bad in ("nocode", "=x", f"C={tmp_path / 'missing'}"):
        with pytest.raises(ValueError, match="CODE=FILE|cannot read"):
            Template.load(bad)


def test_rules_say_why_in_the_order_a_vendor_checks() -> None:
    rules = KakaoRules([Template("T1", "안녕 #{n}", buttons=())], sender_key="SK")
    ok = {"sender_key": "SK", "template": "T1", "text": "안녕 철수"}
    assert rules.refusal(**ok) is None
    assert rules.refusal(**{**ok, "sender_key": "other"}) is Refusal.SENDER_KEY
    assert rules.refusal(**{**ok, "template": "T9"}) is Refusal.TEMPLATE
    assert rules.refusal(**{**ok, "text": "잘가 철수"}) is Refusal.TEXT
    assert rules.refusal(**ok, buttons=[Button("a", "BK")]) is Refusal.BUTTONS
    assert rules.refusal(sender_key="SK", alimtalk=False) is None  # FriendTalk: no template
    assert KakaoRules().refusal(sender_key="any", template="T9", text="x") is None


def test_misses_by_number_and_by_a_seeded_rate() -> None:
    assert KakaoRules(misses=["010-1234-5678"]).missed("01012345678")
    assert not KakaoRules().missed("01012345678")
    draws = [KakaoRules(miss_rate=0.5, seed=3).missed("010") for _ in range(3)]
    assert len(set(draws)) == 1  # the same seed, the same first draw
    rules = KakaoRules(miss_rate=0.3, seed=1)
    assert 200 < sum(rules.missed("01000000000") for _ in range(1000)) < 400
    with pytest.raises(ValueError, match="between 0 and 1"):
        KakaoRules(miss_rate=1.5)


BAD_TEMPLATES = {  # file name -> (its content, what the one line says)
    "bad1.json": ('"text": "안녕 #{n}"', "not valid JSON"),
    "bad2.json": ('{"text": "안녕', "not valid JSON"),
    "empty.json": ("", "not valid JSON"),
    "list.json": ('["안녕"]', "must hold a JSON object"),
    "t5.json": ('{"text": 5}', '"text" must be the approved text (a string), not int'),
    "notext.json": ('{"buttons": []}', "not missing"),
    "blank.json": ('{"text": " "}', "not empty"),
    "notext.txt": ('{"buttons": []}', "not missing"),  # starts with {: JSON, as before
    "empty.txt": ("\n", "is empty"),
}


@pytest.mark.parametrize("name", BAD_TEMPLATES)
def test_a_template_file_that_is_not_an_approved_template_is_refused(tmp_path, name) -> None:
    content, why = BAD_TEMPLATES[name]
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(why)) as err:
        Template.load(f"X={tmp_path / name}")
    assert name in str(err.value)


def test_a_json_name_is_json_and_any_other_name_plain_text(tmp_path) -> None:
    (tmp_path / "a.txt").write_text('"text": 5\n', encoding="utf-8")
    (tmp_path / "B.JSON").write_text('{"text": "안녕 #{n}"}', encoding="utf-8")
    assert Template.load(f"A={tmp_path / 'a.txt'}").text == '"text": 5'
    assert Template.load(f"B={tmp_path / 'B.JSON'}").text == "안녕 #{n}"


@pytest.mark.parametrize("number", ["abc", "010-1234-567x", "-0101234", "+821012345678", ""])
def test_a_kakao_miss_must_be_a_phone_number(number) -> None:
    with pytest.raises(ValueError, match="--kakao-miss takes a phone number"):
        KakaoRules.from_options(None, misses=[number])
    rules = KakaoRules.from_options(None, misses=["010-1234-5678", "010 9999 0000", "01011112222"])
    assert rules.missed("01012345678") and rules.missed("01099990000") and rules.missed("010-1111-2222")


@pytest.mark.parametrize("sim", ["oneshot", "bizppurio"])  # bizclient: tests/bizclient
@pytest.mark.parametrize("option", ["template", "miss"])
def test_a_simulator_refuses_a_bad_kakao_option_in_one_line(tmp_path, sim, option) -> None:
    from tests.conftest import run_cli

    (tmp_path / "t5.json").write_text('{"text": 5}', encoding="utf-8")
    args = ["--kakao-template", f"X={tmp_path / 't5.json'}"] if option == "template" else ["--kakao-miss", "abc"]
    proc = run_cli("sim", sim, "--port", "0", *args, timeout=30)  # before the fix: it served on
    err = proc.stderr.decode()
    assert proc.returncode == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert ("t5.json" in err and "not int" in err) if option == "template" else "'abc'" in err
