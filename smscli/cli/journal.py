"""``smscli journal``: create the journal, and look at it before acting on it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from smscli.cli.common import BareGroup, JsonOpt

journal_app = typer.Typer(
    name="journal",
    help="The journal (what was sent, to send each message once): init, check.",
    no_args_is_help=True,
    cls=BareGroup,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

STATES = ("pending", "unknown", "accepted", "scheduled", "delivered", "failed", "rejected",
          "invalid", "cancelled")  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(journal_app, name="journal")


def _data_dir() -> Any:
    from smscli.config import resolve_paths

    return resolve_paths().data_dir


@journal_app.command(
    "init",
    epilog=(
        "Examples:\n\n"
        "  smscli journal init\n\n"
        "  SMSCLI_DATA_DIR=/tmp/smscli-demo smscli journal init --json\n\n"
        "Creates journal.db (SQLite, WAL mode, mode 0600) in the data dir "
        "($SMSCLI_DATA_DIR), or upgrades it; an existing journal is kept as it is. "
        "A send creates it too; init is for setting up a machine ahead of time."
    ),
)
def init(json_: JsonOpt = False) -> None:
    """Create the journal in the data dir (nothing happens to an existing one)."""
    from smscli.cli.output import Output
    from smscli.journal import SCHEMA_VERSION, Journal

    data_dir = _data_dir()
    path = data_dir / "journal.db"
    existed = path.is_file() and path.stat().st_size > 0
    Journal.open(data_dir).close()
    status = "exists" if existed else "created"
    if json_:
        Output(True).emit({"path": str(path), "status": status, "schema": SCHEMA_VERSION})
    else:
        print(f"journal {path}: {status} (schema {SCHEMA_VERSION})")


@journal_app.command(
    "check",
    epilog=(
        "Examples:\n\n"
        "  smscli journal check\n\n"
        "  smscli journal check --json\n\n"
        "  smscli journal check --accept-loss   # read what it means first\n\n"
        "Runs PRAGMA integrity_check and reports the schema version, the write-ahead log "
        "(journal.db-wal) and the in-use marker (journal.db-inuse), and counts per message "
        "status, reports and runs. pending and unknown messages may have been handed to a "
        "vendor without an answer in the journal: a re-run sends them again (OneShot, "
        "BizNetShot and BIZCLIENT answer duplicate for what they accepted; Bizppurio cannot "
        "tell). Nothing in the journal is changed; when no other process has it open, its "
        "WAL is checkpointed into journal.db, as any clean close does.\n\n"
        "--accept-loss: when the marker shows the journal was not closed cleanly but its "
        "write-ahead log is gone (deleted, not copied along), smscli refuses to use it, since "
        "the sends the WAL held are forgotten. --accept-loss removes the marker so the "
        "journal is used as journal.db holds it: a re-run then sends those messages again, "
        "and through Bizppurio that means twice. Put journal.db-wal back instead if you can. "
        "(Another SQLite tool that opened the journal after a crash checkpoints and deletes the "
        "log itself: then nothing was lost, but smscli cannot tell.)\n\n"
        "Exit codes: 0 the journal is sound (or there is none yet), 3 damaged, written by a "
        "newer smscli, or its write-ahead log is lost."
    ),
)
def check(
    json_: JsonOpt = False,
    accept_loss: Annotated[bool, typer.Option(
        "--accept-loss",
        help="Use a journal whose write-ahead log was lost as it is (a re-run may send "
             "again what the lost log recorded).",
    )] = False,
) -> None:
    """Check the journal: integrity, schema, write-ahead log, counts per status."""
    import sys

    from smscli import journal_files
    from smscli.cli.output import Output
    from smscli.journal import SCHEMA_VERSION

    report = journal_files.check(_data_dir(), schema_version=SCHEMA_VERSION, accept_loss=accept_loss)
    error = report.pop("error", None)
    if report.get("accepted_loss"):
        sys.stderr.write(
            f"smscli: warning: loss accepted: journal.db{journal_files.MARKER_SUFFIX} "
            "removed; the journal now holds what journal.db held at its last checkpoint, so "
            f"a re-run sends again what was handed over since: {journal_files.RESEND}\n"
        )
    elif accept_loss and report["status"] in ("ok", "absent"):
        sys.stderr.write("smscli: nothing to accept: no write-ahead log was lost\n")
    if json_:
        Output(True).emit({**report, **({"error": str(error)} if error else {})})
    else:
        for line in _human(report):
            print(line)
    sys.stdout.flush()
    if error is not None:
        raise error


def _human(r: dict[str, Any]) -> list[str]:
    """The report as lines of text."""
    from smscli.journal_files import RESEND

    status = r["status"]
    head = f"journal {r['path']}: "
    if status == "absent":
        return [head + "none yet (`smscli journal init` or the first send creates it)"]
    if status == "lost":
        what = "write-ahead log" if r.get("lost") == "wal" else "journal file"
        return [head + f"LOST: its {what} is missing and it was not closed cleanly"]
    lines = [head + {"ok": "ok", "damaged": "DAMAGED", "newer": "written by a newer smscli"}[status]]
    integrity = r.get("integrity") or []
    if integrity:
        lines.append("integrity: " + "; ".join(integrity[:5]) + (" ..." if len(integrity) > 5 else ""))
    if "schema" in r:
        lines.append(f"schema: {r['schema']} (this smscli: {r['schema_known']})")
    wal = r.get("wal_bytes")
    size = r.get("journal_bytes") or 0
    lines.append(
        f"size: {size:,} bytes; write-ahead log: {'none' if wal is None else f'{wal:,} bytes'}"
        + (f" (journal_mode {r['journal_mode']})" if r.get("journal_mode") else "")
        + ("; read-only here" if r.get("readonly") else "")
    )
    if r.get("accepted_loss"):
        lines.append("marker: removed (--accept-loss): the lost write-ahead log is forgotten")
    elif r.get("marker"):
        note = "marker: present (open in another process)" if r.get("others") else (
            "marker: present (a process stopped without closing the journal)")
        if r.get("checkpointed"):
            note += "; checkpointed into journal.db and removed by this check"
        lines.append(note)
    else:
        lines.append("marker: none (closed cleanly)" + ("; open in another process" if r.get("others") else ""))
    if "unreadable" in r:
        lines.append(f"counts: unreadable ({r['unreadable']})")
        return lines
    counts = r.get("messages") or {}
    total = sum(counts.values())
    shown = [s for s in STATES if counts.get(s) or s in ("pending", "unknown")]
    shown += sorted(s for s in counts if s not in STATES)
    lines.append(f"messages: {total:,} (" + ", ".join(f"{s} {counts.get(s, 0):,}" for s in shown) + ")")
    unanswered = r.get("unanswered") or {}
    waiting = sum(sum(v.values()) for v in unanswered.values())
    if waiting:
        per_vendor = ", ".join(
            f"{vendor} " + " ".join(f"{s} {n:,}" for s, n in states.items())
            for vendor, states in unanswered.items()
        )
        lines.append(
            f"unanswered: {waiting:,} ({per_vendor}): maybe handed to the vendor, no answer "
            f"journaled; a re-run sends them again: {RESEND}"
        )
    for key, label in (("reports", "reports"), ("runs", "runs"), ("suppression", "opt-outs")):
        value = r.get(key)
        lines.append(f"{label}: {'-' if value is None else f'{value:,}'}")
    return lines
