"""Fuzz targets: Typer's click command is built once per session, not per ``program()``
call (building it is ~0.1 s, most of an example's time); ``program()`` itself, its parsing
and error handling, is what runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer.main


@pytest.fixture(autouse=True, scope="session")
def _typer_command_built_once() -> Iterator[None]:
    original = typer.main.get_command
    built: dict[int, object] = {}

    def get_command(instance: typer.Typer):  # type: ignore[no-untyped-def]
        key = id(instance)
        if key not in built:
            built[key] = (instance, original(instance))
        return built[key][1]  # type: ignore[index]

    typer.main.get_command = get_command  # type: ignore[assignment]
    try:
        yield
    finally:
        typer.main.get_command = original
