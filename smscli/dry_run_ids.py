"""What a send would make of the ids a dry run's rows were given (a CSV ``id`` column,
``--id``), so that ``--dry-run`` says before a re-run what it will not send again.

As the send decides (:meth:`smscli.journal.Journal.claim`, :mod:`smscli.dispatch_handout`):
an id the journal holds in a settled state is ``duplicate`` (the same message) or
``invalid`` (another recipient or text under it); one that may have reached a vendor that
cannot tell (``pending``/``unknown``) is ``unknown`` (held; ``--resend-unknown`` sends it);
any other (never handed over, refused) is sent again, so stays ``valid``. An id given
earlier in the same input is a ``duplicate`` of that row, or ``invalid`` when the row
differs; with ``--id KEY`` the same message already handed over under KEY's other form
(KEY alone, KEY plus the recipient) is a ``duplicate`` (or ``unknown``) too. The ids seen so far are kept in a temporary SQLite file, not in memory, so a dry
run of any size stays flat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from smscli.dispatch_handout import other_message
from smscli.journal_base import MAYBE_SENT, RECLAIMABLE, _chunks
from smscli.models import DUPLICATE, INVALID, UNKNOWN, Message, SendResult


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
        # the text as its hash (this process's: the table lives as long as the dry run)
        self._seen.execute('CREATE TABLE seen (id TEXT PRIMARY KEY, "to" TEXT, text INTEGER) WITHOUT ROWID')

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
        earlier: dict[str, tuple[str, int]] = {}
        for part in _chunks(wanted):
            marks = ",".join("?" * len(part))
            earlier.update((mid, (to, body)) for mid, to, body in self._seen.execute(
                f'SELECT id, "to", text FROM seen WHERE id IN ({marks})', part))
        new: list[tuple[str, str, int]] = []
        for i, msg in enumerate(chunk):
            if not isinstance(msg, Message):
                continue
            before = earlier.get(msg.id)
            text = hash(msg.text)
            if before is not None:
                other = ("to another recipient" if before[0] != msg.to
                         else "with another text" if before[1] != text else "")
                out[i] = self._result(msg, "earlier in this input", other)
                continue
            earlier[msg.id] = (msg.to, text)
            new.append((msg.id, msg.to, text))
            found = stored.get(msg.id)
            if found is None:
                out[i] = self._other_form(msg, others.get(msg.id, ""), stored)
                continue
            status = found[3]
            if status not in RECLAIMABLE:
                out[i] = self._result(msg, f"already {status}", other_message(msg, found, self.vendor))
            elif self.hold_unsure and status in MAYBE_SENT:
                out[i] = self._as(msg, UNKNOWN, "handed over before without a journaled answer; a send "
                                  "would not send it again (--resend-unknown sends it)")
        self._seen.executemany("INSERT INTO seen VALUES (?, ?, ?)", new)
        return out

    def _other_form(self, msg: Message, other: str, stored: dict[str, Any]) -> SendResult | None:
        """As :meth:`smscli.dispatch_handout.Handout` decides for ``--id KEY``: the same
        message under KEY's other form, handed over, is not sent under this id too."""
        found = stored.get(other) if other else None
        if found is None or other_message(msg, found, self.vendor) or found[3] in RECLAIMABLE - MAYBE_SENT:
            return None
        if found[3] in MAYBE_SENT:
            return self._as(msg, UNKNOWN, f"handed over before under the id {other} without a journaled "
                                          "answer; a send would not send it under this id too")
        return self._as(msg, DUPLICATE, f"already {found[3]} under the id {other} (the same --id, another "
                                        "recipient list): a send would not send it again")

    def _result(self, msg: Message, why: str, other: str) -> SendResult:
        if other:
            return self._as(msg, INVALID, f"not sent: its id {msg.id} is taken by a message {why} {other}; "
                                          "give this one an id of its own")
        return self._as(msg, DUPLICATE, f"{why} under this id: a send would not send it again")

    def _as(self, msg: Message, status: str, detail: str) -> SendResult:
        return SendResult(to=msg.to, status=status, message_id=msg.id, vendor=self.vendor, type=msg.type,
                          code="", detail=detail, profile=self.profile, tag=msg.tag)
