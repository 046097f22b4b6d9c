"""The shape of the code-table data modules (plain tuples, cheap to import).

Each data module defines ``TABLES``: a tuple of ``Table``. A row lists one or more
codes that share a meaning: the documents print rows such as ``3213 3214`` or
``2200, 2212``; those are kept as one row (so row counts match the documents) and
become one entry per code.
"""

from __future__ import annotations

from collections import namedtuple  # not typing.NamedTuple: importing typing is slow

CATEGORIES = (
    "delivered",  # the message reached the handset / was answered
    "accepted",  # accepted or still in progress; no final result yet
    "temporary",  # the recipient could not be reached now (powered off, busy, no coverage...)
    "permanent",  # the recipient can never get it as addressed (wrong number, refused...)
    "spam",  # blocked as spam, opted out, sender number blocked by an anti-spoofing service
    "auth",  # account, password, IP, sender key or sender-number registration problem
    "quota",  # rate, time-window, volume or balance limit
    "format",  # the request or its data is malformed / not allowed; also type tables
    "system",  # the vendor's or carrier's own failure
)


_ROW_FIELDS = (
    "codes",  # str: one code, or several separated by spaces / commas
    "meaning",  # str: Korean, as the document writes it (obvious OCR slips fixed)
    "meaning_en",  # str
    "category",  # str: one of CATEGORIES
    "retryable",  # bool: sending the same message again later, unchanged, may succeed
    "note",  # str, default "": where this row's text comes from when not the table's source; OCR fixes
)
_TABLE_FIELDS = (
    "name",  # str
    "title",  # str: what the table is, in English
    "source",  # str: document and section the rows come from
    "rows",  # tuple[Row, ...]
)


class Row(namedtuple("Row", _ROW_FIELDS, defaults=("",))):
    """One row of a document's table."""

    __slots__ = ()


class Table(namedtuple("Table", _TABLE_FIELDS)):
    """One code table of one vendor."""

    __slots__ = ()


def split_codes(codes: str) -> tuple[str, ...]:
    """``"2200, 2212"`` -> ``("2200", "2212")``."""
    return tuple(c for c in codes.replace(",", " ").split() if c)
