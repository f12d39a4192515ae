"""Telemetry: a span, two metrics and a log record for every create, and a span per fan-out.

With ``opentelemetry-api`` installed (``clientbridge[otel]``), every create emits a span
``clientbridge.create`` (kind CLIENT) through the global tracer provider, and adds to the
counter ``clientbridge.creates`` and the histogram ``clientbridge.create.duration``
(seconds) of the global meter provider; a group's create is one ``clientbridge.fanout``
span, the parent of its connections' creates. The attributes are the same everywhere:

* ``clientbridge.provider`` — the adapter's name;
* ``clientbridge.connection`` — the connection's name in a config file or group, when it
  has one;
* ``clientbridge.outcome`` — ``created``, ``replayed`` (a ledger knew the client: nothing
  sent), ``failed`` (nothing was created), or ``unknown`` (the client may have been
  created: see `clientbridge.errors.outcome_unknown`);
* ``error.type`` — the exception's class name, when the create raised.

No attribute holds a credential or anything of the client: only names of things the app
configured and of exception classes. Without OpenTelemetry, nothing of it is imported
(one failed import, once per process) and a create pays for a clock read and a level
check. Apps without OpenTelemetry get the same fields as a log record of the logger
``clientbridge`` (``extra=``): DEBUG for ``created``/``replayed``, INFO for ``failed``,
WARNING for ``unknown``.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any, TypeVar

from clientbridge.errors import UnknownOutcomeError, outcome_unknown

__all__ = [
    "CREATES_COUNTER",
    "CREATE_SPAN",
    "DURATION_HISTOGRAM",
    "FANOUT_SPAN",
    "OUTCOMES",
    "BatchObservation",
    "CreateObservation",
    "FanoutObservation",
    "observe_batch",
    "observe_create",
    "observe_fanout",
    "outcome_of",
]

CREATE_SPAN = "clientbridge.create"
FANOUT_SPAN = "clientbridge.fanout"
CREATES_COUNTER = "clientbridge.creates"
DURATION_HISTOGRAM = "clientbridge.create.duration"
OUTCOMES = ("created", "replayed", "failed", "unknown")

PROVIDER = "clientbridge.provider"
CONNECTION = "clientbridge.connection"
OUTCOME = "clientbridge.outcome"
ERROR_TYPE = "error.type"
#: only in log records: seconds the create took (the histogram has it as a metric)
DURATION = "clientbridge.duration"

_LOG_LEVELS = {
    "created": logging.DEBUG,
    "replayed": logging.DEBUG,
    "failed": logging.INFO,
    "unknown": logging.WARNING,
}

logger = logging.getLogger("clientbridge")

_T = TypeVar("_T")


def outcome_of(error: BaseException) -> str:
    """``unknown`` when the client may exist although ``error`` was raised, else ``failed``."""
    # A ledger's UnknownOutcomeError, an answer that may follow a stored record, or a
    # cancellation mid-create: nobody knows.
    if isinstance(error, UnknownOutcomeError) or outcome_unknown(error):
        return "unknown"
    return "failed" if isinstance(error, Exception) else "unknown"


class _OpenTelemetry:
    """The API's modules and clientbridge's instruments from the providers in force."""

    def __init__(self, trace: Any, metrics: Any) -> None:
        # The package is loaded (this module is part of it); importing it by name here
        # would make a cycle of the layers below the config file.
        version = getattr(sys.modules.get("clientbridge"), "__version__", None)
        self.trace = trace
        self.tracer_provider = trace.get_tracer_provider()
        self.meter_provider = metrics.get_meter_provider()
        self.tracer = self.tracer_provider.get_tracer("clientbridge", version)
        meter = self.meter_provider.get_meter("clientbridge", version)
        self.creates = meter.create_counter(
            CREATES_COUNTER, unit="{create}", description="Client creates, by outcome"
        )
        self.duration = meter.create_histogram(
            DURATION_HISTOGRAM, unit="s", description="How long a client create took"
        )
        self.client_kind = trace.SpanKind.CLIENT
        #: False while no SDK is configured: the API's proxy would only make no-op spans
        #: (a third of a create's telemetry cost); the provider set later is seen then
        self.tracing = not isinstance(self.tracer_provider, trace.ProxyTracerProvider)

    def current(self, trace: Any, metrics: Any) -> bool:
        return (
            trace.get_tracer_provider() is self.tracer_provider
            and metrics.get_meter_provider() is self.meter_provider
        )


_UNSET: Any = object()
_modules: Any = _UNSET
_instruments: _OpenTelemetry | None = None


def _opentelemetry() -> _OpenTelemetry | None:
    """The instruments, made anew when the app changed its providers; None without the API."""
    global _modules, _instruments
    if _modules is _UNSET:
        try:
            from opentelemetry import metrics, trace
        except ImportError:
            _modules = None
        else:
            _modules = (trace, metrics)
    if _modules is None:
        return None
    trace, metrics = _modules
    if _instruments is None or not _instruments.current(trace, metrics):
        _instruments = _OpenTelemetry(trace, metrics)
    return _instruments


class CreateObservation:
    """One create, observed: ``with observe_create(...) as observed: return
    observed.result(create())``. Raising out of the block records the failure."""

    __slots__ = ("_otel", "_span", "_span_scope", "_started", "attributes", "outcome")

    def __init__(self, provider: str, connection: str | None) -> None:
        self.attributes: dict[str, str] = {PROVIDER: provider}
        if connection is not None:
            self.attributes[CONNECTION] = connection
        self.outcome = "created"
        self._otel: _OpenTelemetry | None = None
        self._span_scope: Any = None
        self._span: Any = None
        self._started = 0.0

    def __enter__(self) -> CreateObservation:
        self._otel = otel = _opentelemetry()
        if otel is not None and otel.tracing:
            self._span_scope = otel.tracer.start_as_current_span(
                CREATE_SPAN,
                kind=otel.client_kind,
                attributes=self.attributes,
                record_exception=False,  # an exception's message may hold the client's data
                set_status_on_exception=False,
            )
            self._span = self._span_scope.__enter__()
        self._started = time.perf_counter()
        return self

    def result(self, result: _T) -> _T:
        """``result`` (a `CreateResult`), noted: ``replayed`` when the ledger answered."""
        if getattr(result, "replayed", False):
            self.outcome = "replayed"
        return result

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        seconds = time.perf_counter() - self._started
        attributes = self.attributes
        if exc is not None:
            self.outcome = outcome_of(exc)
            attributes[ERROR_TYPE] = type(exc).__name__
        attributes[OUTCOME] = self.outcome
        otel = self._otel
        if otel is not None:
            span = self._span
            if span is not None:
                span.set_attributes(attributes)
                if exc is not None:
                    error = otel.trace.StatusCode.ERROR
                    span.set_status(otel.trace.Status(error, type(exc).__name__))
                self._span_scope.__exit__(exc_type, exc, traceback)
        _measure(otel, attributes, seconds)


def _measure(otel: _OpenTelemetry | None, attributes: dict[str, str], seconds: float) -> None:
    """Count one create's outcome, record how long it took, and log it."""
    if otel is not None:
        otel.creates.add(1, attributes)
        otel.duration.record(seconds, attributes)
    outcome = attributes[OUTCOME]
    level = _LOG_LEVELS[outcome]
    if logger.isEnabledFor(level):
        named = attributes.get(CONNECTION)
        logger.log(
            level,
            "create in %s%s: %s%s in %.3f s",
            attributes[PROVIDER],
            f" (connection {named!r})" if named else "",
            outcome,
            f" ({attributes[ERROR_TYPE]})" if ERROR_TYPE in attributes else "",
            seconds,
            extra={**attributes, DURATION: seconds},
        )


class BatchObservation:
    """The creates of one request that carries several clients (a bulk create): one span,
    count and duration per client, each spanning the request. ``with observe_batch(...) as
    observed: observed.outcomes(run())``."""

    __slots__ = ("_connection", "_outcomes", "_provider", "_started", "_started_ns")

    def __init__(self, provider: str, connection: str | None) -> None:
        self._provider = provider
        self._connection = connection
        self._outcomes: Sequence[object] = ()
        self._started = 0.0
        self._started_ns = 0

    def __enter__(self) -> BatchObservation:
        self._started = time.perf_counter()
        self._started_ns = time.time_ns()
        return self

    def outcomes(self, outcomes: Sequence[_T]) -> Sequence[_T]:
        """``outcomes`` (a `CreateResult` or the error, per client), noted."""
        self._outcomes = outcomes
        return outcomes

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        seconds = time.perf_counter() - self._started
        ended_ns = time.time_ns()
        otel = _opentelemetry()
        for outcome in self._outcomes:
            attributes = {PROVIDER: self._provider}
            if self._connection is not None:
                attributes[CONNECTION] = self._connection
            if isinstance(outcome, BaseException):
                attributes[OUTCOME] = outcome_of(outcome)
                attributes[ERROR_TYPE] = type(outcome).__name__
            else:
                attributes[OUTCOME] = (
                    "replayed" if getattr(outcome, "replayed", False) else "created"
                )
            if otel is not None and otel.tracing:
                span = otel.tracer.start_span(
                    CREATE_SPAN,
                    kind=otel.client_kind,
                    attributes=attributes,
                    start_time=self._started_ns,
                )
                if ERROR_TYPE in attributes:
                    error = otel.trace.StatusCode.ERROR
                    span.set_status(otel.trace.Status(error, attributes[ERROR_TYPE]))
                span.end(end_time=ended_ns)
            _measure(otel, attributes, seconds)


def observe_create(provider: str, connection: str | None) -> CreateObservation:
    """Observe one create in ``provider`` (through the connection named ``connection``)."""
    return CreateObservation(provider, connection)


def observe_batch(provider: str, connection: str | None) -> BatchObservation:
    """Observe the creates of one request of ``create_many`` in ``provider``."""
    return BatchObservation(provider, connection)


class FanoutObservation:
    """One group create: the span its connections' creates are children of."""

    __slots__ = ("_span", "connections")

    def __init__(self, connections: Sequence[str]) -> None:
        self.connections = tuple(connections)
        self._span: Any = None

    def __enter__(self) -> FanoutObservation:
        otel = _opentelemetry()
        if otel is not None and otel.tracing:
            self._span = otel.tracer.start_as_current_span(
                FANOUT_SPAN,
                attributes={"clientbridge.connections": self.connections},
                record_exception=False,
                set_status_on_exception=False,
            )
            self._span.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._span is not None:
            self._span.__exit__(exc_type, exc, traceback)


def observe_fanout(connections: Sequence[str]) -> FanoutObservation:
    """Observe one group create sent to ``connections``."""
    return FanoutObservation(connections)
