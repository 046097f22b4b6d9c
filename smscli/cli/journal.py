"""``smscli journal``: create the journal, and look at it before acting on it."""

from typing import Annotated, Any

import typer

from smscli.cli.commands import CommandsOf
from smscli.cli.common import ConfigOpt, JsonOpt, ProfileOpt

journal_commands = typer.Typer()  # its sub-commands, each built only when it runs (CommandsOf)


class JournalGroup(CommandsOf):
    source = journal_commands


journal_app = typer.Typer(
    name="journal",
    help="The journal (what was sent, to send each message once): init, check, copy.",
    no_args_is_help=True,
    cls=JournalGroup,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

STATES = ("pending", "unknown", "accepted", "scheduled", "delivered", "failed", "rejected",
          "invalid", "cancelled")  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(journal_app, name="journal")


def _data_dir(config: Any = None) -> Any:
    from smscli.config import resolve_paths

    return resolve_paths(config).data_dir


def _target(profile: str | None, config: Any) -> Any:
    """The active profile's journal (``journal_url``; the data dir's SQLite file without)."""
    from smscli import config_journal
    from smscli.cli.common import choose

    name, path = choose(profile, config)
    return config_journal.active(path, name)


@journal_commands.command(
    "init",
    epilog=(
        "Examples:\n\n"
        "\b\n  smscli journal init\n\n"
        "  SMSCLI_DATA_DIR=/tmp/smscli-demo smscli journal init --json\n\n"
        "\b\n  SMSCLI_JOURNAL_URL=sqlite:///tmp/smscli-demo/j.db smscli journal init\n\n"
        "Creates journal.db (SQLite, WAL mode, mode 0600) in the data dir "
        "($SMSCLI_DATA_DIR), or upgrades it; an existing journal is kept as it is. "
        "With journal_url (or $SMSCLI_JOURNAL_URL) it creates that journal instead: "
        "sqlite:///PATH, or the tables of a shared journal on PostgreSQL "
        "(postgresql://user@host:port/db). A send creates it too; init is for setting up "
        "a machine ahead of time."
    ),
)
def init(json_: JsonOpt = False, profile: ProfileOpt = None, config: ConfigOpt = None) -> None:
    """Create the journal (nothing happens to an existing one)."""
    from smscli.cli.output import Output
    from smscli.journal import SCHEMA_VERSION, EmptyJournal

    target = _target(profile, config)
    data_dir = _data_dir(config)
    before = target.open_for_reading(data_dir)
    existed = not isinstance(before, EmptyJournal)
    before.close()
    with target.open(data_dir) as journal:
        where, backend = journal.location, journal.backend
    status = "exists" if existed else "created"
    if json_:
        Output(True).emit({"path": where, "backend": backend, "status": status,
                           "schema": SCHEMA_VERSION})
    else:
        print(f"journal {where}: {status} (schema {SCHEMA_VERSION})")


@journal_commands.command(
    "check",
    epilog=(
        "Examples:\n\n"
        "\b\n  smscli journal check\n\n"
        "  smscli journal check --json\n\n"
        "\b\n  smscli journal check --accept-loss   # read what it means first\n\n"
        "Runs PRAGMA integrity_check and reports the schema version, the write-ahead log "
        "(journal.db-wal) and the in-use marker (journal.db-inuse), and counts per message "
        "status, reports and runs. pending and unknown messages may have been handed to a "
        "vendor without an answer in the journal: a re-run sends them again where the vendor "
        "answers duplicate for what it accepted (OneShot, BizNetShot, BIZCLIENT), and holds "
        "them as unknown for Bizppurio, which cannot tell (--resend-unknown sends them). "
        "Nothing in the journal is changed; when no other process has it open, its WAL is "
        "checkpointed into journal.db, as any clean close does.\n\n"
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
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
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

    target = _target(profile, config)
    if target.url is not None:  # a shared journal, or a SQLite file named by journal_url
        _check_url(target, _data_dir(config), json_)
        return
    report = journal_files.check(_data_dir(config), schema_version=SCHEMA_VERSION,
                                 accept_loss=accept_loss)
    report["backend"] = "sqlite"
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


def _check_url(target: Any, data_dir: Any, json_: bool) -> None:
    """``journal check`` of the journal ``journal_url`` names: where (password-free),
    reachable (or exit 3/4 with one line), its schema against this smscli's, counts."""
    import sys

    from smscli.cli.output import Output
    from smscli.journal import SCHEMA_VERSION, EmptyJournal, JournalError

    journal = target.open_for_reading(data_dir)
    if isinstance(journal, EmptyJournal):
        info: dict[str, Any] = {"backend": target.backend, "location": target.location,
                                "reachable": True, "schema": None, "current": SCHEMA_VERSION,
                                "counts": {}, "status": "absent"}
    else:
        with journal:
            info = dict(journal.check_info())
            info["messages"] = info["counts"]  # as the SQLite check calls it
            for table in ("reports", "runs", "suppression"):
                info[table] = int(journal._query(f"SELECT COUNT(*) FROM {table}")[0][0])
        info["status"] = "ok" if info["schema"] == info["current"] else (
            "newer" if (info["schema"] or 0) > info["current"] else "old")
    if json_:
        Output(True).emit(info)
    else:
        head = f"journal {info['location']} ({info['backend']}): "
        if info["status"] == "absent":
            print(head + "reachable; none yet (`smscli journal init` or the first send creates it)")
        else:
            print(head + {"ok": "ok", "old": "needs upgrading (`smscli journal init`)",
                          "newer": "written by a newer smscli"}[info["status"]])
            print(f"schema: {info['schema']} (this smscli: {info['current']})")
            counts = info.get("counts") or {}
            shown = [s for s in STATES if counts.get(s) or s in ("pending", "unknown")]
            shown += sorted(s for s in counts if s not in STATES)
            print(f"messages: {sum(counts.values()):,} ("
                  + ", ".join(f"{s} {counts.get(s, 0):,}" for s in shown) + ")")
            for key, label in (("reports", "reports"), ("runs", "runs"), ("suppression", "opt-outs")):
                print(f"{label}: {info.get(key, 0):,}")
    sys.stdout.flush()
    if info["status"] == "newer":
        raise JournalError(f"journal {info['location']} was written by a newer smscli "
                           f"(schema {info['schema']}, this one knows {info['current']})",
                           hint="upgrade smscli")


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


@journal_commands.command(
    "copy",
    epilog=(
        "Examples:\n\n"
        "\b\n  smscli journal copy --to sqlite:///tmp/smscli-demo/c.db\n\n"
        "  smscli journal copy --from sqlite:///tmp/smscli-demo/c.db --json\n\n"
        "\b\n  (to PostgreSQL: smscli journal copy --to postgresql://smscli@db.example:5432/smscli)\n\n"
        "Copies every message (with its content, tag, parent and history), report, opt-out, "
        "number change, run and cached token from the current journal (journal_url, else "
        "journal.db in the data dir) to URL (--to), or from URL into the current journal "
        "(--from). Ids are kept, so what was sent before is still `duplicate` after the "
        "move. URL is sqlite:///PATH or postgresql://user@host:port/db; its password comes "
        "from the URL, --password-env, or PGPASSWORD / .pgpass, and is never printed. The "
        "target is created if needed. Rows it already holds unchanged are skipped, so "
        "running the copy again (or after an interruption) adds only what is missing. A "
        "message or run it holds with other content under the same id is a conflict: the "
        "copy is refused before anything is written (exit 2). Stop the senders on the "
        "source while copying, then point journal_url at the target."
    ),
)
def copy(
    to: Annotated[str | None, typer.Option("--to", metavar="URL", help="Copy the current journal into URL.")] = None,
    from_: Annotated[str | None, typer.Option("--from", metavar="URL", help="Copy URL into the current journal.")] = None,
    password_env: Annotated[str | None, typer.Option(
        "--password-env", metavar="VAR",
        help="The environment variable holding URL's password (else the URL's, or PGPASSWORD / .pgpass).",
    )] = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Copy the journal to another one (--to URL) or from another one (--from URL)."""
    from smscli import config_journal, copy_journal
    from smscli.cli.output import Output
    from smscli.errors import UsageError

    if (to is None) == (from_ is None):
        raise UsageError("give one of --to URL or --from URL",
                         hint="smscli journal copy --to postgresql://user@host/db")
    current = _target(profile, config)
    other = config_journal.parse(to or from_, where="--to" if to else "--from",
                                 password_env=password_env, source="flag", origin="flag")
    data_dir = _data_dir(config)
    source, target = (current, other) if to else (other, current)
    if source.same_as(target, data_dir):
        raise UsageError(f"--{'to' if to else 'from'} names the current journal ({current.location})",
                         hint="copy to another journal")
    with copy_journal.source_side(source, data_dir) as src, copy_journal.side(target, data_dir) as dst:
        copier = copy_journal.Copier(src, dst)
        found = copier.conflicts()
        if found:
            raise copy_journal.conflict_error(dst.location, found)
        result = copier.copy()
    out = Output(json_)
    if json_:
        out.emit({"from": source.location, "to": target.location,
                  "tables": {t: {"copied": c.copied, "present": c.present, "kept": c.kept}
                             for t, c in result.items()}})
        return
    print(f"copied {source.location} -> {target.location}")
    for table, c in result.items():
        extra = f", {c.kept:,} kept as the target had them" if c.kept else ""
        print(f"  {table}: {c.copied:,} copied, {c.present:,} already there{extra}")
