"""Rate limits: the configured limit, the pause a Retry-After asks for, the rate learned
from 429s, and the limit shared through Redis.

These tests count requests and 429s (the sandbox's `stats`), never seconds. Where real
time must pass, the sandbox allows more of a burst than the client takes, so a slow
machine only makes a test slower.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

import clientbridge as cb
from clientbridge.ratelimit import AdaptiveRate, Rate, limit_key, parse_rate
from clientbridge.sandbox import Sandbox
from clientbridge.secrets import Secret

from .conftest import CANARY
from .import_fakes import deadline, invoke


def ada(number: int = 0) -> cb.Client:
    return cb.Client(name=f"Ada {number}", email=f"ada{number}@example.com")


def placio(sandbox: Sandbox, **options: object) -> cb.Connection:
    return cb.connect(
        "placio",
        sandbox=True,
        transport=sandbox.transport("placio"),
        **options,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- the option


@pytest.mark.parametrize(
    ("text", "per_second"),
    [("10/s", 10), ("600/min", 10), ("7200/h", 2), ("100/10s", 10), (" 2 / second ", 2)],
)
def test_a_rate_is_requests_per_period(text: str, per_second: float) -> None:
    assert parse_rate(text).per_second == per_second


@pytest.mark.parametrize("text", ["10", "ten/s", "0/s", "10/fortnight", "-1/s"])
def test_anything_else_is_not_a_rate(text: str) -> None:
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate(text)


def test_the_rate_limit_option_is_checked_when_connecting() -> None:
    with pytest.raises(cb.ConfigurationError, match=r"rate_limit.*'10/s'"):
        cb.connect("placio", sandbox=True, rate_limit="fast")


def test_rate_limit_is_a_config_file_key(tmp_path: Path) -> None:
    config = tmp_path / "clientbridge.toml"
    config.write_text(
        '[connections.uk]\nprovider = "placio"\nsandbox = true\nrate_limit = "600/min"\n',
        encoding="utf-8",
    )
    with cb.load_config(config).connect("uk") as conn:
        assert conn.options.rate_limit == Rate(600, 60)


def test_a_storage_that_is_not_a_known_uri_is_refused_without_showing_its_password() -> None:
    with pytest.raises(cb.ConfigurationError) as raised:
        cb.connect("placio", sandbox=True, rate_limit_storage=f"http://user:{CANARY}@host")
    assert "rate_limit_storage" in str(raised.value)
    assert CANARY not in str(raised.value)


def test_storage_with_no_limit_at_all_is_refused() -> None:
    with pytest.raises(cb.ConfigurationError, match="rate_limit 'off'"):
        cb.connect("placio", sandbox=True, rate_limit="off", rate_limit_storage="redis://x")


def test_the_storage_uri_stays_out_of_the_options_repr() -> None:
    storage = f"redis://:{CANARY}@127.0.0.1:6379/0"
    with cb.connect("placio", sandbox=True, rate_limit_storage=storage) as conn:
        assert CANARY not in repr(conn.options)


def test_an_account_is_named_by_a_digest_never_by_its_credential() -> None:
    key = limit_key("placio", "https://api.placio.test", [Secret(CANARY)])
    assert key.startswith("placio:")
    assert CANARY not in key
    assert key == limit_key("placio", "https://api.placio.test", [Secret(CANARY)])
    assert key != limit_key("placio", "https://api.placio.test", [Secret("another")])
    assert key != limit_key("placio", "https://eu.placio.test", [Secret(CANARY)])


# --------------------------------------------------------------------------- a configured limit


def creates_in_threads(connections: list[cb.Connection], per_thread: int) -> list[str]:
    """Each connection creates ``per_thread`` clients in each of two threads; returns the
    names of the errors raised."""
    errors: list[str] = []

    def work(conn: cb.Connection, first: int) -> None:
        for number in range(first, first + per_thread):
            try:
                conn.create(ada(number))
            except cb.ClientBridgeError as error:
                errors.append(type(error).__name__)

    threads = [
        threading.Thread(target=work, args=(conn, (2 * index + half) * per_thread))
        for index, conn in enumerate(connections)
        for half in (0, 1)
    ]
    with deadline(60):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return errors


def test_a_configured_limit_holds_for_every_thread_of_a_connection() -> None:
    sandbox = Sandbox(rate_limit="100/s", rate_limit_burst=30)
    with placio(sandbox, rate_limit="100/s", max_retries=0) as conn:
        errors = creates_in_threads([conn], per_thread=30)
    assert errors == []
    assert (sandbox.stats()["requests"], sandbox.stats()["rate_limited"]) == (60, 0)


def test_a_configured_limit_holds_for_every_connection_to_the_same_account() -> None:
    sandbox = Sandbox(rate_limit="100/s", rate_limit_burst=30)
    with (
        placio(sandbox, rate_limit="100/s", max_retries=0) as first,
        placio(sandbox, rate_limit="100/s", max_retries=0) as second,
    ):
        errors = creates_in_threads([first, second], per_thread=15)
    assert errors == []
    assert (sandbox.stats()["requests"], sandbox.stats()["rate_limited"]) == (60, 0)


def test_without_the_limit_the_same_threads_are_refused() -> None:
    sandbox = Sandbox(rate_limit="100/s", rate_limit_burst=30)
    with placio(sandbox, rate_limit="off", max_retries=0) as conn:
        errors = creates_in_threads([conn], per_thread=30)
    assert "RateLimitedError" in errors
    assert sandbox.stats()["rate_limited"] == len(errors)


@pytest.mark.anyio
async def test_a_configured_limit_holds_for_every_task_of_an_async_connection() -> None:
    sandbox = Sandbox(rate_limit="100/s", rate_limit_burst=30)
    async with cb.connect_async(
        "placio",
        sandbox=True,
        transport=sandbox.transport("placio", asynchronous=True),
        rate_limit="100/s",
        max_retries=0,
        max_concurrency=8,
    ) as conn:
        batch = await conn.create_many([ada(number) for number in range(60)])
    assert batch.ok
    assert (sandbox.stats()["requests"], sandbox.stats()["rate_limited"]) == (60, 0)


# --------------------------------------------------------------------------- Retry-After


def test_a_429_with_retry_after_pauses_every_connection_to_the_account(
    no_sleep: list[float],
) -> None:
    sandbox = Sandbox()
    sandbox.inject("rate_limited", retry_after=7)
    with placio(sandbox, max_retries=0) as first, placio(sandbox) as second:
        with pytest.raises(cb.RateLimitedError):
            first.create(ada(1))
        assert no_sleep == []
        second.create(ada(2))  # waits out the pause before it sends
    assert no_sleep == [7.0]
    assert sandbox.stats()["requests"] == 2


def test_the_pause_holds_the_next_requests_of_the_same_connection(no_sleep: list[float]) -> None:
    sandbox = Sandbox()
    sandbox.inject("rate_limited", retry_after=5)
    with placio(sandbox, max_retries=0) as conn:
        batch = conn.create_many([ada(number) for number in range(3)])
    assert [failure.index for failure in batch.failed] == [0]
    assert no_sleep == [5.0]  # once: the pause is over for the third request


def test_with_rate_limit_off_a_connection_ignores_the_pause(no_sleep: list[float]) -> None:
    sandbox = Sandbox()
    sandbox.inject("rate_limited", retry_after=7)
    with placio(sandbox, max_retries=0) as first, placio(sandbox, rate_limit="off") as second:
        with pytest.raises(cb.RateLimitedError):
            first.create(ada(1))
        second.create(ada(2))
    assert no_sleep == []


def test_a_retry_after_too_long_to_wait_out_pauses_nothing(no_sleep: list[float]) -> None:
    sandbox = Sandbox()
    sandbox.inject("rate_limited", retry_after=3600)
    with placio(sandbox) as first, placio(sandbox) as second:
        with pytest.raises(cb.RateLimitedError) as raised:
            first.create(ada(1))
        second.create(ada(2))
    assert raised.value.retry_after == 3600
    assert no_sleep == []


# --------------------------------------------------------------------------- learning (AIMD)


def learned_after(answers_per_second: int, seconds: float = 1.0) -> AdaptiveRate:
    """An `AdaptiveRate` that saw that many clean answers a second until ``seconds``."""
    rate = AdaptiveRate()
    count = int(answers_per_second * seconds)
    for number in range(count):
        rate.accepted(number / answers_per_second)
    return rate


def test_with_no_429_nothing_is_held_back() -> None:
    assert learned_after(200).rate is None


def test_a_429_cuts_the_rate_to_90_percent_of_what_was_accepted_in_the_last_second() -> None:
    rate = learned_after(50, seconds=3)
    assert rate.refused(sent_at=3.0, now=3.0)
    assert rate.rate == pytest.approx(45)


def test_429s_for_requests_sent_before_a_cut_do_not_cut_again() -> None:
    rate = learned_after(50)
    rate.refused(sent_at=1.0, now=1.0)
    for _ in range(15):  # the other requests that were in flight
        assert not rate.refused(sent_at=0.99, now=1.01)
    assert rate.rate == pytest.approx(45)
    assert rate.cuts == 1


def test_each_later_429_cuts_multiplicatively_down_to_a_floor() -> None:
    rate = learned_after(10)
    now = 1.0
    rates = []
    for _ in range(60):
        now += 0.5
        rate.refused(sent_at=now, now=now)
        rates.append(rate.rate)
    assert rates[1] == pytest.approx(rates[0] * 0.9)
    assert rates[-1] == AdaptiveRate.MINIMUM


def test_a_429_before_anything_was_accepted_says_no_rate() -> None:
    rate = AdaptiveRate()
    assert not rate.refused(sent_at=0.0, now=0.0)
    assert rate.rate is None


def test_clean_answers_grow_the_rate_by_a_fixed_step_each_second_it_holds_requests_back() -> None:
    rate = learned_after(50)
    rate.refused(sent_at=1.0, now=1.0)  # 45/s, growing by 0.9/s each second
    now = 1.0
    for _ in range(5):
        now += 1.0
        rate.held_back()
        rate.accepted(now)
    assert rate.rate == pytest.approx(45 + 5 * 0.9)


def test_the_rate_does_not_grow_while_it_holds_nothing_back() -> None:
    rate = learned_after(50)
    rate.refused(sent_at=1.0, now=1.0)
    for second in range(2, 20):
        rate.accepted(float(second))
    assert rate.rate == pytest.approx(45)


def test_an_import_into_a_rate_limited_sandbox_fails_no_row(tmp_path: Path) -> None:
    rows = 150
    clients = tmp_path / "clients.csv"
    clients.write_text(
        "name,email\n" + "".join(f"Ada {n},ada{n}@example.com\n" for n in range(rows)),
        encoding="utf-8",
    )
    report = tmp_path / "report.csv"
    sandbox = Sandbox(rate_limit="60/s", latency_ms=5)

    def transport(provider: str, asynchronous: bool) -> object:
        return sandbox.transport(provider, asynchronous=asynchronous)

    args = ["import", str(clients), "--provider", "placio", "--sandbox", "--concurrency", "16"]
    with deadline(120):
        result = invoke([*args, "--report", str(report), "--progress", "none"], transport)
    assert result.exit_code == 0, result.output
    assert sandbox.stats()["created"] == rows
    stats = sandbox.stats()
    # The first burst of 16 workers finds the limit; after that the rate holds.
    assert stats["rate_limited"] <= 0.15 * stats["requests"], stats


def test_the_learned_rate_is_logged_without_the_credential(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sandbox = Sandbox(rate_limit="100/h", rate_limit_burst=5, credentials={"placio": CANARY})
    caplog.set_level(logging.DEBUG, logger="clientbridge")
    with placio(sandbox, token=CANARY, max_retries=0) as conn:
        for number in range(7):
            try:
                conn.create(ada(number))
            except cb.RateLimitedError:
                break
    # Retry-After here is 720 s, longer than a connection waits: nothing is paused.
    assert "leave at most 4.5 a second" in caplog.text
    assert CANARY not in caplog.text
