"""Reading answers: error statuses into the pinned exceptions, and the shared readers.

`ResponseReading` is the part of an adapter that turns an HTTP answer into what the
caller gets when it is not a created record: the exception class from the adapter's
``error_table``, the provider's message and per-field errors from the body (redacted),
and advice on what to do. Adapters inherit it through `Adapter` and override its hooks
(`error_class`, `error_details`) where a provider's errors need it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

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
from clientbridge.secrets import Secret, redact_text, redact_value
from clientbridge.wire import HttpResponse, JSONValue

__all__ = [
    "DEFAULT_ERROR_TABLE",
    "READ_ERRORS",
    "ResponseReading",
    "parse_timestamp",
    "text_or_none",
]

#: What reading an unexpected JSON shape raises; turned into `UnexpectedResponseError`.
READ_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)

ERROR_ADVICE: Mapping[type[ProviderError], str] = {
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

MESSAGE_KEYS = ("message", "error_description", "detail", "error", "title", "reason")


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
    if type(value) is str or value is None:  # the common cases first: one C check each
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


class ResponseReading:
    """Error mapping and answer reading, shared by every adapter (see `Adapter`)."""

    name: ClassVar[str]
    display_name: ClassVar[str]
    error_table: ClassVar[Mapping[int, type[ProviderError]]] = DEFAULT_ERROR_TABLE
    #: response keys holding personal data: masked in errors, logged only at DEBUG
    sensitive_keys: ClassVar[frozenset[str]] = frozenset()

    def secrets(self) -> tuple[Secret, ...]:
        """The credentials to mask in whatever an answer shows (the adapter's)."""
        return ()

    def neutral_field(self, wire_field: str) -> str:
        """The neutral name of a wire field, or the wire name when there is none."""
        return wire_field

    def json_body(self, response: HttpResponse) -> JSONValue:
        try:
            return response.json()
        except ValueError:
            raise self.unexpected(
                f"the response (HTTP {response.status_code}) is not JSON", response
            ) from None

    def unexpected(
        self, what: str, response: HttpResponse | None = None, *, maybe_created: bool = True
    ) -> UnexpectedResponseError:
        advice = ERROR_ADVICE[UnexpectedResponseError] if maybe_created else NOTHING_CREATED_ADVICE
        return UnexpectedResponseError(
            f"{self.display_name} answered in a way clientbridge cannot read: {what}. {advice}.",
            provider=self.name,
            status_code=response.status_code if response is not None else None,
            maybe_created=maybe_created,
            reason=what,
        )

    def redact(self, value: JSONValue) -> JSONValue:
        """A body with credentials and personal data masked."""
        return redact_value(value, self.secrets(), self.sensitive_keys)

    def error_class(self, response: HttpResponse, body: JSONValue) -> type[ProviderError]:
        """The exception class for an error response (override for body-based rules)."""
        status = response.status_code
        if status in self.error_table:
            return self.error_table[status]
        if status >= 500:
            return ProviderUnavailableError
        return ProviderError

    def error_details(self, body: JSONValue) -> tuple[str | None, tuple[FieldError, ...]]:
        """The provider's message and field errors from an error body (override)."""
        if isinstance(body, str):
            return body[:300] or None, ()
        if not isinstance(body, dict):
            return None, ()
        message = next((body[key] for key in MESSAGE_KEYS if isinstance(body.get(key), str)), None)
        field_errors: list[FieldError] = []
        errors = body.get("errors")
        if isinstance(errors, dict):
            for field, problem in errors.items():
                text = problem[0] if isinstance(problem, list) and problem else problem
                field_errors.append(FieldError(self.neutral_field(str(field)), str(text)))
        elif isinstance(errors, list):
            for item in errors:
                if isinstance(item, dict):
                    field = item.get("field") or item.get("fieldName") or item.get("path")
                    text = item.get("message") or item.get("msg") or ""
                    field_errors.append(FieldError(self.neutral_field(str(field)), str(text)))
        field = body.get("fieldName") or body.get("field")
        if isinstance(field, str) and message:
            field_errors.append(FieldError(self.neutral_field(field), message))
        return message, tuple(field_errors)

    def _location(self, response: HttpResponse) -> str:
        location = response.header("location")
        return redact_text(location, self.secrets()) if location else "another address"

    def error_from_response(
        self, response: HttpResponse, *, answered_create: bool = False
    ) -> ProviderError:
        """The pinned exception for an error response, its body redacted.

        ``answered_create``: the response answered a create, so a ``303 See Other`` (which
        usually points at a record just stored) leaves its outcome unknown.
        """
        try:
            body: JSONValue = response.json()
        except ValueError:
            body = response.content.decode("utf-8", "replace")[:1000]
        body = self.redact(body)
        cls = self.error_class(response, body)
        provider_message, field_errors = self.error_details(body)
        status = response.status_code
        # "…: Invalid API key. Check the credential setting (…)." whatever the provider's
        # punctuation.
        said = f": {provider_message.rstrip(' .')}" if provider_message else ""
        advice = next(
            (text for kind, text in ERROR_ADVICE.items() if issubclass(cls, kind)),
            "see the provider's answer in .body",
        )
        advice = advice[:1].upper() + advice[1:]
        if 300 <= status < 400:
            advice = (
                f"It redirects to {self._location(response)}, and "
                "clientbridge follows no redirect (a create must not be sent elsewhere): "
                "check base_url"
            )
            if status == 303 and answered_create:
                cls = UnexpectedResponseError
                advice += (
                    "; a 303 to a create usually means the client was stored, so check "
                    "whether it exists before retrying"
                )
        # Only the provider's words are redacted (the body above, the Location here): a
        # credential that is a common word must not garble our own text.
        message = f"{self.display_name} answered HTTP {status}{said}. {advice}."
        kwargs: dict[str, Any] = {
            "provider": self.name,
            "status_code": status,
            "body": body,
            "retryable": status in RETRYABLE_STATUSES,
            "errors": field_errors,
        }
        if cls is RateLimitedError:
            return RateLimitedError(message, retry_after=response.retry_after(), **kwargs)
        return cls(message, **kwargs)
