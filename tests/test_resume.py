"""Runs and how an interrupted one ends: `send --resume`, `runs --json`, Bizppurio's
``unknown`` held back until `--resend-unknown`, and Ctrl-C (the first drains, a second
aborts). Real CLI processes against the simulators over loopback, counted on the
simulator's record; every fault at a condition (N messages accepted by the simulator).
"""

from __future__ import annotations

import json
import signal
import time

import pytest

from tests.faults_helpers import VENDORS, World, assert_each_once, make_worlds, wait_for

pytestmark = pytest.mark.timeout(120)

@pytest.fixture
def world(isolated_env, tmp_path):
    """``world(vendor, ...)``: a CSV without ids unless ``ids=True``."""
    yield from make_worlds(isolated_env, tmp_path, ids=False)


def moment(w: World) -> int:
    return 1000 if w.vendor == "bizclient" else w.rows // 3


def only_run(w: World) -> dict:
    runs = w.runs()
    assert len(runs) == 1, runs
    return runs[0]


def run_id_of(run: dict) -> str:
    """The run's id (`runs --json` calls it ``run_id``, or ``id``)."""
    value = run.get("run_id", run.get("id"))
    assert isinstance(value, str) and value, run
    return value


# --- --resume after Ctrl-C and after SIGKILL, CSV without ids ------------------------------------


@pytest.mark.parametrize("vendor", VENDORS)
def test_resume_after_ctrl_c_sends_the_rest_once(world, vendor):
    w = world(vendor)
    child = w.start()
    w.when_handed_over(moment(w), child)
    child.signal(signal.SIGINT)
    assert child.wait(30) == 130
    run = only_run(w)
    assert run["profile"] == "a"
    if run["finished"]:  # everything was handed over before the Ctrl-C (one BizNetShot request)
        assert "nothing is left to resume" in child.stderr()
        assert_each_once(w, w.tally(), held_allowed=False)
        return
    code, resumed = w.send("--resume")
    assert code == 0, resumed.stderr()
    assert_each_once(w, w.tally(), held_allowed=False)
    assert only_run(w)["finished"] is True  # resumed, not a second run


@pytest.mark.parametrize("vendor", VENDORS)
def test_resume_after_sigkill_sends_the_rest_once(world, vendor):
    w = world(vendor)
    child = w.start()
    w.kill_at(moment(w), child)
    code, resumed = w.send("--resume")
    tally = w.tally()
    assert_each_once(w, tally, held_allowed=vendor == "bizppurio")
    assert code == (1 if tally.held else 0), resumed.stderr()
    if not tally.held:
        assert only_run(w)["finished"] is True


def test_resume_of_a_run_by_id_and_with_a_changed_input(world):
    w = world("bizppurio")
    child = w.start()
    w.when_handed_over(moment(w), child)
    child.signal(signal.SIGINT)
    assert child.wait(30) == 130
    run_id = run_id_of(only_run(w))
    before = w.sim.handed_over()
    w.write_csv(change={150: "다른이름"})  # a row the run has not sent yet, changed
    for extra in (("--resume",), ("--resume", run_id)):
        code, refused = w.send(*extra)
        assert code == 2, refused.stderr()
        err = refused.stderr().strip().splitlines()
        assert len(err) == 1 and err[0].startswith("smscli: "), err
        assert refused.results() == []
    assert w.sim.handed_over() == before  # nothing sent
    w.write_csv()
    code, resumed = w.send("--resume", run_id)
    assert code == 0, resumed.stderr()
    assert_each_once(w, w.tally(), held_allowed=False)


# --- Bizppurio: unknown is held back, --resend-unknown sends it ----------------------------------


def test_bizppurio_unknown_is_held_until_resend_unknown(world):
    w = world("bizppurio", ids=True, rows=20, knobs={"delay": 0.0, "drop_ids": {"t-3", "t-7"}})
    code, first = w.send()
    assert code == 1, first.stderr()
    status = {r["message_id"]: r["status"] for r in first.results()}
    assert status["t-3"] == status["t-7"] == "unknown"
    assert {s for k, s in status.items() if k not in ("t-3", "t-7")} == {"accepted"}
    assert w.sim.obj.accepted() == {f"t-{i}": 1 for i in range(20)}
    code, again = w.send()  # the same command: not sent again, still reported unknown
    assert code == 1, again.stderr()
    status = {r["message_id"]: r["status"] for r in again.results()}
    assert status["t-3"] == status["t-7"] == "unknown"
    assert w.sim.obj.accepted() == {f"t-{i}": 1 for i in range(20)}
    code, resent = w.send("--resend-unknown")
    assert code == 0, resent.stderr()
    status = {r["message_id"]: r["status"] for r in resent.results()}
    assert status["t-3"] == status["t-7"] == "accepted"
    assert w.sim.obj.accepted() == {f"t-{i}": 2 if i in (3, 7) else 1 for i in range(20)}
    journal = {r["message_id"]: r["status"] for r in w.journal()}
    assert journal["t-3"] == journal["t-7"] == "accepted"


def test_bizppurio_unknown_after_sigkill_is_held_on_resume(world):
    w = world("bizppurio", knobs={"delay": 0.5})  # answers come late: some are in flight at the kill
    child = w.start()
    w.kill_at(8, child)
    w.sim.obj.config.delay = 0.0  # the rest at full speed
    code, resumed = w.send("--resume")
    tally = w.tally()
    assert tally.held >= 1 and code == 1, (tally.summary(), resumed.stderr())
    assert_each_once(w, tally, held_allowed=True)
    held = [r for r in resumed.results() if r["status"] == "unknown"]
    assert len(held) == tally.held


# --- Ctrl-C: the first drains, a second aborts ---------------------------------------------------


def test_first_ctrl_c_stops_handing_over_and_journals_the_answers_in_flight(world):
    w = world("bizppurio", knobs={"delay": 0.8})  # 4 in flight, each answered 0.8 s after it arrived
    child = w.start()
    w.when_handed_over(10, child)
    at_signal = w.sim.handed_over()
    child.signal(signal.SIGINT)
    assert child.wait(15) == 130
    handed = w.sim.handed_over()
    assert handed <= at_signal + 4  # only what was in flight (concurrency 4), nothing new
    journal = {r["to"]: r["status"] for r in w.journal()}
    assert "unknown" not in journal.values()
    accepted = {number for number, status in journal.items() if status == "accepted"}
    assert len(accepted) == handed  # an answer journaled for each message handed over
    printed = {r["to"] for r in child.results() if r["status"] == "accepted"}
    assert printed == accepted
    w.sim.obj.config.delay = 0.0
    code, resumed = w.send("--resume")
    assert code == 0, resumed.stderr()
    tally = w.tally()
    assert_each_once(w, tally, held_allowed=False)
    assert accepted <= {number for number, n in tally.accepted.items() if n == 1}


def test_second_ctrl_c_aborts_at_once(world):
    w = world("bizppurio", knobs={"delay": 10.0})  # answers 10 s late: a drain would wait for them
    child = w.start()
    w.when_handed_over(4, child)
    said = child.stderr_size()
    started = time.monotonic()
    child.signal(signal.SIGINT)
    # The first Ctrl-C says so (and that a second one aborts) on stderr, and keeps waiting.
    assert wait_for(lambda: child.stderr_size() > said or not child.running(), timeout=3)
    assert child.running(), f"the first Ctrl-C must drain, not exit: {child.stderr()}"
    assert child.stderr_size() > said, "the first Ctrl-C says nothing on stderr"
    child.signal(signal.SIGINT)
    assert child.wait(3) == 130
    assert time.monotonic() - started < 6  # well before the answers, due 10 s after acceptance
    in_flight = w.sim.handed_over()
    w.sim.obj.config.delay = 0.0
    code, again = w.send("--resume")  # what was in flight is unknown: held, not sent again
    tally = w.tally()
    assert tally.doubled == 0 and tally.lost == 0, tally.summary()
    assert tally.held >= in_flight and code == 1, (tally.summary(), again.stderr())


def cut_short(w) -> dict:
    """A send of ``w`` stopped by one Ctrl-C once rows were handed over: its run, unfinished."""
    child = w.start()
    w.when_handed_over(moment(w), child)
    child.signal(signal.SIGINT)
    assert child.wait(30) == 130
    first = only_run(w)
    assert not first["finished"]
    return first


def test_the_same_command_again_without_resume_says_it_sends_every_row(world):
    """A plain re-run of a cut-short send is a new run, which sends every row again (a
    cron job may mean it): it says so, and that --resume sends only the rest; once a run
    of that input finished, no more."""
    w = world("oneshot")
    first = cut_short(w)
    code, again = w.send()
    assert code == 0, again.stderr()
    assert (f"smscli: warning: run {run_id_of(first)} of {first['started_at']} with this same input did not "
            "finish; this new run sends every row again") in again.stderr()
    code, third = w.send()
    assert code == 0 and "warning: run" not in third.stderr()


@pytest.mark.parametrize("vendor", ["oneshot", "bizppurio"])
def test_a_runs_counts_cover_all_its_attempts_not_the_last_resume(world, vendor):
    """A resume reports what the run had accepted before as duplicate; the run's counts
    still say what became of its messages (each counted once, as accepted), and a second
    resume, which sends nothing, does not turn them into duplicates."""
    w = world(vendor)
    cut_short(w)
    for _ in range(2):
        code, resumed = w.send("--resume")
        assert code == 0, resumed.stderr()
    assert_each_once(w, w.tally(), held_allowed=False)
    run = only_run(w)
    assert run["finished"] is True
    assert run["counts"] == {"accepted": w.rows}, run


def test_a_runs_counts_say_accepted_for_what_reports_settled_before_the_resume(world, isolated_env):
    """Reports that came in between (delivered, failed) do not put the earlier attempt's
    messages under `other`: the run counts how each was handed over, accepted."""
    import sqlite3

    w = world("oneshot")
    cut_short(w)
    with sqlite3.connect(isolated_env / "data" / "journal.db") as db:  # what `result poll` would write
        settled = db.execute("UPDATE messages SET status = CASE WHEN rowid % 2 THEN 'delivered' "
                             "ELSE 'failed' END WHERE status = 'accepted'").rowcount
    assert settled > 0
    code, resumed = w.send("--resume")
    assert code == 0, resumed.stderr()
    assert only_run(w)["counts"] == {"accepted": w.rows}


def test_a_run_that_a_later_run_of_the_same_input_finished_is_not_listed_unfinished(world):
    """Run 1 cut short, run 2 (the same command without --resume) sends every row and
    finishes: run 1 is history (resuming it would send its rest a second time), not a run
    `runs --unfinished` offers to continue; `runs` still lists it, interrupted."""
    w = world("oneshot")
    first = cut_short(w)
    done = w.cli("-p", "a", "runs", "--unfinished", "--json")
    assert [json.loads(x)["run_id"] for x in done.stdout.splitlines() if x] == [run_id_of(first)]
    code, again = w.send()
    assert code == 0, again.stderr()
    done = w.cli("-p", "a", "runs", "--unfinished", "--json")
    assert done.returncode == 0 and done.stdout.strip() == "", done.stdout
    assert [r["state"] for r in w.runs()] == ["finished", "interrupted"]
