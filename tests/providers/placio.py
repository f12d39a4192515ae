"""Placio's facts for the shared suites (see tests/providers/__init__.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import clientbridge as cb

MINIMAL = cb.Client(name="Grace Hopper", email="grace@example.com")
SETTINGS: Mapping[str, Any] = {"workspace_id": "ws_1", "base_url": "https://placio.example"}
SANDBOX_EXTRA: Mapping[str, Any] = {}
CREATED: Mapping[str, Any] = {
    "client": {
        "id": "c1",
        "name": "Ada Lovelace",
        "contactMethods": [{"type": "email", "value": "ada@example.com", "isPreferred": True}],
    }
}
CASSETTE_CREDENTIAL = "cassette-placio-token-93d0aa"
SANDBOX_IDS = (
    "65a5022049012faa7ee2632f",
    "65a5022049012faa7ee26330",
    "65a5022049012faa7ee26331",
    "65a5022049012faa7ee26332",
)


def record_email(record: Mapping[str, Any]) -> str:
    return str(next(m["value"] for m in record["contactMethods"] if m["type"] == "email"))
