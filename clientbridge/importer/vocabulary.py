"""The header vocabulary: the column names clientbridge knows, and the spellings of them
that CRM and spreadsheet exports use.

A column is named by a `Client` field (``first_name``, ``email``...), an address part
(``address_line1`` ... ``address_uprn``), a custom field (``custom.<key>``) or an extra
contact channel (``contact.<kind>``, e.g. ``contact.whatsapp``). Headers are matched
without regard to case, spaces, underscores, hyphens and dots.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from clientbridge.model import ContactKind

__all__ = [
    "ADDRESS_COLUMNS",
    "CLIENT_COLUMNS",
    "CONTACT_PREFIX",
    "CUSTOM_PREFIX",
    "header_key",
    "known_columns",
    "resolve_column",
]


#: Text columns of `Client`, in documentation order.
CLIENT_COLUMNS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "name",
    "email",
    "phone",
    "company_name",
    "title",
    "avatar_url",
    "source",
    "lead",
    "external_id",
)
#: Address columns and the `Address` attribute each fills.
ADDRESS_COLUMNS: Mapping[str, str] = {
    "address_line1": "line1",
    "address_line2": "line2",
    "address_line3": "line3",
    "address_city": "city",
    "address_region": "region",
    "address_postal_code": "postal_code",
    "address_country": "country",
    "address_uprn": "uprn",
}
CUSTOM_PREFIX = "custom."
CONTACT_PREFIX = "contact."

# Spellings seen in CRM and spreadsheet exports, compared after `header_key`.
_ALIASES: Mapping[str, tuple[str, ...]] = {
    "first_name": ("first", "given name", "forename", "fname", "first names"),
    "last_name": ("last", "surname", "family name", "lname"),
    "name": ("full name", "display name", "client name", "contact name", "contact"),
    "email": ("e-mail", "email address", "e-mail address", "mail", "email addr"),
    "phone": (
        "phone number",
        "telephone",
        "telephone number",
        "tel",
        "mobile",
        "mobile phone",
        "mobile number",
        "cell",
        "cell phone",
        "contact number",
        "contact no",
    ),
    "company_name": (
        "company",
        "organisation",
        "organization",
        "organisation name",
        "organization name",
        "business",
        "business name",
        "account name",
        "employer",
    ),
    "title": ("salutation", "honorific", "prefix"),
    "avatar_url": ("avatar", "photo", "photo url", "picture url"),
    "source": ("lead source", "origin", "acquisition source"),
    "lead": ("is lead", "prospect"),
    "external_id": (
        "id",
        "external id",
        "external ref",
        "reference",
        "ref",
        "client id",
        "customer id",
        "crm id",
        "record id",
    ),
    "address_line1": (
        "address",
        "address 1",
        "address line 1",
        "street",
        "street address",
        "line 1",
        "addr1",
    ),
    "address_line2": ("address 2", "address line 2", "line 2", "addr2"),
    "address_line3": ("address 3", "address line 3", "line 3", "addr3"),
    "address_city": ("city", "town", "post town", "town city", "locality"),
    "address_region": ("region", "state", "county", "province", "state province"),
    "address_postal_code": (
        "postal code",
        "postcode",
        "post code",
        "zip",
        "zip code",
        "zipcode",
        "postal",
    ),
    "address_country": ("country", "country code"),
    "address_uprn": ("uprn",),
    "contact.whatsapp": ("whatsapp",),
    "contact.fax": ("fax", "fax number"),
}

_SEPARATORS = re.compile(r"[\s_\-.]+")


def header_key(text: str) -> str:
    """A header as compared: lower case, without spaces, underscores, hyphens or dots."""
    return _SEPARATORS.sub("", text.strip().lower())


def _build_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for field in (*CLIENT_COLUMNS, *ADDRESS_COLUMNS):
        index[header_key(field)] = field
    for field, aliases in _ALIASES.items():
        for alias in aliases:
            index.setdefault(header_key(alias), field)
    return index


_INDEX = _build_index()
_CONTACT_KINDS = frozenset(kind.value for kind in ContactKind)


def resolve_column(name: str) -> str | None:
    """The canonical column for a header or a ``--map`` target, or None when unknown."""
    text = name.strip()
    lowered = text.lower()
    if lowered.startswith(CUSTOM_PREFIX):
        key = text[len(CUSTOM_PREFIX) :].strip()
        return CUSTOM_PREFIX + key if key else None
    if lowered.startswith(CONTACT_PREFIX):
        kind = lowered[len(CONTACT_PREFIX) :].strip()
        return CONTACT_PREFIX + kind if kind in _CONTACT_KINDS else None
    return _INDEX.get(header_key(text))


def known_columns() -> list[str]:
    """Every canonical column name (for error messages and docs)."""
    return [*CLIENT_COLUMNS, *ADDRESS_COLUMNS, "custom.<key>", "contact.<kind>"]
