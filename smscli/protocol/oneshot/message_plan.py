"""How a OneShot message class is written to its JSON body and read back: per class, a
plan made once on first use (its fields' keys, kinds and defaults, in the document's
order) that :class:`smscli.protocol.oneshot.messages.OneShotMessage` reads per message.
An instance made by ``OneShotMessage.of`` keeps the names it was given (:data:`GIVEN`),
so its body is written from those alone (:func:`sparse_body`, :func:`sparse_json`)."""

from __future__ import annotations

import json.encoder
from collections.abc import Callable
from dataclasses import fields
from functools import cache
from operator import itemgetter
from typing import Any

from smscli.fastjson import compact
from smscli.protocol.oneshot.errors import OneShotError

GIVEN = "_given"  # in an ``of`` instance's __dict__: the names it was given (not a field)


def sparse_body(plan: Plan, values: dict[str, Any], given: tuple[str, ...]) -> dict[str, Any] | None:
    """``to_body``'s fields for an instance made by ``of``: the head's defaults with the
    given head fields written over them (key order is the head's); None when a given
    optional field is set (then the fields are read in order)."""
    body = plan.head_defaults.copy()
    head = plan.head_key_of
    for name in given:
        key = head.get(name)
        if key is not None:
            body[key] = values[name]
        elif name in plan.tail_default_of and values[name] != plan.tail_default_of[name]:
            return None
    return body


ENCODE = compact()  # json.dumps(separators=(",", ":"), ensure_ascii=False), one C call
_STR = json.encoder.encode_basestring  # a str as JSON, non-ASCII kept (C)


def _value_json(value: Any) -> str:
    """``value`` as the encoder writes it inside an object."""
    kind = type(value)
    if kind is str:
        return _STR(value)
    if kind is int:
        return int.__repr__(value)
    return ENCODE(value)


def sparse_json(plan: Plan, values: dict[str, Any], given: tuple[str, ...]) -> str:
    """``body_json`` of an instance made by ``of`` (and no ``extra``): the head's default
    text with the given head fields written over it, then the given tail fields that are
    not default, in the class's order."""
    parts = plan.head_json.copy()
    head = plan.head_of
    tail = plan.tail_default_of
    later: list[str] | None = None
    for name in given:
        place = head.get(name)
        if place is not None:
            value = values[name]
            parts[place[0]] = place[1] + (_STR(value) if value.__class__ is str else _value_json(value))
        elif name in tail and values[name] != tail[name]:
            if later is None:
                later = []
            later.append(name)
    if later is not None:
        later.sort(key=plan.tail_index_of.__getitem__)
        key_json = plan.key_json_of
        parts += [key_json[name] + _value_json(values[name]) for name in later]
    return "{" + ",".join(parts) + "}"


@cache
def layout_of(cls: type) -> tuple[tuple[str, str, type, bool, Any], ...]:
    return tuple(
        (f.name, f.metadata["key"], f.metadata["type"], f.metadata["optional"], f.default)
        for f in fields(cls)
        if "key" in f.metadata
    )


@cache
def defaults_of(cls: type) -> dict[str, Any]:
    return {name: default for name, _key, _kind, _optional, default in layout_of(cls)}


class Plan:
    """How ``to_body`` writes a class: the fields before the first optional one are
    always written (one ``zip``); from there on, optional ones only when not default.
    (A plain class: one per message class, made on its first use, read per message.)"""

    __slots__ = ("head_keys", "head_values", "tail_keys", "tail_values", "tail_defaults", "head_defaults",
                 "head_key_of", "tail_default_of", "sparse", "keys", "names", "kinds", "body_values",
                 "head_json", "head_of", "tail_index_of", "key_json_of")

    head_keys: tuple[str, ...]
    head_values: Callable[[dict[str, Any]], Any]  # instance __dict__ -> the head's values
    tail_keys: tuple[str, ...]
    tail_values: Callable[[dict[str, Any]], Any]  # instance __dict__ -> the tail's values
    tail_defaults: tuple[Any, ...]  # a sentinel for a required field (always written)
    head_defaults: dict[str, Any]  # key -> default, the head's keys in order
    head_key_of: dict[str, str]  # field name -> key, for the head
    tail_default_of: dict[str, Any]  # field name -> default, for the tail
    sparse: bool  # every field of the tail is optional: ``of`` instances write sparsely
    keys: frozenset[str]
    names: tuple[str, ...]  # every field, in order, and for reading a body:
    kinds: tuple[type, ...]  # its type
    body_values: Callable[[dict[str, Any]], Any]  # body -> every field's value
    # For ``body_json``:
    head_json: list[str]  # the head's fields with their defaults, each as '"Key":value'
    head_of: dict[str, tuple[int, str]]  # field name -> its place in the head, '"Key":'
    tail_index_of: dict[str, int]  # field name -> its place in the tail
    key_json_of: dict[str, str]  # field name -> '"Key":'

    def __init__(self, *values: Any) -> None:  # each attribute's, in the order above
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)


_ALWAYS = object()  # compares unequal to every value: a required field in the tail


@cache
def plan_of(cls: type) -> Plan:
    layout = layout_of(cls)
    cut = next((i for i, f in enumerate(layout) if f[3]), len(layout))
    return Plan(
        tuple(f[1] for f in layout[:cut]),
        _getter(tuple(f[0] for f in layout[:cut])),
        tuple(f[1] for f in layout[cut:]),
        _getter(tuple(f[0] for f in layout[cut:])),
        tuple(default if optional else _ALWAYS for _name, _key, _kind, optional, default in layout[cut:]),
        {key: default for _name, key, _kind, _optional, default in layout[:cut]},
        {name: key for name, key, _kind, _optional, _default in layout[:cut]},
        {name: default for name, _key, _kind, _optional, default in layout[cut:]},
        all(optional for _name, _key, _kind, optional, _default in layout[cut:]),
        frozenset(f[1] for f in layout),
        tuple(f[0] for f in layout),
        tuple(f[2] for f in layout),
        _getter(tuple(f[1] for f in layout)),
        [_STR(key) + ":" + _value_json(default) for _name, key, _kind, _optional, default in layout[:cut]],
        {name: (i, _STR(key) + ":") for i, (name, key, _kind, _optional, _default) in enumerate(layout[:cut])},
        {f[0]: i for i, f in enumerate(layout[cut:])},
        {name: _STR(key) + ":" for name, key, _kind, _optional, _default in layout},
    )


def _getter(keys: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A mapping's values at ``keys`` as a tuple, for any number of keys."""
    if not keys:
        return lambda mapping: ()
    get = itemgetter(*keys)
    if len(keys) == 1:
        return lambda mapping: (get(mapping),)
    return get


def coerce(method: str, key: str, value: Any, kind: type) -> Any:
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 20:
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise OneShotError(f"{method}.{key} must be a number, not {value!r:.40}")
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise OneShotError(f"{method}.{key} must be text, not {type(value).__name__}")
