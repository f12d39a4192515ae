"""ProConvey "v2 UK-style": ``POST /api/v2/clients`` with a postal address."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from clientbridge.sandbox.emulators.base import (
    CREATED,
    EMAIL_SHAPE,
    Emulator,
    Problems,
    Rejected,
    Reply,
    Route,
    SandboxRequest,
    optional_text,
)

__all__ = ["API_KEY", "BASE_URL", "ProConveyEmulator"]

API_KEY = "sandbox-proconvey-key"
BASE_URL = "https://proconvey.sandbox.invalid"

E164 = re.compile(r"\+[1-9][0-9]{6,14}")
REQUIRED = ("firstName", "lastName", "emailAddress")
OPTIONAL = ("title", "companyName", "telephoneNumber")
ADDRESS_FIELDS = ("line_1", "line_2", "line_3", "post_town", "county", "postcode", "uprn")
ADDRESS_REQUIRED = frozenset({"line_1", "postcode"})
#: A new client has not been invited to the portal yet.
NEW_CLIENT_STATUS = "NotInvited"


class ProConveyEmulator(Emulator):
    provider = "proconvey"
    display_name = "ProConvey"
    default_credential = API_KEY
    routes = (Route("POST", "/api/v2/clients", "create_client", creates=True),)

    def authenticated(self, request: SandboxRequest) -> bool:
        return self.bearer(request)

    def create_client(self, request: SandboxRequest, params: Mapping[str, str]) -> Reply:
        body = request.json()
        if not isinstance(body, dict):
            raise Rejected(400, "The request body must be a JSON object.")
        problems = Problems()
        values = {field: optional_text(body, field, problems, required=True) for field in REQUIRED}
        values.update({field: optional_text(body, field, problems) for field in OPTIONAL})
        email = values["emailAddress"]
        if email is not None and not EMAIL_SHAPE.fullmatch(email):
            problems.add("emailAddress", "The emailAddress field must be a valid email address.")
        phone = values["telephoneNumber"]
        if phone is not None and not E164.fullmatch(phone):
            problems.add(
                "telephoneNumber",
                "The telephoneNumber field must be in E.164 format (+447911123456).",
            )
        address = _address(body.get("address"), problems)
        problems.raise_if_any(422, "The given data was invalid.")
        assert email is not None
        if self.exists(email.lower()):
            raise Rejected(409, "A client with this email address already exists.")
        record = {
            "id": self.ids.uuid4(),
            "firstName": values["firstName"],
            "lastName": values["lastName"],
            "emailAddress": email,
            "status": NEW_CLIENT_STATUS,
            "title": values["title"],
            "middleName": None,
            "companyName": values["companyName"],
            "telephoneNumber": phone,
            "altTelephoneNumber": None,
            "pronouns": None,
            "communicationPreferences": {
                "email": True,
                "phone": False,
                "sms": False,
                "post": False,
            },
            "avatarUrl": None,
            "dob": None,
            "nationality": None,
            "niNumber": None,
            "occupation": None,
            "address": address,
        }
        self.keep(record, email.lower())
        return Reply.json(201, record, outcome=CREATED)


def _address(value: Any, problems: Problems) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add("address", "The address field must be an object.")
        return None
    return {
        field: optional_text(
            value, field, problems, required=field in ADDRESS_REQUIRED, prefix="address."
        )
        for field in ADDRESS_FIELDS
    }
