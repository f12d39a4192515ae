"""Quillbook's emulator: ``POST /v1/clients``, a bearer token, a name up to 200 characters."""

from __future__ import annotations

from collections.abc import Mapping

from clientbridge.sandbox.emulators.base import (
    Emulator,
    Problems,
    Rejected,
    Reply,
    Route,
    SandboxRequest,
    optional_text,
)

from .adapter import API_KEY


class QuillbookEmulator(Emulator):
    provider = "quillbook"
    display_name = "Quillbook"
    default_credential = API_KEY
    base_path = "/v1"
    routes = (Route("POST", "/clients", "create_client", creates=True),)

    def authenticated(self, request: SandboxRequest) -> bool:
        return self.bearer(request)

    def create_client(self, request: SandboxRequest, params: Mapping[str, str]) -> Reply:
        body = request.json()
        if not isinstance(body, dict):
            raise Rejected(400, "The request body must be a JSON object.")
        problems = Problems()
        name = optional_text(body, "name", problems, required=True, min_length=1, max_length=200)
        email = optional_text(body, "email", problems)
        problems.raise_if_any(422, "The client is not valid.")
        record = {"id": self.ids.short_id(), "name": name, "email": email}
        self.keep(record)
        return Reply.json(201, record)
