"""``@record``: a dataclass whose methods are shared, not generated per class.

``@dataclass(frozen=True)`` compiles six methods from source text for every class it
decorates (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``,
``__delattr__``), about 0.6 ms a class, and every command imports some twenty of them.
``@record`` keeps what makes a class a dataclass (``dataclasses.fields``, ``replace``,
``asdict``, ``__match_args__``) and gives it those methods as they would be, written once
here; the class writes its own ``__init__`` (usually one ``self.__dict__.update(...)``, which
is also faster per instance), or names ``fields_init`` as its ``__init__`` (or inherits it): one
function for every such class, reading the class's fields on its first use, so a family of
many small records (smscli.protocol.oneshot.messages) costs no compiling at all.
tests/test_records.py holds every record to the dataclass it stands for: the same ``__init__``
signature, equality, hash, repr and frozenness.
"""

from __future__ import annotations

import inspect  # (already imported by dataclasses)
from collections.abc import Callable
from dataclasses import MISSING, FrozenInstanceError, dataclass, fields
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T", bound=type)

RECORDS: list[type] = []  # every class decorated, for tests/test_records.py


@dataclass_transform(frozen_default=True)
def record(cls: T | None = None, *, frozen: bool = True) -> T | Callable[[T], T]:
    """Make ``cls`` a dataclass (``frozen`` as ``@dataclass(frozen=...)``; ``eq`` and
    ``repr`` as by default, a ``__repr__`` or ``__eq__`` of the class's own kept) whose
    ``__init__`` is its own or ``fields_init``."""

    def wrap(cls: T) -> T:
        shared = getattr(cls.__init__, "__code__", None) is fields_init.__code__
        if "__init__" not in cls.__dict__ and not shared:
            raise TypeError(f"@record {cls.__qualname__} needs an __init__ of its own")
        auto_doc = shared and cls.__dict__.get("__doc__") is None
        if auto_doc:  # dataclass would write its text now, from the signature: it is written when read
            cls.__doc__ = "-"
        cls = dataclass(init=False, repr=False, eq=False)(cls)
        if auto_doc:
            cls.__doc__ = _AUTO_DOC  # type: ignore[assignment]
        if shared:
            cls.__signature__ = _FIELDS_SIGNATURE  # type: ignore[attr-defined]
        _add_methods(cls, frozen)
        RECORDS.append(cls)
        return cls

    return wrap if cls is None else wrap(cls)


def _add_methods(cls: type, frozen: bool) -> None:
    all_names = frozenset(f.name for f in fields(cls))
    compared = _values_of([f.name for f in fields(cls) if f.compare])
    hashed = _values_of([f.name for f in fields(cls) if (f.compare if f.hash is None else f.hash)])
    shown = tuple(f.name for f in fields(cls) if f.repr)

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return compared(self) == compared(other)

    def __repr__(self: Any) -> str:
        values = self.__dict__
        inner = ", ".join(f"{name}={values[name]!r}" for name in shown)
        return f"{self.__class__.__qualname__}({inner})"

    if "__eq__" not in cls.__dict__:
        cls.__eq__ = __eq__  # type: ignore[assignment,method-assign]
    if "__repr__" not in cls.__dict__:
        cls.__repr__ = __repr__  # type: ignore[assignment,method-assign]
    if not frozen:
        cls.__hash__ = None  # type: ignore[assignment]  # as a dataclass with eq and not frozen
        return

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in all_names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in all_names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    cls.__hash__ = __hash__  # type: ignore[assignment,method-assign]
    cls.__setattr__ = __setattr__  # type: ignore[assignment,method-assign]
    cls.__delattr__ = __delattr__  # type: ignore[assignment,method-assign]


def _values_of(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of these attributes of an object, as a dataclass compares and hashes it
    (``attrgetter``: C speed, for records compared per message)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def fields_init(self: Any, /, *args: Any, **kwargs: Any) -> None:
    """The ``__init__`` a dataclass would write for ``type(self)``, for any record: its fields
    (those with ``init``) by position in order or by keyword, their defaults (a factory's
    called), and the TypeErrors Python raises for an argument too many, unknown, given twice
    or missing. ``inspect.signature`` of the class is the dataclass's (``_FieldsSignature``)."""
    spec = _SPECS.get(self.__class__) or _init_spec(self.__class__)
    names, template, factories, required = spec
    if args:
        given = dict(zip(names, args, strict=False))  # too many: refused below
        if len(args) > len(names) or (kwargs and not given.keys().isdisjoint(kwargs)):
            raise _init_error(self.__class__, spec, args, kwargs)
        if kwargs:
            given.update(kwargs)
    else:
        given = kwargs
    if not given.keys() <= template.keys() or (required and not given.keys() >= required):
        raise _init_error(self.__class__, spec, args, kwargs)
    state = self.__dict__
    state.update(template)  # every field in order (a factory's and a required one's held by None)
    state.update(given)
    for name, factory in factories:
        if name not in given:
            state[name] = factory()


_Spec = tuple[tuple[str, ...], dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...], frozenset[str]]
_SPECS: dict[type, _Spec] = {}


def _init_spec(cls: type) -> _Spec:
    """What ``fields_init`` needs of ``cls``: the names taken by position, a template of
    every field set in ``__init__``, the factories, the names without a default."""
    if hasattr(cls, "__post_init__") or any(f.kw_only for f in fields(cls)):
        raise TypeError(f"fields_init: {cls.__qualname__} has __post_init__ or kw_only fields")
    names: list[str] = []
    template: dict[str, Any] = {}
    factories: list[tuple[str, Callable[[], Any]]] = []
    required: list[str] = []
    for f in fields(cls):
        if f.init:
            names.append(f.name)
        if f.default is not MISSING:
            template[f.name] = f.default
        elif f.default_factory is not MISSING:
            template[f.name] = None
            factories.append((f.name, f.default_factory))
        elif f.init:
            template[f.name] = None
            required.append(f.name)
    init_only = [name for name in template if name not in names]  # init=False: set, not taken
    if init_only:
        raise TypeError(f"fields_init: {cls.__qualname__} has init=False fields")
    spec = _SPECS[cls] = (tuple(names), template, tuple(factories), frozenset(required))
    return spec


def _init_error(cls: type, spec: _Spec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> TypeError:
    """The TypeError a dataclass's ``__init__`` raises for these arguments (the checks in
    CPython's order: each keyword, then the number of positional ones, then what is missing)."""
    names, _template, factories, required = spec
    where = f"{cls.__qualname__}.__init__()"
    for name in kwargs:
        if name == "self" or name in names[: len(args)]:
            return TypeError(f"{where} got multiple values for argument {name!r}")
        if name not in names:
            return TypeError(f"{where} got an unexpected keyword argument {name!r}")
    if len(args) > len(names):
        least, most = len(required) + 1, len(names) + 1
        takes = f"from {least} to {most} positional arguments" if least < most else (
            f"{most} positional argument{'s' if most > 1 else ''}")
        return TypeError(f"{where} takes {takes} but {len(args) + 1} were given")
    given = {*names[: len(args)], *kwargs}
    missing = [repr(name) for name in names if name in required and name not in given]
    listed = missing[0] if len(missing) == 1 else (
        f"{missing[0]} and {missing[1]}" if len(missing) == 2 else f"{', '.join(missing[:-1])}, and {missing[-1]}")
    return TypeError(f"{where} missing {len(missing)} required positional argument"
                     f"{'s' if len(missing) > 1 else ''}: {listed}")


class _Factory:
    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()  # a factory's default in a signature, shown as a dataclass shows it


class _FieldsSignature:
    """``__signature__`` of a ``fields_init`` class, made when asked for (``inspect.signature``
    reads it): the dataclass's, less ``self``. None for a class whose ``__init__`` is another."""

    def __get__(self, obj: Any, cls: type) -> inspect.Signature | None:
        if getattr(cls.__init__, "__code__", None) is not fields_init.__code__:
            return None
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        params = [inspect.Parameter(f.name, kind, annotation=f.type, default=(
            f.default if f.default is not MISSING else _FACTORY if f.default_factory is not MISSING
            else inspect.Parameter.empty)) for f in fields(cls) if f.init]
        return inspect.Signature(params, return_annotation=None)


class _AutoDoc:
    """The ``__doc__`` a dataclass gives a class without one, ``Name(signature)``, made when read."""

    def __get__(self, obj: Any, cls: type) -> str:
        return cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")


_FIELDS_SIGNATURE = _FieldsSignature()
_AUTO_DOC = _AutoDoc()
