"""Vendor result and error codes: look a code up, search meanings, describe a vendor's result.

Cheap to import: the tables (one data module per vendor, see ``_schema``) load on first use.
Every entry knows its vendor, table, code, Korean meaning (as the vendor's document writes
it), English meaning, a category (``CATEGORIES``) and whether resending may succeed.
Daou's result tables are both Bizppurio's and BIZCLIENT's, so a lookup shows one match
for each.
"""

from __future__ import annotations

import importlib
from collections import namedtuple

from smscli.codes._schema import CATEGORIES, split_codes

# Not dataclasses or typing: importing them costs more than a whole ``smscli code lookup``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from smscli.codes._schema import Table

__all__ = [
    "CATEGORIES",
    "VENDORS",
    "CodeEntry",
    "all_entries",
    "describe",
    "lookup",
    "nearest",
    "normalize_code",
    "normalize_vendor",
    "search",
    "tables",
]

VENDORS = ("oneshot", "bizppurio", "netshot", "bizclient")
# The sandbox vendor speaks OneShot to the built-in simulator: its codes are OneShot's.
_ALIASES = {"sandbox": "oneshot"}

_JSON_FIELDS = ("vendor", "table", "code", "meaning", "meaning_en", "category", "retryable")


_ENTRY_FIELDS = (
    "vendor",  # str
    "table",  # str
    "code",  # str
    "meaning",  # str: Korean, as the vendor's document writes it
    "meaning_en",  # str
    "category",  # str: one of CATEGORIES
    "retryable",  # bool: resending the same message later, unchanged, may succeed
    "source",  # str, default "": the document and section the table comes from
    "note",  # str, default "": where this row differs from that source, OCR fixes
)


class CodeEntry(namedtuple("CodeEntry", _ENTRY_FIELDS, defaults=("", ""))):
    """One code of one vendor's table (immutable)."""

    __slots__ = ()

    def to_json(self) -> dict[str, Any]:
        """The contract's "code lookup" object: exactly these seven fields."""
        return {name: getattr(self, name) for name in _JSON_FIELDS}


_tables: dict[str, tuple[Table, ...]] = {}
_entries: dict[str, tuple[CodeEntry, ...]] = {}


def normalize_vendor(vendor: str | None) -> str | None:
    """Check a vendor name (case-insensitive); ``sandbox`` means OneShot's codes."""
    if vendor is None:
        return None
    name = vendor.strip().lower()
    name = _ALIASES.get(name, name)
    if name not in VENDORS:
        from smscli.errors import UsageError

        raise UsageError(
            f"unknown vendor {vendor!r}",
            hint=f"choose from: {', '.join(VENDORS)} (sandbox uses oneshot's codes)",
        )
    return name


def normalize_code(code: str) -> str:
    """``" 04100 "`` -> ``"4100"``; letters upper-cased (``kat`` -> ``KAT``)."""
    text = str(code).strip()
    if text.isdigit() and text.isascii():
        return str(int(text))
    return text.upper()


def tables(vendor: str) -> tuple[Table, ...]:
    """The raw tables of one vendor, rows as the documents print them."""
    name = normalize_vendor(vendor)
    assert name is not None
    if name not in _tables:
        _tables[name] = importlib.import_module(f"smscli.codes.{name}").TABLES
    return _tables[name]


def _vendor_entries(vendor: str) -> tuple[CodeEntry, ...]:
    if vendor not in _entries:
        _entries[vendor] = tuple(
            CodeEntry(vendor, table.name, code, row.meaning, row.meaning_en, row.category,
                      row.retryable, table.source, row.note)
            for table in tables(vendor)
            for row in table.rows
            for code in split_codes(row.codes)
        )
    return _entries[vendor]


def _scope(vendor: str | None) -> tuple[str, ...]:
    name = normalize_vendor(vendor)
    return (name,) if name else VENDORS


def all_entries(vendor: str | None = None) -> list[CodeEntry]:
    """Every entry, vendor by vendor, tables and rows in document order."""
    return [e for v in _scope(vendor) for e in _vendor_entries(v)]


def lookup(code: str, vendor: str | None = None) -> list[CodeEntry]:
    """Every entry with this code (one per vendor and table that knows it)."""
    wanted = normalize_code(code)
    return [e for e in all_entries(vendor) if e.code == wanted]


def _squash(text: str) -> str:
    return "".join(text.casefold().split())


def search(text: str, vendor: str | None = None) -> list[CodeEntry]:
    """Entries whose Korean or English meaning contains ``text``.

    Case-insensitive; spacing is ignored too, because the documents space Korean
    inconsistently ("음영지역" / "음영 지역").
    """
    needle = text.casefold().strip()
    squashed = _squash(text)
    if not squashed:
        return []
    found = []
    for entry in all_entries(vendor):
        for hay in (entry.meaning, entry.meaning_en):
            if needle in hay.casefold() or squashed in _squash(hay):
                found.append(entry)
                break
    return found


def nearest(code: str, vendor: str | None = None, n: int = 5) -> list[str]:
    """The ``n`` known codes closest to ``code``: numerically for numbers, else by spelling."""
    wanted = normalize_code(code)
    known = list(dict.fromkeys(e.code for e in all_entries(vendor)))
    if wanted.isdigit():
        target = int(wanted)
        numeric = [c for c in known if c.isdigit()]
        numeric.sort(key=lambda c: (abs(int(c) - target), int(c)))
        return numeric[:n]
    from difflib import SequenceMatcher

    def closeness(candidate: str) -> tuple[float, str]:
        return (-SequenceMatcher(None, wanted, candidate).ratio(), candidate)

    return sorted(known, key=closeness)[:n]


def _preference(vendor: str) -> tuple[str, ...]:
    return importlib.import_module(f"smscli.codes.{vendor}").PREFERENCE


def describe(vendor: str, code: str, table: str | None = None) -> CodeEntry | None:
    """What ``code`` means in ``vendor``'s results, or None when the code is unknown.

    Without ``table``, the vendor's preferred tables are tried in order (OneShot: the
    send/report table, so pass ``table="login"`` for a BindRes; Bizppurio: the API
    answer codes, then the result tables; NetShot: resultCode, then sendCode;
    BIZCLIENT: the result tables, then STATUS, then MSG_TYPE). When a table lists one
    code twice (Daou's 9023), the meanings are joined with " / ".
    """
    name = normalize_vendor(vendor)
    assert name is not None
    wanted = normalize_code(code)
    entries = _vendor_entries(name)
    if table is not None:
        known = [t.name for t in tables(name)]
        if table not in known:
            from smscli.errors import UsageError

            raise UsageError(f"{name} has no code table {table!r}", hint=f"tables: {', '.join(known)}")
        order: tuple[str, ...] = (table,)
    else:
        order = _preference(name)
    for table_name in order:
        hits = [e for e in entries if e.table == table_name and e.code == wanted]
        if hits:
            return _merge(hits)
    return None


def _merge(hits: list[CodeEntry]) -> CodeEntry:
    if len(hits) == 1:
        return hits[0]
    first = hits[0]
    return CodeEntry(
        first.vendor,
        first.table,
        first.code,
        " / ".join(e.meaning for e in hits),
        " / ".join(e.meaning_en for e in hits),
        first.category,
        all(e.retryable for e in hits),
        first.source,
        first.note,
    )
