"""Wire value types: what `HttpResponse` reads from its headers and its body."""

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


@pytest.mark.parametrize(
    "content",
    [
        '{"name":"Zoë"}'.encode(),
        '\ufeff{"name":"Zoë"}'.encode(),  # a UTF-8 byte order mark
        '{"name":"Zoë"}'.encode("utf-16"),  # other encodings json.loads detects
        '{"name":"Zoë"}'.encode("utf-32-le"),
    ],
)
def test_json_reads_utf8_and_the_encodings_json_loads_detects(content: bytes) -> None:
    assert HttpResponse(status_code=200, content=content).json() == {"name": "Zoë"}


@pytest.mark.parametrize("content", [b"\xff\xfe\xfd", b"not json", b"", b"[" * 100_000])
def test_json_raises_value_error_for_what_is_not_json(content: bytes) -> None:
    with pytest.raises(ValueError, match=r"decode|Expecting value|nested too deeply"):
        HttpResponse(status_code=200, content=content).json()
