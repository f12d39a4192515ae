"""Value checks and normalisers shared by adapters (email, URL, phone).

Heavy libraries (phonenumbers' metadata, email-validator) are imported on first use so
that ``import clientbridge`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from clientbridge.adapters.base import FieldProblem, Picked, Picker
from clientbridge.model import Client

__all__ = ["DEFAULT_PHONE_REGION", "e164", "e164_phone", "valid_email", "valid_http_url"]


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
#: built-in providers are UK products (ProConvey's ``default_region`` setting changes it).
DEFAULT_PHONE_REGION = "GB"


@lru_cache(maxsize=4096)
def e164(number: str, default_region: str) -> str:
    """``number`` in E.164; raises `FieldProblem` when it is not a possible number."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, default_region)
    except phonenumbers.NumberParseException as error:
        raise FieldProblem(f"{number!r} is not a phone number ({error})") from None
    if not phonenumbers.is_possible_number(parsed):
        raise FieldProblem(f"{number!r} is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164_phone(default_region: Callable[[], str]) -> Picker:
    """``client.phone`` normalised to E.164; ``default_region`` reads national numbers."""

    def pick(client: Client) -> Picked | None:
        if client.phone is None:
            return None
        return Picked(e164(client.phone, default_region()), ("phone",))

    return pick
