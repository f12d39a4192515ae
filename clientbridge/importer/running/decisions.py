"""What to do with a row: pure decisions over the journal's memory and a send's result.

Nothing here does I/O or knows the event loop (the sans-I/O idea): `decide` takes what an
earlier run recorded for a row and says whether to send it or how to settle it without
sending; `resolve` takes what sending it returned and says how it is settled. The run
(`clientbridge.importer.running.run`) carries the decisions out: it journals, counts and reports.

The wording names no provider and no command-line flag: the provider's name and what it
can do come in a `Policy` (from the connection's `Capabilities`), the remedies in its
`Advice`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Protocol

import attrs

from clientbridge.errors import (
    AuthenticationError,
    ClientBridgeError,
    ConfigurationError,
    DuplicateClientError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    TransportError,
    is_retryable,
    outcome_unknown,
)
from clientbridge.importer.errors import LIBRARY_ADVICE, Advice, ImportSetupError
from clientbridge.importer.rows import RowState
from clientbridge.model import Client
from clientbridge.result import CreateResult
from clientbridge.settle import Settling, settling

__all__ = [
    "EarlierRun",
    "JournalWrite",
    "Policy",
    "Row",
    "Send",
    "Settle",
    "check_advice",
    "decide",
    "never_left",
    "refuses_target",
    "resend_finds_out",
    "resolve",
    "settle_unknown",
    "unchecked_reason",
    "unchecked_refusal",
    "unknown_advice",
]

#: The provider refused the target as a whole: every row would fail the same way.
_TARGET_ERRORS = (AuthenticationError, PermissionDeniedError, NotFoundError, ConfigurationError)


class Row(Protocol):
    """A row as read (`SourceRow`)."""

    @property
    def digest(self) -> str: ...
    @property
    def client(self) -> Client | None: ...
    @property
    def error(self) -> str | None: ...


class EarlierRun(Protocol):
    """What an earlier run recorded for a row (the journal's `JournalEntry`)."""

    @property
    def digest(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def client_id(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...


@attrs.frozen(kw_only=True)
class Policy:
    """What the decisions depend on besides the row: the options and the provider."""

    retry_failed: bool = False
    retry_unknown: bool = False
    #: the provider refuses a second client with the same email (`Capabilities`)
    unique_email: bool = False
    #: the provider can be asked whether a client exists (`Capabilities.find_existing`)
    find_existing: bool = False
    #: the provider for people (the connection's display name)
    display_name: str = "the provider"
    #: the provider as the target names it (where to check an unknown row)
    provider: str = "the provider"
    advice: Advice = LIBRARY_ADVICE


class JournalWrite(Enum):
    """What settling a row does to its journal entry."""

    #: record the outcome (committed later)
    RECORD = "record"
    #: leave the entry as it is (the outcome is an earlier run's, or already recorded)
    KEEP = "keep"
    #: forget the row: it was not created, and is sent as new next time
    FORGET = "forget"


@attrs.frozen
class Send:
    """Send the row."""

    #: sent again although an earlier run left it unknown: "already exists" means created
    retry_unknown: bool = False
    #: ... on the run's own (not asked to): the provider refuses a second client by email
    resent_unknown: bool = False
    #: ... on the run's own: a look-up did not find it once its request had had time to
    #: arrive (the settle window), so it was not created
    not_found: bool = False
    #: ... although nothing checked whether it exists (asked to, explicitly)
    unchecked: bool = False


@attrs.frozen(kw_only=True)
class Settle:
    """The row is finished: its outcome, and what to journal and count."""

    outcome: RowState
    client_id: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()
    #: fields of the row the provider was not sent (the summary counts them)
    dropped_fields: tuple[str, ...] = ()
    journal: JournalWrite = JournalWrite.RECORD
    #: recorded in the journal instead of ``error`` (how a created row was found)
    journal_note: str | None = None
    #: the row changed since an earlier run created it (or may have)
    changed: bool = False
    #: the failure may pass if the row is sent again (a rate limit)
    retryable: bool = False
    #: the provider refused the target as a whole: the import stops
    stops: bool = False
    #: the state journaled with ``journal_note`` (None: ``outcome``)
    journal_state: RowState | None = None


# Reading an enum member from its class is an attribute look-up (slow on Python 3.11);
# the decisions run once or twice per row, so they read these instead.
_CREATED, _FAILED, _UNKNOWN, _SKIPPED = (
    RowState.CREATED,
    RowState.FAILED,
    RowState.UNKNOWN,
    RowState.SKIPPED,
)
_UNSETTLED = (RowState.SENDING, RowState.UNKNOWN)
_KEEP, _FORGET = JournalWrite.KEEP, JournalWrite.FORGET

SEND = Send()
SEND_AGAIN = Send(retry_unknown=True)
SEND_UNCHECKED = Send(retry_unknown=True, unchecked=True)
RESEND_UNKNOWN = Send(retry_unknown=True, resent_unknown=True)
SEND_NOT_FOUND = Send(retry_unknown=True, not_found=True)
#: Rows named in a message (the journal and the report have them all).
LISTED_ROWS = 20


def never_left(result: CreateResult | BaseException) -> bool:
    """Whether sending a row failed before any byte of it left (a connection or a proxy
    refused it, or it was stopped while waiting for its turn): it was not created."""
    return isinstance(result, TransportError) and not result.maybe_sent


#: A proxy between us and the provider wants a credential: it forwarded nothing.
_PROXY_AUTHENTICATION = 407


def refuses_target(error: ClientBridgeError) -> bool:
    """A bad credential or URL, a proxy that wants a credential, or a provider that cannot
    be reached even after the driver's retries: nothing was created, and the next rows
    would fare no better."""
    return (
        never_left(error)
        or isinstance(error, _TARGET_ERRORS)
        or (isinstance(error, ProviderError) and error.status_code == _PROXY_AUTHENTICATION)
    )


def check_advice(policy: Policy) -> str:
    """What to do about a row that may have been created."""
    way = settling(policy)
    if way is Settling.LOOK_UP:
        return (
            f"running the same command again looks it up in {policy.display_name} and sends "
            "it only if it is not found once its request has had time to arrive"
        )
    if way is Settling.RESEND:
        return (
            f"running the same command again sends it again, which is safe: "
            f"{policy.display_name} refuses a second client with the same "
            "email, so it is created then or answered as existing"
        )
    return (
        f"check in {policy.provider}; running again never sends it on its own, "
        f"{policy.advice.retry_unknown_row}"
    )


def unknown_advice(policy: Policy) -> str:
    return f"it may have been created: {check_advice(policy)}"


def resend_finds_out(row: Row, policy: Policy) -> bool:
    """Whether sending ``row`` again settles it safely: the provider refuses a second
    client with its email, so the create either makes the client an earlier run did
    not, or answers that it exists (which counts as created)."""
    if not policy.unique_email:
        return False
    return row.client is not None and bool(row.client.email)


def decide(
    row: Row,
    previous: EarlierRun | None,
    policy: Policy,
    *,
    looked_up: str | None = None,
    not_found: bool = False,
    unchecked: bool = False,
    invalid: Callable[[], str | None] = lambda: None,
) -> Send | Settle:
    """Send ``row``, or settle it without sending, given what an earlier run recorded.

    ``looked_up`` is what a look-up of an earlier unknown row found; ``not_found``: the
    look-up did not find it once the settle window had passed (it was not created);
    ``unchecked``: sending it again would be without any check; ``invalid`` says why the
    adapter refuses the row (None when it does not), asked only for a row an earlier run
    left ``sending``.
    """
    send = SEND
    if previous is not None and previous.digest == row.digest:
        if previous.state == _CREATED:
            # A note on a created row says how it was found (a look-up, a duplicate).
            note = (previous.error,) if previous.error else ()
            return Settle(
                outcome=_SKIPPED,
                client_id=previous.client_id,
                warnings=note,
                journal=_KEEP,
            )
        if previous.state == _FAILED and not policy.retry_failed:
            message = (
                f"{previous.error} (failed in an earlier run; {policy.advice.retry_failed_row})"
            )
            return Settle(outcome=_FAILED, error=message, journal=_KEEP)
        if previous.state in _UNSETTLED:
            if not_found:
                send = SEND_NOT_FOUND
            elif policy.retry_unknown:
                send = SEND_UNCHECKED if unchecked else SEND_AGAIN
            elif resend_finds_out(row, policy):
                send = RESEND_UNKNOWN
            else:
                return settle_unknown(
                    row,
                    previous.state,
                    previous.error,
                    policy,
                    looked_up=looked_up,
                    invalid=invalid,
                )
    elif previous is not None and previous.state != _FAILED:
        what = (
            f"created it as {previous.client_id}"
            if previous.state == _CREATED
            else "may have created it"
        )
        message = (
            f"the row changed since an earlier run {what} (the same external id), so it "
            "was not sent again. If it is another client, give it an external id of its own"
        )
        return Settle(outcome=_FAILED, error=message, journal=_KEEP, changed=True)
    if row.client is None:
        return Settle(outcome=_FAILED, error=row.error)
    return send


def settle_unknown(
    row: Row,
    state: str,
    error: str | None,
    policy: Policy,
    *,
    looked_up: str | None = None,
    invalid: Callable[[], str | None] = lambda: None,
) -> Settle:
    """A row an earlier run left ``unknown`` or ``sending``, not sent again."""
    if state == _UNKNOWN:
        message = error or unknown_advice(policy)
        if looked_up:
            message = f"{message}; since then, {looked_up}"
        return Settle(outcome=_UNKNOWN, error=message, journal=_KEEP)
    # Left "sending" by a run that stopped. A row the adapter refuses cannot have been
    # sent (validation happens before any I/O): it failed, it is not unknown.
    problem = invalid()
    if problem is not None:
        return Settle(outcome=_FAILED, error=problem)
    if looked_up:
        message = (
            f"the import stopped while this row was being sent; {looked_up}. Running "
            f"again never sends it on its own; {policy.advice.retry_unknown_row}"
        )
    else:
        message = "the import stopped while this row was being sent; " + unknown_advice(policy)
    return Settle(outcome=_UNKNOWN, error=message)


#: How an "already exists" answer to a row sent again is explained.
DUPLICATE_NOTE = (
    "the provider answers that this client already exists: the earlier attempt "
    "created it (its id was not returned)"
)


#: How a row sent again without a check is explained (in the report and the journal).
UNCHECKED_NOTE = (
    "re-sent without a check: an earlier run may have created it too, so the provider may "
    "now hold it twice"
)


def resolve(
    result: CreateResult | BaseException,
    policy: Policy,
    *,
    retry_unknown: bool = False,
    unchecked: bool = False,
    same_email_as: int | None = None,
) -> Settle:
    """How a sent row is settled, given what sending it returned. ``retry_unknown``: an
    earlier run left it unknown; ``unchecked``: it was sent again without any check;
    ``same_email_as``: the line of the row of this import with the same email that was
    sent just before it (the provider refuses a second client with one email)."""
    if isinstance(result, CreateResult):
        if unchecked:
            return Settle(
                outcome=RowState.RESENT,
                client_id=result.id,
                warnings=(*result.warnings, UNCHECKED_NOTE),
                dropped_fields=result.dropped_fields,
                journal_note=UNCHECKED_NOTE,
                journal_state=_CREATED,
            )
        return Settle(
            outcome=_CREATED,
            client_id=result.id,
            warnings=result.warnings,
            dropped_fields=result.dropped_fields,
        )
    if same_email_as is not None and isinstance(result, DuplicateClientError):
        # The client the provider holds is the other row's (created just now, or earlier).
        message = (
            f"{result} Row {same_email_as} of this file has the same email and was sent just "
            "before this one: merge the two rows."
        )
        return Settle(outcome=_FAILED, error=message)
    if retry_unknown and isinstance(result, DuplicateClientError):
        # The note is shown again when the row is skipped by a later run.
        return Settle(
            outcome=_CREATED,
            warnings=(DUPLICATE_NOTE,),
            journal_note=DUPLICATE_NOTE,
        )
    if not isinstance(result, ClientBridgeError):  # a bug below us, after sending
        message = f"unexpected {type(result).__name__}: {result}; "
        return Settle(outcome=_UNKNOWN, error=message + unknown_advice(policy))
    if refuses_target(result):
        if retry_unknown:  # this attempt created nothing; an earlier one may have
            message = f"{result} (an earlier attempt may have created it: {check_advice(policy)})"
            return Settle(outcome=_UNKNOWN, error=message, stops=True)
        # Refused as a whole, so not created: forgotten, and sent as new next time.
        return Settle(outcome=_FAILED, error=str(result), journal=_FORGET, stops=True)
    if outcome_unknown(result):
        return Settle(outcome=_UNKNOWN, error=f"{result} ({unknown_advice(policy)})")
    return Settle(outcome=_FAILED, error=str(result), retryable=is_retryable(result))


def unchecked_reason(lines: Sequence[int], policy: Policy) -> str:
    """Why sending ``lines`` (unknown rows) again would be without a check, and what it
    risks."""
    shown = ", ".join(str(line) for line in lines[:LISTED_ROWS])
    more = f" and {len(lines) - LISTED_ROWS:,} more" if len(lines) > LISTED_ROWS else ""
    which = f"row {shown}" if len(lines) == 1 else f"rows {shown}{more}"
    count = "1 row" if len(lines) == 1 else f"{len(lines):,} rows"
    why = (
        "the look-up could not tell whether they exist"
        if policy.find_existing
        else f"{policy.display_name} cannot be asked whether a client exists and does not "
        "refuse a second one"
    )
    return (
        f"{count} an earlier run left unknown would be sent again without a check "
        f"({which}): {why}, so each one an earlier run did create would be created twice."
    )


def unchecked_refusal(lines: Sequence[int], policy: Policy) -> ImportSetupError:
    """The refusal to send ``lines`` (unknown rows) again without a check: why, and what
    to do."""
    return ImportSetupError(
        f"{unchecked_reason(lines, policy)} Nothing was sent. Check them in "
        f"{policy.provider} first; {policy.advice.resend_unchecked}."
    )
