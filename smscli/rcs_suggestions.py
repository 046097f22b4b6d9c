"""RCS suggestions (buttons) as Daou's public API v3 document defines them (section 6.2,
RCS ``button`` → ``suggestions`` → ``action``): opening a URL, dialling, a map, sharing the
current location, copying, composing a message and a calendar event.

A :class:`~smscli.content.Button` carries one suggestion in flat fields (``type`` ``WL``,
``dial``, ``map``, ``location``, ``copy``, ``compose`` or ``calendar``); a buttons file may
give them so, or as the document's own objects (``{"suggestions": [{"action": ...}]}`` or
``{"action": ...}``), which :func:`from_document` reads. :func:`action` renders one for the
vendors (Bizppurio ``content.rcs.button``, OneShot ``rcsButton``) and :func:`problem` says
what is wrong with one. The simulators read them back with :func:`parse_cards`.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from smscli.content import Button

# Our type → the document's action key and its inner object's key.
ACTIONS: dict[str, tuple[str, str]] = {
    "WL": ("urlAction", "openUrl"),
    "dial": ("dialerAction", "dialPhoneNumber"),
    "map": ("mapAction", "showLocation"),
    "location": ("mapAction", "requestLocationPush"),
    "copy": ("clipboardAction", "copyToClipboard"),
    "compose": ("composeAction", "composeTextMessage"),
    "calendar": ("calendarAction", "createCalendarEvent"),
}
TYPES = frozenset(ACTIONS)
# Our field → the document's key, per type (in the document's order).
KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "WL": (("url_mobile", "url"),),
    "dial": (("phone_number", "phoneNumber"),),
    "copy": (("text", "text"),),
    "compose": (("phone_number", "phoneNumber"), ("text", "text")),
    "calendar": (("start_time", "startTime"), ("end_time", "endTime"), ("title", "title"),
                 ("description", "description")),
    "location": (),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "WL": ("url_mobile",), "dial": ("phone_number",), "map": ("latitude", "longitude"),
    "location": (), "copy": ("text",), "compose": ("phone_number", "text"),
    "calendar": ("start_time", "end_time", "title"),
}
# Suggestions per card by message base (the document's common formats); other bases
# (templates registered at the RCS Biz Center) are held to the Kakao-like 5.
BASE_LIMITS = {"SS000000": 1, "SL000000": 3, "SMwThT00": 2, "SMwThM00": 2}
DEFAULT_LIMIT = 5


def limit_for(base: str) -> int:
    """How many suggestions a card of message base ``base`` takes."""
    if base in BASE_LIMITS:
        return BASE_LIMITS[base]
    return 2 if base.startswith("CMw") else DEFAULT_LIMIT


def is_document_form(obj: Any) -> bool:
    """Whether a buttons-file entry is written as the document's objects."""
    return isinstance(obj, dict) and ("suggestions" in obj or "action" in obj)


def from_document(entries: list[Any], where: str) -> list[Button]:
    """Buttons from the document's objects: cards of ``suggestions`` (only one card: a
    carousel is not sent) or bare ``{"action": ...}`` suggestions. ValueError naming the
    problem."""
    cards = [e for e in entries if isinstance(e, dict) and "suggestions" in e]
    if len(cards) > 1:
        raise ValueError(f"{where}: {len(cards)} cards of suggestions; smscli sends one card "
                         "(a carousel is not supported)")
    out: list[Button] = []
    for entry in entries:
        items = entry.get("suggestions") if isinstance(entry, dict) and "suggestions" in entry else [entry]
        if not isinstance(items, list):
            raise ValueError(f"{where}: suggestions must be a list")
        for item in items:
            out.append(_from_action(item, where))
    return out


def _from_action(item: Any, where: str) -> Button:
    action = item.get("action") if isinstance(item, dict) else None
    if not isinstance(action, dict):
        raise ValueError(f"{where}: a suggestion needs an action object")
    name = str(action.get("displayText") or "")
    url = action.get("urlAction")
    if isinstance(url, dict) and isinstance(url.get("mapAction"), dict):
        # Daou's own JavaScript client writes "share the location" inside urlAction; read
        # it as the document's mapAction (and write it so)
        action = {**action, "mapAction": url["mapAction"]}
        del action["urlAction"]
    for kind, (outer, inner) in ACTIONS.items():
        body = action.get(outer)
        if not isinstance(body, dict) or inner not in body:
            continue
        obj = body[inner] if isinstance(body[inner], dict) else {}
        values = {ours: str(obj.get(theirs, "")) for ours, theirs in KEYS.get(kind, ())}
        if kind == "map":
            loc = obj.get("location") if isinstance(obj.get("location"), dict) else {}
            values = {"latitude": _str(loc.get("latitude")), "longitude": _str(loc.get("longitude")),
                      "label": _str(loc.get("label")), "fallback_url": _str(obj.get("fallbackUrl"))}
        return Button(name=name, type=kind, **{k: v for k, v in values.items() if v})
    known = ", ".join(sorted({f"{o}.{i}" for o, i in ACTIONS.values()}))
    raise ValueError(f"{where}: suggestion {name!r} has no action smscli knows (known: {known})")


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def action(button: Button) -> dict[str, Any]:
    """One suggestion as the document writes it: ``{"action": {<x>Action: ..., "displayText"}}``."""
    outer, inner = ACTIONS[button.type]
    if button.type == "map":
        location: dict[str, Any] = {"latitude": float(button.latitude), "longitude": float(button.longitude)}
        if button.label:
            location["label"] = button.label
        obj: dict[str, Any] = {"location": location}
        if button.fallback_url:
            obj["fallbackUrl"] = button.fallback_url
    else:
        obj = {theirs: getattr(button, ours) for ours, theirs in KEYS[button.type] if getattr(button, ours)}
    return {"action": {outer: {inner: obj}, "displayText": button.name}}


def card(buttons: tuple[Button, ...] | list[Button]) -> list[dict[str, Any]]:
    """The ``button`` array of one card (``[]`` for none)."""
    if not buttons:
        return []
    return [{"suggestions": [action(b) for b in buttons]}]


def problem(button: Button, *, filled: bool = True) -> str | None:
    """What is wrong with one suggestion (``filled`` false: its fields may still hold
    ``{column}`` variables, so only presence is checked), or None."""
    if button.type not in TYPES:
        return None  # the caller names the unknown type
    missing = [f for f in REQUIRED[button.type] if not getattr(button, f).strip()]
    if missing:
        return f"({button.type}) needs {' and '.join(missing)}"
    if not filled:
        return None
    if button.type == "map":
        for name, bound in (("latitude", 90.0), ("longitude", 180.0)):
            try:
                value = float(getattr(button, name))
            except ValueError:
                return f"(map) {name} {getattr(button, name)!r} is not a number"
            if not math.isfinite(value) or abs(value) > bound:
                return f"(map) {name} {value:g} is outside -{bound:g}..{bound:g}"
    if button.type == "calendar":
        try:
            start = datetime.fromisoformat(button.start_time)
            end = datetime.fromisoformat(button.end_time)
        except ValueError:
            return "(calendar) start_time and end_time must be ISO 8601 with an offset, e.g. 2026-03-16T17:40:00+09:00"
        if start.tzinfo is None or end.tzinfo is None:
            return "(calendar) start_time and end_time need their offset, e.g. +09:00"
        if end <= start:
            return "(calendar) end_time must come after start_time"
    return None


def cards_of(base: str) -> int:
    """How many cards message base ``base`` has (a carousel ``CMw..0N00``: N; else 1)."""
    if base.startswith("CMw") and base[-4:-2].isdigit():
        return int(base[-4:-2])
    return 1


def parse_cards(raw: Any) -> list[list[Button]] | str:
    """The suggestions per card of a vendor's ``button`` value (a list of cards, ``{}``
    for a card without any, as Daou's own client writes a carousel), or why it cannot be
    read (the simulators' check)."""
    if raw in (None, "", []):
        return []
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        return "button must be a list of cards"
    cards: list[list[Button]] = []
    for number, entry in enumerate(raw, start=1):
        try:
            buttons = from_document([entry], f"card {number}") if entry else []
        except ValueError as exc:
            return str(exc)
        for n, b in enumerate(buttons, start=1):
            wrong = "has no displayText" if not b.name else problem(b)
            if wrong:
                return f"card {number} suggestion {n} {wrong}"
        cards.append(buttons)
    return cards


def parse_card(raw: Any) -> list[Button] | str:
    """The suggestions of a ``button`` value that must be one card (OneShot ``rcsButton``,
    which smscli writes so), or why not."""
    cards = parse_cards(raw)
    if isinstance(cards, str):
        return cards
    if len(cards) > 1:
        return f"{len(cards)} cards of suggestions; a standalone message has one"
    return cards[0] if cards else []
