"""Kakao (``at``/``ai``/``ft``) and RCS (``rcs``) in the Bizppurio simulator, with the
``resend``/``recontent`` fallback, as Daou's public API v3 document describes them.

The API checks the request's shape (a bad one is code 2000, as for SMS). What Kakao decides
comes later, in the report, with Daou's result codes (``smscli code lookup``): an unknown
sender key 7105, an unknown template 7315, a text or buttons that do not match the approved
template 7204, a recipient not on Kakao 7318 (FriendTalk: 7203, not a friend; RCS: 8836);
RCS an image that is not a ``maapfile://`` id 8832, suggestions it cannot read or an image
on a base without media 8882, more cards than the base has 8879, more suggestions on a
card than it takes 8878;
delivered 7000 (RCS 8000). When the first channel fails and the request has a ``resend``,
the simulator delivers the fallback itself and the report says so: ``RESEND_FLAG`` (the
fallback's type), ``TELRES``/``TELTIME`` (SMS/LMS/MMS), ``KAORES``/``KAOTIME`` (AT/FT) or
``RCSRES``/``RCSTIME``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from smscli import rcs_suggestions
from smscli.content import Button
from smscli.sim.kakao import KakaoRules, Refusal

KAKAO = ("at", "ai", "ft")
CHANNELS = (*KAKAO, "rcs")
DELIVERED = {"sms": "4100", "lms": "6600", "mms": "6600", "at": "7000", "ai": "7000", "ft": "7000",
             "rcs": "8000"}
REFUSAL_CODES = {Refusal.SENDER_KEY: "7105", Refusal.TEMPLATE: "7315", Refusal.TEXT: "7204",
                 Refusal.BUTTONS: "7204"}
MISS_CODES = {"at": "7318", "ai": "7318", "ft": "7203", "rcs": "8836"}
RCS_CODES = ("8832", "8878", "8879", "8882")  # what the RCS platform refuses (see _rcs_failure)
RESEND_TYPES = ("sms", "lms", "mms", "at", "ft", "rcs")
MAAPFILE_ID = re.compile(r"maapfile://\S+")  # an image registered at the RCS Biz Center
MEDIA_KEY = re.compile(r"media\d*")  # a standalone card's media, a carousel's media1, media2, ...
BUTTON_TYPES = frozenset({"WL", "AL", "DS", "BK", "MD", "BC", "BT", "AC", "P1", "P2", "P3"})


class BadChannel(ValueError):
    """The request is malformed (the API answers 2000 with this description)."""


@dataclass(frozen=True)
class Outcome:
    """What the report will say: the first channel's MEDIA and RESULT, and the fallback's
    type and result when the first failed and the request asked for one."""

    media: str
    result: str
    fallback: str = ""  # "sms", "lms", ... (RESEND_FLAG, upper-cased in the report)
    fallback_result: str = ""
    text: str = ""  # what the recipient got (for --record)


def _text(part: dict[str, Any], key: str, limit: int, *, where: str, required: bool = True) -> str:
    value = part.get(key, "")
    if not isinstance(value, str) or (required and not value):
        raise BadChannel(f"{where}.{key} is required")
    if len(value) > limit:
        raise BadChannel(f"{where}.{key} is {len(value)} characters, at most {limit}")
    return value


def _buttons(part: dict[str, Any], where: str, *, key: str = "button", limit: int = 5) -> list[Button]:
    raw = part.get(key, [])
    if not isinstance(raw, list) or len(raw) > limit or not all(isinstance(b, dict) for b in raw):
        raise BadChannel(f"{where}.{key} must be a list of at most {limit} buttons")
    buttons = [Button.from_json(b) for b in raw]
    for n, b in enumerate(buttons, start=1):
        if not b.name or len(b.name) > 28 or b.type not in BUTTON_TYPES:
            raise BadChannel(f"{where}.{key}[{n}] needs a name (at most 28) and a known type")
        if b.type == "WL" and not b.url_mobile:
            raise BadChannel(f"{where}.{key}[{n}] (WL) needs url_mobile")
    return buttons


def check(kind: str, part: Any, body: dict[str, Any], rules: KakaoRules,
          text_size: Any, *, abroad: bool = False) -> Outcome:
    """Check ``content[kind]`` and ``resend``/``recontent``; decide the report's outcome
    (``abroad``: the fallback's length was checked in characters, smscli.sim.bizppurio_abroad)."""
    where = f"content.{kind}"
    if not isinstance(part, dict):
        raise BadChannel(f"{where} is required")
    to = str(body.get("to", ""))
    failure = ""  # an RCS result code for what the platform refuses
    if kind in KAKAO:
        message = _text(part, "message", 1000, where=where)
        key = _text(part, "senderkey", 40, where=where)
        buttons = _buttons(part, where)
        if kind == "ft":
            for flag in ("adflag", "wide"):
                if part.get(flag, "N") not in ("Y", "N"):
                    raise BadChannel(f"{where}.{flag} must be Y or N")
            _text(part, "userkey", 30, where=where, required=False)
            image = part.get("image")
            if image is not None and not (isinstance(image, dict) and image.get("img_url")):
                raise BadChannel(f"{where}.image needs img_url")
            media = "KFW" if part.get("wide") == "Y" else ("KFP" if image else "KFT")
            refused = rules.refusal(sender_key=key, alimtalk=False)
        else:
            template = _text(part, "templatecode", 32, where=where)
            _buttons(part, where, key="quickreply", limit=10)
            _text(part, "title", 50, where=where, required=False)
            media = "KAT"
            refused = rules.refusal(sender_key=key, template=template, text=message, buttons=buttons)
    else:
        _text(part, "messagebaseid", 40, where=where)
        _text(part, "chatbotid", 40, where=where)
        header = part.get("header")
        if header not in ("0", "1"):
            raise BadChannel(f"{where}.header must be 0 or 1")
        if header == "1" and not part.get("footer"):
            raise BadChannel(f"{where}.footer is required with header 1 (advertising)")
        content = part.get("message", {})
        if not isinstance(content, dict):
            raise BadChannel(f"{where}.message must be an object")
        message = str(content.get("description", ""))
        base = str(part["messagebaseid"])
        media = {"SS000000": "RSS", "SL000000": "RLS"}.get(base, "RMS")
        if not base.startswith(("SS", "SL", "SM", "CM")):
            media = "RTS"
        refused = None
        failure = _rcs_failure(base, content, part.get("button"))
    resend = _resend(body, text_size, abroad=abroad)
    if refused is not None:
        code = REFUSAL_CODES[refused]
    elif failure:
        code = failure
    elif rules.missed(to):
        code = MISS_CODES[kind]
    else:
        return Outcome(media, DELIVERED[kind], text=message)
    if resend is None:
        return Outcome(media, code, text=message)
    first, fb_text = resend
    return Outcome(media, code, fallback=first, fallback_result=DELIVERED[first], text=fb_text)


def _rcs_failure(base: str, message: dict[str, Any], button: Any) -> str:
    """The RCS result code for what the platform refuses (document section 9), "" if none:
    8832 an image (``media``, a carousel's ``media1``...) that is not a ``maapfile://`` id,
    8882 an image on a base without media or suggestions that cannot be read, 8879 more
    cards of suggestions than the base has, 8878 more suggestions on a card than it takes."""
    for key, image in message.items():
        if not MEDIA_KEY.fullmatch(key) or image in (None, ""):
            continue
        if not isinstance(image, str) or not MAAPFILE_ID.fullmatch(image):
            return "8832"
        if base.startswith(("SS", "SL")):
            return "8882"
    cards = rcs_suggestions.parse_cards(button)
    if isinstance(cards, str):
        return "8882"
    if len(cards) > rcs_suggestions.cards_of(base):
        return "8879"
    if any(len(card) > rcs_suggestions.limit_for(base) for card in cards):
        return "8878"
    return ""


def _resend(body: dict[str, Any], text_size: Any, *, abroad: bool = False) -> tuple[str, str] | None:
    """(``resend.first``, its text) when the request asks for a fallback; BadChannel if malformed."""
    resend = body.get("resend")
    if resend is None:
        return None
    first = resend.get("first") if isinstance(resend, dict) else None
    if first not in RESEND_TYPES:
        raise BadChannel(f"resend.first must be one of {', '.join(RESEND_TYPES)}")
    recontent = body.get("recontent")
    part = recontent.get(first) if isinstance(recontent, dict) else None
    if not isinstance(part, dict):
        raise BadChannel(f"recontent.{first} is required with resend.first {first}")
    message = part.get("message", "")
    if first in ("sms", "lms", "mms"):
        if not isinstance(message, str) or (not message and first != "mms"):
            raise BadChannel(f"recontent.{first}.message is required")
        size = text_size(message)
        limit = 90 if first == "sms" else 2000
        if size < 0:
            raise BadChannel(f"recontent.{first}.message has characters EUC-KR cannot carry")
        if size > limit and not abroad:
            raise BadChannel(f"recontent.{first}.message is {size} bytes, {first} allows {limit}")
    return first, str(message) if not isinstance(message, dict) else str(message.get("description", ""))
