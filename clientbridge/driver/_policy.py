"""The retry policy: when and how long to wait before sending a request again."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import attrs

from clientbridge.driver._errors import NOT_SENT
from clientbridge.errors import (
    RETRYABLE_STATUSES,
)
from clientbridge.wire import HttpResponse

if TYPE_CHECKING:
    pass

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how long to wait before sending a request again."""

    max_retries: int = 3
    initial_backoff: float = 0.5
    max_backoff: float = 20.0
    #: the longest ``Retry-After`` we sleep through
    max_retry_after: float = 60.0

    def status_delay(self, method: str, response: HttpResponse, retries_done: int) -> float | None:
        """Seconds to wait before resending after ``response``, or None to stop."""
        status = response.status_code
        retryable = status in RETRYABLE_STATUSES or (
            method in IDEMPOTENT and status in (500, 502, 504)
        )
        if not retryable or retries_done >= self.max_retries:
            return None
        retry_after = response.retry_after()
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        return self.backoff(retries_done)

    def error_delay(self, method: str, error: Exception, retries_done: int) -> float | None:
        if retries_done >= self.max_retries:
            return None
        if isinstance(error, NOT_SENT) or method in IDEMPOTENT:
            return self.backoff(retries_done)
        return None

    def backoff(self, retries_done: int) -> float:
        """Exponential backoff with full jitter, capped."""
        ceiling = min(self.max_backoff, self.initial_backoff * (2**retries_done))
        return random.uniform(ceiling / 2, ceiling)
