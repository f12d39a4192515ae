"""What a create gives back: `CreateResult`, `BatchResult`, `Failure` and the status enums."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import attrs

from clientbridge.errors import ClientBridgeError, FanoutError
from clientbridge.model import Client, FrozenMapping

__all__ = [
    "BatchResult",
    "ClientStatus",
    "CreateResult",
    "CredentialCheck",
    "Failure",
    "FanoutResult",
    "InviteStatus",
    "Success",
]


class ClientStatus(str, enum.Enum):
    """The client's lifecycle state, normalised across providers."""

    NEW = "new"
    ACTIVE = "active"
    LEAD = "lead"
    PENDING = "pending"
    CLOSED = "closed"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


class InviteStatus(str, enum.Enum):
    """The state of the client's portal invitation, where the provider has one."""

    NOT_INVITED = "not_invited"
    INVITED = "invited"
    INVITE_FAILED = "invite_failed"
    CONNECTED = "connected"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return value if type(value) is tuple else tuple(value)


def _frozen_raw(value: Mapping[str, object]) -> Mapping[str, object]:
    return value if isinstance(value, FrozenMapping) else FrozenMapping(value)


@attrs.frozen(kw_only=True)
class CreateResult:
    """One created client, normalised. ``client`` is the record as the provider stored it."""

    provider: str
    id: str
    status: ClientStatus
    client: Client
    invite: InviteStatus | None = None
    provider_status: str | None = None
    created_at: datetime | None = None
    warnings: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    dropped_fields: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    raw: Mapping[str, object] = attrs.field(factory=FrozenMapping, converter=_frozen_raw)
    #: True when no create was sent: a ledger (or a look-up it made) already knew the client
    replayed: bool = False


@attrs.frozen(kw_only=True)
class Failure:
    """A client of a batch that was not created. ``index`` is its position in the input."""

    index: int
    client: Client
    error: ClientBridgeError

    @property
    def ok(self) -> bool:
        """Always False: this client was not created (see `Success.ok`)."""
        return False


@attrs.frozen(kw_only=True)
class Success:
    """A client of a batch that was created. ``index`` is its position in the input."""

    index: int
    result: CreateResult

    @property
    def ok(self) -> bool:
        """Always True: this client was created (see `Failure.ok`)."""
        return True


def _results(value: Iterable[CreateResult]) -> tuple[CreateResult, ...]:
    return tuple(value)


def _failures(value: Iterable[Failure]) -> tuple[Failure, ...]:
    return tuple(value)


def _indices(value: Iterable[int]) -> tuple[int, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class BatchResult:
    """The outcome of ``create_many``: what was created and what failed, in input order."""

    succeeded: tuple[CreateResult, ...] = attrs.field(default=(), converter=_results)
    failed: tuple[Failure, ...] = attrs.field(default=(), converter=_failures)
    #: the input position of each entry of ``succeeded``
    succeeded_indices: tuple[int, ...] = attrs.field(default=(), converter=_indices, repr=False)

    @property
    def ok(self) -> bool:
        """True when no client failed."""
        return not self.failed

    def __len__(self) -> int:
        return len(self.succeeded) + len(self.failed)

    @property
    def successes(self) -> tuple[Success, ...]:
        """Each created client's result with its position in the input."""
        return tuple(
            Success(index=index, result=result)
            for index, result in zip(self.succeeded_indices, self.succeeded, strict=True)
        )

    def __iter__(self) -> Iterator[Success | Failure]:
        """Every input's outcome, in input order: a `Success` or a `Failure` (``.ok``
        tells them apart, ``.index`` is the position in the input)."""
        outcomes: list[Success | Failure] = [*self.successes, *self.failed]
        outcomes.sort(key=lambda outcome: outcome.index)
        return iter(outcomes)


@attrs.frozen(kw_only=True)
class CredentialCheck:
    """What `Connection.check_credentials` found.

    ``checked`` is False when the provider documents no harmless read to try the
    credential with (only creating a client would prove it); ``request`` is the read
    that was made (``"GET https://host/path"``, no query string), and ``error`` what it
    failed with. ``ok`` is True when nothing failed.
    """

    provider: str
    checked: bool
    request: str | None = None
    error: ClientBridgeError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _by_connection(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return FrozenMapping(value)


@attrs.frozen(kw_only=True)
class FanoutResult:
    """One client sent to several connections: what each one did with it.

    ``results`` holds a `CreateResult` per connection that created the client and
    ``errors`` the error of each one that did not, both keyed by connection name in the
    group's order. A connection the client was not routed to is in neither.
    """

    client: Client
    results: Mapping[str, CreateResult] = attrs.field(
        factory=FrozenMapping, converter=_by_connection
    )
    errors: Mapping[str, ClientBridgeError] = attrs.field(
        factory=FrozenMapping, converter=_by_connection
    )

    @property
    def ok(self) -> bool:
        """True when every connection asked created the client."""
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise `FanoutError` (holding ``errors``) when any connection failed."""
        if self.errors:
            raise FanoutError(self.errors)
