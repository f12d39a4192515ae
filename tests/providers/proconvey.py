"""ProConvey's facts for the shared suites (see tests/providers/__init__.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import clientbridge as cb

MINIMAL = cb.Client(first_name="Grace", last_name="Hopper", email="grace@example.com")
SETTINGS: Mapping[str, Any] = {"base_url": "https://acme.proconvey.example"}
SANDBOX_EXTRA: Mapping[str, Any] = {}
CREATED: Mapping[str, Any] = {
    "id": "p1",
    "firstName": "Ada",
    "lastName": "Lovelace",
    "emailAddress": "ada@example.com",
    "status": "NotInvited",
}
CASSETTE_CREDENTIAL = "cassette-proconvey-key-41f2e8"
SANDBOX_IDS = (
    "65ad168d-4b69-45c6-8698-f48feb6ed680",
    "f3c98da5-8369-4217-bad9-1d42216ba8d7",
    "6413f64c-de9f-442b-b0ea-971d898ddbff",
    "3d92163d-5aa6-4e79-b19f-696069597542",
)


def record_email(record: Mapping[str, Any]) -> str:
    return str(record["emailAddress"])
