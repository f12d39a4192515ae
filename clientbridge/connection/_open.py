"""Opening a connection: `connect` / `connect_async` resolve the settings, make (or check) the
HTTP client, set the timeouts and the rate limit, and build the driver."""

from __future__ import annotations

import logging
from typing import Any, cast

import httpx

from clientbridge.adapters.base import Adapter
from clientbridge.connection._async import AsyncConnection
from clientbridge.connection._sync import Connection
from clientbridge.driver import AsyncDriver, RetryPolicy, SyncDriver
from clientbridge.errors import ConfigurationError
from clientbridge.overrides import active_override, apply_override
from clientbridge.ratelimit import make_throttle
from clientbridge.registry import adapter_class
from clientbridge.settings import ConnectionOptions, resolve_settings, total_timeout_for

logger = logging.getLogger("clientbridge")


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
