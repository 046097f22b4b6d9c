"""Advertising rules (정보통신망법 §50): what ``send --ad`` / ``reserve --ad`` add and refuse.

An advertisement starts with "(광고)" and the sender's name (profile ``ad_name``) and
ends with the free opt-out number, "무료거부 {optout_number}" (profile
``optout_number``); the length check and the SMS/LMS choice apply to that text, the text
as it will be sent. Between 21:00 and 08:00 Korea time an advertisement is not sent
(nor reserved for then) unless the recipients agreed to night-time advertising
(``--night-consent``). Time comes from :mod:`smscli.clock`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from smscli.errors import UsageError

if TYPE_CHECKING:
    from smscli.config import Profile
    from smscli.models import Message

PREFIX = "(광고)"
OPTOUT_WORDS = "무료거부"
NIGHT_STARTS = 21  # hour, Korea time: from 21:00 ...
NIGHT_ENDS = 8  # ... until 08:00
NIGHT_HOLD = "advertising is not sent between 21:00 and 08:00"


def _literal(value: str) -> str:
    """``value`` as literal template text (its braces doubled)."""
    return value.replace("{", "{{").replace("}", "}}")


def ad_template(body: str, *, ad_name: str, optout_number: str) -> str:
    """The template ``body`` as an advertisement: "(광고)NAME" on the first line, the text,
    "무료거부 NUMBER" on the last. What ``body`` already has of them is not repeated."""
    head = f"{PREFIX}{_literal(ad_name.strip())}"
    tail = f"{OPTOUT_WORDS} {_literal(optout_number.strip())}"
    text = body.strip("\r\n")
    if not text.lstrip().startswith(PREFIX):
        text = f"{head}\n{text}"
    if not text.rstrip().endswith(tail):
        text = f"{text}\n{tail}"
    return text


def profile_template(body: str, prof: Profile) -> str:
    """``body`` as an advertisement with ``prof``'s ``ad_name`` and ``optout_number``
    (a ConfigError, exit 3, naming the key that is missing)."""
    ad_name = str(prof.require("ad_name"))
    optout_number = str(prof.require("optout_number"))
    return ad_template(body, ad_name=ad_name, optout_number=optout_number)


def is_night(when: datetime) -> bool:
    """Whether ``when`` (aware) falls between 21:00 and 08:00 Korea time."""
    from smscli import clock

    hour = when.astimezone(clock.KST).hour
    return hour >= NIGHT_STARTS or hour < NIGHT_ENDS


def check_night(at: datetime | None, *, night_consent: bool) -> None:
    """Refuse (UsageError, exit 2) an advertisement sent now, or reserved for ``at``,
    between 21:00 and 08:00 Korea time, unless ``night_consent``."""
    from smscli import clock

    if night_consent:
        return
    when = at if at is not None else clock.now()
    if not is_night(when):
        return
    what = "reserved for" if at is not None else "sent at"
    raise UsageError(
        f"advertising may not be {what} {when.astimezone(clock.KST):%H:%M} Korea time "
        f"(not between {NIGHT_STARTS}:00 and {NIGHT_ENDS:02d}:00 without the recipients' consent)",
        hint="--night-consent if they agreed to night-time advertising; nothing was sent")


def morning_after(when: datetime) -> datetime:
    """08:00 Korea time after ``when`` (the same day before 08:00, else the next)."""
    from smscli import clock

    local = when.astimezone(clock.KST)
    morning = local.replace(hour=NIGHT_ENDS, minute=0, second=0, microsecond=0)
    return morning if local.hour < NIGHT_ENDS else morning + timedelta(days=1)


def night_note(count: int, until: datetime) -> str:
    return (f"{NIGHT_HOLD} without the recipients' consent: {count} advertisement(s) held until "
            f"{until:%Y-%m-%d %H:%M} (Korea time); `smscli reserve flush` sends them then")


class Daytime:
    """The messages of an advertising send while it is day in Korea: at 21:00 it stops
    (``stopped`` is the message it held back, ``resumes_at`` the next 08:00) and the send
    holds the rest as reservations for then. The clock is read per message (about a
    microsecond each)."""

    def __init__(self, messages: Iterator[Message]) -> None:
        self.messages = messages
        self.stopped: list[Message] = []  # the one held back (the send holds the rest after it)
        self.resumes_at: datetime | None = None

    def __iter__(self) -> Iterator[Message]:
        from smscli import clock

        for msg in self.messages:
            now = clock.now()
            if is_night(now):
                self.stopped, self.resumes_at = [msg], morning_after(now)
                return
            yield msg
