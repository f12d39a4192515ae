"""`Sandbox`: the emulators' shared state (records, credentials, faults) and the dispatch.

The dispatch is sans-I/O: a `SandboxRequest` in, a `Reply` out, with the delay to wait
and whether to drop the connection written on the reply for the I/O layer (the httpx
transport or the loopback server) to carry out.
"""

from __future__ import annotations

import copy
import enum
import functools
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from clientbridge.errors import ConfigurationError
from clientbridge.sandbox.emulators import EMULATORS, Emulator
from clientbridge.sandbox.emulators.base import Ids, Outcome, Reply, SandboxRequest
from clientbridge.sandbox.faults import BEFORE_PROCESSING, Fault, FaultInjector
from clientbridge.sandbox.ratelimit import STATS_PATH, SandboxRateLimit, SandboxStats

if TYPE_CHECKING:
    import httpx

__all__ = ["KEEP", "RECORDS_PATH", "STATS_PATH", "Sandbox"]


class _Keep(enum.Enum):
    KEEP = "keep"


#: `Sandbox.configure`'s "leave the rate limit as it is" (None switches it off).
KEEP: Literal[_Keep.KEEP] = _Keep.KEEP

#: ``GET`` it for the JSON list of the records an emulator holds (no credential needed).
RECORDS_PATH = "/_sandbox/records"
_BAD_GATEWAY_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center></body></html>"
)


class Sandbox:
    """Emulators of the built-in providers, their records, and the faults to inject.

    Every provider's emulator is created on first use and keeps its records in memory
    (``retain_records=False`` keeps only a count, for memory benchmarks; duplicate
    checks then see nothing). Faults hit create calls only unless
    ``faults_on_lookups``; ``fail_rate`` draws them with ``random.Random(seed)``. A seed
    also fixes the ids' random parts (ids that are wholly random repeat exactly;
    ObjectIds start with the current time, as real ones do). ``latency_ms`` delays
    every answer. ``options`` maps a provider to its emulator's own options (an instance of
    the type the emulator declares as ``options_type``).

    ``rate_limit="20/s"`` (or ``"600/min"``, or a `SandboxRateLimit`) keeps a token
    bucket per credential, ``rate_limit_burst`` tokens deep (default: the rate's request
    count), and answers 429 when it is empty, with ``Retry-After`` unless
    ``rate_limit_retry_after=False``. `stats` counts requests and those 429s.

    Share one with a connection to inspect it::

        sandbox = Sandbox()
        conn = cb.connect(provider, sandbox=True, transport=sandbox.transport(provider))
        sandbox.inject("rate_limited")   # the next create answers 429 with Retry-After
        conn.create(client)              # retried by the driver, then created
        sandbox.records(provider)        # what the emulator holds
        sandbox.injected                 # Counter({"rate_limited": 1})
    """

    def __init__(
        self,
        *,
        credentials: Mapping[str, str] | None = None,
        retain_records: bool = True,
        seed: int | str | None = None,
        fail_rate: float = 0.0,
        fault_kinds: Sequence[str] | None = None,
        faults_on_lookups: bool = False,
        latency_ms: float = 0.0,
        retry_after: float = 1.0,
        options: Mapping[str, object] | None = None,
        rate_limit: str | SandboxRateLimit | None = None,
        rate_limit_burst: int | None = None,
        rate_limit_retry_after: bool = True,
    ) -> None:
        if latency_ms < 0:
            raise ValueError(f"latency_ms must not be negative, not {latency_ms!r}")
        self.options = _emulator_options(options or {})
        self.credentials = {
            _emulated(provider): credential for provider, credential in (credentials or {}).items()
        }
        self.retain_records = retain_records
        self.latency_ms = latency_ms
        self.faults = FaultInjector(
            fail_rate=fail_rate,
            kinds=fault_kinds,
            seed=seed,
            include_lookups=faults_on_lookups,
            retry_after=retry_after,
        )
        # A string seed keeps ids independent of the fault draws.
        self._ids = random.Random(None if seed is None else f"ids:{seed}")
        self._emulators: dict[str, Emulator] = {}  # by canonical name
        self.rate_limit = (
            SandboxRateLimit(rate_limit, burst=rate_limit_burst, retry_after=rate_limit_retry_after)
            if isinstance(rate_limit, str)
            else rate_limit
        )
        self.counts = SandboxStats()
        #: latency and rate limit of the providers set apart with `configure`
        self._latency: dict[str, float] = {}
        self._rate_limits: dict[str, SandboxRateLimit | None] = {}

    # ----------------------------------------------------------------- state

    def emulator(self, provider: str) -> Emulator:
        """The emulator for ``provider`` (a name or alias), created on first use."""
        name = _emulated(provider)
        emulator = self._emulators.get(name)
        if emulator is None:
            emulator = self._emulators[name] = self._new_emulator(name)
        return emulator

    def _new_emulator(self, name: str) -> Emulator:
        return EMULATORS[name](
            options=self.options.get(name),
            credential=self.credentials.get(name),
            ids=Ids(random.Random(self._ids.getrandbits(64))),
            retain_records=self.retain_records,
        )

    def credential(self, provider: str) -> str:
        """The credential the emulator of ``provider`` accepts."""
        return self.emulator(provider).credential

    def records(self, provider: str, *, newest: int | None = None) -> list[dict[str, Any]]:
        """A copy of the records created in ``provider``'s emulator, oldest first (only
        the ``newest`` ones when given)."""
        emulator = self.emulator(provider)
        with emulator.lock:
            held = emulator.records if newest is None else emulator.records[-newest:]
            return copy.deepcopy(held)

    def held(self, provider: str) -> int:
        """How many records ``provider``'s emulator holds."""
        return len(self.emulator(provider).records)

    def clear(self) -> None:
        """Forget the records of every emulator in use (a created email may be created again)."""
        for emulator in list(self._emulators.values()):
            emulator.clear()

    def reset(self) -> None:
        """Forget every record and count from zero again: records created, faults
        injected, `stats` (the settings and the faults queued stay)."""
        for emulator in list(self._emulators.values()):
            emulator.clear(counts=True)
        self.faults.injected.clear()
        self.counts.reset()

    def created(self, provider: str) -> int:
        """How many records ``provider``'s emulator created (retained or not)."""
        return self.emulator(provider).created

    # ----------------------------------------------------------------- faults

    def inject(
        self, kind: str, count: int = 1, *, provider: str | None = None, **options: Any
    ) -> None:
        """Apply fault ``kind`` to the next ``count`` create calls (``options``: those of
        `FaultInjector.inject`, e.g. ``retry_after``, ``latency_ms``, ``include_lookups``)."""
        emulated = None if provider is None else _emulated(provider)
        self.faults.inject(kind, count, provider=emulated, **options)

    def configure(
        self,
        *,
        provider: str | None = None,
        fail_rate: float | None = None,
        fault_kinds: Sequence[str] | None = None,
        faults_on_lookups: bool | None = None,
        latency_ms: float | None = None,
        rate_limit: str | SandboxRateLimit | _Keep | None = KEEP,
    ) -> None:
        """Change the constructor's fault, latency and rate-limit options while serving
        (what is not given stays; ``rate_limit=None`` switches the limit off); the next
        call sees the new values.

        With ``provider``, for that provider only; without, for every provider (what was
        set for one provider before is forgotten).
        """
        if latency_ms is not None and latency_ms < 0:
            raise ValueError(f"latency_ms must not be negative, not {latency_ms!r}")
        limit = (
            SandboxRateLimit(rate_limit, retry_after=self._retry_after_header())
            if isinstance(rate_limit, str)
            else rate_limit
        )
        name = None if provider is None else _emulated(provider)
        self.faults.configure(
            fail_rate=fail_rate, kinds=fault_kinds, include_lookups=faults_on_lookups, provider=name
        )
        if name is None:
            self._latency.clear()
            self._rate_limits.clear()
            if latency_ms is not None:
                self.latency_ms = latency_ms
            if not isinstance(limit, _Keep):
                self.rate_limit = limit
            return
        if latency_ms is not None:
            self._latency[name] = latency_ms
        if not isinstance(limit, _Keep):
            self._rate_limits[name] = limit

    def _retry_after_header(self) -> bool:
        return True if self.rate_limit is None else self.rate_limit.retry_after

    def latency_for(self, provider: str) -> float:
        """The latency (ms) added to every answer of ``provider``."""
        return self._latency.get(_emulated(provider), self.latency_ms)

    def rate_limit_for(self, provider: str) -> SandboxRateLimit | None:
        """The rate limit ``provider``'s requests are held to (None: none)."""
        return self._rate_limits.get(_emulated(provider), self.rate_limit)

    def settings(self, provider: str | None = None) -> dict[str, Any]:
        """The fault, latency and rate-limit settings in force for ``provider`` (None: for
        every provider not set apart), as `configure` takes them."""
        name = None if provider is None else _emulated(provider)
        faults = self.faults.settings(name)
        limit = self.rate_limit if name is None else self.rate_limit_for(name)
        return {
            "fail_rate": faults.fail_rate,
            "fault_kinds": list(faults.kinds),
            "faults_on_lookups": faults.include_lookups,
            "latency_ms": self.latency_ms if name is None else self.latency_for(name),
            "rate_limit": None if limit is None else str(limit.rate),
        }

    def stats(self) -> dict[str, Any]:
        """What ``GET /_sandbox/stats`` answers: ``requests`` (API requests seen),
        ``rate_limited`` (429s the rate limit answered; injected faults are under
        ``faults``), ``created`` and the rate limit in force."""
        limit = self.rate_limit
        return {
            "requests": self.counts.requests,
            "rate_limited": self.counts.rate_limited,
            "created": sum(emulator.created for emulator in self._emulators.values()),
            "faults": dict(self.injected),
            **(limit.describe() if limit else {"rate_limit": None}),
        }

    @property
    def injected(self) -> Counter[str]:
        """Faults applied so far, by kind."""
        return self.faults.injected

    # ----------------------------------------------------------------- dispatch

    def handle(self, provider: str, request: SandboxRequest) -> Reply:
        """Answer one request to ``provider``'s emulator, faults included."""
        emulator = self.emulator(provider)
        if request.method == "GET" and request.path.endswith(RECORDS_PATH):
            return Reply.json(200, self.records(provider))
        if request.method == "GET" and request.path.endswith(STATS_PATH):
            return Reply.json(200, self.stats())
        limited = self._over_rate_limit(emulator, request)
        self.counts.count(rate_limited=limited is not None)
        matched = emulator.match(request.method, request.path)
        creates = not isinstance(matched, Reply) and matched[0].creates
        if limited is not None:
            if creates:
                limited.outcome = Outcome("not_processed", "over the sandbox's rate limit")
            return limited
        if isinstance(matched, Reply):
            return matched
        route, params = matched
        delay = self._latency.get(emulator.provider, self.latency_ms) / 1000
        fault = self.faults.draw(emulator.provider, creates=route.creates)
        if fault is not None and fault.kind in BEFORE_PROCESSING:
            reply = _fault_answer(emulator, fault)
            if route.creates:
                reply.outcome = Outcome("not_processed", f"injected fault: {fault.kind}")
        else:
            reply = emulator.call(route, params, request)
            if fault is None:
                pass
            elif fault.kind == "latency":
                delay += fault.latency_ms / 1000
            elif fault.kind == "error_after_create":
                reply = _fault_answer(emulator, fault)
            else:  # malformed_json: the status stays, the body is cut in half
                reply.body = reply.body[: len(reply.body) // 2] or b"{"
        reply.delay = delay
        if fault is not None:
            reply.fault = fault.kind
        return reply

    def _over_rate_limit(self, emulator: Emulator, request: SandboxRequest) -> Reply | None:
        """The 429 when ``request``'s credential is over the rate limit, else None."""
        limit = self._rate_limits.get(emulator.provider, self.rate_limit)
        if limit is None:
            return None
        wait = limit.wait(request, emulator.credential_headers)
        if wait is None:
            return None
        reply = emulator.error(
            429, f"Too many requests: this sandbox allows {limit.rate} a credential."
        )
        reply.headers += limit.retry_after_header(wait)
        reply.delay = self._latency.get(emulator.provider, self.latency_ms) / 1000
        return reply

    def transport(self, provider: str, *, asynchronous: bool = False) -> httpx.MockTransport:
        """An httpx transport answering as ``provider`` from this sandbox, in process.

        ``asynchronous=True`` gives one for `httpx.AsyncClient` (latency is awaited, not
        slept). A dropped connection raises `httpx.ConnectError`: provably not sent.
        """
        from clientbridge.sandbox._transport import mock_transport

        answer = functools.partial(self.handle, self.emulator(provider).provider)
        return mock_transport(answer, asynchronous=asynchronous)

    def __repr__(self) -> str:
        used = sorted(self._emulators)
        return f"<Sandbox emulators in use: {', '.join(used) or 'none'}>"


def _emulated(provider: str) -> str:
    """The canonical name of an emulated provider; `ConfigurationError` otherwise."""
    if provider in EMULATORS:
        return provider
    from clientbridge.registry import canonical_name

    name = canonical_name(provider)
    if name not in EMULATORS:
        raise ConfigurationError(
            f"the sandbox has no emulator for {provider!r}; it emulates {', '.join(EMULATORS)}"
        )
    return name


def _emulator_options(options: Mapping[str, object]) -> dict[str, object]:
    """Each emulator's options by canonical name, checked against the type it declares."""
    chosen = {_emulated(provider): value for provider, value in options.items()}
    for name, value in chosen.items():
        wanted = EMULATORS[name].options_type
        if wanted is None or not isinstance(value, wanted):
            raise TypeError(
                f"the {name} emulator's options must be "
                f"{'none' if wanted is None else wanted.__name__}, not {type(value).__name__}"
            )
    return chosen


#: The answer of each fault that answers with an error: status, message, Retry-After sent.
_FAULT_ANSWERS: Mapping[str, tuple[int, str, bool]] = {
    "rate_limited": (429, "Too many requests; slow down (sandbox fault).", True),
    "server_error": (500, "Internal server error (sandbox fault).", False),
    "unavailable": (503, "Service temporarily unavailable (sandbox fault).", True),
    "error_after_create": (500, "Internal server error (sandbox fault).", False),
}


def _fault_answer(emulator: Emulator, fault: Fault) -> Reply:
    """What a fault answers instead of the emulator (in the provider's error shape)."""
    if fault.kind == "disconnect":
        return Reply(0, disconnect=True)
    if fault.kind == "bad_gateway":  # a proxy's page, not the provider's JSON
        return Reply(502, _BAD_GATEWAY_PAGE, (("Content-Type", "text/html"),))
    status, message, announces_retry = _FAULT_ANSWERS[fault.kind]
    reply = emulator.error(status, message)
    if announces_retry:
        reply.headers += (("Retry-After", f"{fault.retry_after:g}"),)
    return reply
