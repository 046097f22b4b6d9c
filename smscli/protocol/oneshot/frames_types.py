"""OneShot frame limits and damage reasons, the ``Limits`` bounds and the decoded items.

``Frame`` (a decoded frame) and ``Damaged`` (stream bytes that are not one), and
``size_text`` for the sizes the reasons name. See ``frames`` for what the bounds mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PREFIX = b"Content-Length:"
MAX_FRAME = 4 * 1024 * 1024  # largest Content-Length accepted (compressed bytes)
MAX_DECOMPRESSED = 4 * 1024 * 1024  # largest JSON text a frame may inflate to
MAX_DEPTH = 64  # deepest JSON nesting parsed (the document's frames nest 2 deep)
MAX_VALUES = 200_000  # most JSON values and keys parsed (a frame holds a few dozen)
INFLATE_STEP = 16 * 1024  # most payload bytes inflated at a time (steps double up to it)
RESYNC_SLACK = 1024 * 1024  # bytes that may be inflated again beyond the stream so far
ZLIB_STATE = 40 * 1024  # what one zlib inflater holds (its 32 KiB window and state)

# Reasons carried by Damaged (each followed by ": detail" or a size where there is one).
NO_HEADER = "no frame header"
BAD_HEADER = "bad frame header"
TOO_LARGE = "frame too large"
TRUNCATED = "truncated"
ZLIB_ERROR = "zlib error"
TOO_BIG_INFLATED = "body inflates past"
TOO_DEEP = "JSON nested deeper than"
TOO_MANY = "JSON holds more than"
RESYNC_LIMIT = "not inflated again"
NOT_UTF8 = "not UTF-8"
NOT_JSON = "not JSON"
NOT_OBJECT = "JSON is not an object"
NO_METHOD = "missing Header.Method"
BAD_BODY = "bad Body"


@dataclass(frozen=True, slots=True)
class Limits:
    """What one frame may take, and the resync limit: see the docstring of ``frames``."""

    max_frame: int = MAX_FRAME
    max_decompressed: int = MAX_DECOMPRESSED
    max_depth: int = MAX_DEPTH
    max_values: int = MAX_VALUES
    resync_slack: int = RESYNC_SLACK
    inflate_step: int = INFLATE_STEP

    def __post_init__(self) -> None:
        for name in ("max_frame", "max_decompressed", "max_depth", "max_values", "inflate_step"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{name} must be a whole number of at least 1, not {value!r}")
        if not isinstance(self.resync_slack, int) or self.resync_slack < 0:
            raise ValueError(f"Limits.resync_slack must be a whole number of at least 0, not {self.resync_slack!r}")


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame.

    ``offset``: stream offset of the ``C`` of ``Content-Length``; ``length``: the
    Content-Length (compressed bytes); ``payload``: the decompressed JSON text (UTF-8);
    ``body``: dict, str (an encrypted body) or None (no Body).
    """

    offset: int
    length: int
    method: str
    header: dict[str, Any]
    body: dict[str, Any] | str | None
    payload: bytes


@dataclass(frozen=True, slots=True)
class Damaged:
    """``length`` stream bytes from ``offset`` that are not a decodable frame."""

    offset: int
    length: int
    reason: str


def size_text(n: int) -> str:
    """``4 MiB``, ``16 KiB`` or ``1000 bytes``."""
    for unit, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= unit and not n % unit:
            return f"{n // unit} {name}"
    return f"{n} bytes"
