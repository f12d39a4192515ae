"""Benchmark 2: translation cost per adapter (validate + build + parse), no I/O.

For one client per adapter: ``prepare`` (validation and payload), the create request,
its body bytes, and parsing the provider's answer into a `CreateResult`, against a
hand-written translation per provider that builds the same payload (checked equal to
clientbridge's) and reads the answer back into a dict (json in, json out, no validation).
Targets: <= 3x hand-written and <= 40 µs. The Python calls each makes per client
(`cProfile`, builtins included) are printed too: unlike the times, they do not move
with the machine's load.

A third column, "typed floor", is what any translation returning clientbridge's typed
results pays before validating or mapping a single field: the JSON both ways and the
pinned objects (`Client`, `Address`, `CreateResult`) built from the same values. It shows
how much of the gap to a dict translation is the typed result itself.

A fourth, "no field rules", is clientbridge's translation with the adapter's field rules
taken away (so no field is validated or mapped): a lower bound for any speed-up of the
per-field machinery.

    .venv/bin/python bench/translation.py
"""

from __future__ import annotations

import cProfile
import json
import pstats
import timeit
from collections.abc import Callable
from typing import Any

from _common import machine_note, row

import clientbridge as cb
from clientbridge.wire import HttpRequest, HttpResponse

CLIENT = cb.Client(
    first_name="Ada",
    last_name="Lovelace",
    email="ada@example.com",
    phone="+44 7911 123456",
    company_name="Analytical Engines Ltd",
    address=cb.Address(line1="1 Main St", city="London", postal_code="SW1A 1AA", country="GB"),
)
SETTINGS: dict[str, dict[str, Any]] = {
    "agencyhandy": {"api_key": "k", "company_id": "6525994184e9ddd79853450e"},
    "placio": {"token": "t", "workspace_id": "ws1", "base_url": "https://placio.example"},
    "proconvey": {"api_key": "k", "base_url": "https://acme.proconvey.example"},
    "roostedhr": {"api_key": "k"},
}
ANSWERS: dict[str, Any] = {
    "agencyhandy": {
        "message": "Client created successfully",
        "createdMembers": [
            {
                "_id": "6525994184e9ddd798534999",
                "name": "Ada Lovelace",
                "status": "New",
                "role": "client",
            }
        ],
    },
    "placio": {
        "client": {
            "id": "507f1f77bcf86cd799439011",
            "name": "Ada Lovelace",
            "contactMethods": [
                {"type": "email", "value": "ada@example.com", "isPreferred": True},
                {"type": "phone", "value": "+447911123456", "isPreferred": False},
            ],
            "customFields": [],
            "createdAt": "2024-01-15T10:00:00Z",
        }
    },
    "proconvey": {
        "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "emailAddress": "ada@example.com",
        "status": "NotInvited",
        "title": None,
        "companyName": "Analytical Engines Ltd",
        "telephoneNumber": "+447911123456",
        "address": {"line_1": "1 Main St", "post_town": "London", "postcode": "SW1A 1AA"},
    },
    "roostedhr": {
        "id": "uLu8K",
        "client_name": "Analytical Engines Ltd",
        "client_contact_name": "Ada Lovelace",
        "client_contact_email": "ada@example.com",
        "client_address": "1 Main St",
        "client_city": "London",
        "client_postal_code": "SW1A 1AA",
        "client_portal_connection_status": None,
        "pending": False,
    },
}


# Each provider's payload as a user writes it by hand: the fields the provider page lists,
# the phone in E.164 by deleting spaces, no checks at all.


def _e164(phone: str | None) -> str | None:
    return phone.replace(" ", "") if phone else None


def _agencyhandy_payload(client: cb.Client) -> Any:
    return [
        {
            "firstName": client.first_name,
            "lastName": client.last_name,
            "email": client.email,
            "contactNo": _e164(client.phone),
            "isConvertedClient": False,
            "status": "New",
            "sendInvitationEmail": False,
        }
    ]


def _placio_payload(client: cb.Client) -> Any:
    return {
        "name": f"{client.first_name} {client.last_name}",
        "contactMethods": [
            {"type": "email", "value": client.email, "isPreferred": True},
            {"type": "phone", "value": _e164(client.phone), "isPreferred": False},
        ],
    }


def _proconvey_payload(client: cb.Client) -> Any:
    address = client.address
    assert address is not None
    return {
        "firstName": client.first_name,
        "lastName": client.last_name,
        "emailAddress": client.email,
        "companyName": client.company_name,
        "telephoneNumber": _e164(client.phone),
        "address": {
            "line_1": address.line1,
            "post_town": address.city,
            "postcode": address.postal_code,
        },
    }


def _roostedhr_payload(client: cb.Client) -> Any:
    address = client.address
    assert address is not None
    return {
        "client_name": client.company_name,
        "client_contact_name": f"{client.first_name} {client.last_name}",
        "client_contact_email": client.email,
        "client_address": address.line1,
        "client_city": address.city,
        "client_postal_code": address.postal_code,
    }


PAYLOADS: dict[str, Callable[[cb.Client], Any]] = {
    "agencyhandy": _agencyhandy_payload,
    "placio": _placio_payload,
    "proconvey": _proconvey_payload,
    "roostedhr": _roostedhr_payload,
}


def _read_back(provider: str, answer: Any) -> dict[str, Any]:
    """The created record read back by hand into a dict of neutral fields."""
    if provider == "agencyhandy":
        record = answer["createdMembers"][0]
        return {"id": record["_id"], "status": record["status"], "name": record["name"]}
    if provider == "placio":
        record = answer["client"]
        methods = {method["type"]: method["value"] for method in record["contactMethods"]}
        return {
            "id": record["id"],
            "name": record["name"],
            "email": methods.get("email"),
            "phone": methods.get("phone"),
            "created_at": record["createdAt"],
        }
    if provider == "proconvey":
        address = answer.get("address") or {}
        return {
            "id": answer["id"],
            "status": answer["status"],
            "first_name": answer["firstName"],
            "last_name": answer["lastName"],
            "email": answer["emailAddress"],
            "phone": answer["telephoneNumber"],
            "company_name": answer["companyName"],
            "address": {
                "line1": address.get("line_1"),
                "city": address.get("post_town"),
                "postal_code": address.get("postcode"),
            },
        }
    return {
        "id": answer["id"],
        "company_name": answer["client_name"],
        "name": answer["client_contact_name"],
        "email": answer["client_contact_email"],
        "address": {
            "line1": answer["client_address"],
            "city": answer["client_city"],
            "postal_code": answer["client_postal_code"],
        },
    }


def hand_written(provider: str) -> Callable[[], object]:
    """What a careful user writes by hand for one provider: the same payload as
    clientbridge sends (checked below), JSON both ways, and the answer read back into a
    dict of neutral fields. No validation, no dropped-field accounting, no typed result."""
    body = json.dumps(ANSWERS[provider]).encode()
    build = PAYLOADS[provider]
    ours = cb.connect(provider, **SETTINGS[provider]).preview(CLIENT)[-1].json
    if build(CLIENT) != ours:
        raise AssertionError(f"the hand-written {provider} payload differs from clientbridge's")

    def translate() -> object:
        json.dumps(build(CLIENT)).encode()
        return _read_back(provider, json.loads(body))

    return translate


def clientbridge_translation(provider: str, *, rules: bool = True) -> Callable[[], object]:
    adapter = cb.connect(provider, **SETTINGS[provider]).adapter
    if not rules:
        adapter.field_rules = tuple  # type: ignore[method-assign]
    response = HttpResponse(status_code=201, content=json.dumps(ANSWERS[provider]).encode())

    def translate() -> object:
        prepared = adapter.prepare(0, CLIENT, "warn")
        request = adapter.build_create_request([prepared], {})
        request.body_bytes()
        request.wire_headers()
        return adapter.parse_create_response(response, [prepared])

    return translate


def typed_floor(provider: str) -> Callable[[], object]:
    """JSON out and in, and the typed result objects, with no validation or mapping."""
    adapter = cb.connect(provider, **SETTINGS[provider]).adapter
    prepared = adapter.prepare(0, CLIENT, "warn")
    response = HttpResponse(status_code=201, content=json.dumps(ANSWERS[provider]).encode())
    result = adapter.parse_create_response(response, [prepared])[0]
    assert isinstance(result, cb.CreateResult)
    parsed = result.client
    assert parsed is not None
    names = ("first_name", "last_name", "name", "email", "phone", "company_name", "title")
    fields = {name: getattr(parsed, name) for name in names if getattr(parsed, name)}
    parts = ("line1", "line2", "city", "postal_code", "country")
    found = parsed.address
    address = {part: getattr(found, part) for part in parts if found and getattr(found, part)}
    request = HttpRequest(method="POST", url="https://example.com/clients", json=prepared.payload)

    def translate() -> object:
        request.body_bytes()
        json.loads(response.content)
        client = cb.Client(**fields, address=cb.Address(**address) if address else None)
        return cb.CreateResult(provider=provider, id="x", status=result.status, client=client)

    return translate


def calls_per_call(function: Callable[[], object], number: int = 100) -> float:
    """Python function calls (builtins included) per call: the same on a busy machine."""
    function()
    profile = cProfile.Profile()
    profile.runcall(lambda: [function() for _ in range(number)])
    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    return (sum(calls for _, calls, *_ in stats.values()) - number - 1) / number


def per_call(function: Callable[[], object], number: int = 20_000) -> float:
    function()
    return min(timeit.repeat(function, number=number, repeat=5)) / number


def main() -> None:
    print(f"translation cost per client, {machine_note()}")
    print(
        row(
            "adapter",
            "clientbridge (µs)",
            "hand-written (µs)",
            "ratio",
            "typed floor (µs)",
            "clientbridge / floor",
            "no field rules (µs)",
            "no field rules / hand-written",
            "calls: clientbridge",
            "calls: hand-written",
            "target",
        )
    )
    print(row("---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---"))
    for provider in sorted(SETTINGS):
        ours = per_call(clientbridge_translation(provider))
        theirs = per_call(hand_written(provider))
        floor = per_call(typed_floor(provider))
        bare = per_call(clientbridge_translation(provider, rules=False))
        print(
            row(
                provider,
                f"{ours * 1e6:.1f}",
                f"{theirs * 1e6:.1f}",
                f"{ours / theirs:.2f}",
                f"{floor * 1e6:.1f}",
                f"{ours / floor:.2f}",
                f"{bare * 1e6:.1f}",
                f"{bare / theirs:.2f}",
                f"{calls_per_call(clientbridge_translation(provider)):.0f}",
                f"{calls_per_call(hand_written(provider)):.0f}",
                "<= 3x, <= 40 µs",
            )
        )


if __name__ == "__main__":
    main()
