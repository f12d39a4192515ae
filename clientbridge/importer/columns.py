"""Columns: how a spreadsheet header is understood, and how a row becomes a `Client`.

A column is named by a `Client` field (``first_name``, ``email``...), an address part
(``address_line1`` ... ``address_uprn``), a custom field (``custom.<key>``) or an extra
contact channel (``contact.<kind>``, e.g. ``contact.whatsapp``). Headers are matched
without regard to case, spaces, underscores, hyphens and dots, and the spellings CRM and
spreadsheet exports use (``First Name``, ``Email Address``, ``Mobile``, ``Postcode``,
``Zip``, ``Company``, ``Address 1``...) are recognised. Anything else is mapped by the
caller (``--map "Given name=first_name"``) or refused before anything is sent.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from clientbridge.errors import ConfigurationError
from clientbridge.model import Address, Client, ContactKind, ContactMethod

__all__ = [
    "CLIENT_COLUMNS",
    "ColumnMap",
    "ImportSetupError",
    "RowError",
    "client_from_document",
    "client_from_fields",
    "read_mapping_file",
]


class ImportSetupError(ConfigurationError):
    """The import cannot start: unknown columns, an unreadable file, a journal that
    belongs to another file or target. Nothing was sent."""


class RowError(Exception):
    """One row cannot become a `Client`; the message says which value and why."""


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
_TRUE = frozenset({"true", "yes", "y", "1", "x", "lead"})
_FALSE = frozenset({"false", "no", "n", "0", ""})


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


@attrs.frozen
class ColumnMap:
    """Which file column feeds which `Client` field; ``None`` marks an ignored column."""

    headers: tuple[str, ...]
    targets: tuple[str | None, ...]

    @classmethod
    def from_header(
        cls,
        headers: Sequence[str],
        overrides: Mapping[str, str] | None = None,
        *,
        ignore_unknown: bool = False,
    ) -> ColumnMap:
        """Understand ``headers``; raises `ImportSetupError` naming every problem at once.

        ``overrides`` maps a header as written in the file (compared like any header) to a
        column name, or to ``""`` to ignore that column.
        """
        pending = {
            header_key(header): (header, target) for header, target in (overrides or {}).items()
        }
        targets: list[str | None] = []
        unknown: list[tuple[int, str]] = []
        for position, header in enumerate(headers, start=1):
            override = pending.pop(header_key(header), None)
            if override is not None:
                targets.append(_override_target(*override))
            else:
                target = resolve_column(header)
                if target is None:
                    unknown.append((position, header))
                targets.append(target)
        if pending:
            names = [header for header, _ in pending.values()]
            raise ImportSetupError(
                f"--map names {', '.join(repr(name) for name in names)}, which "
                f"{'is' if len(names) == 1 else 'are'} not in the file's header "
                f"({', '.join(repr(header) for header in headers)})"
            )
        if unknown and not ignore_unknown:
            raise ImportSetupError(_unknown_message(unknown))
        _refuse_duplicates(headers, targets)
        return cls(headers=tuple(headers), targets=tuple(targets))

    @property
    def used(self) -> dict[str, str]:
        """File header → column, for the columns that are read."""
        return {
            header: target
            for header, target in zip(self.headers, self.targets, strict=True)
            if target is not None
        }

    def client(self, cells: Sequence[str]) -> Client:
        """The `Client` for one row; raises `RowError`."""
        if len(cells) != len(self.targets):
            raise RowError(
                f"the row has {len(cells)} cells but the header has {len(self.targets)}; "
                "check for a stray delimiter or an unclosed quote"
            )
        return client_from_fields(
            (target, cell) for target, cell in zip(self.targets, cells, strict=True) if target
        )


def _override_target(header: str, override: str) -> str | None:
    if override.strip() in {"", "-"}:
        return None
    target = resolve_column(override)
    if target is None:
        raise ImportSetupError(
            f"--map {header}={override}: {override!r} is not a column clientbridge knows; "
            f"use one of {', '.join(known_columns())}, or leave it empty to ignore the column"
        )
    return target


def _unknown_message(unknown: list[tuple[int, str]]) -> str:
    described = []
    for position, header in unknown:
        if not header.strip():
            described.append(f"column {position} (no name)")
            continue
        close = difflib.get_close_matches(header_key(header), list(_INDEX), n=1, cutoff=0.75)
        hint = f" (did you mean {_INDEX[close[0]]}?)" if close else ""
        described.append(f"{header!r}{hint}")
    many = len(unknown) > 1
    return (
        f"unknown column{'s' if many else ''}: {', '.join(described)}. Map "
        f'{"them" if many else "it"} with --map "HEADER=FIELD" (FIELD is one of '
        f"{', '.join(known_columns())}), or pass --ignore-unknown-columns to skip "
        f"{'them' if many else 'it'}. Nothing was sent."
    )


def _refuse_duplicates(headers: Sequence[str], targets: Sequence[str | None]) -> None:
    seen: dict[str, str] = {}
    for header, target in zip(headers, targets, strict=True):
        if target is None:
            continue
        if target in seen:
            raise ImportSetupError(
                f"columns {seen[target]!r} and {header!r} both fill {target}; ignore one "
                f'with --map "{header}=" or map it to another field'
            )
        seen[target] = header


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


def split_pairs(
    values: Iterable[str], refuse: Callable[[str], Exception]
) -> Iterator[tuple[str, str]]:
    """``KEY=VALUE`` items as stripped ``(key, value)`` pairs (the value may be empty).

    An item without ``=`` or without a key raises what ``refuse(item)`` returns: the
    caller words the message (and decides whether the item may be quoted back).
    """
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise refuse(item)
        yield key.strip(), value.strip()


def parse_mapping_option(values: Iterable[str]) -> dict[str, str]:
    """``["Given name=first_name", "Notes="]`` → ``{"Given name": "first_name", "Notes": ""}``."""
    return dict(split_pairs(values, _refuse_mapping))


def _refuse_mapping(item: str) -> ImportSetupError:
    return ImportSetupError(
        f'--map {item!r}: write it as "HEADER=FIELD" (e.g. "Given name=first_name"), '
        'or "HEADER=" to ignore a column'
    )


def read_mapping_file(path: str | Path) -> dict[str, str]:
    """A column mapping from a file: a JSON object, a TOML table (optionally under
    ``[columns]``), or lines of ``HEADER=FIELD`` (``#`` starts a comment)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ImportSetupError(f"cannot read the mapping file {file}: {error}") from None
    except UnicodeDecodeError:
        raise ImportSetupError(f"the mapping file {file} is not UTF-8 text") from None
    document: object
    if file.suffix.lower() == ".json":
        try:
            document = json.loads(text)
        except ValueError as error:
            raise ImportSetupError(f"the mapping file {file} is not valid JSON: {error}") from None
    elif file.suffix.lower() == ".toml":
        from clientbridge._toml import TOMLDecodeError, parse_toml

        try:
            document = parse_toml(text)
        except TOMLDecodeError as error:
            raise ImportSetupError(f"the mapping file {file} is not valid TOML: {error}") from None
        if isinstance(document, dict) and isinstance(document.get("columns"), dict):
            document = document["columns"]
    else:
        lines = [line.strip() for line in text.splitlines()]
        return parse_mapping_option(line for line in lines if line and not line.startswith("#"))
    if not isinstance(document, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in document.items()
    ):
        raise ImportSetupError(
            f"the mapping file {file} must map each header to a field name, e.g. "
            '{"Given name": "first_name"}'
        )
    return dict(document)
