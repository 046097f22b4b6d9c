"""The content kinds and their JSON form (what the journal stores)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smscli import content
from smscli.content import Button, Kakao, Rcs, Text


@pytest.mark.parametrize("value", [
    Text("hi"),
    Text("hi", subject="s", type="mms", images=(Path("a.jpg"),)),
    Kakao("#{name}님 안녕하세요", template="T1", title="제목",
          buttons=(Button("보기", "WL", url_mobile="https://m.example.com/{id}"),),
          timeout=30, fallback=Text("안녕하세요", type="lms", subject="알림")),
    Kakao("광고입니다", type="friendtalk", image_url="https://i.example.com/a.jpg",
          image_link="https://example.com", wide=True, ad=True),
    Rcs("hello", type="rcs-mms", base_id="B1", images=("x.jpg",), ad=True, footer="080",
        copy_allowed=False, buttons=(Button("열기", "WL", url_mobile="https://e.x"),)),
])
def test_content_survives_its_json_form(value: content.Content) -> None:
    assert content.loads(content.dumps(value)) == value


def test_a_button_keeps_the_vendors_field_order_and_drops_empty_fields() -> None:
    b = Button.from_json({"type": "AL", "name": "앱", "scheme_android": "a://", "url_mobile": "",
                          "scheme_ios": "i://", "extra": "ignored"})
    assert list(b.to_json()) == ["name", "type", "scheme_ios", "scheme_android"]


def test_no_content_is_an_empty_column() -> None:
    assert content.dumps(None) == "" and content.loads("") is None


def test_every_type_is_listed_once_in_contract_order() -> None:
    assert content.ALL_TYPES == ("auto", "sms", "lms", "mms", "alimtalk", "alimtalk-image",
                                 "friendtalk", "rcs-sms", "rcs-lms", "rcs-mms", "rcs-template", "fax", "voice")


def test_fax_and_voice_round_trip_through_the_journals_json() -> None:
    from pathlib import Path

    from smscli.content import Fax, Voice

    fax = Fax(files=("a.pdf", Path("b.png")), cover_title="공지", cover_text="안내", retries=2)
    assert content.to_json(fax) == {"kind": "fax", "files": ["a.pdf", "b.png"], "cover_title": "공지",
                                    "cover_text": "안내", "retries": 2}
    assert content.loads(content.dumps(fax)) == fax and fax.files == (Path("a.pdf"), Path("b.png"))
    call = Voice(voice_file="m.wav", scenario="s.vxml", reply=True, sms_on_fail=True, retries=0)
    assert content.to_json(call) == {"kind": "voice", "voice_file": "m.wav", "scenario": "s.vxml",
                                     "reply": True, "sms_on_fail": True, "retries": 0}
    assert content.loads(content.dumps(call)) == call
    tts = Voice(body="안녕하세요")
    assert content.loads(content.dumps(tts)) == tts and (tts.kind, tts.type) == ("voice", "voice")
