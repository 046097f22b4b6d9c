"""OneShot payload JSON: the bounded shape scan, strict object parsing, text to ``Frame``.

``json_shape_error`` refuses JSON nested too deep or holding too many values (a cheap
byte scan, linear whatever the text) before it is parsed by the C scanner.
"""

from __future__ import annotations

import gc
import json
import json.scanner
import re
from itertools import accumulate
from typing import Any

from smscli.protocol.oneshot.errors import OneShotError
from smscli.protocol.oneshot.frames_types import (
    BAD_BODY,
    DEFAULT_LIMITS,
    MAX_DEPTH,
    MAX_VALUES,
    NO_METHOD,
    NOT_JSON,
    NOT_OBJECT,
    NOT_UTF8,
    TOO_DEEP,
    TOO_MANY,
    Frame,
    Limits,
)

# A JSON string, or an unterminated one running to the end (so the scan stays linear).
_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.DOTALL)
_OTHER_THAN_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SQUARE = bytes.maketrans(b"{}", b"[]")


def json_shape_error(
    text: bytes, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES
) -> str | None:
    """Why ``text`` is not parsed (nested deeper than ``max_depth``, more than
    ``max_values`` values and keys), or None. A few byte counts for the usual text;
    strings are set aside (a linear regex) only when the counts exceed a bound."""
    opens = text.count(b"[") + text.count(b"{")
    bare = b""
    if opens > max_depth:
        bare = _STRING.sub(b'""', text)
        if _depth_over(bare.translate(_SQUARE, _OTHER_THAN_BRACKETS), max_depth):
            return f"{TOO_DEEP} {max_depth}"
    # Values and keys: 1 + commas + colons + non-empty containers (strings set aside).
    if 1 + opens + text.count(b",") + text.count(b":") > max_values:
        bare = bare or _STRING.sub(b'""', text)
        count = 1 + sum(bare.count(c) for c in (b"[", b"{", b",", b":"))
        if count - bare.count(b"[]") - bare.count(b"{}") > max_values:
            return f"{TOO_MANY} {max_values} values and keys"
    return None


def _depth_over(brackets: bytes, max_depth: int) -> bool:
    """Whether ``[``/``]`` text opens more than ``max_depth`` levels at some point (the
    running sum of its brackets: exact for any text, balanced or not, and linear)."""
    signed = memoryview(brackets.translate(_SIGNED)).cast("b")
    return max(accumulate(signed, initial=0)) > max_depth


_SIGNED = bytes.maketrans(b"[]", b"\x01\xff")  # +1 and -1 as signed bytes

MANY_CONTAINERS = 1000  # arrays and objects past which parsing pauses the cyclic GC
_scan_once = json.scanner.make_scanner(json.JSONDecoder())  # the C scanner, without loads' layers


def parse_json_object(
    text: bytes, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES
) -> dict[str, Any]:
    """Strict UTF-8 JSON text that must be an object (within the shape bounds)."""
    shape = json_shape_error(text, max_depth, max_values)
    if shape:
        raise OneShotError(shape)
    return _parse_object(text)


def _parse_object(text: bytes) -> dict[str, Any]:
    try:
        string = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OneShotError(f"{NOT_UTF8}: byte {exc.start}") from None
    try:
        obj, end = _scan_once(string, 0)
        if end != len(string):
            raise StopIteration
    except (StopIteration, IndexError):
        obj = _loads(string)  # blanks around the text, or a precise error message
    except RecursionError:
        raise OneShotError(f"{NOT_JSON}: nested too deeply") from None
    except ValueError as exc:
        raise OneShotError(f"{NOT_JSON}: {exc}") from None
    if not isinstance(obj, dict):
        raise OneShotError(f"{NOT_OBJECT}: {type(obj).__name__}")
    return obj


def _loads(string: str) -> Any:
    try:
        return json.loads(string)
    except RecursionError:
        raise OneShotError(f"{NOT_JSON}: nested too deeply") from None
    except ValueError as exc:
        raise OneShotError(f"{NOT_JSON}: {exc}") from None


def frame_from_text(offset: int, length: int, text: bytes, limits: Limits = DEFAULT_LIMITS) -> Frame:
    """The Frame whose inflated payload is ``text``; raises OneShotError with the reason."""
    opens = text.count(b"[") + text.count(b"{")
    if len(text) >= limits.max_values or opens > limits.max_depth:
        shape = json_shape_error(text, limits.max_depth, limits.max_values)
        if shape:
            raise OneShotError(shape)
    paused = opens > MANY_CONTAINERS and gc.isenabled()
    if paused:  # JSON makes no cycles: collecting while it builds thousands of lists is waste
        gc.disable()
    try:
        string = text.decode("utf-8")
        obj, end = _scan_once(string, 0)
        if end != len(string) or not isinstance(obj, dict):
            raise ValueError
    except (ValueError, StopIteration, IndexError, RecursionError):
        obj = _parse_object(text)  # raises with the reason (or accepts blanks around)
    finally:
        if paused:
            gc.enable()
    header = obj.get("Header")
    method = header.get("Method") if isinstance(header, dict) else None
    if not isinstance(method, str) or not method:
        raise OneShotError(NO_METHOD)
    body = obj.get("Body")
    if not (body is None or isinstance(body, dict | str)):
        raise OneShotError(f"{BAD_BODY}: {type(body).__name__}")
    return Frame(offset, length, method, header, body, text)
