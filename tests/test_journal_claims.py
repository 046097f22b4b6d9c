"""The claim rules one by one, on each backend: queued claims, reclaims of what a
finished run left, ids held back where the vendor cannot tell, and a batch that goes on
past every id it skips."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smscli.ids import new_id
from smscli.journal import HELD
from smscli.models import Message, SendResult
from smscli.timeutil import now_kst

HANDED_EARLIER = "handed over earlier; no answer was journaled"


def msg(mid: str | None = None, **kw) -> Message:
    return Message(id=mid or new_id(), to="01012345678", text="안녕하세요", sender="15666639", **kw)


def answer(m: Message, status: str, detail: str = "") -> SendResult:
    return SendResult(m.to, status, m.id, "oneshot", m.type, "E1", detail)


@pytest.fixture
def left_by_a_finished_run(tmp_path, open_journal):
    """Ids a run claimed and left in each reclaimable state (and one accepted), then ended."""
    ids = {state: msg(f"left-{state}") for state in ("pending", "unknown", "rejected", "invalid",
                                                       "accepted")}
    with open_journal(tmp_path) as first:
        assert first.claim(list(ids.values()), "oneshot", "p") == [None] * 5
        first.record([answer(m, state, f"{state} before") for state, m in ids.items()
                      if state != "pending"])
    return ids


def row(journal, m: Message) -> tuple:
    r = journal.get(m.id)
    return r["status"], r["detail"], r["attempts"]


def test_a_queued_claim_stays_queued_until_it_is_handed_over(tmp_path, open_journal):
    a, b = msg(), msg()
    with open_journal(tmp_path) as j:
        assert j.claim([a, b], "oneshot", "p", queued=True) == [None, None]
        assert [j.get(m.id)["status"] for m in (a, b)] == ["queued", "queued"]
        j.mark_handed([a.id])
        assert [j.get(m.id)["status"] for m in (a, b)] == ["pending", "queued"]


def test_a_queued_reclaim_keeps_what_may_have_reached_the_vendor_pending(
        tmp_path, open_journal, left_by_a_finished_run):
    ids = left_by_a_finished_run
    states = ["pending", "unknown", "rejected", "invalid"]
    with open_journal(tmp_path) as j:
        assert j.claim([ids[s] for s in states], "oneshot", "p", queued=True) == states
        assert [j.get(ids[s].id)["status"] for s in states] == ["pending", "pending", "queued", "queued"]
        assert all(j.get(ids[s].id)["attempts"] == 2 for s in states)


def test_a_plain_reclaim_makes_every_reclaimable_id_pending(tmp_path, open_journal, left_by_a_finished_run):
    ids = left_by_a_finished_run
    states = ["pending", "unknown", "rejected", "invalid"]
    with open_journal(tmp_path) as j:
        assert j.claim([ids[s] for s in states], "oneshot", "p") == states
        assert [row(j, ids[s]) for s in states] == [("pending", "", 2)] * 4


def test_scheduling_over_a_finished_run_s_claims_holds_them_here(tmp_path, open_journal,
                                                                 left_by_a_finished_run):
    ids = left_by_a_finished_run
    at = now_kst() + timedelta(hours=1)
    states = ["pending", "unknown", "rejected"]
    with open_journal(tmp_path) as j:
        again = [Message(**{**ids[s].__dict__, "send_at": at}) for s in states]
        assert j.schedule(again, "netshot", "p") == states
        for s in states:
            r = j.get(ids[s].id)
            assert (r["status"], r["held"], r["attempts"]) == ("scheduled", True, 2), s


def test_scheduling_an_id_this_instance_claimed_is_a_duplicate(tmp_path, open_journal):
    m = msg()
    with open_journal(tmp_path) as j:
        j.claim([m], "oneshot", "p")
        assert j.schedule([Message(**{**m.__dict__, "send_at": now_kst() + timedelta(hours=1)})],
                          "netshot", "p") == ["duplicate"]
        assert j.get(m.id)["status"] == "pending"


def test_what_may_have_been_sent_is_held_where_the_vendor_cannot_tell(tmp_path, open_journal,
                                                                      left_by_a_finished_run):
    ids = left_by_a_finished_run
    states = ["pending", "unknown", "rejected", "invalid", "accepted"]
    with open_journal(tmp_path) as j:
        assert j.claim([ids[s] for s in states], "oneshot", "p", hold_unsure=True) == [
            HELD, HELD, "rejected", "invalid", "accepted"]
        assert row(j, ids["pending"]) == ("unknown", HANDED_EARLIER, 1)  # now known as unsure
        assert row(j, ids["unknown"]) == ("unknown", "unknown before", 1)  # left as it was
        assert row(j, ids["rejected"]) == ("pending", "", 2)
        assert row(j, ids["invalid"]) == ("pending", "", 2)
        assert row(j, ids["accepted"]) == ("accepted", "accepted before", 1)


def test_holding_judges_by_owner_not_by_the_order_the_journals_were_opened(tmp_path, open_journal):
    m = msg()
    earlier = open_journal(tmp_path)  # its owner token sorts before the later one's
    with open_journal(tmp_path) as later:
        later.claim([m], "oneshot", "p")
    assert earlier.claim([m], "oneshot", "p", hold_unsure=True) == [HELD]
    assert row(earlier, m) == ("unknown", HANDED_EARLIER, 1)
    earlier.close()


def test_a_retry_of_this_instance_s_own_claims_is_never_held(tmp_path, open_journal):
    a, b = msg(), msg()
    with open_journal(tmp_path) as j:
        j.claim([a, b], "oneshot", "p")
        j.record([answer(b, "unknown", "timeout")])
        assert j.claim([a, b], "oneshot", "p", hold_unsure=True, retry=True) == ["pending", "unknown"]
        assert [row(j, m) for m in (a, b)] == [("pending", "", 2), ("pending", "", 2)]


def test_a_batch_goes_on_past_every_id_it_skips(tmp_path, open_journal, left_by_a_finished_run):
    ids = left_by_a_finished_run
    mine = msg("mine")
    with open_journal(tmp_path) as j:
        j.claim([mine], "oneshot", "p")
        cases = {  # what comes before the new id: what the claim says of it
            "twice in the batch": ([msg("a"), msg("a")], [None, "duplicate"]),
            "claimed by this instance": ([mine], ["duplicate"]),
            "accepted": ([ids["accepted"]], ["accepted"]),
            "held": ([ids["pending"]], [HELD]),
        }
        for n, (case, (before, says)) in enumerate(cases.items()):
            after = msg(f"new-{n}")
            got = j.claim([*before, after], "oneshot", "p", hold_unsure=True)
            assert got == [*says, None], case
            assert j.get(after.id)["status"] == "pending", case


def test_claim_and_schedule_take_their_flags_by_name_only(tmp_path, open_journal):
    """The leading arguments may be named (as a library caller may); the flags after them
    must be: ``claim(batch, "oneshot", "p", "run-1")`` is a mistake, not a run id."""
    a, b = msg(), msg(send_at=now_kst() + timedelta(hours=1))
    with open_journal(tmp_path) as j:
        assert j.claim(messages=[a], vendor="oneshot", profile="p", run="r1", queued=True) == [None]
        assert j.schedule(messages=[b], vendor="netshot", profile="p", run="r1") == [None]
        assert [j.get(m.id)["status"] for m in (a, b)] == ["queued", "scheduled"]
        assert j._query("SELECT DISTINCT run FROM messages") == [("r1",)]
        with pytest.raises(TypeError):
            j.claim([msg()], "oneshot", "p", "r2")  # type: ignore[misc]
        with pytest.raises(TypeError):
            j.schedule([msg()], "netshot", "p", "r2")  # type: ignore[misc]
