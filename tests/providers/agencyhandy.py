"""AgencyHandy's facts for the shared suites (see tests/providers/__init__.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import clientbridge as cb
from clientbridge.sandbox.emulators.agencyhandy import COMPANY_ID

MINIMAL = cb.Client(first_name="Grace", last_name="Hopper", email="grace@example.com")
#: The company is given, so no look-up is sent.
SETTINGS: Mapping[str, Any] = {"company_id": COMPANY_ID}
SANDBOX_EXTRA: Mapping[str, Any] = {"company_id": COMPANY_ID}
CREATED: Mapping[str, Any] = {
    "createdMembers": [
        {"_id": "m1", "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"}
    ]
}
CASSETTE_CREDENTIAL = "cassette-agencyhandy-key-5b1e7c"
SANDBOX_IDS = (
    "65a5022049012faa7ee2632f",
    "65a5022049012faa7ee26330",
    "65a5022049012faa7ee26331",
    "65a5022049012faa7ee26332",
)


def record_email(record: Mapping[str, Any]) -> str:
    return str(record["email"])
