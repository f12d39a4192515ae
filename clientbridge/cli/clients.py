"""Flags → `Client`: the client options of ``create`` and ``preview``."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import click

import clientbridge as cb
from clientbridge.cli._base import UsageFailure
from clientbridge.cli.target import pairs

__all__ = ["client_from_options", "client_options"]

F = TypeVar("F", bound=Callable[..., Any])

_CLIENT_FLAGS: tuple[tuple[str, str, str], ...] = (
    ("--first-name", "first_name", "Given name."),
    ("--last-name", "last_name", "Family name."),
    ("--name", "name", "Display name (default: first and last name)."),
    ("--email", "email", "Email address."),
    ("--phone", "phone", "Phone number, in any common notation."),
    ("--company", "company_name", "Company or organisation name."),
    ("--title", "title", "Mr, Mrs, Ms, Dr..."),
    ("--avatar-url", "avatar_url", "An absolute http(s) URL."),
    ("--source", "source", "Acquisition source (website, referral...)."),
    ("--external-id", "external_id", "Your own id for the client."),
    ("--address-line1", "address_line1", "Address, first line."),
    ("--address-line2", "address_line2", "Address, second line."),
    ("--address-line3", "address_line3", "Address, third line."),
    ("--city", "address_city", "Town or city."),
    ("--region", "address_region", "State or county."),
    ("--postal-code", "address_postal_code", "Postcode or ZIP code."),
    ("--country", "address_country", "Country code or name (GB, United Kingdom, USA...)."),
    ("--uprn", "address_uprn", "UK Unique Property Reference Number."),
)

_OPTIONS = [
    *(click.option(flag, dest, metavar="TEXT", help=text) for flag, dest, text in _CLIENT_FLAGS),
    click.option("--lead", is_flag=True, help="Create a lead where the provider has leads."),
    click.option(
        "--custom",
        metavar="KEY=VALUE",
        multiple=True,
        help="A provider custom field; repeatable.",
    ),
    click.option(
        "--contact",
        metavar="KIND=VALUE",
        multiple=True,
        help="An extra channel (whatsapp=..., fax=...); repeatable.",
    ),
    click.option(
        "--client-json",
        "json_text",
        metavar="JSON|@FILE|-",
        help="The client as JSON (the form cb.converter gives); flags override its fields.",
    ),
]
_NAMES = [dest for _, dest, _ in _CLIENT_FLAGS] + ["lead", "custom", "contact", "json_text"]


def client_options(function: F) -> F:
    """The client flags; they reach the command as one mapping, its ``client`` argument."""

    @functools.wraps(function)
    def command(*args: Any, **kwargs: Any) -> Any:
        kwargs["client"] = {name: kwargs.pop(name) for name in _NAMES}
        return function(*args, **kwargs)

    decorated = cast("F", command)
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return decorated


def _read_json_argument(text: str) -> Any:
    if text == "-":
        source = sys.stdin.read()
    elif text.startswith("@"):
        try:
            source = Path(text[1:]).read_text(encoding="utf-8-sig")
        except OSError as error:
            raise UsageFailure(f"--client-json {text}: {error.strerror or error}") from None
    else:
        source = text
    try:
        return json.loads(source)
    except ValueError as error:
        raise UsageFailure(f"--client-json is not valid JSON: {error}") from None


def client_from_options(options: Mapping[str, Any]) -> cb.Client:
    """The `Client` of ``create``/``preview``: ``--client-json`` first, then the flags
    over it."""
    from clientbridge.importer.errors import RowError
    from clientbridge.importer.reading.vocabulary import ADDRESS_COLUMNS, client_from_document

    data: dict[str, Any] = {}
    if options.get("json_text"):
        document = _read_json_argument(options["json_text"])
        if not isinstance(document, dict):
            raise UsageFailure("--client-json must be a JSON object (a client's fields)")
        data = document
    for _, dest, _ in _CLIENT_FLAGS:
        value = options.get(dest)
        if value is None:
            continue
        if dest in ADDRESS_COLUMNS:
            data.setdefault("address", {})[ADDRESS_COLUMNS[dest]] = value
        else:
            data[dest] = value
    if options.get("lead"):
        data["lead"] = True
    for key, value in pairs(options.get("custom", ()), "--custom"):
        data.setdefault("custom_fields", {})[key] = value
    for kind, value in pairs(options.get("contact", ()), "--contact"):
        data.setdefault("contact_methods", []).append({"kind": kind, "value": value})
    if not data:
        raise UsageFailure(
            "describe the client with flags (--first-name, --email...) or --client-json"
        )
    try:
        return client_from_document(data)
    except RowError as error:
        raise UsageFailure(f"the client is not valid: {error}") from None
