"""Kakao and RCS in the OneShot simulator: what its MsgSendRes answers a MsgType 7 / 71 /
8 / 9–12 request, and what its report says (spec 003 §3.4 codes, checked against
``smscli.codes.oneshot``).

Refusals (MsgSendRes): an unknown or missing sender key 22, a template not registered 36,
text that does not match the approved template 30, buttons that differ 38, text past 1000
characters 35, an AlimTalk image without its image 37, an RCS message without its message
base id, with suggestions it cannot read or too many for its base, or with an image it
cannot carry (an RCS MMS takes one uploaded file) 21. A recipient who is not on Kakao (``--kakao-miss`` / ``--kakao-miss-rate``) is
accepted and reported failed with 29 (메시지 전송 실패): OneShot does not fall back, the
client does.
"""

from __future__ import annotations

import json
from typing import Any

from smscli import rcs_suggestions
from smscli.content import Button
from smscli.sim.kakao import KakaoRules, Refusal

KAKAO_TYPES = frozenset({7, 71, 8})
RCS_TYPES = frozenset({9, 10, 11, 12})
ALIMTALK_TYPES = frozenset({7, 71})
MAX_KAKAO_CHARS = 1000

BAD_PARAMETER = 21  # 잘못된 파라메터
BAD_SENDER_KEY = 22  # 발신 프로필 키가 유효하지 않음
NOT_DELIVERED = 29  # 메시지 전송 실패: the Kakao failure a miss is reported with
TEMPLATE_MISMATCH = 30  # 템플릿 일치 확인 시 오류
TOO_LONG = 35  # 메시지 길이 제한 오류
NO_TEMPLATE = 36  # 템플릿을 찾을 수 없음
BAD_IMAGE = 37  # 메시지에 포함된 이미지를 전송할 수 없음
BUTTON_MISMATCH = 38  # 메시지 버튼이 템플릿과 일치하지 않음

REFUSAL_CODES: dict[Refusal, int] = {
    Refusal.SENDER_KEY: BAD_SENDER_KEY,
    Refusal.TEMPLATE: NO_TEMPLATE,
    Refusal.TEXT: TEMPLATE_MISMATCH,
    Refusal.BUTTONS: BUTTON_MISMATCH,
}
# Every code this module answers or reports (tests check smscli.codes has each).
CODES = (BAD_PARAMETER, BAD_SENDER_KEY, NOT_DELIVERED, TEMPLATE_MISMATCH, TOO_LONG, NO_TEMPLATE,
         BAD_IMAGE, BUTTON_MISMATCH)


def is_channel(msg_type: object) -> bool:
    """Whether a MsgType is a Kakao or RCS one."""
    return msg_type in KAKAO_TYPES or msg_type in RCS_TYPES


def buttons_json(raw: object) -> list[dict[str, Any]] | None:
    """The button objects of a ``KakaoButton`` JSON string (a list, or
    ``{"button": [...]}``); ``[]`` for none, None when it is not readable."""
    if raw in (None, ""):
        return []
    try:
        obj: Any = json.loads(str(raw))
    except ValueError:
        return None
    if isinstance(obj, dict):
        obj = obj.get("button")
    if not isinstance(obj, list) or not all(isinstance(b, dict) for b in obj):
        return None
    return obj


def buttons_of(raw: object) -> list[Button] | None:
    """The buttons of a ``KakaoButton`` JSON string, as :func:`buttons_json`."""
    objs = buttons_json(raw)
    return None if objs is None else [Button.from_json(b) for b in objs]


def judge(rules: KakaoRules, body: dict[str, Any]) -> int:
    """The MsgSendRes Result of a Kakao/RCS request: 0 or a refusal code."""
    msg_type = body.get("MsgType")
    text = str(body.get("Message") or "")
    if msg_type in RCS_TYPES:
        return judge_rcs(body)
    if len(text) > MAX_KAKAO_CHARS:
        return TOO_LONG
    objs = buttons_json(body.get("KakaoButton"))
    if objs is None:
        return BAD_PARAMETER
    sender_key = str(body.get("KakaoSenderKey") or "")
    if not sender_key:
        return BAD_SENDER_KEY
    alimtalk = msg_type in ALIMTALK_TYPES
    code = str(body.get("KakaoTemplateCode") or "")
    if alimtalk and not code:
        return NO_TEMPLATE
    if msg_type == 71 and not body.get("FileName1"):
        return BAD_IMAGE
    approved = rules.templates.get(code)
    checked = alimtalk and approved is not None and approved.buttons is not None
    buttons = [Button.from_json(b) for b in objs] if checked else []  # built only to compare
    refusal = rules.refusal(sender_key=sender_key, template=code, text=text, buttons=buttons,
                            alimtalk=alimtalk)
    return 0 if refusal is None else REFUSAL_CODES[refusal]


def judge_rcs(body: dict[str, Any]) -> int:
    """An RCS request: its message base id, its suggestions (``rcsButton``: one card, each
    action as the RCS document writes it, at most the base's count) and its image (an RCS
    MMS at most one uploaded file, the other types none); 0 or 21."""
    base = str(body.get("rcsMessageBaselId") or "")
    if not base:
        return BAD_PARAMETER
    raw = body.get("rcsButton")
    if raw not in (None, ""):
        try:
            buttons = rcs_suggestions.parse_card(json.loads(str(raw)))
        except ValueError:
            return BAD_PARAMETER
        if isinstance(buttons, str) or len(buttons) > rcs_suggestions.limit_for(base):
            return BAD_PARAMETER
    files = [n for n in (body.get("FileName1"), body.get("FileName2"), body.get("FileName3")) if n]
    if len(files) > (1 if body.get("MsgType") == 11 else 0):
        return BAD_PARAMETER
    return 0


def remote_image(name: str) -> bool:
    """A Kakao image named by URL (Kakao fetches it): not an uploaded file to look up."""
    return name.startswith(("https://", "http://"))


def recorded_fields(body: dict[str, Any]) -> dict[str, Any]:
    """A Kakao/RCS MsgSendReq's own fields as sent (numbers, and text that is not empty),
    for ``--record`` lines; the sender key is left out, as ``sim bizppurio`` leaves out
    ``senderkey``."""
    return {k: v for k, v in body.items()
            if k[:1] in "KkrR" and (k.startswith(("Kakao", "kakao", "rcs")) or k == "ResellerCode")
            and k != "KakaoSenderKey" and v not in ("", None)}


def report_code(rules: KakaoRules, body: dict[str, Any]) -> int | None:
    """The report's Result for an accepted Kakao/RCS message when it is a miss (29),
    else None (the simulator's usual draw decides)."""
    return NOT_DELIVERED if rules.missed(str(body.get("PhoneNo") or "")) else None
