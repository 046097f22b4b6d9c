"""BIZCLIENT Kakao rows: AlimTalk (MSG_TYPE 6) and FriendTalk (7), and their results.

A rendered Kakao message (``Message.channel``, see docs/DEVELOPING.md) becomes the
manual's columns (spec ``002_…`` §3.2, §5.4.4–5.4.8): SENDER_KEY, TEMPLATE_CODE (AlimTalk),
NATION_CODE (profile ``kakao_nation_code``, default 82), AD_FLAG (FriendTalk), TIMEOUT,
and the fallback the gateway sends itself when Kakao cannot deliver: RE_TYPE (``SMS``, or
``MMS`` for LMS and MMS, the manual's two), RE_BODY, RE_PART ``G``, SUBJECT (the LMS/MMS
subject) and its images in ATTACHED_FILE. Buttons (and a FriendTalk image) go in a JSON
file ``{"button": [...], "image": {...}}``, EUC-KR as the manual asks, written into the
agent's FILE_PATH and named first in ATTACHED_FILE.

A finished row reads back as: CALL_STATUS 7000 delivered on Kakao; another 7xxx (or an
agent error) failed on Kakao; a 4xxx (SMS) or 6xxx (LMS/MMS) code on a Kakao row is the
fallback's result (STATUS 11 meanwhile, which is not final).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from smscli.errors import ConfigError
from smscli.models import DELIVERED, FAILED, Message, Report

MSG_TYPES = {"alimtalk": 6, "alimtalk-image": 6, "friendtalk": 7}
KINDS = {6: "alimtalk", 7: "friendtalk"}  # MSG_TYPE -> the channel named in reports
RE_TYPES = {"sms": "SMS", "lms": "MMS", "mms": "MMS"}  # the manual: RE_TYPE SMS/MMS
RE_PART = "G"  # the gateway falls back (C: the client would)
DEFAULT_NATION = "82"
MAX_CHARS = 1000  # AlimTalk / FriendTalk text, in characters
FALLBACK_BYTES = {"sms": 90, "lms": 2000, "mms": 2000}  # CP949
SUBJECT_BYTES = 64
MAX_IMAGES = 3
KAKAO_DELIVERED = "7000"
FALLBACK_DELIVERED = {"4100": "sms", "6600": "lms"}
# Column lengths of the v1.3 manual, for a table whose lengths the database does not say.
MANUAL_LENGTHS = {"SENDER_KEY": 40, "TEMPLATE_CODE": 30, "NATION_CODE": 5, "TIMEOUT": 4,
                  "RE_TYPE": 3, "RE_BODY": 2000, "RE_PART": 1, "AD_FLAG": 1, "ATTACHED_FILE": 1000,
                  "USER_KEY": 30}
IMAGE_NAME = "smscli-" + "0" * 40 + ".jpg"  # how long a stored image's name is
_HANGUL_FILLER = b"\xa4\xd4"  # starts EUC-KR's 8-byte make-up of a syllable outside KS X 1001


class Invalid(Exception):
    """A message that cannot be queued as it is (it gets ``invalid``)."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(f"{message} ({hint})" if hint else message)


def encoded_size(text: str, what: str, codec: str = "cp949") -> int:
    """Bytes of ``text`` in ``codec``; Invalid naming the characters it cannot carry."""
    return len(encode(text, what, codec))


def encode(text: str, what: str, codec: str = "cp949") -> bytes:
    try:
        data = text.encode(codec)
    except UnicodeEncodeError:
        data = b""
    if codec == "euc_kr" and _HANGUL_FILLER in data:
        data = b""  # Python spells other syllables as 8-byte sequences the agent does not read
    if data or not text:
        return data
    bad = sorted({ch for ch in text if not _carries(ch, codec)})
    shown = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in bad[:5])
    name = "EUC-KR" if codec == "euc_kr" else "CP949"
    raise Invalid(f"the {what} has characters the agent cannot send (not in {name}): {shown}")


def _carries(ch: str, codec: str) -> bool:
    try:
        data = ch.encode(codec)
    except UnicodeEncodeError:
        return False
    return not (codec == "euc_kr" and _HANGUL_FILLER in data and ch != "\u3164")


@dataclass(frozen=True)
class KakaoRow:
    """The columns of one Kakao row, the files to write into FILE_PATH first (name ->
    bytes, named in ATTACHED_FILE before the images) and the fallback's JPEG images."""

    fields: dict[str, Any]
    files: dict[str, bytes]
    images: tuple[Path, ...] = ()


def nation_code(profile: Any) -> str:
    """The profile's ``kakao_nation_code`` (default 82): 1-5 digits, else ConfigError."""
    code = str(profile.get("kakao_nation_code") or DEFAULT_NATION).strip().lstrip("+")
    if not (code.isdigit() and code.isascii() and 1 <= len(code) <= 5):
        raise ConfigError(f"profile '{getattr(profile, 'name', '?')}': kakao_nation_code must be 1-5 digits "
                          f"(NATION_CODE), not {code!r}")
    return code


def kakao_row(message: Message, *, nation: str, columns: Mapping[str, int | None]) -> KakaoRow:
    """The BIZ_MSG columns for a rendered Kakao message. ``columns``: BIZ_MSG's columns
    with their lengths (None: not known). Raises Invalid with the reason."""
    ch = message.channel
    if ch is None or getattr(ch, "kind", "") != "kakao" or message.type not in MSG_TYPES:
        raise Invalid(f"BIZCLIENT sends sms, lms, mms, alimtalk, alimtalk-image or friendtalk, not {message.type!r}")
    alimtalk = MSG_TYPES[message.type] == 6
    text = message.text or ch.body
    if not text:
        raise Invalid("the message text is empty")
    if len(text) > MAX_CHARS:
        raise Invalid(f"{message.type} text is {len(text)} characters; at most {MAX_CHARS}")
    encoded_size(text, "message text")
    if not ch.sender_key:
        raise Invalid("no Kakao sender key", hint="set kakao_sender_key in the profile")
    if alimtalk and not ch.template:
        raise Invalid("an AlimTalk message needs its template code", hint="use --template")
    if ch.title:
        raise Invalid("BIZCLIENT has no column for the AlimTalk title (the manual carries none)",
                      hint="send it without --title, or through bizppurio")
    if ch.wide:
        raise Invalid("BIZCLIENT has no wide FriendTalk image (the manual carries none)")
    if getattr(ch, "quick_replies", ()):
        raise Invalid("BIZCLIENT has no AlimTalk quick replies (the manual carries none)")
    fields: dict[str, Any] = {"MSG_TYPE": MSG_TYPES[message.type], "MSG_BODY": text,
                              "SENDER_KEY": ch.sender_key, "NATION_CODE": nation,
                              "TEMPLATE_CODE": ch.template or None, "SUBJECT": None}
    if not alimtalk:
        fields["AD_FLAG"] = "Y" if ch.ad else "N"
        if ch.user_key:
            fields["USER_KEY"] = ch.user_key
    if ch.timeout is not None:
        fields["TIMEOUT"] = str(ch.timeout)
    images: tuple[Path, ...] = ()
    if ch.fallback is not None:
        images = _fallback(fields, ch.fallback, text)
    files = _button_file(ch)
    fields["ATTACHED_FILE"] = "|".join(files) or None  # the vendor adds the images' names
    _check_lengths({**fields, "ATTACHED_FILE": "|".join([*files, *(IMAGE_NAME for _ in images)]) or None},
                   columns)
    kept = {k: v for k, v in fields.items() if v is not None or k in ("SUBJECT", "ATTACHED_FILE")}
    return KakaoRow(kept, files, images)


def _fallback(fields: dict[str, Any], fallback: Any, text: str) -> tuple[Path, ...]:
    kind = getattr(fallback, "type", "")
    if kind not in RE_TYPES:
        raise Invalid(f"the fallback type must be sms, lms or mms, not {kind!r}")
    body = fallback.body or text
    size = encoded_size(body, "fallback text")
    if size > FALLBACK_BYTES[kind]:
        raise Invalid(f"the {kind.upper()} fallback text is {size} bytes (CP949); at most {FALLBACK_BYTES[kind]}")
    images = tuple(Path(p) for p in fallback.images) if kind == "mms" else ()
    if kind == "mms" and not images:
        raise Invalid("an MMS fallback needs its image")
    if len(images) > MAX_IMAGES:
        raise Invalid(f"the MMS fallback has {len(images)} images; BIZCLIENT MMS takes at most {MAX_IMAGES}")
    if kind != "sms" and fallback.subject:
        if encoded_size(fallback.subject, "fallback subject") > SUBJECT_BYTES:
            raise Invalid(f"the fallback subject is longer than {SUBJECT_BYTES} bytes (CP949)")
        fields["SUBJECT"] = fallback.subject
    fields.update(RE_TYPE=RE_TYPES[kind], RE_BODY=body, RE_PART=RE_PART)
    return images


def _button_file(ch: Any) -> dict[str, bytes]:
    """``{name: bytes}`` of the JSON file for the buttons and image, or {} without them.
    The name derives from the content, so a re-run writes the same file."""
    if not ch.buttons and not ch.image_url:
        return {}
    name, data = _button_json(ch.buttons, ch.image_url, ch.image_link)
    return {name: data}


@functools.lru_cache(maxsize=256)  # most sends have one set of buttons for every row
def _button_json(buttons: tuple[Any, ...], image_url: str, image_link: str) -> tuple[str, bytes]:
    obj: dict[str, Any] = {}
    if buttons:
        obj["button"] = [b.to_json() for b in buttons]
    if image_url:
        obj["image"] = {"img_url": image_url, **({"img_link": image_link} if image_link else {})}
    data = encode(json.dumps(obj, ensure_ascii=False, separators=(",", ":")), "buttons", "euc_kr")
    return f"smscli-{hashlib.sha256(data).hexdigest()[:40]}.json", data


def _check_lengths(fields: Mapping[str, Any], columns: Mapping[str, int | None]) -> None:
    for name, value in fields.items():
        if value is None or name not in MANUAL_LENGTHS:
            continue
        if name not in columns:
            raise Invalid(f"table BIZ_MSG has no {name} column, which Kakao messages need",
                          hint="create the table with `smscli bizclient init-db`, or update the agent's")
        limit = columns[name] or MANUAL_LENGTHS[name]
        if len(str(value)) > limit:
            raise Invalid(f"{name} {value!r} is {len(str(value))} characters; the table's {name} holds {limit}"
                          if name != "RE_BODY" else f"RE_BODY is longer than the table's {limit} characters")


def row_kind(row: Any, kinds: Mapping[int, str]) -> tuple[int, str] | None:
    """(MSG_TYPE, its kind in ``kinds``) of a BIZ_MSG / log row, or None for another type."""
    try:
        msg_type = int(row.MSG_TYPE)
    except (AttributeError, TypeError, ValueError):
        return None
    kind = kinds.get(msg_type)
    return None if kind is None else (msg_type, kind)


def kakao_report(report: Report, row: Any, meaning: Callable[[str, str], str]) -> Report:
    """``report`` (read from a finished row) as a Kakao report when the row is one:
    ``channel`` and, after a fallback, ``fallback`` {"type", "status"}; the row's
    MSG_TYPE / RE_TYPE / RE_PART and the channel kept in ``extra``."""
    found = row_kind(row, KINDS)
    if found is None:
        return report
    msg_type, kind = found
    code = report.code
    re_type = str(getattr(row, "RE_TYPE", "") or "").strip().upper()
    extra = {**report.extra, "msg_type": str(msg_type), "call_status": code}
    if re_type:
        extra.update(re_type=re_type, re_part=str(getattr(row, "RE_PART", "") or ""))
    fallback_type = _fallback_type(code, str(getattr(row, "ATTACHED_FILE", "") or ""))
    if fallback_type is None:
        delivered = code == KAKAO_DELIVERED
        extra["channel"] = kind
        detail = report.detail if not delivered else meaning(code, f"delivered on {kind}")
        return replace(report, status=DELIVERED if delivered else FAILED, channel=kind, detail=detail,
                       delivered_at=report.delivered_at if delivered else "", extra=extra)
    delivered = code in FALLBACK_DELIVERED
    status = DELIVERED if delivered else FAILED
    channel = fallback_type if delivered else kind
    extra.update(channel=channel, fallback_type=fallback_type, fallback_status=status)
    outcome = "delivered" if delivered else f"not delivered (CALL_STATUS {code})"
    detail = f"{meaning(code, outcome)} (the {fallback_type.upper()} fallback; {kind} was not delivered)"
    return replace(report, status=status, channel=channel, detail=detail,
                   fallback={"type": fallback_type, "status": status},
                   delivered_at=report.delivered_at if delivered else "", extra=extra)


def _fallback_type(code: str, attached: str) -> str | None:
    """The fallback that wrote ``code`` (an SMS 4xxx / MMS 6xxx code), or None for a
    Kakao code (7xxx) or an agent error (9xxx)."""
    if len(code) != 4 or not code.isdigit() or code[0] not in "46":
        return None
    if code[0] == "4":
        return "sms"
    has_image = any(name.lower().endswith((".jpg", ".jpeg")) for name in attached.split("|"))
    return "mms" if has_image else "lms"
