"""Read the ``--record`` files of the simulators: who accepted what, how many times.

Every simulator appends one JSON line per acceptance (a message taken again is a second
line), each naming the message in its vendor's terms:

- ``sim oneshot``: ``"event": "accepted"`` lines, ``user_msg_id`` (UserMsgId; the
  server refuses a known one with 320, so it appears once) and ``phone``;
- ``sim bizppurio``: ``refkey`` and ``to``, plus ``times`` (the n-th acceptance of
  that refkey: Bizppurio accepts a refkey again);
- ``sim netshot``: one line per accepted (``corpfrcode``, ``to``) pair;
- ``sim bizclient``: ``"event": "taken"`` lines, ``cmid`` and ``to``, plus ``times``.

:func:`read_record` turns any of them into :class:`Acceptance` items, so a CI job (or
``bench/fault_trial.py``) can count: ``acceptances(path)`` per message id,
``acceptances(path, by="to")`` per number. A line cut short at the end of the file (the
simulator killed while writing) is ignored.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class Acceptance:
    """One acceptance: the simulator (``oneshot``, ``bizppurio``, ``netshot``,
    ``bizclient``), the message id as that vendor knows it (for BizNetShot
    ``corpfrcode:number``, the form smscli journals as the server id) and the number."""

    vendor: str
    id: str
    to: str


def parse_line(data: dict) -> Acceptance | None:
    """The acceptance a record line stands for, or None (uploads, acknowledged reports)."""
    event = data.get("event")
    if event == "accepted" and "user_msg_id" in data:
        return Acceptance("oneshot", str(data["user_msg_id"]), str(data.get("phone", "")))
    if event == "taken" and "cmid" in data:
        return Acceptance("bizclient", str(data["cmid"]), str(data.get("to", "")))
    if event is None and "refkey" in data:
        return Acceptance("bizppurio", str(data["refkey"]), str(data.get("to", "")))
    if event is None and "corpfrcode" in data:
        to = str(data.get("to", ""))
        return Acceptance("netshot", f"{data['corpfrcode']}:{to}", to)
    return None


def read_record(path: Path | str) -> Iterator[Acceptance]:
    """Every acceptance in a record file, in file order (a missing file has none)."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            if not line.endswith("\n"):
                break  # a line being written (or cut by a kill)
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if isinstance(data, dict):
                item = parse_line(data)
                if item is not None:
                    yield item


def acceptances(path: Path | str, *, by: Literal["id", "to"] = "id") -> Counter[str]:
    """How many times each message id (or number, ``by="to"``) was accepted."""
    return Counter(getattr(item, by) for item in read_record(path))
