"""The exception tree.

Every exception derives from :class:`ClientBridgeError`. Messages say what went wrong
and what to do about it, name the provider and field where known, and never contain a
credential: response bodies are redacted before they are stored on an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
    "RETRYABLE_STATUSES",
    "AuthenticationError",
    "ClientBridgeError",
    "ConfigurationError",
    "DuplicateClientError",
    "FanoutError",
    "FieldError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProviderError",
    "ProviderUnavailableError",
    "ProviderValidationError",
    "RateLimitedError",
    "TransportError",
    "UnexpectedResponseError",
    "UnknownOutcomeError",
    "UnsupportedFeatureError",
    "ValidationError",
    "is_retryable",
    "outcome_unknown",
]


@attrs.frozen
class FieldError:
    """One problem with one field.

    ``field`` is the neutral field name (``"email"``, ``"address.postal_code"``) where it
    is known, else the provider's own field name.
    """

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ClientBridgeError(Exception):
    """Base class of every error raised by clientbridge."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ConfigurationError(ClientBridgeError):
    """Unknown provider, missing/unknown/invalid setting, or an unsafe base URL."""


def _format_field_errors(errors: tuple[FieldError, ...]) -> str:
    return "; ".join(str(error) for error in errors)


class ValidationError(ClientBridgeError):
    """The client cannot be sent to this provider. No I/O happened."""

    def __init__(
        self, message: str, errors: tuple[FieldError, ...] = (), *, provider: str | None = None
    ) -> None:
        super().__init__(message)
        self.errors = tuple(errors)
        self.provider = provider

    @classmethod
    def from_errors(cls, provider: str, errors: tuple[FieldError, ...]) -> ValidationError:
        summary = _format_field_errors(errors)
        return cls(
            f"the client cannot be sent to {provider}: {summary}. Fix these fields and retry.",
            errors,
            provider=provider,
        )


class UnsupportedFeatureError(ClientBridgeError):
    """A field or feature this provider lacks, raised with ``on_unsupported="error"``."""

    def __init__(self, message: str, *, provider: str, fields: tuple[str, ...]) -> None:
        super().__init__(message)
        self.provider = provider
        self.fields = fields


class TransportError(ClientBridgeError):
    """The network failed.

    ``maybe_sent`` is True when the create may have reached the provider (a read
    timeout, a dropped connection after sending, an answer not complete within the total
    timeout): the client may exist, so do not blindly retry a create. It is False when
    nothing that creates was sent: the connection failed before sending, or a look-up
    the create needed first failed.
    """

    def __init__(
        self,
        message: str,
        *,
        maybe_sent: bool,
        provider: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent
        self.provider = provider
        #: what failed, without advice (e.g. "GET to <provider> failed (ReadTimeout: ...)")
        self.reason = reason


class UnknownOutcomeError(ClientBridgeError):
    """An earlier attempt with this ledger key may have created the client, and the
    provider cannot be asked (or its look-up has not found it yet). Nothing was sent.

    ``key`` is the ledger key; ``retry_after`` the seconds after which the same call can
    settle it (the look-up's "not found" is trusted then), or None when waiting will not
    help: check the provider, then call again with ``resend_unknown=True`` if it does not
    hold the client.
    """

    def __init__(
        self,
        message: str,
        *,
        key: str,
        retry_after: float | None = None,
        provider: str | None = None,
    ) -> None:
        super().__init__(message)
        self.key = key
        self.retry_after = retry_after
        self.provider = provider


class ProviderError(ClientBridgeError):
    """The provider answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status_code: int | None = None,
        body: Mapping[str, Any] | list[Any] | str | None = None,
        retryable: bool = False,
        errors: tuple[FieldError, ...] = (),
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status_code = status_code
        #: the provider's answer, redacted of credentials and personal data
        self.body = body
        #: True when sending the same request again may succeed and cannot duplicate
        self.retryable = retryable
        self.errors = tuple(errors)


class AuthenticationError(ProviderError):
    """401: the credential is missing, wrong or expired."""


class PermissionDeniedError(ProviderError):
    """403: the credential lacks a permission."""


class NotFoundError(ProviderError):
    """404: e.g. an unknown workspace or organisation."""


class ProviderValidationError(ProviderError):
    """400/422: the provider rejected the data; ``.errors`` holds what it said per field."""


class DuplicateClientError(ProviderError):
    """409, or the provider's "already exists" answer for this client."""


class RateLimitedError(ProviderError):
    """429: too many requests; ``.retry_after`` is the provider's hint in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("retryable", True)
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ProviderUnavailableError(ProviderError):
    """5xx: the provider failed. Only a 503 is known not to have processed the request."""


class UnexpectedResponseError(ProviderError):
    """A success status whose body we cannot understand (not JSON, no id, wrong shape).

    ``maybe_created`` is True when it answered a create (the client may exist), False
    when it answered a look-up (nothing was created).
    """

    def __init__(
        self,
        message: str,
        *,
        maybe_created: bool = True,
        reason: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.maybe_created = maybe_created
        #: what could not be read, without advice (e.g. "the response is not JSON")
        self.reason = reason


#: statuses after which a create may be sent again: the provider did not process it
#: (429 too many requests, 503 unavailable). Any other error status may hide a stored record.
RETRYABLE_STATUSES = frozenset({429, 503})


def is_retryable(error: BaseException) -> bool:
    """True when sending the same create again may succeed and cannot make a duplicate.

    That is a provider error marked retryable (429, 503) or a transport failure that
    provably sent nothing. The opposite of "retryable" is not "final": see
    `outcome_unknown` for the failures after which the client may already exist.
    """
    if isinstance(error, ProviderError):
        return error.retryable
    return isinstance(error, TransportError) and not error.maybe_sent


def outcome_unknown(error: BaseException) -> bool:
    """True when the create may have happened although it raised ``error``.

    That is a transport failure after the request may have been sent, a 500/502/504 to
    the create (the provider may have stored the record before failing; not one to a
    look-up before it), or a success answer we could not read. Such a create must not be
    retried blindly.
    """
    if isinstance(error, TransportError):
        return error.maybe_sent
    if isinstance(error, UnexpectedResponseError):
        return error.maybe_created
    if isinstance(error, ProviderUnavailableError):
        # Retryable: the provider said it did not process it (503), or it answered a
        # look-up the create needed first, so the create was never sent.
        return not error.retryable and error.status_code != 503
    return False


class FanoutError(ClientBridgeError):
    """Some connections of a group did not create the client (see `FanoutResult`).

    ``errors`` maps each failed connection's name to its error; the connections that
    created the client keep it (clientbridge never deletes).
    """

    def __init__(self, errors: Mapping[str, ClientBridgeError]) -> None:
        self.errors: Mapping[str, ClientBridgeError] = dict(errors)
        failed = "; ".join(f"{name}: {error}" for name, error in self.errors.items())
        count = len(self.errors)
        plural = "s" if count != 1 else ""
        super().__init__(f"the client was not created in {count} connection{plural}: {failed}")
