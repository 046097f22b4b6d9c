"""The journal's side of smscli's own fallback (:mod:`smscli.fallback`): which failed
Kakao/RCS messages still owe their fallback, and which messages are fallbacks of which.

Mixed into :class:`smscli.journal.Journal`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# A fallback child in one of these states may not have reached the vendor: send it (again;
# the vendor de-duplicates by id). Any other state means it was settled.
UNSETTLED = ("queued", "pending", "unknown")

_OWED = (
    'SELECT m.id, m."to", m.sender, m.content, m.tag, m.name, m.vendor, m.rowid FROM messages m '
    "WHERE m.kind != 'text' AND m.status = 'failed' AND m.profile = ? AND m.rowid > ? "
    "AND m.content LIKE '%\"fallback\":%' "
    "AND NOT EXISTS (SELECT 1 FROM messages c WHERE c.parent = m.id AND c.parent != '' "
    "AND c.status NOT IN ('queued', 'pending', 'unknown')) "
    "ORDER BY m.rowid LIMIT ?"
)


class FallbackMixin:
    """Fallback queries (see the module docstring)."""

    def fallbacks_owed(self, profile: str, *, after: int = 0, limit: int = 10_000) -> list[tuple[Any, ...]]:
        """Failed Kakao/RCS messages of ``profile`` that carry a fallback and have no
        settled fallback message yet, oldest first, a page at a time: ``limit`` of them
        past row ``after``, each as (id, to, sender, content, tag, name, vendor, rowid)
        (indexed: ``messages_failed_channel``, ``messages_parent``)."""
        return self._query(_OWED, (profile, after, limit))  # type: ignore[attr-defined]

    def parents_of(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """For the ids that are fallbacks: id → (parent id, its type)."""
        rows = self._query_ids(  # type: ignore[attr-defined]
            "SELECT id, parent, type FROM messages WHERE id IN ({marks}) AND parent != ''", ids)
        return {mid: (parent, mtype) for mid, parent, mtype in rows}
