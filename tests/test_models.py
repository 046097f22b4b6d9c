"""The hand-written ``__init__`` of the per-row models keeps to their dataclass fields."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from smscli.models import Message, SendResult


@pytest.mark.parametrize("cls", [Message, SendResult])
def test_init_takes_every_field_with_its_default(cls) -> None:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields, strict=True):
        assert p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        if f.default_factory is not dataclasses.MISSING:  # None stands for a fresh default
            want = None
        else:
            want = inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default
        assert p.default == want, f.name


@pytest.mark.parametrize("cls", [Message, SendResult])
def test_built_as_a_frozen_dataclass_would_be(cls) -> None:
    names = [f.name for f in dataclasses.fields(cls)]
    required = [f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    obj = cls(*[f"v{i}" for i in range(len(names))])
    assert [getattr(obj, n) for n in names] == [f"v{i}" for i in range(len(names))]
    assert vars(obj) == {n: f"v{i}" for i, n in enumerate(names)}
    with pytest.raises(dataclasses.FrozenInstanceError):
        obj.to = "x"  # type: ignore[misc]
    again = dataclasses.replace(obj, to="01099998888")
    assert again.to == "01099998888" and again != obj
    assert dataclasses.replace(again, to=obj.to) == obj
    assert hash(dataclasses.replace(again, to=obj.to)) == hash(obj)
    short = cls(*[f"v{i}" for i in range(len(required))])
    for f in dataclasses.fields(cls)[len(required):]:
        made = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        assert getattr(short, f.name) == made
    with pytest.raises(TypeError):
        cls(*[f"v{i}" for i in range(len(required) - 1)])
