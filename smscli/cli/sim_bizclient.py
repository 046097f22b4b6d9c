"""``smscli sim bizclient``: a stand-in BIZCLIENT agent working a database in the foreground."""

import contextlib
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from smscli import clock
from smscli.cli.common import ConfigOpt, ProfileOpt
from smscli.cli.sim_kakao import (
    KakaoMisses,
    KakaoMissRate,
    KakaoSenderKey,
    KakaoTemplates,
    kakao_rules,
)
from smscli.interrupts import stop_on_signals

HELP = "Run a stand-in BIZCLIENT agent on a database until Ctrl-C."
EPILOG = (
    "It works BIZ_MSG the way Daou's agent does: rows with STATUS 0 whose SEND_TIME has come "
    "are checked (text size, CP949, number, each ATTACHED_FILE present in the file path) and "
    "taken (STATUS 1) or refused (STATUS 3, CALL_STATUS 9xxx); --send-delay later they get "
    "STATUS 2 with CALL_STATUS 4100 (SMS) / 6600 (LMS/MMS), or a failure code for a "
    "--fail-rate share, and REPORT_TIME; --move-delay after that they move to BIZ_LOG_YYYYMM. "
    "Missing tables are created, as the agent does. Nothing is delivered. Outcomes depend "
    "only on --seed and the CMID.\n\n"
    "Kakao rows (MSG_TYPE 6 AlimTalk, 7 FriendTalk) are checked against --kakao-template / "
    "--kakao-sender-key (the button file in the file path too: EUC-KR JSON) and answered 7000, or "
    "7103 (sender key), 7315 (unknown template), 7204 (text or buttons unlike the template); a "
    "recipient not on Kakao (--kakao-miss, --kakao-miss-rate) gets 7318 (AlimTalk) / 7203 "
    "(FriendTalk) and, when the row has RE_TYPE, the fallback: STATUS 11 until the SMS/LMS "
    "result (4100 / 6600) is written --send-delay later.\n\n"
    "FAX rows (MSG_TYPE 2) are answered 3200 with USE_PAGE (a PDF's pages, one per other file, "
    "one for the cover); PHONE rows (MSG_TYPE 3) 1200 (landline) / 2201 (mobile), or 1202 / 2202 "
    "with an answer in SN_RESULT when REPLY_FLAG is 1, with USE_TIME (seconds); a WAVE that is "
    "not 8-bit 8 kHz mono or a document type the manual does not list is refused with 9019, a "
    "scenario that is not VXML gets 1233 / 2233.\n\n"
    "Examples:\n\n"
    "\b\n"
    "  # the database and file path of a bizclient profile:\n"
    "  smscli sim bizclient -p agent -v\n"
    "  # a SQLite file, a fifth of the messages failing, rows moved after 5 s:\n"
    "  smscli sim bizclient --database-url sqlite:///biz.db --file-path ./files \\\n"
    "      --fail-rate 0.2 --move-delay 5\n"
    "  # a MariaDB URL from the environment (argv is visible to other users):\n"
    "  SMSCLI_SIM_DATABASE_URL='mysql+pymysql://u:pw@127.0.0.1/biz' smscli sim bizclient --file-path /srv/files\n"
    "  # what the agent took, one JSON line per row (cmid, times, to, ...):\n"
    "  smscli sim bizclient -p agent --record taken.jsonl\n"
    "  # AlimTalk: one approved template, a fifth of the recipients not on Kakao:\n"
    "  smscli sim bizclient -p agent --kakao-template welcome=welcome.txt --kakao-miss-rate 0.2\n\n"
    "--record FILE appends one JSON line per row taken; a CMID inserted again after its row moved "
    'to the log is taken again, and its line has "times": 2. A fallback sent adds a line with '
    '"event": "fallback".'
)


def register(sim_app: typer.Typer) -> None:
    sim_app.command("bizclient", help=HELP, epilog=EPILOG)(bizclient)


def bizclient(
    database_url: Annotated[
        str | None,
        typer.Option(envvar="SMSCLI_SIM_DATABASE_URL", show_default=False,
                     help="SQLAlchemy URL of the agent's database (default: the profile's database_url)."),
    ] = None,
    file_path: Annotated[
        Path | None,
        typer.Option(show_default=False,
                     help="The agent's FILE_PATH, an existing directory (default: the profile's file_path)."),
    ] = None,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
    interval: Annotated[float, typer.Option(min=0.001, help="Seconds between passes over BIZ_MSG.")] = 0.5,
    send_delay: Annotated[float, typer.Option(min=0, help="Seconds from STATUS 1 to the result (STATUS 2).")] = 1.0,
    move_delay: Annotated[float, typer.Option(min=0, help="Seconds from the result to the move to BIZ_LOG_YYYYMM.")] = 2.0,
    fail_rate: Annotated[float, typer.Option(min=0, max=1, help="Share of messages not delivered.")] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed for --fail-rate (same seed and CMID, same outcome).")] = 0,
    duration: Annotated[
        float | None, typer.Option(min=0, show_default=False, help="Stop after this many seconds.")
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option(metavar="FILE", show_default=False,
                     help="Append a JSON line per row taken (STATUS 1) to FILE; a CMID taken again too."),
    ] = None,
    kakao_template: KakaoTemplates = None,
    kakao_sender_key: KakaoSenderKey = None,
    kakao_miss_rate: KakaoMissRate = 0.0,
    kakao_miss: KakaoMisses = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="One line per pass that changed rows.")] = False,
) -> None:
    from smscli.sim.bizclient import AgentConfig, BizclientAgent

    rules = kakao_rules(kakao_template, kakao_sender_key, kakao_miss_rate, kakao_miss, seed)

    url, files = _target(database_url, file_path, profile, config)
    agent = BizclientAgent(
        AgentConfig(database_url=url, file_path=str(files), interval=interval, send_delay=send_delay,
                    move_delay=move_delay, fail_rate=fail_rate, seed=seed, record=record, kakao=rules),
        on_event=_log if verbose else None,
    )
    with stop_on_signals(), contextlib.suppress(KeyboardInterrupt):  # before the line: a signal
        print(f"smscli sim bizclient: working {agent.db.display} (file path {files}); "  # right after it stops
              f"results {send_delay:g} s after pick-up, moved {move_delay:g} s later, fail rate {fail_rate:g}"
              + ("" if duration is not None else "; Ctrl-C to stop"), file=sys.stderr, flush=True)
        agent.run(duration)
    stats = agent.stats
    print(f"smscli sim bizclient: stopped; {stats['taken']} taken, {stats['refused']} refused, "
          f"{stats['delivered']} delivered, {stats['failed']} failed, {stats['missed']} fell back, "
          f"{stats['moved']} moved to the log.",
          file=sys.stderr)


def _target(database_url: str | None, file_path: Path | None, profile: str | None,
            config: Path | None) -> tuple[str, Path]:
    """The database and file path: flags first, then a bizclient profile."""
    from smscli.errors import UsageError

    if database_url and file_path:
        return database_url, _files(file_path, "--file-path")
    from smscli.cli.common import choose
    from smscli.config import load_profile

    name, path = choose(profile, config)
    active = load_profile(name, config=path, validate=False)
    if active.vendor != "bizclient":
        raise UsageError(f"profile '{active.name}' is a {active.vendor} profile, not bizclient",
                         hint="give --database-url and --file-path, or -p with a bizclient profile")
    url = database_url or str(active.require("database_url"))
    files = file_path or Path(str(active.require("file_path"))).expanduser()
    return url, _files(files, "--file-path" if file_path else f"profile '{active.name}' file_path")


def _files(path: Path, where: str) -> Path:
    """``path`` if it is a directory: the agent reads attachments from its FILE_PATH, which
    smscli writes to and does not create, so a missing one is a typo to report, not to make."""
    from smscli.errors import UsageError

    if not path.expanduser().is_dir():
        what = "is not a directory" if path.expanduser().exists() else "does not exist"
        raise UsageError(f"{where} {path} {what}", hint="the agent's FILE_PATH must be an existing directory")
    return path


def _log(line: str) -> None:
    now = clock.time()
    stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1000):03d}"
    print(f"{stamp} {line}", file=sys.stderr, flush=True)
