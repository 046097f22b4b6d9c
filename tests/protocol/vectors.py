"""The document's 15 readable OneShot example packets (decoded and verified)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTOR_FILE = Path(__file__).parent / "data" / "oneshot-wire-vectors.json"


def load_vectors() -> list[dict[str, Any]]:
    vectors = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))
    for vector in vectors:
        vector["wire"] = b"Content-Length:%d\r\n" % vector["content_length"] + bytes.fromhex(
            vector["compressed_hex"]
        )
        vector["obj"] = json.loads(vector["json"])
    return vectors


VECTORS = load_vectors()
ALL_WIRE = b"".join(v["wire"] for v in VECTORS)
