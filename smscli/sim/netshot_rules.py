"""BizNetShot simulator: the constants, the records it keeps (:class:`Accepted`,
:class:`Account`) and the checks of one send form (numbers, content and file, the
reservation window), as :meth:`smscli.sim.netshot.NetshotSim.handle_send` applies them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")
SEND_PATH = "/corp/send_message.php"
MAX_RECIPIENTS = 1500
MAX_FILE_BYTES = 100_000
CORPFRCODE_MAX = 20
SMS_BYTES = 80
MIN_AHEAD = timedelta(minutes=30)
MAX_AHEAD = timedelta(days=30)
# resultCode values used for simulated failures (document section 3.2)
FAILURE_CODES = ("101", "103", "104", "106", "109", "110", "117")
# the simulator's own tariff: (page, price) per message type
TARIFF = {"sms": ("1", "1"), "lms": ("3", "3"), "mms": ("6", "6")}
ANSWER_KEYS = ("sendCode", "corpfrcode", "reserveTime", "mergeUse", "fromNumber", "toNumber",
               "subject", "etc1", "etc2", "etc3")
ACCOUNT_STATES = {"active": "300", "suspended": "203", "waiting": "204"}


@dataclass(frozen=True)
class Accepted:
    """One accepted (corpfrcode, number) pair."""

    corpfrcode: str
    number: str
    type: str
    reserve_at: datetime | None


@dataclass
class Account:
    password: str
    state: str = "active"  # active | suspended (203) | waiting (204)


def digits(number: str) -> str:
    """The number without hyphens/spaces if it looks like a phone number, else ""."""
    compact = number.replace("-", "").replace(" ", "")
    return compact if compact.isdigit() and 8 <= len(compact) <= 12 else ""


def hyphenate(number: str) -> str:
    """``01012345678`` → ``010-1234-5678`` (the document's format for sendNumber)."""
    if len(number) == 11:
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    if len(number) == 10:
        return f"{number[:3]}-{number[3:6]}-{number[6:]}"
    return number


def check_numbers(numbers: list[str], valid: list[str]) -> str:
    if len(numbers) > MAX_RECIPIENTS:
        return "306"
    if not valid:
        return "303"
    if len({digits(n) for n in valid}) != len(valid):
        return "305"
    return "300"


def check_content(form: dict[str, str], file: tuple[str, bytes] | None) -> str:
    if "contents" not in form and file is None:
        return "304"
    if not form.get("contents", "").strip():
        return "307"
    if file is None:
        return "300"
    name, data = file
    if not name.lower().endswith((".jpg", ".jpeg")):
        return "401"
    if len(data) > MAX_FILE_BYTES:
        return "402"
    if not data.startswith(b"\xff\xd8\xff"):
        return "403"
    return "300"


def reservation(form: dict[str, str], now: datetime) -> datetime | None:
    """The reservation time in KST if the fields are valid and 30 min – 30 days ahead."""
    try:
        when = datetime(*(int(form.get(k, "")) for k in ("ryear", "rmonth", "rday", "rhour", "rmin")),
                        tzinfo=KST)
    except (TypeError, ValueError):
        return None
    if not now + MIN_AHEAD <= when <= now + MAX_AHEAD:
        return None
    return when

