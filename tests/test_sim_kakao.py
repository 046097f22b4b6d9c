"""The simulators' Kakao world: template matching, sender key, misses."""

from __future__ import annotations

import json

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
