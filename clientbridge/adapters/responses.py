"""Responses: turning a provider's answer into the pinned exceptions, with advice.

An error status becomes the exception its table names (`DEFAULT_ERROR_TABLE`, 5xx:
`ProviderUnavailableError`), with the provider's message and field errors read from
the body, the body redacted, and one advice sentence. A success that cannot be read
becomes `UnexpectedResponseError`, whose advice depends on whether the answer was to a
create (the client may exist) or to a look-up (nothing was created).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from clientbridge.errors import (
    RETRYABLE_STATUSES,
    AuthenticationError,
    DuplicateClientError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    ProviderUnavailableError,
    ProviderValidationError,
    RateLimitedError,
    UnexpectedResponseError,
)
from clientbridge.secrets import Secret, redact_text
from clientbridge.wire import HttpResponse, JSONValue

__all__ = [
    "DEFAULT_ERROR_TABLE",
    "READ_ERRORS",
    "error_class",
    "error_details",
    "parse_timestamp",
    "provider_error",
    "text_or_none",
    "unexpected_error",
]

#: What reading an unexpected JSON shape raises; turned into `UnexpectedResponseError`.
READ_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)

_ERROR_ADVICE: Mapping[type[ProviderError], str] = {
    AuthenticationError: "check the credential setting (it is missing, wrong or expired)",
    PermissionDeniedError: "give the credential the permission the provider asks for",
    NotFoundError: "check the base_url and the ids in your settings",
    ProviderValidationError: "fix the fields the provider names and retry",
    DuplicateClientError: "the client already exists; look it up instead of creating it",
    RateLimitedError: "slow down or retry after the delay the provider gave",
    ProviderUnavailableError: "the provider failed; check whether the client was created "
    "before retrying",
    UnexpectedResponseError: "the client may have been created; check before retrying",
}
#: The advice of an `UnexpectedResponseError` that answered a look-up, not a create.
NOTHING_CREATED_ADVICE = "Nothing was created; check the settings and try again"

#: The HTTP meaning of each status every provider page documents the same way.
DEFAULT_ERROR_TABLE: Mapping[int, type[ProviderError]] = {
    400: ProviderValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: DuplicateClientError,
    422: ProviderValidationError,
    429: RateLimitedError,
}

_MESSAGE_KEYS = ("message", "error_description", "detail", "error", "title", "reason")


def parse_timestamp(value: object) -> datetime | None:
    """An ISO-8601 timestamp (``Z`` accepted), or None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def text_or_none(value: object) -> str | None:
    """A JSON value as text for the neutral model (numbers become text, other types None)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def unexpected_error(
    provider: str,
    display_name: str,
    what: str,
    response: HttpResponse | None = None,
    *,
    maybe_created: bool = True,
) -> UnexpectedResponseError:
    """A success answer that cannot be read: ``what`` says why; ``maybe_created`` is
    False when it answered a look-up (the advice then says nothing was created)."""
    advice = _ERROR_ADVICE[UnexpectedResponseError] if maybe_created else NOTHING_CREATED_ADVICE
    return UnexpectedResponseError(
        f"{display_name} answered in a way clientbridge cannot read: {what}. {advice}.",
        provider=provider,
        status_code=response.status_code if response is not None else None,
        maybe_created=maybe_created,
        reason=what,
    )


def error_class(status: int, error_table: Mapping[int, type[ProviderError]]) -> type[ProviderError]:
    """The exception class ``error_table`` gives ``status`` (5xx: unavailable)."""
    if status in error_table:
        return error_table[status]
    if status >= 500:
        return ProviderUnavailableError
    return ProviderError


def error_details(
    body: JSONValue, neutral_field: Callable[[str], str]
) -> tuple[str | None, tuple[FieldError, ...]]:
    """The provider's message and field errors from an error body; ``neutral_field``
    names a wire field the way the caller knows it."""
    if isinstance(body, str):
        return body[:300] or None, ()
    if not isinstance(body, dict):
        return None, ()
    message = next((body[key] for key in _MESSAGE_KEYS if isinstance(body.get(key), str)), None)
    field_errors: list[FieldError] = []
    errors = body.get("errors")
    if isinstance(errors, dict):
        for field, problem in errors.items():
            text = problem[0] if isinstance(problem, list) and problem else problem
            field_errors.append(FieldError(neutral_field(str(field)), str(text)))
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                field = item.get("field") or item.get("fieldName") or item.get("path")
                text = item.get("message") or item.get("msg") or ""
                field_errors.append(FieldError(neutral_field(str(field)), str(text)))
    field = body.get("fieldName") or body.get("field")
    if isinstance(field, str) and message:
        field_errors.append(FieldError(neutral_field(field), message))
    return message, tuple(field_errors)


def provider_error(
    response: HttpResponse,
    body: JSONValue,
    cls: type[ProviderError],
    details: tuple[str | None, tuple[FieldError, ...]],
    *,
    provider: str,
    display_name: str,
    secrets: tuple[Secret, ...],
    answered_create: bool = False,
) -> ProviderError:
    """The exception for an error ``response`` whose (redacted) ``body`` was read into
    ``details``. ``answered_create``: a ``303 See Other`` to a create (which usually
    points at a record just stored) leaves its outcome unknown."""
    provider_message, field_errors = details
    status = response.status_code
    # "…: Invalid API key. Check the credential setting (…)." whatever the provider's
    # punctuation.
    said = f": {provider_message.rstrip(' .')}" if provider_message else ""
    advice = next(
        (text for kind, text in _ERROR_ADVICE.items() if issubclass(cls, kind)),
        "see the provider's answer in .body",
    )
    advice = advice[:1].upper() + advice[1:]
    if 300 <= status < 400:
        advice = (
            f"It redirects to {response.header('location') or 'another address'}, and "
            "clientbridge follows no redirect (a create must not be sent elsewhere): "
            "check base_url"
        )
        if status == 303 and answered_create:
            cls = UnexpectedResponseError
            advice += (
                "; a 303 to a create usually means the client was stored, so check "
                "whether it exists before retrying"
            )
    message = redact_text(f"{display_name} answered HTTP {status}{said}. {advice}.", secrets)
    kwargs: dict[str, Any] = {
        "provider": provider,
        "status_code": status,
        "body": body,
        "retryable": status in RETRYABLE_STATUSES,
        "errors": field_errors,
    }
    if cls is RateLimitedError:
        return RateLimitedError(message, retry_after=response.retry_after(), **kwargs)
    return cls(message, **kwargs)
