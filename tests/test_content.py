"""The content kinds and their JSON form (what the journal stores)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscli import content
from smscli.content import Button, Kakao, Rcs, Text
from smscli.fastjson import compact


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


# --- the spliced JSON text: the encoder's text of to_json, exactly ----------------------

_TEXTS = st.text(max_size=8) | st.sampled_from(["", "\"q\"\\", "한글 #{x}", "\x00\n\u2028", "a"])
_BUTTONS = st.lists(st.builds(Button, _TEXTS, _TEXTS, url_mobile=_TEXTS, scheme_ios=_TEXTS,
                              chat_extra=_TEXTS, title=_TEXTS, description=_TEXTS), max_size=3).map(tuple)
_FALLBACK = st.none() | st.builds(Text, _TEXTS, subject=_TEXTS, type=st.sampled_from(["auto", "sms", "lms"]),
                                  images=st.lists(_TEXTS.filter(bool), max_size=2).map(tuple))
_CONTENTS = (
    st.builds(Text, _TEXTS, subject=_TEXTS, type=st.sampled_from(["auto", "sms", "mms"]),
              images=st.lists(_TEXTS.filter(bool), max_size=2).map(tuple))
    | st.builds(Kakao, _TEXTS, type=st.sampled_from(["alimtalk", "friendtalk"]), template=_TEXTS,
                title=_TEXTS, buttons=_BUTTONS, quick_replies=_BUTTONS, image_url=_TEXTS, wide=st.booleans(),
                ad=st.booleans(), sender_key=_TEXTS, timeout=st.none() | st.integers(-1, 99),
                fallback=_FALLBACK, user_key=_TEXTS)
    | st.builds(Rcs, _TEXTS, base_id=_TEXTS, buttons=_BUTTONS, ad=st.booleans(), copy_allowed=st.booleans(),
                fallback=_FALLBACK, media=st.lists(_TEXTS, max_size=2).map(tuple))
    | st.builds(content.Fax, files=st.lists(_TEXTS.filter(bool), max_size=2).map(tuple), cover_text=_TEXTS,
                retries=st.none() | st.integers(0, 3))
    | st.builds(content.Voice, _TEXTS, voice_file=st.none() | _TEXTS.filter(bool), reply=st.booleans(),
                retries=st.none() | st.integers(0, 3))
)


@given(_CONTENTS)
def test_the_spliced_json_text_is_the_encoders_text_of_to_json(value: content.Content) -> None:
    encode = compact()
    assert content.dumps(value) == encode(content.to_json(value))
    assert content.loads(content.dumps(value)) == value
    unkeyed = content.to_json(value)
    unkeyed.pop("sender_key", None)
    assert content.json_text(value, leave_out="sender_key") == encode(unkeyed)


def test_a_buttons_text_is_written_once_and_changes_nothing_else() -> None:
    """A button shared by the messages of a send (no variable to fill) is written once;
    what it keeps of its text shows in none of its values, its equality, hash or repr."""
    shared = Button("배송 조회", "WL", url_mobile="https://s.example/track")
    same = Button("배송 조회", "WL", url_mobile="https://s.example/track")
    first, second = Kakao("a", buttons=(shared,)), Kakao("b", buttons=(shared,))
    text = content.button_text(shared)
    assert text == compact()(shared.to_json()) and content.button_text(shared) is text
    assert content.buttons_text(first) == text and content.buttons_text(second) == text
    assert shared.to_json() == same.to_json() and list(shared.to_json()) == ["name", "type", "url_mobile"]
    assert shared == same and hash(shared) == hash(same) and repr(shared) == repr(same)
    assert content.dumps(second) == compact()(content.to_json(second))


def test_values_of_another_type_are_written_as_the_encoder_writes_them() -> None:
    odd = Kakao("hi", template=7, buttons=(Button("n", "WL", url_mobile=3),), timeout=30)  # type: ignore[arg-type]
    assert content.dumps(odd) == compact()(content.to_json(odd))
    assert '"template":7' in content.dumps(odd) and '"url_mobile":3' in content.dumps(odd)
