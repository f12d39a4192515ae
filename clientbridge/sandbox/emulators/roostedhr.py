"""RoostedHR: ``POST /clients`` with flat ``client_*`` fields, and the paged client list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clientbridge.sandbox.emulators.base import (
    CREATED,
    Emulator,
    Problems,
    Rejected,
    Reply,
    Route,
    SandboxRequest,
    optional_text,
)

__all__ = ["API_KEY", "RoostedHREmulator"]

API_KEY = "sandbox-roostedhr-key"

#: The fields a create accepts and their documented maximum lengths.
MAX_LENGTHS: Mapping[str, int] = {
    "client_name": 255,
    "client_contact_name": 255,
    "client_contact_email": 255,
    "client_invoice_customer_id": 255,
    "client_address": 65535,
    "client_city": 255,
    "client_state": 255,
    "client_postal_code": 255,
}
#: Every field of a client record, as a new one comes back.
EMPTY_RECORD: Mapping[str, Any] = {
    "client_name": None,
    "client_contact_name": None,
    "client_contact_phone": None,
    "client_contact_email": None,
    "client_contact_title": None,
    "default_comments_for_workers": None,
    "client_invoice_customer_id": None,
    "client_address": None,
    "client_city": None,
    "client_state": None,
    "client_postal_code": None,
    "company_name": None,
    "client_portal_connection_status": None,
    "client_portal_connection_datetime": None,
    "client_portal_invite_datetime": None,
    "client_portal_invite_email": None,
    "pending": False,
}
DEFAULT_PAGE_SIZE = 25


class RoostedHREmulator(Emulator):
    provider = "roostedhr"
    display_name = "RoostedHR"
    default_credential = API_KEY
    base_path = "/api/1_12"
    credential_headers = ("x-api-key", "authorization")
    routes = (
        Route("POST", "/clients", "create_client", creates=True),
        Route("GET", "/clients", "list_clients"),
    )

    def authenticated(self, request: SandboxRequest) -> bool:
        # X-API-KEY is documented; some of their material shows a bearer token instead.
        return request.headers.get("x-api-key") == self.credential or self.bearer(request)

    def create_client(self, request: SandboxRequest, params: Mapping[str, str]) -> Reply:
        body = request.json()
        if not isinstance(body, dict):
            raise Rejected(400, "The request body must be a JSON object.")
        problems = Problems()
        values = {
            field: optional_text(
                body,
                field,
                problems,
                required=field == "client_name",
                min_length=1 if field == "client_name" else 0,
                max_length=limit,
            )
            for field, limit in MAX_LENGTHS.items()
        }
        problems.raise_if_any(422, "The given data was invalid.")
        record = {"id": self.ids.short_id(), **EMPTY_RECORD, **values}
        self.keep(record)
        return Reply.json(201, record, outcome=CREATED)

    def list_clients(self, request: SandboxRequest, params: Mapping[str, str]) -> Reply:
        query = request.query_params()
        size = _positive(query, "items_per_page", DEFAULT_PAGE_SIZE)
        page = _positive(query, "page", 1)
        start = (page - 1) * size
        return Reply.json(
            200, {"clients": self.records[start : start + size], "total_count": len(self.records)}
        )


def _positive(query: Mapping[str, str], name: str, default: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        raise Rejected(422, "The given data was invalid.", [(name, f"{name} must be >= 1.")])
    return int(text)
