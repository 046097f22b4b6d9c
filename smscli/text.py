"""Message text rules: CP949 byte counting, SMS/LMS/MMS choice, subjects, ``{column}`` templates.

Vendors count message length in EUC-KR bytes; in practice they accept the CP949
superset (all 11,172 Hangul syllables), so every count here is
``len(text.encode("cp949"))``. Nothing here raises ``UsageError``: bad input raises
:class:`InvalidInput` (a ``ValueError``) whose ``reason`` the send pipeline reports as an
``invalid`` row (or turns into a usage error when it applies to the whole run).
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache

SMS_BYTES = 90
LMS_BYTES = 2000
SUBJECT_BYTES = 64
MESSAGE_TYPES = ("auto", "sms", "lms", "mms")


class InvalidInput(ValueError):
    """Input that cannot be sent as given; ``reason`` is a short, user-facing sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TextError(InvalidInput):
    """Message text, subject or type that a vendor cannot carry."""


class TemplateError(InvalidInput):
    """A ``{column}`` template that is malformed or names a column the row lacks."""


def normalize_text(text: str) -> str:
    """Compose decomposed Hangul (NFC), as macOS files often hold jamo sequences CP949 lacks.

    Call this on message text and subjects before counting or sending them.
    """
    return unicodedata.normalize("NFC", text)


def byte_length(text: str) -> int:
    """CP949 bytes of ``text`` (what vendors count). A character CP949 cannot encode
    counts as one byte (the ``?`` a vendor would substitute); see :func:`unencodable`.
    CP949 keeps ASCII as it is, one byte a character: ASCII text is counted without the codec."""
    if text.isascii():
        return len(text)
    try:
        return len(text.encode("cp949"))
    except UnicodeEncodeError:
        return len(text.encode("cp949", errors="replace"))


def unencodable(text: str) -> list[str]:
    """The distinct characters of ``text`` CP949 cannot carry (emoji, most symbols outside
    KS X 1001, decomposed jamo...), in order of first appearance; ``[]`` when all fit."""
    try:
        text.encode("cp949")
        return []
    except UnicodeEncodeError:
        pass
    found: dict[str, None] = {}
    for ch in text:
        if ch in found:
            continue
        try:
            ch.encode("cp949")
        except UnicodeEncodeError:
            found[ch] = None
    return list(found)


def describe_chars(chars: Sequence[str], limit: int = 5) -> str:
    """``'😀' (U+1F600), '€' (U+20AC)`` for error messages; at most ``limit`` shown."""
    shown = [f"{ch!r} (U+{ord(ch):04X})" for ch in chars[:limit]]
    if len(chars) > limit:
        shown.append(f"and {len(chars) - limit} more")
    return ", ".join(shown)


def check_subject(subject: str, limit: int = SUBJECT_BYTES) -> None:
    """Raise :class:`TextError` unless ``subject`` is one line of at most ``limit`` CP949 bytes."""
    bad = unencodable(subject)
    if bad:
        raise TextError(f"subject has characters CP949 cannot carry: {describe_chars(bad)}")
    if "\n" in subject or "\r" in subject:
        raise TextError("subject must be a single line")
    n = byte_length(subject)
    if n > limit:
        raise TextError(f"subject is {n} bytes; at most {limit} bytes (CP949) are allowed")


def choose_type(
    text: str,
    images: Sequence[object] = (),
    requested: str = "auto",
    sms_bytes: int = SMS_BYTES,
    lms_bytes: int = LMS_BYTES,
    *,
    subject: str = "",
) -> str:
    """Pick ``"sms"``, ``"lms"`` or ``"mms"`` for a message, or raise :class:`TextError`.

    ``auto``: images → mms; else at most ``sms_bytes`` → sms; else lms. A non-empty
    ``subject`` makes ``auto`` choose lms (an SMS has no subject line). An explicit
    ``requested`` type is checked, never silently changed. Limits are the vendor's
    (``Vendor.limits``). The subject itself is checked with :func:`check_subject`.
    """
    return choose_type_sized(text, images, requested, sms_bytes, lms_bytes, subject=subject)[0]


def choose_type_sized(
    text: str,
    images: Sequence[object] = (),
    requested: str = "auto",
    sms_bytes: int = SMS_BYTES,
    lms_bytes: int = LMS_BYTES,
    *,
    subject: str = "",
) -> tuple[str, int]:
    """:func:`choose_type` and the CP949 size of ``text``, from one encoding of it."""
    kind = requested if requested in MESSAGE_TYPES else (requested or "auto").strip().lower()
    if kind not in MESSAGE_TYPES:
        raise TextError(f"unknown message type {requested!r} (use auto, sms, lms or mms)")
    try:
        size = len(text.encode("cp949"))
    except UnicodeEncodeError:
        raise TextError(
            f"message has characters CP949 cannot carry: {describe_chars(unencodable(text))}; "
            "remove or replace them (--allow-unicode sends them as they are)"
        ) from None
    if subject:
        check_subject(subject)
    if kind == "auto":
        if images:
            kind = "mms"
        elif size <= sms_bytes and not subject:
            kind = "sms"
        else:
            kind = "lms"
    if images and kind != "mms":
        raise TextError(f"an {kind.upper()} cannot carry images (use type mms or auto)")
    if kind == "mms" and not images:
        raise TextError("an MMS needs at least one image")
    if kind != "mms" and not text.strip():
        raise TextError("message is empty")
    if kind == "sms":
        if size > sms_bytes:
            raise TextError(
                f"message is {size} bytes; an SMS carries at most {sms_bytes} bytes (CP949) "
                "(use type auto or lms)"
            )
        if subject:
            raise TextError("an SMS has no subject (drop the subject or use type lms)")
    elif size > lms_bytes:
        raise TextError(
            f"message is {size} bytes; an {kind.upper()} carries at most {lms_bytes} bytes (CP949)"
        )
    return kind, size


# --- templates ----------------------------------------------------------------------

_BRACE = r"[{}]"  # patterns compiled on first use (re's cache), not at import
_NOT_PLAIN = r"[:!\[\]{}]"


class Template:
    """A parsed ``{column}`` template. ``{{`` and ``}}`` are literal braces.

    Variables are plain column names (any text without ``: ! [ ] { }``, surrounding
    spaces ignored); there are no format specs, conversions or attribute lookups, so a
    template can never reach Python objects. Lookup is exact, then case-insensitive.
    """

    __slots__ = ("source", "names", "_parts", "_format", "_order", "_single", "_pick")

    def __init__(self, source: str) -> None:
        self.source = source
        self._parts = _parse(source)
        found = dict.fromkeys(name for _, name in self._parts if name is not None)
        self.names: tuple[str, ...] = tuple(found)
        # For rows that have every variable under its exact name: one ``%`` formatting.
        self._order = tuple(name for _, name in self._parts if name is not None)
        self._single = len(self._order) == 1  # itemgetter gives a value, not a tuple
        self._pick = operator.itemgetter(*self._order) if self._order else None
        self._format = "".join(literal.replace("%", "%%") + ("%s" if name is not None else "")
                               for literal, name in self._parts)

    def missing(self, columns: Sequence[str]) -> list[str]:
        """The template's variables that none of ``columns`` provides."""
        folded = {c.casefold() for c in columns}
        have = set(columns)
        return [n for n in self.names if n not in have and n.casefold() not in folded]

    def render(self, row: Mapping[str, str]) -> str:
        """Fill the variables from ``row``; a missing column raises :class:`TemplateError`."""
        if not self.names:
            return self._parts[0][0] if self._parts else ""
        try:  # a plain dict (no __missing__) with every variable under its exact name: one C call
            values = self._pick(row) if type(row) is dict else None
        except KeyError:
            values = None
        if values is not None:
            if self._single:
                values = (values,)
            if None not in values:
                return self._format % values
        out: list[str] = []
        folded: dict[str, str] | None = None
        for literal, name in self._parts:
            out.append(literal)
            if name is None:
                continue
            value = row.get(name)
            if value is None:
                if folded is None:
                    folded = {str(k).casefold(): str(k) for k in row}
                key = folded.get(name.casefold())
                if key is None:
                    cols = ", ".join(str(k) for k in row) or "none"
                    raise TemplateError(
                        f"no column {name!r} for {{{name}}} in the message template (columns: {cols})"
                    )
                value = row[key]
            out.append(str(value))
        return "".join(out)


def _parse(template: str) -> list[tuple[str, str | None]]:
    """Split into (literal, variable-or-None) pairs; raise TemplateError on bad braces."""
    parts: list[tuple[str, str | None]] = []
    literal: list[str] = []
    i, n = 0, len(template)
    while i < n:
        m = re.compile(_BRACE).search(template, i)
        if m is None:
            literal.append(template[i:])
            break
        j = m.start()
        literal.append(template[i:j])
        if template.startswith("{{", j) or template.startswith("}}", j):
            literal.append(template[j])
            i = j + 2
            continue
        if template[j] == "}":
            raise TemplateError(
                f"single '}}' at position {j + 1} of the message template: write '}}}}' for a "
                "literal '}'"
            )
        end = template.find("}", j + 1)
        nxt = template.find("{", j + 1)
        if end < 0 or 0 <= nxt < end:
            raise TemplateError(
                f"unclosed '{{' at position {j + 1} of the message template "
                f"({_excerpt(template, j)}): write '{{{{' for a literal '{{', or {{column}} for a "
                "CSV column"
            )
        raw = template[j + 1 : end]
        name = raw.strip()
        if not name:
            raise TemplateError(
                f"empty variable '{{{raw}}}' at position {j + 1} of the message template names no "
                "column: write {column} for a CSV column, or '{{' and '}}' for literal braces"
            )
        if re.search(_NOT_PLAIN, name):
            raise TemplateError(
                f"'{{{raw}}}' at position {j + 1} of the message template is not understood: a "
                "variable is a plain column name such as {name}, without formats (:), conversions "
                "(!) or indexes ([]); write '{{' and '}}' for literal braces"
            )
        parts.append(("".join(literal), name))
        literal = []
        i = end + 1
    parts.append(("".join(literal), None))
    return parts


def _excerpt(template: str, at: int, width: int = 20) -> str:
    """``'hello {name'``: the text from the brace at ``at``, cut at ``width`` characters."""
    part = template[at : at + width]
    return repr(part + ("..." if len(template) > at + width else ""))


@lru_cache(maxsize=64)
def compile_template(template: str) -> Template:
    """Parse once (cached); check ``.missing(header)`` before sending, then ``.render(row)``."""
    return Template(template)


def render_template(template: str, row: Mapping[str, str]) -> str:
    """Fill ``{column}`` variables of ``template`` from ``row`` (see :class:`Template`)."""
    return compile_template(template).render(row)
