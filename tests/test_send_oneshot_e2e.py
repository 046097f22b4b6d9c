"""`smscli send` / `reserve` / `result` end to end: the real CLI in a subprocess, the
OneShot simulator in-process, real sockets on loopback."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from smscli.images import make_jpeg
from smscli.sim.oneshot import OneShotSimulator
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.timeout(90)

PROFILE = """
default_profile = "t"
[profiles.t]
vendor = "oneshot"
host = "127.0.0.1"
port = {port}
bind_id = "test001"
password = "test001#$$%"
aes_key = "0123456789abcdef"
aes_iv = "fedcba9876543210"
sender = "15666639"
connect_timeout = 2
response_timeout = 2
reconnect_attempts = 3
"""


def write_config(home: Path, port: int) -> None:
    path = home / "config.toml"
    path.write_text(PROFILE.format(port=port))
    path.chmod(0o600)


@pytest.fixture
def sim(isolated_env):
    """A simulator and a config whose default profile points at it."""
    with OneShotSimulator(speed=0, report_delay=0.2) as server:
        _, port = server.address
        write_config(isolated_env, port)
        yield server


def lines(proc: subprocess.CompletedProcess[bytes]) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.decode().splitlines() if line.strip()]


def accepted_ids(server: OneShotSimulator) -> list[str]:
    return [m.user_msg_id for m in server.accepted]


def write_csv(path: Path, n: int, *, bad_at: int | None = None) -> Path:
    rows = ["id,phone,name"]
    for i in range(n):
        number = "not-a-number" if i == bad_at else f"010{i:08d}"
        rows.append(f"row-{i},{number},고객{i}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_send_one_message(sim):
    proc = run_cli("send", "--to", "010-1234-5678", "-m", "안녕하세요", "--json")
    assert proc.returncode == 0, proc.stderr
    [obj] = lines(proc)
    assert obj["status"] == "accepted" and obj["to"] == "01012345678"
    assert obj["vendor"] == "oneshot" and obj["type"] == "sms" and obj["code"] == "0"
    assert set(obj) >= {"to", "status", "message_id", "vendor", "type", "code", "detail"}
    assert accepted_ids(sim) == [obj["message_id"]]


def test_csv_with_a_bad_row_among_good_ones(sim, tmp_path):
    csv = write_csv(tmp_path / "list.csv", 20, bad_at=7)
    proc = run_cli("send", "--csv", str(csv), "-m", "{name}님 안녕하세요", "--json")
    assert proc.returncode == 1  # some rows invalid
    out = lines(proc)
    bad = [o for o in out if o["status"] == "invalid"]
    assert len(bad) == 1 and "letters in number" in bad[0]["detail"]
    assert sorted(o["message_id"] for o in out if o["status"] == "accepted") == sorted(accepted_ids(sim))
    assert len(accepted_ids(sim)) == 19
    assert "19 accepted" in proc.stderr.decode() and "1 invalid" in proc.stderr.decode()


def test_same_id_twice_sends_once(sim):
    first = run_cli("send", "--to", "01012345678", "-m", "daily", "--id", "job-1121", "--json")
    second = run_cli("send", "--to", "01012345678", "-m", "daily", "--id", "job-1121", "--json")
    assert first.returncode == 0 and second.returncode == 0
    assert lines(first)[0]["status"] == "accepted"
    assert lines(second)[0]["status"] == "duplicate"
    assert accepted_ids(sim) == ["job-1121"]


def test_an_id_taken_by_another_message_is_invalid_not_a_silent_duplicate(sim, tmp_path):
    """An id is one message (CONTRACT: duplicate = already accepted under the same id).
    The same id for another recipient or text, or for a message the sandbox took (and
    delivered nothing), is a mistake: that row is invalid, says why, and nothing is lost
    silently; the very same message again is still a duplicate."""
    csv = tmp_path / "ids.csv"
    csv.write_text("id,phone,name\na1,01012345678,x\na1,01099998888,y\na2,01011112222,z\n"
                   "a2,01011112222,z\n", encoding="utf-8")
    proc = run_cli("send", "--csv", str(csv), "-m", "{name}", "--json")
    assert proc.returncode == 1, proc.stderr
    assert [(x["to"], x["status"], x["detail"]) for x in lines(proc) if x["status"] != "accepted"] == [
        ("01099998888", "invalid", "not sent: its id a1 is taken by a message earlier in this input to "
                                   "another recipient; give this one an id of its own"),
        ("01011112222", "duplicate", "earlier in this input under this id")]
    assert sorted(accepted_ids(sim)) == ["a1", "a2"]

    edited = run_cli("send", "--to", "01012345678", "-m", "y", "--id", "a1", "--json")
    assert edited.returncode == 1 and lines(edited)[0]["detail"].endswith(
        "a message already accepted with another text; give this one an id of its own")
    again = run_cli("send", "--to", "01012345678", "-m", "x", "--id", "a1", "--json")
    assert again.returncode == 0 and lines(again)[0]["status"] == "duplicate"

    tried = run_cli("-p", "sandbox", "send", "--to", "01012345678", "-m", "daily", "--id", "due-1", "--json")
    assert tried.returncode == 0 and lines(tried)[0]["vendor"] == "sandbox"
    real = run_cli("send", "--to", "01012345678", "-m", "daily", "--id", "due-1", "--json")
    assert real.returncode == 1
    assert lines(real)[0]["detail"] == ("not sent: its id due-1 is taken by a message already accepted on the "
                                        "sandbox (which delivers nothing); give this one an id of its own")
    assert "due-1" not in accepted_ids(sim)


def test_the_same_id_with_another_recipient_list_sends_each_recipient_once(sim):
    """``--id KEY`` is KEY for one recipient and KEY-recipient for several (CONTRACT), so
    the same alert to A, then to A and B, would give A a second id: the other form is
    looked up, and A's message is a duplicate there, in both directions."""
    first = run_cli("send", "--to", "01088880001", "-m", "장애 알림 A", "--id", "alert-42", "--json")
    assert first.returncode == 0 and lines(first)[0]["status"] == "accepted"
    both = run_cli("send", "--to", "01088880001,01088880002", "-m", "장애 알림 A", "--id", "alert-42", "--json")
    assert both.returncode == 0, both.stderr
    assert [(x["to"], x["status"], x["detail"]) for x in lines(both)] == [
        ("01088880001", "duplicate", "already accepted under the id alert-42 (the same --id, another recipient list)"),
        ("01088880002", "accepted", "성공")]
    alone = run_cli("send", "--to", "01088880002", "-m", "장애 알림 A", "--id", "alert-42", "--json")
    assert [(x["status"], x["detail"]) for x in lines(alone)] == [
        ("duplicate", "already accepted under the id alert-42-01088880002 (the same --id, another recipient list)")]
    other_text = run_cli("send", "--to", "01088880001,01088880003", "-m", "장애 알림 B", "--id", "alert-42", "--json")
    assert [x["status"] for x in lines(other_text)] == ["accepted", "accepted"]  # another message: sent
    assert Counter(accepted_ids(sim)) == Counter(
        ["alert-42", "alert-42-01088880002", "alert-42-01088880001", "alert-42-01088880003"])


def test_the_other_form_of_an_id_handed_over_without_an_answer_is_held(sim, isolated_env):
    """The other form of ``--id`` was handed over and never answered (killed): it may have
    been sent, and the vendor cannot tell two ids apart, so it is held, not sent again."""
    from smscli.journal import Journal
    from smscli.models import Message

    with Journal.open(isolated_env / "data") as journal:
        journal.claim([Message(id="alert-7", to="01088880001", text="점검", sender="15666639")], "oneshot", "t")
    proc = run_cli("send", "--to", "01088880001,01088880002", "-m", "점검", "--id", "alert-7", "--json")
    assert proc.returncode == 1, proc.stderr  # something was not sent: it says so
    assert [(x["to"], x["status"]) for x in lines(proc)] == [("01088880001", "unknown"), ("01088880002", "accepted")]
    assert "handed over before under the id alert-7 without a journaled answer" in lines(proc)[0]["detail"]
    assert accepted_ids(sim) == ["alert-7-01088880002"]


def test_sigkill_mid_batch_then_rerun_sends_each_once(isolated_env, tmp_path):
    n = 1500
    csv = write_csv(tmp_path / "big.csv", n)
    with OneShotSimulator(speed=300, report_delay=3600) as server:
        _, port = server.address
        write_config(isolated_env, port)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        args = [sys.executable, "-m", "smscli", "send", "--csv", str(csv), "-m", "{name}", "--json"]
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert server.wait_until(lambda: len(server.accepted) >= 200, timeout=30)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        partial = len(server.accepted)
        assert 0 < partial < n

        again = run_cli("send", "--csv", str(csv), "-m", "{name}", "--json", timeout=80)
        assert again.returncode == 0, again.stderr
        statuses = {o["message_id"]: o["status"] for o in lines(again)}
        assert len(statuses) == n
        assert set(statuses.values()) <= {"accepted", "duplicate"}
        ids = accepted_ids(server)
        assert len(ids) == n and set(ids) == {f"row-{i}" for i in range(n)}  # none lost, none twice


def test_ctrl_c_mid_batch_exits_130_then_rerun_sends_the_rest_once(isolated_env, tmp_path):
    n = 1500
    csv = write_csv(tmp_path / "big.csv", n)
    with OneShotSimulator(speed=300, report_delay=3600) as server:
        write_config(isolated_env, server.address[1])
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        args = [sys.executable, "-m", "smscli", "send", "--csv", str(csv), "-m", "{name}", "--json"]
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert server.wait_until(lambda: len(server.accepted) >= 200, timeout=30)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 130
        last = err.decode().strip().splitlines()[-1]
        assert last.startswith("smscli: stopped: ") and "--resume sends the rest" in last, last
        assert b"Traceback" not in err

        again = run_cli("send", "--csv", str(csv), "-m", "{name}", "--json", timeout=80)
        assert again.returncode == 0, again.stderr
        ids = accepted_ids(server)
        assert len(ids) == n and set(ids) == {f"row-{i}" for i in range(n)}


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_a_csv_whose_quote_is_left_open_far_down_sends_nothing(sim, tmp_path, how):
    """The rows are read as they are sent, but the quoting is checked to the end first: a
    quote left open at row 20,000 would otherwise send the rows before it and then stop."""
    data = b"phone,name\n" + b"".join(b"0101%07d,x\n" % i for i in range(20_000)) + b'01099999999,"open\n01088888888,y\n'
    csv = tmp_path / "open-quote.csv"
    csv.write_bytes(data)
    if how == "file":
        proc = run_cli("send", "--csv", str(csv), "-m", "{name}")
    else:
        proc = run_cli("send", "--csv", "-", "-m", "{name}", input=data)
    assert proc.returncode == 2, proc.stderr
    name = str(csv) if how == "file" else "stdin"
    assert proc.stderr.decode().splitlines() == [
        f"smscli: CSV input {name}: the quoted field that starts on line 20002 is never closed; nothing was sent "
        '(a field that starts with " must end with "; write "" for a quote inside it)']
    assert accepted_ids(sim) == []
    assert run_cli("result", "list", "--json").stdout == b""


def test_csv_rows_whose_text_becomes_too_long_are_invalid(sim, tmp_path):
    csv = tmp_path / "l.csv"
    csv.write_text("phone,name\n01012345678,짧은\n01022223333," + "가" * 1000 + "\n", encoding="utf-8")
    proc = run_cli("send", "--csv", str(csv), "-m", "{name}님", "--json")
    assert proc.returncode == 1
    statuses = {o["to"]: (o["status"], o["detail"]) for o in lines(proc)}
    assert statuses["01012345678"][0] == "accepted"
    assert statuses["01022223333"][0] == "invalid" and "bytes" in statuses["01022223333"][1]


def test_ctrl_c_without_ids_drains_then_resume_sends_the_rest_once(isolated_env, tmp_path):
    n = 1500
    csv = tmp_path / "noid.csv"
    csv.write_text("phone\n" + "".join(f"010{i:08d}\n" for i in range(n)), encoding="utf-8")
    with OneShotSimulator(speed=300, report_delay=3600) as server:
        write_config(isolated_env, server.address[1])
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen([sys.executable, "-m", "smscli", "send", "--csv", str(csv), "-m", "hi"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert server.wait_until(lambda: len(server.accepted) >= 100, timeout=30)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 130, err
        assert "Ctrl-C again to stop at once" in err.decode()
        run_id = re.search(r"run (\w+) is unfinished", err.decode()).group(1)
        sent = len(server.accepted)
        # Drained: every message handed over got its answer journaled; nothing is pending.
        listed = [json.loads(x) for x in run_cli("result", "list", "--json").stdout.decode().splitlines()]
        assert [o["status"] for o in listed].count("accepted") == sent
        assert {o["status"] for o in listed} == {"accepted"}
        runs = [json.loads(x) for x in run_cli("runs", "--json").stdout.decode().splitlines()]
        assert [(r["run_id"], r["state"], r["finished"]) for r in runs] == [(run_id, "interrupted", False)]

        again = run_cli("send", "--csv", str(csv), "-m", "hi", "--resume", "--json", timeout=80)
        assert again.returncode == 0, again.stderr
        statuses = Counter(o["status"] for o in lines(again))
        assert statuses == {"duplicate": sent, "accepted": n - sent}
        numbers = Counter(m.phone for m in server.accepted)
        assert len(numbers) == n and set(numbers.values()) == {1}  # 0 lost, 0 doubled
        assert f"resuming run {run_id}" in again.stderr.decode()


def test_message_checks(sim):
    empty = run_cli("send", "--to", "01012345678", "-m", "   ")
    assert empty.returncode == 2 and b"empty message" in empty.stderr

    long = run_cli("send", "--to", "01012345678", "-m", "가" * 1001, "--json")
    assert long.returncode == 2 and long.stdout == b""
    assert "2002 bytes" in long.stderr.decode() and len(long.stderr.decode().splitlines()) == 1

    emoji = run_cli("send", "--to", "01012345678,01022223333", "-m", "hi 😀", "--json")
    assert emoji.returncode == 2 and "U+1F600" in emoji.stderr.decode()

    per_row = run_cli("send", "--to", "01012345678", "-m", "{x}", "--json")  # no CSV: no {x}
    assert per_row.returncode == 2

    allowed = run_cli("send", "--to", "01012345678", "-m", "hi 😀", "--allow-unicode", "--json")
    assert allowed.returncode == 0 and lines(allowed)[0]["status"] == "accepted"
    assert len(sim.accepted) == 1


def test_binary_garbage_on_stdin_is_refused_quickly(sim):
    garbage = os.urandom(10 * 1024 * 1024)
    started = time.monotonic()
    proc = run_cli("send", "--csv", "-", "-m", "hi", input=garbage)
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith("smscli: input is not text")
    assert len(proc.stderr.decode().strip().splitlines()) == 1
    assert time.monotonic() - started < 15
    assert sim.accepted == []


def test_wrong_password_is_one_line_exit_3(isolated_env):
    with OneShotSimulator(password="right") as server:
        _, port = server.address
        write_config(isolated_env, port)
        proc = run_cli("send", "--to", "01012345678", "-m", "hi")
    assert proc.returncode == 3
    err = proc.stderr.decode().strip().splitlines()
    assert len(err) == 1 and err[0].startswith("smscli:") and "password" in err[0].lower()
    assert "test001#$$%" not in proc.stderr.decode()


def test_nothing_listening_is_exit_4_within_the_connect_timeout(isolated_env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    write_config(isolated_env, port)
    started = time.monotonic()
    proc = run_cli("send", "--to", "01012345678", "-m", "hi")
    assert proc.returncode == 4, proc.stderr
    assert time.monotonic() - started < 20
    assert b"Traceback" not in proc.stderr


def test_a_server_that_never_answers_ends_unknown_exit_1(isolated_env):
    with OneShotSimulator(speed=0, silent_ids=frozenset({"quiet-1"})) as server:
        write_config(isolated_env, server.address[1])
        proc = run_cli("send", "--to", "01012345678", "-m", "hi", "--id", "quiet-1", "--json")
        assert proc.returncode == 1, proc.stderr
        assert lines(proc)[0]["status"] == "unknown"
        again = run_cli("send", "--to", "01012345678", "-m", "hi", "--id", "quiet-1", "--json")
        assert lines(again)[0]["status"] in ("unknown", "duplicate")  # resent: the server has it
        assert accepted_ids(server) == ["quiet-1"]


def test_wait_collects_delivery_reports(sim):
    proc = run_cli("send", "--to", "01012345678,01022223333", "-m", "hi", "--wait", "10", "--json")
    assert proc.returncode == 0, proc.stderr
    assert {o["status"] for o in lines(proc)} == {"delivered"}
    listed = run_cli("result", "list", "--status", "delivered", "--json")
    assert len(lines(listed)) == 2


def test_result_poll_stores_pushed_reports(sim):
    sent = run_cli("send", "--to", "01012345678", "-m", "hi", "--json")
    mid = lines(sent)[0]["message_id"]
    time.sleep(0.5)
    polled = run_cli("result", "poll", "--timeout", "3", "--json")
    assert polled.returncode == 0, polled.stderr
    reports = lines(polled)
    assert [r["message_id"] for r in reports] == [mid]
    assert reports[0]["status"] == "delivered" and reports[0]["vendor"] == "oneshot"
    assert sim.wait_until(lambda: not sim.pending_reports, timeout=5)  # acknowledged


def test_optout_from_spam_push_is_skipped(sim):
    sim.push_spam("01055556666")
    sim.push_change_phone("0111234564", "01012345678")
    polled = run_cli("result", "poll", "--timeout", "2")
    assert polled.returncode == 0
    assert "01055556666 opted out via 0800000000 (080)" in polled.stderr.decode()
    assert "number change reported by the vendor: 0111234564 → 01012345678" in polled.stderr.decode()
    proc = run_cli("send", "--to", "01055556666", "-m", "hi", "--json")
    assert proc.returncode == 1
    assert lines(proc)[0]["status"] == "invalid" and "opted out (080)" in lines(proc)[0]["detail"]
    forced = run_cli("send", "--to", "01055556666", "-m", "hi", "--ignore-optout", "--json")
    assert lines(forced)[0]["status"] == "accepted"


def test_reserve_holds_locally_then_flush_sends_when_due(sim, isolated_env):
    proc = run_cli("reserve", "--at", "2099-01-01 09:00", "--to", "01012345678", "-m", "later", "--json")
    assert proc.returncode == 0, proc.stderr
    [obj] = lines(proc)
    assert obj["status"] == "scheduled"
    listed = lines(run_cli("reserve", "list", "--json"))
    assert [r["message_id"] for r in listed] == [obj["message_id"]]
    assert run_cli("reserve", "flush").returncode == 0 and sim.accepted == []  # not due yet

    db = sqlite3.connect(isolated_env / "data" / "journal.db")
    db.execute("UPDATE messages SET send_at = '2000-01-01T00:00:00+09:00' WHERE id = ?", (obj["message_id"],))
    db.commit()
    db.close()
    flushed = run_cli("reserve", "flush", "--json")
    assert flushed.returncode == 0, flushed.stderr
    assert lines(flushed)[0]["status"] == "accepted"
    assert accepted_ids(sim) == [obj["message_id"]]
    assert lines(run_cli("reserve", "flush", "--json")) == []  # sent once


def test_reserve_cancel(sim):
    obj = lines(run_cli("reserve", "--at", "2099-01-01 09:00", "--to", "01012345678", "-m", "x", "--json"))[0]
    proc = run_cli("reserve", "cancel", obj["message_id"], "--json")
    assert proc.returncode == 0 and lines(proc)[0]["status"] == "cancelled"
    assert lines(run_cli("reserve", "list", "--json")) == []
    again = run_cli("reserve", "cancel", obj["message_id"])
    assert again.returncode == 2 and b"cancelled" in again.stderr


def test_reserve_in_the_past_is_refused(sim):
    proc = run_cli("reserve", "--at", "2001-01-01 09:00", "--to", "01012345678", "-m", "x")
    assert proc.returncode == 2 and b"in the past" in proc.stderr


def test_mms_upload_then_send_with_image(sim, tmp_path):
    jpg = tmp_path / "a.jpg"
    jpg.write_bytes(make_jpeg(640, 480, pad=5000))
    up = run_cli("mms", "upload", str(jpg), "--json")
    assert up.returncode == 0, up.stderr
    key = lines(up)[0]["key"]
    assert key in sim.files and sim.files[key] == jpg.read_bytes()

    sent = run_cli("send", "--to", "01012345678", "-m", "photo", "--image", str(jpg), "--json")
    assert sent.returncode == 0, sent.stderr
    assert lines(sent)[0]["type"] == "mms"


def test_image_problems_are_usage_errors(sim, tmp_path):
    png = tmp_path / "a.jpg"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    proc = run_cli("mms", "upload", str(png))
    assert proc.returncode == 2 and b"not a JPEG" in proc.stderr
    big = tmp_path / "big.jpg"
    big.write_bytes(make_jpeg(2000, 1000))
    proc = run_cli("send", "--to", "01012345678", "-m", "x", "--image", str(big))
    assert proc.returncode == 2 and b"1024x768" in proc.stderr
    proc = run_cli("mms", "upload", str(tmp_path / "missing.jpg"))
    assert proc.returncode == 2 and b"not found" in proc.stderr
    assert sim.files == {} and sim.accepted == []


def test_result_list_checks_status_and_keeps_to_the_profile(sim):
    run_cli("send", "--to", "01012345678", "-m", "hi")
    bad = run_cli("result", "list", "--status", "bogus")
    assert bad.returncode == 2 and b"not a message state" in bad.stderr
    assert len(lines(run_cli("result", "list", "--json"))) == 1
    assert lines(run_cli("-p", "sandbox", "result", "list", "--json")) == []  # another profile


def test_wait_that_times_out_says_so(isolated_env):
    with OneShotSimulator(speed=0, report_delay=3600) as server:
        write_config(isolated_env, server.address[1])
        proc = run_cli("send", "--to", "01012345678", "-m", "hi", "--wait", "0.5")
    assert proc.returncode == 0
    assert "no delivery report within 0.5 s for 1 message(s)" in proc.stderr.decode()


def test_a_number_given_twice_is_sent_once_with_a_warning(sim):
    proc = run_cli("send", "--to", "01012345678", "--to", "+82 10 1234 5678", "-m", "hi", "--json")
    assert proc.returncode == 0 and len(lines(proc)) == 1
    assert "1 number(s) given more than once" in proc.stderr.decode()


def test_login_lockout_is_checked_only_when_about_to_connect(sim, isolated_env):
    config = isolated_env / "config.toml"
    good = config.read_text()
    config.write_text(good.replace('password = "test001#$$%"', 'password = "wrong"'))
    refused = run_cli("send", "--to", "01012345678", "-m", "hi")
    assert refused.returncode == 3
    assert "refused the login for 'test001' (code 5" in refused.stderr.decode()
    config.write_text(good)  # corrected, but within login_retry_wait (30 s) of the refusal
    invalid = run_cli("send", "--to", "not-a-number", "-m", "hi", "--json")
    assert invalid.returncode == 1, invalid.stderr
    assert lines(invalid)[0]["status"] == "invalid" and "login" not in invalid.stderr.decode()
    waiting = run_cli("send", "--to", "01012345678", "-m", "hi")
    assert waiting.returncode == 3
    [line] = waiting.stderr.decode().strip().splitlines()
    assert line.startswith("smscli: not logging in yet: OneShot refused the last login ")
    assert "between attempts; try again in " in line
    assert sim.stats["connections"] == 1 and accepted_ids(sim) == []


def test_flush_without_a_profile_sends_every_profiles_due_reservations(sim, isolated_env):
    config = isolated_env / "config.toml"
    other = PROFILE.format(port=sim.address[1]).replace('default_profile = "t"\n', "").replace(
        "[profiles.t]", "[profiles.u]")
    config.write_text(config.read_text() + other)
    obj = lines(run_cli("-p", "u", "reserve", "--at", "2099-01-01 09:00", "--to", "01012345678",
                        "-m", "later", "--json"))[0]
    listed = lines(run_cli("reserve", "list", "--json"))
    assert [(r["message_id"], r["profile"]) for r in listed] == [(obj["message_id"], "u")]
    db = sqlite3.connect(isolated_env / "data" / "journal.db")
    db.execute("UPDATE messages SET send_at = '2000-01-01T00:00:00+09:00'")
    db.commit()
    db.close()
    assert lines(run_cli("-p", "t", "reserve", "flush", "--json")) == []  # only profile t: none
    flushed = run_cli("reserve", "flush", "--json")  # cron: every profile
    assert flushed.returncode == 0, flushed.stderr
    assert [o["status"] for o in lines(flushed)] == ["accepted"]
    assert "profile u: flushed 1: 1 accepted" in flushed.stderr.decode()
    assert accepted_ids(sim) == [obj["message_id"]]


def test_id_next_to_a_csv_id_column_is_not_silently_ignored(sim, tmp_path):
    csv = write_csv(tmp_path / "ids.csv", 2)
    proc = run_cli("send", "--csv", str(csv), "-m", "{name}", "--id", "daily", "--json")
    assert proc.returncode == 0
    assert "the CSV's id column gives each row its key; --id is not used" in proc.stderr.decode()
    assert sorted(accepted_ids(sim)) == ["row-0", "row-1"]
