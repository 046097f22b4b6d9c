"""``@record``: a dataclass whose methods are shared, not generated per class.

``@dataclass(frozen=True)`` compiles six methods from source text for every class it
decorates (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``,
``__delattr__``), about 0.6 ms a class, and every command imports some twenty of them.
``@record`` keeps what makes a class a dataclass (``dataclasses.fields``, ``replace``,
``asdict``, ``__match_args__``) and gives it those methods as they would be, written once
here; the class writes its own ``__init__`` (usually one ``self.__dict__.update(...)``, which
is also faster per instance). tests/test_records.py holds every record to the dataclass it
stands for: the same ``__init__`` signature, equality, hash, repr and frozenness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass, fields
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T", bound=type)

RECORDS: list[type] = []  # every class decorated, for tests/test_records.py


@dataclass_transform(frozen_default=True)
def record(cls: T | None = None, *, frozen: bool = True) -> T | Callable[[T], T]:
    """Make ``cls`` a dataclass (``frozen`` as ``@dataclass(frozen=...)``; ``eq`` and
    ``repr`` as by default) whose ``__init__`` is its own."""

    def wrap(cls: T) -> T:
        if "__init__" not in cls.__dict__:
            raise TypeError(f"@record {cls.__qualname__} needs an __init__ of its own")
        cls = dataclass(init=False, repr=False, eq=False)(cls)
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

    cls.__eq__ = __eq__  # type: ignore[assignment,method-assign]
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
