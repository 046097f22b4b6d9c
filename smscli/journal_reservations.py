"""Reservations kept in the journal (vendors that cannot schedule on their server): what
is due, handing it to ``reserve flush`` once (on several hosts too), holding it again,
taking over what a dead flush left, cancelling. Mixed into :class:`smscli.journal.Journal`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from smscli.errors import UsageError
from smscli.journal_base import _by_ids, _iso, _now_iso
from smscli.models import SCHEDULED, Message


class ReservationsMixin:
    """Reservation operations (see the module docstring)."""

    owner: str
    _FOR_UPDATE: str

    # --- reservations -----------------------------------------------------------------

    def due(self, now: datetime, *, profile: str | None = None) -> list[Message]:
        """Reservations held here (from :meth:`schedule`) whose ``send_at`` ≤ ``now``,
        earliest first; pass them to :meth:`claim_scheduled` before sending (a list: for
        big journals :meth:`iter_due` gives them a page at a time)."""
        return [m for page in self.iter_due(now, profile=profile) for m in page]

    def unclaim(self, ids: Sequence[str]) -> int:
        """Forget messages this instance claimed that were never handed to a vendor (the
        run stopped first): new rows still ``queued`` or ``pending`` are deleted, so nothing
        stays pending that was never sent (reclaimed ones keep their state). Returns how
        many were deleted."""
        with self._tx() as cur:
            return _by_ids(cur, "DELETE FROM messages WHERE id IN ({marks}) AND attempts = 1 "
                                "AND (status = 'pending' OR status = 'queued') AND owner = ?",
                           ids, after=[self.owner])

    def reschedule(self, ids: Sequence[str], send_at: datetime | None = None) -> None:
        """Hold messages this instance claimed and never sent as reservations (again), for
        ``send_at`` (the vendor's hours open then) or their own time; ``reserve flush``
        sends them. Messages with an answer meanwhile are left alone."""
        with self._tx() as cur:
            _by_ids(cur, "UPDATE messages SET status = 'scheduled', held = 1, "
                         "send_at = COALESCE(?, send_at), updated_at = ? WHERE id IN ({marks}) "
                         "AND owner = ? AND (status = 'pending' OR status = 'queued')",
                    ids, before=[_iso(send_at), _now_iso()], after=[self.owner])

    def postpone_due(self, now: datetime, send_at: datetime, *, profile: str | None = None) -> int:
        """Move every reservation held here and due by ``now`` to ``send_at`` (the vendor's
        hours open then); returns how many moved."""
        sql = ("UPDATE messages SET send_at = ?, updated_at = ? WHERE status = 'scheduled' "
               "AND held = 1 AND send_at <= ?")
        params: list[Any] = [_iso(send_at), _now_iso(), _iso(now)]
        if profile is not None:
            sql += " AND profile = ?"
            params.append(profile)
        with self._tx() as cur:
            return cur.execute(sql, params).rowcount

    def due_profiles(self, now: datetime) -> list[str]:
        """Profiles that have reservations held here and due by ``now``."""
        rows = self._query(
            "SELECT DISTINCT profile FROM messages WHERE status = 'scheduled' AND held = 1 "
            "AND send_at <= ? ORDER BY profile",
            (_iso(now),),
        )
        return [row[0] for row in rows]

    def claim_scheduled(self, ids: Sequence[str]) -> list[str]:
        """Move held reservations to ``pending`` (attempts + 1) before ``reserve flush``
        sends them; returns the ids moved (one cancelled meanwhile is not)."""
        now = _now_iso()
        moved = []
        with self._tx() as cur:
            for mid in ids:
                cur.execute(
                    "UPDATE messages SET status = 'pending', held = 0, attempts = attempts + 1, "
                    "owner = ?, updated_at = ? WHERE id = ? AND status = 'scheduled' AND held = 1",
                    (self.owner, now, mid),
                )
                if cur.rowcount == 1:
                    moved.append(mid)
        return moved

    def take_over_reservations(self, now: datetime, *, profile: str | None = None,
                               hold_unsure: bool = False) -> int:
        """Reservations due by ``now`` that a ``reserve flush`` claimed (scheduled →
        pending) and then died before it journaled an answer: held again here so this
        flush sends them. Its owner must be gone: its lock file free on this host, its
        lease (``lease_seconds``) run out on another. With ``hold_unsure`` (a vendor that
        cannot de-duplicate by id) they become ``unknown`` instead of being sent again.
        Returns how many were taken over."""
        sql = ("SELECT id, owner FROM messages WHERE status = 'pending' AND held = 0 "
               "AND send_at <= ? AND owner != ? AND EXISTS (SELECT 1 FROM events e "
               "WHERE e.message_id = messages.id AND e.state = 'scheduled')")
        params: list[Any] = [_iso(now), self.owner]
        if profile is not None:
            sql += " AND profile = ?"
            params.append(profile)
        with self._tx() as cur:
            rows = cur.execute(sql + self._FOR_UPDATE, params).fetchall()
            alive = self._alive_owners({owner for _, owner in rows} - {""}, cur)
            dead = [mid for mid, owner in rows if owner not in alive]
            if hold_unsure:
                update = ("UPDATE messages SET status = 'unknown', detail = 'handed over earlier; "
                          "no answer was journaled', updated_at = ? WHERE id IN ({marks})")
            else:
                update = ("UPDATE messages SET status = 'scheduled', held = 1, owner = '', "
                          "updated_at = ? WHERE id IN ({marks})")
            _by_ids(cur, update + " AND status = 'pending'", dead, before=[_now_iso()])
        return len(dead)

    def cancel(self, message_id: str) -> dict[str, Any]:
        """Cancel a ``scheduled`` message and return it (as :meth:`get`, now ``cancelled``).

        Its ``held`` is False when the vendor keeps the reservation: cancel it there
        first (``Vendor.cancel(id, server_id)``). Raises ``UsageError`` for an unknown id or
        a message in any other state.
        """
        with self._tx() as cur:
            row = cur.execute("SELECT status FROM messages WHERE id = ?", (message_id,)).fetchone()
            if row is None:
                raise UsageError(
                    f"no message {message_id!r} in the journal", hint="see `smscli reserve list`"
                )
            if row[0] != SCHEDULED:
                raise UsageError(
                    f"message {message_id!r} is {row[0]}; only scheduled messages can be cancelled"
                )
            cur.execute(
                "UPDATE messages SET status = 'cancelled', updated_at = ? WHERE id = ?",
                (_now_iso(), message_id),
            )
        found = self.get(message_id)
        assert found is not None
        return found
