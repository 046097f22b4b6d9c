"""What the stand-in BIZCLIENT agent does with a FAX (MSG_TYPE 2) or PHONE (3) row.

:func:`check` is the agent's look before it takes the row (a 9xxx code, STATUS 3 at once):
every ATTACHED_FILE present in FILE_PATH (9017), not empty (9018) and of a type the manual
lists (§6: fax documents and images; a call's WAVE 8-bit 8 kHz mono) (9019), the VXML_FILE
present (9017), the texts in CP949 (9215), a call with TTS text or a WAVE (9021).
:func:`answer` is the far end's (after the send delay, STATUS 2), from the manual's result
tables: a fax 3200 with USE_PAGE the pages sent (a PDF's pages, one per other file, one for
the cover); a call to a landline 1200 (1202 with REPLY_FLAG, SN_RESULT the key pressed), to
a mobile 2201 (2202), USE_TIME its seconds (the WAVE's length, or the TTS read at five
characters a second); a scenario that is not VXML 1233 / 2233; a ``fail_rate`` share gets
one of the tables' failures, and a failed call with SMS_FLAG 1 its text sent as SMS (the
agent's ``record`` says so).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smscli.vendors.bizclient_db import safe_file_name

TYPES = (2, 3)
FAX_SUFFIXES = (".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".hwp", ".pdf", ".txt", ".html",
                ".htm", ".bmp", ".gif", ".jpg", ".jpeg", ".png")
FAX_DELIVERED = "3200"
FAX_FAILURES = ("3211", "3212", "3213", "3243")
PHONE_DELIVERED = {"landline": "1200", "mobile": "2201"}
PHONE_ANSWERED = {"landline": "1202", "mobile": "2202"}
PHONE_FAILURES = {"landline": ("1211", "1212", "1213", "1216"), "mobile": ("2211", "2212", "2213", "2216")}
BAD_VXML = {"landline": "1233", "mobile": "2233"}
NO_DATA = "3245"
OTHER_ERROR = {"landline": "1250", "mobile": "2250"}
TTS_CHARS_PER_SECOND = 5
DELIVERED = frozenset({FAX_DELIVERED, *PHONE_DELIVERED.values(), *PHONE_ANSWERED.values()})
# Every code this module can write (tests check smscli.codes knows each).
CODES = ("9017", "9018", "9019", "9021", "9215", FAX_DELIVERED, *FAX_FAILURES,
         *PHONE_DELIVERED.values(), *PHONE_ANSWERED.values(), *BAD_VXML.values(), NO_DATA,
         *OTHER_ERROR.values(),
         *(c for codes in PHONE_FAILURES.values() for c in codes))


@dataclass(frozen=True)
class Plan:
    """The far end's answer for a taken row: CALL_STATUS and USE_PAGE / USE_TIME / SN_RESULT."""

    code: str
    use_page: int = 0
    use_time: int = 0
    sn_result: int = 0
    sms: str = ""  # a failed call with SMS_FLAG 1: the text the gateway sends as SMS instead


def _names(row: Any) -> list[str]:
    return [n for n in str(row.ATTACHED_FILE or "").split("|") if n]


def check(row: Any, file_path: Path) -> str:
    """The agent's refusal code for a FAX / PHONE row, or "" when it can be taken."""
    msg_type = int(row.MSG_TYPE)
    try:
        (row.MSG_BODY or "").encode("cp949")
        (row.SUBJECT or "").encode("cp949")
    except UnicodeEncodeError:
        return "9215"
    names = _names(row)
    if msg_type == 2 and not names:
        return "9017"
    if msg_type == 3 and not names and not (row.MSG_BODY or "").strip():
        return "9021"
    for name in names:
        path = file_path / name
        if not safe_file_name(name) or not path.is_file():
            return "9017"
        data = path.read_bytes()
        if not data:
            return "9018"
        if msg_type == 2 and not name.lower().endswith(FAX_SUFFIXES):
            return "9019"
        if msg_type == 3 and not _wave_ok(data):
            return "9019"
    vxml = str(row.VXML_FILE or "")
    if msg_type == 3 and vxml and (not safe_file_name(vxml) or not (file_path / vxml).is_file()):
        return "9017"
    return ""


def _wave_seconds(data: bytes) -> float | None:
    from smscli import fax_voice_rules
    from smscli.errors import UsageError

    try:
        wave = fax_voice_rules.read_wave(data, "")
    except UsageError:
        return None
    return wave.seconds if (wave.bits, wave.rate, wave.channels) == (8, 8000, 1) else None


def _wave_ok(data: bytes) -> bool:
    return _wave_seconds(data) is not None


def pages(data: bytes, name: str) -> int:
    """Pages a file makes: a PDF's ``/Type /Page`` objects, else one."""
    if name.lower().endswith(".pdf"):
        return max(1, len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data)))
    return 1


def answer(row: Any, file_path: Path, fraction: Callable[[str], float], *, fail_rate: float) -> Plan:
    """The far end's answer; ``fraction(salt)`` is the seeded draw for this row. A file
    gone since the row was taken (an agent restarted): 3245 no data / 1250, 2250 other error."""
    try:
        return _answer(row, file_path, fraction, fail_rate=fail_rate)
    except OSError:
        if int(row.MSG_TYPE) == 2:
            return Plan(NO_DATA)
        return Plan(OTHER_ERROR["mobile" if str(row.DEST_PHONE or "").startswith("01") else "landline"])


def _answer(row: Any, file_path: Path, fraction: Callable[[str], float], *, fail_rate: float) -> Plan:
    msg_type = int(row.MSG_TYPE)
    failed = fraction("fail") < fail_rate
    if msg_type == 2:
        if failed:
            return Plan(FAX_FAILURES[int(fraction("code") * len(FAX_FAILURES))])
        sent = sum(pages((file_path / n).read_bytes(), n) for n in _names(row))
        return Plan(FAX_DELIVERED, use_page=sent + (1 if int(row.COVER_FLAG or 0) == 1 else 0))
    line = "mobile" if str(row.DEST_PHONE or "").startswith("01") else "landline"
    sms = str(row.MSG_BODY or "") if int(row.SMS_FLAG or 0) == 1 else ""
    vxml = str(row.VXML_FILE or "")
    if vxml and b"<vxml" not in (file_path / vxml).read_bytes()[:4096].lower():
        return Plan(BAD_VXML[line], sms=sms)
    if failed:
        codes = PHONE_FAILURES[line]
        return Plan(codes[int(fraction("code") * len(codes))], sms=sms)
    names = _names(row)
    seconds = _wave_seconds((file_path / names[0]).read_bytes()) if names else None
    if seconds is None:
        seconds = len(row.MSG_BODY or "") / TTS_CHARS_PER_SECOND
    use_time = max(1, math.ceil(seconds))
    if int(row.REPLY_FLAG or 0) == 1:
        return Plan(PHONE_ANSWERED[line], use_time=use_time, sn_result=int(fraction("answer") * 10))
    return Plan(PHONE_DELIVERED[line], use_time=use_time)
