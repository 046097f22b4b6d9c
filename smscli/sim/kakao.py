"""What the simulators know of Kakao: the approved templates, the sender (profile) key and
the recipients who are not on Kakao. Each simulator answers a :class:`Refusal` with its
vendor's own code (OneShot 22–38, Daou's AlimTalk codes) and a miss with the Kakao failure
code, then falls back the way its vendor does."""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from smscli.content import Button

_PLACEHOLDER = re.compile(r"#\{[^{}]*\}")
_PHONE = re.compile(r"\d+(?:[- ]+\d+)*")  # --kakao-miss: 010-1234-5678, 010 1234 5678


class Refusal(Enum):
    """Why a Kakao message is refused before it is sent (each vendor has a code for it)."""

    SENDER_KEY = "unknown sender key"
    TEMPLATE = "unknown template"
    TEXT = "text does not match the template"
    BUTTONS = "buttons do not match the template"


@functools.lru_cache(maxsize=1024)  # asked per message and button: build each once
def pattern(approved: str) -> re.Pattern[str]:
    """The texts an approved template allows: its words as written, each ``#{...}`` any
    text (also empty, and across lines)."""
    parts = _PLACEHOLDER.split(approved)
    return re.compile("(?s)" + "(.*?)".join(re.escape(p) for p in parts))


@dataclass(frozen=True)
class Template:
    """An approved AlimTalk template: its code, text and, when given, its buttons."""

    code: str
    text: str
    buttons: tuple[Button, ...] | None = None  # None: buttons are not checked
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    # Per approved button: its name, type, and a pattern for each other field it sets.
    _checks: tuple[tuple[str, str, tuple[tuple[str, re.Pattern[str]], ...]], ...] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pattern", pattern(self.text))
        object.__setattr__(self, "_checks", tuple(
            (b.name, b.type, tuple((key, pattern(value)) for key, value in b.to_json().items()
                                   if key not in ("name", "type")))
            for b in self.buttons or ()))

    def matches(self, text: str) -> bool:
        return self._pattern.fullmatch(text) is not None

    def buttons_match(self, buttons: Sequence[Button]) -> bool:
        """The same buttons in the same order: names and types as approved, URLs as the
        approved ones with their ``#{...}`` filled."""
        if self.buttons is None:
            return True
        if len(buttons) != len(self._checks):
            return False
        for (name, kind, fields), got in zip(self._checks, buttons, strict=True):
            if (name, kind) != (got.name, got.type):
                return False
            for key, allowed in fields:
                if not allowed.fullmatch(getattr(got, key)):
                    return False
        return True

    @classmethod
    def load(cls, spec: str) -> Template:
        """``CODE=FILE``: FILE is the approved text (UTF-8), or a JSON object
        ``{"text": ..., "buttons": [...]}`` (``buttons`` may also be ``{"button": [...]}``):
        JSON when its name ends in ``.json`` or its text starts with ``{``. ValueError when
        the JSON is broken or not such an object, or the text is empty."""
        code, sep, path = spec.partition("=")
        if not sep or not code or not path:
            raise ValueError(f"--kakao-template takes CODE=FILE, not {spec!r}")
        try:
            raw = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read template file {path}: {exc}") from exc
        if not path.lower().endswith(".json") and not raw.lstrip().startswith("{"):
            if not raw.strip():
                raise ValueError(f"template file {path} is empty (an approved template has text)")
            return cls(code=code, text=raw.rstrip("\r\n"))
        try:
            obj: Any = json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"template file {path} is not valid JSON: {exc}") from exc
        if not isinstance(obj, dict):
            raise ValueError(f'template file {path} must hold a JSON object {{"text": ...}}, '
                             f"not {type(obj).__name__}")
        text = obj.get("text")
        if not isinstance(text, str) or not text.strip():
            what = "missing" if text is None else "empty" if isinstance(text, str) else type(text).__name__
            raise ValueError(f'template file {path}: "text" must be the approved text (a string), not {what}')
        buttons = obj.get("buttons")
        if isinstance(buttons, dict):
            buttons = buttons.get("button")
        if buttons is not None and not (isinstance(buttons, list)
                                        and all(isinstance(b, dict) for b in buttons)):
            raise ValueError(f"template file {path}: buttons must be a list of objects")
        return cls(code=code, text=text,
                   buttons=None if buttons is None else tuple(Button.from_json(b) for b in buttons))


class KakaoRules:
    """The simulators' Kakao world. With no templates registered every template code is
    accepted as approved for any text; with no sender key any key is accepted."""

    def __init__(self, templates: Iterable[Template] = (), *, sender_key: str | None = None,
                 miss_rate: float = 0.0, misses: Iterable[str] = (), seed: int | None = None) -> None:
        if not 0.0 <= miss_rate <= 1.0:
            raise ValueError(f"--kakao-miss-rate must be between 0 and 1, not {miss_rate}")
        self.templates = {t.code: t for t in templates}
        self.sender_key = sender_key or None
        self.miss_rate = miss_rate
        self.misses = frozenset(_digits(n) for n in misses)
        self._random = random.Random(seed)

    @classmethod
    def from_options(cls, templates: Sequence[str] | None, *, sender_key: str | None = None,
                     miss_rate: float = 0.0, misses: Sequence[str] | None = None,
                     seed: int | None = None) -> KakaoRules:
        """From the simulators' ``--kakao-*`` options (ValueError on a bad one: each
        ``--kakao-miss`` a phone number, digits with optional hyphens or spaces)."""
        for number in misses or ():
            if not _PHONE.fullmatch(number.strip()):
                raise ValueError(f"--kakao-miss takes a phone number (e.g. 010-1234-5678), not {number!r}")
        return cls((Template.load(s) for s in templates or ()), sender_key=sender_key,
                   miss_rate=miss_rate, misses=misses or (), seed=seed)

    def refusal(self, *, sender_key: str, template: str = "", text: str = "",
                buttons: Sequence[Button] = (), alimtalk: bool = True) -> Refusal | None:
        """Why this message is refused, or None. FriendTalk (``alimtalk`` false) has no
        template: only its sender key is checked."""
        if self.sender_key is not None and sender_key != self.sender_key:
            return Refusal.SENDER_KEY
        if not alimtalk or not self.templates:
            return None
        approved = self.templates.get(template)
        if approved is None:
            return Refusal.TEMPLATE
        if not approved.matches(text):
            return Refusal.TEXT
        if not approved.buttons_match(buttons):
            return Refusal.BUTTONS
        return None

    def missed(self, to: str) -> bool:
        """Whether ``to`` does not get it on Kakao (not a Kakao user, or the draw says so)."""
        if self.misses and _digits(to) in self.misses:
            return True
        return self.miss_rate > 0 and self._random.random() < self.miss_rate


def _digits(number: str) -> str:
    return "".join(c for c in number if c.isdigit())
