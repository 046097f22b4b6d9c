"""080 opt-outs: the numbers that refused, kept in the journal's ``suppression`` table.

Every send skips them (``invalid``, "opted out (080)") unless ``--ignore-optout``. They
come from the vendor (OneShot's SpamReq), from delivery reports whose code says the
recipient refused (Daou's 4431, 6626, 6627 at Bizppurio and BIZCLIENT: see
:func:`refusal_codes`), and from people (``smscli optout add|import``); each entry keeps
its source and date.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import BinaryIO

# Daou's result tables (smscli.codes.daou_results) shared by these vendors.
DAOU_VENDORS = ("bizppurio", "bizclient")
REFUSED_WORDS = "수신거부"  # "the recipient refuses", in the code's Korean meaning
MANUAL = "manual"  # the source of `smscli optout add`


@cache
def refusal_codes(vendor: str) -> frozenset[str]:
    """The result codes of ``vendor`` that mean the recipient refused (opted out)."""
    if vendor not in DAOU_VENDORS:
        return frozenset()
    from smscli import codes

    return frozenset(e.code for e in codes.all_entries(vendor) if REFUSED_WORDS in e.meaning)


def refused(vendor: str, code: str) -> bool:
    """Whether a report from ``vendor`` with ``code`` says the recipient refused."""
    return bool(code) and code in refusal_codes(vendor)


def refusal_source(vendor: str, code: str) -> str:
    return f"{vendor} result {code}"


def read_numbers(stream: BinaryIO, name: str) -> Iterator[tuple[int, str, str]]:
    """(line, number, 080 number) from ``stream``: one number per line, or a CSV whose header
    names a phone column (``phone``, ``to``, ``number``, ``수신번호``: smscli.recipients reads
    it) and maybe a ``deny_no`` column (what ``optout export`` writes); UTF-8 or CP949. Blank
    lines and ``#`` comments are skipped; numbers come as written."""
    from smscli.recipients import PHONE_COLUMNS, CsvInput

    first = stream.readline()
    header = _decode(first).strip().lstrip("\ufeff").casefold()
    if any(c.strip().strip('"') in PHONE_COLUMNS for c in header.split(",")):
        with CsvInput(_Prepended(first, stream), name) as rows:
            for row in rows:
                if row.phone:
                    yield row.line_no, row.phone, (row.vars.get("deny_no") or "").strip()
        return
    line_no = 1
    for raw in _chain(first, stream):
        line = _decode(raw).strip().lstrip("\ufeff")
        if line and not line.startswith("#"):
            yield line_no, line, ""
        line_no += 1


def _chain(first: bytes, rest: BinaryIO) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def _decode(raw: bytes) -> str:
    for enc in ("utf-8", "cp949"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


class _Prepended:
    """A binary stream that gives ``head`` before the rest of ``stream``."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head, self._stream = head, stream

    def read(self, size: int = -1) -> bytes:
        if self._head:
            data, self._head = self._head, b""
            return data
        return self._stream.read(size)

    def close(self) -> None:
        self._stream.close()


@dataclass(frozen=True)
class OptOut:
    """One number on the opt-out list: the 080 number it opted out through (``deny_no``,
    "" when not known), where the entry came from (``source``: ``oneshot SpamReq``,
    ``bizppurio result 4431``, ``manual``, ``import FILE``) and when (``at``, ISO 8601)."""

    phone: str
    deny_no: str
    source: str
    at: str

    def to_json(self) -> dict[str, str]:
        return {"phone": self.phone, "deny_no": self.deny_no, "source": self.source, "at": self.at}


def checked_numbers(numbers: Iterable[str] | Iterable[tuple[int, str]], where: str = "") -> list[str]:
    """The numbers, normalised, each a valid recipient; a UsageError naming the first bad
    one (with its line for ``(line, number)`` pairs from ``where``), so nothing is added."""
    from smscli.errors import UsageError
    from smscli.phone import InvalidNumber, validate_recipient

    out: list[str] = []
    for item in numbers:
        line, number = item if isinstance(item, tuple) else (0, item)
        try:
            out.append(validate_recipient(number))
        except InvalidNumber as exc:
            at = f"{where} line {line}: " if line else ""
            raise UsageError(f"{at}{exc}", hint="nothing was changed") from None
    return out
