"""The journal's ``runs`` table: every ``send`` / ``reserve`` is a run with an id, the
fingerprint of its input, the process that owns it and its counts so far.

Mixed into :class:`smscli.journal.Journal`; the policy (fingerprints, which run a
``--resume`` picks) lives in :mod:`smscli.runs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smscli.journal import _Cursor

RUNNING, FINISHED, INTERRUPTED, FAILED = "running", "finished", "interrupted", "failed"
KILLED = "killed"  # shown for a run still marked running whose process is gone

_RUN_COLUMNS = (
    "r.id, r.command, r.profile, r.vendor, r.fingerprint, r.parts, r.state, r.owner, r.rows, "
    "r.counts, r.note, r.started_at, r.updated_at, o.pid, o.host"
)

# A run is superseded when a run of the same command, profile and input (fingerprint) that
# started after the run's last attempt finished: that one sent every row, so resuming the
# run would send its rest a second time.
_NOT_SUPERSEDED = (
    "NOT EXISTS (SELECT 1 FROM runs s WHERE s.fingerprint = r.fingerprint AND s.profile = r.profile "
    "AND s.command = r.command AND s.state = 'finished' AND s.id != r.id AND s.started_at >= r.updated_at)"
)


class RunsMixin:
    """Run records (see the module docstring)."""

    owner: str

    def start_run(self, run_id: str, *, command: str, profile: str, vendor: str,
                  fingerprint: str, parts: Mapping[str, str]) -> None:
        """Record a new run, owned by this instance."""
        import json

        from smscli.journal import _now_iso

        self._register_owner()  # type: ignore[attr-defined]
        now = _now_iso()
        with self._tx() as cur:  # type: ignore[attr-defined]
            cur.execute(
                "INSERT INTO runs (id, command, profile, vendor, fingerprint, parts, state, owner, "
                "started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, command, profile, vendor, fingerprint,
                 json.dumps(dict(parts), ensure_ascii=False), RUNNING, self.owner, now, now),
            )  # fmt: skip

    def adopt_run(self, run_id: str) -> dict[str, Any] | None:
        """Take over ``run_id`` to resume it; returns the run as it was, or None when
        another live process owns it (nothing changed then)."""
        from smscli.journal import _now_iso

        self._register_owner()  # type: ignore[attr-defined]
        with self._tx() as cur:  # type: ignore[attr-defined]
            run = self._run_row(cur, run_id)
            if run is None:
                return None
            if run["owner"] not in ("", self.owner) and run["owner"] in self._alive_owners(  # type: ignore[attr-defined]
                {run["owner"]}, cur
            ):
                return None
            cur.execute("UPDATE runs SET owner = ?, state = ?, updated_at = ? WHERE id = ?",
                        (self.owner, RUNNING, _now_iso(), run_id))
        return run

    def update_run(self, run_id: str, *, rows: int, counts: Mapping[str, int],
                   state: str | None = None) -> None:
        """Store a run's progress (rows read, results per status) and, at its end, its state."""
        import json

        from smscli.journal import _now_iso

        with self._tx() as cur:  # type: ignore[attr-defined]
            cur.execute(
                "UPDATE runs SET rows = CASE WHEN ?1 > rows THEN ?1 ELSE rows END, counts = ?2, "
                "updated_at = ?3, state = COALESCE(?4, state) WHERE id = ?5",
                (rows, json.dumps(dict(counts)), _now_iso(), state, run_id))

    def forget_run(self, run_id: str) -> bool:
        """Delete a run that journaled no message (refused, or failed before its first
        claim): nothing to resume. True when it was deleted."""
        with self._tx() as cur:  # type: ignore[attr-defined]
            cur.execute("DELETE FROM runs WHERE id = ? AND NOT EXISTS "
                        "(SELECT 1 FROM messages WHERE run = ?)", (run_id, run_id))
            return cur.rowcount > 0

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """One run as :meth:`list_runs` gives it, or None."""
        return self._run_row(None, run_id)

    def list_runs(self, *, profile: str | None = None, command: str | None = None,
                  unfinished: bool = False, limit: int | None = 20) -> list[dict[str, Any]]:
        """Runs, newest first (``unfinished``: only those not finished and not superseded by
        a later finished run of the same input). Each: ``id, command, profile, vendor, fingerprint, parts``
        (dict), ``state`` (``running``, ``finished``, ``interrupted``, ``failed``, or
        ``killed``: marked running, its process gone), ``finished`` (bool), ``rows``,
        ``counts`` (dict), ``note, started_at, updated_at, pid, host``."""
        where, params = [], []
        if profile is not None:
            where.append("r.profile = ?")
            params.append(profile)
        if command is not None:
            where.append("r.command = ?")
            params.append(command)
        if unfinished:  # and not superseded: a later run of the same input finished
            where.append("r.state != 'finished'")
            where.append(_NOT_SUPERSEDED)
        sql = (f"SELECT {_RUN_COLUMNS} FROM runs r LEFT JOIN owners o ON o.token = r.owner"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY r.started_at DESC, r.rowid DESC"
               + (" LIMIT ?" if limit is not None else ""))
        if limit is not None:
            params.append(int(limit))
        rows = self._query(sql, params)  # type: ignore[attr-defined]
        alive = self._alive_owners({r[7] for r in rows} - {""})  # type: ignore[attr-defined]
        return [_run_dict(row, alive) for row in rows]

    def _run_row(self, cur: _Cursor | None, run_id: str) -> dict[str, Any] | None:
        sql = (f"SELECT {_RUN_COLUMNS} FROM runs r LEFT JOIN owners o ON o.token = r.owner "
               "WHERE r.id = ?")
        rows = cur.execute(sql, (run_id,)).fetchall() if cur else self._query(sql, (run_id,))  # type: ignore[attr-defined]
        if not rows:
            return None
        return _run_dict(rows[0], self._alive_owners({rows[0][7]} - {""}, cur))  # type: ignore[attr-defined]


def _run_dict(row: tuple[Any, ...], alive: set[str]) -> dict[str, Any]:
    import json

    (rid, command, profile, vendor, fingerprint, parts, state, owner, rows, counts, note,
     started, updated, pid, host) = row  # fmt: skip
    if state == RUNNING and owner not in alive:
        state = KILLED
    return {
        "id": rid, "command": command, "profile": profile, "vendor": vendor,
        "fingerprint": fingerprint, "parts": json.loads(parts or "{}"), "state": state,
        "finished": state == FINISHED, "rows": rows, "counts": json.loads(counts or "{}"),
        "note": note, "started_at": started, "updated_at": updated,
        "pid": pid if owner in alive else None, "host": host if owner in alive else None,
        "owner": owner,
    }  # fmt: skip
