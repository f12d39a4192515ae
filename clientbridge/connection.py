"""Connections: an adapter, a driver and the options, behind `connect` / `connect_async`."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

import httpx

from clientbridge import telemetry
from clientbridge.adapters.base import Adapter, Capabilities, Outcome, Prepared
from clientbridge.driver import AsyncDriver, RetryPolicy, SyncDriver
from clientbridge.errors import (
    ClientBridgeError,
    ConfigurationError,
    DuplicateClientError,
    ValidationError,
)
from clientbridge.ledger import Account, Ledger, account_id, check_key
from clientbridge.model import Client
from clientbridge.overrides import active_override, apply_override
from clientbridge.ratelimit import make_throttle
from clientbridge.registry import adapter_class
from clientbridge.result import BatchResult, CreateResult, CredentialCheck, Failure
from clientbridge.settings import ConnectionOptions, resolve_settings, total_timeout_for
from clientbridge.settle import settling
from clientbridge.wire import HttpRequest, HttpResponse, Preview

if TYPE_CHECKING:
    import anyio

__all__ = ["AsyncConnection", "Connection", "connect", "connect_async"]

logger = logging.getLogger("clientbridge")


def _check_client(client: object, position: int | None = None) -> Client:
    if not isinstance(client, Client):
        where = "" if position is None else f" at position {position}"
        raise TypeError(f"expected a clientbridge.Client{where}, got {type(client).__name__}")
    return client


class _ConnectionBase:
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
            adapter = self.adapter
            tenant = [
                f"{setting.name}={adapter.settings[setting.name]}"
                for setting in adapter.settings_spec
                if setting.path_segment and setting.required
            ]
            self._account = Account(
                id=account_id(
                    adapter.name,
                    str(adapter.settings.get("base_url", "")),
                    [*(secret.reveal() for secret in adapter.secrets()), *tenant],
                ),
                provider=adapter.name,
                display_name=adapter.display_name,
                settling=settling(adapter.capabilities, resend_by_email=False),
                total_timeout=self.total_timeout,
                settle_after=self.options.settle_after,
            )
        return self._account

    def _ledger_key(self, client: Client, key: str | None) -> str | None:
        """The key ``client`` is created under (None: there is no ledger)."""
        if self.ledger is None:
            if key is not None:
                raise ConfigurationError(
                    "key= needs a ledger: connect with ledger=clientbridge.Ledger(...) (or a "
                    "ledger key in the config file); nothing was sent"
                )
            return None
        if key is None:
            key = client.external_id or client.email
        if key is None:
            raise ValidationError(
                "a create with a ledger needs a key: give key=, or the client an "
                "external_id or an email; nothing was sent"
            )
        return check_key(key)

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
            self.adapter.prepare(index, _check_client(client, index), mode)
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
        together: ``create_many`` refuses the second of one call, and callers that send
        several calls at once (an import) hold the second back until the first finished."""
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
        return self.adapter.prepare(0, _check_client(client), self.options.on_unsupported)

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
            _check_client(client, index)
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


def _single(outcomes: Sequence[Outcome]) -> CreateResult:
    outcome = outcomes[0]
    if isinstance(outcome, ClientBridgeError):
        raise outcome
    return outcome


class Connection(_ConnectionBase):
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
                    _single(self.driver.run(self.adapter.plan_create([prepared])))
                )
            return observed.result(
                self.ledger.create(
                    self.ledger_account(),
                    key,
                    lambda: _single(self.driver.run(self.adapter.plan_create([prepared]))),
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
                        _check_client(client, index), resend_unknown=resend_unknown
                    )
                except ClientBridgeError as error:
                    outcomes[index] = error
            return self._batch_result(clients, outcomes)
        groups, outcomes = self._plan_batches(clients)
        for batch in (batch for group in groups for batch in group):
            try:
                results = self.driver.run(self.adapter.plan_create(batch))
            except ClientBridgeError as error:
                results = [error] * len(batch)
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


class AsyncConnection(_ConnectionBase):
    """An async connection to one provider. Use it as an async context manager."""

    def __init__(self, adapter: Adapter, options: ConnectionOptions, driver: AsyncDriver) -> None:
        super().__init__(adapter, options)
        self.driver = driver
        self._lookup_lock: anyio.Lock | None = None
        #: look-ups that failed under the lock (the creates that waited then go ahead)
        self._lookup_failures = 0

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
                return observed.result(_single(await self._run([prepared])))

            async def send() -> CreateResult:
                return _single(await self._run([prepared]))

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
                try:
                    results = await self._run(batch)
                except ClientBridgeError as error:
                    results = [error] * len(batch)
            self._record(outcomes, batch, results)

        async with anyio.create_task_group() as tasks:
            for batch in (batch for group in groups for batch in group):
                tasks.start_soon(run, batch)
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
                tasks.start_soon(run, index, _check_client(client, index))
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


def _setup(provider: str, settings: dict[str, Any]) -> tuple[Adapter, ConnectionOptions]:
    cls = adapter_class(provider)
    # While a test harness overrides connections (the clientbridge_sandbox fixture), every
    # connection is a sandboxed one: see clientbridge.overrides.
    values, options = resolve_settings(cls, apply_override(cls.name, cls.settings_spec, settings))
    given = next(
        (name for name in ("http_client", "transport") if getattr(options, name) is not None),
        None,
    )
    if not options.verify_tls and given is not None:
        # TLS is then up to the caller's client or transport: the option would do nothing
        # but log that verification is off while it is still on.
        raise ConfigurationError(
            f"verify_tls=False has no effect with {given}=, which does its own TLS; leave "
            f"verify_tls out and configure {given} instead (never disable TLS "
            "verification in production)"
        )
    if not options.verify_tls:
        logger.warning(
            "TLS certificate verification is disabled for %s (verify_tls=False); "
            "never do this in production",
            cls.name,
        )
    return cls(values), options


def _sandbox_transport(adapter: Adapter, asynchronous: bool) -> Any:
    override = active_override()
    if override is not None:
        return override.transport(adapter, asynchronous=asynchronous)
    try:
        from clientbridge import sandbox
    except ImportError as error:  # pragma: no cover - the sandbox ships with the package
        raise ConfigurationError(f"the sandbox is not available: {error}") from None
    return sandbox.transport(adapter.name, asynchronous=asynchronous)


def _http_client(
    adapter: Adapter, options: ConnectionOptions, *, asynchronous: bool
) -> tuple[httpx.Client | httpx.AsyncClient, bool]:
    """The HTTP client to send with, checked, and whether the connection owns it."""
    function = "connect_async" if asynchronous else "connect"
    client_class: type[httpx.Client | httpx.AsyncClient] = (
        httpx.AsyncClient if asynchronous else httpx.Client
    )
    transport_class: type[httpx.BaseTransport | httpx.AsyncBaseTransport] = (
        httpx.AsyncBaseTransport if asynchronous else httpx.BaseTransport
    )
    if options.http_client is not None:
        if not isinstance(options.http_client, client_class):
            raise ConfigurationError(
                f"http_client must be an httpx.{client_class.__name__} for {function}()"
            )
        return options.http_client, False
    transport = options.transport
    if transport is None and options.sandbox:
        transport = _sandbox_transport(adapter, asynchronous=asynchronous)
    if transport is not None and not isinstance(transport, transport_class):
        raise ConfigurationError(
            f"transport must be an httpx.{transport_class.__name__} for {function}()"
        )
    made: dict[str, Any] = {
        "transport": transport,
        "follow_redirects": False,
        "verify": options.verify_tls,
    }
    if asynchronous:
        from clientbridge.async_transport import async_client

        return async_client(**made), True  # aiohttp underneath when the extra is installed
    return httpx.Client(**made), True


def _timeouts(options: ConnectionOptions) -> tuple[Any, float | None]:
    """The per-operation timeout to send with, and the total timeout of an attempt.

    The total timeout defaults to a multiple of the per-operation one (the caller's
    client's when it keeps its own); no operation may wait longer than the total, since the
    sync driver can check the total only between two reads.
    """
    keeps_own = options.http_client is not None and not options.timeout_given
    per_operation: httpx.Timeout = (
        options.http_client.timeout if keeps_own else httpx.Timeout(options.timeout)
    )
    if options.total_timeout_given:
        total = options.total_timeout
    else:
        values = per_operation.as_dict().values()
        total = None if None in values else total_timeout_for(max(v for v in values if v))
    if total is None:
        return (httpx.USE_CLIENT_DEFAULT if keeps_own else per_operation), None
    capped = httpx.Timeout(
        **{
            name: total if value is None else min(value, total)
            for name, value in per_operation.as_dict().items()
        }
    )
    if keeps_own and capped == per_operation:
        return httpx.USE_CLIENT_DEFAULT, total  # the caller's client's own timeout
    return capped, total


def _driver_kwargs(adapter: Adapter, options: ConnectionOptions) -> dict[str, Any]:
    timeout, total_timeout = _timeouts(options)
    policy = RetryPolicy(max_retries=options.max_retries)
    return {
        "provider": adapter.name,
        "policy": policy,
        "secrets": adapter.secrets(),
        "timeout": timeout,
        "total_timeout": total_timeout,
        "throttle": make_throttle(
            adapter.name,
            str(adapter.settings.get("base_url", "")),
            adapter.secrets(),
            rate_limit=options.rate_limit,
            storage=options.rate_limit_storage,
            longest_pause=policy.max_retry_after,
        ),
    }


def connect(provider: str, **settings: Any) -> Connection:
    """A sync connection to ``provider`` (a registered name or an alias).

    ``settings`` are the adapter's own (``api_key``, ``base_url``...) plus the
    connection options ``transport``, ``http_client``, ``timeout`` (seconds each network
    operation may take, default 30), ``total_timeout`` (seconds one attempt of a request
    may take in all, answer included; default three times ``timeout``, None for no
    bound), ``max_retries`` (default 3), ``on_unsupported`` (``"warn"``, ``"error"`` or
    ``"ignore"``), ``sandbox`` (use the built-in sandbox; credentials default to
    sandbox values), ``verify_tls`` (default True; False disables certificate checks
    of the HTTP client clientbridge makes, with a warning), ``ledger`` (a `Ledger`, or
    its location: creates are then made at most once per key) and ``settle_after``
    (seconds after an attempt whose outcome is unknown before a look-up that finds
    nothing is trusted; default the total timeout plus 10 s). Raises `ConfigurationError`
    naming a missing or unknown setting; nothing is sent until you create a client.
    """
    adapter, options = _setup(provider, settings)
    client, owns = _http_client(adapter, options, asynchronous=False)
    driver = SyncDriver(
        cast(httpx.Client, client), owns_client=owns, **_driver_kwargs(adapter, options)
    )
    return Connection(adapter, options, driver)


def connect_async(provider: str, **settings: Any) -> AsyncConnection:
    """An async connection to ``provider``; the same settings as `connect`, plus
    ``max_concurrency`` (requests in flight in ``create_many``, default 8)."""
    adapter, options = _setup(provider, settings)
    client, owns = _http_client(adapter, options, asynchronous=True)
    driver = AsyncDriver(
        cast(httpx.AsyncClient, client), owns_client=owns, **_driver_kwargs(adapter, options)
    )
    return AsyncConnection(adapter, options, driver)
