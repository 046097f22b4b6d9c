"""OneShot's MsgSendReq of a Kakao/RCS message: ``request_fields`` gives only the fields
that differ from their defaults; the body is the one of every field written out, as the
document's table lists them (keys, values and order)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from smscli import rcs_suggestions
from smscli.content import RCS_BASES, Button, Kakao, Rcs, Text
from smscli.models import Message
from smscli.protocol.oneshot.messages import MsgSendReq
from smscli.vendors.oneshot_channels import MSG_TYPES, ChannelSettings, request_fields

_TEXTS = st.sampled_from(["", "a", "한글 #{x}", "\"q\"\\"])
_BUTTONS = st.lists(st.builds(Button, st.sampled_from(["보기", "앱"]), st.sampled_from(["WL", "AL"]),
                              url_mobile=_TEXTS, scheme_ios=_TEXTS), max_size=2).map(tuple)
_KAKAO = st.builds(Kakao, st.just("본문"), type=st.sampled_from(["alimtalk", "alimtalk-image", "friendtalk"]),
                   template=_TEXTS, title=_TEXTS, buttons=_BUTTONS, quick_replies=_BUTTONS, image_url=_TEXTS,
                   image_link=_TEXTS, wide=st.booleans(), ad=st.booleans(), sender_key=_TEXTS,
                   timeout=st.none() | st.integers(0, 60), user_key=_TEXTS,
                   fallback=st.none() | st.just(Text("대체", type="sms")))
_RCS = st.builds(Rcs, st.just("본문"), type=st.sampled_from(["rcs-sms", "rcs-lms", "rcs-mms", "rcs-template"]),
                 base_id=_TEXTS, title=_TEXTS, ad=st.booleans(), footer=_TEXTS,
                 copy_allowed=st.booleans(),
                 buttons=st.lists(st.builds(Button, st.just("열기"), st.just("WL"),
                                            url_mobile=st.just("https://e.x")), max_size=2).map(tuple))
_SETTINGS = st.builds(ChannelSettings, nation_code=st.sampled_from(["82", "1"]),
                      reseller_code=st.sampled_from(["", "123456789"]), rcs_agency_id=_TEXTS,
                      rcs_brand_key=_TEXTS, rcs_agency_key=_TEXTS)


def every_field(msg: Message, cs: ChannelSettings, callback: str) -> dict[str, Any]:
    """Each field the document's table has for the message, written out."""
    ch = msg.channel
    names = list(msg.file_keys)[:3]
    if not names and isinstance(ch, Kakao) and ch.image_url:
        names = [ch.image_url]
    out: dict[str, Any] = {"user_msg_id": msg.id, "phone_no": msg.to, "callback_no": callback,
                           "message": msg.text, "user_data": msg.tag, "reseller_code": cs.reseller_code,
                           "file_count": len(names), "msg_type": MSG_TYPES[msg.type]}
    for i, name in enumerate(names, start=1):
        out[f"file_type{i}"], out[f"file_name{i}"] = "IMG", name
    dump = lambda obj: json.dumps(obj, separators=(",", ":"), ensure_ascii=False)  # noqa: E731
    if isinstance(ch, Kakao):
        out.update(kakao_ad_flag="Y" if ch.ad else "N", kakao_nation_code=cs.nation_code,
                   kakao_sender_key=ch.sender_key, kakao_template_code=ch.template,
                   kakao_timeout=int(ch.timeout or 0),
                   kakao_button=dump({"button": [b.to_json() for b in ch.buttons]}) if ch.buttons else "",
                   kakao_quick=dump({"quickReply": [b.to_json() for b in ch.quick_replies]})
                   if ch.quick_replies else "",
                   kakao_image_link=ch.image_link, kakao_title=ch.title, kakao_user_key=ch.user_key)
        if ch.type == "friendtalk" and (ch.image_url or msg.file_keys):
            out["kakao_wide"] = "Y" if ch.wide else "N"
        return out
    assert isinstance(ch, Rcs)
    out.update(subject=ch.title, rcs_message_base_id=ch.base_id or RCS_BASES.get(ch.type, ""),
               rcs_button=dump(rcs_suggestions.card(ch.buttons)) if ch.buttons else "",
               rcs_header=1 if ch.ad else 0, rcs_footer=ch.footer,
               rcs_copy_allowed="Y" if ch.copy_allowed else "N", rcs_agency_id=cs.rcs_agency_id,
               rcs_brand_key=cs.rcs_brand_key, rcs_agency_key=cs.rcs_agency_key)
    return out


@given(_KAKAO | _RCS, _SETTINGS, st.sampled_from(["", "spring"]),
       st.sampled_from([(), ("K1",), ("K1", "K2", "K3", "K4")]))
def test_the_sparse_fields_make_the_body_of_every_field(channel, cs, tag, keys) -> None:
    msg = Message(id="m1", to="01012345678", text=channel.body, sender="15666639", type=channel.type,
                  channel=channel, tag=tag, file_keys=keys)
    sparse = MsgSendReq.of(request_fields(msg, cs, "15666639")).to_body()
    full = MsgSendReq(**every_field(msg, cs, "15666639")).to_body()
    assert sparse == full and list(sparse) == list(full)
