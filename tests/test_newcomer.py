"""Issue 9, part 6: what a new user hit, each reproduced as a test (message and exit code)."""

from __future__ import annotations

import json
import os
import pty
import queue
import re
import select
import shlex
import subprocess
import sys
import threading
import time
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from smscli import advertising, clock
from smscli.images import make_jpeg
from smscli.sim.bizppurio import BizppurioSim, SimConfig
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.timeout(180)
README = (ROOT / "README.md").read_text(encoding="utf-8")


def err_lines(proc) -> list[str]:
    err = proc.stderr.decode()
    assert "Traceback" not in err and "internal error" not in err, err
    return err.splitlines()


def write_config(home: Path, text: str) -> None:
    (home / "config.toml").write_text(text, encoding="utf-8")
    os.chmod(home / "config.toml", 0o600)


# --------------------------------------------------------------------------- README set up
def test_readme_has_two_set_up_commands_that_each_work_in_a_fresh_shell():
    section = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = [line.strip() for line in section.splitlines() if line.startswith("    ")]
    assert len(commands) == 2, commands
    for command in commands:  # each makes (or reuses) and activates the venv before pip
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install -e "), command
    assert commands[0].endswith('smscli send --to 01012345678 --message "hello"')
    test_command = "python -m pytest -q"
    assert commands[1].endswith(f"&& {test_command}")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci  # CI runs exactly README's test command, in its own venv
    assert ". .venv/bin/activate" in ci and "python -m pip install --quiet -e '.[dev]'" in ci


def test_readme_and_root_help_list_exit_status_70():
    assert "| 70 | internal error (a bug)" in README
    root = run_cli("--help").stdout.decode()
    assert "70 internal error" in root


# --------------------------------------------------------------------------- sims' profiles
class Sim:
    """``smscli sim NAME --port 0`` in the background; ``profile`` is what it printed."""

    def __init__(self, name: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, "-m", "smscli", "sim", name, "--port", "0"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.lines.put(raw.decode("utf-8", "replace"))

    def profile(self) -> str:
        text, deadline = "", time.monotonic() + 20
        while "[profiles." not in text or not re.search(r"\nsender\s*=.*\n", text.split("[profiles.")[1]):
            try:
                text += self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no profile with a sender printed: {text}") from None
        return "[profiles." + text.split("[profiles.", 1)[1]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.mark.parametrize("name", ["oneshot", "bizppurio", "netshot"])
def test_the_profile_a_simulator_prints_sends_as_it_is(isolated_env, name):
    sim = Sim(name)
    try:
        profile = sim.profile()
        write_config(isolated_env, profile)
        profile_name = re.match(r"\[profiles\.([\w-]+)\]", profile).group(1)
        sent = run_cli("-p", profile_name, "send", "--to", "01012345678", "-m", "안녕하세요", "--json")
    finally:
        sim.stop()
    assert sent.returncode == 0, (profile, sent.stderr.decode())
    assert json.loads(sent.stdout)["status"] == "accepted"


# --------------------------------------------------------------------------- --help examples
def _examples(*command: str) -> list[str]:
    text = run_cli(*command, "--help").stdout.decode()
    section = text.split("Examples:", 1)[1]
    found = []
    for line in section.splitlines():
        line = line.strip()
        line = re.sub(r"^(\S+\s+){5}(?=smscli )", "", line) if line.startswith("*") else line  # crontab
        if line.startswith("smscli ") or "| smscli " in line:
            found.append(line)
    return found


def test_every_send_and_reserve_help_example_runs_as_written(isolated_env, tmp_path, request):
    (tmp_path / "customers.csv").write_text("phone,name\n01012345678,길동\n01098765432,철수\n", encoding="utf-8")
    (tmp_path / "list.csv").write_text("phone,name\n01012345678,길동\n", encoding="utf-8")
    (tmp_path / "body.txt").write_text("긴 안내문입니다.\n" * 10, encoding="utf-8")
    (tmp_path / "photo.jpg").write_bytes(make_jpeg(320, 240))
    (tmp_path / "buttons.json").write_text(
        '[{"name": "보기", "type": "WL", "url_mobile": "https://example.com/{name}"}]', encoding="utf-8")
    (tmp_path / "rcs.json").write_text(  # the RCS MMS example's suggestions
        '[{"name": "전화 걸기", "type": "dial", "phone_number": "15880000"}]', encoding="utf-8")
    kakao_sim = BizppurioSim(SimConfig(report_delay=3600)).start()
    request.addfinalizer(kakao_sim.stop)
    kakao_config = tmp_path / "kakao.toml"  # the Kakao/RCS examples: a profile that carries them
    kakao_config.write_text(
        f'[profiles.kakao]\nvendor = "bizppurio"\nbase_url = "{kakao_sim.base_url}"\naccount = "test"\n'
        'password = "test"\nsender = "0212341234"\nkakao_sender_key = "KEY1"\nrcs_chatbot_id = "bot1"\n'
        "backoff = 0.01\n", encoding="utf-8")
    os.chmod(kakao_config, 0o600)
    (tmp_path / "notice.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n")
    (tmp_path / "agent-files").mkdir()
    biz_config = tmp_path / "bizclient.toml"  # the fax / call examples: a BIZCLIENT agent's database
    biz_config.write_text(
        f'[profiles.biz]\nvendor = "bizclient"\ndatabase_url = "sqlite:///{tmp_path / "biz.db"}"\n'
        f'file_path = "{tmp_path / "agent-files"}"\nsender = "0212341234"\n', encoding="utf-8")
    biz_env = {"SMSCLI_PROFILE": "biz", "SMSCLI_CONFIG": str(biz_config)}
    assert run_cli("bizclient", "init-db", env=biz_env).returncode == 0
    examples = _examples("send") + _examples("reserve")
    assert len(examples) >= 9, examples
    assert any("reserve cancel MESSAGE_ID" in e for e in examples)
    smscli = f"{shlex.quote(sys.executable)} -m smscli"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for example in examples:
        line = example.split("  #", 1)[0].strip()  # an example's comment is not a shell comment
        if "MESSAGE_ID" in line:  # the id of a reservation an example before made
            listed = run_cli("reserve", "list", "--json").stdout.splitlines()
            assert listed, "the reserve examples before cancel made no reservation"
            line = line.replace("MESSAGE_ID", json.loads(listed[0])["message_id"])
        line = re.sub(r"(^|\| )smscli ", lambda m: m.group(1) + smscli + " ", line)
        # The shell's `date` reads the real clock; the test's clock may be shifted (--clock-at):
        # "tomorrow" is computed on smscli's clock instead, the same as `date` when unshifted.
        def tomorrow(m: re.Match[str]) -> str:
            now = clock.now().astimezone(UTC) if m.group(1) else clock.now()
            return (now + timedelta(days=1)).strftime("%Y-%m-%d")

        line = re.sub(r"\$\((?:TZ=Asia/Seoul )?date (-u )?-d tomorrow \+%F\)", tomorrow, line)
        run_env = env
        if re.search(r"--type (alimtalk|friendtalk|rcs)", line):  # on a vendor that carries them
            run_env = {**env, "SMSCLI_PROFILE": "kakao", "SMSCLI_CONFIG": str(kakao_config)}
        elif re.search(r"--type (fax|voice)", line):  # BIZCLIENT carries them
            run_env = {**env, **biz_env}
        proc = subprocess.run(["sh", "-c", line], env=run_env, cwd=tmp_path, capture_output=True, timeout=90)
        if " --ad " in line and "--at" not in line and advertising.is_night(clock.now()):
            # between 21:00 and 08:00 the law refuses advertising, and so does the example
            assert proc.returncode == 2 and "advertising may not be sent" in proc.stderr.decode(), example
            continue
        assert proc.returncode == 0, (example, proc.stderr.decode())
        assert "Traceback" not in proc.stderr.decode()


def test_every_config_init_help_example_runs_as_written(isolated_env, tmp_path):
    """`config init --help` examples are run too (send and reserve's were, these were not,
    so a placeholder URL `http://...` went unnoticed); `pass show sms` stands in as `echo`."""
    examples = _examples("config", "init")
    assert len(examples) >= 3, examples
    smscli = f"{shlex.quote(sys.executable)} -m smscli"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BIZ_PASSWORD": "pw"}
    ran = 0
    for example in examples:
        line = example.split("  #", 1)[0].strip()
        if line == "smscli config init":  # asks, on a terminal: not run here
            continue
        line = line.replace("pass show sms |", "echo secret |")
        line = re.sub(r"(^|\| )smscli ", lambda m: m.group(1) + smscli + " ", line)
        proc = subprocess.run(["sh", "-c", line], env=env, cwd=tmp_path, capture_output=True, timeout=60)
        assert proc.returncode == 0, (example, proc.stderr.decode())
        assert "Traceback" not in proc.stderr.decode()
        ran += 1
    assert ran >= 2


def test_config_init_with_a_bad_url_says_to_run_init_again(isolated_env):
    """Nothing was written, so `config set url VALUE -p netshot` cannot fix it."""
    proc = run_cli("config", "init", "--vendor", "netshot", "--set", "url=http://...", "--set", "user=me",
                   "--password-stdin", input="secret\n")
    err = proc.stderr.decode()
    assert proc.returncode == 3, err
    assert "url has an empty label" in err and "nothing was written" in err
    assert "config init" in err and "--set url=" in err
    assert "config set" not in err


def test_reserve_help_and_readme_show_no_fixed_date():
    text = run_cli("reserve", "--help").stdout.decode()
    assert not re.search(r"--at \"?20\d\d-", text) and "a time in the future" in text
    assert not re.search(r"reserve --at \"?20\d\d-", README) and "a time in the future" in README
    missing = run_cli("reserve", "--to", "01012345678", "-m", "hi")
    assert missing.returncode == 2 and "a time in the future" in err_lines(missing)[0]


# --------------------------------------------------------------------------- result confirm
def test_result_confirm_is_refused_where_there_is_nothing_to_confirm(isolated_env):
    proc = run_cli("result", "confirm", "1027se_SL4676027383600490148")
    assert proc.returncode == 2 and proc.stdout == b""
    assert err_lines(proc) == [
        "smscli: result confirm is a Bizppurio operation; profile 'sandbox' is sandbox: it acknowledges "
        "each report as it is stored (`smscli result poll`)"]
    write_config(isolated_env, '[profiles.net]\nvendor = "netshot"\nurl = "http://127.0.0.1:9/x"\n'
                               'user = "u"\npassword = "p"\n')
    proc = run_cli("-p", "net", "result", "confirm", "x")
    assert proc.returncode == 2
    assert "profile 'net' is netshot: it has no confirm step" in err_lines(proc)[0]


def _biz_profile(home: Path, base_url: str) -> None:
    write_config(home, f'default_profile = "biz"\n[profiles.biz]\nvendor = "bizppurio"\n'
                       f'base_url = "{base_url}"\naccount = "test"\npassword = "test"\n'
                       'sender = "0212341234"\nbackoff = 0.01\n')


def test_result_confirm_on_bizppurio_confirms_known_msgids_and_names_unknown_ones(isolated_env):
    from smscli.journal import Journal

    with BizppurioSim(SimConfig(report_delay=0)) as sim:
        _biz_profile(isolated_env, sim.base_url)
        assert run_cli("send", "--to", "01012345678,01098765432", "-m", "hi").returncode == 0
        polled = run_cli("result", "poll", "--no-confirm", "--json")
        assert polled.returncode == 0 and len(polled.stdout.splitlines()) == 2
        with Journal.open(isolated_env / "data") as journal:
            msgids = [r.extra["msgid"] for r in journal.list_reports(vendor="bizppurio")]
        assert sim.api.pending_reports() == 2

        unknown = run_cli("result", "confirm", "never-seen-1", "never-seen-2")
        assert unknown.returncode == 2 and unknown.stdout == b""
        assert err_lines(unknown)[0].startswith(
            "smscli: no report in the journal has msgid 'never-seen-1' (nor 1 other(s)): nothing confirmed")
        assert sim.api.pending_reports() == 2

        mixed = run_cli("result", "confirm", msgids[0], "never-seen-1", "--json")
        assert mixed.returncode == 1
        rows = [json.loads(line) for line in mixed.stdout.splitlines()]
        assert [(r["msgid"], r["status"]) for r in rows] == [(msgids[0], "confirmed"), ("never-seen-1", "unknown")]
        assert err_lines(mixed) == ["smscli: 1 msgid(s) not in the journal, not confirmed: never-seen-1"]
        assert sim.api.pending_reports() == 1

        known = run_cli("result", "confirm", msgids[1])
        assert known.returncode == 0 and known.stdout.decode().split("\t")[:2] == [msgids[1], "confirmed"]
        assert sim.api.pending_reports() == 0


# --------------------------------------------------------------------------- result poll count
def test_result_poll_counts_what_it_printed(isolated_env):
    with BizppurioSim(SimConfig(report_delay=0)) as sim:
        _biz_profile(isolated_env, sim.base_url)
        assert run_cli("send", "--to", "01012345678,01098765432,01011112222", "-m", "hi").returncode == 0
        first = run_cli("result", "poll", "--no-confirm")
        again = run_cli("result", "poll")  # the unconfirmed three come back, already stored
    assert first.returncode == 0 and len(first.stdout.splitlines()) == 3
    assert err_lines(first) == ["3 report(s) stored"]
    assert again.returncode == 0 and again.stdout == b""
    assert err_lines(again) == ["0 report(s) stored; 3 received again were in the journal already, not shown"]


# --------------------------------------------------------------------------- packet decode
def test_packet_decode_with_a_port_that_matches_nothing_is_one_line():
    proc = run_cli("packet", "decode", "samples/oneshot-session.pcap", "--port", "9999")
    assert proc.returncode == 2 and proc.stdout == b""
    assert err_lines(proc) == [
        "smscli: no OneShot frames found in samples/oneshot-session.pcap: the capture holds no TCP "
        "segments on port 9999 (22 packets read) (check --port and that the capture holds the OneShot "
        "connection)"]


# --------------------------------------------------------------------------- config get
def test_config_get_of_a_typo_suggests_the_nearest_known_key(isolated_env):
    write_config(isolated_env, '[profiles.os]\nvendor = "oneshot"\nhost = "127.0.0.1"\nport = 9000\n')
    proc = run_cli("-p", "os", "config", "get", "prot")
    assert proc.returncode == 3 and proc.stdout == b""
    assert err_lines(proc) == ["smscli: profile 'os' has no 'prot': 'prot' is not a oneshot key (did you mean "
                               "'port'?) (run `smscli config get port`)"]
    assert run_cli("-p", "os", "config", "get", "port").stdout == b"9000\n"
    unset = run_cli("-p", "os", "config", "get", "sender")  # a known key, not set: how to set it
    assert unset.returncode == 3
    assert "has no 'sender' (run `smscli config set sender VALUE -p os`" in err_lines(unset)[0]
    assert run_cli("-p", "os", "config", "set", "sender", "0212341234").returncode == 0
    sandbox = run_cli("config", "get", "port")  # not a sandbox key, and nothing close to it
    assert sandbox.returncode == 3
    assert "'port' is not a sandbox key (only oneshot read it)" in err_lines(sandbox)[0]


# --------------------------------------------------------------------------- help metavars
def test_list_arguments_show_a_metavar_not_a_python_type():
    for command, metavar in ((("result", "confirm"), "MSGID..."), (("reserve", "cancel"), "MESSAGE_ID..."),
                             (("mms", "upload"), "FILE...")):
        text = run_cli(*command, "--help").stdout.decode()
        assert re.search(rf"^\s+{re.escape(metavar)}\s+\S", text, re.M), text
        assert "<list[" not in text
    assert "KEY  " in run_cli("config", "get", "--help").stdout.decode()


# --------------------------------------------------------------------------- empty lists
def _on_a_terminal(*args: str) -> tuple[bytes, bytes, int]:
    """Run the CLI with stdout on a pseudo-terminal; (stdout, stderr, status)."""
    primary, secondary = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "smscli", *args], stdout=secondary,
                            stderr=subprocess.PIPE, env=env, cwd=ROOT)
    os.close(secondary)
    out = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        out += chunk
    err = proc.stderr.read()
    os.close(primary)
    return out, err, proc.wait(timeout=30)


@pytest.mark.parametrize(("args", "said"), [
    (("reserve", "list"), "smscli: no scheduled messages in the journal"),
    (("result", "list"),
     "smscli: no messages of profile 'sandbox' in the journal (--all-profiles looks in every profile)"),
    (("result", "list", "--status", "failed", "--since", "1h"),
     "smscli: no failed messages of profile 'sandbox' in the journal since 1h"
     " (--all-profiles looks in every profile)"),
    (("result", "list", "--tag", "spring", "--all-profiles"),
     "smscli: no messages of any profile that match in the journal"),
    (("runs",), "smscli: no runs in the journal"),
])
def test_an_empty_list_says_so_on_a_terminal_and_prints_nothing_to_a_pipe(args, said):
    out, err, status = _on_a_terminal(*args)
    assert status == 0 and out == b"" and err.decode().splitlines() == [said]
    piped = run_cli(*args)
    assert piped.returncode == 0 and piped.stdout == b"" and piped.stderr == b""


# --------------------------------------------------------------------------- -V
def test_dash_v_is_the_version():
    from smscli import __version__

    for flag in ("-V", "--version"):
        proc = run_cli(flag)
        assert proc.returncode == 0 and proc.stdout.decode() == f"smscli {__version__}\n"


# --------------------------------------------------------------------------- BIZCLIENT TEMPLATE_CODE
def _bizclient_profile(home: Path, url: str, files: Path) -> None:
    files.mkdir(exist_ok=True)
    write_config(home, f'default_profile = "agent"\n[profiles.agent]\nvendor = "bizclient"\n'
                       f'database_url = "{url}"\nfile_path = "{files}"\nsender = "0212341234"\n')


def test_init_db_makes_template_code_64_characters(isolated_env, tmp_path):
    pytest.importorskip("sqlalchemy")
    from smscli.vendors.bizclient_db import BizDatabase

    url = f"sqlite:///{tmp_path / 'biz.db'}"
    _bizclient_profile(isolated_env, url, tmp_path / "files")
    assert run_cli("bizclient", "init-db").returncode == 0
    db = BizDatabase(url)
    with db.connect() as conn:
        columns = {c["name"]: c for c in db.sa.inspect(conn).get_columns("BIZ_MSG")}
    db.dispose()
    assert columns["TEMPLATE_CODE"]["type"].length == 64


def test_a_table_with_the_older_30_character_template_code_is_still_used(isolated_env, tmp_path):
    pytest.importorskip("sqlalchemy")
    import sqlite3

    from smscli.vendors.bizclient_db import COLUMNS, MSG_TABLE

    def ddl(name: str, kind: str, length: int, nullable: bool, default: str | None) -> str:
        length = 30 if name == "TEMPLATE_CODE" else length  # the v1.3 manual's table
        col = {"str": f"VARCHAR({length})", "num": "INTEGER", "time": "DATETIME"}[kind]
        if default == "now":
            col += " DEFAULT (datetime('now','localtime'))"
        elif default is not None:
            col += f" DEFAULT {default}"
        return f"{name} {col}" + ("" if nullable else " NOT NULL") + (" PRIMARY KEY" if name == "CMID" else "")

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE TABLE {MSG_TABLE} ({', '.join(ddl(*spec) for spec in COLUMNS)})")
    _bizclient_profile(isolated_env, f"sqlite:///{path}", tmp_path / "files")
    init = run_cli("bizclient", "init-db", "--json")
    assert init.returncode == 0, init.stderr
    assert {"table": MSG_TABLE, "status": "exists"} in [json.loads(x) for x in init.stdout.splitlines()]
    sent = run_cli("send", "--to", "01012345678", "-m", "안녕하세요", "--json")
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["status"] == "accepted"
    with sqlite3.connect(path) as conn:
        assert conn.execute(f"SELECT count(*) FROM {MSG_TABLE}").fetchone() == (1,)


def _commands(cmd, ctx, path=()):
    """Every command of the click tree as (its words after smscli, the command); the
    groups load their commands as they are asked for them."""
    yield path, cmd
    if hasattr(cmd, "list_commands"):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None:
                yield from _commands(sub, sub.context_class(sub, info_name=name, parent=ctx), (*path, name))


def test_every_help_example_is_printed_whole_at_80_columns():
    """An example is copied from --help as it stands: none is re-wrapped onto two lines
    (an epilog paragraph of examples starts with click's \\b)."""
    import typer.main
    from typer.testing import CliRunner

    from smscli.cli.app import app

    root = typer.main.get_command(app)
    checked = 0
    for path, cmd in _commands(root, root.context_class(root, info_name="smscli")):
        examples = [line.strip() for line in (cmd.epilog or "").replace("\b", "").splitlines()
                    if line.startswith("  ") and "smscli " in line]
        if not examples:
            continue
        shown = CliRunner().invoke(app, [*path, "--help"], terminal_width=80, env={"COLUMNS": "80"}).output
        lines = {line.strip() for line in shown.splitlines()}
        assert [e for e in examples if e not in lines] == [], " ".join(path)
        checked += len(examples)
    assert checked > 50
