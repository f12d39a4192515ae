"""RoostedHR's facts for the shared suites (see tests/providers/__init__.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import clientbridge as cb

MINIMAL = cb.Client(company_name="Hopper Consulting")
SETTINGS: Mapping[str, Any] = {}
SANDBOX_EXTRA: Mapping[str, Any] = {}
CREATED: Mapping[str, Any] = {"id": "r1", "client_name": "Ada Lovelace", "pending": False}
CASSETTE_CREDENTIAL = "cassette-roostedhr-key-c07b19"
SANDBOX_IDS = ("7K96h", "g5jJ7", "FrIXX", "ocskx")


def record_email(record: Mapping[str, Any]) -> str:
    return str(record["client_contact_email"])
