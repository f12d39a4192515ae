"""What the signup endpoint sends, replayed from a cassette (recorded through
``clientbridge.testing.vcr_config``: no credential in it).

Re-record with ``pytest examples/signup/tests --record-mode=rewrite``: against the
in-process sandbox as it stands, or against live accounts by running the app without the
``clientbridge_sandbox`` fixture and with the environment variables of clientbridge.toml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from clientbridge.sandbox import DEFAULT_CREDENTIALS

CASSETTE = Path(__file__).parent / "cassettes" / "test_signup_wire"
BOB = {"user_id": "u-2002", "first_name": "Bob", "last_name": "Babbage", "email": "bob@example.com"}


@pytest.mark.vcr
def test_a_signup_sends_each_back_office_its_own_request(client: FlaskClient) -> None:
    # Each request must match the recorded one (method, URL and JSON body): a change in
    # what the app sends fails here.
    answer = client.post("/signup", json=BOB)
    assert answer.status_code == 201, answer.json
    assert sorted(answer.json["created"]) == ["conveyancing", "crm", "staffing"]
    assert all(answer.json["created"].values())


def test_the_cassette_holds_no_credential() -> None:
    recorded = [path.read_text(encoding="utf-8") for path in CASSETTE.glob("*.yaml")]
    assert recorded, "no cassette recorded yet"
    for text in recorded:
        for credential in DEFAULT_CREDENTIALS.values():
            assert credential not in text
