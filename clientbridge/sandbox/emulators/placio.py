"""Placio "workspace v1": ``POST /v1/workspace/{workspaceId}/clients`` with contact methods."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clientbridge.sandbox.emulators.base import (
    CREATED,
    Emulator,
    Problems,
    Rejected,
    Reply,
    Route,
    SandboxRequest,
    is_http_url,
    utc_now,
)

__all__ = ["BASE_URL", "TOKEN", "WORKSPACE_ID", "PlacioEmulator"]

TOKEN = "sandbox-placio-token"
WORKSPACE_ID = "ws_sandbox"
BASE_URL = "https://placio.sandbox.invalid"

CONTACT_TYPES = frozenset({"whatsapp", "phone", "email", "fax", "other"})


class PlacioEmulator(Emulator):
    """Every workspace id exists; records carry their ``workspaceId`` in `records`."""

    provider = "placio"
    display_name = "Placio"
    default_credential = TOKEN
    credential_setting = "token"
    routes = (Route("POST", "/v1/workspace/{workspace_id}/clients", "create_client", creates=True),)

    def authenticated(self, request: SandboxRequest) -> bool:
        return self.bearer(request)

    def error_body(self, status: int, message: str, fields: Sequence[tuple[str, str]]) -> Any:
        body: dict[str, Any] = {
            "statusCode": status,
            "error": self.reason(status),
            "message": message,
        }
        if fields:
            body["errors"] = [{"field": field, "message": problem} for field, problem in fields]
        return body

    def connect_settings(self, base_url: str) -> dict[str, str]:
        return {**super().connect_settings(base_url), "workspace_id": WORKSPACE_ID}

    def create_client(self, request: SandboxRequest, params: Mapping[str, str]) -> Reply:
        body = request.json()
        if not isinstance(body, dict):
            raise Rejected(400, "Invalid request body: expected a JSON object.")
        _check_shape(body)
        _check_rules(body)
        record = {
            "id": self.ids.object_id(),
            "name": body["name"],
            "avatarUrl": body.get("avatarUrl"),
            "contactMethods": [
                {"type": item["type"], "value": item["value"], "isPreferred": item["isPreferred"]}
                for item in body["contactMethods"]
            ],
            "customFields": [
                {"fieldKey": item["fieldKey"], "value": item["value"]}
                for item in body.get("customFields") or ()
            ],
            "createdAt": utc_now(),
        }
        self.keep({**record, "workspaceId": params["workspace_id"]})
        return Reply.json(201, {"client": record}, outcome=CREATED)


def _check_shape(body: Mapping[str, Any]) -> None:
    """Types and formats: a 400, like the provider's schema validation."""
    problems = Problems()
    if "name" in body and not isinstance(body["name"], str):
        problems.add("name", "name must be a string")
    if body.get("avatarUrl") is not None and not is_http_url(body["avatarUrl"]):
        problems.add("avatarUrl", "avatarUrl must be a valid URL")
    methods = body.get("contactMethods")
    if methods is not None and not isinstance(methods, list):
        problems.add("contactMethods", "contactMethods must be an array")
    for position, item in enumerate(methods if isinstance(methods, list) else ()):
        where = f"contactMethods[{position}]"
        if not isinstance(item, dict):
            problems.add(where, f"{where} must be an object")
            continue
        if not isinstance(item.get("isPreferred"), bool):
            problems.add(f"{where}.isPreferred", f"{where}.isPreferred must be a boolean")
        for key in ("type", "value"):
            if key in item and not isinstance(item[key], str):
                problems.add(f"{where}.{key}", f"{where}.{key} must be a string")
    custom = body.get("customFields")
    if custom is not None and not (
        isinstance(custom, list)
        and all(
            isinstance(item, dict)
            and isinstance(item.get("fieldKey"), str)
            and item["fieldKey"]
            and isinstance(item.get("value"), str)
            for item in custom
        )
    ):
        problems.add("customFields", 'customFields must be [{"fieldKey": text, "value": text}]')
    problems.raise_if_any(400, "Invalid request body")


def _check_rules(body: Mapping[str, Any]) -> None:
    """The documented rules: a 422 (e.g. no preferred contact method, invalid type)."""
    problems = Problems()
    if not body.get("name"):
        problems.add("name", "name must be at least 1 character")
    methods = body.get("contactMethods") or []
    if not methods:
        problems.add("contactMethods", "at least one contact method is required")
    for position, item in enumerate(methods):
        if item.get("type") not in CONTACT_TYPES:
            problems.add(
                f"contactMethods[{position}].type",
                f"invalid contact type {item.get('type')!r}; use one of "
                f"{', '.join(sorted(CONTACT_TYPES))}",
            )
        if not item.get("value"):
            problems.add(f"contactMethods[{position}].value", "value must be at least 1 character")
    preferred = sum(1 for item in methods if item["isPreferred"])
    if methods and preferred != 1:
        problems.add(
            "contactMethods",
            f"exactly one contact method must be preferred; {preferred} are",
        )
    problems.raise_if_any(422, "Validation failed")
