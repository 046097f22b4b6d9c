"""The journal files' refusals: :class:`JournalLost` (the lost-WAL guard) and the errors
for a damaged journal and for a read-only one that would need writing.

``RESEND`` says what a re-run does with messages the journal forgot.
"""

from __future__ import annotations

from pathlib import Path

from smscli.journal import JournalError

MARKER_SUFFIX = "-inuse"

# What a re-run does with messages the journal forgot (CONTRACT: vendors' de-duplication).
RESEND = (
    "OneShot, BizNetShot and BIZCLIENT answer duplicate for messages they had already "
    "accepted, so re-running is safe there; Bizppurio cannot tell and sends them again"
)


class JournalLost(JournalError):
    """The marker says a WAL held committed data, and the WAL (or the journal) is gone."""

    def __init__(self, message: str, *, hint: str, kind: str) -> None:
        super().__init__(message, hint=hint)
        self.kind = kind  # "wal": journal.db-wal missing; "journal": journal.db missing


def damaged_error(path: Path, text: str) -> JournalError:
    """The error for a journal SQLite cannot read (not a database, malformed)."""
    return JournalError(
        f"journal {path} is damaged ({text})",
        hint=f"keep it and run `smscli journal check`; if you move {path.name}* aside, "
        "smscli starts an empty journal that knows nothing that was sent, and a re-run sends "
        f"those messages again: {RESEND}",
    )


def lost_error(path: Path, kind: str) -> JournalLost:
    """The refusal for a marker whose WAL (``kind="wal"``) or journal is missing."""
    marker = path.name + MARKER_SUFFIX
    if kind == "wal":
        return JournalLost(
            f"journal {path}: its write-ahead log {path.name}-wal is missing although {marker} "
            "shows the journal was not closed cleanly, so recent sends may be forgotten; "
            "refusing to open it",
            hint=f"put {path.name}-wal back if you have it; see `smscli journal check`. "
            "Using journal.db as it is (`smscli journal check --accept-loss`) or moving it aside "
            f"makes a re-run send those messages again: {RESEND}",
            kind=kind,
        )
    return JournalLost(
        f"journal {path} is missing although {marker} shows one was in use there and not "
        "closed cleanly; refusing to start an empty one",
        hint=f"put {path.name} (and {path.name}-wal) back if you moved them; see `smscli journal "
        "check`. An empty journal knows nothing that was sent, so a re-run sends it again "
        f"(`smscli journal check --accept-loss` starts anew knowingly): {RESEND}",
        kind=kind,
    )


def readonly_error(path: Path, version: int, known: int) -> JournalError:
    """The error for a read-only journal that would need writing (creating, upgrading)."""
    if version > known:
        return JournalError(
            f"journal {path} was written by a newer smscli (schema {version}, this one knows {known})",
            hint="upgrade smscli, or point SMSCLI_DATA_DIR elsewhere",
        )
    return JournalError(
        f"journal {path} is read-only here and needs {'creating' if version == 0 else 'upgrading'} "
        f"(schema {version}, this smscli writes {known})",
        hint="make the data dir writable (SMSCLI_DATA_DIR) and run `smscli journal init`",
    )
