"""The async driver: `AsyncDriver` sends with an `httpx.AsyncClient`, each attempt in a cancel
scope with its deadline."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any

import httpx

from clientbridge.driver._base import DriverBase, PlanResult, response_of
from clientbridge.driver._errors import (
    SendingStopped,
    TotalTimeout,
    not_sent_after_stop,
)
from clientbridge.errors import (
    ClientBridgeError,
)
from clientbridge.wire import HttpRequest, HttpResponse

if TYPE_CHECKING:
    import anyio


class AsyncDriver(DriverBase):
    """Sends requests with an `httpx.AsyncClient` and runs plans to completion."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        owns_client: bool,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.client = client
        self.owns_client = owns_client
        self._sleep = sleep
        #: set by `stop_sending`: wakes the requests waiting for their turn
        self._stopping: anyio.Event | None = None

    def stop_sending(self) -> None:
        super().stop_sending()
        if self._stopping is not None:
            self._stopping.set()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` before a request; raises `SendingStopped` at `stop_sending`."""
        import anyio

        if self._stopping is None:
            self._stopping = anyio.Event()
        if self._sleep is not None:
            await self._sleep(seconds)
        else:
            with anyio.move_on_after(seconds):
                await self._stopping.wait()
        if self.stopped:
            raise SendingStopped

    async def _attempt(self, request: HttpRequest) -> tuple[httpx.Response, bytearray]:
        """Send ``request`` once and read its whole answer, cancelled at the total timeout."""
        if self.total_timeout is None:
            return await self._exchange(request)  # no cancel scope to pay for
        import anyio

        with anyio.move_on_after(self.total_timeout) as deadline:
            return await self._exchange(request)
        # Only the deadline ends the block early (an outer cancellation goes through it).
        assert deadline.cancelled_caught
        assert self.total_timeout is not None
        raise TotalTimeout(self.total_timeout)

    async def _exchange(self, request: HttpRequest) -> tuple[httpx.Response, bytearray]:
        raw = await self.client.send(
            self._build(self.client, request), stream=True, follow_redirects=False
        )
        try:
            self._check_declared_size(raw, request)
            content = bytearray()
            async for chunk in raw.aiter_bytes():
                self._append(content, chunk, request)
        finally:
            await raw.aclose()
        return raw, content

    async def send(self, request: HttpRequest) -> HttpResponse:
        retries = 0
        while True:
            try:
                sent_at = await self.throttle.wait_async(self.sleep) if self.throttle else 0.0
            except SendingStopped:
                raise not_sent_after_stop(request, self.provider) from None
            self._check_not_stopped(request)
            started = time.perf_counter()
            try:
                raw, content = await self._attempt(request)
            except httpx.HTTPError as error:
                delay = self._delay_after_error(request, error, retries)
            else:
                response = response_of(raw, content)
                if self.throttle:
                    self.throttle.observe(sent_at, response.status_code, response.retry_after())
                after = self._delay_after_response(request, response, retries, started)
                if after is None:
                    return response
                delay = after
            retries += 1
            try:
                await self.sleep(delay)
            except SendingStopped:
                raise not_sent_after_stop(request, self.provider) from None

    async def run(self, plan: Generator[HttpRequest, HttpResponse, PlanResult]) -> PlanResult:
        """Drive ``plan``: send each request it yields, feed back each response."""
        try:
            request = next(plan)
            while True:
                try:
                    response = await self.send(request)
                except ClientBridgeError as error:
                    request = plan.throw(error)  # see SyncDriver.run
                else:
                    request = plan.send(response)
        except StopIteration as done:
            result: PlanResult = done.value
            return result
        finally:
            plan.close()

    async def aclose(self) -> None:
        if self.throttle:
            await self.throttle.aclose()
        if self.owns_client:
            await self.client.aclose()
