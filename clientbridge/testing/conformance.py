"""The adapter conformance kit: checks every clientbridge adapter must pass.

A third-party adapter author subclasses `AdapterConformance` in a test module and
gets the checks for free::

    import httpx
    from clientbridge.testing import AdapterConformance

    class TestMyProvider(AdapterConformance):
        provider = "myprovider"
        settings = {"api_key": "k", "base_url": "https://api.myprovider.example"}
        minimal_client = cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com")

        def answer(self, request: httpx.Request) -> httpx.Response:
            # answer a create as the provider does (may read request.content)
            return httpx.Response(201, json={"id": "c_1", ...})

The checks cover settings validation, secret redaction, pure (I/O-free) request
building, error-table coverage, result normalisation, dropped-field warnings and
sync/async parity. Everything runs against `httpx.MockTransport`: no network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import attrs
import httpx
import pytest

import clientbridge as cb
from clientbridge.adapters.base import NEUTRAL_FIELDS, Adapter
from clientbridge.registry import adapter_class

__all__ = ["CANARY", "RICH_CLIENT", "AdapterConformance"]

#: The credential planted in every secret setting; it must never surface.
CANARY = "cb-canary-7f3a9c-DO-NOT-LEAK"

_STATUS_CLASSES: Mapping[int, type[cb.ProviderError]] = {
    400: cb.ProviderValidationError,
    401: cb.AuthenticationError,
    403: cb.PermissionDeniedError,
    404: cb.NotFoundError,
    422: cb.ProviderValidationError,
    429: cb.RateLimitedError,
    500: cb.ProviderUnavailableError,
    502: cb.ProviderUnavailableError,
    503: cb.ProviderUnavailableError,
    504: cb.ProviderUnavailableError,
}

#: A client that sets every neutral field, for dropped-field checks.
RICH_CLIENT = cb.Client(
    first_name="Ada",
    last_name="Lovelace",
    email="ada@example.com",
    phone="+44 7911 123456",
    company_name="Analytical Engines Ltd",
    title="Dr",
    address=cb.Address(line1="1 Main St", city="London", postal_code="SW1A 1AA", country="GB"),
    contact_methods=(cb.ContactMethod(kind=cb.ContactKind.WHATSAPP, value="+447911123456"),),
    avatar_url="https://example.com/ada.png",
    source="website",
    custom_fields={"tier": "gold"},
)


class _Refuse(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A transport that fails the test if anything is sent."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        pytest.fail(f"no request may be sent here, but {request.method} {request.url} was")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pytest.fail(f"no request may be sent here, but {request.method} {request.url} was")


class AdapterConformance:
    """Subclass with ``provider``, ``settings``, ``minimal_client`` and ``answer``."""

    #: the registered adapter name
    provider: ClassVar[str]
    #: valid settings; secret settings get the canary value automatically
    settings: ClassVar[Mapping[str, Any]] = {}
    #: the smallest client this provider accepts
    minimal_client: ClassVar[cb.Client]
    #: a client richer than the provider can take (dropped-field checks)
    rich_client: ClassVar[cb.Client] = RICH_CLIENT

    def answer(self, request: httpx.Request) -> httpx.Response:
        """Answer every request as the provider would on success (override)."""
        raise NotImplementedError("override answer() to emulate the provider's success")

    # ------------------------------------------------------------------ helpers

    @property
    def adapter(self) -> type[Adapter]:
        return adapter_class(self.provider)

    def connection_settings(self, **overrides: Any) -> dict[str, Any]:
        settings = dict(self.settings)
        for setting in self.adapter.settings_spec:
            if setting.secret:
                settings[setting.name] = CANARY
        settings.update(overrides)
        return settings

    def connect(
        self,
        handler: Callable[[httpx.Request], httpx.Response] | None = None,
        **overrides: Any,
    ) -> cb.Connection:
        transport = httpx.MockTransport(handler or self.answer)
        return cb.connect(
            self.provider,
            transport=transport,
            max_retries=0,
            **self.connection_settings(**overrides),
        )

    def error_answer(self, status: int, body: Any) -> Callable[[httpx.Request], httpx.Response]:
        """Answer look-ups as the provider does, and the create with ``status``."""

        def handler(request: httpx.Request) -> httpx.Response:
            if request.method == "GET":
                return self.answer(request)
            return httpx.Response(status, json=body)

        return handler

    # ------------------------------------------------------------------ declarations

    def test_adapter_is_registered_under_its_name(self) -> None:
        assert self.provider in cb.providers()
        assert self.adapter.name == self.provider

    def test_adapter_declares_a_display_name_and_settings(self) -> None:
        assert self.adapter.display_name
        names = [setting.name for setting in self.adapter.settings_spec]
        assert len(names) == len(set(names)), "setting names must be unique"
        assert all(setting.description for setting in self.adapter.settings_spec)

    def test_field_rules_name_neutral_fields(self) -> None:
        for rule in self.adapter.fields:
            assert rule.wire, "every rule needs a wire field"
            assert set(rule.neutral) <= set(NEUTRAL_FIELDS), rule.neutral

    def overrides(self, method: str) -> bool:
        """Whether the adapter defines ``method`` itself rather than inheriting `Adapter`'s."""
        return getattr(self.adapter, method) is not getattr(Adapter, method)

    def lead_client(self) -> cb.Client:
        data = cb.converter.unstructure(self.minimal_client)
        return cb.converter.structure({**data, "lead": True}, cb.Client)

    def test_capabilities_are_consistent(self) -> None:
        capabilities = self.adapter.capabilities
        assert capabilities.bulk_size >= 1
        assert capabilities.find_existing == self.overrides("find_existing"), (
            "capabilities.find_existing must be declared exactly when the adapter "
            "overrides find_existing"
        )
        looks_up = self.overrides("lookups") or self.overrides("plan_lookups")
        assert bool(capabilities.lookups) == looks_up, (
            "capabilities.lookups must name the look-ups exactly when the adapter overrides lookups"
        )
        if capabilities.bulk_size > 1:
            assert self.overrides("parse_create_response"), (
                f"bulk_size={capabilities.bulk_size}, but the adapter reads one record per "
                "answer (a bulk create overrides parse_create_response)"
            )

    def test_declared_lookups_are_the_ones_made(self) -> None:
        declared = set(self.adapter.capabilities.lookups)
        made: set[str] = set()
        with cb.connect(self.provider, transport=_Refuse(), **self.connection_settings()) as conn:
            for client in (self.minimal_client, self.lead_client()):
                prepared = conn.adapter.prepare(0, client, "ignore")
                made.update(lookup.key for lookup in conn.adapter.lookups([prepared]))
        assert made <= declared, f"look-ups {sorted(made - declared)} are not declared"

    def test_leads_capability_matches_lead_handling(self) -> None:
        with cb.connect(self.provider, transport=_Refuse(), **self.connection_settings()) as conn:
            handled = conn.preview(self.lead_client()) != conn.preview(self.minimal_client)
        assert self.adapter.capabilities.leads == handled, (
            "capabilities.leads must be declared exactly when a lead is sent differently "
            "from a client"
        )

    def test_bulk_size_matches_the_create_requests_sent(self) -> None:
        creates: list[httpx.Request] = []

        def counting(request: httpx.Request) -> httpx.Response:
            if request.method != "GET":
                creates.append(request)
            return self.answer(request)

        with self.connect(counting) as conn:
            conn.create_many([self.minimal_client, _with_another_email(self.minimal_client)])
        bulk = self.adapter.capabilities.bulk_size > 1
        assert len(creates) == (1 if bulk else 2), (
            f"bulk_size={self.adapter.capabilities.bulk_size}, but two clients were sent "
            f"in {len(creates)} create request(s)"
        )

    # ------------------------------------------------------------------ settings

    def test_missing_required_settings_are_named(self) -> None:
        for setting in self.adapter.settings_spec:
            if not setting.required:
                continue
            settings = self.connection_settings()
            settings.pop(setting.name, None)
            with pytest.raises(cb.ConfigurationError, match=setting.name):
                cb.connect(self.provider, **settings)

    def test_unknown_settings_are_refused(self) -> None:
        with pytest.raises(cb.ConfigurationError, match="no_such_setting"):
            cb.connect(self.provider, no_such_setting=1, **self.connection_settings())

    def test_secrets_are_redacted_in_reprs(self) -> None:
        with self.connect() as conn:
            texts = [repr(conn), repr(conn.adapter.settings), str(conn.adapter.settings)]
        assert all(CANARY not in text for text in texts)

    # ------------------------------------------------------------------ requests

    def test_preview_sends_nothing_and_redacts_secrets(self) -> None:
        settings = self.connection_settings()
        with cb.connect(self.provider, transport=_Refuse(), **settings) as conn:
            plan = conn.preview(self.minimal_client)
        assert plan, "preview must list at least the create request"
        assert all(isinstance(request, cb.HttpRequest) for request in plan)
        assert CANARY not in repr(plan)

    def test_request_building_is_pure_and_deterministic(self) -> None:
        with self.connect() as conn:
            assert conn.preview(self.minimal_client) == conn.preview(self.minimal_client)

    def test_validation_happens_before_any_io(self) -> None:
        with cb.connect(self.provider, transport=_Refuse(), **self.connection_settings()) as conn:
            with pytest.raises(cb.ValidationError) as caught:
                conn.create(cb.Client(email="not-an-email"))
        assert caught.value.errors, "ValidationError must carry FieldErrors"
        assert all(isinstance(error, cb.FieldError) for error in caught.value.errors)

    # ------------------------------------------------------------------ results

    def test_minimal_client_is_created_and_normalised(self) -> None:
        with self.connect() as conn:
            result = conn.create(self.minimal_client)
        assert isinstance(result, cb.CreateResult)
        assert result.provider == self.provider
        assert result.id
        assert isinstance(result.status, cb.ClientStatus)
        assert result.invite is None or isinstance(result.invite, cb.InviteStatus)
        assert isinstance(result.client, cb.Client)
        assert result.dropped_fields == ()

    def test_dropped_fields_are_only_given_fields_with_one_warning_each(self) -> None:
        with self.connect() as conn:
            result = conn.create(self.rich_client)
        given = set(self.rich_client.given_fields())
        # An address part (``address.country``) counts on its own, under a given address.
        assert {field.partition(".")[0] for field in result.dropped_fields} <= given
        for field in result.dropped_fields:
            assert any(field in warning for warning in result.warnings), field

    def test_on_unsupported_ignore_keeps_the_list_but_not_the_warnings(self) -> None:
        with self.connect() as conn:
            warned = conn.create(self.rich_client)
        with self.connect(on_unsupported="ignore") as conn:
            ignored = conn.create(self.rich_client)
        assert ignored.dropped_fields == warned.dropped_fields
        assert not any(
            field in warning for field in ignored.dropped_fields for warning in ignored.warnings
        )

    def test_on_unsupported_error_raises_for_dropped_fields(self) -> None:
        with self.connect() as conn:
            dropped = conn.create(self.rich_client).dropped_fields
        if not dropped:
            pytest.skip("this provider takes every neutral field")
        with self.connect(on_unsupported="error") as conn:
            with pytest.raises(cb.UnsupportedFeatureError):
                conn.create(self.rich_client)

    def test_lead_on_a_provider_without_leads_is_dropped(self) -> None:
        if self.adapter.capabilities.leads:
            pytest.skip("this provider supports leads")
        client = cb.converter.structure(
            {**cb.converter.unstructure(self.minimal_client), "lead": True}, cb.Client
        )
        with self.connect() as conn:
            result = conn.create(client)
        assert "lead" in result.dropped_fields

    def test_create_many_reports_every_input(self) -> None:
        with self.connect() as conn:
            batch = conn.create_many([self.minimal_client, cb.Client()])
        assert len(batch) == 2
        assert [failure.index for failure in batch.failed] == [1]
        assert isinstance(batch.failed[0].error, cb.ValidationError)

    @pytest.mark.anyio
    async def test_async_create_matches_sync(self) -> None:
        with self.connect() as conn:
            expected = conn.create(self.minimal_client)
        async with cb.connect_async(
            self.provider,
            transport=httpx.MockTransport(self.answer),
            **self.connection_settings(),
        ) as aconn:
            actual = await aconn.create(self.minimal_client)
        assert (actual.provider, actual.status, actual.invite, actual.client) == (
            expected.provider,
            expected.status,
            expected.invite,
            expected.client,
        )

    # ------------------------------------------------------------------ errors

    @pytest.mark.parametrize("status", sorted(_STATUS_CLASSES))
    def test_error_statuses_map_to_pinned_exceptions(self, status: int) -> None:
        body = {"message": f"refused for {CANARY}"}
        with self.connect(self.error_answer(status, body)) as conn:
            with pytest.raises(_STATUS_CLASSES[status]) as caught:
                conn.create(self.minimal_client)
        error = caught.value
        assert error.status_code == status
        assert error.provider == self.provider
        for text in (str(error), repr(error), repr(error.body)):
            assert CANARY not in text

    def test_unreadable_success_is_an_unexpected_response(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            if request.method == "GET":
                return self.answer(request)
            return httpx.Response(201, content=b"<html>not json</html>")

        with self.connect(handler) as conn:
            with pytest.raises(cb.UnexpectedResponseError):
                conn.create(self.minimal_client)

    def test_debug_logs_never_hold_the_credential(self, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG, logger="clientbridge")
        with self.connect() as conn:
            conn.create(self.minimal_client)
        logged = [record for record in caplog.records if record.levelno == logging.DEBUG]
        assert logged, "no request was logged at DEBUG: the check below would prove nothing"
        assert all(CANARY not in record.getMessage() for record in caplog.records)
        assert CANARY not in caplog.text


def _with_another_email(client: cb.Client) -> cb.Client:
    """``client`` with another email: two clients with one email are one too many for a
    provider that refuses a second client with the same email (``unique_email``)."""
    if not client.email:
        return client
    local, _, domain = client.email.partition("@")
    return attrs.evolve(client, email=f"{local}+second@{domain}")
