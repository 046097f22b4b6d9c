"""What a send would make of the ids a dry run's rows were given (a CSV ``id`` column,
``--id``), so that ``--dry-run`` says before a re-run what it will not send again.

As the send decides (:meth:`smscli.journal.Journal.claim`, :mod:`smscli.dispatch_handout`,
whose words it uses): an id the journal holds in a settled state is ``duplicate`` (the
same message) or ``invalid`` (another recipient or text under it); one that may have
reached a vendor that cannot tell (``pending``/``unknown``) is ``unknown`` (held;
``--resend-unknown`` sends it); any other (never handed over, refused) is sent again, so
stays ``valid``. An id given earlier in the same input is a ``duplicate`` of that row, or
``invalid`` when the row differs; with ``--id KEY`` the same message already handed over
under KEY's other form (KEY alone, KEY plus the recipient) is a ``duplicate`` (or
``unknown``) too. The ids seen so far are kept in a temporary SQLite file, not in memory,
so a dry run of any size stays flat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from smscli.dispatch_handout import HELD_DETAIL, other_message, taken, under_other_id
from smscli.journal_base import MAYBE_SENT, RECLAIMABLE, _chunks
from smscli.models import DUPLICATE, UNKNOWN, Message, SendResult

NOT_AGAIN = ": a send would not send it again"  # what a dry run adds to a duplicate's detail


class IdCheck:
    """Verdicts for one dry run over ``journal`` (read only), for ``vendor``'s messages of
    ``profile``; ``hold_unsure``: the vendor cannot de-duplicate (nor ``--resend-unknown``)."""

    def __init__(self, journal: Any, vendor: str, profile: str, *, hold_unsure: bool,
                 other_id: Callable[[Message], str | None] | None = None) -> None:
        import sqlite3

        self.journal, self.vendor, self.profile, self.hold_unsure = journal, vendor, profile, hold_unsure
        self.other_id = other_id  # --id KEY: a message's id in KEY's other form (smscli.dispatch)
        self._seen = sqlite3.connect("")  # "": a private temporary file, deleted on close
        self._seen.execute("PRAGMA journal_mode = OFF")  # scratch: nothing to recover
        self._seen.execute('CREATE TABLE seen (id TEXT PRIMARY KEY, "to" TEXT, text TEXT) WITHOUT ROWID')

    def close(self) -> None:
        self._seen.close()

    def verdicts(self, chunk: Sequence[Message | SendResult]) -> list[SendResult | None]:
        """Per item of ``chunk``: what a send would say of a message it would not send as
        new, else None (also for the results already in it)."""
        out: list[SendResult | None] = [None] * len(chunk)
        wanted = list(dict.fromkeys(m.id for m in chunk if isinstance(m, Message)))
        if not wanted:
            return out
        others = {m.id: other for m in chunk if isinstance(m, Message) and self.other_id is not None
                  and (other := self.other_id(m)) and other != m.id}
        stored = self.journal.recipients_of([*wanted, *others.values()])
        earlier: dict[str, tuple[str, str]] = {}
        for part in _chunks(wanted):
            marks = ",".join("?" * len(part))
            earlier.update((mid, (to, body)) for mid, to, body in self._seen.execute(
                f'SELECT id, "to", text FROM seen WHERE id IN ({marks})', part))
        new: list[tuple[str, str, str]] = []
        for i, msg in enumerate(chunk):
            if not isinstance(msg, Message):
                continue
            before = earlier.get(msg.id)
            if before is not None:  # compared, as the send does, with what the journal holds under the id
                held = stored.get(msg.id) or (*before, self.vendor, "", "")  # (the earlier row, once claimed)
                out[i] = self._as(msg, *taken(msg.id, "earlier in this input", other_message(msg, held, self.vendor)))
                continue
            earlier[msg.id] = (msg.to, msg.text)
            new.append((msg.id, msg.to, msg.text))
            found = stored.get(msg.id)
            if found is None:
                other = others.get(msg.id, "")
                said = under_other_id(msg, other, stored.get(other), self.vendor)
                out[i] = None if said is None else self._as(msg, *said)
                continue
            status = found[3]
            if status not in RECLAIMABLE:
                out[i] = self._as(msg, *taken(msg.id, f"already {status}", other_message(msg, found, self.vendor)))
            elif self.hold_unsure and status in MAYBE_SENT:
                out[i] = self._as(msg, UNKNOWN, HELD_DETAIL)
        self._seen.executemany("INSERT INTO seen VALUES (?, ?, ?)", new)
        return out

    def _as(self, msg: Message, status: str, detail: str) -> SendResult:
        """What the send would say, as a result of this dry run."""
        if status == DUPLICATE:
            detail += NOT_AGAIN
        return SendResult(to=msg.to, status=status, message_id=msg.id, vendor=self.vendor, type=msg.type,
                          code="", detail=detail, profile=self.profile, tag=msg.tag)
