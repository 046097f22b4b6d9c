"""One journal on PostgreSQL shared by several "hosts": processes that each have their own
data dir (``SMSCLI_DATA_DIR``) and one ``SMSCLI_JOURNAL_URL``. Counted on the simulator
(its record file): 0 doubled, 0 lost, whatever the race or the fault."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smscli.journal_base import LEASE_SECONDS as LEASE
from tests.conftest import ROOT
from tests.faults_helpers import World, assert_each_once, make_worlds, phone, wait_for


@pytest.fixture
def shared(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The shared journal: every child process inherits it."""
    monkeypatch.setenv("SMSCLI_JOURNAL_URL", pg_url)
    return pg_url


@pytest.fixture
def world(isolated_env: Path, tmp_path: Path, shared: str) -> Iterator[Any]:
    work = tmp_path / "work"
    work.mkdir()
    yield from make_worlds(isolated_env, work)


def host(w: World, n: int) -> dict[str, str]:
    """The environment of host ``n``: its own data dir."""
    return {"SMSCLI_DATA_DIR": str(w.work / f"host{n}")}


def results_by_id(children: list[Any]) -> dict[str, Counter[str]]:
    found: dict[str, Counter[str]] = {}
    for child in children:
        for row in child.results():
            found.setdefault(row["message_id"], Counter())[row["status"]] += 1
    return found


@pytest.mark.parametrize("hosts", [2, 4])
def test_hosts_racing_the_same_csv_send_each_message_once(world: Any, hosts: int) -> None:
    w = world("oneshot")
    children = [w.start(env=host(w, n)) for n in range(hosts)]
    codes = [child.wait(120) for child in children]
    assert codes == [0] * hosts, [c.stderr() for c in children]
    assert_each_once(w, w.tally(), held_allowed=False)
    per_id = results_by_id(children)
    assert len(per_id) == w.rows
    for mid, statuses in per_id.items():  # one host sent it, every other one says duplicate
        assert statuses == Counter({"accepted": 1, "duplicate": hosts - 1}), (mid, statuses)


def test_sigkill_of_one_host_while_another_continues_then_a_re_run(world: Any, clock_at: Any) -> None:
    from datetime import timedelta

    from smscli import clock

    w = world("oneshot")
    first = w.start(env={**host(w, 0), "SMSCLI_JOURNAL_LEASE": "30"})
    w.when_handed_over(w.rows // 3, first)
    second = w.start(env=host(w, 1))
    first.signal(signal.SIGKILL)
    assert first.wait(10) == -signal.SIGKILL
    assert second.wait(120) == 0, second.stderr()
    # what the dead host had claimed is taken over once its lease (journal_lease: 30 s,
    # well under the default) runs out
    assert LEASE > 90
    clock_at(clock.now() + timedelta(seconds=90))
    code, again = w.send(env=host(w, 2))
    assert code == 0, again.stderr()
    assert_each_once(w, w.tally(), held_allowed=False)


def test_two_reserve_flushes_racing_send_each_due_message_once(world: Any, clock_at: Any) -> None:
    from datetime import datetime

    w = world("oneshot")
    held = w.cli("-p", "a", "reserve", "--csv", str(w.csv), "-m", "예약 {name}", "--at",
                 "2099-01-01 09:00", "--json", env=host(w, 0))
    assert held.returncode == 0, held.stderr
    assert w.sim.handed_over() == 0
    clock_at(datetime(2099, 1, 1, 9, 1))
    flushes = []
    for n in (1, 2):
        out, err = w.work / f"flush{n}.out", w.work / f"flush{n}.err"
        with open(out, "wb") as o, open(err, "wb") as e:
            flushes.append((subprocess.Popen(
                [sys.executable, "-m", "smscli", "reserve", "flush", "--json"],
                stdout=o, stderr=e, env=w.env(**host(w, n)), cwd=ROOT), out, err))
    for proc, _, err in flushes:
        assert proc.wait(120) == 0, err.read_text()
    sent = Counter(json.loads(line)["message_id"] for _, out, _ in flushes
                   for line in out.read_text().splitlines() if '"accepted"' in line)
    assert len(sent) == w.rows and set(sent.values()) == {1}
    assert_each_once(w, w.tally(), held_allowed=False)


def test_a_report_polled_on_one_host_settles_a_message_sent_from_another(world: Any) -> None:
    w = world("oneshot", pace=False, rows=5, knobs={"report_delay": 0.05})
    code, child = w.send(env=host(w, 0))
    assert code == 0, child.stderr()
    polled = w.cli("-p", "a", "result", "poll", "--timeout", "3", env=host(w, 1))
    assert polled.returncode == 0, polled.stderr
    rows = w.journal(data_dir=w.work / "host2")
    assert {r["to"] for r in rows} == {phone(i) for i in range(5)}
    assert {r["status"] for r in rows} == {"delivered"}, rows
    assert not (w.work / "host0" / "journal.db").exists()  # nothing but the shared journal


def test_a_bad_url_and_a_wrong_password_are_exit_3_a_server_down_exit_4_no_password_shown(shared: str) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(shared)
    wrong = shared.replace(f":{parts.password}@", ":not-the-password-42@")
    for url, expect in ((wrong, "password"), ("postgresql://smscli@[::1/x", "not a valid"),
                        (shared.replace(f":{parts.port}", ":1"), "cannot reach")):
        for args in (("send", "--to", "01012345678", "-m", "hi"), ("journal", "check")):
            out = subprocess.run([sys.executable, "-m", "smscli", *args], capture_output=True, text=True,
                                 env={**os.environ, "SMSCLI_JOURNAL_URL": url, "PYTHONPATH": str(ROOT)},
                                 cwd=ROOT, timeout=60)
            assert out.returncode == (4 if "cannot" in expect else 3), (url, out)
            assert expect in out.stderr and "Traceback" not in out.stderr, out.stderr
            for secret in ("not-the-password-42", parts.password or "-"):
                assert secret not in out.stderr + out.stdout


# ------------------------------------------------------------------------------------------
# PostgreSQL stopped in the middle of a batch: a private server of this test's own

SERVER = ROOT / "scripts" / "postgres-test-server.sh"


@pytest.fixture
def private_pg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    """A server only this test uses; yields (url, run(subcommand)) and removes it after."""
    if not (shutil.which("initdb") or list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))):
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    import tempfile

    # not under tmp_path: as root the server runs as "postgres", which must reach its dir
    home = Path(tempfile.mkdtemp(prefix="smscli-test-pg-", dir="/tmp"))
    os.chmod(home, 0o755)
    env = {**os.environ, "SMSCLI_POSTGRES_DIR": str(home / "pg")}

    def run(*args: str) -> str:
        done = subprocess.run(["bash", str(SERVER), *args], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    url = run()
    monkeypatch.setenv("SMSCLI_JOURNAL_URL", url)
    try:
        yield url, run
    finally:
        run("stop")
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def private_world(isolated_env: Path, tmp_path: Path, private_pg: tuple[str, Any]) -> Iterator[Any]:
    work = tmp_path / "work"
    work.mkdir()
    yield from make_worlds(isolated_env, work)


def test_postgresql_stopped_mid_batch_exit_4_then_a_clean_resume(private_world: Any,
                                                                  private_pg: tuple[str, Any]) -> None:
    url, server = private_pg
    w = private_world("oneshot")
    child = w.start(env=host(w, 0))
    w.when_handed_over(w.rows // 3, child)
    server("halt")
    assert child.wait(60) == 4
    err = child.stderr()
    assert "went away" in err and "Traceback" not in err
    assert url.split("@")[0].split(":")[-1] not in err  # the password
    handed = w.sim.handed_over()
    assert handed < w.rows
    server("restart")
    assert wait_for(lambda: w.cli("journal", "check", env=host(w, 1)).returncode == 0, timeout=30)
    code, again = w.send(env=host(w, 0))  # the same command on the same host
    assert code == 0, again.stderr()
    assert_each_once(w, w.tally(), held_allowed=False)
