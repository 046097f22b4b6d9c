"""OneShot's KakaoButton string: looked up by the buttons tuple's identity, never stale."""

from __future__ import annotations

import json

from smscli.content import Button
from smscli.vendors import oneshot_channels
from smscli.vendors.oneshot_channels import buttons_json


def expected(buttons):
    return json.dumps({"button": [b.to_json() for b in buttons]}, separators=(",", ":"), ensure_ascii=False)


def test_shared_and_per_row_buttons_give_their_own_json():
    shared = (Button("배송 조회", "WL", url_mobile="https://s.example/x"),)
    assert buttons_json(shared) == expected(shared) and buttons_json(shared) is buttons_json(shared)
    for i in range(3 * oneshot_channels._BUTTONS_KEPT):  # per-row tuples: the table is emptied, not grown
        row = (Button("배송 조회", "WL", url_mobile=f"https://s.example/{i}"),)
        assert buttons_json(row) == expected(row)
        assert len(oneshot_channels._BUTTONS) <= oneshot_channels._BUTTONS_KEPT
    assert buttons_json(shared) == expected(shared) and buttons_json(()) == ""
