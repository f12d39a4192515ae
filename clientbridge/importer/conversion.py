"""Row -> `Client`: column values (or a JSON document) become a `Client`, or a `RowError`
naming the value and why."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from clientbridge.importer.errors import RowError
from clientbridge.importer.vocabulary import ADDRESS_COLUMNS, CONTACT_PREFIX, CUSTOM_PREFIX
from clientbridge.model import Address, Client, ContactMethod

__all__ = ["client_from_document", "client_from_fields"]

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
