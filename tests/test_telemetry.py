"""Telemetry: spans and metrics read with the OpenTelemetry SDK's in-memory exporters, log
records for apps without it, and nothing imported when it is absent."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.util._once import Once

import clientbridge as cb
from clientbridge import telemetry
from clientbridge.sandbox import Sandbox
from clientbridge.sandbox.emulators import EMULATORS
from tests.conftest import CANARY

ADA = cb.Client(
    first_name="Ada",
    last_name="Lovelace",
    email="ada.private@example.com",
    phone="+44 7700 900123",
    company_name="Analytical Engines Ltd",
)
# the phone as given and as sent (E.164): a bare "7700" could be digits of an id or a time
PERSONAL = ("Ada", "Lovelace", "ada.private", "7700 900123", "447700900123", "Analytical")
PROVIDER = next(iter(EMULATORS))


class Telemetry:
    """The SDK's in-memory exporters behind the global providers, for one test."""

    def __init__(self) -> None:
        self.spans_exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans_exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        spans = self.spans_exporter.get_finished_spans()
        return [span for span in spans if name is None or span.name == name]

    def points(self, metric: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        return [
            point
            for resource in (data.resource_metrics if data else [])
            for scope in resource.scope_metrics
            for found in scope.metrics
            if found.name == metric
            for point in found.data.data_points
        ]


def _reset_globals() -> None:
    # What opentelemetry-test-utils does: the API lets a provider be set once per process.
    trace._TRACER_PROVIDER_SET_ONCE = Once()  # type: ignore[attr-defined]
    trace._TRACER_PROVIDER = None  # type: ignore[attr-defined]
    trace._PROXY_TRACER_PROVIDER = trace.ProxyTracerProvider()  # type: ignore[attr-defined]
    metrics._internal._METER_PROVIDER_SET_ONCE = Once()
    metrics._internal._METER_PROVIDER = None
    metrics._internal._PROXY_METER_PROVIDER = metrics._internal._ProxyMeterProvider()


@pytest.fixture
def otel() -> Iterator[Telemetry]:
    _reset_globals()
    recorded = Telemetry()
    trace.set_tracer_provider(recorded.tracer_provider)
    metrics.set_meter_provider(recorded.meter_provider)
    yield recorded
    recorded.tracer_provider.shutdown()
    recorded.meter_provider.shutdown()
    _reset_globals()


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()


def connect(sandbox: Sandbox, **options: Any) -> cb.Connection:
    return cb.connect(PROVIDER, sandbox=True, transport=sandbox.transport(PROVIDER), **options)


def config(tmp_path: Path, *names: str) -> cb.Config:
    tables = "".join(
        f'[connections.{name}]\nprovider = "{provider}"\nsandbox = true\nmax_retries = 0\n'
        for name, provider in zip(names, EMULATORS, strict=False)
    )
    path = tmp_path / "clientbridge.toml"
    path.write_text(tables, encoding="utf-8")
    return cb.load_config(path)


# --------------------------------------------------------------------------- spans and metrics


def test_a_create_is_a_client_span_counted_and_timed(otel: Telemetry, sandbox: Sandbox) -> None:
    with connect(sandbox) as conn:
        conn.create(ADA)
    (span,) = otel.spans("clientbridge.create")
    assert span.kind is SpanKind.CLIENT
    assert dict(span.attributes or {}) == {
        "clientbridge.provider": PROVIDER,
        "clientbridge.outcome": "created",
    }
    (count,) = otel.points("clientbridge.creates")
    assert (count.value, dict(count.attributes)) == (1, dict(span.attributes or {}))
    (duration,) = otel.points("clientbridge.create.duration")
    assert duration.count == 1
    assert 0 < duration.sum < 5  # seconds, not milliseconds


def test_each_client_of_create_many_is_a_create_span(otel: Telemetry, sandbox: Sandbox) -> None:
    clients = [attrs.evolve(ADA, email=f"ada{n}@example.com") for n in range(3)]
    with connect(sandbox, max_retries=0) as conn:
        sandbox.inject("unavailable", provider=PROVIDER)  # the first request answers 503
        batch = conn.create_many(clients)
    spans = otel.spans("clientbridge.create")
    assert len(spans) == len(clients)  # one per client, whether sent in bulk or one by one
    outcomes = sorted(str((s.attributes or {})["clientbridge.outcome"]) for s in spans)
    assert outcomes.count("failed") == len(batch.failed) > 0
    assert outcomes.count("created") == len(batch.succeeded)
    (count,) = [
        p
        for p in otel.points("clientbridge.creates")
        if p.attributes["clientbridge.outcome"] == "failed"
    ]
    assert count.value == len(batch.failed)


@pytest.mark.anyio
async def test_each_client_of_an_async_create_many_is_a_create_span(
    otel: Telemetry, sandbox: Sandbox
) -> None:
    clients = [attrs.evolve(ADA, email=f"ada{n}@example.com") for n in range(3)]
    async with cb.connect_async(
        PROVIDER, sandbox=True, transport=sandbox.transport(PROVIDER, asynchronous=True)
    ) as conn:
        batch = await conn.create_many(clients)
    assert batch.ok
    spans = otel.spans("clientbridge.create")
    assert [(s.attributes or {})["clientbridge.outcome"] for s in spans] == ["created"] * 3
    assert all(s.kind is SpanKind.CLIENT for s in spans)


def test_a_named_connection_is_reported_by_its_name(otel: Telemetry, tmp_path: Path) -> None:
    with config(tmp_path, "uk").connect("uk") as conn:
        conn.create(ADA)
    (span,) = otel.spans("clientbridge.create")
    assert (span.attributes or {})["clientbridge.connection"] == "uk"


def test_a_refused_client_is_failed_with_its_error_type(otel: Telemetry, sandbox: Sandbox) -> None:
    with connect(sandbox) as conn, pytest.raises(cb.ValidationError):
        conn.create(cb.Client(email="not-an-email"))
    (span,) = otel.spans("clientbridge.create")
    attributes = dict(span.attributes or {})
    assert attributes["clientbridge.outcome"] == "failed"
    assert attributes["error.type"] == "ValidationError"
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "ValidationError"
    assert span.events == ()  # no exception event: its message may hold the client's data


@pytest.mark.parametrize("fault", ["server_error", "error_after_create", "disconnect"])
def test_a_create_that_may_have_happened_is_unknown(
    otel: Telemetry, sandbox: Sandbox, fault: str
) -> None:
    sandbox.inject(fault)
    with connect(sandbox, max_retries=0) as conn, pytest.raises(cb.ClientBridgeError) as caught:
        conn.create(ADA)
    (span,) = otel.spans("clientbridge.create")
    expected = "unknown" if cb.errors.outcome_unknown(caught.value) else "failed"
    assert (span.attributes or {})["clientbridge.outcome"] == expected
    if fault != "disconnect":  # a dropped connection before sending is provably failed
        assert expected == "unknown"
    (count,) = otel.points("clientbridge.creates")
    assert count.attributes["error.type"] == type(caught.value).__name__


def test_a_ledger_replay_and_an_unknown_outcome_are_named_so(
    otel: Telemetry, tmp_path: Path
) -> None:
    sandbox = Sandbox()
    with cb.Ledger(str(tmp_path / "clients.ledger")) as ledger:
        with cb.connect(
            PROVIDER, sandbox=True, transport=sandbox.transport(PROVIDER), ledger=ledger
        ) as conn:
            conn.create(ADA, key="user-1")
            assert conn.create(ADA, key="user-1").replayed
            sandbox.inject("error_after_create", provider=PROVIDER)
            with pytest.raises(cb.ClientBridgeError):
                conn.create(ADA, key="user-2")
            with pytest.raises(cb.UnknownOutcomeError):  # may exist: asked, or refused
                conn.create(ADA, key="user-2")
    outcomes = [
        span.attributes["clientbridge.outcome"] for span in otel.spans("clientbridge.create")
    ]
    assert outcomes == ["created", "replayed", "unknown", "unknown"]
    refused = cb.DuplicateClientError("exists", provider=PROVIDER)
    assert telemetry.outcome_of(refused) == "failed"


def test_a_fanout_span_is_the_parent_of_its_creates(otel: Telemetry, tmp_path: Path) -> None:
    with config(tmp_path, "one", "two", "three").connect_many() as group:
        fan = group.create(ADA)
    assert fan.ok, fan.errors
    (fanout,) = otel.spans("clientbridge.fanout")
    creates = otel.spans("clientbridge.create")
    assert sorted((s.attributes or {})["clientbridge.connection"] for s in creates) == sorted(
        ["one", "two", "three"]
    )
    assert fanout.context is not None
    assert all(span.parent is not None for span in creates)
    assert {span.parent.span_id for span in creates if span.parent} == {fanout.context.span_id}


@pytest.mark.anyio
async def test_an_async_fanout_span_is_the_parent_of_its_creates(
    otel: Telemetry, tmp_path: Path
) -> None:
    async with config(tmp_path, "one", "two").connect_many_async() as group:
        await group.create(ADA)
    (fanout,) = otel.spans("clientbridge.fanout")
    creates = otel.spans("clientbridge.create")
    assert len(creates) == 2
    assert fanout.context is not None
    assert {span.parent.span_id for span in creates if span.parent} == {fanout.context.span_id}


def test_no_attribute_holds_a_credential_or_personal_data(
    otel: Telemetry, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="clientbridge")
    sandbox = Sandbox(credentials={PROVIDER: CANARY})
    secret = next(s.name for s in cb.registry.adapter_class(PROVIDER).settings_spec if s.secret)
    with connect(sandbox, **{secret: CANARY}) as conn:
        conn.create(ADA)
        with pytest.raises(cb.ClientBridgeError):
            conn.create(ADA)  # refused as a duplicate, or created again: either is observed
    with config(tmp_path, "one", "two").connect_many() as group:
        group.create(ADA)
    seen = [
        *(dict(span.attributes or {}) for span in otel.spans()),
        *(span.status.description for span in otel.spans()),
        *(
            point.attributes
            for name in ("clientbridge.creates", "clientbridge.create.duration")
            for point in otel.points(name)
        ),
        *(vars(record) for record in caplog.records if hasattr(record, "clientbridge.outcome")),
    ]
    assert len(otel.spans()) >= 5
    text = json.dumps(seen, default=str)
    for private in (CANARY, *PERSONAL):
        assert private not in text


# --------------------------------------------------------------------------- log records


def test_each_create_is_a_log_record_with_the_same_fields(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="clientbridge")
    sandbox.inject("server_error")
    with connect(sandbox, max_retries=0) as conn:
        with pytest.raises(cb.ProviderUnavailableError):
            conn.create(ADA)
        conn.create(ADA)
    records = [r for r in caplog.records if hasattr(r, "clientbridge.outcome")]
    assert [(r.levelname, getattr(r, "clientbridge.outcome")) for r in records] == [
        ("WARNING", "unknown"),
        ("DEBUG", "created"),
    ]
    assert getattr(records[0], "error.type") == "ProviderUnavailableError"
    assert getattr(records[1], "clientbridge.provider") == PROVIDER
    assert getattr(records[1], "clientbridge.duration") > 0


# --------------------------------------------------------------------------- zero cost

ABSENT = textwrap.dedent(
    """
    import importlib.abc, json, logging, sys

    class NoOpenTelemetry(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "opentelemetry":
                raise ImportError("opentelemetry is not installed")
            return None

    if sys.argv[1] == "absent":
        sys.meta_path.insert(0, NoOpenTelemetry())
    import clientbridge as cb

    loaded = {"import": any(m.startswith("opentelemetry") for m in sys.modules)}
    with cb.connect(sys.argv[2], sandbox=True) as conn:
        loaded["connect"] = any(m.startswith("opentelemetry") for m in sys.modules)
        conn.create(cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com"))
    loaded["create"] = any(m.startswith("opentelemetry") for m in sys.modules)
    print(json.dumps(loaded))
    """
)


def loaded_modules(mode: str) -> dict[str, bool]:
    done = subprocess.run(
        [sys.executable, "-c", ABSENT, mode, PROVIDER],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, bool] = json.loads(done.stdout)
    return result


def test_without_opentelemetry_nothing_of_it_is_imported_and_creates_work() -> None:
    assert loaded_modules("absent") == {"import": False, "connect": False, "create": False}


def test_with_opentelemetry_it_is_imported_only_by_the_first_create() -> None:
    assert loaded_modules("installed") == {"import": False, "connect": False, "create": True}


def test_a_provider_set_after_the_first_create_gets_the_next_ones(sandbox: Sandbox) -> None:
    _reset_globals()  # the API installed, no SDK configured yet
    recorded = Telemetry()
    try:
        with connect(sandbox) as conn:
            conn.create(ADA)
            trace.set_tracer_provider(recorded.tracer_provider)
            metrics.set_meter_provider(recorded.meter_provider)
            conn.create(cb.Client(first_name="Bob", last_name="Babbage", email="bob@example.com"))
        assert len(recorded.spans("clientbridge.create")) == 1
        (count,) = recorded.points("clientbridge.creates")
        assert count.value == 1
    finally:
        recorded.tracer_provider.shutdown()
        recorded.meter_provider.shutdown()
        _reset_globals()
