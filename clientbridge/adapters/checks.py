"""Value checks and normalisers shared by adapters (email, URL, phone, country).

This module owns the phone rule (SPEC §2.1): a number without its country code is read
in the region of ``address.country``, else the adapter's default region, and must be
valid there or lie in a range reserved for fiction. Heavy libraries (phonenumbers'
metadata, email-validator, pycountry) are imported on first use so that
``import clientbridge`` stays light.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from clientbridge.adapters.base import FieldProblem, Picked, Picker
from clientbridge.countries import is_country_code
from clientbridge.model import Address, Client

__all__ = [
    "DEFAULT_PHONE_REGION",
    "FICTION_PHONE_RANGES",
    "client_e164",
    "country_problem",
    "e164",
    "e164_phone",
    "phone_region",
    "valid_email",
    "valid_http_url",
]


@lru_cache(maxsize=4096)
def _email_problem(value: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as error:
        return f"is not a valid email address ({error})"
    return None


def valid_email(value: Any) -> str | None:
    """None when ``value`` is a syntactically valid email address, else the problem."""
    if not isinstance(value, str):
        return "must be text"
    return _email_problem(value)


def valid_http_url(value: Any) -> str | None:
    """None when ``value`` is an absolute http(s) URL, else the problem."""
    if not isinstance(value, str):
        return "must be text"
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or " " in value:
        return "must be an absolute http(s) URL"
    return None


#: The region national phone numbers are read in when nothing says otherwise: the four
#: built-in providers are UK products (an adapter's ``default_region`` setting changes it).
DEFAULT_PHONE_REGION = "GB"

#: Numbers reserved for fiction (drama, examples, tests), in E.164. phonenumbers does not
#: call them valid, but they are accepted: Ofcom's UK mobile 07700 900000-900999,
#: geographic 01632 960000-960999 and London 020 7946 0000-0999, and the North
#: American 555-0100-0199 (any area code).
FICTION_PHONE_RANGES: tuple[str, ...] = (
    r"\+447700900\d{3}",
    r"\+441632960\d{3}",
    r"\+442079460\d{3}",
    r"\+1[2-9]\d{2}55501\d{2}",
)
_FICTION = re.compile("|".join(FICTION_PHONE_RANGES))

_GIVE_COUNTRY_CODE = "give it with its country code (e.g. +44 7700 900123, +1 617 253 1000)"


@lru_cache(maxsize=4096)
def e164(number: str, region: str) -> str:
    """``number`` in E.164, a number without its country code read in ``region``.

    Raises `FieldProblem` unless the number is valid (``phonenumbers.is_valid_number``)
    or lies in a range reserved for fiction (`FICTION_PHONE_RANGES`).
    """
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, region, keep_raw_input=True)
    except phonenumbers.NumberParseException as error:
        raise FieldProblem(
            f"{number!r} is not a phone number ({error}); {_GIVE_COUNTRY_CODE}"
        ) from None
    written = str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    if phonenumbers.is_valid_number(parsed) or _FICTION.fullmatch(written):
        return written
    if parsed.country_code_source == phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY:
        raise FieldProblem(
            f"{number!r} is not a valid {region} phone number (a number without its country "
            f"code is read in the address's country, else in {region}); if it is not a "
            f"{region} number, {_GIVE_COUNTRY_CODE}"
        )
    raise FieldProblem(
        f"{number!r} is not a valid phone number for country code +{parsed.country_code}; "
        "check the number and its country code"
    )


def country_problem(address: Address | None) -> str | None:
    """Why ``address.country`` cannot be read, or None (no country, or a code)."""
    if address is None or address.country is None or is_country_code(address.country):
        return None
    return (
        f"{address.country!r} names no country; give an ISO 3166-1 code (GB, US...) or the "
        "country's name"
    )


def phone_region(client: Client, default_region: str) -> str:
    """The region a number of ``client`` without its country code is read in: the
    address's country when set, else ``default_region``. Raises `FieldProblem` on
    ``address.country`` when that names no country."""
    address = client.address
    if address is None or address.country is None:
        return default_region
    problem = country_problem(address)
    if problem is not None:
        raise FieldProblem(problem, field="address.country")
    return address.country


def client_e164(client: Client, number: str, default_region: str) -> str:
    """``number`` (``client.phone`` or one of its channels) in E.164, read in the region
    of ``client``'s address country, else in ``default_region``; raises `FieldProblem`."""
    if number.lstrip().startswith("+"):
        return e164(number, default_region)  # its own country code: no region is read
    return e164(number, phone_region(client, default_region))


def e164_phone(default_region: Callable[[], str]) -> Picker:
    """``client.phone`` in E.164; a number without its country code is read in the
    address's country, else in ``default_region()``."""

    def pick(client: Client) -> Picked | None:
        if client.phone is None:
            return None
        return Picked(client_e164(client, client.phone, default_region()), ("phone",))

    return pick
