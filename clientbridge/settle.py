"""The settle rule: how a create whose outcome is unknown is settled, written once.

A create that failed after its request may have reached the provider (a read timeout, a
500 to the create, a dropped connection after sending) leaves its client *unknown*. The
ledger (`clientbridge.ledger`) and the import's journal settle it the same way:

* where the provider can be asked (``Capabilities.find_existing``), it is looked up
  first; found, the client was created;
* "not found" is trusted only once the earlier request has had time to arrive: the
  *settle window*, counted from the attempt's time (the connection's timeout plus
  `SETTLE_MARGIN`, or a ``settle_after`` given). A look-up that finds nothing inside the
  window says to wait; after it, the client is sent;
* where the provider cannot be asked, nothing settles it but the caller: it is refused
  (sent only when the caller says to resend without a check) — except that a provider
  which refuses a second client with the same email is settled by sending again (the
  import does so; it answers "already exists" when the client was created).

Pure: no I/O, no clock (times are passed in), no connection.
"""

from __future__ import annotations

import enum
from typing import Protocol

import attrs

__all__ = [
    "NO_TIMEOUT_SETTLE",
    "SETTLE_MARGIN",
    "Action",
    "Settling",
    "Step",
    "after_not_found",
    "settle_window",
    "settling",
    "unknown_step",
]

#: Seconds added to the connection's timeout for the default settle window: a request
#: still on its way when the attempt failed has reached the provider by then.
SETTLE_MARGIN = 10.0
#: The settle window of a connection without a timeout.
NO_TIMEOUT_SETTLE = 300.0


def settle_window(*, timeout: float | None, settle_after: float | None = None) -> float:
    """Seconds after which an earlier request has reached the provider or never will:
    ``settle_after`` when given, else ``timeout`` plus `SETTLE_MARGIN` (`NO_TIMEOUT_SETTLE`
    when the connection has no timeout)."""
    if settle_after is not None:
        return settle_after
    if timeout is None:
        return NO_TIMEOUT_SETTLE
    return timeout + SETTLE_MARGIN


class CanBeAsked(Protocol):
    """What the rule reads of a provider's `Capabilities`."""

    @property
    def find_existing(self) -> bool: ...

    @property
    def unique_email(self) -> bool: ...


class Settling(enum.Enum):
    """How an unknown outcome can be settled with a provider."""

    #: ask the provider; "not found" trusted after the settle window
    LOOK_UP = "look_up"
    #: send again: the provider refuses a second client with the same email
    RESEND = "resend"
    #: nothing can tell: the caller checks, then resends explicitly
    ASK_CALLER = "ask_caller"


def settling(capabilities: CanBeAsked, *, resend_by_email: bool = True) -> Settling:
    """How an unknown outcome is settled with a provider of ``capabilities``.

    ``resend_by_email``: a provider that refuses a second client with one email may be
    settled by sending again (the import does; the ledger does not, since an "already
    exists" answer gives no id to replay).
    """
    if capabilities.find_existing:
        return Settling.LOOK_UP
    if resend_by_email and capabilities.unique_email:
        return Settling.RESEND
    return Settling.ASK_CALLER


class Action(enum.Enum):
    """What to do next about a client whose earlier create may have happened."""

    #: look it up at the provider
    ASK = "ask"
    #: send the create
    SEND = "send"
    #: send nothing yet: the settle window has not passed (``Step.retry_after``)
    WAIT = "wait"
    #: send nothing: nothing can tell whether it exists
    REFUSE = "refuse"


@attrs.frozen
class Step:
    """An `Action`, and for `Action.WAIT` the seconds until the window closes."""

    action: Action
    retry_after: float | None = None


ASK, SEND, REFUSE = Step(Action.ASK), Step(Action.SEND), Step(Action.REFUSE)


def unknown_step(way: Settling, *, resend: bool) -> Step:
    """The first step about a client left unknown, settled ``way``; ``resend``: the
    caller asked to send it again anyway."""
    if way is Settling.LOOK_UP:
        return ASK
    if resend or way is Settling.RESEND:
        return SEND
    return REFUSE


def after_not_found(*, attempted_at: float, window: float, now: float, resend: bool) -> Step:
    """The step after a look-up found nothing, at ``now``, of an attempt made at
    ``attempted_at`` (seconds since the epoch): send once the settle window has passed
    (or when the caller asked to resend anyway), else wait until it has."""
    left = attempted_at + window - now
    if left <= 0 or resend:
        return SEND
    return Step(Action.WAIT, retry_after=left)
