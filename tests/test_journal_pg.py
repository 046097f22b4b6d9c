"""The journal on PostgreSQL: what holds across hosts (each "host" here is a process or
a journal with a data dir of its own, sharing one schema), and how its failures read."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from smscli import clock
from smscli.journal import OWNED, Journal, JournalError, JournalGone, LockTimeout
from smscli.models import Message, Report, SendResult
from smscli.timeutil import now_kst
from tests.conftest import ROOT

ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def msg(mid: str, **kw) -> Message:
    return Message(id=mid, to="01012345678", text="안녕", sender="15666639", **kw)


def _start(code: str, *args: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", code, *args], env=ENV, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc


def _together(procs: list[subprocess.Popen[bytes]], go: Path, timeout: float = 120) -> list[bytes]:
    for p in procs:
        assert p.stdout.readline().strip() == b"ready", p.stderr.read().decode()
    go.touch()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        assert p.returncode == 0, err.decode()
        outs.append(out)
    return outs


_CLAIMER = """
import os, sys, time
from smscli.journal import Journal
from smscli.models import Message
data_dir, url, go, n, order = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
journal = Journal.open(data_dir, url=url)
ids = [f"same-{i:05d}" for i in range(n)]
if order == "reversed":
    ids.reverse()
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.001)
mine = []
for start in range(0, n, 250):
    batch = [Message(id=i, to="01012345678", text="x", sender="1") for i in ids[start:start + 250]]
    mine += [m.id for m, p in zip(batch, journal.claim(batch, "oneshot", "p")) if p is None]
print(" ".join(mine))
"""


@pytest.mark.parametrize("hosts", [2, 4])
def test_hosts_claiming_the_same_ids_at_once_each_claim_each_id_once(tmp_path, pg_url, hosts):
    n = 2000
    go = tmp_path / "go"
    procs = [_start(_CLAIMER, str(tmp_path / f"host{k}"), pg_url, str(go), str(n),
                    "reversed" if k % 2 else "forward") for k in range(hosts)]
    claimed = [out.split() for out in _together(procs, go)]
    everyone = [mid for ids in claimed for mid in ids]
    assert len(everyone) == n and len(set(everyone)) == n  # 0 doubled, 0 lost
    with Journal.open(tmp_path / "check", url=pg_url) as j:
        assert j.count_messages(_all()) == n
        # the others see the ids as held by a live process, or as already answered
        assert set(j.claim([msg("same-00000")], "oneshot", "p")) <= {OWNED, "pending"}


def test_an_id_claimed_by_another_host_inside_our_claim_is_owned_not_doubled(tmp_path, pg_url):
    """The race itself: B looks the ids up while A's claim of them is not committed yet
    (B sees nothing), then B's insert waits for A's commit and gives way."""
    import threading

    a = Journal.open(tmp_path / "a", url=pg_url)
    b = Journal.open(tmp_path / "b", url=pg_url)
    batch = [msg(f"race-{i}") for i in range(50)]
    inserted, results = threading.Event(), {}
    real = a._insert_claims

    def slow_insert(cur, rows):
        taken = real(cur, rows)
        inserted.set()
        time.sleep(0.5)  # A's transaction stays open while B claims
        return taken

    a._insert_claims = slow_insert
    thread = threading.Thread(target=lambda: results.update(a=a.claim(batch, "oneshot", "p")))
    thread.start()
    assert inserted.wait(10)
    results["b"] = b.claim(list(reversed(batch)), "oneshot", "p")
    thread.join(10)
    assert results["a"] == [None] * 50 and results["b"] == [OWNED] * 50
    assert a._query("SELECT DISTINCT owner FROM messages") == [(a.owner,)]
    a.close()
    b.close()


def test_a_reclaim_by_another_host_inside_our_reclaim_is_owned_not_doubled(tmp_path, pg_url):
    """Ids a finished run left unknown: A reclaims them and, its rows locked, checks their
    owners; B's claim of the same ids waits for A's commit and finds them A's."""
    import threading

    batch = [msg(f"again-{i}") for i in range(50)]
    with Journal.open(tmp_path / "first", url=pg_url) as first:
        first.claim(batch, "oneshot", "p")
        first.record([SendResult(m.to, "unknown", m.id, "oneshot", "sms") for m in batch])
    a = Journal.open(tmp_path / "a", url=pg_url)
    b = Journal.open(tmp_path / "b", url=pg_url)
    looked_up, results = threading.Event(), {}
    real = a._alive_owners

    def slow_alive(tokens, cur=None):
        alive = real(tokens, cur)
        if cur is not None:
            looked_up.set()
            time.sleep(0.5)  # A's transaction holds the rows it read while B claims
        return alive

    a._alive_owners = slow_alive
    thread = threading.Thread(target=lambda: results.update(a=a.claim(batch, "oneshot", "p")))
    thread.start()
    assert looked_up.wait(10)
    results["b"] = b.claim(list(reversed(batch)), "oneshot", "p")
    thread.join(10)
    assert results["a"] == ["unknown"] * 50 and results["b"] == [OWNED] * 50
    assert a._query("SELECT DISTINCT owner, attempts FROM messages") == [(a.owner, 2)]
    a.close()
    b.close()


def _all():
    from smscli.journal_history import MessageFilter

    return MessageFilter()


_FLUSHER = """
import os, sys, time
from smscli.journal import Journal
data_dir, url, go = sys.argv[1], sys.argv[2], sys.argv[3]
from smscli.timeutil import now_kst
journal = Journal.open(data_dir, url=url)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.001)
moved = []
for page in journal.iter_due(now_kst(), page=100):
    moved += journal.claim_scheduled([m.id for m in page])
print(" ".join(moved))
"""


def test_reserve_flush_on_two_hosts_moves_each_due_message_once(tmp_path, pg_url):
    with Journal.open(tmp_path / "planner", url=pg_url) as j:
        at = now_kst() - timedelta(minutes=1)
        j.schedule([msg(f"due-{i:04d}", send_at=at) for i in range(1500)], "netshot", "p")
    go = tmp_path / "go"
    procs = [_start(_FLUSHER, str(tmp_path / f"cron{k}"), pg_url, str(go)) for k in range(2)]
    moved = [out.split() for out in _together(procs, go)]
    everyone = [mid for ids in moved for mid in ids]
    assert len(everyone) == 1500 and len(set(everyone)) == 1500


def test_what_a_dead_host_claimed_is_taken_over_after_its_lease(tmp_path, pg_url):
    at = now_kst() - timedelta(minutes=1)
    dead = Journal.open(tmp_path / "a", url=pg_url, lease_seconds=60)
    dead.schedule([msg("r1", send_at=at), msg("r2", send_at=at)], "netshot", "p")
    assert dead.claim_scheduled(["r1", "r2"]) == ["r1", "r2"]  # then the host vanishes
    other = Journal.open(tmp_path / "b", url=pg_url)
    assert other.take_over_reservations(now_kst()) == 0  # its lease still runs
    assert other.claim([msg("r1")], "netshot", "p") == [OWNED]
    with clock.shifted(now_kst() + timedelta(seconds=61)):
        assert other.take_over_reservations(now_kst(), profile="p") == 2
        assert [m.id for m in other.due(now_kst())] == ["r1", "r2"]
        assert other.claim_scheduled(["r1", "r2"]) == ["r1", "r2"]
    assert other.get("r1")["attempts"] == 2
    other.close()
    dead._conn.close()


def test_a_dead_host_s_reservations_become_unknown_where_the_vendor_cannot_tell(tmp_path, pg_url):
    at = now_kst() - timedelta(minutes=1)
    dead = Journal.open(tmp_path / "a", url=pg_url, lease_seconds=1)
    dead.schedule([msg("b1", send_at=at)], "bizppurio", "p")
    dead.claim_scheduled(["b1"])
    with clock.shifted(now_kst() + timedelta(seconds=5)), Journal.open(tmp_path / "b", url=pg_url) as j:
        assert j.take_over_reservations(now_kst(), hold_unsure=True) == 1
        assert j.get("b1")["status"] == "unknown" and j.due(now_kst()) == []
    dead._conn.close()


def test_a_report_stored_on_one_host_matches_a_message_sent_from_another(tmp_path, pg_url):
    with Journal.open(tmp_path / "sender", url=pg_url) as sender:
        m = msg("x1")
        sender.claim([m], "oneshot", "p")
        sender.record([SendResult(m.to, "accepted", m.id, "oneshot", "sms")], {m.id: "SRV-1"})
    with Journal.open(tmp_path / "web", url=pg_url) as listener:
        stored = listener.add_reports([Report("", m.to, "delivered", "4100", "", "oneshot",
                                              extra={"server_id": "SRV-1", "telecom": "SKT"})])
        assert [r.message_id for r in stored] == ["x1"] and "unmatched" not in stored[0].extra
        # and one pushed before its send's answer was journaled is matched once it is
        listener.add_reports([Report("", m.to, "failed", "E9", "", "oneshot", extra={"server_id": "SRV-2"})])
    with Journal.open(tmp_path / "sender", url=pg_url) as sender:
        assert sender.get("x1")["status"] == "delivered"
        late = msg("x2")
        sender.claim([late], "oneshot", "p")
        sender.record([SendResult(late.to, "accepted", late.id, "oneshot", "sms")], {late.id: "SRV-2"})
        assert sender.get("x2")["status"] == "failed"
        assert sender.story("x1")["telecom"] == "SKT"


def test_the_token_cache_is_shared(tmp_path, pg_url):
    with Journal.open(tmp_path / "a", url=pg_url) as a, Journal.open(tmp_path / "b", url=pg_url) as b:
        a.token_put("biz:acct", "tok", clock.time() + 600)
        assert b.token_get("biz:acct")[0] == "tok"


_HOLDER = """
import sys
from smscli.journal import Journal
journal = Journal.open(sys.argv[1], url=sys.argv[2])
with journal.send_lock("prod"):
    print("locked", flush=True)
    sys.stdin.read()
"""


def test_the_send_lock_is_one_for_all_hosts_and_dies_with_its_holder(tmp_path, pg_url):
    holder = _start(_HOLDER, str(tmp_path / "a"), pg_url)
    assert holder.stdout.readline().strip() == b"locked", holder.stderr.read().decode()
    import io

    err = io.StringIO()
    # the other host reaches the same server by another name: still the same lock
    with Journal.open(tmp_path / "b", url=pg_url.replace("@127.0.0.1:", "@localhost:")) as other:
        with pytest.raises(LockTimeout, match="still sending on profile prod after 0.3 s"), \
                other.send_lock("prod", timeout=0.3, stderr=err):
            pass
        assert f"sending on profile prod (pid {holder.pid} on " in err.getvalue()
        with other.send_lock("other-profile", timeout=0.3):
            pass  # one lock per profile
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        start = time.monotonic()
        with other.send_lock("prod", timeout=20):
            assert time.monotonic() - start < 15  # the server dropped the dead session's lock


def test_bad_url_and_wrong_password_are_exit_3_an_unreachable_server_exit_4_without_the_password(
        tmp_path, pg_url):
    from urllib.parse import urlsplit

    parts = urlsplit(pg_url)
    secret = parts.password
    assert secret
    wrong = pg_url.replace(f":{secret}@", ":not-the-password-42@")
    cases = {
        "wrong password": wrong,
        "unreachable": f"postgresql://smscli:{secret}@127.0.0.1:1/smscli_test",
        "bad url": f"postgresql://smscli:{secret}@127.0.0.1:5432/db?nosuchoption=1",
    }
    for name, url in cases.items():
        with pytest.raises(JournalError) as info:
            Journal.open(tmp_path, url=url)
        text = str(info.value)
        assert info.value.exit_status == (4 if name == "unreachable" else 3), name
        assert secret not in text and "not-the-password-42" not in text, name
        assert "\n" not in text, name
        assert "postgresql://smscli@127.0.0.1:" in text, name
    with pytest.raises(JournalError, match="not-the-password|password"):
        Journal.open(tmp_path, url=wrong)
    with pytest.raises(JournalError, match="not a journal URL") as info:
        Journal.open(tmp_path, url="mysql://u@h/db")
    assert info.value.exit_status == 3


def test_a_password_given_apart_from_the_url_is_used(tmp_path, pg_url):
    from urllib.parse import urlsplit

    secret = urlsplit(pg_url).password
    bare = pg_url.replace(f":{secret}@", "@")
    with Journal.open(tmp_path, url=bare, password=secret) as j:
        assert j.location == "postgresql://smscli@" + bare.split("@", 1)[1].split("?")[0]


def test_a_server_gone_mid_operation_is_exit_4_and_a_clear_line(tmp_path, pg_url):
    import psycopg

    journal = Journal.open(tmp_path, url=pg_url)
    journal.claim([msg("g1")], "oneshot", "p")
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (journal._conn.info.backend_pid,))
    with pytest.raises(JournalGone) as info:
        journal.claim([msg("g2")], "oneshot", "p")
    assert info.value.exit_status == 4 and info.value.retryable
    assert str(info.value).startswith(f"the journal at {journal.location} went away")
    assert journal.get("g1")["status"] == "pending"  # the next operation connects again
    journal.close()
    with Journal.open(tmp_path, url=pg_url) as back:  # the re-run once it is back
        assert back.get("g2") is None and back.claim([msg("g1"), msg("g2")], "oneshot", "p") == ["pending", None]


def test_a_row_locked_longer_than_the_busy_timeout_is_a_busy_journal(tmp_path, pg_url):
    import psycopg

    with Journal.open(tmp_path / "a", url=pg_url) as j:
        j.claim([msg("held-1")], "oneshot", "p")
    with psycopg.connect(pg_url) as stalled:  # a host stuck inside its transaction
        stalled.execute("SELECT 1 FROM messages WHERE id = 'held-1' FOR UPDATE")
        with Journal.open(tmp_path / "b", url=pg_url, busy_timeout=0.3) as j:
            start = time.monotonic()
            with pytest.raises(JournalError, match="is busy") as info:
                j.claim([msg("held-1")], "oneshot", "p")
            assert time.monotonic() - start < 10 and info.value.exit_status == 3
            assert not isinstance(info.value, JournalGone)
            stalled.rollback()
            assert j.claim([msg("held-1")], "oneshot", "p") == ["pending"]  # and it still works


def test_a_killed_host_s_claims_are_taken_over_at_once_not_after_its_lease(tmp_path, pg_url):
    """SIGKILL: no finalizer runs and the owner row stays, but the session's advisory lock
    goes with its connection, so another host claims what it left at once."""
    code = ("import os, signal, sys\nfrom smscli.journal import Journal\nfrom smscli.models import Message\n"
            "j = Journal.open(sys.argv[1], url=sys.argv[2], lease_seconds=600)\n"
            "j.claim([Message('killed-1', '01012345678', 'x', '1')], 'oneshot', 'p')\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "a"), pg_url], env=ENV, timeout=60)
    assert done.returncode == -signal.SIGKILL
    with Journal.open(tmp_path / "b", url=pg_url) as other:
        assert other._query("SELECT count(*) FROM owners")[0][0] == 1  # its row, lease running
        deadline = time.monotonic() + 10  # the server notices the closed socket at once
        while (got := other.claim([msg("killed-1")], "oneshot", "p")) == [OWNED]:
            assert time.monotonic() < deadline, "the killed host's claim was not taken over"
            time.sleep(0.1)
        assert got == ["pending"]
        live = Journal.open(tmp_path / "c", url=pg_url, lease_seconds=600)
        live.claim([msg("live-1")], "oneshot", "p")
        assert other.claim([msg("live-1")], "oneshot", "p") == [OWNED]  # a live one keeps its own
        live.close()


def test_a_journal_left_open_gives_up_its_claims_at_exit(tmp_path, pg_url):
    code = ("import sys\nfrom smscli.journal import Journal\nfrom smscli.models import Message\n"
            "j = Journal.open(sys.argv[1], url=sys.argv[2])\n"
            "j.claim([Message('left-1', '01012345678', 'x', '1')], 'oneshot', 'p')\n")  # no close
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "a"), pg_url], env=ENV, check=True,
                   timeout=60)
    with Journal.open(tmp_path / "b", url=pg_url) as other:  # another host, at once
        assert other.claim([msg("left-1")], "oneshot", "p") == ["pending"]
        assert other._query("SELECT count(*) FROM owners")[0][0] == 1  # only its own


_OPENER = """
import os, sys, time
from smscli.journal import Journal
print("ready", flush=True)
while not os.path.exists(sys.argv[3]):
    time.sleep(0.001)
with Journal.open(sys.argv[1], url=sys.argv[2]) as j:
    print(j.check_info()["schema"])
"""


def test_hosts_creating_the_schema_at_the_same_moment(tmp_path, pg_url):
    go = tmp_path / "go"
    procs = [_start(_OPENER, str(tmp_path / f"h{k}"), pg_url, str(go)) for k in range(4)]
    from smscli.journal import SCHEMA_VERSION

    assert [out.strip() for out in _together(procs, go)] == [str(SCHEMA_VERSION).encode()] * 4
    with Journal.open(tmp_path, url=pg_url) as j:
        assert j._query("SELECT count(*) FROM smscli_schema")[0][0] == 1


def test_open_for_reading_creates_nothing_and_a_newer_schema_is_refused(tmp_path, pg_url):
    from smscli.journal import SCHEMA_VERSION, EmptyJournal

    empty = Journal.open_for_reading(tmp_path, url=pg_url)
    assert isinstance(empty, EmptyJournal) and empty.check_info()["schema"] == 0
    assert empty.location.startswith("postgresql://smscli@127.0.0.1:") and "?" not in empty.location
    with Journal.open(tmp_path, url=pg_url) as j:
        info = j.check_info()
        assert (info["backend"], info["schema"], info["reachable"]) == ("postgresql", SCHEMA_VERSION, True)
        j._query("UPDATE smscli_schema SET version = version + 1")
    with pytest.raises(JournalError, match="written by a newer smscli") as err:
        Journal.open(tmp_path, url=pg_url)
    assert err.value.exit_status == 3


def test_without_the_driver_the_error_says_what_to_install(tmp_path):
    code = ("import sys; sys.modules['psycopg'] = None\n"
            "from smscli.journal import Journal\n"
            "try:\n    Journal.open(sys.argv[1], url='postgresql://u@127.0.0.1:1/db')\n"
            "except Exception as e:\n    print(int(e.exit_status), e)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=ENV, capture_output=True,
                         timeout=30, check=True).stdout.decode()
    assert out.startswith("3 ") and "pip install 'smscli[postgres]'" in out


def test_the_driver_is_not_imported_for_sqlite(tmp_path):
    code = ("import sys\nfrom smscli.journal import Journal\n"
            "Journal.open(sys.argv[1]).close()\nprint('psycopg' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=ENV, capture_output=True,
                         timeout=30, check=True).stdout.decode()
    assert out.strip() == "False"


def test_a_sqlite_url_names_the_file(tmp_path):
    file = tmp_path / "elsewhere" / "team.db"
    file.parent.mkdir()
    with Journal.open(tmp_path / "data", url=f"sqlite://{file}") as j:
        j.claim([msg("s1")], "oneshot", "p")
        assert j.location == str(file) and j.backend == "sqlite"
    assert file.exists() and not (tmp_path / "data" / "journal.db").exists()
    with Journal.open_for_reading(tmp_path / "data", url=f"sqlite://{file}") as j:
        assert j.get("s1")["status"] == "pending"


def test_the_dialect_layer_rewrites_only_parameter_marks_and_percent_signs():
    from smscli.journal_sql import pg_params, to_pg

    assert to_pg('SELECT "to" FROM m WHERE id IN (?, ?) AND content LIKE \'%"x?":%\'') == (
        'SELECT "to" FROM m WHERE id IN (%s, %s) AND content LIKE \'%%"x?":%%\'', False)
    # numbered, and a plain ? after them is the next number (SQLite's rule)
    sql, numbered = to_pg("UPDATE m SET a = ?1, b = CASE WHEN ?2 != '' THEN ?2 END WHERE c IN (?, ?)")
    assert numbered and sql == ("UPDATE m SET a = %(p1)s, b = CASE WHEN %(p2)s != '' THEN %(p2)s END "
                                "WHERE c IN (%(p3)s, %(p4)s)")
    assert pg_params(["a", "b", "c", "d"], True) == {"p1": "a", "p2": "b", "p3": "c", "p4": "d"}
    assert to_pg("SELECT 'it''s ?' , \"a\"\"?\" FROM t WHERE x = ?")[0] == (
        "SELECT 'it''s ?' , \"a\"\"?\" FROM t WHERE x = %s")


def test_hosts_inserting_the_same_new_ids_in_opposite_orders_do_not_deadlock(tmp_path, pg_url):
    """A third session holds an uncommitted row "b": A (ids a, b, c) and B (c, b, a) both
    wait on it; when it goes, each inserts in id order, so B waits for A instead of
    holding "c" while A wants it (which the server would end as a deadlock)."""
    import threading

    a, b = Journal.open(tmp_path / "a", url=pg_url), Journal.open(tmp_path / "b", url=pg_url)
    c = Journal.open(tmp_path / "c", url=pg_url)
    holding, results, errors = threading.Event(), {}, []

    class Rollback(Exception):
        pass

    def hold_b() -> None:
        try:
            with c._tx() as cur:
                cur.execute("INSERT INTO messages (id, status, created_at, updated_at) VALUES (?, ?, ?, ?)",
                            ("b", "pending", "t", "t"))
                holding.set()
                time.sleep(1.0)
                raise Rollback
        except Rollback:
            pass

    def claim(name, journal, ids) -> None:
        try:
            results[name] = journal.claim([msg(i) for i in ids], "oneshot", "p")
        except Exception as exc:  # a deadlock ends one of them: the test says which
            errors.append(f"{name}: {exc}")

    holder = threading.Thread(target=hold_b)
    holder.start()
    assert holding.wait(10)
    threads = [threading.Thread(target=claim, args=("a", a, "abc")),
               threading.Thread(target=claim, args=("b", b, "cba"))]
    for t in threads:
        t.start()
        time.sleep(0.2)
    for t in [holder, *threads]:
        t.join(30)
    assert errors == []
    assert results == {"a": [None] * 3, "b": [OWNED] * 3}
    for j in (a, b, c):
        j.close()


def test_results_naming_one_id_twice_apply_in_order_whichever_comes_first(tmp_path, pg_url):
    with Journal.open(tmp_path, url=pg_url) as j:
        for first, then, final in (("invalid", "accepted", "accepted"), ("accepted", "invalid", "accepted"),
                                   ("unknown", "rejected", "rejected"), ("rejected", "unknown", "unknown")):
            m = msg(f"twice-{first}-{then}")
            j.claim([m], "oneshot", "p")
            j.record([SendResult(m.to, first, m.id, "oneshot", "sms", first),
                      SendResult(m.to, then, m.id, "oneshot", "sms", then),
                      SendResult(m.to, "unknown", "other-" + m.id, "oneshot", "sms")])
            assert (j.get(m.id)["status"], j.get(m.id)["code"]) == (final, final), (first, then)


def test_after_a_reconnect_the_owner_still_holds_its_claims(tmp_path, pg_url):
    import psycopg

    with Journal.open(tmp_path / "a", url=pg_url) as j, Journal.open(tmp_path / "b", url=pg_url) as other:
        j.claim([msg("r1")], "oneshot", "p")
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (j._conn.info.backend_pid,))
        with pytest.raises(JournalGone):
            j.get("r1")
        assert j.get("r1")["status"] == "pending"  # connected again, its owner lock taken again
        assert other.claim([msg("r1")], "oneshot", "p") == [OWNED]


def test_a_run_of_another_live_host_reads_as_running_until_it_ends(tmp_path, pg_url):
    a = Journal.open(tmp_path / "a", url=pg_url)
    with Journal.open(tmp_path / "b", url=pg_url) as b:
        a.start_run("run-1", command="send", profile="p", vendor="oneshot", fingerprint="f", parts={})
        assert [r["state"] for r in b.list_runs()] == ["running"]  # outside a transaction
        assert b.get_run("run-1")["state"] == "running"
        a.close()
        assert b.get_run("run-1")["state"] == "killed"  # marked running, its owner gone


def test_a_server_still_away_at_the_next_operation_is_journal_gone_again(tmp_path, pg_url):
    import psycopg

    with Journal.open(tmp_path, url=pg_url) as j:
        j.claim([msg("w1")], "oneshot", "p")
        good = j._url
        with socket.socket() as s:  # a port nothing listens on: the server is not back
            s.bind(("127.0.0.1", 0))
            j._url = good.replace(f":{j._conn.info.port}/", f":{s.getsockname()[1]}/")
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (j._conn.info.backend_pid,))
        with pytest.raises(JournalGone, match="went away \\("):
            j.get("w1")
        with pytest.raises(JournalGone, match=re.escape(f"the journal at {j.location} went away and "
                                                        "is not back yet")) as info:
            j.get("w1")
        assert info.value.exit_status == 4
        j._url = good
        assert j.get("w1")["status"] == "pending"
