"""Adapter look-up: built-ins, aliases and entry-point plug-ins."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from importlib.metadata import EntryPoint

import httpx
import pytest

import clientbridge as cb
from clientbridge import registry
from clientbridge.adapters.base import Adapter, FieldRule, Prepared, Setting, take
from clientbridge.wire import HttpRequest, JSONValue


class EchoAdapter(Adapter):
    """A tiny third-party adapter, as a plug-in package would ship it."""

    name = "echo"
    display_name = "Echo"
    aliases = ("echo-v1",)
    settings_spec = (
        Setting(name="api_key", description="key", required=True, secret=True),
        Setting(name="base_url", description="root", default="https://echo.example", url=True),
    )
    fields = (FieldRule(wire="email", neutral=("email",), pick=take("email"), required=True),)

    def build_create_request(
        self, batch: Sequence[Prepared], resolved: Mapping[str, str]
    ) -> HttpRequest:
        return HttpRequest(method="POST", url=self.url("people"), json=batch[0].payload)

    def parse_record(self, record: Mapping[str, JSONValue]) -> cb.Client:
        return cb.Client(email=str(record["email"]))


@pytest.fixture
def echo_plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    entry_point = EntryPoint(
        name="echo", value=f"{__name__}:EchoAdapter", group=registry.ENTRY_POINT_GROUP
    )

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        return [entry_point] if group == registry.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(registry, "_entry_points", lambda: fake_entry_points)
    registry.refresh()
    yield
    monkeypatch.undo()
    registry.refresh()


def test_builtins_are_listed() -> None:
    assert {"agencyhandy", "placio", "proconvey", "roostedhr"} <= set(cb.providers())


def test_aliases_resolve_to_their_adapter() -> None:
    assert registry.canonical_name("workspace-v1") == "placio"
    assert registry.canonical_name("uk-v2") == "proconvey"
    assert registry.canonical_name(" RoostedHR ") == "roostedhr"


@pytest.mark.usefixtures("echo_plugin")
def test_entry_point_plugins_are_listed_and_usable() -> None:
    assert "echo" in cb.providers()
    assert registry.canonical_name("echo-v1") == "echo"

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={"id": "e1", "email": "a@example.com"})

    with cb.connect("echo", api_key="k", transport=httpx.MockTransport(answer)) as conn:
        result = conn.create(cb.Client(email="a@example.com"))
    assert (result.provider, result.id) == ("echo", "e1")


def test_broken_plugin_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    entry_point = EntryPoint(
        name="broken", value="no_such_module:X", group=registry.ENTRY_POINT_GROUP
    )
    monkeypatch.setattr(registry, "_entry_points", lambda: lambda *, group: [entry_point])
    registry.refresh()
    try:
        with pytest.raises(cb.ConfigurationError, match="failed to import"):
            registry.adapter_class("broken")
    finally:
        monkeypatch.undo()
        registry.refresh()
