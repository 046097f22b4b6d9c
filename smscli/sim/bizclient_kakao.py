"""What the stand-in BIZCLIENT agent does with a Kakao row (MSG_TYPE 6 AlimTalk, 7 FriendTalk).

:func:`check` is the agent's own look at the row before it takes it (a 9xxx code, STATUS 3
at once): sender key and template code present, the text in CP949, RE_TYPE SMS or MMS,
every ATTACHED_FILE in FILE_PATH, a JSON one in EUC-KR holding ``{"button": ...,
"image": ...}``. :func:`answer` is Kakao's (after the send delay, STATUS 2): a refusal by
the :class:`~smscli.sim.kakao.KakaoRules` with Daou's code (7103 sender key, 7315 unknown
template, 7204 text or buttons unlike the template, 7314 too long, 7101 buttons Kakao cannot
show), final; a recipient not
on Kakao gets 7318 (AlimTalk) / 7203 (FriendTalk) and, with RE_TYPE, the fallback the
gateway sends itself (STATUS 11 meanwhile); else 7000.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smscli.content import Button
from smscli.sim.kakao import KakaoRules, Refusal
from smscli.vendors.bizclient_db import safe_file_name

KAKAO_TYPES = (6, 7)
DELIVERED = "7000"
MISSED = {6: "7318", 7: "7203"}  # not on Kakao / not a friend of the channel
REFUSED = {Refusal.SENDER_KEY: "7103", Refusal.TEMPLATE: "7315", Refusal.TEXT: "7204",
           Refusal.BUTTONS: "7204"}
TOO_LONG = "7314"
BAD_FORMAT = "7101"
MAX_BUTTONS = 5
BUTTON_NAME = 28
BUTTON_TYPES = frozenset({"WL", "AL", "DS", "BK", "MD", "BC", "BT", "AC", "P1", "P2", "P3"})
MAX_CHARS = 1000
FALLBACK_TYPES = {"SMS": 0, "MMS": 5}  # RE_TYPE -> the MSG_TYPE the fallback goes as
FALLBACK_BYTES = {0: 90, 5: 2000}
MAX_IMAGE = 60 * 1024
# Every code this module can write (tests check smscli.codes knows each).
CODES = ("9015", "9016", "9017", "9018", "9019", "9020", "9021", "9027", "9215",
         DELIVERED, *MISSED.values(), *REFUSED.values(), TOO_LONG, BAD_FORMAT)


@dataclass(frozen=True)
class Plan:
    """Kakao's answer for a taken row, and the fallback to send after it (a MSG_TYPE,
    0 SMS or 5 MMS; None: none) with its text."""

    code: str
    fallback: int | None = None
    text: str = ""


def check(row: Any, file_path: Path) -> str:
    """The agent's refusal code for a Kakao row, or "" when it can be taken."""
    if not (row.SENDER_KEY or "").strip():
        return "9015"
    if int(row.MSG_TYPE) == 6 and not (row.TEMPLATE_CODE or "").strip():
        return "9016"
    body = row.MSG_BODY or ""
    if not body:
        return "9021"
    try:
        body.encode("cp949")
        (row.RE_BODY or "").encode("cp949")
    except UnicodeEncodeError:
        return "9215"
    re_type = (row.RE_TYPE or "").strip().upper()
    if re_type and re_type not in FALLBACK_TYPES:
        return "9020"
    for name in [n for n in str(row.ATTACHED_FILE or "").split("|") if n]:
        code = _check_file(file_path, name, mms=re_type == "MMS")
        if code:
            return code
    return ""


def _check_file(file_path: Path, name: str, *, mms: bool) -> str:
    path = file_path / name
    if not safe_file_name(name) or not path.is_file():
        return "9017"
    data = path.read_bytes()
    if not data:
        return "9018"
    lower = name.lower()
    if lower.endswith((".jpg", ".jpeg")) and mms:
        return "9027" if len(data) > MAX_IMAGE else ""
    if not lower.endswith(".json"):
        return "9019"
    try:
        read_attachment(data)
    except UnicodeDecodeError:
        return "9215"
    except ValueError:
        return "9020"
    return ""


def read_attachment(data: bytes) -> tuple[list[Button], dict[str, str]]:
    """The buttons and the image of a button file (EUC-KR JSON ``{"button": [...] or
    {...}, "image": {...}}``). ValueError when it is not one (UnicodeDecodeError: not EUC-KR)."""
    obj = json.loads(data.decode("euc_kr"))
    if not isinstance(obj, dict) or not ({"button", "image"} & obj.keys()):
        raise ValueError("not a button file")
    raw = obj.get("button", [])
    raw = [raw] if isinstance(raw, dict) else raw
    image = obj.get("image", {})
    if not isinstance(raw, list) or not all(isinstance(b, dict) and b.get("name") and b.get("type")
                                            for b in raw) or not isinstance(image, dict):
        raise ValueError("not a button file")
    return [Button.from_json(b) for b in raw], {str(k): str(v) for k, v in image.items()}


def buttons_of(row: Any, file_path: Path) -> list[Button]:
    """The buttons a (checked) row names in ATTACHED_FILE."""
    out: list[Button] = []
    for name in str(row.ATTACHED_FILE or "").split("|"):
        if name.lower().endswith(".json"):
            out.extend(read_attachment((file_path / name).read_bytes())[0])
    return out


def buttons_shown(buttons: list[Button]) -> bool:
    """Whether Kakao can show these buttons: at most 5, each a known type with a name of
    at most 28 characters and the fields its type needs (AL: two of its three)."""
    if len(buttons) > MAX_BUTTONS:
        return False
    for b in buttons:
        if b.type not in BUTTON_TYPES or not 0 < len(b.name) <= BUTTON_NAME:
            return False
        have = {k for k, v in b.to_json().items() if v}
        if b.type == "AL" and len(have & {"scheme_ios", "scheme_android", "url_mobile"}) < 2:
            return False
        if b.type == "WL" and "url_mobile" not in have:
            return False
    return True


def answer(row: Any, file_path: Path, rules: KakaoRules, *, missed: bool) -> Plan:
    """Kakao's answer for a checked row (``missed``: the recipient is not on Kakao) and,
    when it is a failure of any kind, the fallback the row asks for (manual 5.1.8: "알림톡/
    친구톡 발송결과 실패 시" the RE_TYPE message is sent), as Bizppurio's simulator does."""
    body = row.MSG_BODY or ""
    code = _failure(row, body, file_path, rules, missed=missed)
    if code == DELIVERED:
        return Plan(DELIVERED)
    fallback = FALLBACK_TYPES.get((row.RE_TYPE or "").strip().upper())
    text = row.RE_BODY or body  # the manual: an empty RE_BODY sends MSG_BODY
    if fallback is None or len(text.encode("cp949")) > FALLBACK_BYTES[fallback]:
        return Plan(code)  # the manual: an SMS fallback too long is not sent
    return Plan(code, fallback, text)


def _failure(row: Any, body: str, file_path: Path, rules: KakaoRules, *, missed: bool) -> str:
    """Kakao's result code for a checked row: DELIVERED, or why it was not."""
    if len(body) > MAX_CHARS:
        return TOO_LONG
    buttons = buttons_of(row, file_path)
    if not buttons_shown(buttons):
        return BAD_FORMAT
    refusal = rules.refusal(sender_key=row.SENDER_KEY or "", template=row.TEMPLATE_CODE or "", text=body,
                            buttons=buttons, alimtalk=int(row.MSG_TYPE) == 6)
    if refusal is not None:
        return REFUSED[refusal]
    return MISSED[int(row.MSG_TYPE)] if missed else DELIVERED
