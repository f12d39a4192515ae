"""Wire value types: what `HttpResponse` reads from its headers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from clientbridge.wire import HttpResponse


def response(**headers: str) -> HttpResponse:
    return HttpResponse(status_code=429, headers=headers)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), (" 1.5 ", 1.5), ("0", 0.0), ("-3", 0.0), ("soon", None), ("", None)],
)
def test_retry_after_reads_delta_seconds(value: str, seconds: float | None) -> None:
    assert response(**{"retry-after": value}).retry_after() == seconds


def test_retry_after_is_none_without_the_header() -> None:
    assert response().retry_after() is None


def test_retry_after_reads_an_http_date() -> None:
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=90), usegmt=True)
    seconds = response(**{"retry-after": later}).retry_after()
    assert seconds is not None
    assert 80 < seconds <= 90


def test_retry_after_a_past_date_is_no_wait() -> None:
    assert response(**{"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}).retry_after() == 0.0


def test_retry_after_a_date_without_a_zone_is_unreadable() -> None:
    assert response(**{"retry-after": "Wed, 21 Oct 2015 07:28:00 -0000"}).retry_after() is None
