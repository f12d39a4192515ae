"""The async connection: `AsyncConnection`."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from clientbridge import telemetry
from clientbridge.adapters.base import Adapter, Outcome, Prepared
from clientbridge.connection._base import ConnectionBase, check_client, single
from clientbridge.connection._claims import KeyClaims
from clientbridge.driver import AsyncDriver
from clientbridge.errors import ClientBridgeError
from clientbridge.model import Client
from clientbridge.result import BatchResult, CreateResult, CredentialCheck
from clientbridge.settings import ConnectionOptions
from clientbridge.wire import HttpResponse

if TYPE_CHECKING:
    import anyio


class AsyncConnection(ConnectionBase):
    """An async connection to one provider. Use it as an async context manager."""

    def __init__(self, adapter: Adapter, options: ConnectionOptions, driver: AsyncDriver) -> None:
        super().__init__(adapter, options)
        self.driver = driver
        self._lookup_lock: anyio.Lock | None = None
        #: look-ups that failed under the lock (the creates that waited then go ahead)
        self._lookup_failures = 0
        #: one email in flight once: the keys (`duplicate_key`) of the requests in flight
        self.in_flight: KeyClaims[Any] = KeyClaims(
            adapter.duplicate_key, active=adapter.capabilities.unique_email
        )

    def stop_sending(self) -> None:
        """Send no new request from now on: a create waiting for its turn (the rate limit,
        a retry's backoff) fails with a `TransportError` whose ``maybe_sent`` is False,
        since nothing of it left; a request already on its way finishes."""
        self.driver.stop_sending()

    async def _run(self, batch: list[Prepared]) -> list[Outcome]:
        """Run the plan that creates ``batch``, its look-ups made first."""
        if self._needs_lookup(batch):
            await self._look_up(batch)
        return await self.driver.run(self.adapter.plan_create(batch))

    async def _look_up(self, batch: list[Prepared]) -> None:
        """Make the look-ups ``batch`` needs, one caller at a time.

        Look-ups are cached per connection: concurrent creates (``create_many``, several
        tasks, an import's workers) wait for the one looking a value up, then find it
        cached instead of each asking. When that look-up fails, the creates that waited
        for it go ahead together (each asks for itself in its create plan, as it would
        have without waiting) rather than one after another.
        """
        if self._lookup_lock is None:
            import anyio

            self._lookup_lock = anyio.Lock()
        failures = self._lookup_failures
        async with self._lookup_lock:
            if self._needs_lookup(batch) and failures == self._lookup_failures:
                try:
                    await self.driver.run(self.adapter.plan_lookups(batch))
                except BaseException:
                    self._lookup_failures += 1
                    raise

    def _needs_lookup(self, batch: list[Prepared]) -> bool:
        if not self.adapter.capabilities.lookups:
            return False
        cache = self.adapter.cache
        return any(lookup.key not in cache for lookup in self.adapter.lookups(batch))

    @property
    def total_timeout(self) -> float | None:
        return self.driver.total_timeout

    async def create(
        self, client: Client, *, key: str | None = None, resend_unknown: bool = False
    ) -> CreateResult:
        """Create one client. Raises a `ClientBridgeError` subclass on failure. With a
        ledger, at most once per ``key`` (see `Connection.create`)."""
        with telemetry.observe_create(self.provider, self.name) as observed:
            prepared = self._prepare_one(client)
            key = self._ledger_key(client, key)
            if key is None or self.ledger is None:
                async with self.in_flight.holding([client]):
                    return observed.result(single(await self._run([prepared])))

            async def send() -> CreateResult:
                async with self.in_flight.holding([client]):
                    return single(await self._run([prepared]))

            async def look_up() -> list[CreateResult]:
                return (await self.find_existing([client]))[0]

            return observed.result(
                await self.ledger.create_async(
                    self.ledger_account(), key, send, look_up, resend_unknown=resend_unknown
                )
            )

    async def create_many(
        self,
        clients: Iterable[Client],
        *,
        max_concurrency: int | None = None,
        resend_unknown: bool = False,
    ) -> BatchResult:
        """Create several clients, at most ``max_concurrency`` requests at a time (the
        connection's ``max_concurrency`` unless given for this call).

        Never raises for a client that failed: see `BatchResult.failed`.
        """
        import anyio

        if max_concurrency is None:
            max_concurrency = self.options.max_concurrency
        elif isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
            raise TypeError(f"max_concurrency must be an int, got {max_concurrency!r}")
        elif max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        clients = list(clients)
        limit = anyio.Semaphore(max_concurrency)
        if self.ledger is not None:
            return await self._create_each(clients, limit, resend_unknown)
        groups, outcomes = self._plan_batches(clients)

        async def run(batch: list[Prepared]) -> None:
            async with limit:
                with telemetry.observe_batch(self.provider, self.name) as observed:
                    try:
                        results = await self._run(batch)
                    except ClientBridgeError as error:
                        results = [error] * len(batch)
                    observed.outcomes(results)
            self._record(outcomes, batch, results)

        async def run_holding(batch: list[Prepared]) -> None:
            async with self.in_flight.holding([clients[prepared.index] for prepared in batch]):
                await run(batch)

        start = run_holding if self.in_flight.to_claim() else run
        async with anyio.create_task_group() as tasks:
            for batch in (batch for group in groups for batch in group):
                tasks.start_soon(start, batch)
        return self._batch_result(clients, outcomes)

    async def _create_each(
        self, clients: list[Client], limit: anyio.Semaphore, resend_unknown: bool
    ) -> BatchResult:
        """``create_many`` with a ledger: each client under its default key."""
        import anyio

        outcomes: dict[int, Outcome] = {}

        async def run(index: int, client: Client) -> None:
            async with limit:
                try:
                    outcomes[index] = await self.create(client, resend_unknown=resend_unknown)
                except ClientBridgeError as error:
                    outcomes[index] = error

        async with anyio.create_task_group() as tasks:
            for index, client in enumerate(clients):
                tasks.start_soon(run, index, check_client(client, index))
        return self._batch_result(clients, outcomes)

    async def check_credentials(self) -> CredentialCheck:
        """Try the credential with the provider's documented harmless read, if it has one
        (see `Connection.check_credentials`)."""
        request = self._credential_request()
        if request is None:
            return self._unchecked()
        try:
            response: HttpResponse | ClientBridgeError = await self.driver.send(request)
        except ClientBridgeError as error:
            response = error
        return self._credential_result(request, response)

    async def find_existing(self, clients: Iterable[Client]) -> list[list[CreateResult]]:
        """For each client, the provider's records that match what a create of it sends
        (see `Connection.find_existing`)."""
        plan = self._find_plan_for(clients)
        return cast(list[list[CreateResult]], await self.driver.run(plan))

    async def aclose(self) -> None:
        """Close the HTTP client (unless it was passed in as ``http_client``), and the
        ledger when the connection opened it."""
        try:
            await self.driver.aclose()
        finally:
            if self._owns_ledger and self.ledger is not None:
                await self.ledger.aclose()

    close = aclose

    async def __aenter__(self) -> AsyncConnection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
