"""The clients the cassette scenarios send, and what every scenario shares."""

from __future__ import annotations

from collections.abc import Mapping

import clientbridge as cb

#: The smallest client each provider accepts.
MINIMAL: Mapping[str, cb.Client] = {
    "agencyhandy": cb.Client(first_name="Grace", last_name="Hopper", email="grace@example.com"),
    "placio": cb.Client(name="Grace Hopper", email="grace@example.com"),
    "proconvey": cb.Client(first_name="Grace", last_name="Hopper", email="grace@example.com"),
    "roostedhr": cb.Client(company_name="Hopper Consulting"),
}

#: One client with every neutral field: each provider sends what it can and drops the rest.
RICH = cb.Client(
    first_name="Ada",
    last_name="Lovelace",
    email="ada@example.com",
    phone="07911 123456",
    company_name="Analytical Engines Ltd",
    title="Dr",
    address=cb.Address(
        line1="12 St James's Square",
        line2="Westminster",
        city="London",
        region="Greater London",
        postal_code="sw1y4ju",
        country="GB",
        uprn="100023336956",
    ),
    contact_methods=(cb.ContactMethod(kind=cb.ContactKind.WHATSAPP, value="+447700900123"),),
    avatar_url="https://example.com/ada.png",
    source="referral",
    external_id="crm-1815",
    custom_fields={"notes": "Prefers mornings"},
)

#: The ids a seeded recording server gives its first records, in order (ObjectIds start
#: with the frozen recording clock: 0x65a50220 is 2024-01-15T10:00:00Z).
SANDBOX_IDS: Mapping[str, tuple[str, ...]] = {
    "agencyhandy": (
        "65a5022049012faa7ee2632f",
        "65a5022049012faa7ee26330",
        "65a5022049012faa7ee26331",
        "65a5022049012faa7ee26332",
    ),
    "placio": (
        "65a5022049012faa7ee2632f",
        "65a5022049012faa7ee26330",
        "65a5022049012faa7ee26331",
        "65a5022049012faa7ee26332",
    ),
    "proconvey": (
        "65ad168d-4b69-45c6-8698-f48feb6ed680",
        "f3c98da5-8369-4217-bad9-1d42216ba8d7",
        "6413f64c-de9f-442b-b0ea-971d898ddbff",
        "3d92163d-5aa6-4e79-b19f-696069597542",
    ),
    "roostedhr": ("7K96h", "g5jJ7", "FrIXX", "ocskx"),
}


def field_errors(error: cb.ProviderError | cb.ValidationError) -> dict[str, str]:
    """``{field: message}`` of an error's field errors."""
    return {item.field: item.message for item in error.errors}
