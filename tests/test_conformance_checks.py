"""The conformance kit's checks can fail: each runs against a deliberately broken adapter
(registered as a plug-in would be) and must refuse it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from importlib.metadata import EntryPoint

import attrs
import httpx
import pytest

import clientbridge as cb
from clientbridge import registry
from clientbridge.adapters.agencyhandy import AgencyHandyAdapter
from clientbridge.adapters.roostedhr import RoostedHRAdapter

from .test_conformance import BuiltinConformance

_log = logging.getLogger("clientbridge.tests.broken")


class FindExistingUndeclared(RoostedHRAdapter):
    """Overrides find_existing (inherited) but does not say so."""

    name = "broken-find-existing"
    capabilities = attrs.evolve(RoostedHRAdapter.capabilities, find_existing=False)


class LookupsUndeclared(AgencyHandyAdapter):
    """Looks the company and role up, and declares no look-ups."""

    name = "broken-lookups"
    capabilities = attrs.evolve(AgencyHandyAdapter.capabilities, lookups=())


class LeadsClaimed(RoostedHRAdapter):
    """Claims leads, and sends a lead as any other client."""

    name = "broken-leads"
    capabilities = attrs.evolve(RoostedHRAdapter.capabilities, leads=True)


class BulkClaimed(RoostedHRAdapter):
    """Claims bulk creates, and reads one record from every answer."""

    name = "broken-bulk"
    capabilities = attrs.evolve(RoostedHRAdapter.capabilities, bulk_size=50)


class LeakyLogs(RoostedHRAdapter):
    """Logs its credential at DEBUG while building a create."""

    name = "broken-leaky-logs"

    def build_create_request(self, batch, resolved):  # type: ignore[no-untyped-def]
        _log.debug("creating with %s", self.secret("api_key").reveal())
        return super().build_create_request(batch, resolved)


BROKEN = {
    cls.name: cls
    for cls in (FindExistingUndeclared, LookupsUndeclared, LeadsClaimed, BulkClaimed, LeakyLogs)
}


@pytest.fixture(autouse=True)
def broken_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Register the broken adapters through the plug-in entry points."""
    entry_points = [
        EntryPoint(name, f"{__name__}:{cls.__name__}", registry.ENTRY_POINT_GROUP)
        for name, cls in BROKEN.items()
    ]

    def fake(*, group: str) -> list[EntryPoint]:
        return entry_points if group == registry.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(registry, "_entry_points", lambda: fake)
    registry.refresh()
    yield
    registry.refresh()


def kit(provider: str, like: str) -> BuiltinConformance:
    """The kit set up for the broken ``provider``, answered by the emulator of ``like``."""

    class Kit(BuiltinConformance):
        def answer(self, request: httpx.Request) -> httpx.Response:
            return kit_for_like.answer(request)

        @property
        def minimal_client(self) -> cb.Client:  # type: ignore[override]
            return kit_for_like.minimal_client

        @property
        def settings(self):  # type: ignore[no-untyped-def, override]
            return kit_for_like.settings

    class Like(BuiltinConformance):
        pass

    Like.provider = like
    kit_for_like = Like()
    Kit.provider = provider
    return Kit()


def test_the_broken_adapters_are_registered() -> None:
    assert set(BROKEN) <= set(cb.providers())


@pytest.mark.parametrize(
    ("provider", "like", "check", "why"),
    [
        ("broken-find-existing", "roostedhr", "test_capabilities_are_consistent", "find_existing"),
        ("broken-lookups", "agencyhandy", "test_capabilities_are_consistent", "lookups"),
        ("broken-lookups", "agencyhandy", "test_declared_lookups_are_the_ones_made", "declared"),
        ("broken-leads", "roostedhr", "test_leads_capability_matches_lead_handling", "leads"),
        ("broken-bulk", "roostedhr", "test_capabilities_are_consistent", "bulk"),
    ],
)
def test_a_capability_that_disagrees_with_the_adapter_fails_the_kit(
    provider: str, like: str, check: str, why: str
) -> None:
    with pytest.raises(AssertionError, match=why):
        getattr(kit(provider, like), check)()


def test_the_capability_checks_pass_the_unbroken_adapter_they_derive_from() -> None:
    for like in ("roostedhr", "agencyhandy"):
        checks = kit(like, like)
        checks.test_capabilities_are_consistent()
        checks.test_declared_lookups_are_the_ones_made()
        checks.test_leads_capability_matches_lead_handling()
        checks.test_bulk_size_matches_the_create_requests_sent()


def test_the_debug_log_check_fails_when_nothing_is_logged(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging.getLogger("clientbridge"), "disabled", True)
    with pytest.raises(AssertionError, match="no request was logged at DEBUG"):
        kit("roostedhr", "roostedhr").test_debug_logs_never_hold_the_credential(caplog)


def test_the_debug_log_check_fails_when_the_credential_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(AssertionError):
        kit("broken-leaky-logs", "roostedhr").test_debug_logs_never_hold_the_credential(caplog)
