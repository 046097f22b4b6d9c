"""The API reference builds (pdoc) and no docstring of a public module names something
that does not exist (scripts/build_api_docs.py)."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import ROOT


def _script():
    spec = importlib.util.spec_from_file_location("build_api_docs", ROOT / "scripts" / "build_api_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_broken_references() -> None:
    script = _script()
    assert script.broken_references() == []
    assert not script.resolves("smscli.NoSuchName", "smscli.client")


def test_reference_builds(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pdoc")
    assert _script().main(["--check"]) == 0
    assert "API reference:" in capsys.readouterr().out


def test_public_names_are_documented() -> None:
    import smscli

    text = (ROOT / "docs" / "LIBRARY.md").read_text(encoding="utf-8")
    missing = [n for n in smscli.__all__ if n != "__version__" and f"`{n}" not in text]
    assert not missing, f"docs/LIBRARY.md does not list {missing}"
    for name in smscli.__all__:
        assert getattr(smscli, name) is not None
