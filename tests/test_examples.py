"""docs/examples/fastapi_app.py runs: sign-up sends through the Bizppurio simulator, a
second sign-up is a duplicate, the message can be looked up."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import ROOT


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_fastapi_example(smscli_bizppurio_sim) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    spec = importlib.util.spec_from_file_location("fastapi_app", ROOT / "docs" / "examples" / "fastapi_app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with TestClient(module.app) as http:
        first = http.post("/signup/010-1234-5678")
        assert first.status_code == 200, first.text
        assert first.json() == {"message_id": "signup-010-1234-5678", "status": "accepted"}
        assert http.post("/signup/010-1234-5678").json()["status"] == "duplicate"
        assert http.post("/signup/12").status_code == 422
        looked = http.get("/messages/signup-010-1234-5678")
        assert looked.status_code == 200 and looked.json()["status"] == "accepted"
        assert http.get("/messages/nope").status_code == 404
    assert [a.to for a in smscli_bizppurio_sim.accepted] == ["01012345678"]
