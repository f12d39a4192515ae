"""Groups: one client sent to several connections at once, one outcome per connection.

A group never raises for one connection's failure (that connection's error is in the
result) and never deletes: a client created in one connection stays there when another
failed. The connections are asked concurrently: the async group in an anyio task group,
the sync group from a small thread pool (one thread per connection).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextvars import copy_context
from types import TracebackType
from typing import TYPE_CHECKING, Generic, TypeVar

from clientbridge import telemetry
from clientbridge.errors import ClientBridgeError, ConfigurationError
from clientbridge.model import Client
from clientbridge.result import BatchResult, CreateResult, Failure, FanoutResult

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from clientbridge.connection import AsyncConnection, Connection
    from clientbridge.ledger import Ledger
    from clientbridge.routing import Routing
    from clientbridge.wire import Preview

__all__ = ["AsyncConnectionGroup", "ConnectionGroup"]

_Conn = TypeVar("_Conn", "Connection", "AsyncConnection")
_T = TypeVar("_T")


def _check_client(client: object) -> Client:
    if not isinstance(client, Client):
        raise TypeError(f"expected a clientbridge.Client, got {type(client).__name__}")
    return client


class _GroupBase(Generic[_Conn]):
    """What the sync and async groups share: the connections, routes and choosing."""

    def __init__(
        self,
        connections: Mapping[str, _Conn],
        *,
        routing: Routing | None = None,
        ledger: Ledger | str | None = None,
    ) -> None:
        if not connections:
            raise ConfigurationError("a connection group needs at least one connection")
        self.connections: dict[str, _Conn] = dict(connections)
        for name, conn in self.connections.items():
            if conn.name is None:  # telemetry reports a group's connections by name
                conn.name = name
        #: the routes that decide which connections a client goes to (None: all of them)
        self.routing = routing
        #: ledgers the group opened (closed with it)
        self._owned_ledgers: list[Ledger] = []
        if ledger is not None:
            if isinstance(ledger, str):
                from clientbridge.ledger import Ledger

                ledger = Ledger(ledger)
                self._owned_ledgers.append(ledger)
            for conn in self.connections.values():
                conn.use_ledger(ledger)

    def _check_key(self, names: Sequence[str], key: str | None) -> None:
        """A key needs a ledger in every connection it goes to (nothing is sent else)."""
        if key is None:
            return
        without = [name for name in names if self.connections[name].ledger is None]
        if without:
            raise ConfigurationError(
                f"key= needs a ledger, and connection {without[0]!r} has none: give the "
                "group (or the config file) a ledger; nothing was sent"
            )

    def names(self) -> list[str]:
        """The connection names, in the order given."""
        return list(self.connections)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {', '.join(self.connections)}>"

    def __getitem__(self, name: str) -> _Conn:
        return self.connections[self._known([name])[0]]

    def _known(self, names: Iterable[str]) -> list[str]:
        if isinstance(names, str):
            names = [names]
        names = list(names)
        unknown = [name for name in names if name not in self.connections]
        if unknown:
            raise ConfigurationError(
                f"the group has no connection {unknown[0]!r} (it has: "
                f"{', '.join(self.connections)})"
            )
        return names

    def targets(self, client: Client, only: Iterable[str] | None = None) -> list[str]:
        """The connections a create of ``client`` goes to, in the group's order.

        ``only`` names them explicitly; else the routes decide (a connection they name
        that is not in the group is left out); else every connection of the group.
        """
        if only is not None:
            wanted = set(self._known(only))
        elif self.routing is not None:
            wanted = set(self.routing.connections_for(client))
        else:
            return self.names()
        return [name for name in self.connections if name in wanted]

    def _split(self, clients: Sequence[Client], only: Iterable[str] | None) -> dict[str, list[int]]:
        """Per connection (``only``, else every one), the input positions of the clients
        that go to it."""
        fixed = None if only is None else self._known(only)
        positions: dict[str, list[int]] = {
            name: [] for name in self.connections if fixed is None or name in fixed
        }
        for index, client in enumerate(clients):
            _check_client(client)
            for name in self.targets(client, fixed):
                positions[name].append(index)
        return positions

    def preview(self, client: Client, only: Iterable[str] | None = None) -> dict[str, Preview]:
        """What a create of ``client`` would send to each connection it goes to. No I/O.

        A connection that would refuse the client (`ValidationError`, or
        `UnsupportedFeatureError` under ``on_unsupported="error"``) raises here, as its
        preview would: use ``only`` to preview the others.
        """
        client = _check_client(client)
        return {name: self.connections[name].preview(client) for name in self.targets(client, only)}


def _fanout(
    client: Client, outcomes: Mapping[str, CreateResult | ClientBridgeError]
) -> FanoutResult:
    return FanoutResult(
        client=client,
        results={n: o for n, o in outcomes.items() if isinstance(o, CreateResult)},
        errors={n: o for n, o in outcomes.items() if isinstance(o, ClientBridgeError)},
    )


def _in_input_order(
    clients: Sequence[Client], positions: Sequence[int], batch: BatchResult
) -> BatchResult:
    """``batch`` (for the clients at ``positions``) with indices into ``clients``."""
    return BatchResult(
        succeeded=batch.succeeded,
        succeeded_indices=[positions[index] for index in batch.succeeded_indices],
        failed=[
            Failure(
                index=positions[failure.index],
                client=clients[positions[failure.index]],
                error=failure.error,
            )
            for failure in batch.failed
        ],
    )


class ConnectionGroup(_GroupBase["Connection"]):
    """Several sync connections asked at once: ``cb.ConnectionGroup({"uk": conn, ...})``
    or `Config.connect_many`. Use it as a context manager (it closes the connections)."""

    #: the threads that ask the connections, started on the first create of several
    _pool: ThreadPoolExecutor | None = None

    def _each(self, names: Sequence[str], call: Callable[[str], _T]) -> dict[str, _T]:
        """``call(name)`` for every name, concurrently, in ``names`` order."""
        if len(names) <= 1:
            return {name: call(name) for name in names}
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(
                max_workers=len(self.connections), thread_name_prefix="clientbridge-group"
            )
        # Each call in a copy of this context: a fan-out's span is its creates' parent.
        futures = {name: self._pool.submit(copy_context().run, call, name) for name in names}
        return {name: future.result() for name, future in futures.items()}

    def create(
        self,
        client: Client,
        *,
        key: str | None = None,
        resend_unknown: bool = False,
        only: Iterable[str] | None = None,
    ) -> FanoutResult:
        """Create ``client`` in every connection it goes to (see `targets`). With a
        ledger, at most once in each per ``key``: a re-run sends only where it failed.

        Never raises for one connection's failure: see `FanoutResult.errors`.
        """
        client = _check_client(client)
        names = self.targets(client, only)
        self._check_key(names, key)

        def create_in(name: str) -> CreateResult | ClientBridgeError:
            try:
                return self.connections[name].create(client, key=key, resend_unknown=resend_unknown)
            except ClientBridgeError as error:
                return error

        with telemetry.observe_fanout(names):
            return _fanout(client, self._each(names, create_in))

    def create_many(
        self,
        clients: Iterable[Client],
        *,
        resend_unknown: bool = False,
        only: Iterable[str] | None = None,
    ) -> dict[str, BatchResult]:
        """Create each client in every connection it goes to: a `BatchResult` per
        connection, whose indices are positions in ``clients``. Never raises for a
        client that failed."""
        clients = list(clients)
        positions = self._split(clients, only)

        def create_in(name: str) -> BatchResult:
            chosen = positions[name]
            if not chosen:
                return BatchResult()
            batch = self.connections[name].create_many(
                [clients[i] for i in chosen], resend_unknown=resend_unknown
            )
            return _in_input_order(clients, chosen, batch)

        return self._each(list(positions), create_in)

    def close(self) -> None:
        """Close every connection (and the group's threads and ledgers)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        errors: list[BaseException] = []
        closing: list[Callable[[], None]] = [conn.close for conn in self.connections.values()]
        closing += [ledger.close for ledger in self._owned_ledgers]
        for close in closing:
            try:
                close()
            except Exception as error:  # close the others before reporting it
                errors.append(error)
        if errors:
            raise errors[0]

    def __enter__(self) -> ConnectionGroup:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncConnectionGroup(_GroupBase["AsyncConnection"]):
    """Several async connections asked concurrently: ``cb.AsyncConnectionGroup({...})``
    or `Config.connect_many_async`. Use it as an async context manager."""

    async def _each(
        self, names: Sequence[str], call: Callable[[str], Awaitable[_T]]
    ) -> dict[str, _T]:
        import anyio

        done: dict[str, _T] = {}

        async def run(name: str) -> None:
            done[name] = await call(name)

        async with anyio.create_task_group() as tasks:
            for name in names:
                tasks.start_soon(run, name)
        return {name: done[name] for name in names}

    async def create(
        self,
        client: Client,
        *,
        key: str | None = None,
        resend_unknown: bool = False,
        only: Iterable[str] | None = None,
    ) -> FanoutResult:
        """Create ``client`` in every connection it goes to, concurrently (see
        `ConnectionGroup.create`).

        Never raises for one connection's failure: see `FanoutResult.errors`.
        """
        client = _check_client(client)
        names = self.targets(client, only)
        self._check_key(names, key)

        async def create_in(name: str) -> CreateResult | ClientBridgeError:
            try:
                return await self.connections[name].create(
                    client, key=key, resend_unknown=resend_unknown
                )
            except ClientBridgeError as error:
                return error

        with telemetry.observe_fanout(names):
            return _fanout(client, await self._each(names, create_in))

    async def create_many(
        self,
        clients: Iterable[Client],
        *,
        resend_unknown: bool = False,
        only: Iterable[str] | None = None,
    ) -> dict[str, BatchResult]:
        """Create each client in every connection it goes to, the connections
        concurrently (see `ConnectionGroup.create_many`)."""
        clients = list(clients)
        positions = self._split(clients, only)

        async def create_in(name: str) -> BatchResult:
            chosen = positions[name]
            if not chosen:
                return BatchResult()
            batch = await self.connections[name].create_many(
                [clients[i] for i in chosen], resend_unknown=resend_unknown
            )
            return _in_input_order(clients, chosen, batch)

        return await self._each(list(positions), create_in)

    async def aclose(self) -> None:
        """Close every connection (and the group's ledgers)."""
        errors: list[BaseException] = []
        for conn in self.connections.values():
            try:
                await conn.aclose()
            except Exception as error:  # close the others before reporting it
                errors.append(error)
        for ledger in self._owned_ledgers:
            try:
                await ledger.aclose()
            except Exception as error:
                errors.append(error)
        if errors:
            raise errors[0]

    close = aclose

    async def __aenter__(self) -> AsyncConnectionGroup:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
