"""What ``result show`` and ``result stats`` say, built from the journal: one message's
story (its row, each state change, every report with the vendor's fields, its fallbacks),
and statistics with each code's meaning and category from :mod:`smscli.codes`.
Secrets (a Kakao sender key in the content, anything key-like a vendor sent) are masked.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from smscli.errors import SmscliError
from smscli.journal_history import UnknownMessage

if TYPE_CHECKING:
    from smscli.journal import Journal

_ROW = ('id, vendor, profile, "to", type, kind, text, subject, sender, images, file_keys, send_at, '
        "status, code, detail, server_id, attempts, held, tag, name, parent, telecom, content, "
        "created_at, updated_at")
# What each state means as a step of the story.
STEPS = {
    "queued": "journaled", "pending": "handed to the vendor", "scheduled": "scheduled",
    "accepted": "accepted by the vendor", "rejected": "rejected by the vendor",
    "invalid": "refused before sending", "unknown": "no answer from the vendor",
    "delivered": "delivered", "failed": "not delivered", "cancelled": "cancelled",
}


def meaning(vendor: str, code: str) -> dict[str, str]:
    """``{"meaning", "category"}`` of a vendor's code ("" for both when unknown)."""
    from smscli import codes

    if not code:
        return {"meaning": "", "category": ""}
    try:
        entry = codes.describe(vendor, code) if codes.normalize_vendor(vendor) else None
    except (LookupError, ValueError, AssertionError, SmscliError):
        entry = None
    return {"meaning": entry.meaning if entry else "", "category": entry.category if entry else ""}


def story(journal: Journal, message_id: str) -> dict[str, Any]:
    """One message as one JSON object: the row as journaled, ``history`` (each state
    change, report and fallback, in time order, each with ``at`` and ``event``),
    ``reports`` (the vendor's fields whole) and ``fallbacks`` (the children)."""
    from smscli.masking import mask_tree

    rows = journal._query(f"SELECT {_ROW} FROM messages WHERE id = ?", (message_id,))
    if not rows:
        near = journal.nearest_ids(message_id)
        raise UnknownMessage(f"no message {message_id!r} in the journal"
                             + (f"; nearest ids: {', '.join(near)}" if near else ""),
                             hint="see `smscli result list --id 'PREFIX*'`" if near else None)
    names = [n.strip().strip('"') for n in _ROW.split(",")]
    row = dict(zip(names, rows[0], strict=True))
    vendor = row["vendor"]
    out: dict[str, Any] = {"message_id": row.pop("id")}
    for key in ("images", "file_keys"):
        row[key] = json.loads(row[key] or "[]")
    content = row.pop("content")
    row["content"] = mask_tree(json.loads(content)) if content else None
    row["held"] = bool(row["held"])
    row["send_at"] = row["send_at"] or ""
    out.update(row)
    out.update(meaning(vendor, row["code"]))
    history: list[dict[str, Any]] = []
    reports = _reports(journal, message_id)
    report_marks = {(r["received_at"], r["code"]) for r in reports}
    events = journal._query("SELECT at, state, code, detail FROM events WHERE message_id = ? "
                            "ORDER BY rowid", (message_id,)) if journal.has_table("events") else []
    if not events:  # a journal from before the events table: what the row itself says
        events = [(row["created_at"], "journaled", "", "")]
        if row["updated_at"] != row["created_at"]:
            events.append((row["updated_at"], row["status"], row["code"], row["detail"]))
    for i, (at, state, code, detail) in enumerate(events):
        if state in ("delivered", "failed") and (at, code) in report_marks:
            continue  # the report's own entry says it
        step = STEPS.get(state, state)
        if i == 0 and state == "pending":
            step = "journaled, handed to the vendor"
        elif i > 0 and state in ("pending", "queued") and events[i - 1][1] != "queued":
            step = f"claimed again ({step})"
        history.append({"at": at, "event": step, "state": state, "code": code, "detail": detail,
                        **meaning(vendor, code)})
    shown_reports = []
    for rep in reports:
        try:
            extra = json.loads(rep["raw"] or "{}")
        except ValueError:
            extra = {}
        extra = extra if isinstance(extra, dict) else {}
        item: dict[str, Any] = {"at": rep["received_at"], "event": "report", "state": rep["status"],
                                "code": rep["code"], "detail": rep["detail"],
                                **meaning(rep["vendor"], rep["code"]),
                                "delivered_at": rep["delivered_at"], "server_id": rep["server_id"]}
        for key in ("channel", "fallback"):  # a column of its own, or one of the vendor's fields
            value = rep.get(key) or extra.pop(key, None)
            if value:
                item[key] = json.loads(value) if isinstance(value, str) and value[:1] == "{" else value
        if not rep["matched"]:
            item["unmatched"] = True
        item["extra"] = mask_tree(extra)
        history.append(item)
        shown_reports.append(item)
    fallbacks = [
        {"message_id": mid, "type": mtype, "status": status, "code": code, "detail": detail,
         "created_at": created, **meaning(vendor, code)}
        for mid, mtype, status, code, detail, created in journal._query(
            "SELECT id, type, status, code, detail, created_at FROM messages "
            "WHERE parent = ? AND parent != '' ORDER BY created_at, rowid", (message_id,))
    ]
    for child in fallbacks:
        history.append({"at": child["created_at"], "event": "fallback", "state": child["status"],
                        "code": child["code"], "detail": child["detail"], "meaning": child["meaning"],
                        "category": child["category"], "message_id": child["message_id"],
                        "type": child["type"]})
    history.sort(key=lambda h: h["at"])  # stable: same-time steps keep their order
    out["history"] = history
    out["reports"] = shown_reports
    out["fallbacks"] = fallbacks
    return out


def _reports(journal: Journal, message_id: str) -> list[dict[str, Any]]:
    """The stored reports of a message, oldest first, as dicts of every column the
    ``reports`` table has (so columns added later show up too)."""
    names = [name for name in journal.columns("reports") if name != "rowid"]  # PostgreSQL's is a column
    columns = ", ".join(f'"{name}"' for name in names)
    rows = journal._query(f"SELECT {columns} FROM reports WHERE message_id = ? ORDER BY received_at, rowid",
                          (message_id,))
    return [dict(zip(names, row, strict=True)) for row in rows]


def stats(journal: Any, flt: Any, by: str) -> list[dict[str, Any]]:
    """:meth:`Journal.stats` with ``rate`` (delivered / count) and, by code, each code's
    ``meaning`` and ``category``."""
    groups = journal.stats(flt, by) if hasattr(journal, "stats") else []
    for g in groups:
        g["rate"] = round(g["delivered"] / g["count"], 4) if g["count"] else 0.0
        if by == "code":
            g.update(meaning(g["vendor"], g["code"]))
    return groups

