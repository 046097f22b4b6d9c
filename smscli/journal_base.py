"""What every part of the journal shares: its errors, the states a claim distinguishes,
and small helpers (times as ISO text, id chunks, WHERE filters, message rows)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from smscli.errors import ExitStatus, SmscliError
from smscli.journal_schema import SCHEMA_VERSION
from smscli.models import CANCELLED, DELIVERED, FAILED, INVALID, PENDING, QUEUED, REJECTED, UNKNOWN

# A known id in one of these states is claimed again (it was never accepted) ...
RECLAIMABLE = frozenset({QUEUED, PENDING, UNKNOWN, REJECTED, INVALID})
# ... but one in these may have reached the vendor: where the vendor cannot de-duplicate it
# is held back (``HELD``) instead, unless the caller accepts the risk.
MAYBE_SENT = frozenset({PENDING, UNKNOWN})
# Pseudo-states :meth:`Journal.claim` returns besides the stored ones.
OWNED = "owned"  # another live smscli process holds the id: not claimed
HELD = "held"  # maybe handed over before, the vendor cannot tell: now ``unknown``, not claimed
LEASE_SECONDS = 120.0  # how long an owner on another host counts as alive without news
# States a late send result must not overwrite (a report or the user decided them).
FINAL = frozenset({DELIVERED, FAILED, CANCELLED})
_IN_CHUNK = 500  # ids per "IN (...)" lookup


class JournalError(SmscliError):
    """The journal cannot be opened or written (corrupt file, full disk, locked too long)."""

    exit_status = ExitStatus.CONFIG


class JournalUnreachable(JournalError):
    """The shared journal's server cannot be reached (refused, timed out, no such host):
    exit 4, as for a vendor; nothing was sent."""

    exit_status = ExitStatus.UNREACHABLE
    retryable = True


class JournalGone(JournalError):
    """The shared journal's server went away in the middle of an operation: nothing more is
    handed to a vendor; a re-run once it is back sends only what was not accepted."""

    exit_status = ExitStatus.UNREACHABLE
    retryable = True


class Cursor(Protocol):
    """What the journal's code needs of a cursor inside a write transaction."""

    rowcount: int

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any: ...


def _now_iso() -> str:
    from smscli.timeutil import now_kst, to_iso

    return to_iso(now_kst())


def _iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    from smscli.timeutil import to_iso

    return to_iso(value)


def _json_list(values: Sequence[str]) -> str:
    import json

    return json.dumps(list(values), ensure_ascii=False) if values else "[]"


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _by_ids(cur: Cursor, sql: str, ids: Iterable[str], *, before: Sequence[Any] = (),
            after: Sequence[Any] = ()) -> int:
    """Run ``sql`` (``{marks}`` stands for the ``IN`` list) for ``ids``, 500 at a time, with
    ``before`` and ``after`` as the other parameters; returns the rows it changed."""
    changed = 0
    for part in _chunks(list(ids)):
        cur.execute(sql.format(marks=",".join("?" * len(part))), [*before, *part, *after])
        changed += cur.rowcount
    return changed



def _filters(
    *, status: str | Collection[str] | None, vendor: str | None,
    since: datetime | str | None = None, profile: str | None = None,
) -> tuple[list[str], list[Any]]:
    """WHERE terms and their parameters: state(s), vendor, created at or after ``since``
    (messages) and profile, each when given."""
    where: list[str] = []
    params: list[Any] = []
    if status is not None:
        states = [status] if isinstance(status, str) else list(status)
        where.append(f"status IN ({','.join('?' * len(states))})")
        params.extend(states)
    if vendor is not None:
        where.append("vendor = ?")
        params.append(vendor)
    if since is not None:
        where.append("created_at >= ?")
        params.append(_iso(since))
    if profile is not None:
        where.append("profile = ?")
        params.append(profile)
    return where, params


def from_json_list(text: str) -> list[str]:
    """What :func:`_json_list` wrote; an empty list (most messages have no images or file
    keys) without importing json, as it was written."""
    if text == "[]":
        return []
    import json

    return json.loads(text)


def _message_dict(row: Sequence[Any]) -> dict[str, Any]:
    (mid, vendor, profile, to, mtype, text, subject, sender, images, keys, send_at, status, code,
     detail, server_id, attempts, held, created_at, updated_at, delivered_at) = row  # fmt: skip
    return {
        "id": mid, "vendor": vendor, "profile": profile, "to": to, "type": mtype, "text": text,
        "subject": subject, "sender": sender, "images": from_json_list(images),
        "file_keys": from_json_list(keys), "send_at": send_at, "status": status, "code": code,
        "detail": detail, "server_id": server_id, "attempts": attempts, "held": bool(held),
        "created_at": created_at, "updated_at": updated_at, "delivered_at": delivered_at or "",
    }  # fmt: skip


class EmptyJournal:
    """What :meth:`Journal.open_for_reading` gives where there is no journal yet: it knows
    no message, run or opt-out, and holds no file."""

    readonly = True

    def __init__(self, location: str = "", backend: str = "sqlite") -> None:
        self.location = location  # where the journal would be (password-free)
        self.backend = backend

    def check_info(self) -> dict[str, Any]:
        """As :meth:`Journal.check_info`: reachable, but no schema yet (version 0)."""
        return {"backend": self.backend, "location": self.location, "reachable": True,
                "schema": 0, "current": SCHEMA_VERSION, "counts": {}}

    def list_messages(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        return []

    def list_runs(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        return []

    def iter_messages(self, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        return iter(())

    def iter_results(self, *args: Any, **kwargs: Any) -> Iterator[tuple[Any, ...]]:
        return iter(())

    def iter_ids(self, *args: Any, **kwargs: Any) -> Iterator[list[str]]:
        return iter(())

    def report_values(self, *args: Any, **kwargs: Any) -> set[str]:
        return set()

    def get(self, message_id: str) -> None:
        return None

    def recipients_of(self, ids: Sequence[str]) -> dict[str, tuple[str, str, str, str, str]]:
        return {}

    def suppressed(self, phones: Iterable[str]) -> set[str]:
        return set()

    def is_suppressed(self, phone: str) -> bool:
        return False

    def iter_suppression(self) -> Iterator[dict[str, str]]:
        return iter(())

    def close(self) -> None:
        pass
