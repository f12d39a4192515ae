"""The header vocabulary: the column names clientbridge knows, and the spellings of them
that CRM and spreadsheet exports use.

A column is named by a `Client` field (``first_name``, ``email``...), an address part
(``address_line1`` ... ``address_uprn``), a custom field (``custom.<key>``) or an extra
contact channel (``contact.<kind>``, e.g. ``contact.whatsapp``). Headers are matched
without regard to case, spaces, underscores, hyphens and dots.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from clientbridge.importer.errors import RowError
from clientbridge.model import Address, Client, ContactKind, ContactMethod

__all__ = [
    "ADDRESS_COLUMNS",
    "CLIENT_COLUMNS",
    "CONTACT_PREFIX",
    "CUSTOM_PREFIX",
    "client_from_document",
    "client_from_fields",
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


_TRUE = frozenset({"true", "yes", "y", "1", "x", "lead"})

_FALSE = frozenset({"false", "no", "n", "0", ""})


def _parse_bool(value: str, column: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RowError(f"{column}: {value!r} is not yes/no (use true/false, yes/no or 1/0)")


def client_from_fields(fields: Iterable[tuple[str, str]]) -> Client:
    """A `Client` from ``(column, text)`` pairs; empty text means "not given".

    Raises `RowError` naming the column when a value cannot be used.
    """
    values: dict[str, Any] = {}
    address: dict[str, str] = {}
    custom: dict[str, str] = {}
    contacts: list[ContactMethod] = []
    for column, text in fields:
        if not text or not text.strip():
            continue
        if column in ADDRESS_COLUMNS:
            address[ADDRESS_COLUMNS[column]] = text
        elif column.startswith(CUSTOM_PREFIX):
            custom[column[len(CUSTOM_PREFIX) :]] = text.strip()
        elif column.startswith(CONTACT_PREFIX):
            kind = column[len(CONTACT_PREFIX) :]
            contacts.append(ContactMethod(kind=kind, value=text))
        elif column == "lead":
            values["lead"] = _parse_bool(text, column)
        else:
            values[column] = text
    try:
        return Client(
            **values,
            address=Address(**address) if address else None,
            custom_fields=custom,
            contact_methods=tuple(contacts),
        )
    except (TypeError, ValueError) as error:
        raise RowError(f"the row cannot become a client: {error}") from None


def client_from_document(document: Mapping[str, Any]) -> Client:
    """A `Client` from its unstructured form (``converter.unstructure`` gives it; a JSON
    object); raises `RowError` naming the offending field."""
    from clientbridge.convert import converter

    try:
        client: Client = converter.structure(document, Client)
    except Exception as error:  # cattrs groups the model's own errors
        raise RowError(_structure_problem(error)) from None
    return client


def _structure_problem(error: Exception) -> str:
    from cattrs import transform_error

    try:
        return "; ".join(transform_error(error, path="client"))
    except Exception:  # not a cattrs error: the model's converter refused a value
        return str(error)


#: Words that say what kind of field a header is about; the last one found wins
#: ("Business Phone" is a phone, "Contact ID" an id, "Organization Title" a title).
_KIND_WORDS: Mapping[str, str] = {
    **dict.fromkeys(("phone", "tel", "telephone", "mobile", "cell", "fax", "pager"), "phone"),
    **dict.fromkeys(("email", "e-mail", "mail"), "email"),
    **dict.fromkeys(("street", "address", "addr", "line"), "street"),
    **dict.fromkeys(("zip", "postcode", "postal"), "postal"),
    **dict.fromkeys(("city", "town"), "city"),
    **dict.fromkeys(("state", "region", "province", "county"), "region"),
    "country": "country",
    **dict.fromkeys(("id", "ref", "reference"), "id"),
    **dict.fromkeys(("title", "salutation", "prefix", "position", "role"), "title"),
    **dict.fromkeys(("company", "organisation", "organization", "business", "account"), "company"),
    **dict.fromkeys(("name", "first", "last", "surname", "forename", "given", "family"), "name"),
}

#: The field a header's last kind word names on its own ("Address Zip" is a postcode),
#: suggested when no known spelling is close.
_WORD_FIELD: Mapping[str, str] = {
    **dict.fromkeys(("zip", "postcode", "postal"), "address_postal_code"),
    **dict.fromkeys(("city", "town"), "address_city"),
    **dict.fromkeys(("state", "province", "county", "region"), "address_region"),
    "country": "address_country",
    "street": "address_line1",
    **dict.fromkeys(("email", "e-mail"), "email"),
    **dict.fromkeys(("phone", "telephone", "mobile"), "phone"),
    "fax": "contact.fax",
    **dict.fromkeys(("company", "organisation", "organization"), "company_name"),
}

_FIELD_KIND: Mapping[str, str] = {
    "first_name": "name",
    "last_name": "name",
    "name": "name",
    "email": "email",
    "phone": "phone",
    "company_name": "company",
    "title": "title",
    "external_id": "id",
    "address_line1": "street",
    "address_line2": "street",
    "address_line3": "street",
    "address_city": "city",
    "address_region": "region",
    "address_postal_code": "postal",
    "address_country": "country",
    "address_uprn": "street",
}
