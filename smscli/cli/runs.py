"""`smscli runs`: recent send/reserve runs, their counts, and whether they finished."""

from typing import Annotated

import typer

from smscli.cli.common import ConfigOpt, JsonOpt

EXAMPLES = """Examples:

\b
  smscli runs
  smscli runs --unfinished --json
  smscli -p prod send --csv list.csv -m "{name}님 안녕하세요" --resume   # continue the latest unfinished one
"""

MAIN = ("accepted", "duplicate", "scheduled", "unknown")
COLUMNS = ["run", "command", "profile", "state", "started_at", "rows", *MAIN, "other"]


def register(app: typer.Typer) -> None:
    app.command("runs", help="List recent send/reserve runs: counts, finished or not.",
                epilog=EXAMPLES)(runs)


def runs(
    unfinished: Annotated[bool, typer.Option("--unfinished", help="Only runs that did not finish (resumable), less those a later run of the same input finished.")] = False,
    limit: Annotated[int, typer.Option("--limit", metavar="N", min=1, help="At most N runs, newest first.")] = 20,
    profile: Annotated[str | None, typer.Option("--profile", "-p", help="Only this profile's runs (default: all).", show_default=False)] = None,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """List recent send/reserve runs of this machine's journal, newest first.

    A run is unfinished when it ended before every row was handed to the vendor (Ctrl-C,
    a lost connection, a kill: `killed`); the same command with `--resume` continues it.
    `--unfinished` leaves out one that a later run of the same input finished (that run
    sent every row: resuming the older one would send its rest again). The counts say how
    the vendor took each row (accepted, duplicate, scheduled, unknown; `other`: invalid,
    rejected), not whether it was delivered: `smscli result stats` tells that.
    """
    from smscli import config_journal
    from smscli.cli.common import choose
    from smscli.cli.output import Output
    from smscli.config import resolve_paths

    profile, path = choose(profile, config)  # -p before the command filters too
    target = config_journal.active(path)
    journal = target.open_for_reading(resolve_paths(path).data_dir)  # read-only will do
    out = Output(json_, columns=COLUMNS)
    shown = 0
    for run in journal.list_runs(profile=profile, unfinished=unfinished, limit=limit):
        shown += 1
        counts = run["counts"]
        if json_:
            out.emit({"run_id": run["id"], "command": run["command"], "profile": run["profile"],
                      "vendor": run["vendor"], "state": run["state"], "finished": run["finished"],
                      "rows": run["rows"], "counts": counts, "started_at": run["started_at"],
                      "updated_at": run["updated_at"], "pid": run["pid"]})
            continue
        out.emit({"run": run["id"], "command": run["command"], "profile": run["profile"],
                  "state": run["state"], "started_at": run["started_at"], "rows": run["rows"],
                  **{k: counts.get(k, 0) for k in MAIN},
                  "other": sum(n for k, n in counts.items() if k not in MAIN)})
    out.flush()
    if not shown and out.is_tty(out.stdout):  # a person looking: say so (stdout stays empty)
        out.info("smscli: no " + ("unfinished " if unfinished else "") + "runs in the journal"
                 + (f" for profile '{profile}'" if profile else ""))
