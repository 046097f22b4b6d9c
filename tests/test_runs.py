"""Runs, claim ownership, hand-off marking and held unknowns in the journal; fingerprints
and the choice `--resume` makes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from smscli import ids
from smscli.errors import UsageError
from smscli.journal import HELD, OWNED, Journal
from smscli.models import Message, SendResult
from smscli.runs import Fingerprint, choose_run
from tests.conftest import ROOT


def msg(mid: str, to: str = "01012345678") -> Message:
    return Message(id=mid, to=to, text="hi", sender="15666639")


def result(m: Message, status: str, code: str = "0", server_id: str = "") -> SendResult:
    return SendResult(m.to, status, m.id, "bizppurio", "sms", code, "", server_id=server_id)


def status(journal: Journal, mid: str) -> str | None:
    row = journal.get(mid)
    return row["status"] if row else None


def in_child(data_dir, code: str, url: str | None = None) -> subprocess.Popen[bytes]:
    """Run ``code`` (with ``j`` an open Journal of ``data_dir``, on ``url``) in another
    process that prints "ready" and then waits to be killed."""
    script = (
        "import sys, time\n"
        "from smscli.journal import Journal\n"
        "from smscli.models import Message\n"
        f"j = Journal.open({str(data_dir)!r}, url={url!r})\n"
        f"{code}\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    return proc


def test_run_message_ids_are_stable_and_ordered():
    run = ids.new_run_id()
    assert len(run) == ids.RUN_ID_CHARS and ids.id_problem(run) is None
    first, later = ids.run_message_id(run, 0), ids.run_message_id(run, 41)
    assert len(first) == 26 and first < later and first.startswith(run)
    assert ids.run_message_id(run, 41) == later  # the same run and row: the same id
    assert ids.new_run_id() != run
    with pytest.raises(UsageError):
        ids.run_message_id(run, ids.MAX_POSITION + 1)


def test_a_claim_held_by_a_live_process_is_not_claimed_again(tmp_path, open_journal, journal_url):
    child = in_child(tmp_path, "j.claim([Message('x-1', '01012345678', 'hi', '1')], 'oneshot', 'a')",
                     journal_url)
    try:
        with open_journal(tmp_path) as j:
            assert j.claim([msg("x-1")], "oneshot", "b") == [OWNED]  # any profile name
            assert j.owner_of("x-1")["pid"] == child.pid
            assert status(j, "x-1") == "pending"
    finally:
        child.kill()
        child.wait()
    with open_journal(tmp_path) as j:  # its process is gone: the claim is free
        assert j.claim([msg("x-1")], "oneshot", "b") == ["pending"]


def test_two_instances_in_one_process_do_not_share_claims(tmp_path, open_journal):
    with open_journal(tmp_path) as first, open_journal(tmp_path) as second:
        first.claim([msg("y-1")], "oneshot", "p")
        assert second.claim([msg("y-1")], "oneshot", "p") == [OWNED]
        first.release()
        assert second.claim([msg("y-1")], "oneshot", "p") == ["pending"]


def test_maybe_sent_messages_are_held_where_the_vendor_cannot_tell(tmp_path, open_journal):
    a, b, c, d = msg("h-a"), msg("h-b"), msg("h-c"), msg("h-d")
    with open_journal(tmp_path) as j:
        j.claim([a, b, c, d], "bizppurio", "p", queued=True)
        assert {status(j, m.id) for m in (a, b, c, d)} == {"queued"}
        j.mark_handed([a.id, b.id])  # a, b left; c, d never did
        j.record([result(b, "unknown", "")])
    with open_journal(tmp_path) as j:  # the next run (the first was killed)
        assert j.claim([a, b, c, d], "bizppurio", "p", queued=True, hold_unsure=True) == [
            HELD, HELD, "queued", "queued"]
        assert (status(j, a.id), status(j, b.id)) == ("unknown", "unknown")
        assert "no answer was journaled" in j.get(a.id)["detail"]
    with open_journal(tmp_path) as j:  # --resend-unknown: claimed again, still "maybe sent"
        assert j.claim([a, b], "bizppurio", "p", queued=True) == ["unknown", "unknown"]
        assert (status(j, a.id), status(j, b.id)) == ("pending", "pending")


def test_a_vendor_duplicate_is_bookkept_as_accepted_with_its_server_id(tmp_path, open_journal):
    m = msg("d-1")
    with open_journal(tmp_path) as j:
        j.claim([m], "netshot", "p")
        j.record([result(m, "duplicate", "314")], {m.id: "CORP-1"})
        row = j.get(m.id)
        assert (row["status"], row["code"], row["server_id"]) == ("accepted", "314", "CORP-1")
    with open_journal(tmp_path) as j:
        assert j.claim([m], "netshot", "p") == ["accepted"]  # never claimed again


def test_unsent_claims_are_forgotten_and_reschedule_holds_only_unsent_ones(tmp_path, open_journal):
    from smscli.timeutil import parse_time

    a, b, c = msg("u-a"), msg("u-b"), msg("u-c")
    when = parse_time("2030-01-02 08:00")
    with open_journal(tmp_path) as j:
        j.claim([a, b, c], "oneshot", "p")
        j.record([result(a, "accepted")])
        j.reschedule([a.id, b.id], when)
        assert status(j, a.id) == "accepted"  # answered: not touched
        assert (status(j, b.id), j.get(b.id)["held"]) == ("scheduled", True)
        assert [m.id for m in j.due(when)] == [b.id]
        assert j.unclaim([c.id]) == 1 and j.get(c.id) is None


def test_runs_record_progress_and_show_a_killed_owner(tmp_path, open_journal, journal_url):
    child = in_child(tmp_path, "j.start_run('RUN1', command='send', profile='p', vendor='oneshot', "
                               "fingerprint='f', parts={'message': 'm'})", journal_url)
    with open_journal(tmp_path) as j:
        [run] = j.list_runs()
        assert (run["id"], run["state"], run["pid"]) == ("RUN1", "running", child.pid)
        assert j.adopt_run("RUN1") is None  # still owned by a live process
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert j.get_run("RUN1")["state"] == "killed" and not j.get_run("RUN1")["finished"]
        assert j.adopt_run("RUN1")["state"] == "killed"
        j.update_run("RUN1", rows=10, counts={"accepted": 9, "unknown": 1}, state="finished")
        run = j.get_run("RUN1")
        assert (run["state"], run["finished"], run["rows"], run["counts"]["accepted"]) == (
            "finished", True, 10, 9)


def start(journal: Journal, run_id: str, parts: dict[str, str], state: str | None = None) -> None:
    fp = Fingerprint(parts)
    journal.start_run(run_id, command="send", profile="p", vendor="oneshot",
                      fingerprint=fp.digest, parts=fp.parts)
    if state:
        journal.update_run(run_id, rows=1, counts={}, state=state)


def test_resume_picks_the_latest_unfinished_run_with_the_same_input(tmp_path, open_journal):
    parts = {"message": "aaa", "input": "list.csv, 10 bytes, sha256 1"}
    with open_journal(tmp_path) as j:
        start(j, "OLD", parts, "interrupted")
        start(j, "DONE", parts, "finished")
        start(j, "OTHER", {**parts, "message": "bbb"}, "interrupted")
        j.release()  # these runs' process is over
    with open_journal(tmp_path) as j:
        assert choose_run(j, "", profile="p", command="send", fingerprint=Fingerprint(parts))["id"] == "DONE"
        assert j.get_run("DONE")["state"] == "running"  # the newest with this input, taken over
        assert choose_run(j, "OLD", profile="p", command="send", fingerprint=Fingerprint(parts))["id"] == "OLD"
        # No run had this input: never guess (a new run would send every row again).
        with pytest.raises(UsageError, match="no run of profile 'q' with this input"):
            choose_run(j, "", profile="q", command="send", fingerprint=Fingerprint(parts))


def test_resume_refuses_a_changed_input_saying_what_differs(tmp_path, open_journal):
    parts = {"message": "aaa", "input": "list.csv, 10 bytes, sha256 1", "type": "auto"}
    with open_journal(tmp_path) as j:
        start(j, "R1", parts, "interrupted")
        j.release()
    changed = Fingerprint({**parts, "input": "list.csv, 12 bytes, sha256 2", "type": "lms"})
    with open_journal(tmp_path) as j:
        with pytest.raises(UsageError) as latest:
            choose_run(j, "", profile="p", command="send", fingerprint=changed)
        text = str(latest.value)
        assert "run R1" in text and "--type (auto → lms)" in text
        assert "the recipients (list.csv, 10 bytes, sha256 1 → list.csv, 12 bytes, sha256 2)" in text
        with pytest.raises(UsageError, match="run R1 had another input; it differs in the message text"):
            choose_run(j, "R1", profile="p", command="send",
                       fingerprint=Fingerprint({**parts, "message": "zzz"}))
        with pytest.raises(UsageError, match="no run 'NOPE'"):
            choose_run(j, "NOPE", profile="p", command="send", fingerprint=changed)
        with pytest.raises(UsageError, match="without --resume the command sends every row"):
            choose_run(j, "", profile="q", command="send", fingerprint=changed)
        assert j.get_run("R1")["state"] == "interrupted"  # a refused resume changes nothing


def test_resume_refuses_a_run_that_is_still_running(tmp_path, open_journal, journal_url):
    parts = {"message": "aaa"}
    child = in_child(tmp_path, "j.start_run('LIVE', command='send', profile='p', vendor='oneshot', "
                               f"fingerprint={Fingerprint(parts).digest!r}, parts={parts!r})", journal_url)
    try:
        with open_journal(tmp_path) as j, pytest.raises(UsageError, match=f"still running \\(pid {child.pid}\\)"):
            choose_run(j, "", profile="p", command="send", fingerprint=Fingerprint(parts))
    finally:
        child.kill()
        child.wait()


def test_a_v1_journal_is_upgraded_keeping_its_claims(tmp_path):
    import sqlite3

    from smscli.journal import _SCHEMA_V1

    tmp_path.mkdir(exist_ok=True)
    conn = sqlite3.connect(tmp_path / "journal.db")
    conn.executescript(_SCHEMA_V1)
    conn.execute("INSERT INTO messages (id, status, run, created_at, updated_at) "
                 "VALUES ('old-1', 'accepted', 'INSTANCE', 'x', 'x')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Journal.open(tmp_path) as j:
        assert j.claim([msg("old-1")], "oneshot", "p") == ["accepted"]
        assert j.list_runs() == []


def test_a_message_refused_before_any_row_leaves_no_run_to_resume():
    from tests.conftest import run_cli

    proc = run_cli("send", "--to", "01012345678", "-m", "세일 😀")
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "--allow-unicode" in err and "--resume" not in err, err
    listed = run_cli("runs", "--json")  # the refused run is not kept: there is nothing to resume
    assert listed.returncode == 0 and listed.stdout == b"", listed.stdout
    again = run_cli("send", "--to", "01012345678", "-m", "세일 😀", "--resume")
    assert again.returncode == 2 and "no run" in again.stderr.decode().lower(), again.stderr


def test_a_send_that_fails_before_its_first_message_leaves_no_run_to_resume(tmp_path) -> None:
    """Refused before anything was journaled (a PNG given as --image): the error says
    nothing about --resume, and `runs` lists no unfinished run (a new user's finding)."""
    from tests.conftest import run_cli

    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    failed = run_cli("send", "--to", "01012345678", "--image", str(fake), "-m", "x")
    assert failed.returncode == 2
    assert b"is a PNG image" in failed.stderr and b"--resume" not in failed.stderr
    assert run_cli("runs", "--json").stdout == b""
    sent = run_cli("send", "--to", "01012345678", "-m", "x")
    assert sent.returncode == 0
    assert b'"finished"' in run_cli("runs", "--json").stdout


def test_p_filters_runs_and_reservations_before_or_after_the_command(isolated_env) -> None:
    """README: ``-p NAME`` goes before or after the command; for ``runs`` and ``reserve
    list`` (every profile by default) it keeps that profile's (it was ignored before)."""
    import json
    from datetime import datetime

    from smscli.clock import KST
    from smscli.journal import Journal
    from smscli.models import Message
    from tests.conftest import run_cli

    profile = ('vendor = "oneshot"\nhost = "127.0.0.1"\nport = 9\nbind_id = "x"\npassword = "p"\n'
               'aes_key = "0123456789abcdef"\naes_iv = "fedcba9876543210"\n')
    config = isolated_env / "config.toml"
    config.write_text(f"[profiles.a]\n{profile}[profiles.b]\n{profile}")
    config.chmod(0o600)
    later = datetime(2099, 1, 1, 9, tzinfo=KST)
    with Journal.open(isolated_env / "data") as j:
        for name in ("a", "b"):
            j.start_run(f"RUN-{name}", command="send", profile=name, vendor="oneshot",
                        fingerprint="f", parts={})
            j.schedule([Message(id=f"r-{name}", to="01012345678", text="x", sender="15666639",
                                send_at=later)], "oneshot", name)

    def listed(*args: str, key: str) -> list[str]:
        done = run_cli(*args, "--json")
        assert done.returncode == 0, done.stderr
        return [json.loads(line)[key] for line in done.stdout.splitlines()]

    assert sorted(listed("runs", key="run_id")) == ["RUN-a", "RUN-b"]
    assert listed("runs", "-p", "a", key="run_id") == listed("-p", "a", "runs", key="run_id") == ["RUN-a"]
    assert sorted(listed("reserve", "list", key="message_id")) == ["r-a", "r-b"]
    assert (listed("reserve", "list", "-p", "b", key="message_id")
            == listed("-p", "b", "reserve", "list", key="message_id") == ["r-b"])
