"""Message ids (idempotency keys).

- :func:`new_id` — a fresh id: 26 Crockford base32 characters of a 48-bit millisecond
  time and 80 random bits (the ULID layout). Ids sort by creation time; within one
  process they are strictly increasing, even within the same millisecond.
- :func:`new_run_id` / :func:`run_message_id` — a send's run id (20 characters: the time
  and 50 random bits) and the id of its row N (the run id plus N in 6 characters), so an
  interrupted run can be resumed: the same input gives the same ids again.
- :func:`derive_id` — ``--id KEY`` with several recipients: ``KEY-RECIPIENT``, or a
  stable hashed form when that exceeds 32 bytes.
- :func:`fallback_id` — the id of the fallback smscli sends itself for a message.
- :func:`validate_id` / :func:`id_problem` — user-given ids: printable ASCII without
  spaces, at most 32 bytes (BIZCLIENT's CMID and Bizppurio's refkey limit).
"""

from __future__ import annotations

import os
import threading

from smscli import clock
from smscli.errors import UsageError

MAX_ID_BYTES = 32
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_RANDOM_MAX = (1 << _RANDOM_BITS) - 1

_PAIRS = [a + b for a in CROCKFORD for b in CROCKFORD]  # 10 bits -> 2 digits

_lock = threading.Lock()
_last_ms = -1
_last_random = 0
_prefix = ""  # the encoded time of _last_ms


def _encode(value: int, length: int) -> str:
    """``value`` as ``length`` Crockford base32 digits (``length`` even), most significant first."""
    pairs = _PAIRS
    return "".join([pairs[(value >> shift) & 1023] for shift in range(5 * length - 10, -1, -10)])


def _forget_state() -> None:
    """In a forked child: draw fresh randomness, never continue the parent's sequence."""
    global _last_ms
    _last_ms = -1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_state)


def new_id() -> str:
    """A fresh, time-ordered, collision-safe id of 26 ASCII characters."""
    global _last_ms, _last_random, _prefix
    with _lock:
        ms = clock.time_ns() // 1_000_000
        if ms <= _last_ms:
            # Same millisecond (or the clock stepped back): keep order by counting up.
            ms = _last_ms
            rand = _last_random + 1
            if rand > _RANDOM_MAX:  # 2**79 ids in one millisecond: move to the next one
                ms, rand = ms + 1, int.from_bytes(os.urandom(10), "big") >> 1
        else:
            # Top bit clear leaves room to count up within the millisecond.
            rand = int.from_bytes(os.urandom(10), "big") >> 1
        if ms != _last_ms or not _prefix:
            _prefix = _encode(ms, 10)  # 48 time bits in 10 digits (50 bits)
        _last_ms, _last_random = ms, rand
        return _prefix + _encode(rand, 16)  # 80 random bits in 16 digits


RUN_ID_CHARS = 20
POSITION_CHARS = 6
MAX_POSITION = 32**POSITION_CHARS - 1


def new_run_id() -> str:
    """A fresh run id: 10 characters of millisecond time, 10 of randomness (50 bits)."""
    ms = clock.time_ns() // 1_000_000
    return _encode(ms, 10) + _encode(int.from_bytes(os.urandom(7), "big") >> 6, 10)


def run_message_id(run_id: str, position: int) -> str:
    """The id of the row at ``position`` (0-based) of run ``run_id``: 26 characters, the
    shape of :func:`new_id` (time first, so ids still sort by creation)."""
    if not 0 <= position <= MAX_POSITION:
        raise UsageError(f"a run holds at most {MAX_POSITION + 1} rows")
    pairs = _PAIRS  # = _encode(position, 6), unrolled: this runs once per row
    return run_id + pairs[position >> 20] + pairs[(position >> 10) & 1023] + pairs[position & 1023]


def id_time_ms(message_id: str) -> int | None:
    """The millisecond timestamp inside an id made by :func:`new_id`, else None."""
    if len(message_id) != 26:
        return None
    value = 0
    for ch in message_id.upper():
        digit = CROCKFORD.find(ch)
        if digit < 0:
            return None
        value = value * 32 + digit
    return value >> _RANDOM_BITS


def id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a message id, or None when it can."""
    if not value:
        return "empty id"
    if value.isascii() and value.isprintable() and " " not in value and len(value) <= MAX_ID_BYTES:
        return None  # the common case, without a loop over the characters
    for pos, ch in enumerate(value, 1):
        if not ("!" <= ch <= "~"):
            what = "a space" if ch == " " else f"character {ch!r}"
            return f"id {value!r} has {what} at position {pos} (use printable ASCII without spaces)"
    if len(value) > MAX_ID_BYTES:
        return f"id {value!r} is {len(value)} characters; at most {MAX_ID_BYTES} are allowed"
    return None


def validate_id(value: str, *, option: str = "--id") -> str:
    """Return ``value`` if it is a valid id, else raise ``UsageError`` naming ``option``."""
    problem = id_problem(value)
    if problem:
        raise UsageError(f"{option}: {problem}")
    return value


def derive_id(key: str, recipient: str) -> str:
    """The id of ``key``'s message to ``recipient`` (``--id KEY`` with several recipients).

    ``KEY-RECIPIENT`` when that fits in 32 bytes; otherwise the first 15 characters of
    ``KEY``, ``-``, and 16 base32 characters (80 bits) of a BLAKE2b hash of the key and the
    recipient — stable across runs, unique in practice, always 32 printable ASCII bytes.
    ``key`` must be a valid id (raises ``UsageError`` otherwise).
    """
    validate_id(key)
    plain = f"{key}-{recipient}"
    if len(plain) <= MAX_ID_BYTES and id_problem(plain) is None:
        return plain
    digest = _blake2b(f"{key}\0{recipient}".encode())
    return f"{key[:15]}-{_encode(int.from_bytes(digest, 'big'), 16)}"


FALLBACK_MARK = "~F"


def fallback_id(parent: str) -> str:
    """The id of the fallback smscli sends itself for message ``parent`` (OneShot has no
    fallback field): ``PARENT~F`` when that fits in 32 bytes, else the first 14 characters
    of ``PARENT``, ``~F`` and 16 base32 characters (80 bits) of a BLAKE2b hash of it. The
    same parent always gives the same id, so a re-run or a report that arrives twice finds
    the fallback already journaled."""
    plain = parent + FALLBACK_MARK
    if len(plain) <= MAX_ID_BYTES:
        return plain
    digest = _blake2b(f"fallback\0{parent}".encode())
    return f"{parent[:14]}{FALLBACK_MARK}{_encode(int.from_bytes(digest, 'big'), 16)}"


def _blake2b(data: bytes) -> bytes:
    """80 bits of BLAKE2b. ``hashlib`` is imported here: it loads OpenSSL (a few ms of
    every command's start-up), and most sends never hash an id."""
    import hashlib

    return hashlib.blake2b(data, digest_size=10).digest()
