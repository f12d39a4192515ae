"""What the sync and async connections share: preparing clients, batching them, previews and
the credential check's result, with no I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

from clientbridge.adapters.base import Adapter, Capabilities, Outcome, Prepared
from clientbridge.connection._ledger import ledger_account, ledger_key
from clientbridge.errors import ClientBridgeError, DuplicateClientError
from clientbridge.ledger import Account, Ledger
from clientbridge.model import Client
from clientbridge.result import BatchResult, CreateResult, CredentialCheck, Failure
from clientbridge.settings import ConnectionOptions
from clientbridge.wire import HttpRequest, HttpResponse, Preview


def check_client(client: object, position: int | None = None) -> Client:
    if not isinstance(client, Client):
        where = "" if position is None else f" at position {position}"
        raise TypeError(f"expected a clientbridge.Client{where}, got {type(client).__name__}")
    return client


class ConnectionBase:
    """What the sync and async connections share: everything but the I/O."""

    def __init__(self, adapter: Adapter, options: ConnectionOptions) -> None:
        self.adapter = adapter
        self.options = options
        #: the name a config file or a group gives the connection (telemetry reports it)
        self.name: str | None = None
        #: the ledger creates are kept in (exactly once), or None
        self.ledger: Ledger | None = None
        self._owns_ledger = False
        self._account: Account | None = None
        if options.ledger is not None:
            self.use_ledger(options.ledger)

    def use_ledger(self, ledger: Ledger | str) -> None:
        """Keep this connection's creates in ``ledger`` (a `Ledger`, or the location of
        one, which the connection then opens and closes)."""
        if self._owns_ledger and self.ledger is not None:
            self.ledger.close()
        self._owns_ledger = not isinstance(ledger, Ledger)
        self.ledger = ledger if isinstance(ledger, Ledger) else Ledger(ledger)

    def _close_ledger(self) -> None:
        if self._owns_ledger and self.ledger is not None:
            self.ledger.close()

    @property
    def total_timeout(self) -> float | None:
        """Seconds one attempt of a request may take in all (None: no bound)."""
        raise NotImplementedError

    def ledger_account(self) -> Account:
        """This connection's account as the ledger keys it: provider, base URL and a
        digest of the credentials (two names for one account share entries). A required
        setting that is a segment of the provider's URLs (a workspace) names a tenant of
        the account: it goes into the digest too."""
        if self._account is None:
            self._account = ledger_account(self.adapter, self.options, self.total_timeout)
        return self._account

    def _ledger_key(self, client: Client, key: str | None) -> str | None:
        """The key ``client`` is created under (None: there is no ledger)."""
        return ledger_key(self.ledger, client, key)

    @property
    def provider(self) -> str:
        """The adapter's registered name."""
        return self.adapter.name

    @property
    def display_name(self) -> str:
        """The provider's name as people write it (the adapter's display name)."""
        return self.adapter.display_name

    @property
    def capabilities(self) -> Capabilities:
        """What the provider can do (leads, bulk size, look-ups...), as declared data."""
        return self.adapter.capabilities

    def __repr__(self) -> str:
        return f"<{type(self).__name__} provider={self.provider!r}>"

    def validate(self, client: Client) -> None:
        """Check that ``client`` can be sent to this provider, with no I/O.

        Raises `ValidationError` (one `FieldError` per problem), or
        `UnsupportedFeatureError` under ``on_unsupported="error"``; returns None when a
        create would be sent.
        """
        self._prepare_one(client)

    def _prepare_all(self, clients: Iterable[Client]) -> list[Prepared]:
        mode = self.options.on_unsupported
        return [
            self.adapter.prepare(index, check_client(client, index), mode)
            for index, client in enumerate(clients)
        ]

    def _credential_request(self) -> HttpRequest | None:
        return self.adapter.credential_check()

    def _credential_result(
        self, request: HttpRequest, response: HttpResponse | ClientBridgeError
    ) -> CredentialCheck:
        shown = f"{request.method} {request.url.split('?')[0]}"
        if isinstance(response, HttpResponse) and not response.is_success:
            response = self.adapter.error_from_response(response)
        error = response if isinstance(response, ClientBridgeError) else None
        return CredentialCheck(provider=self.provider, checked=True, request=shown, error=error)

    def _unchecked(self) -> CredentialCheck:
        return CredentialCheck(provider=self.provider, checked=False)

    def _find_plan_for(self, clients: Iterable[Client]) -> Any:
        if not self.adapter.capabilities.find_existing:
            raise NotImplementedError(
                f"{self.display_name} cannot be asked whether a client exists "
                "(see capabilities.find_existing)"
            )
        return self.adapter.find_existing(self._prepare_all(clients))

    def duplicate_key(self, client: Client) -> str | None:
        """What the provider refuses a second client for (its email, case-folded, where
        ``capabilities.unique_email``), or None. Clients with the same key are never sent
        together: ``create_many`` refuses the second of one call, and an async connection
        never has two requests for one key in flight (its ``in_flight`` claims: concurrent
        calls wait their turn; an import names the row that held the key)."""
        return self.adapter.duplicate_key(client)

    def preview(self, client: Client) -> Preview:
        """The requests a create of ``client`` would send, with secrets redacted, and the
        ``dropped_fields`` and ``warnings`` the create would report. No I/O.

        Raises what a create would raise before sending (`ValidationError`,
        `UnsupportedFeatureError` under ``on_unsupported="error"``).
        """
        prepared = self._prepare_one(client)
        return Preview(
            (request.redacted() for request in self.adapter.preview_requests([prepared])),
            dropped_fields=prepared.dropped_fields,
            warnings=prepared.warnings,
            wire_fields=prepared.wire_fields,
        )

    def dropped_reason(self, field: str) -> str:
        """Why ``field``, one of a result's or preview's ``dropped_fields``, is not sent to
        this provider: one clause naming the provider ("... has no phone on create")."""
        return self.adapter.dropped_reason(field)

    def _prepare_one(self, client: Client) -> Prepared:
        return self.adapter.prepare(0, check_client(client), self.options.on_unsupported)

    def _plan_batches(
        self, clients: Sequence[Client]
    ) -> tuple[list[list[list[Prepared]]], dict[int, Outcome]]:
        """Validated clients as create requests (chunks of ``bulk_size``) per batch key
        (the adapter's `batch_key` keeps apart clients that cannot share a bulk request),
        and the clients that failed validation."""
        outcomes: dict[int, Outcome] = {}
        groups: dict[Hashable, list[Prepared]] = defaultdict(list)
        first_with_key: dict[str, int] = {}
        for index, client in enumerate(clients):
            check_client(client, index)
            try:
                prepared = self.adapter.prepare(index, client, self.options.on_unsupported)
            except ClientBridgeError as error:
                outcomes[index] = error
                continue
            key = self.adapter.duplicate_key(client)
            if key is not None:
                first = first_with_key.setdefault(key, index)
                if first != index:
                    outcomes[index] = self._repeated_email(first)
                    continue
            groups[self.adapter.batch_key(client)].append(prepared)
        size = max(1, self.adapter.capabilities.bulk_size)
        chunked = [
            [group[start : start + size] for start in range(0, len(group), size)]
            for group in groups.values()
        ]
        return chunked, outcomes

    def _repeated_email(self, first: int) -> DuplicateClientError:
        """The error of a client whose email an earlier one of the batch has, where the
        provider refuses a second client with the same email: it is never sent."""
        return DuplicateClientError(
            f"{self.display_name} refuses a second client with the same email, and this "
            f"client repeats the email of client {first} of the batch, so it was not sent; "
            "merge the two into one client",
            provider=self.provider,
        )

    @staticmethod
    def _record(
        outcomes: dict[int, Outcome], batch: Sequence[Prepared], results: Sequence[Outcome]
    ) -> None:
        for prepared, outcome in zip(batch, results, strict=True):
            outcomes[prepared.index] = outcome

    @staticmethod
    def _batch_result(clients: Sequence[Client], outcomes: dict[int, Outcome]) -> BatchResult:
        succeeded: list[CreateResult] = []
        indices: list[int] = []
        failed: list[Failure] = []
        for index in sorted(outcomes):
            outcome = outcomes[index]
            if isinstance(outcome, CreateResult):
                succeeded.append(outcome)
                indices.append(index)
            else:
                failed.append(Failure(index=index, client=clients[index], error=outcome))
        return BatchResult(succeeded=succeeded, failed=failed, succeeded_indices=indices)


def single(outcomes: Sequence[Outcome]) -> CreateResult:
    outcome = outcomes[0]
    if isinstance(outcome, ClientBridgeError):
        raise outcome
    return outcome
