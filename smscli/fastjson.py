"""JSON text made by one C call per object, for what is encoded once per message.

``JSONEncoder.encode`` builds a C encoder on every call, and ``json.dumps`` with any option
a JSONEncoder too; per message that shows. Stdlib only, imported cheaply.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from typing import Any


def encoder(item_separator: str = ", ", key_separator: str = ": ") -> Callable[[Any], str]:
    """``json.dumps(obj, ensure_ascii=False, separators=(item_separator, key_separator))``,
    the same text (key order kept). Without a circular-reference check: a circular
    structure raises RecursionError."""
    base = json.JSONEncoder(separators=(item_separator, key_separator), ensure_ascii=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator
        return base.encode
    enc = make(None, base.default, json.encoder.encode_basestring, None, key_separator, item_separator,
               False, False, True)
    join = "".join
    return lambda obj: join(enc(obj, 0))


def compact() -> Callable[[Any], str]:
    """``json.dumps(obj, separators=(",", ":"), ensure_ascii=False)``: OneShot's frames and
    fields, the journal's content."""
    return encoder(",", ":")
