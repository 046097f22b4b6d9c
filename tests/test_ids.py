"""Message ids: fresh ids, derived ids, validation of user ids."""

from __future__ import annotations

import multiprocessing
import time
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscli import clock, ids
from smscli.errors import UsageError
from smscli.ids import CROCKFORD, derive_id, id_problem, id_time_ms, new_id, validate_id


def test_new_id_shape_and_time():
    before = clock.time_ns() // 1_000_000
    value = new_id()
    after = clock.time_ns() // 1_000_000
    assert len(value) == 26 and value.isascii()
    assert set(value) <= set(CROCKFORD)
    assert before <= id_time_ms(value) <= after
    assert id_problem(value) is None


def test_new_id_takes_its_time_from_smscli_clock():
    ahead = clock.now() + timedelta(days=400)
    try:
        with clock.shifted(ahead):
            value = new_id()
        assert abs(id_time_ms(value) / 1000 - ahead.timestamp()) < 5
    finally:
        ids._forget_state()  # the next id must not continue from 400 days ahead


def test_new_ids_are_unique_and_strictly_increasing():
    values = [new_id() for _ in range(50_000)]  # many share a millisecond
    assert values == sorted(values)
    assert len(set(values)) == len(values)


def test_ids_made_later_sort_later():
    first = new_id()
    time.sleep(0.002)
    assert new_id() > first


def _child_ids(queue):
    queue.put([new_id() for _ in range(2000)])


def test_forked_processes_do_not_repeat_ids():
    new_id()  # parent state that a forked child must not continue
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_child_ids, args=(queue,)) for _ in range(2)]
    for p in procs:
        p.start()
    mine = [new_id() for _ in range(2000)]
    got = [queue.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    every = mine + got[0] + got[1]
    assert len(set(every)) == len(every)


def test_id_time_ms_rejects_foreign_ids():
    assert id_time_ms("order-1") is None
    assert id_time_ms("!" * 26) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty id"),
        ("a b", "has a space at position 2"),
        ("주문1", "has character '주' at position 1"),
        ("tab\tx", "has character '\\t' at position 4"),
        ("x" * 33, "is 33 characters; at most 32"),
    ],
)
def test_bad_user_ids(value, message):
    assert message in (id_problem(value) or "")
    with pytest.raises(UsageError) as info:
        validate_id(value)
    assert str(info.value).startswith("--id: ")
    assert info.value.exit_status == 2


def test_good_user_ids():
    for value in ("order-2026-11-21", "x" * 32, "A!~#$%&'()*+,-./:;<=>?@[]^_`{|}"):
        assert validate_id(value) == value


def test_derive_id_plain():
    assert derive_id("daily", "01012345678") == "daily-01012345678"
    assert derive_id("k" * 20, "01012345678") == "k" * 20 + "-01012345678"  # exactly 32


def test_derive_id_long_is_stable_short_and_unique():
    key = "monthly-bill-2026-11-reminder"
    a = derive_id(key, "01012345678")
    b = derive_id(key, "01012345679")
    assert a != b and len(a) == len(b) == 32
    assert a == derive_id(key, "01012345678")  # same across runs
    assert a.startswith(key[:15] + "-")
    assert id_problem(a) is None


def test_derive_id_validates_the_key():
    with pytest.raises(UsageError, match="--id: id 'a b' has a space"):
        derive_id("a b", "01012345678")


@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=32
    ),
    st.lists(st.from_regex(r"0[0-9]{8,11}", fullmatch=True), min_size=2, max_size=20, unique=True),
)
def test_derived_ids_are_valid_and_distinct(key, recipients):
    derived = [derive_id(key, r) for r in recipients]
    assert len(set(derived)) == len(derived)
    for value in derived:
        assert id_problem(value) is None


def test_encode_matches_long_division():
    for value in (0, 1, 31, 32, 2**48 - 1, 2**80 - 1, 2**128 - 1):
        digits, v = [], value
        for _ in range(26):
            v, d = divmod(v, 32)
            digits.append(CROCKFORD[d])
        assert ids._encode(value, 26) == "".join(reversed(digits))
