"""``smscli sim oneshot``: run the OneShot server simulator in the foreground."""

import contextlib
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smscli import clock
from smscli.cli.sim_kakao import (
    KakaoMisses,
    KakaoMissRate,
    KakaoSenderKey,
    KakaoTemplates,
    kakao_key_line,
    kakao_rules,
)
from smscli.interrupts import stop_on_signals

if TYPE_CHECKING:
    from smscli.sim.oneshot import OneShotSimConfig

HELP = "Run a OneShot (SMTNT) server simulator on TCP until Ctrl-C."
EPILOG = (
    "It speaks the real protocol (zlib frames, AES bodies) and enforces the document's rules: "
    "login (Result 4/5 then close), speed (903), sending hours (901, Korea time), duplicates "
    "(320), attachments (16), idle cut. Reports (ReportReq) follow every accepted message and "
    "are pushed again after the next bind until acknowledged. Kakao and RCS (MsgType 7-12): "
    "refusals with OneShot's codes (22 sender key, 36 unknown template, 30 text not as "
    "approved, 38 buttons; RCS 21 without its message base, with suggestions it cannot read or "
    "too many for the base, or an image other than an RCS MMS's one uploaded file), a "
    "recipient not on Kakao reported 29. Fault knobs are "
    "deterministic for a given --seed.\n\n"
    "Examples:\n\n"
    "\b\n"
    "  # 127.0.0.1:9000, bind id test001 and the built-in password:\n"
    "  smscli sim oneshot\n"
    "  # a free port, every event logged to stderr:\n"
    "  smscli sim oneshot --port 0 -v\n"
    "  # encrypted, and slower than it announces:\n"
    "  smscli sim oneshot --encrypt --speed 50 --enforce-speed 30\n"
    "  # failures, reproducible, accepted messages written down:\n"
    "  smscli sim oneshot --fail-rate 0.1 --reject-rate 0.05 --seed 42 --record accepted.jsonl\n"
    "  # lost connections and lost answers:\n"
    "  smscli sim oneshot --drop-after 100 --silent-rate 0.01\n"
    "  # Kakao: one approved AlimTalk template, one sender key, a recipient not on Kakao:\n"
    "  smscli sim oneshot --kakao-template WELCOME=welcome.txt --kakao-sender-key SK1 "
    "--kakao-miss 01099990000\n"
    "  # 1% of accepted messages lose their answer with the connection; answers 2 s late:\n"
    "  smscli sim oneshot --drop-rate 0.01 --seed 3 --delay 2\n"
    "  # your own credentials (the password from the environment, not argv):\n"
    "  SMSCLI_SIM_PASSWORD=s3cret smscli sim oneshot --bind-id acme\n\n"
    "The address and a profile for smscli's config go to stderr. --record FILE appends one "
    'JSON line per accepted message (event "accepted"), uploaded file ("uploaded") and '
    'acknowledged report ("report_acked").'
)


def register(sim_app: typer.Typer) -> None:
    sim_app.command("oneshot", help=HELP, epilog=EPILOG)(oneshot)


def oneshot(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="TCP port; 0 picks a free one (printed on stderr).")
    ] = 9000,
    bind_id: Annotated[
        str, typer.Option("--bind-id", help="The login id clients must send.")
    ] = "test001",
    password: Annotated[
        str | None,
        typer.Option(
            envvar="SMSCLI_SIM_PASSWORD",
            show_default=False,
            help="Login password (default: the built-in test001#$$%). Prefer the environment "
            "variable: argv is visible to other users.",
        ),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            envvar="SMSCLI_SIM_KEY",
            show_default=False,
            help="AES key: 16 characters or hex:<32 hex digits> (default: 0123456789abcdef).",
        ),
    ] = None,
    iv: Annotated[
        str | None,
        typer.Option(
            envvar="SMSCLI_SIM_IV",
            show_default=False,
            help="AES IV: 16 characters or hex:<32 hex digits> (default: fedcba9876543210).",
        ),
    ] = None,
    encrypt: Annotated[
        bool, typer.Option(help="Require PrivateKeyReq and encrypt every body.")
    ] = False,
    encrypted_key_res: Annotated[
        bool, typer.Option(help="Encrypt the PrivateKeyRes body with the configured key.")
    ] = False,
    speed: Annotated[
        int, typer.Option(help="Messages/s announced in BindRes (0: unlimited).")
    ] = 100,
    enforce_speed: Annotated[
        int | None,
        typer.Option(
            show_default=False,
            help="Messages/s actually enforced (903 above it); default: --speed.",
        ),
    ] = None,
    begin: Annotated[
        int, typer.Option(help="BeginTime: first sending hour, Korea time (901 outside).")
    ] = 0,
    end: Annotated[int, typer.Option(help="EndTime: sending stops at this hour, Korea time.")] = 24,
    report_delay: Annotated[
        float, typer.Option(help="Seconds from acceptance to its ReportReq.")
    ] = 1.0,
    fail_rate: Annotated[
        float, typer.Option(help="Fraction of reports that fail (codes 7, 8, 15).")
    ] = 0.0,
    reject_rate: Annotated[
        float, typer.Option(help="Fraction of MsgSendReq refused (codes 33, 316, 997).")
    ] = 0.0,
    silent_rate: Annotated[
        float, typer.Option(help="Fraction of MsgSendReq accepted but never answered.")
    ] = 0.0,
    silent_id: Annotated[
        list[str] | None,
        typer.Option(
            "--silent-id",
            metavar="USERMSGID",
            show_default=False,
            help="A UserMsgId accepted but never answered (repeatable).",
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Seed for every rate above (same seed, same outcomes).")
    ] = 0,
    drop_after: Annotated[
        int,
        typer.Option(
            help="Close a connection upon its N-th MsgSendReq (accepted, unanswered); 0: never."
        ),
    ] = 0,
    drop_every: Annotated[
        bool, typer.Option(help="With --drop-after: drop every connection, not only the first.")
    ] = False,
    drop_rate: Annotated[
        float,
        typer.Option(
            help="Fraction of accepted MsgSendReq upon which the connection is closed "
            "(accepted, unanswered)."
        ),
    ] = 0.0,
    delay: Annotated[
        float,
        typer.Option(
            help="Seconds from accepting each MsgSendReq to its MsgSendRes (a client timing out "
            "first has lost the answer to an accepted message)."
        ),
    ] = 0.0,
    idle_timeout: Annotated[
        float, typer.Option(help="Close a connection silent for this many seconds.")
    ] = 30.0,
    max_connections: Annotated[
        int, typer.Option(help="Bound connections allowed at once (Result 2 above); 0: unlimited.")
    ] = 0,
    spam: Annotated[
        list[str] | None,
        typer.Option(
            show_default=False,
            metavar="PHONE[:DENYNO]",
            help="Push a SpamReq after each bind (repeatable).",
        ),
    ] = None,
    change_phone: Annotated[
        list[str] | None,
        typer.Option(
            show_default=False,
            metavar="OLD:NEW",
            help="Push a ChangePhoneReq after each bind (repeatable).",
        ),
    ] = None,
    upload_ack: Annotated[
        bool,
        typer.Option(help="Answer each upload data frame with UploadFileRes (some servers do)."),
    ] = False,
    record: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            show_default=False,
            help="Append a JSON line per accepted message to FILE.",
        ),
    ] = None,
    upload_dir: Annotated[
        Path | None,
        typer.Option(metavar="DIR", show_default=False, help="Also write uploaded files to DIR."),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            show_default=False,
            help="Keep accepted ids (for 320) and unacknowledged reports in FILE across restarts.",
        ),
    ] = None,
    kakao_template: KakaoTemplates = None,
    kakao_sender_key: KakaoSenderKey = None,
    kakao_miss_rate: KakaoMissRate = 0.0,
    kakao_miss: KakaoMisses = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log one line per event to stderr.")
    ] = False,
) -> None:
    from smscli.sim.oneshot import OneShotSimConfig

    defaults = OneShotSimConfig()
    cfg = OneShotSimConfig(
        host=host,
        port=port,
        bind_id=bind_id,
        password=defaults.password if password is None else password,
        key=defaults.key if key is None else key,
        iv=defaults.iv if iv is None else iv,
        encrypt=encrypt,
        encrypted_key_res=encrypted_key_res,
        speed=speed,
        enforce_speed=enforce_speed,
        begin=begin,
        end=end,
        report_delay=report_delay,
        fail_rate=fail_rate,
        reject_rate=reject_rate,
        silent_rate=silent_rate,
        silent_ids=frozenset(silent_id or ()),
        seed=seed,
        drop_after=drop_after,
        drop_every=drop_every,
        drop_rate=drop_rate,
        delay=delay,
        idle_timeout=idle_timeout,
        max_connections=max_connections,
        spam=parse_pairs(spam or (), "--spam", default_second="0800000000"),
        change_phone=parse_pairs(change_phone or (), "--change-phone"),
        upload_ack=upload_ack,
        record=record,
        upload_dir=upload_dir,
        state_file=state,
        kakao=kakao_rules(kakao_template, kakao_sender_key, kakao_miss_rate, kakao_miss, seed),
    ).validate()
    _run(cfg, verbose)


def _log(line: str) -> None:
    now = clock.time()
    stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1000):03d}"
    print(f"{stamp} {line}", file=sys.stderr, flush=True)


def _run(cfg: "OneShotSimConfig", verbose: bool) -> None:
    import asyncio
    import signal

    from smscli.errors import UsageError
    from smscli.sim.oneshot import OneShotSimulator

    sim = OneShotSimulator(cfg, log=_log if verbose else None)

    async def main() -> None:
        try:
            address = await sim.start()
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {cfg.host}:{cfg.port}: {exc.strerror or exc}",
                hint="pick another --port, or --port 0 for a free one",
            ) from None
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM,):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        hours = f"{cfg.begin:02d}-{cfg.end:02d} KST"
        limit = cfg.speed_limit or "unlimited"
        print(
            f"smscli sim oneshot: listening on {address[0]}:{address[1]} "
            f"(encrypt {'on' if cfg.encrypt else 'off'}, speed {cfg.speed} announced / {limit} enforced, "
            f"hours {hours}; Ctrl-C to stop)\n"
            "Profile for smscli's config.toml (`smscli config path` shows where):\n\n"
            + profile_snippet(cfg, address)
            + "\n",
            file=sys.stderr,
            flush=True,
        )
        try:
            await stop.wait()
        finally:
            await sim.stop()

    with stop_on_signals(), contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    stats = sim.stats
    print(
        f"smscli sim oneshot: stopped; {stats.get('accepted', 0)} message(s) accepted, "
        f"{stats.get('acks_ReportRes', 0)} report(s) acknowledged, "
        f"{len(sim.pending_reports)} unacknowledged.",
        file=sys.stderr,
    )


def parse_pairs(
    values: Iterable[str], flag: str, *, default_second: str | None = None
) -> tuple[tuple[str, str], ...]:
    """Parse ``A:B`` flag values (``--change-phone OLD:NEW``, ``--spam PHONE[:DENYNO]``)."""
    from smscli.errors import UsageError

    shape = "PHONE[:DENYNO]" if default_second is not None else "OLD:NEW"
    pairs = []
    for value in values:
        first, sep, second = value.partition(":")
        if not sep and default_second is not None:
            second = default_second
        if not first or not second:
            raise UsageError(f"{flag} {value!r}: expected {shape}")
        pairs.append((first, second))
    return tuple(pairs)


def profile_snippet(cfg: "OneShotSimConfig", address: tuple[str, int], *, name: str = "sim") -> str:
    """The TOML profile that points smscli at this simulator. Credentials are shown only
    when they are the simulator's built-in defaults (which are not secrets)."""
    import json

    from smscli.sim.oneshot import OneShotSimConfig

    defaults = OneShotSimConfig()
    lines = [
        f"[profiles.{name}]",
        'vendor   = "oneshot"',
        f"host     = {json.dumps(address[0])}",
        f"port     = {address[1]}",
        f"bind_id  = {json.dumps(cfg.bind_id, ensure_ascii=False)}",
    ]
    for label, attr, flag in (
        ("password", "password", "--password"),
        ("aes_key ", "key", "--key"),
        ("aes_iv  ", "iv", "--iv"),
    ):
        value = getattr(cfg, attr)
        if value == getattr(defaults, attr):
            lines.append(f"{label} = {json.dumps(value, ensure_ascii=False)}")
        else:
            lines.append(f"# {label.strip()} = the value given with {flag} (not shown)")
    lines.append(f"encrypt  = {'true' if cfg.encrypt else 'false'}")
    lines.append('sender   = "0212341234"')  # the callback number: a send needs one
    lines.append(kakao_key_line(cfg.kakao))
    return "\n".join(lines)
