"""The sync driver: `SyncDriver` sends with an `httpx.Client`."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import httpx

from clientbridge.driver._base import DriverBase, PlanResult, response_of
from clientbridge.errors import (
    ClientBridgeError,
)
from clientbridge.wire import HttpRequest, HttpResponse

if TYPE_CHECKING:
    pass


class SyncDriver(DriverBase):
    """Sends requests with an `httpx.Client` and runs plans to completion."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        owns_client: bool,
        sleep: Callable[[float], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.client = client
        self.owns_client = owns_client
        self._sleep = sleep

    def sleep(self, seconds: float) -> None:
        (self._sleep or time.sleep)(seconds)

    def _attempt(self, request: HttpRequest) -> tuple[httpx.Response, bytearray]:
        """Send ``request`` once and read its whole answer within the total timeout.

        A blocking read cannot be interrupted: each operation's timeout is capped at the
        total timeout (see `connection`), and the deadline is checked between chunks.
        """
        deadline = self._deadline()
        # Never follow a redirect, even with a caller's http_client that would: a POST
        # must not be re-sent elsewhere, nor an X-API-KEY header go with it.
        raw = self.client.send(
            self._build(self.client, request), stream=True, follow_redirects=False
        )
        try:
            self._check_declared_size(raw, request)
            content = bytearray()
            for chunk in raw.iter_bytes():
                self._append(content, chunk, request)
                self._check_deadline(deadline)
        finally:
            raw.close()
        return raw, content

    def send(self, request: HttpRequest) -> HttpResponse:
        retries = 0
        while True:
            sent_at = self.throttle.wait(self.sleep) if self.throttle else 0.0
            self._check_not_stopped(request)
            started = time.perf_counter()
            try:
                raw, content = self._attempt(request)
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
            self.sleep(delay)

    def run(self, plan: Generator[HttpRequest, HttpResponse, PlanResult]) -> PlanResult:
        """Drive ``plan``: send each request it yields, feed back each response."""
        try:
            request = next(plan)
            while True:
                try:
                    response = self.send(request)
                except ClientBridgeError as error:
                    # Into the plan, which knows what a failure at this step means (a
                    # look-up's: nothing was created); re-raised as it is otherwise.
                    request = plan.throw(error)
                else:
                    request = plan.send(response)
        except StopIteration as done:
            result: PlanResult = done.value
            return result
        finally:
            plan.close()

    def close(self) -> None:
        if self.throttle:
            self.throttle.close()
        if self.owns_client:
            self.client.close()
