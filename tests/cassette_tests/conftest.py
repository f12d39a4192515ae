"""Fixtures of the cassette suite: the vcrpy configuration and the `Target` of a scenario.

A test module sets ``PROVIDER``; its cassettes are ``tests/cassettes/<provider>/<test
name without "test_">.yaml``. ``--record-mode`` (pytest-recording) decides what happens:

* ``none`` (the default): replay, no server, no network; every recorded request must
  be made (an unmatched one raises `CannotOverwriteExistingCassetteException`);
* anything else (e.g. ``--record-mode=rewrite``): each test starts its own seeded
  sandbox server on 127.0.0.1 and records against it, or against a live account when
  ``CLIENTBRIDGE_LIVE_<PROVIDER>_<SETTING>`` variables are set (see docs/cassettes.md).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clientbridge.sandbox.emulators import base as emulator_base
from clientbridge.sandbox.server import running_server
from tests.cassette_support import (
    CASSETTE_CREDENTIALS,
    CASSETTES,
    FROZEN_TIME,
    LIVE_CASSETTES,
    LIVE_REPLAY_TAG,
    NOISY_HEADERS,
    SEED,
    FrozenClock,
    Scrubber,
    Target,
    json_body,
    known_credentials,
    live_settings,
    new_email_tag,
    replay_origin,
    replay_settings,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sandbox(**options): Sandbox options of the recording server "
        "(e.g. options={provider: the emulator options_type}); the scenario is sandbox-only",
    )
    config.addinivalue_line(
        "markers",
        "sandbox_only: the scenario needs the sandbox (injected faults...); "
        "skipped against a live account",
    )


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_matcher("json_body", json_body)


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


# --------------------------------------------------------------------------- where and how


@pytest.fixture
def provider(request: pytest.FixtureRequest) -> str:
    """The module's ``PROVIDER`` (a module shared by all providers parametrizes it)."""
    name: str = getattr(request.module, "PROVIDER", "")
    return name


@pytest.fixture
def live(provider: str) -> dict[str, str] | None:
    """The live account's settings when its ``CLIENTBRIDGE_LIVE_*`` credential is set."""
    return live_settings(provider) if provider else None


@pytest.fixture
def vcr_cassette_dir(provider: str, live: dict[str, str] | None) -> str:
    return str((LIVE_CASSETTES if live else CASSETTES) / provider)


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    name: str = request.node.originalname
    return name.removeprefix("test_")


@pytest.fixture
def recording(record_mode: str, disable_recording: bool) -> bool:
    """True when requests really go out (to the sandbox server or a live account)."""
    return record_mode != "none" or disable_recording


@pytest.fixture
def email_tag(live: dict[str, str] | None, recording: bool) -> str:
    """A live account keeps its records: e-mails get a fresh tag per recording run."""
    if not live:
        return ""
    return new_email_tag() if recording else LIVE_REPLAY_TAG


@pytest.fixture
def vcr_config(provider: str, email_tag: str) -> dict[str, Any]:
    scrubber = Scrubber(
        secrets=known_credentials().values(),
        origin=replay_origin(provider),
        replacements=((email_tag, LIVE_REPLAY_TAG),) if email_tag else (),
    )
    config = scrubber.vcr_config()  # what clientbridge.testing.vcr_config gives apps
    config["filter_headers"] = [*config["filter_headers"], *NOISY_HEADERS]
    # Not host, port or scheme: recordings come from a random loopback port.
    config["match_on"] = ["method", "path", "query", "json_body"]
    return config


# --------------------------------------------------------------------------- the target


@pytest.fixture(scope="session")
def replay_tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()


@pytest.fixture(autouse=True)
def instant_retries(no_sleep: list[float]) -> list[float]:
    """The driver's back-off never sleeps, recording or replaying (``no_sleep`` has the delays)."""
    return no_sleep


@pytest.fixture
def target(
    request: pytest.FixtureRequest,
    provider: str,
    live: dict[str, str] | None,
    recording: bool,
    email_tag: str,
    vcr: Any,
    vcr_cassette_dir: str,
    default_cassette_name: str,
    monkeypatch: pytest.MonkeyPatch,
    replay_tls: ssl.SSLContext,
) -> Iterator[Target]:
    """What the scenario talks to: a sandbox server, a cassette or a live account."""
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("sandbox"))):
        options.update(marker.kwargs)
    if live:
        if options or request.node.get_closest_marker("sandbox_only"):
            pytest.skip("this scenario needs the sandbox (faults or sandbox options)")
        cassette = Path(vcr_cassette_dir) / f"{default_cassette_name}.yaml"
        if not recording and not cassette.exists():
            pytest.skip(f"no live recording of this scenario yet ({cassette})")
        yield Target(provider, settings=dict(live), live=True, email_tag=email_tag)
    elif recording:
        monkeypatch.setattr(emulator_base, "time", FrozenClock(FROZEN_TIME))
        with running_server(
            provider, credential=CASSETTE_CREDENTIALS[provider], seed=SEED, **options
        ) as server:
            yield Target(provider, settings=dict(server.settings), server=server)
    else:
        yield Target(provider, settings=replay_settings(provider), tls=replay_tls)
        if not request.node.stash.get(_CALL_FAILED, True) and not vcr.all_played:
            unplayed = len(vcr) - vcr.play_count
            pytest.fail(
                f"{unplayed} recorded request(s) of {default_cassette_name}.yaml were not "
                "made: the scenario changed; re-record it (docs/cassettes.md)"
            )
