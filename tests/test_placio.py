"""Placio "workspace v1": a display name, contact methods, custom fields."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

import clientbridge as cb

from .conftest import CANARY, Recorder, respond

SETTINGS = {"token": CANARY, "workspace_id": "ws_123", "base_url": "https://placio.example"}


def echo() -> Recorder:
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        record = {"id": "507f1f77bcf86cd799439011", "customFields": [], **body}
        return httpx.Response(201, json={"client": {**record, "createdAt": "2024-01-15T10:00:00Z"}})

    return Recorder(answer)


def connect(recorder: Recorder, **settings: Any) -> cb.Connection:
    return cb.connect("placio", transport=recorder.transport(), **{**SETTINGS, **settings})


def test_the_documented_example_is_sent_exactly() -> None:
    recorder = echo()
    client = cb.Client(
        name="John Doe",
        avatar_url="https://example.com/avatar.jpg",
        email="john@example.com",
        phone="+44 7911 123456",
        contact_methods=(
            cb.ContactMethod(kind=cb.ContactKind.PHONE, value="+447911123456", preferred=True),
        ),
        custom_fields={"notes": "Preferred contact time: 9am-5pm"},
    )
    with connect(recorder) as conn:
        result = conn.create(client)
    request = recorder.requests[0]
    assert str(request.url) == "https://placio.example/v1/workspace/ws_123/clients"
    assert request.headers["authorization"] == f"Bearer {CANARY}"
    assert recorder.bodies[0] == {
        "name": "John Doe",
        "avatarUrl": "https://example.com/avatar.jpg",
        "contactMethods": [
            {"type": "phone", "value": "+447911123456", "isPreferred": True},
            {"type": "email", "value": "john@example.com", "isPreferred": False},
        ],
        "customFields": [{"fieldKey": "notes", "value": "Preferred contact time: 9am-5pm"}],
    }
    assert result.status is cb.ClientStatus.ACTIVE
    assert result.invite is None
    assert result.created_at is not None
    assert result.created_at.tzinfo is not None
    assert result.client.email == "john@example.com"
    assert result.client.phone == "+447911123456"
    assert result.client.custom_fields == {"notes": "Preferred contact time: 9am-5pm"}
    assert result.dropped_fields == ()


def test_email_is_preferred_when_nothing_is_marked() -> None:
    recorder = echo()
    with connect(recorder) as conn:
        conn.create(cb.Client(first_name="Ada", phone="07911 123456", email="ada@example.com"))
    methods = recorder.bodies[0]["contactMethods"]
    assert methods == [
        {"type": "email", "value": "ada@example.com", "isPreferred": True},
        {"type": "phone", "value": "+447911123456", "isPreferred": False},
    ]
    assert recorder.bodies[0]["name"] == "Ada"


def test_first_channel_is_preferred_without_email() -> None:
    recorder = echo()
    fax = cb.ContactMethod(kind=cb.ContactKind.FAX, value="+442071234567")
    with connect(recorder) as conn:
        conn.create(cb.Client(name="Acme", contact_methods=(fax,), phone="+44 7911 123456"))
    assert [m["isPreferred"] for m in recorder.bodies[0]["contactMethods"]] == [True, False]


def test_several_preferred_channels_are_a_validation_error() -> None:
    methods = (
        cb.ContactMethod(kind=cb.ContactKind.EMAIL, value="a@example.com", preferred=True),
        cb.ContactMethod(kind=cb.ContactKind.PHONE, value="+447911123456", preferred=True),
    )
    recorder = echo()
    with connect(recorder) as conn, pytest.raises(cb.ValidationError) as caught:
        conn.create(cb.Client(name="Ada", contact_methods=methods))
    assert caught.value.errors[0].field == "contact_methods"
    assert recorder.requests == []


def test_at_least_one_channel_is_required() -> None:
    with connect(echo()) as conn, pytest.raises(cb.ValidationError, match="at least one channel"):
        conn.create(cb.Client(name="Ada"))


def test_duplicate_channels_are_sent_once() -> None:
    recorder = echo()
    same = cb.ContactMethod(kind=cb.ContactKind.EMAIL, value="ada@example.com")
    with connect(recorder) as conn:
        conn.create(cb.Client(name="Ada", email="ada@example.com", contact_methods=(same,)))
    assert len(recorder.bodies[0]["contactMethods"]) == 1


@pytest.mark.parametrize(
    ("client", "field"),
    [
        (cb.Client(name="Ada", email="nope"), "email"),
        (cb.Client(name="Ada", email="a@example.com", avatar_url="ftp://x/y.png"), "avatar_url"),
        (cb.Client(name="Ada", email="a@example.com", avatar_url="avatar.png"), "avatar_url"),
        (cb.Client(name="Ada", phone="12"), "phone"),
        (cb.Client(email="a@example.com"), "name"),
    ],
)
def test_local_validation_names_the_field(client: cb.Client, field: str) -> None:
    recorder = echo()
    with connect(recorder) as conn, pytest.raises(cb.ValidationError) as caught:
        conn.create(client)
    assert field in [error.field for error in caught.value.errors]
    assert recorder.requests == []


def test_company_name_is_the_name_only_when_there_is_no_person() -> None:
    recorder = echo()
    with connect(recorder) as conn:
        as_name = conn.create(cb.Client(company_name="Acme", email="ops@acme.example"))
        dropped = conn.create(cb.Client(name="Ada", company_name="Acme", email="a@acme.example"))
    assert recorder.bodies[0]["name"] == "Acme"
    assert as_name.dropped_fields == ()
    assert recorder.bodies[1]["name"] == "Ada"
    assert dropped.dropped_fields == ("company_name",)
    assert dropped.warnings == ("company_name is not supported by placio and was not sent",)


def test_workspace_id_is_percent_encoded() -> None:
    recorder = echo()
    with connect(recorder, workspace_id="ws 1") as conn:
        conn.create(cb.Client(name="Ada", email="a@example.com"))
    assert recorder.requests[0].url.raw_path == b"/v1/workspace/ws%201/clients"


def test_workspace_v1_alias() -> None:
    recorder = echo()
    with cb.connect("workspace-v1", transport=recorder.transport(), **SETTINGS) as conn:
        assert conn.create(cb.Client(name="Ada", email="a@example.com")).provider == "placio"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, cb.ProviderValidationError),
        (401, cb.AuthenticationError),
        (403, cb.PermissionDeniedError),
        (404, cb.NotFoundError),
        (422, cb.ProviderValidationError),
        (500, cb.ProviderUnavailableError),
    ],
)
def test_error_statuses_map_to_pinned_exceptions(
    status: int, error: type[cb.ProviderError]
) -> None:
    body = {"message": "Custom field 'vat' is required in this workspace"}
    with connect(Recorder(respond(status, body))) as conn, pytest.raises(error) as caught:
        conn.create(cb.Client(name="Ada", email="a@example.com"))
    assert caught.value.status_code == status
    assert "Custom field 'vat' is required in this workspace" in str(caught.value)


def test_missing_client_object_is_an_unexpected_response() -> None:
    with connect(Recorder(respond(201, {"id": "x"}))) as conn:
        with pytest.raises(cb.UnexpectedResponseError, match='"client"'):
            conn.create(cb.Client(name="Ada", email="a@example.com"))
