"""Exactly once: what a create with a ledger key does, as a plan of steps.

`once` is a generator (the sans-I/O shape the adapters' plans have): it yields what to do
(a store operation, a pause, the create, the look-up) and receives what came of it; the
sync and async drivers below carry the steps out. The rule for an unknown outcome is
`clientbridge.settle`'s, shared with the import.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any

import attrs

from clientbridge import settle
from clientbridge.errors import ClientBridgeError, UnknownOutcomeError, outcome_unknown
from clientbridge.ledger.codec import dump_result, load_result
from clientbridge.ledger.store import AsyncStore, Claim, Entry, EntryState, Store
from clientbridge.result import CreateResult

__all__ = ["Account", "Job", "account_id", "once", "run_async", "run_sync"]

logger = logging.getLogger("clientbridge")

#: The first and the longest pause between two looks at a key another caller holds.
FIRST_POLL, LONGEST_POLL = 0.005, 0.1


def account_id(provider: str, base_url: str, secrets: Sequence[str]) -> str:
    """The account entries belong to: the provider and base URL in clear, then a digest
    of ``secrets`` (the credentials, and what names a tenant: never the credentials
    themselves, never a connection's name)."""
    import hashlib

    digest = hashlib.sha256(b"clientbridge ledger\0")
    for secret in secrets:
        digest.update(secret.encode())
        digest.update(b"\0")
    return f"{provider} {base_url} {digest.hexdigest()[:32]}"


@attrs.frozen(kw_only=True)
class Account:
    """A connection as the ledger sees it: whose entries, and its timing."""

    id: str
    provider: str
    display_name: str
    #: how an unknown outcome is settled with this provider
    settling: settle.Settling
    #: the connection's total timeout of one attempt (None: no bound)
    total_timeout: float | None
    #: the connection's settle window when given (else from the total timeout)
    settle_after: float | None = None

    @property
    def window(self) -> float:
        """The settle window: after it, a look-up's "not found" is trusted."""
        return settle.settle_window(timeout=self.total_timeout, settle_after=self.settle_after)

    @property
    def default_lease(self) -> float:
        """How long a caller holds a key: the total timeout plus the settle margin."""
        return settle.settle_window(timeout=self.total_timeout)

    @property
    def wait_limit(self) -> float:
        """How long a caller waits for another one holding its key."""
        return self.total_timeout if self.total_timeout is not None else self.default_lease


@attrs.frozen(kw_only=True)
class Job:
    """One create with a key."""

    account: Account
    key: str
    holder: str
    lease: float
    resend: bool = False
    clock: Callable[[], float] = time.time


@attrs.frozen
class StoreCall:
    """Call the store's ``name`` with ``args`` (``account`` and ``key`` come first)."""

    name: str
    kwargs: dict[str, Any] = attrs.field(factory=dict)
    #: made after the create was sent: a failure is logged, not raised (the entry stays
    #: pending, and counts as unknown once its lease ends)
    after_send: bool = False


@attrs.frozen
class Pause:
    seconds: float


class _Send:
    """Send the create (receives a `CreateResult` or the `ClientBridgeError`)."""


class _LookUp:
    """Ask the provider (receives the list of matches or the `ClientBridgeError`)."""


SEND, LOOK_UP = _Send(), _LookUp()
Step = StoreCall | Pause | _Send | _LookUp


def _replayed(entry: Entry) -> CreateResult:
    assert entry.result is not None
    return load_result(entry.result)


def once(job: Job) -> Generator[Step, Any, CreateResult]:
    """The steps of one create under ``job.key``; returns its result or raises."""
    account, key, clock = job.account, job.key, job.clock
    started = clock()
    poll = FIRST_POLL
    while True:
        now = clock()
        claim: Claim = yield StoreCall(
            "claim", {"holder": job.holder, "now": now, "lease_until": now + job.lease}
        )
        if claim.granted:
            break
        held = claim.previous
        assert held is not None
        if held.state is EntryState.CREATED:
            return _replayed(held)
        if now - started >= account.wait_limit:
            left = max(0.0, (held.lease_until or now) - now)
            raise UnknownOutcomeError(
                f"another caller has been creating the client of key {key!r} in "
                f"{account.display_name} for over {account.wait_limit:g} s and has not "
                f"finished; nothing was sent. Call again later (its hold ends in {left:.0f} s)",
                key=key,
                retry_after=left,
                provider=account.provider,
            )
        yield Pause(min(poll, account.wait_limit))
        poll = min(poll * 2, LONGEST_POLL)
    previous = claim.previous
    # An earlier attempt that may have created it: settled as `clientbridge.settle` says.
    earlier = None if previous is None else (previous.attempted_at or 0.0)
    if earlier is not None:
        step = settle.unknown_step(account.settling, resend=job.resend)
        if step.action is settle.Action.ASK:
            found = yield LOOK_UP
            if not isinstance(found, ClientBridgeError) and found:
                # A match recorded under another key is that key's client, not this one.
                claimed: set[str] = yield StoreCall(
                    "claimed_ids", {"client_ids": [match.id for match in found]}
                )
                found = [match for match in found if match.id not in claimed]
            if isinstance(found, ClientBridgeError):
                if not job.resend:
                    yield _keep_unknown(job, earlier, previous)
                    raise _unknown(
                        job,
                        f"the look-up in {account.display_name} failed ({str(found).rstrip('.')})",
                        None,
                    ) from found
                step = settle.SEND
            elif len(found) == 1:
                match: CreateResult = found[0]
                yield StoreCall(
                    "record_created", {"client_id": match.id, "result": dump_result(match)}
                )
                return attrs.evolve(match, replayed=True)
            elif found and not job.resend:
                yield _keep_unknown(job, earlier, previous)
                ids = ", ".join(result.id for result in found[:5])
                raise _unknown(
                    job,
                    f"a look-up in {account.display_name} found {len(found)} clients matching "
                    f"it ({ids}); check which one is this key's",
                    None,
                )
            else:
                step = settle.after_not_found(
                    attempted_at=earlier, window=account.window, now=clock(), resend=job.resend
                )
                if step.action is settle.Action.SEND and not job.resend:
                    earlier = None  # not found once the window passed: it was not created
        if step.action is settle.Action.WAIT:
            yield _keep_unknown(job, earlier, previous)
            raise _unknown(
                job,
                f"a look-up in {account.display_name} did not find it yet, but the earlier "
                f"request may still be on its way; call again in {step.retry_after:.0f} s, "
                "when a look-up that finds nothing is trusted",
                step.retry_after,
            )
        if step.action is settle.Action.REFUSE:
            yield _keep_unknown(job, earlier, previous)
            raise _unknown(
                job,
                f"{account.display_name} cannot be asked whether a client exists. Check "
                f"there, then call again with resend_unknown=True if it does not hold the "
                "client",
                None,
            )
    outcome = yield SEND
    if isinstance(outcome, CreateResult):
        yield StoreCall(
            "record_created",
            {"client_id": outcome.id, "result": dump_result(outcome)},
            after_send=True,
        )
        return outcome
    if outcome_unknown(outcome):
        yield StoreCall(
            "record_unknown",
            {"holder": job.holder, "attempted_at": clock(), "note": str(outcome)},
            after_send=True,
        )
    elif earlier is None:  # nothing was created, by this attempt or an earlier one
        yield StoreCall("release", {"holder": job.holder}, after_send=True)
    else:  # nothing by this attempt; an earlier one still may have
        yield _keep_unknown(job, earlier, previous)
    raise outcome


def _keep_unknown(job: Job, earlier: float | None, previous: Entry | None) -> StoreCall:
    """Give the key back, unknown as it was."""
    note = None if previous is None else previous.note
    return StoreCall(
        "record_unknown",
        {"holder": job.holder, "attempted_at": earlier or job.clock(), "note": note},
        after_send=True,
    )


def _unknown(job: Job, why: str, retry_after: float | None) -> UnknownOutcomeError:
    return UnknownOutcomeError(
        f"an earlier attempt with key {job.key!r} may have created the client in "
        f"{job.account.display_name}, so nothing was sent: {why}",
        key=job.key,
        retry_after=retry_after,
        provider=job.account.provider,
    )


def _next(plan: Generator[Step, Any, CreateResult], value: Any) -> Step | CreateResult:
    """The plan's next step, or its result."""
    try:
        return plan.send(value)
    except StopIteration as stop:
        result: CreateResult = stop.value
        return result


def _unrecorded(job: Job, step: StoreCall, error: ClientBridgeError) -> None:
    """A store call failed: before sending, raise (nothing was sent); after, log it (the
    entry stays pending and counts as unknown once its lease ends)."""
    if not step.after_send:
        raise error
    logger.warning(
        "the ledger could not record the outcome of key %r in %s (%s); the key counts as "
        "unknown once its hold ends",
        job.key,
        job.account.display_name,
        error,
    )


def _interrupted(job: Job) -> StoreCall:
    """What to record when sending was interrupted (it may have been sent)."""
    kwargs = {"holder": job.holder, "attempted_at": job.clock(), "note": None}
    return StoreCall("record_unknown", kwargs, after_send=True)


def run_sync(
    job: Job,
    store: Store,
    send: Callable[[], CreateResult],
    look_up: Callable[[], list[CreateResult]],
) -> CreateResult:
    """Carry `once` out with sync I/O."""

    def call(step: StoreCall) -> Any:
        try:
            return getattr(store, step.name)(job.account.id, job.key, **step.kwargs)
        except ClientBridgeError as error:
            return _unrecorded(job, step, error)

    plan = once(job)
    step = _next(plan, None)
    while not isinstance(step, CreateResult):
        value: Any = None
        if isinstance(step, StoreCall):
            value = call(step)
        elif isinstance(step, Pause):
            time.sleep(step.seconds)
        else:
            try:
                value = send() if step is SEND else look_up()
            except ClientBridgeError as error:
                value = error
            except BaseException:
                if step is SEND:  # interrupted: it may have been sent
                    call(_interrupted(job))
                raise
        step = _next(plan, value)
    return step


async def run_async(
    job: Job,
    store: AsyncStore,
    send: Callable[[], Awaitable[CreateResult]],
    look_up: Callable[[], Awaitable[list[CreateResult]]],
) -> CreateResult:
    """Carry `once` out with async I/O (what comes after sending is shielded from
    cancellation: an outcome is recorded even when the caller is cancelled)."""
    import anyio

    async def call(step: StoreCall) -> Any:
        with anyio.CancelScope(shield=step.after_send):
            try:
                return await getattr(store, step.name)(job.account.id, job.key, **step.kwargs)
            except ClientBridgeError as error:
                return _unrecorded(job, step, error)

    plan = once(job)
    step = _next(plan, None)
    while not isinstance(step, CreateResult):
        value: Any = None
        if isinstance(step, StoreCall):
            value = await call(step)
        elif isinstance(step, Pause):
            await anyio.sleep(step.seconds)
        else:
            try:
                value = await (send() if step is SEND else look_up())
            except ClientBridgeError as error:
                value = error
            except BaseException:
                if step is SEND:  # cancelled or interrupted: it may have been sent
                    await call(_interrupted(job))
                raise
        step = _next(plan, value)
    return step
