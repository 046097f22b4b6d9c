"""``smscli sim bizppurio``: run the Bizppurio HTTP API simulator in the foreground."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

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
    from smscli.sim.bizppurio import BizppurioSim

DEFAULT_PASSWORD = "test"
HELP = "Run a Bizppurio (Daou) HTTP API v3 simulator until Ctrl-C."
EPILOG = (
    "It serves /v1/token, /v3/message, /v1/file and /v2/file, /v1/result/request and "
    "/v1/result/confirm with the real checks (EUC-KR byte limits, refkey <= 32 bytes, JPEG <= 300 kB, "
    "sendtime within 30 days) and codes (2000, 3001, 3002, 3005, 5002 with RateLimit-Reset, 5003).\n\n"
    "Examples:\n\n"
    "\b\n"
    "  # http://127.0.0.1:8480, account test, password test:\n"
    "  smscli sim bizppurio\n"
    "  # HTTPS with a self-signed certificate (its CA file is printed):\n"
    "  smscli sim bizppurio --tls --port 0\n"
    "  # a hostile day: 50 requests/s, the first 10 fail, slow answers, 10% failed reports:\n"
    "  smscli sim bizppurio --rate 50 --fail-5xx 10 --delay 0.5 --fail-rate 0.1 --seed 1\n"
    "  # lost answers: 1% of accepted messages get no answer (the connection is closed):\n"
    "  smscli sim bizppurio --drop-rate 0.01 --seed 1 --record accepted.jsonl\n"
    "  # push reports to `smscli result listen` instead of waiting to be polled:\n"
    "  smscli sim bizppurio --push http://127.0.0.1:8000/result\n"
    "  # your own credentials (the password from the environment, not argv):\n"
    "  SMSCLI_SIM_PASSWORD=s3cret smscli sim bizppurio --account acme\n"
    "  # AlimTalk: one approved template, one sender key, a recipient not on Kakao:\n"
    "  smscli sim bizppurio --kakao-template ORDER01=order.txt --kakao-sender-key KEY1 --kakao-miss 01099998888\n\n"
    "Kakao (type at/ai/ft) and RCS are accepted as the public API v3 document has them; Kakao's "
    "verdict comes in the report with Daou's codes (7105 unknown sender key, 7315 unknown template, "
    "7204 text or buttons not as approved, 7318 / 7203 / 8836 not on Kakao / not a friend / no RCS; "
    "RCS 8832 an image that is not a maapfile:// id, 8882 suggestions it cannot read or an image "
    "on an SMS/LMS base, 8878 more suggestions than the base takes; "
    "7000 and 8000 delivered), and a failed first channel with a resend is delivered as the "
    "fallback, reported with RESEND_FLAG and TELRES/KAORES/RCSRES.\n\n"
    "International messages (country + the national number in to) are sms, lms, at and ft as the "
    "document's 국제 메시지 발송 has them: a known country code, SMS 50 Korean / 150 Latin characters, "
    "LMS 150 / 450, an sms or lms fallback; anything else is 2000. Their reports say MEDIA ISM / ILM.\n\n"
    "The address and a profile for smscli's config go to stderr. --record FILE appends one "
    "JSON line per acceptance: like the real service the simulator accepts a refkey it has seen "
    'before, and such a line has "times": 2 (3, ...); an unanswered one has "answer": "dropped".'
)


def register(sim_app: typer.Typer) -> None:
    sim_app.command("bizppurio", help=HELP, epilog=EPILOG)(bizppurio)


def bizppurio(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port; 0 picks a free one (printed on stderr).")] = 8480,
    account: Annotated[str, typer.Option(help="The account clients must use.")] = "test",
    password: Annotated[
        str | None,
        typer.Option(envvar="SMSCLI_SIM_PASSWORD", show_default=False,
                     help="The account's password (default: test). Prefer the environment variable: "
                          "argv is visible to other users."),
    ] = None,
    tls: Annotated[bool, typer.Option(help="Serve HTTPS with a self-signed certificate made on the fly.")] = False,
    token_ttl: Annotated[float, typer.Option(help="Seconds a token stays valid.")] = 86400.0,
    rate: Annotated[
        int, typer.Option("--rate", "--speed", help="Requests/s before HTTP 429 / 5002 (0: unlimited).")
    ] = 0,
    fail_5xx: Annotated[int, typer.Option("--fail-5xx", help="The first N requests answer 5003 (HTTP 503).")] = 0,
    delay: Annotated[float, typer.Option(
        help="Seconds from accepting each /v3/message to answering it (a client timing out first "
             "has lost the answer to an accepted message).")] = 0.0,
    drop_rate: Annotated[float, typer.Option(
        help="Fraction of accepted /v3/message never answered: the message is accepted and recorded, "
             "then the connection is closed (deterministic for a given --seed).")] = 0.0,
    drop_id: Annotated[list[str] | None, typer.Option(
        "--drop-id", metavar="REFKEY", show_default=False,
        help="A refkey whose first acceptance is never answered (repeatable).")] = None,
    errors_in_200: Annotated[
        bool, typer.Option("--errors-in-200", help="Answer error codes with HTTP 200 instead of 4xx.")
    ] = False,
    report_delay: Annotated[float, typer.Option(help="Seconds from acceptance (or sendtime) to its report.")] = 1.0,
    fail_rate: Annotated[float, typer.Option(help="Fraction of reports that fail (4401/4410/4414, 6604/...).")] = 0.0,
    push: Annotated[
        str | None,
        typer.Option(metavar="URL", show_default=False,
                     help="POST each report (JSON, upper-case keys) to URL instead of keeping it for polling."),
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option(metavar="FILE", show_default=False, help="Append a JSON line per acceptance (a refkey accepted again too) to FILE."),
    ] = None,
    seed: Annotated[int | None, typer.Option(show_default=False, help="Seed for --fail-rate and --drop-rate.")] = None,
    max_body: Annotated[int, typer.Option("--max-body", metavar="BYTES", min=1024,
                                          help="Largest request body accepted (413 beyond).")] = 1024 * 1024,
    request_timeout: Annotated[float, typer.Option("--request-timeout", metavar="SECONDS", min=0.1,
                                                   help="Time a client has to send a whole request (408 after).")] = 10.0,
    kakao_template: KakaoTemplates = None,
    kakao_sender_key: KakaoSenderKey = None,
    kakao_miss_rate: KakaoMissRate = 0.0,
    kakao_miss: KakaoMisses = None,
) -> None:
    from smscli.errors import UsageError
    from smscli.sim.bizppurio import SimConfig, serve

    for name, value in (("--token-ttl", token_ttl), ("--delay", delay), ("--report-delay", report_delay),
                        ("--rate", rate), ("--fail-5xx", fail_5xx)):
        if value < 0:
            raise UsageError(f"{name} must not be negative")
    for name, fraction in (("--fail-rate", fail_rate), ("--drop-rate", drop_rate)):
        if not 0.0 <= fraction <= 1.0:
            raise UsageError(f"{name} must be between 0 and 1")
    if push and not push.startswith(("http://", "https://")):
        raise UsageError(f"--push needs an http:// or https:// URL, not {push!r}")
    config = SimConfig(
        host=host, port=port, account=account,
        password=DEFAULT_PASSWORD if password is None else password,
        token_ttl=token_ttl, rate=rate, fail_5xx=fail_5xx, delay=delay, drop_rate=drop_rate,
        drop_ids=frozenset(drop_id or ()), errors_in_200=errors_in_200,
        report_delay=report_delay, fail_rate=fail_rate, push_url=push, tls=tls, record=record, seed=seed,
        max_body=max_body, request_timeout=request_timeout,
        kakao=kakao_rules(kakao_template, kakao_sender_key, kakao_miss_rate, kakao_miss, seed),
    )
    running: list[BizppurioSim] = []

    def announce(sim: "BizppurioSim") -> None:
        running.append(sim)
        _announce(sim, custom_password=password is not None)

    try:
        with stop_on_signals():
            serve(config, announce=announce)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                         hint="pick another --port, or --port 0 for a free one") from None
    except KeyboardInterrupt:
        stats = running[0].stats() if running else {}
        print(f"smscli sim bizppurio: stopped; {stats.get('accepted', 0)} message(s) accepted "
              f"({stats.get('accepted_again', 0)} under a refkey accepted before), "
              f"{stats.get('dropped', 0)} answer(s) dropped.", file=sys.stderr)


def _announce(sim: "BizppurioSim", *, custom_password: bool) -> None:
    cfg = sim.config
    secret = 'password_env = "SMSCLI_SIM_PASSWORD"' if custom_password else f'password = "{DEFAULT_PASSWORD}"'
    lines = [
        f"smscli sim bizppurio: listening on {sim.base_url} (account {cfg.account}; "
        f"rate {cfg.rate or 'unlimited'}/s; reports {'pushed to ' + cfg.push_url if cfg.push_url else 'polled'}; "
        "Ctrl-C to stop)",
        "Profile for smscli's config.toml (`smscli config path` shows where):",
        "",
        "[profiles.bizsim]",
        'vendor   = "bizppurio"',
        f'base_url = "{sim.base_url}"',
        f'account  = "{cfg.account}"',
        secret,
        'sender   = "0212341234"',
        kakao_key_line(cfg.kakao),
        'rcs_chatbot_id = "0212341234"',
    ]
    if sim.ca_file is not None:
        lines.append(f'ca_file  = "{sim.ca_file}"   # the self-signed certificate, valid while this runs')
    print("\n".join(lines) + "\n", file=sys.stderr, flush=True)
