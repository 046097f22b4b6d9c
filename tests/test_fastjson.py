"""smscli.fastjson.compact writes what json.dumps writes with the same options."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscli import fastjson

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_compact_is_json_dumps(obj):
    want = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    assert fastjson.compact()(obj) == want


def test_compact_refuses_what_json_refuses():
    enc = fastjson.compact()
    with pytest.raises(TypeError):
        enc({"x": object()})
    loop: list = []
    loop.append(loop)
    with pytest.raises((RecursionError, ValueError)):
        enc(loop)
