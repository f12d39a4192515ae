"""Benchmark: what telemetry costs a create, measured side by side in one run.

One create through an httpx transport that answers at once (the sandbox's recorded
answer), so what is measured is the client-side CPU of a create and nothing of a
network. Four ways, interleaved in blocks (each goes first in turn):

* ``no telemetry`` — the observation replaced by nothing at all (the baseline);
* ``OpenTelemetry absent`` — as an app without ``opentelemetry-api`` runs: a clock read
  and a log-level check per create;
* ``API, no SDK`` — the API installed but no provider configured (no-op spans);
* ``SDK, in-memory`` — an SDK tracer and meter provider with in-memory exporters
  (run last: a global provider cannot be unset).

    .venv/bin/python bench/telemetry.py [--creates 3000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx
from _common import machine_note, row

import clientbridge as cb
from clientbridge import telemetry
from clientbridge.sandbox import Sandbox

PROVIDER = "roostedhr"
CLIENT = cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com")
BLOCK = 100


class _NoObservation:
    def __init__(self, provider: str, connection: str | None) -> None:
        pass

    def __enter__(self) -> _NoObservation:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def result(self, result: Any) -> Any:
        return result


def instant_connection() -> cb.Connection:
    """A connection whose every create is answered at once with a recorded answer."""
    sandbox = Sandbox()
    with cb.connect(PROVIDER, sandbox=True, transport=sandbox.transport(PROVIDER)) as conn:
        conn.create(CLIENT)
    answer = sandbox.records(PROVIDER)[0]
    transport = httpx.MockTransport(lambda request: httpx.Response(201, json=answer))
    return cb.connect(PROVIDER, sandbox=True, transport=transport)


def mode(name: str) -> None:
    """Switch telemetry to ``name`` (the module's state, as each situation leaves it)."""
    real = telemetry.CreateObservation
    telemetry.observe_create = _NoObservation if name == "no telemetry" else real  # type: ignore[assignment]
    telemetry._instruments = None
    if name == "OpenTelemetry absent":
        telemetry._modules = None
    else:
        telemetry._modules = telemetry._UNSET


def timed(conn: cb.Connection, creates: int) -> float:
    started = time.perf_counter()
    for _ in range(creates):
        conn.create(CLIENT)
    return time.perf_counter() - started


def compare(conn: cb.Connection, modes: list[str], creates: int) -> dict[str, float]:
    """Microseconds per create of each mode, median of interleaved blocks."""
    samples: dict[str, list[float]] = {name: [] for name in modes}
    for block in range(max(1, creates // BLOCK)):
        order = modes if block % 2 == 0 else list(reversed(modes))
        for name in order:
            mode(name)
            samples[name].append(timed(conn, BLOCK) / BLOCK * 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


def observation_alone(modes: list[str], rounds: int = 20_000) -> dict[str, float]:
    """Microseconds one observation costs by itself (no create inside), per mode."""
    import timeit

    def observe() -> None:
        with telemetry.observe_create(PROVIDER, "uk") as observed:
            observed.result(CLIENT)

    found: dict[str, list[float]] = {name: [] for name in modes}
    for repeat in range(5):
        for name in modes if repeat % 2 == 0 else list(reversed(modes)):
            mode(name)
            found[name].append(timeit.timeit(observe, number=rounds) / rounds * 1e6)
    return {name: min(values) for name, values in found.items()}


def install_sdk() -> Callable[[], None]:
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
    return exporter.clear


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=3000)
    args = parser.parse_args()
    conn = instant_connection()
    for _ in range(200):  # warm up
        conn.create(CLIENT)
    before = ["no telemetry", "OpenTelemetry absent", "API, no SDK"]
    first = compare(conn, before, args.creates)
    first_alone = observation_alone(before)
    clear = install_sdk()
    after = ["no telemetry", "SDK, in-memory"]
    second = compare(conn, after, args.creates)
    second_alone = observation_alone(after)
    clear()
    print(f"Telemetry per create, {args.creates} creates per way, {machine_note()}\n")
    print(row("way", "µs per create", "vs no telemetry (same run)", "the observation alone, µs"))
    print(row("---", "---", "---", "---"))
    for results, alone in ((first, first_alone), (second, second_alone)):
        base = results["no telemetry"]
        for name, value in results.items():
            print(row(name, f"{value:.1f}", f"{value / base:.3f}", f"{alone[name]:.2f}"))
    conn.close()


if __name__ == "__main__":
    main()
