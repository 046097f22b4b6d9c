"""The fault table, one small run per row and vendor: "nothing lost, nothing doubled".

Each test sends a CSV with an ``id`` column (one distinct number per row) through the real
CLI to a simulator over loopback, applies the fault at a condition (the simulator has
accepted N messages), takes the documented next step (the same command again) and counts
on the simulator's record: every row accepted exactly once, and the journal knows it as
accepted. Bizppurio cannot de-duplicate, so there a message whose answer was lost may be
held as ``unknown`` instead (never sent twice, never silently dropped); the other vendors
answer a repeat with 320 / 314 / "CMID exists", which must be journaled as accepted, not
left ``pending``. Process and network faults here; a full disk and a damaged journal in
tests/test_faults_storage.py. (`bench/fault_trial.py` runs the same cases at scale.)
"""

from __future__ import annotations

import signal

import pytest

from tests.faults_helpers import (
    ANSWERING,
    BIZCLIENT_ROWS,
    VENDORS,
    assert_each_once,
    expected_exit,
    finish,
    held_allowed,
    make_worlds,
    moment,
    phone,
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def world(isolated_env, tmp_path):
    yield from make_worlds(isolated_env, tmp_path)


# --- SIGKILL, Ctrl-C -----------------------------------------------------------------------


@pytest.mark.parametrize("vendor", VENDORS)
def test_sigkill_mid_send_then_the_same_command(world, vendor):
    w = world(vendor)
    child = w.start()
    assert w.kill_at(moment(vendor), child) == -signal.SIGKILL
    code = finish(w, -9)
    tally = w.tally()
    assert_each_once(w, tally, held_allowed=held_allowed(vendor))
    assert code == expected_exit(w, tally)


@pytest.mark.parametrize("vendor", VENDORS)
def test_ctrl_c_mid_send_then_the_same_command(world, vendor):
    w = world(vendor)
    child = w.start()
    w.when_handed_over(moment(vendor), child)
    child.signal(signal.SIGINT)
    assert child.wait(30) == 130
    code = finish(w, 130)
    tally = w.tally()
    assert_each_once(w, tally, held_allowed=False)  # Ctrl-C drains: every answer was journaled
    assert code == 0


# --- lost and late answers -------------------------------------------------------------------


@pytest.mark.parametrize("vendor", ANSWERING)
def test_dropped_answers_then_the_same_command(world, vendor):
    w = world(vendor, pace=False, knobs={"drop_rate": 0.03, "seed": 11})
    first, _child = w.send()
    dropped = w.sim.dropped()
    assert dropped > 0  # the seed drops some answers of these 200
    code = finish(w, first)
    tally = w.tally()
    assert_each_once(w, tally, held_allowed=held_allowed(vendor))
    if vendor == "bizppurio":  # each dropped answer is held, not sent again
        assert tally.held == dropped and first == 1 and code == 1
    else:
        assert code == 0


SLOW_ROWS = 10


@pytest.mark.parametrize("vendor", ANSWERING)
def test_server_slower_than_the_timeout_then_two_re_runs(world, vendor):
    timeout_key = "response_timeout" if vendor == "oneshot" else "timeout"
    w = world(vendor, pace=False, rows=SLOW_ROWS, knobs={"delay": 0.5}, profile={timeout_key: 0.2})
    for _ in range(3):  # the send, then the same command twice
        code, _child = w.send(timeout=90)
    tally = w.tally()
    assert tally.doubled == 0, tally.summary()  # no answer in time is no reason to send again
    if code != 4:  # (4: "unreachable", some rows may not have been tried yet)
        assert tally.lost == 0, tally.summary()


# --- two profile names, one data dir ----------------------------------------------------------


@pytest.mark.parametrize("vendor", VENDORS)
def test_two_profile_names_on_one_account_and_data_dir_at_once(world, vendor):
    w = world(vendor, rows=300 if vendor != "bizclient" else BIZCLIENT_ROWS, profiles=("a", "b"))
    first, second = w.start(profile="a"), w.start(profile="b")
    codes = [first.wait(90), second.wait(90)]
    for i, profile in enumerate(("a", "b")):  # one told to wait or to come back: the next step
        for _ in range(3):
            if codes[i] == 0:
                break
            codes[i], _child = w.send(profile=profile)
    assert codes == [0, 0], (first.stderr(), second.stderr())
    tally = w.tally(profiles=("a", "b"))
    assert tally.doubled == 0 and tally.lost == 0 and tally.held == 0, tally.summary()
    assert set(tally.accepted.values()) == {1} and len(tally.accepted) == w.rows
    assert tally.pending == 0


# --- a repeat answered by the server is journaled ------------------------------------------------


@pytest.mark.parametrize("vendor", ("oneshot", "netshot", "bizclient"))
def test_a_repeat_the_server_refuses_is_journaled_as_accepted_with_its_server_id(world, vendor, isolated_env,
                                                                             tmp_path):
    """Another journal sent these ids already: the server answers 320 / 314 / "CMID exists";
    the message is accepted (`duplicate` on screen), so the journal must say accepted and
    keep the server's id for the reports, not leave it pending."""
    w = world(vendor, pace=False, rows=5)
    other = {"SMSCLI_DATA_DIR": str(tmp_path / "other-data")}
    code, _child = w.send(env=other)
    assert code == 0
    code, child = w.send()
    assert code == 0, child.stderr()
    assert [r["status"] for r in child.results()] == ["duplicate"] * 5
    rows = {r["to"]: r for r in w.journal()}
    assert {r["status"] for r in rows.values()} <= {"accepted", "delivered"}, rows
    assert len(rows) == 5
    from smscli.journal import Journal

    journal = Journal.open(isolated_env / "data")
    for i in range(5):
        stored = journal.get(f"t-{i}")
        assert stored is not None and stored["status"] in ("accepted", "delivered"), stored
        if vendor != "oneshot":  # a 320 carries no ServerMsgId; the report names the UserMsgId
            assert stored["server_id"], stored
    tally = w.tally()
    assert tally.accepted == {phone(i): 1 for i in range(5)}
