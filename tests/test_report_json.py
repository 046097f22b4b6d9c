"""The journal's report JSON (``raw``, ``fallback``) is json.dumps(obj, ensure_ascii=False)'s text."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from smscli.journal_events import report_json

_VALUES = st.text(max_size=6) | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)


@given(st.dictionaries(st.text(max_size=6) | st.integers(), _VALUES | st.lists(_VALUES, max_size=3), max_size=5))
def test_report_json_is_json_dumps_text(obj) -> None:
    assert report_json()(obj) == json.dumps(obj, ensure_ascii=False)


def test_report_json_keeps_korean_and_escapes_quotes() -> None:
    assert report_json()({"a": "배송 \"완료\"", "n": 1}) == '{"a": "배송 \\"완료\\"", "n": 1}'
