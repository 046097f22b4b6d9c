"""How the columns of a rich table are laid out on a terminal.

What a user copies or scans (ids, phone numbers, states, codes, counts) stays on one line
while the terminal has room for it (ids first); free text (detail, text, meaning) takes the
width that is left, wrapping at spaces. A time is shown as ``2026-12-04 13:04:18+09:00``
(to the second) so that it wraps between date and clock, never inside either. A column
that cannot stay whole folds, as before: nothing is cut off.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

_WHOLE = frozenset({
    "run", "to", "number", "080 number", "phone", "status", "state", "code", "type", "vendor", "profile",
    "channel", "table", "date", "at", "rows", "count", "delivered", "failed", "waiting", "rate", "accepted",
    "duplicate", "scheduled", "unknown", "other", "bytes", "width", "height", "key", "retryable", "category",
})
_NARROWEST = 4  # cells a column that wraps is given when deciding what else stays whole
_FRAME = 3  # a cell's padding (2) and the border after it (1)
_ISO_TIME = re.compile(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?$")


def keeps_whole(name: str) -> bool:
    """True for an id, state or count column (``message_id``, ``status``, ``count``)."""
    return name in _WHOLE or name.endswith(("_id", "msgid"))


def is_time(name: str) -> bool:
    return name.endswith("_at")


def cell(name: str, value: str) -> str:
    """``value`` as a table shows it: a time of an ``*_at`` column with a space for its ``T``."""
    if is_time(name) and (m := _ISO_TIME.match(value)):
        return f"{m[1]} {m[2]}{m[3] or ''}"
    return value


def whole_columns(names: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> set[str]:
    """The columns to keep on one line at this terminal ``width``: each id, state or count
    column whose widest cell fits in what the others leave (ids first, then left to right).
    When an id cannot stay whole, none does: the id gets the most room to fold in."""
    from rich.cells import cell_len

    need = 1 + len(names) * (_NARROWEST + _FRAME)  # every column at its narrowest
    whole: set[str] = set()
    candidates = [i for i, name in enumerate(names) if keeps_whole(name)]
    for i in sorted(candidates, key=lambda i: not _is_id(names[i])):
        widest = max([cell_len(names[i]), *(cell_len(str(row[i])) for row in rows)])
        extra = max(0, widest - _NARROWEST)
        if need + extra <= width:
            whole.add(names[i])
            need += extra
        elif _is_id(names[i]):
            return set()
    return whole


def _is_id(name: str) -> bool:
    return name.endswith(("_id", "msgid")) or name == "run"


def column_options(name: str, whole: set[str]) -> dict[str, Any]:
    """Keyword arguments for ``Table.add_column`` of the column ``name``."""
    return {"no_wrap": True} if name in whole else {"overflow": "fold"}
