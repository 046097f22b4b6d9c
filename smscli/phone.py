"""Korean phone numbers: normalisation and validation with reasons a person can act on.

``normalize`` turns ``010-1234-5678``, ``+82 10 1234 5678``, ``82-10-...``,
``(010) 1234 5678``, ``010.1234.5678`` into ``01012345678``. It never raises and is
idempotent; validation is separate:

- :func:`validate_recipient` — mobile (010, 011, 016–019) and wired numbers (02, area
  codes 031–064, 070 internet phones, 0502–0508 personal numbers);
- :func:`validate_sender` — all of those plus 080 free-call and the 8-digit 15xx/16xx/18xx
  company numbers (callback numbers cannot receive messages).

Both return the normalised number or raise :class:`InvalidNumber` (a ``ValueError``),
whose ``reason`` is e.g. ``"too short (9 digits; a 010 number has 11)"``.

Numbers outside Korea are written in E.164 with ``+`` (``+1 415 555 0100``; spaces and
dashes allowed) and normalise to ``+14155550100``: their kind is ``international`` (a
known country code, :mod:`smscli.countries`, and at most 15 digits). A recipient may be one
only where the vendor sends abroad (``validate_recipient(..., abroad=True)``); otherwise
:class:`Abroad` is raised. ``+82`` numbers stay domestic (``01012345678``).
"""

from __future__ import annotations

import unicodedata

from smscli import countries
from smscli.text import InvalidInput

MOBILE_PREFIXES = frozenset({"010", "011", "016", "017", "018", "019"})
AREA_CODES = frozenset(
    {"02", "031", "032", "033", "041", "042", "043", "044"}
    | {"051", "052", "053", "054", "055", "061", "062", "063", "064"}
)
CALLBACK_PREFIXES = frozenset({"15", "16", "18"})

# What a person may put between digits: spaces, dashes of every kind, dots, parentheses.
_SEPARATORS = str.maketrans(
    "", "", " \t\r\n-.()/\u00a0\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u3000\ufe63\uff0d"
)

# Kinds; recipients accept the first four.
MOBILE = "mobile"
LANDLINE = "landline"
INTERNET = "internet"  # 070
PERSONAL = "personal"  # 050x
FREECALL = "freecall"  # 080
CALLBACK = "callback"  # 15xx/16xx/18xx
INTERNATIONAL = "international"  # +CC..., outside Korea
_LABELS = {FREECALL: "080 free-call", CALLBACK: "15xx/16xx/18xx callback-only", INTERNATIONAL: "foreign"}
E164_DIGITS = 15  # at most, country code included
RECIPIENT_KINDS = frozenset({MOBILE, LANDLINE, INTERNET, PERSONAL})
SENDER_KINDS = RECIPIENT_KINDS | {FREECALL, CALLBACK}


class InvalidNumber(InvalidInput):
    """A number we will not send to/from; ``number`` as given, ``reason`` why."""

    def __init__(self, number: str, reason: str) -> None:
        super().__init__(reason)
        self.number = number

    def __str__(self) -> str:
        return f"invalid number {self.number!r}: {self.reason}"


class Abroad(InvalidNumber):
    """A valid number outside Korea, for a vendor that does not send abroad."""

    def __init__(self, number: str, reason: str = "a number outside Korea") -> None:
        super().__init__(number, reason)


def normalize(number: str) -> str:
    """Strip separators and the +82/0082/82 country prefix; keep anything else as is.

    Idempotent: ``normalize(normalize(x)) == normalize(x)`` for every string.
    """
    if number.isdigit() and number.isascii() and number[:1] == "0" and number[:4] != "0082":
        return number  # already normal (the common case): no NFKC, no translation
    current = number
    for _ in range(8):
        nxt = _normalize_once(current)
        if nxt == current:
            break
        current = nxt
    return current


def _normalize_once(number: str) -> str:
    s = unicodedata.normalize("NFKC", number).translate(_SEPARATORS)
    rest = None
    if s.startswith("+82"):
        rest = s[3:]
    elif s.startswith("0082") and s[4:].isdigit():
        rest = s[4:]
    elif s.startswith("82") and s.isdigit() and len(s) >= 10:
        rest = s[2:]
    if rest is not None and rest.isdigit():
        return "0" + rest.lstrip("0")
    return s


def classify(number: str) -> tuple[str | None, str, str | None]:
    """``(kind, normalised, reason)``: kind is None and reason says why when invalid."""
    n = normalize(number)
    reason = _shape_problem(n)
    if reason:
        return None, n, reason
    kind, reason = _kind(n)
    return kind, n, reason


def _shape_problem(n: str) -> str | None:
    if not n:
        return "empty number"
    if n.isdigit() and n.isascii():
        return None
    if any(ch.isalpha() for ch in n):
        return "letters in number"
    if n.startswith("+") and n[1:].isdigit() and n[1:].isascii():
        return None
    if n.startswith("+"):
        return "not a number (write one outside Korea as + and digits: +1 415 555 0100)"
    bad = next(ch for ch in n if not (ch.isdigit() and ch.isascii()))
    return f"unexpected character {bad!r} in number"


def _length(n: str, what: str, allowed: tuple[int, ...]) -> str | None:
    if len(n) in allowed:
        return None
    want = " or ".join(str(a) for a in allowed)
    word = "too short" if len(n) < min(allowed) else "too long"
    return f"{word} ({len(n)} digits; {what} has {want})"


def _international(n: str) -> tuple[str | None, str | None]:
    """An E.164 number ``+digits`` (not +82, which normalises to a domestic one)."""
    digits = n[1:]
    parts = countries.split(digits)
    if parts is None:
        return None, f"unknown country code in {n} (+{digits[:3]}...)"
    code, national = parts
    if len(digits) > E164_DIGITS:
        return None, f"too long ({len(digits)} digits with the country code; at most {E164_DIGITS})"
    if code == "1" and len(national) != 10:
        return None, f"a +1 number has 10 digits after the 1, not {len(national)}"
    if len(national) < 4:
        return None, f"too short ({len(national)} digits after +{code})"
    return INTERNATIONAL, None


def split_international(number: str) -> tuple[str, str]:
    """``(country code, national number)`` of a valid number outside Korea
    (``+1 415 555 0100`` → ``("1", "4155550100")``); InvalidNumber for any other."""
    kind, n, reason = classify(number)
    if kind != INTERNATIONAL:
        raise InvalidNumber(number, reason or "not a number outside Korea")
    parts = countries.split(n[1:])
    assert parts is not None
    return parts


def is_international(number: str) -> bool:
    """Whether ``number`` (as written or normalised) is a number outside Korea."""
    return normalize(number).startswith("+")


def _kind(n: str) -> tuple[str | None, str | None]:
    if n[0] == "+":
        return _international(n)
    if n[0] != "0":
        if n[:2] in CALLBACK_PREFIXES:
            reason = _length(n, f"a {n[:2]}xx number", (8,))
            return (None, reason) if reason else (CALLBACK, None)
        if len(n) < 8:
            return None, f"too short ({len(n)} digits)"
        return None, "not a Korean number (domestic numbers start with 0)"
    if len(n) < 3:
        return None, f"too short ({len(n)} digits)"
    if n.startswith("01"):
        prefix = n[:3]
        if prefix not in MOBILE_PREFIXES:
            return None, f"unknown mobile prefix {prefix}"
        allowed = (11,) if prefix == "010" else (10, 11)
        reason = _length(n, f"a {prefix} number", allowed)
        return (None, reason) if reason else (MOBILE, None)
    if n.startswith("02"):
        reason = _length(n, "a Seoul (02) number", (9, 10))
        return (None, reason) if reason else (LANDLINE, None)
    prefix = n[:3]
    if prefix in AREA_CODES:
        reason = _length(n, f"a {prefix} number", (10, 11))
        return (None, reason) if reason else (LANDLINE, None)
    if prefix == "070":
        reason = _length(n, "a 070 number", (11,))
        return (None, reason) if reason else (INTERNET, None)
    if prefix == "050":
        if len(n) < 4 or n[3] not in "2345678":
            return None, f"unknown personal-number prefix {n[:4]}"
        reason = _length(n, f"a {n[:4]} number", (11, 12))
        return (None, reason) if reason else (PERSONAL, None)
    if prefix == "080":
        reason = _length(n, "an 080 number", (10, 11))
        return (None, reason) if reason else (FREECALL, None)
    return None, f"unknown area code {prefix}"


def recipient_problem(number: str) -> str | None:
    """Why ``number`` cannot receive a message, or None when it can."""
    return _recipient(number)[1]


def _recipient(number: str) -> tuple[str, str | None]:
    """``(normalised, problem or None)``: one normalisation for both."""
    return _recipient_of(*classify(number))


def _recipient_of(kind: str | None, n: str, reason: str | None) -> tuple[str, str | None]:
    """:func:`_recipient` of what :func:`classify` said."""
    if reason:
        return n, reason
    if kind == INTERNATIONAL:
        return n, "a number outside Korea"
    if kind not in RECIPIENT_KINDS:
        return n, f"{_LABELS.get(kind, kind)} numbers cannot receive messages"
    return n, None


def sender_problem(number: str) -> str | None:
    """Why ``number`` cannot be a sender/callback number, or None when it can."""
    kind, _, reason = classify(number)
    if kind == INTERNATIONAL or (reason and number.strip().startswith("+")):
        return "not a Korean number (a sender number is a Korean one)"
    if reason:
        return reason
    return None if kind in SENDER_KINDS else f"{_LABELS.get(kind, kind)} numbers cannot send"


def validate_recipient(number: str, *, abroad: bool = False) -> str:
    """Normalised recipient number, or raise :class:`InvalidNumber`; a valid number
    outside Korea is one (``+14155550100``) with ``abroad``, else :class:`Abroad`."""
    if len(number) == 11 and number[:3] == "010" and number.isdigit() and number.isascii():
        return number  # a 010 number as it should be (most rows): what classify() says of it
    kind, n, reason = classify(number)
    if kind == INTERNATIONAL:
        if not abroad:
            raise Abroad(number)
        return n
    n, reason = _recipient_of(kind, n, reason)
    if reason:
        raise InvalidNumber(number, reason)
    return n


def validate_sender(number: str) -> str:
    """Normalised sender (callback) number, or raise :class:`InvalidNumber`."""
    reason = sender_problem(number)
    if reason:
        raise InvalidNumber(number, reason)
    return normalize(number)
