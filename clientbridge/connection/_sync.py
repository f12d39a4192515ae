"""The sync connection: `Connection`."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import cast

from clientbridge import telemetry
from clientbridge.adapters.base import Adapter, Outcome
from clientbridge.connection._base import ConnectionBase, check_client, single
from clientbridge.driver import SyncDriver
from clientbridge.errors import ClientBridgeError
from clientbridge.model import Client
from clientbridge.result import BatchResult, CreateResult, CredentialCheck
from clientbridge.settings import ConnectionOptions
from clientbridge.wire import HttpResponse


class Connection(ConnectionBase):
    """A sync connection to one provider. Use it as a context manager."""

    def __init__(self, adapter: Adapter, options: ConnectionOptions, driver: SyncDriver) -> None:
        super().__init__(adapter, options)
        self.driver = driver

    @property
    def total_timeout(self) -> float | None:
        return self.driver.total_timeout

    def stop_sending(self) -> None:
        """Send no new request from now on: a create waiting for its turn (the rate limit,
        a retry's backoff) fails with a `TransportError` whose ``maybe_sent`` is False,
        since nothing of it left; a request already on its way finishes."""
        self.driver.stop_sending()

    def create(
        self, client: Client, *, key: str | None = None, resend_unknown: bool = False
    ) -> CreateResult:
        """Create one client. Raises a `ClientBridgeError` subclass on failure.

        With a ledger, at most once per ``key`` (default: the client's external_id, else
        its email): a key already created is replayed (``replayed=True``, nothing sent);
        ``resend_unknown`` sends although an earlier attempt may have created it and the
        provider cannot tell (see `UnknownOutcomeError`).
        """
        with telemetry.observe_create(self.provider, self.name) as observed:
            prepared = self._prepare_one(client)
            key = self._ledger_key(client, key)
            if key is None or self.ledger is None:
                return observed.result(
                    single(self.driver.run(self.adapter.plan_create([prepared])))
                )
            return observed.result(
                self.ledger.create(
                    self.ledger_account(),
                    key,
                    lambda: single(self.driver.run(self.adapter.plan_create([prepared]))),
                    lambda: self.find_existing([client])[0],
                    resend_unknown=resend_unknown,
                )
            )

    def create_many(
        self, clients: Iterable[Client], *, resend_unknown: bool = False
    ) -> BatchResult:
        """Create several clients (in bulk requests where the provider allows; one
        request each with a ledger, each under its default key).

        Never raises for a client that failed: see `BatchResult.failed`.
        """
        clients = list(clients)
        if self.ledger is not None:
            outcomes: dict[int, Outcome] = {}
            for index, client in enumerate(clients):
                try:
                    outcomes[index] = self.create(
                        check_client(client, index), resend_unknown=resend_unknown
                    )
                except ClientBridgeError as error:
                    outcomes[index] = error
            return self._batch_result(clients, outcomes)
        groups, outcomes = self._plan_batches(clients)
        for batch in (batch for group in groups for batch in group):
            with telemetry.observe_batch(self.provider, self.name) as observed:
                try:
                    results = self.driver.run(self.adapter.plan_create(batch))
                except ClientBridgeError as error:
                    results = [error] * len(batch)
                observed.outcomes(results)
            self._record(outcomes, batch, results)
        return self._batch_result(clients, outcomes)

    def check_credentials(self) -> CredentialCheck:
        """Try the credential with the provider's documented harmless read, if it has one.

        Never raises for a refused credential or a network failure: see
        `CredentialCheck.error`. Nothing is created.
        """
        request = self._credential_request()
        if request is None:
            return self._unchecked()
        try:
            response: HttpResponse | ClientBridgeError = self.driver.send(request)
        except ClientBridgeError as error:
            response = error
        return self._credential_result(request, response)

    def find_existing(self, clients: Iterable[Client]) -> list[list[CreateResult]]:
        """For each client, the provider's records that match what a create of it sends.

        Read-only. Only for providers with ``capabilities.find_existing`` (else
        `NotImplementedError`); each client must be valid here (`validate`), else its
        `ValidationError` is raised. Provider and network failures raise as for a create.
        """
        return cast(list[list[CreateResult]], self.driver.run(self._find_plan_for(clients)))

    def close(self) -> None:
        """Close the HTTP client (unless it was passed in as ``http_client``), and the
        ledger when the connection opened it."""
        try:
            self.driver.close()
        finally:
            self._close_ledger()

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
