"""OneShot's KakaoButton string: the journal's and the wire's buttons written once per
message, and the text kept beside the content changing nothing else about it."""

from __future__ import annotations

import copy
import json
import pickle

from smscli.channel_render import journal_json
from smscli.content import Button, Kakao, buttons_text, to_json
from smscli.vendors.oneshot_channels import buttons_json


def expected(buttons):
    return json.dumps({"button": [b.to_json() for b in buttons]}, separators=(",", ":"), ensure_ascii=False)


def kakao(url: str = "https://s.example/x", **kw) -> Kakao:
    return Kakao("본문", template="T1", buttons=(Button("배송 조회", "WL", url_mobile=url),), **kw)


def test_each_message_gets_its_own_buttons_written_once():
    shared = (Button("배송 조회", "WL", url_mobile="https://s.example/x"),)
    first, second = Kakao("a", buttons=shared), Kakao("b", buttons=shared)
    assert buttons_json(first) == buttons_json(second) == expected(shared)
    assert buttons_text(first) is buttons_text(first)  # kept, not written again
    for i in range(3):  # per-row buttons: each message its own
        row = kakao(f"https://s.example/{i}")
        assert buttons_json(row) == expected(row.buttons)
    assert buttons_json(Kakao("c")) == ""


def test_the_journal_and_the_wire_write_the_same_buttons():
    ch = kakao(quick_replies=(Button("문의", "BK"),))
    stored = json.loads(journal_json(ch))
    assert stored["buttons"] == [b.to_json() for b in ch.buttons]
    assert stored["quick_replies"] == [{"name": "문의", "type": "BK"}]
    assert json.loads(buttons_json(ch)) == {"button": stored["buttons"]}


def test_the_kept_text_is_no_part_of_the_content():
    ch, same = kakao(), kakao()
    buttons_json(ch)
    journal_json(ch)
    assert ch == same and hash(ch) == hash(same) and repr(ch) == repr(same)
    assert to_json(ch) == to_json(same) and journal_json(ch) == journal_json(same)
    for twin in (copy.copy(ch), pickle.loads(pickle.dumps(ch))):
        assert twin == same and buttons_json(twin) == buttons_json(same)
