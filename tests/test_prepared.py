"""The send pipeline's per-row shortcuts give what the general checks give."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscli import text
from smscli.dispatch import Prepared, SendOptions


class Limits:
    sms_bytes = 90
    lms_bytes = 200
    server_decides_type = False


bodies = st.text(alphabet=st.sampled_from("a 가나\n😀€"), max_size=120)


def outcome(fn, body):
    try:
        return fn(body)
    except text.InvalidInput as exc:
        return type(exc), str(exc)


@given(bodies)
def test_type_by_size_is_choose_type_sized(body):
    prepared = Prepared(SendOptions(template="x", sender="0212345678"), "sandbox", Limits())
    assert prepared._by_size
    general = lambda b: text.choose_type_sized(b, (), "auto", 90, 200)  # noqa: E731
    got = outcome(prepared._type_and_size, body)
    if body.strip():
        assert got == outcome(general, body)
    else:
        assert got == (text.InvalidInput, "empty message")


@pytest.mark.parametrize("opts", [dict(type="lms"), dict(subject="s"), dict(allow_unicode=True)])
def test_no_shortcut_where_more_decides(opts):
    prepared = Prepared(SendOptions(template="x", sender="0212345678", **opts), "sandbox", Limits())
    assert not prepared._by_size
