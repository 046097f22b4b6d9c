"""``smscli sim netshot``: run the BizNetShot simulator in the foreground."""

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from smscli.interrupts import stop_on_signals

HELP = "Run a BizNetShot (Coaintec) HTTP simulator until Ctrl-C."
EPILOG = (
    "It takes POST .../corp/send_message.php with EUC-KR/CP949 form fields (multipart with a "
    "`file` for MMS) and answers `key: value` lines, enforcing the document's rules: login "
    "(201/202), corpfrcode missing/too long (313) or already used (314), at most 1500 numbers "
    "(306) without duplicates (305), empty text (304/307), reservations only 30 minutes to 30 "
    "days ahead in Korea time (302), JPEG of at most 100 kB (401/402/403). Results go to "
    "--callback as HTTP GET (resultCode 1 = delivered) after --report-delay.\n\n"
    "Examples:\n\n"
    "\b\n"
    "  # 127.0.0.1:8081, user test / password test, results to a local `smscli result listen`:\n"
    "  smscli sim netshot --callback http://127.0.0.1:8080/\n"
    "  # a free port, every request logged, 10% failed results, reproducible:\n"
    "  smscli sim netshot --port 0 -v --callback http://127.0.0.1:8080/ --fail-rate 0.1 --seed 7\n"
    "  # a slow server: 2 requests/s, half a second per answer:\n"
    "  smscli sim netshot --rate 2 --delay 0.5\n"
    "  # 1% of accepted requests lose their answer (the connection is closed):\n"
    "  smscli sim netshot --drop-rate 0.01 --seed 1 --record accepted.jsonl\n"
    "  # your own credentials (the password from the environment, not argv):\n"
    "  SMSCLI_SIM_PASSWORD=s3cret smscli sim netshot --user acme\n\n"
    "The address and a profile for smscli's config go to stderr. --record FILE appends one "
    "JSON line per accepted (corpfrcode, number)."
)
DEFAULT_PASSWORD = "test"


def register(sim_app: typer.Typer) -> None:
    sim_app.command("netshot", help=HELP, epilog=EPILOG)(netshot)


def netshot(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port; 0 picks a free one (printed on stderr).")] = 8081,
    user: Annotated[str, typer.Option(help="The m_id clients must send.")] = "test",
    password: Annotated[str | None, typer.Option(
        envvar="SMSCLI_SIM_PASSWORD", show_default=False,
        help="The m_pw clients must send (default: test). Prefer the environment variable: "
             "argv is visible to other users.")] = None,
    callback: Annotated[str | None, typer.Option(
        help="URL that receives results by HTTP GET (e.g. `smscli result listen`).")] = None,
    report_delay: Annotated[float, typer.Option(min=0.0, help="Seconds from acceptance to the result.")] = 1.0,
    fail_rate: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Fraction of results that fail (resultCode 101-117).")] = 0.0,
    rate: Annotated[float | None, typer.Option(
        "--rate", "--speed", min=0.001, show_default=False, help="At most this many requests/s.")] = None,
    delay: Annotated[float, typer.Option(
        min=0.0, help="Extra seconds before each answer, after the request is accepted (a client "
                      "timing out first has lost the answer to an accepted request).")] = 0.0,
    drop_rate: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Fraction of accepted requests never answered: accepted and recorded, "
                               "then the connection is closed (deterministic for a given --seed).")] = 0.0,
    credit: Annotated[int | None, typer.Option(
        min=0, show_default=False, help="Recipients the account may still send (then 301).")] = None,
    record: Annotated[Path | None, typer.Option(
        show_default=False, help="Append one JSON line per accepted (corpfrcode, number) to FILE.")] = None,
    seed: Annotated[int | None, typer.Option(show_default=False, help="Random seed for --fail-rate and --drop-rate.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every request on stderr.")] = False,
    max_body: Annotated[int, typer.Option("--max-body", metavar="BYTES", min=1024,
                                          help="Largest request body accepted (413 beyond).")] = 1024 * 1024,
    request_timeout: Annotated[float, typer.Option("--request-timeout", metavar="SECONDS", min=0.1,
                                                   help="Time a client has to send a whole request (408 after).")] = 10.0,
) -> None:
    from smscli.errors import UsageError
    from smscli.sim.netshot import NetshotSim, main_log

    try:
        sim = NetshotSim(host=host, port=port, accounts={user: password or DEFAULT_PASSWORD},
                         callback=callback, report_delay=report_delay, fail_rate=fail_rate, seed=seed,
                         rate=rate, delay=delay, drop_rate=drop_rate, record=record, credit=credit,
                         log=main_log if verbose else None, max_body=max_body,
                         request_timeout=request_timeout)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                         hint="choose another --port") from None
    secret = 'password_env = "SMSCLI_SIM_PASSWORD"' if password else f'password = "{DEFAULT_PASSWORD}"'
    with stop_on_signals(), contextlib.suppress(KeyboardInterrupt):  # before the lines: a signal
        main_log(f"listening on {sim.url}"  # right after them stops it
                 + (f", results to {callback}" if callback else " (no --callback: results are not pushed)"))
        main_log("profile for smscli's config:\n"
                 f'[profiles.netshot-sim]\nvendor = "netshot"\nurl = "{sim.url}"\nuser = "{user}"\n'
                 f'{secret}\nsender = "0212341234"')
        sim.serve_forever()
    counts = sim.counts
    main_log(f"stopped: {counts['requests']} requests, {counts['accepted_pairs']} recipients accepted, "
             f"{counts['callbacks_sent']} results pushed"
             + (f", {counts['dropped']} answers dropped" if counts["dropped"] else ""))
