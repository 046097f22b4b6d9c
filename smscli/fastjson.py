"""Compact JSON made by one C call per object (what the OneShot frames and fields need).

``JSONEncoder.encode`` builds a C encoder on every call, and ``json.dumps`` with options a
JSONEncoder too; per message that shows. Stdlib only, imported cheaply.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from typing import Any


def compact() -> Callable[[Any], str]:
    """``json.dumps(obj, separators=(",", ":"), ensure_ascii=False)`` (key order kept).
    Without a circular-reference check: a circular structure raises RecursionError."""
    base = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator
        return base.encode
    enc = make(None, base.default, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    join = "".join
    return lambda obj: join(enc(obj, 0))
