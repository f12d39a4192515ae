"""The clients the cassette scenarios send, and what every scenario shares."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

import clientbridge as cb
from tests.providers import BUILTINS, ProviderFixture, fixture

_T = TypeVar("_T")


class _ByProvider(Mapping[str, _T]):
    """A provider's fact from its fixture module (``tests/providers/<name>.py``), read
    when asked: a built-in without one fails its scenarios, naming the file to add."""

    def __init__(self, read: Callable[[ProviderFixture], _T]) -> None:
        self._read = read

    def __getitem__(self, provider: str) -> _T:
        return self._read(fixture(provider))

    def __iter__(self) -> Iterator[str]:
        return iter(BUILTINS)

    def __len__(self) -> int:
        return len(BUILTINS)


#: The smallest client each provider accepts.
MINIMAL: Mapping[str, cb.Client] = _ByProvider(lambda found: found.minimal)

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
SANDBOX_IDS: Mapping[str, tuple[str, ...]] = _ByProvider(lambda found: found.sandbox_ids)


def field_errors(error: cb.ProviderError | cb.ValidationError) -> dict[str, str]:
    """``{field: message}`` of an error's field errors."""
    return {item.field: item.message for item in error.errors}
